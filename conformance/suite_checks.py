"""``altledger verify`` checks every conformance suite gets: vectors valid and up to date, each
implementation passes through the subprocess runner, every broken client is caught, the
traceability page (docs/<suite>.md) matches a fresh scan.

Why here and not in each protocol's provider: these checks depend only on
the :class:`~altledger.conformance.suites.Suite` entry, so the hashgraph
suite gets them by calling :func:`suite_checks` from its own provider, the
way :mod:`altledger.conformance.twopc_checks` does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from altledger.conformance.checks import Check, Outcome, Progress
from altledger.conformance.suites import Suite


def _vectors_check(chosen: Suite) -> Check:
    def run(progress: Progress) -> Outcome:
        from altledger.conformance.cli import differing_files
        from altledger.conformance.generate import generate
        from altledger.conformance.vectors import load_vectors
        progress("validating the committed vectors against the schemas")
        committed = load_vectors(chosen)
        progress("regenerating the vectors from the reference")
        with tempfile.TemporaryDirectory(prefix="altledger-vectors-") as tmp:
            vectors, _ = generate(chosen.name, Path(tmp))
            changed = differing_files(Path(tmp) / chosen.name, chosen.vectors_dir())
        kinds: dict[str, int] = {}
        for v in committed:
            kinds[v["kind"]] = kinds.get(v["kind"], 0) + 1
        counts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        data = {"vectors": len(committed), "by_kind": kinds, "differing_files": changed}
        if changed:
            return Outcome(False, f"{len(changed)} files differ",
                           f"the committed vectors differ from a fresh generation: {', '.join(changed[:8])}; "
                           f"review and run 'altledger conformance generate --suite {chosen.name}'", data)
        return Outcome(True, f"{len(committed)} vectors ({counts}), schema-valid, match a fresh generation", "",
                       data)
    return Check(f"conformance-{chosen.name}", "vectors valid and up to date", run)


def _run(chosen: Suite, impl: str, progress: Progress):  # noqa: ANN202 - a RunReport
    from altledger.conformance.runner import builtin_client, environment_for_builtin, run_vectors
    from altledger.conformance.vectors import load_vectors
    from altledger.conformance.runner import DEFAULT_TIMEOUT
    vectors = load_vectors(chosen)
    # A suite may wait longer for an answer (the fast hashgraph compiles its Numba kernels on first use).
    return run_vectors(chosen, vectors, builtin_client(impl), env=environment_for_builtin(),
                       timeout=chosen.extra.get("answer_timeout", DEFAULT_TIMEOUT),
                       progress=lambda i, n, r: progress(f"{impl}: vector {i}/{n}"))


def _impl_check(chosen: Suite, impl: str) -> Check:
    def run(progress: Progress) -> Outcome:
        report = _run(chosen, impl, progress)
        passed, total = report.count("pass"), len(report.results)
        data = report.as_json(max_diffs=5)
        data["vectors"] = [v for v in data["vectors"] if v["status"] != "pass"][:20]
        if report.passed:
            return Outcome(True, f"{passed}/{total} vectors pass", "", data)
        first = next(r for r in report.results if not r.passed)
        detail = f"{report.summary()}; first: {first.id} ({first.status}) {first.message or first.divergence}"
        return Outcome(False, f"{passed}/{total} vectors pass", detail.strip(), data)
    return Check(f"conformance-{chosen.name}", f"{impl} implementation passes every vector", run)


def _broken_check(chosen: Suite) -> Check:
    def run(progress: Progress) -> Outcome:
        bugs = chosen.load(chosen.broken)
        missed = []
        data = {}
        for name, bug in bugs.items():
            report = _run(chosen, f"broken:{name}", progress)
            failing = set(report.failed_ids())
            not_caught = [v for v in bug.catches if v not in failing]
            data[name] = {"failing": len(failing), "total": len(report.results), "expected_failures": list(bug.catches),
                          "not_caught": not_caught, "aborted": report.aborted or None}
            if not failing or not_caught or report.aborted:
                missed.append(name)
        if missed:
            return Outcome(False, f"{len(bugs) - len(missed)}/{len(bugs)} bugs caught",
                           f"not caught as expected: {', '.join(missed)}", data)
        return Outcome(True, f"{len(bugs)}/{len(bugs)} broken clients fail on their vectors (expected)", "", data)
    return Check(f"conformance-{chosen.name}", "broken clients fail (negative controls)", run)


def _page_check(chosen: Suite) -> Check:
    """The auditors' page (docs/<suite>.md) shows what a fresh scan of the code, tests and vectors finds."""
    def run(progress: Progress) -> Outcome:
        from altledger.conformance.traceability import refreshed_page
        progress("scanning spec, model, code, tests and vectors for clause citations")
        page, text, updated = refreshed_page(chosen.name)
        if updated != text:
            return Outcome(False, "out of date", f"{page.name} differs from a fresh scan; review and run "
                           f"'altledger conformance traceability --suite {chosen.name} --write'")
        return Outcome(True, f"docs/{page.name} matches a fresh scan", "")
    return Check(f"conformance-{chosen.name}", "traceability page up to date", run)


def suite_checks(chosen: Suite) -> list[Check]:
    checks = [_vectors_check(chosen), _page_check(chosen)] + [_impl_check(chosen, impl) for impl in chosen.impls]
    if chosen.broken:
        checks.append(_broken_check(chosen))
    return checks

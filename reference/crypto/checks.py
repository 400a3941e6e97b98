"""``altledger verify`` checks for the crypto layer (spec/crypto.md).

Seven checks: the three Ed25519 suites, and each BLS suite on each backend.
The py_ecc runs take ~20 s each; ``make test`` only samples them, so this is
where every external BLS vector meets the reference backend.
"""

from __future__ import annotations

from altledger.conformance.checks import Check, Outcome, Progress
from altledger.reference.crypto.vectors import BLS_SUITES, SuiteReport

GROUP = "crypto"
MAX_LISTED_FAILURES = 5


def _outcome(report: SuiteReport) -> Outcome:
    failures = report.failures
    detail = "; ".join(f"{f.handler}/{f.name}: {f.detail}" for f in failures[:MAX_LISTED_FAILURES])
    if len(failures) > MAX_LISTED_FAILURES:
        detail += f"; ... {len(failures) - MAX_LISTED_FAILURES} more (altledger crypto vectors)"
    if not failures and not report.ok:
        detail = f"ran {len(report.results)} cases, the INDEX lists {report.expected_cases}"
    return Outcome(report.ok, report.figure(), detail, report.as_json())


def _ed25519_check(suite: str, title: str) -> Check:
    def run(progress: Progress) -> Outcome:
        from altledger.reference.crypto.ed25519_vectors import RUNNERS
        progress(f"Ed25519 {suite}")
        return _outcome(RUNNERS[suite](None))
    return Check(GROUP, title, run)


def _bls_check(suite: str, backend: str) -> Check:
    def run(progress: Progress) -> Outcome:
        from altledger.reference.crypto.bls_vectors import run_suite
        return _outcome(run_suite(suite, backend, progress=progress))
    return Check(GROUP, f"BLS vectors {suite}, {backend}", run)


def checks() -> list[Check]:
    result = [
        _ed25519_check("rfc8032", "Ed25519 RFC 8032 §7.1 vectors"),
        _ed25519_check("wycheproof", "Ed25519 Wycheproof vectors"),
        _ed25519_check("speccheck", "Ed25519 speccheck verdicts (§C.4)"),
    ]
    for suite in sorted(BLS_SUITES):
        for backend in ("blst", "py_ecc"):
            result.append(_bls_check(suite, backend))
    return result

"""The reference and the fast hashgraph pass every vector through the subprocess runner; the comparison
catches a fast implementation with a deliberate bug.

One run of the runner per implementation (module-scoped fixtures); each
vector is then a test of its own (``test_reference_passes_vector[<id>]``,
the test docs/abft.md cites for every clause a vector lists).  The fast
client compiles its Numba kernels on first use when the on-disk cache is
cold (tens of seconds); the answer timeout allows for it.
"""

from __future__ import annotations

import pytest

from altledger.conformance.abft_backends import FastBackend
from altledger.conformance.abft_handler import handle
from altledger.conformance.runner import (RunReport, VectorResult, builtin_client, describe_failure,
                                          environment_for_builtin, judge, run_vectors)
from altledger.conformance.suites import request_input, suite
from altledger.conformance.vectors import load_vectors

ABFT = suite("abft")
VECTORS = load_vectors(ABFT, validate=False)
TIMEOUT = ABFT.extra["answer_timeout"]


def run_impl(impl: str, vectors: list[dict] = VECTORS) -> RunReport:
    return run_vectors(ABFT, vectors, builtin_client(impl), env=environment_for_builtin(), timeout=TIMEOUT)


@pytest.fixture(scope="module")
def reference_report() -> RunReport:
    return run_impl("reference")


def test_reference_hello(reference_report: RunReport) -> None:
    assert reference_report.hello == {"protocol": "altledger-conformance/1", "implementation": "reference",
                                      "suites": ["abft"]}
    assert reference_report.restarts == 0 and not reference_report.aborted


@pytest.mark.parametrize("vector_id", [v["id"] for v in VECTORS])
def test_reference_passes_vector(reference_report: RunReport, vector_id: str) -> None:
    """Each vector, run through ``altledger conformance client --impl reference`` as a subprocess."""
    result = next(r for r in reference_report.results if r.id == vector_id)
    assert result.passed, "\n".join(describe_failure(result))


def test_fast_passes_every_vector_through_the_runner() -> None:
    report = run_impl("fast")
    assert report.hello and report.hello["implementation"] == "fast"
    failures = ["\n".join(describe_failure(r, 4)) for r in report.results if not r.passed]
    assert report.passed, report.summary() + "\n" + "\n".join(failures[:3])


def failing(backend: object, vectors: list[dict]) -> list[str]:
    out = []
    for vector in vectors:
        result = VectorResult(vector["id"], "pass")
        judge(ABFT, vector, {"id": 1, "output": handle(vector["kind"], request_input(vector), backend)}, result)
        if not result.passed:
            out.append(vector["id"])
    return out


def test_mutant_fast_kernel_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast kernels' own tie-votes-FALSE switch (kernels.MUTANT_TIE_VOTES_FALSE, §12.6) fails exactly the
    vectors with a decisive tie, in-process through the handler and comparison the runner uses; the ring
    (no ties) still passes, and everything passes with the switch off."""
    from altledger.fast.abft import backend as fast_backend
    from altledger.fast.abft import kernels
    tied = ["dag/hand/tie-votes-true", "dag/hand/fork-hides-forker", "dag/hand/fork-both-sides-famous"]
    chosen = [v for v in VECTORS if v["id"] in tied + ["dag/hand/ring"]]
    assert failing(FastBackend(), chosen) == []
    monkeypatch.setattr(fast_backend, "MUTANT", kernels.MUTANT_TIE_VOTES_FALSE)
    assert failing(FastBackend(), chosen) == sorted(tied)

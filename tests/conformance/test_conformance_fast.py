"""The fast implementation through the same vectors and the same subprocess runner as the reference, and
a mutant showing that the comparison catches a difference in the fast code."""

from __future__ import annotations

import pytest

from altledger.conformance.runner import builtin_client, compare, environment_for_builtin, run_vectors
from altledger.conformance.suites import request_input, suite
from altledger.conformance.twopc_backends import FastBackend
from altledger.conformance.twopc_handler import handle
from altledger.conformance.vectors import load_vectors

TWOPC = suite("twopc")
VECTORS = load_vectors(TWOPC, validate=False)


def test_fast_passes_every_vector_through_the_runner() -> None:
    report = run_vectors(TWOPC, VECTORS, builtin_client("fast"), env=environment_for_builtin(), timeout=120)
    assert report.hello and report.hello["implementation"] == "fast"
    assert report.passed, report.summary() + " " + str(report.failed_ids()[:5])


def failing(vectors: list[dict]) -> list[str]:
    backend = FastBackend()
    out = []
    for vector in vectors:
        differences, _ = compare(TWOPC, vector, handle(vector["kind"], request_input(vector), backend))
        if differences:
            out.append(vector["id"])
    return out


def test_in_process_fast_matches_too() -> None:
    assert failing(VECTORS) == []


def test_mutant_fast_step_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fast step that forgets the last message it sends fails the step vectors that send something."""
    import altledger.fast.twopc as fast
    original = fast.step

    def forgetful(state, event):  # type: ignore[no-untyped-def]
        result = original(state, event)
        return type(result)(result.state, result.sent[:-1], result.log_writes, result.votes)

    monkeypatch.setattr(fast, "step", forgetful)
    caught = failing([v for v in VECTORS if v["kind"] == "step"])
    senders = [v["id"] for v in VECTORS if v["kind"] == "step" and v["expected"]["sent"]]
    assert caught == senders and len(caught) > 30


def test_mutant_fast_cluster_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fast network that ignores duplicate(n) fails the runs that duplicate messages."""
    import altledger.fast.twopc as fast
    monkeypatch.setattr(fast.Cluster, "duplicate", lambda self, n: None)
    runs = [v for v in VECTORS if v["kind"] == "run" and any(op[0] == "duplicate" for op in v["operations"])]
    noop = "run/noop/operations-that-do-not-apply"        # its duplicate(99) names no message: a no-op anyway
    assert noop in [v["id"] for v in runs]
    assert failing(runs) == [v["id"] for v in runs if v["id"] != noop]

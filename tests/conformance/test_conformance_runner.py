"""The reference passes every vector through the subprocess runner; every broken client fails where it must,
with a diff that names the differing JSON pointer.

One run of the runner per implementation (module-scoped fixtures): the
per-vector tests then read its report, so each vector is a test of its own
(``test_reference_passes_vector[<id>]``, the test the traceability page cites
for every clause a vector lists).
"""

from __future__ import annotations

import pytest

from altledger.conformance.broken_clients import BUGS
from altledger.conformance.runner import (RunReport, builtin_client, describe_failure, environment_for_builtin,
                                          run_vectors)
from altledger.conformance.suites import suite
from altledger.conformance.vectors import load_vectors

TWOPC = suite("twopc")
VECTORS = load_vectors(TWOPC)


def run_impl(impl: str, vectors: list[dict] = VECTORS) -> RunReport:
    return run_vectors(TWOPC, vectors, builtin_client(impl), env=environment_for_builtin(), timeout=120)


@pytest.fixture(scope="module")
def reference_report() -> RunReport:
    return run_impl("reference")


def test_reference_hello(reference_report: RunReport) -> None:
    assert reference_report.hello == {"protocol": "altledger-conformance/1", "implementation": "reference",
                                      "suites": ["twopc"]}
    assert reference_report.restarts == 0 and not reference_report.aborted


@pytest.mark.parametrize("vector_id", [v["id"] for v in VECTORS])
def test_reference_passes_vector(reference_report: RunReport, vector_id: str) -> None:
    """Each vector, run through ``altledger conformance client --impl reference`` as a subprocess."""
    result = next(r for r in reference_report.results if r.id == vector_id)
    assert result.passed, "\n".join(describe_failure(result))


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_broken_client_fails_on_its_vectors(bug: str) -> None:
    report = run_impl(f"broken:{bug}")
    failing = set(report.failed_ids())
    assert set(BUGS[bug].catches) <= failing, f"{bug} not caught by {set(BUGS[bug].catches) - failing}"
    assert not report.passed and not report.aborted
    assert all(r.status in ("pass", "fail") for r in report.results)    # wrong answers, not crashes


def _failure_text(bug: str, vector_id: str) -> str:
    vector = [v for v in VECTORS if v["id"] == vector_id]
    report = run_impl(f"broken:{bug}", vector)
    assert report.results[0].status == "fail"
    return "\n".join(describe_failure(report.results[0]))


def test_commit_on_no_diff_names_the_decision() -> None:
    """§8.3: the coordinator must send ABORT, not COMMIT; the diff points at the sent decisions."""
    text = _failure_text("commit-on-no", "step/coordinator-vote/no-after-yes-decides-abort")
    assert "/sent/0/message/outcome: expected \"ABORT\"" in text
    assert 'actual   "COMMIT"' in text
    assert "§8.3" in text and "NO (INSUFFICIENT_BALANCE) from shard 2" in text


def test_commit_on_no_run_diff_shows_first_divergence_and_outcome() -> None:
    text = _failure_text("commit-on-no", "run/funds/remote-insufficient")
    assert 'first divergence: after operation 3 ["deliver", 3]' in text
    assert '/outcomes/<tx v>: expected "aborted"' in text


def test_forget_prepared_diff_names_the_lost_record() -> None:
    """§9.3: after recovery a prepared participant still holds its PreparedRecord."""
    text = _failure_text("forget-prepared-on-restart", "run/crash/shard1-after-op02")
    assert 'first divergence: after operation 11 ["recover", 1]' in text
    assert '/snapshot/shards/1/log/0: missing; expected {"type":"PreparedRecord","txid":"<tx t>"}' in text


def test_end_record_forced_diff_names_the_write() -> None:
    text = _failure_text("end-record-forced", "step/coordinator-ack/last-ack-buffers-end-record")
    assert "/log_writes/0/forced: expected false" in text
    assert "/state/buffer/0: missing" in text


def test_missing_output_members_are_reported() -> None:
    """An answer without digests (or any compared member) fails with the member named."""
    from altledger.conformance.runner import VectorResult, judge
    vector = next(v for v in VECTORS if v["kind"] == "run")
    output = {k: v for k, v in vector["expected"].items() if k != "digests"}
    result = VectorResult(vector["id"], "pass")
    judge(TWOPC, vector, {"id": 1, "output": output}, result)
    assert result.status == "fail"
    assert "/digests: missing" in "\n".join(describe_failure(result))
    result = VectorResult(vector["id"], "pass")
    judge(TWOPC, vector, {"id": 1, "output": dict(vector["expected"])}, result)
    assert result.status == "pass"

"""TLC accepts the traces of a sample of run vectors, and rejects a corrupted one at the corrupted line
(spec/two_phase_commit.md §13.4).  The full set runs in ``altledger verify``."""

from __future__ import annotations

from pathlib import Path

import pytest

from altledger.conformance.suites import suite
from altledger.conformance.twopc_checks import corrupt_first_commit
from altledger.conformance.twopc_traces import TLA_DIR, record_trace, validate_traces
from altledger.conformance.vectors import load_vectors
from altledger.tla.trace import validate_trace
from altledger.tla.trace_format import read_trace

pytestmark = pytest.mark.tlc
SAMPLE = ("run/presumed-abort/coordinator-crash-while-collecting", "run/messages/everything-duplicated",
          "run/crash/shard0-after-op11")


def vector(vector_id: str) -> dict:
    return load_vectors(suite("twopc"), pattern=vector_id)[0]


def test_trace_of_a_run_vector_names_its_labels(tmp_path: Path) -> None:
    """The trace keeps the vector's labels and agent names; one line per state-changing operation."""
    v = vector("run/happy/three-participants")
    steps = record_trace(v, tmp_path / "t.jsonl")
    trace = read_trace(tmp_path / "t.jsonl")
    assert trace.header.constants["Tx"] == frozenset({"t"})
    assert {leg["agent"] for leg in trace.header.constants["Legs"]["t"]} <= set(trace.header.constants["Agents"])
    assert steps == len(trace.steps) == len(v["operations"])      # every happy-path operation changes the state
    assert [s.action for s in trace.steps][:3] == ["Submit", "Deliver", "Deliver"]


def test_sample_of_run_vector_traces_is_accepted() -> None:
    """§13.4: each sampled run is a behaviour of tla/TwoPhaseCommit.tla."""
    verdicts = validate_traces([vector(i) for i in SAMPLE], workers=2)
    assert [(v.id, v.accepted) for v in verdicts] == [(i, True) for i in SAMPLE], [v.summary for v in verdicts]
    assert all(v.steps > 5 for v in verdicts)


def test_corrupted_trace_is_rejected_at_its_line(tmp_path: Path) -> None:
    """Negative control (§13.4): a commit step that claims the balances did not change is rejected there."""
    path = tmp_path / "bad.jsonl"
    record_trace(vector("run/happy/two-participants"), path)
    line = corrupt_first_commit(path)
    result = validate_trace(path, TLA_DIR)
    assert not result.accepted and result.line == line
    assert "balance" in result.diagnosis

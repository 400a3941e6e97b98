"""Every broken hashgraph client (one §12 alternative each) fails on the vectors built to catch it, with a
readable diff naming the events; refusals are judged by class and record.

The bulk runs in-process (the built-in client's handler and the runner's
``judge``, the code a subprocess run goes through, minus the pipe); a few bugs
also run through the subprocess runner to pin the text a client team reads.
"""

from __future__ import annotations

import pytest

from altledger.conformance.abft_backends import backend
from altledger.conformance.abft_broken import BUGS, UNCAUGHT
from altledger.conformance.abft_handler import DagRejected, classify, handle
from altledger.conformance.runner import (VectorResult, builtin_client, describe_failure, environment_for_builtin,
                                          judge, run_vectors)
from altledger.conformance.suites import request_input, suite
from altledger.conformance.vectors import load_vectors
from altledger.reference.errors import AltledgerError, InputFileError

ABFT = suite("abft")
VECTORS = load_vectors(ABFT, validate=False)
BY_ID = {v["id"]: v for v in VECTORS}


def outcome(impl: str, vector: dict) -> VectorResult:
    """One vector through the built-in client's handler and the runner's judgement, in-process."""
    try:
        response = {"id": 1, "output": handle(vector["kind"], request_input(vector), backend(impl))}
    except AltledgerError as error:
        response = {"id": 1, "error": {"type": type(error).__name__, "message": str(error),
                                       **getattr(error, "details", {})}}
    result = VectorResult(vector["id"], "pass")
    judge(ABFT, vector, response, result)
    return result


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_broken_client_fails_on_its_vectors(bug: str) -> None:
    assert BUGS[bug].catches, f"{bug} names no vector that catches it"
    for vector_id in BUGS[bug].catches:
        assert outcome("reference", BY_ID[vector_id]).passed
        result = outcome(f"broken:{bug}", BY_ID[vector_id])
        assert result.status in ("fail", "error"), f"broken:{bug} passes {vector_id}"
        assert result.differences or result.message


def test_every_section_12_row_has_a_broken_client() -> None:
    """Each stated choice of §12 but §12.13 (see UNCAUGHT) has a client taking the other side."""
    rows = {c for bug in BUGS.values() for c in bug.clauses if c.startswith("§12.")}
    assert rows == {f"§12.{i}" for i in range(1, 18)} - {"§12.13"}
    assert {c for bug in UNCAUGHT.values() for c in bug.clauses if c.startswith("§12.")} == {"§12.13"}


def test_the_uncaught_alternative_is_still_uncaught() -> None:
    """§12.13's alternative passes every vector today; if a new vector catches it, move it to BUGS."""
    failing = [v["id"] for v in VECTORS if not outcome("broken:vacuous-round-received", v).passed]
    assert failing == []


# -- the text a client team reads (subprocess runner) ----------------------------------------------------


def failure_text(bug: str, vector_id: str) -> str:
    report = run_vectors(ABFT, [BY_ID[vector_id]], builtin_client(f"broken:{bug}"), env=environment_for_builtin(),
                         timeout=120)
    assert report.results[0].status == "fail", report.summary()
    return "\n".join(describe_failure(report.results[0], max_diffs=40))


def test_tie_votes_false_diff_names_the_events() -> None:
    """§12.6: with ties voting FALSE the tie DAG decides rounds it must leave open."""
    text = failure_text("tie-votes-false", "dag/hand/tie-votes-true")
    assert "/last_decided_round: expected 0" in text and "actual   2" in text
    assert "/events/D1/famous: expected null" in text


def test_lower_median_diff_names_the_timestamps() -> None:
    """§12.14: A1's timestamps are [1, 5, 6, 7]: upper median 6, lower median 5."""
    text = failure_text("lower-median", "dag/hand/ring")
    assert "/events/A1/consensus_timestamp: expected 6" in text and "actual   5" in text


def test_accepting_one_parent_is_reported_as_acceptance() -> None:
    text = failure_text("accept-one-parent", "reject/structure/self-parent-only")
    assert "the client accepted input it must refuse" in text
    assert '/error: missing; expected {"class":"one-parent","item":{"event":"m1.3"}}' in text


def test_incremental_diff_names_the_first_divergent_addition() -> None:
    """§12.7: the coin's bit; the digests first differ at an addition named by its event id."""
    text = failure_text("coin-high-bit", "incremental/adversarial/coin-steers-election")
    assert 'first divergence: after adding event "' in text
    assert "/checkpoints/" in text and "/famous: expected" in text


# -- refusals: the README's error shape ----------------------------------------------------------------------


def judged(vector: dict, response: dict) -> VectorResult:
    result = VectorResult(vector["id"], "pass")
    judge(ABFT, vector, response, result)
    return result


def test_refusals_are_judged_by_class_and_item_not_message() -> None:
    vector = BY_ID["reject/structure/unknown-creator"]
    right = {"class": "unknown-creator", "item": {"event": "m0.2"}}
    assert judged(vector, {"id": 1, "error": {"type": "Whatever", "message": "any words", **right}}).passed
    wrong = judged(vector, {"id": 1, "error": {"type": "X", "message": "", "class": "unknown-parent",
                                               "item": {"event": "m0.2"}}})
    assert wrong.status == "fail" and [d.path for d in wrong.differences] == ["/error/class"]
    elsewhere = judged(vector, {"id": 1, "error": {"class": "unknown-creator", "item": {"event": "m0.1"}}})
    assert [d.path for d in elsewhere.differences] == ["/error/item/event"]
    bare = judged(vector, {"id": 1, "error": {"type": "X", "message": "no class"}})
    assert bare.status == "fail" and {d.path for d in bare.differences} == {"/error/class", "/error/item"}
    assert judged(vector, {"id": 1, "error": "refused"}).status == "fail"
    assert judged(vector, {"id": 1, "output": {}}).status == "fail"
    assert judged(vector, {"id": 1}).status == "protocol"


def test_an_error_on_a_dag_vector_is_an_error() -> None:
    result = judged(BY_ID["dag/hand/ring"], {"id": 1, "error": {"type": "DagRejected", "message": "no"}})
    assert result.status == "error"


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["kind"] == "reject"],
                         ids=[v["id"] for v in VECTORS if v["kind"] == "reject"])
def test_reference_refuses_with_the_expected_class(vector: dict) -> None:
    with pytest.raises(DagRejected) as caught:
        handle("reject", request_input(vector), backend("reference"))
    assert caught.value.details == vector["expected"]["error"]


def test_every_error_class_has_a_vector() -> None:
    from altledger.conformance.abft_handler import ERROR_CLASSES
    assert {v["expected"]["error"]["class"] for v in VECTORS if v["kind"] == "reject"} == set(ERROR_CLASSES)


def test_an_unknown_reason_is_unclassified() -> None:
    assert classify(InputFileError("f", "event 'x'", "a new kind of problem")) == ("unclassified", {"event": "x"})
    assert classify(InputFileError("f:3", "JSON", "Expecting value")) == ("json", {})
    assert classify(InputFileError("f", "params.coin_period", "2 is less than the minimum of 3 (schema)")) == \
        ("schema", {})

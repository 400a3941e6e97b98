"""The JSON diff behind the runner's report: pointers, alignment, JSON types."""

from __future__ import annotations

from altledger.conformance.diff import ABSENT, Difference, diff, show, short_path


def test_equal_values_have_no_difference() -> None:
    value = {"a": [1, {"b": "x"}], "c": True}
    assert diff(value, {"c": True, "a": [1, {"b": "x"}]}) == []


def test_json_types_matter() -> None:
    assert diff({"n": 1}, {"n": True}) == [Difference("/n", 1, True)]
    assert diff({"n": 1}, {"n": "1"}) == [Difference("/n", 1, "1")]
    assert diff({"n": 1}, {"n": 1.0}) == [Difference("/n", 1, 1.0)]


def test_missing_and_extra_members() -> None:
    assert diff({"a": 1, "b": 2}, {"a": 1, "c": 3}) == [Difference("/b", 2, ABSENT), Difference("/c", ABSENT, 3)]


def test_one_missing_element_is_reported_once() -> None:
    expected = [{"r": 1}, {"r": 2}, {"r": 3}, {"r": 4}]
    actual = [{"r": 1}, {"r": 3}, {"r": 4}]
    assert diff(expected, actual, "/log") == [Difference("/log/1", {"r": 2}, ABSENT)]


def test_changed_element_is_diffed_inside() -> None:
    expected = [{"type": "VoteMsg", "vote": "NO", "reason": "LOCKED"}]
    actual = [{"type": "VoteMsg", "vote": "NO", "reason": "BAD_NONCE"}]
    assert diff(expected, actual, "/sent") == [Difference("/sent/0/reason", "LOCKED", "BAD_NONCE")]


def test_values_of_another_type_are_reported_whole() -> None:
    expected = {"type": "OutcomeRecord", "outcome": "ABORT"}
    actual = {"type": "CommitDecisionRecord", "participants": [0, 1]}
    assert diff(expected, actual, "/log/1") == [Difference("/log/1", expected, actual)]


def test_pointer_tokens_are_escaped() -> None:
    assert diff({"a/b": {"~": 1}}, {"a/b": {"~": 2}}) == [Difference("/a~1b/~0", 1, 2)]


def test_show_shortens_and_names() -> None:
    txid = "ab" * 32
    assert show({"txid": txid}, names={txid: "tx t"}) == '{"txid":"<tx t>"}'
    assert show(txid, names={txid: "tx t"}) == f'"{txid}"'          # a lone value is shown in full
    assert len(show(list(range(200)), width=50)) <= 50
    assert short_path(f"/outcomes/{txid}", {txid: "tx t"}) == "/outcomes/<tx t>"

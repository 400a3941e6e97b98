"""Trace validation with TLC on the demo spec: an honest run is accepted;
each kind of corruption is rejected at exactly the corrupted line with the
right diagnosis; a buggy implementation is caught.

The corruptions are placed by looking at the trace (e.g. "the first Produce
into an empty buffer"), not at hard-coded line numbers, so the tests hold
for any simulator seed.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from altledger.reference.errors import InputFileError
from altledger.tla.demo_trace import ACTIONS, VARIABLES, simulate
from altledger.tla.trace import validate_trace
from altledger.tla.trace_format import TraceWriter, read_trace
from altledger.tla.values import FnMap, Record

pytestmark = pytest.mark.tlc

REPO = Path(__file__).resolve().parents[2]
TLA = REPO / "tla"


@pytest.fixture(scope="module")
def honest(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("traces") / "honest.jsonl"
    simulate(path, producers=2, consumers=2, capacity=3, max_items=6, seed=4)
    return path


def lines_of(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def save(tmp_path: Path, lines: list[dict]) -> Path:
    path = tmp_path / "corrupt.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def states_before(path: Path) -> list[dict]:
    """states_before(path)[i] is the full state before file line i + 2."""
    return read_trace(path).states()


def test_an_honest_run_is_accepted(honest, tmp_path):
    result = validate_trace(honest, TLA, workdir=tmp_path / "work")  # keeps the generated module
    assert result.accepted, result.summary()
    assert result.steps == result.matched == len(lines_of(honest)) - 1
    assert result.summary() == f"accepted ({result.steps} steps)"
    assert result.line is None and result.workdir == str(tmp_path / "work")
    text = (tmp_path / "work" / "Demo_TraceCheck.tla").read_text()
    assert text.startswith("---- MODULE Demo_TraceCheck ----") and "EXTENDS Demo," in text
    assert sorted(p.name for p in TLA.glob("Demo_Trace*")) == []  # nothing written next to the spec


def test_a_run_longer_than_one_chunk_is_accepted(tmp_path):
    path = tmp_path / "long.jsonl"
    steps = simulate(path, max_items=150, seed=9)  # 601 steps: three chunks of 250
    result = validate_trace(path, TLA)
    assert result.accepted and result.steps == steps == 601


def first_line(lines: list[dict], states: list[dict], test) -> int:
    """Index in ``lines`` of the first step satisfying test(step, state before)."""
    for i in range(1, len(lines)):
        if test(lines[i], states[i - 1]):
            return i
    raise AssertionError("the simulated run has no such step; change the seed")


def corrupt_wrong_action_not_enabled(lines, states):
    i = first_line(lines, states, lambda s, st: s["action"] == "Produce" and st["buffer"] == ())
    lines[i] = {"action": "Consume", "params": {"c": "c1"}, "changed": lines[i]["changed"]}
    return i, 'action Consume(c = "c1") is not enabled in this state'


def corrupt_wrong_action_enabled(lines, states):
    i = first_line(lines, states, lambda s, st: s["action"] == "Consume" and len(st["buffer"]) < 3
                   and st["sent"]["p1"] < 6)
    lines[i] = {"action": "Produce", "params": {"p": "p1"}, "changed": lines[i]["changed"]}
    return i, "enabled, but the spec allows buffer = "


def corrupt_wrong_param(lines, states):
    i = first_line(lines, states, lambda s, st: s["action"] == "Consume" and s["params"]["c"] == "c1")
    lines[i]["params"]["c"] = "c2"
    before = states[i - 1]["taken"]
    spec_allows = f"[c1 |-> {before['c1']}, c2 |-> {before['c2'] + 1}]"
    trace_has = f"[c1 |-> {before['c1'] + 1}, c2 |-> {before['c2']}]"
    return i, f"enabled, but the spec allows taken = {spec_allows} where the trace has {trace_has}"


def corrupt_wrong_value(lines, states):
    i = first_line(lines, states, lambda s, st: s["action"] == "Produce")
    lines[i]["changed"]["buffer"][-1]["n"] += 1
    return i, "enabled, but the spec allows buffer = "


def corrupt_undeclared_change(lines, states):
    i = first_line(lines, states, lambda s, st: s["action"] == "Consume" and len(st["buffer"]) >= 2)
    del lines[i]["changed"]["taken"]
    return i, "(unchanged: the trace does not list it in changed)"


def corrupt_dropped_line(lines, states):
    i = first_line(lines, states, lambda s, st: s["action"] == "Produce" and len(st["buffer"]) >= 1)
    del lines[i]
    return i, "enabled, but the spec allows" if lines[i]["action"] == "Produce" else "the spec allows"


def corrupt_swapped_lines(lines, states):
    i = first_line(lines, states, lambda s, st: s["action"] == "Produce" and st["buffer"] == ())
    assert lines[i + 1]["action"] == "Consume" or lines[i + 1]["action"] == "Produce"
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return i, ""


def corrupt_param_outside_the_spec(lines, states):
    i = first_line(lines, states, lambda s, st: s["action"] == "Produce" and st["sent"]["p1"] >= 1)
    lines[i]["params"]["p"] = "p9"
    return i, "TLC could not evaluate"


CORRUPTIONS = [corrupt_wrong_action_not_enabled, corrupt_wrong_action_enabled, corrupt_wrong_param,
               corrupt_wrong_value, corrupt_undeclared_change, corrupt_dropped_line, corrupt_swapped_lines,
               corrupt_param_outside_the_spec]


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=[c.__name__.removeprefix("corrupt_") for c in CORRUPTIONS])
def test_corrupted_runs_are_rejected_at_the_corrupted_line(honest, tmp_path, corrupt):
    lines, states = lines_of(honest), states_before(honest)
    plain_states = [{k: _plain(v) for k, v in s.items()} for s in states]
    index, diagnosis = corrupt(lines, plain_states)
    path = save(tmp_path, lines)
    result = validate_trace(path, TLA)
    assert not result.accepted
    assert result.line == index + 1, result.summary()         # file lines count from 1
    step = lines[index]
    assert result.action.startswith(f"{step['action']}(")
    assert diagnosis in result.diagnosis, result.diagnosis
    if "where the trace has" in diagnosis:
        assert result.diagnosis == diagnosis
    assert result.summary().startswith(f"rejected at line {index + 1}: action {result.action} — ")
    assert result.matched == index - 1


def _plain(value):
    """Python values as the JSON lines show them (maps as dicts)."""
    if isinstance(value, (FnMap, Record, dict)):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def test_a_wrong_initial_state_is_rejected_at_line_1(honest, tmp_path):
    lines = lines_of(honest)
    lines[0]["init"]["sent"] = {"#map": [["p1", 0], ["p2", 1]]}
    result = validate_trace(save(tmp_path, lines), TLA)
    assert not result.accepted and result.line == 1 and result.action is None
    assert result.diagnosis == ("the header's init is not an initial state: the spec's Init allows "
                                "sent = [p1 |-> 0, p2 |-> 0] where the trace has [p1 |-> 0, p2 |-> 1]")


def test_a_buggy_implementation_is_caught(tmp_path):
    """Mutant implementation: consumers take the NEWEST item (LIFO)."""
    path = tmp_path / "lifo.jsonl"
    rng = random.Random(2)
    ps, cs = ["p1", "p2"], ["c1", "c2"]
    buffer, sent, delivered, taken = [], dict.fromkeys(ps, 0), dict.fromkeys(ps, 0), dict.fromkeys(cs, 0)

    def state():
        return {"buffer": list(buffer), "sent": FnMap(sent), "delivered": FnMap(delivered), "taken": FnMap(taken)}

    constants = {"Producers": set(ps), "Consumers": set(cs), "Capacity": 3, "MaxItems": 5}
    first_bad_line = None
    with TraceWriter(path, "Demo", constants, VARIABLES, state(), ACTIONS) as w:
        while any(sent[p] < 5 for p in ps) or buffer:
            if buffer and (len(buffer) == 3 or all(sent[p] == 5 for p in ps) or rng.random() < 0.4):
                c = rng.choice(cs)
                if len(buffer) >= 2 and first_bad_line is None:
                    first_bad_line = w.steps + 2
                item = buffer.pop()  # the bug: should be buffer.pop(0)
                delivered[item["from"]] += 1
                taken[c] += 1
                w.step("Consume", {"c": c}, state=state())
            else:
                p = rng.choice([p for p in ps if sent[p] < 5])
                sent[p] += 1
                buffer.append(Record({"from": p, "n": sent[p]}))
                w.step("Produce", {"p": p}, state=state())
    assert first_bad_line is not None
    result = validate_trace(path, TLA)
    assert not result.accepted and result.line == first_bad_line
    assert result.diagnosis.startswith("enabled, but the spec allows buffer = ")


@pytest.mark.parametrize("change, reason", [
    (lambda h: h["constants"].pop("Capacity"), "TLC rejected the generated check module"),
    (lambda h: h["actions"].update(Fly=[]), "TLC rejected the generated check module"),
    (lambda h: h["actions"].update(Done=["x"]), "TLC rejected the generated check module"),
    (lambda h: h["constants"].update(Capacity=0), "assumption false"),
    (lambda h: (h["vars"].append("extra"), h["init"].update(extra=0)), "not in the spec: extra"),
    (lambda h: h.update(spec="NoSuchSpec"), "not found"),
])
def test_a_header_that_does_not_fit_the_spec_is_an_input_error(honest, tmp_path, change, reason):
    lines = lines_of(honest)[:3]
    change(lines[0])
    path = save(tmp_path, lines)
    with pytest.raises(InputFileError, match=reason) as info:
        validate_trace(path, TLA)
    assert info.value.location == f"{path}:1"


def test_mutant_validator_without_unchanged_pins_misses_a_forgotten_change(honest, tmp_path, monkeypatch):
    """The rejection tests above can fail: with the UNCHANGED pins removed from
    the generated module, a step that forgets to list a changed variable is
    (wrongly) accepted."""
    import altledger.tla.trace as trace_module

    real = trace_module.check_module

    def without_unchanged(trace):
        name, text, cfg = real(trace)
        weakened = re.sub(r"ELSE UNCHANGED \w+", "ELSE TRUE", text)
        assert weakened != text
        return name, weakened, cfg

    lines, states = lines_of(honest), [{k: _plain(v) for k, v in s.items()} for s in states_before(honest)]
    corrupt_undeclared_change(lines, states)
    path = save(tmp_path, lines)
    monkeypatch.setattr(trace_module, "check_module", without_unchanged)
    assert validate_trace(path, TLA).accepted

"""The altledger-trace/1 reader and writer (no TLC needed).

Why so many malformed cases: a trace that is silently misread would be
"validated" against something the implementation never did, so every defect
must be an InputFileError that names the file and line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from altledger.reference.errors import InputFileError
from altledger.tla.demo_trace import simulate
from altledger.tla.trace import check_module, declared_variables
from altledger.tla.trace_format import FORMAT, TraceWriter, read_trace
from altledger.tla.values import FnMap, Record

REPO = Path(__file__).resolve().parents[2]

HEADER = {
    "format": FORMAT, "spec": "Demo",
    "constants": {"Producers": {"#set": ["p1"]}, "Consumers": {"#set": ["c1"]}, "Capacity": 1, "MaxItems": 1},
    "vars": ["buffer", "sent", "delivered", "taken"],
    "init": {"buffer": [], "sent": {"#map": [["p1", 0]]}, "delivered": {"#map": [["p1", 0]]},
             "taken": {"#map": [["c1", 0]]}},
    "actions": {"Produce": ["p"], "Consume": ["c"], "Done": []},
}
STEP = {"action": "Produce", "params": {"p": "p1"},
        "changed": {"buffer": [{"from": "p1", "n": 1}], "sent": {"#map": [["p1", 1]]}}}


def write_lines(tmp_path: Path, lines: list) -> Path:
    path = tmp_path / "run.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_reading_a_well_formed_trace(tmp_path):
    path = write_lines(tmp_path, [HEADER, STEP, "", {"action": "Done"}])
    trace = read_trace(path)
    assert trace.header.variables == ["buffer", "sent", "delivered", "taken"]
    assert trace.header.constants["Producers"] == frozenset({"p1"})
    assert [s.line for s in trace.steps] == [2, 4]                  # blank lines keep numbering
    assert trace.steps[0].changed["buffer"] == (Record({"from": "p1", "n": 1}),)
    assert trace.steps[1].params == {} and trace.steps[1].changed == {}
    assert trace.steps[0].call() == 'Produce(p = "p1")'
    states = trace.states()
    assert states[1]["sent"] == FnMap({"p1": 1}) and states[2] == states[1]


def header_with(**changes):
    h = json.loads(json.dumps(HEADER))
    for key, value in changes.items():
        if value is None:
            del h[key]
        else:
            h[key] = value
    return h


@pytest.mark.parametrize("lines, line, reason", [
    ([], 1, "empty"),
    (["not json"], 1, "not JSON"),
    ([[1, 2]], 1, "JSON object"),
    ([header_with(format="altledger-trace/2")], 1, "format"),
    ([header_with(vars=None)], 1, "missing vars"),
    ([header_with(extra=1)], 1, "unknown extra"),
    ([header_with(spec="no spaces")], 1, "module name"),
    ([header_with(vars=["buffer", "buffer"])], 1, "distinct"),
    ([header_with(init={"buffer": []})], 1, "exactly the vars"),
    ([header_with(actions={"Produce": "p"})], 1, "distinct parameter names"),
    ([header_with(actions={"bad name": []})], 1, "not a TLA"),
    ([header_with(constants={"N": 1.5})], 1, "not an integer"),
    ([header_with(constants={"N": {"#unserializable": "m"}})], 1, "model values"),
    ([HEADER, "{oops"], 2, "not JSON"),
    ([HEADER, STEP, {"action": "Fly"}], 3, "not in the header's actions"),
    ([HEADER, {"action": ["Produce"]}], 2, "not in the header's actions"),
    ([HEADER, {"action": "Produce", "params": {"q": "p1"}}], 2, "params must be exactly"),
    ([HEADER, {"action": "Produce"}], 2, "params must be exactly"),
    ([HEADER, {"action": "Produce", "params": {"p": "p1"}, "changed": {"bogus": 1}}], 2, "not among"),
    ([HEADER, {"action": "Produce", "params": {"p": "p1"}, "changed": []}], 2, "JSON object"),
    ([HEADER, {"action": "Produce", "params": {"p": "p1"}, "extra": 1}], 2, "unknown key"),
    ([HEADER, {"action": "Produce", "params": {"p": {"#set": 1}}}], 2, "/params/p"),
    ([HEADER, {"action": "Produce", "params": {"p": "p\u00e9"}}], 2, "/params/p: character 'é' cannot appear"),
    ([header_with(constants={"N": "tab\u0001"})], 1, "/constants/N: character"),
    ([HEADER, STEP, STEP, {"action": "Done", "changed": {"buffer": {"#map": [[1]]}}}], 4, "pair"),
])
def test_malformed_traces_are_located(tmp_path, lines, line, reason):
    path = write_lines(tmp_path, lines) if lines else tmp_path / "empty.jsonl"
    if not lines:
        path.write_text("")
    with pytest.raises(InputFileError, match=reason) as info:
        read_trace(path)
    assert info.value.location == f"{path}:{line}"


def test_unreadable_files(tmp_path):
    with pytest.raises(InputFileError, match="cannot read"):
        read_trace(tmp_path / "missing.jsonl")
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(InputFileError, match="UTF-8"):
        read_trace(bad)


def test_writer_records_only_what_changed(tmp_path):
    path = tmp_path / "w.jsonl"
    init = {"x": 0, "s": set()}
    with TraceWriter(path, "M", {"N": 3}, ["x", "s"], init, {"Add": ["v"], "Tick": []}) as w:
        w.step("Add", {"v": 2}, state={"x": 0, "s": {2}})
        w.step("Tick", state={"x": 1, "s": {2}})
        w.step("Tick", changed={"x": 2})
        with pytest.raises(ValueError):
            w.step("Add", {"w": 1}, changed={})
        with pytest.raises(ValueError):
            w.step("Tick", state={"x": 1, "s": set()}, changed={"x": 1})
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert lines[0]["init"] == {"x": 0, "s": {"#set": []}}
    assert [line["changed"] for line in lines[1:]] == [{"s": {"#set": [2]}}, {"x": 1}, {"x": 2}]
    assert read_trace(path).steps[2].changed == {"x": 2}


def test_the_demo_simulator_writes_valid_traces(tmp_path):
    path = tmp_path / "demo.jsonl"
    steps = simulate(path, producers=3, consumers=2, capacity=2, max_items=4, seed=5)
    trace = read_trace(path)
    assert steps == len(trace.steps) == 2 * 3 * 4 + 1 and trace.steps[-1].action == "Done"
    final = trace.states()[-1]
    assert final["buffer"] == () and final["sent"] == FnMap({"p1": 4, "p2": 4, "p3": 4})
    assert sum(final["taken"].values()) == 12


def test_the_header_vars_must_be_the_spec_variables():
    assert declared_variables(REPO / "tla" / "Demo.tla") == ["buffer", "sent", "delivered", "taken"]


def test_generated_module_is_chunked_and_deterministic(tmp_path):
    path = tmp_path / "demo.jsonl"
    simulate(path, max_items=200, seed=1)
    trace = read_trace(path)
    name, text, cfg = check_module(trace)
    assert name == "Demo_TraceCheck" and text == check_module(read_trace(path))[1]
    assert "TC_Trace == TC_Part1 \\o TC_Part2 \\o TC_Part3 \\o TC_Part4" in text
    assert "Producers <- TC_Const_Producers" in cfg and "INIT TC_InitPred" in cfg
    assert 'sent |-> [p1 |-> 1, p2 |-> 0]' in text  # string-keyed functions written as records

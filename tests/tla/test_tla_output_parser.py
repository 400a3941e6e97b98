"""The TLC output parser, on real TLC 2.15 output captured in tests/tla/data
(regenerate with tests/tla/data/capture.py; captured.json holds exit codes).

Why captured files: they pin the parser to what TLC actually prints (message
codes, state layout, SANY's untagged errors) without paying for a JVM in
every test; test_tla_tlc_run.py runs TLC live.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from altledger.tla.tlc_output import (EXIT_CODES, Outcome, exit_meaning, parse_dump, parse_output,
                                      parse_state_body, render_counterexample, split_messages)
from altledger.tla.values import FnMap, ModelValue, Opaque, Record

DATA = Path(__file__).parent / "data"
CAPTURED = json.loads((DATA / "captured.json").read_text())


def parsed(name: str):
    return parse_output((DATA / f"{name}.out").read_text(), CAPTURED[name]["exit_code"])


def test_every_captured_run_is_classified():
    expected = {
        "demo_success": Outcome.SUCCESS, "demo_invariant": Outcome.INVARIANT,
        "demo_simulation": Outcome.SUCCESS, "demo_simulation_violation": Outcome.INVARIANT,
        "counter_invariant_long": Outcome.INVARIANT, "lasso": Outcome.PROPERTY,
        "stuttering": Outcome.PROPERTY, "deadlock": Outcome.DEADLOCK, "assumption": Outcome.ASSUMPTION,
        "config_undefined": Outcome.CONFIG_ERROR, "config_syntax": Outcome.CONFIG_ERROR,
        "parse_syntax": Outcome.PARSE_ERROR, "parse_semantic": Outcome.PARSE_ERROR,
        "eval_error": Outcome.EVAL_ERROR, "values_initial": Outcome.INVARIANT,
    }
    assert set(expected) == set(CAPTURED)
    for name, outcome in expected.items():
        assert parsed(name).outcome == outcome, name


def test_success_statistics():
    r = parsed("demo_success")
    assert (r.generated, r.distinct, r.queue, r.depth) == (180, 85, 0, 9)
    assert r.version.startswith("TLC2 Version 2.15")
    assert r.tlc_time.endswith("ms") and r.counterexample is None and r.exit_code == 0


def test_invariant_violation_with_a_multi_state_trace():
    r = parsed("counter_invariant_long")
    assert r.violated == "Small" and r.headline() == "invariant Small is violated"
    states = r.counterexample.states
    assert [s.number for s in states] == [1, 2, 3, 4, 5]
    assert [s.values["x"] for s in states] == [0, 1, 2, 3, 4]  # a one-variable spec: no "/\"
    assert states[0].action is None and states[1].action == "Next"
    assert states[1].location.startswith("line 9, col 9") and states[1].location.endswith("of module Counter")


def test_demo_counterexample_values_are_python_values():
    r = parsed("demo_invariant")
    assert r.violated == "NeverFull" and r.exit_code == 12
    last = r.counterexample.states[-1]
    assert last.action == "Produce"
    p1 = ModelValue("p1")
    assert last.values["buffer"] == (Record({"from": p1, "n": 1}), Record({"from": p1, "n": 2}))
    assert last.values["sent"] == FnMap({p1: 2, ModelValue("p2"): 0})


def test_readable_printer_shows_only_changed_variables():
    text = render_counterexample(parsed("demo_invariant").counterexample)
    blocks = text.split("State ")[1:]
    assert "taken =" in blocks[0] and "delivered =" in blocks[0]          # first state: all
    assert "buffer =" in blocks[1] and "sent =" in blocks[1]
    assert "taken =" not in blocks[1] and "delivered =" not in blocks[1]  # unchanged: hidden
    full = render_counterexample(parsed("demo_invariant").counterexample, changed_only=False)
    assert full.count("taken =") == 3


def test_json_form_uses_itf():
    data = parsed("demo_invariant").as_json()
    json.dumps(data)
    state = data["counterexample"]["states"][1]
    assert state["action"] == "Produce"
    assert state["values"]["buffer"] == [{"from": {"#unserializable": "p1"}, "n": 1}]
    assert data["outcome"] == "invariant violated" and data["violated"] == "NeverFull"


def test_liveness_lasso_back_to_state():
    r = parsed("lasso")
    assert r.exit_code == 13 and r.violated is None  # TLC 2.15 does not name the property
    trace = r.counterexample
    assert [s.values["x"] for s in trace.states] == [0, 1, 2]
    assert trace.loop_to == 1 and trace.loop_action == "Inc" and not trace.stuttering
    assert "Back to state 1 via Inc" in render_counterexample(trace)


def test_liveness_stuttering():
    trace = parsed("stuttering").counterexample
    assert trace.stuttering and trace.loop_to is None and len(trace.states) == 1
    assert "Stuttering" in render_counterexample(trace)


def test_deadlock_trace():
    r = parsed("deadlock")
    assert r.exit_code == 11 and r.message == "Deadlock reached."
    assert [s.values["x"] for s in r.counterexample.states] == [0, 1, 2, 3]


def test_assumption_and_config_errors_carry_tlc_messages():
    assert "line 5, col 8" in parsed("assumption").message
    undefined = parsed("config_undefined")
    assert "The invariant Nope" in undefined.message and undefined.exit_code == 151
    syntax = parsed("config_syntax")
    assert "at line 3" in syntax.message and "expecting = or <-" in syntax.message
    assert syntax.exit_code == 255


def test_parse_errors_are_located():
    (syntax,) = parsed("parse_syntax").parse_errors
    assert syntax.file.endswith("Syntax.tla") and (syntax.line, syntax.column) == (5, 20)
    assert str(syntax).endswith(f"Syntax.tla:5:20: {syntax.message}")
    (semantic,) = parsed("parse_semantic").parse_errors
    assert semantic.file.endswith("Semantic.tla") and (semantic.line, semantic.column) == (5, 14)
    assert "Unknown operator" in semantic.message
    assert parsed("parse_syntax").headline().startswith("parse error: ")


def test_evaluation_error_keeps_the_cause_and_the_partial_trace():
    r = parsed("eval_error")
    assert r.headline().startswith("evaluation error: Attempted to apply tuple <<1>> to integer 3")
    assert "TLC threw an unexpected exception" not in r.message
    assert r.counterexample.states[0].values["x"] == (1,)


def test_simulation_mode():
    r = parsed("demo_simulation")
    assert r.mode == "simulation" and r.generated == 1001 and r.distinct is None
    v = parsed("demo_simulation_violation")
    assert v.mode == "simulation" and v.violated == "NeverFull" and len(v.counterexample.states) == 3


def test_every_kind_of_value_in_an_initial_state_violation():
    values = parsed("values_initial").counterexample.states[0].values
    assert values["a"] == 'q"uo\\te\nnl\ttab'
    assert values["b"] == -5
    assert values["c"] == frozenset({frozenset(), frozenset({ModelValue("M1")}), frozenset({1, 2})})
    assert values["d"] == Record({"r": (1, "x"), "s": frozenset({True, False})})
    assert values["e"] == FnMap({0: "z", 1: "o"})
    assert len(values["f"]) == 30 and values["f"][29] == Record({"val": 30000000, "name": "some long name here"})
    assert values["g"] == frozenset({2, 3, 4, 5})
    assert values["h"] == Record({"a": "a", "b": "b"})
    assert values["i"] == frozenset({(3, 3)})
    assert values["j"] == frozenset({frozenset(), frozenset({1}), frozenset({2}), frozenset({1, 2})})
    assert values["k"] == ()
    assert values["l"] == FnMap({frozenset({3}): Record({"q": 1}), frozenset({1, 2}): ModelValue("M2")})
    assert not any(isinstance(v, Opaque) for v in values.values())


def test_nested_messages_do_not_leak_into_each_other():
    text = ("@!@!@STARTMSG 1000:1 @!@!@\nouter\n: @!@!@STARTMSG 5006:0 @!@!@\ninner\n"
            "@!@!@ENDMSG 5006 @!@!@\n@!@!@ENDMSG 1000 @!@!@\nloose text\n")
    messages, loose = split_messages(text)
    assert [(m.code, m.text) for m in messages] == [(1000, "outer\n: "), (5006, "inner")]
    assert loose.strip() == "loose text"


def test_truncated_output_still_parses():
    text = (DATA / "demo_invariant.out").read_text()
    r = parse_output(text[: len(text) // 2], None)
    assert r.outcome in (Outcome.INVARIANT, Outcome.OTHER)


def test_state_bodies_and_dumps():
    values, texts = parse_state_body("/\\ x = <<1,\n  2>>\n/\\ y = \"a\"\n")
    assert values == {"x": (1, 2), "y": "a"} and texts["x"] == "<<1, 2>>"
    dump = "State 1:\n/\\ x = 0\n/\\ y = TRUE\n\nState 2:\n/\\ x = 1\n/\\ y = FALSE\n\n"
    assert parse_dump(dump) == [{"x": 0, "y": True}, {"x": 1, "y": False}]


@pytest.mark.parametrize("code", sorted(EXIT_CODES))
def test_every_exit_code_has_a_meaning(code):
    assert exit_meaning(code) == EXIT_CODES[code] and len(EXIT_CODES[code]) > 10


def test_unknown_and_missing_exit_codes():
    assert "unknown TLC exit status 42" == exit_meaning(42)
    assert "signal 9" in exit_meaning(-9)
    assert "did not exit" in exit_meaning(None)

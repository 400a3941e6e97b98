"""The TLC runner, live: real TLC 2.15 on the demo spec.

Why an independent Python enumeration: the state count TLC reports is only
worth printing if it is right, so it is compared with a breadth-first search
of the same system written in Python, not with a number copied from TLC.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from altledger.reference.errors import ToolError
from altledger.tla.tlc import find_jar, run_tlc
from altledger.tla.tlc_output import Outcome

pytestmark = pytest.mark.tlc

REPO = Path(__file__).resolve().parents[2]
TLA = REPO / "tla"


def demo_state_graph(producers: int, consumers: int, capacity: int, max_items: int) -> tuple[int, int]:
    """(distinct states, BFS levels) of Demo.tla, enumerated in Python."""
    ps, cs = range(producers), range(consumers)
    init = ((), (0,) * producers, (0,) * producers, (0,) * consumers)
    seen, frontier, levels = {init}, [init], 0
    while frontier:
        levels += 1
        nxt = []
        for buffer, sent, delivered, taken in frontier:
            succ = []
            for p in ps:
                if sent[p] < max_items and len(buffer) < capacity:
                    s = list(sent)
                    s[p] += 1
                    succ.append((buffer + ((p, s[p]),), tuple(s), delivered, taken))
            if buffer:
                head = buffer[0][0]
                d = list(delivered)
                d[head] += 1
                for c in cs:
                    t = list(taken)
                    t[c] += 1
                    succ.append((buffer[1:], sent, tuple(d), tuple(t)))
            for state in succ:
                if state not in seen:
                    seen.add(state)
                    nxt.append(state)
        frontier = nxt
    return len(seen), levels


def test_demo_ci_config_state_count_matches_an_independent_enumeration():
    phases = []
    result = run_tlc(TLA / "Demo.tla", TLA / "Demo.ci.cfg", on_progress=lambda p: phases.append(
        (p.phase, p.distinct)), tick=0.2)
    assert result.outcome == Outcome.SUCCESS, result.headline()
    assert (result.distinct, result.depth) == demo_state_graph(2, 2, 2, 2)
    assert result.generated >= result.distinct and result.queue == 0 and result.exit_code == 0
    assert result.seconds > 0 and not result.warnings
    assert phases and phases[-1] == ("finished", result.distinct)
    assert {"parsing", "exploring"} <= {phase for phase, _ in phases}


def test_demo_negative_control_is_refuted_with_a_shortest_trace():
    result = run_tlc(TLA / "Demo.tla", TLA / "Demo.broken.cfg")
    assert result.outcome == Outcome.INVARIANT and result.violated == "NeverFull" and result.exit_code == 12
    states = result.counterexample.states
    assert len(states) == 3  # Capacity = 2 produce steps after the initial state
    assert [s.action for s in states] == [None, "Produce", "Produce"]
    assert len(states[-1].values["buffer"]) == 2


def test_the_safety_invariant_catches_a_buggy_spec(tmp_path):
    """Mutant: Consume forgets to remove the item (a duplicated delivery)."""
    text = (TLA / "Demo.tla").read_text()
    assert text.count("buffer' = Tail(buffer)") == 1
    (tmp_path / "Demo.tla").write_text(text.replace("buffer' = Tail(buffer)", "buffer' = buffer"))
    shutil.copy(TLA / "Demo.ci.cfg", tmp_path / "Demo.ci.cfg")
    result = run_tlc(tmp_path / "Demo.tla", tmp_path / "Demo.ci.cfg")
    assert result.outcome == Outcome.INVARIANT and result.violated == "Safety"
    assert result.counterexample.states[-1].action == "Consume"


def test_simulation_mode(tmp_path):
    result = run_tlc(TLA / "Demo.tla", TLA / "Demo.ci.cfg", simulate=True, depth=10, num=20, seed=3)
    assert result.outcome == Outcome.SUCCESS and result.mode == "simulation"
    assert result.generated == 20 * 10 + 1


def test_runs_leave_nothing_behind(tmp_path, monkeypatch):
    before = sorted(p.name for p in TLA.iterdir())
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    run_tlc(TLA / "Demo.tla", TLA / "Demo.broken.cfg")
    assert sorted(p.name for p in TLA.iterdir()) == before
    assert not (TLA / "states").exists()
    assert list(tmp_path.iterdir()) == []  # the scratch directory is gone too


def test_timeout_stops_tlc():
    result = run_tlc(TLA / "Demo.tla", TLA / "Demo.ci.cfg", timeout=0.05, tick=0.01)
    assert result.outcome == Outcome.OTHER and "timeout" in result.message


def test_missing_java_is_a_clear_tool_error(monkeypatch):
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(ToolError, match="apt-get install default-jre-headless"):
        run_tlc(TLA / "Demo.tla", TLA / "Demo.ci.cfg")


def test_jar_override(monkeypatch, tmp_path):
    default = find_jar()
    assert default.name == "tla2tools.jar" and default.is_file()
    monkeypatch.setenv("TLA2TOOLS_JAR", str(tmp_path / "nope.jar"))
    with pytest.raises(ToolError, match="TLA2TOOLS_JAR"):
        find_jar()
    monkeypatch.setenv("TLA2TOOLS_JAR", str(default))
    assert find_jar() == default


def test_missing_spec_or_config():
    with pytest.raises(ToolError, match="spec not found"):
        run_tlc(TLA / "NoSuchSpec.tla", TLA / "Demo.ci.cfg")
    with pytest.raises(ToolError, match="config not found"):
        run_tlc(TLA / "Demo.tla", TLA / "Demo.nope.cfg")

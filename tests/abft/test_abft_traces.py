"""Simulator runs projected onto tla/ABFT.tla (reference/abft/trace.py) and
checked by TLC: real runs, with and without forks, are accepted; doctored
runs are rejected at the right line; a reference with a §12 deviation
injected is caught; an adversarial DAG replayed as a run brings TLC coin
votes, and inverting them is caught at the first decision they steer.
About 85 s in all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from altledger.reference.abft import hashgraph
from altledger.reference.abft.simulate import Create, Learn, simulate
from altledger.reference.abft.trace import (signature_projection, hash_projection, timestamp_projection,
                                            write_trace)
from altledger.tla.trace import validate_trace

TLA = Path(__file__).resolve().parents[2] / "tla"

pytestmark = pytest.mark.timeout(300)


def honest_run():
    return simulate(3, 36, 4, stakes=[3, 3, 3], coin_period=3)


def forking_run():
    return simulate(3, 36, 4, stakes=[1, 3, 3], forkers=1, coin_period=3)


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def write_lines(path: Path, objs: list[dict]) -> None:
    path.write_text("".join(json.dumps(o) + "\n" for o in objs))


# -- accepted ---------------------------------------------------------------

def test_honest_run_with_decisions_and_order_is_accepted(tmp_path):
    summary = write_trace(honest_run(), tmp_path / "honest.trace")
    assert summary.counts["Decide"] > 0 and summary.counts["Deliver"] > 0
    result = validate_trace(tmp_path / "honest.trace", TLA)
    assert result.accepted, result.summary()
    assert result.steps == summary.steps


def test_forking_run_is_accepted(tmp_path):
    sim = forking_run()
    assert sim.forks > 0
    summary = write_trace(sim, tmp_path / "forks.trace")
    assert summary.counts["ForkingCreate"] > 0 and summary.counts["Decide"] > 0
    result = validate_trace(tmp_path / "forks.trace", TLA)
    assert result.accepted, result.summary()


def test_the_runs_verify_validates_deliver_events_and_fork(tmp_path):
    """``altledger verify`` validates these seeded runs with TLC; a run that delivers nothing checks
    no consensus order, so a simulator change that silences one must show here, in ``make test``."""
    from altledger.conformance.abft_checks import SIMULATIONS, _simulate
    forks = 0
    for spec in SIMULATIONS:
        sim = _simulate(spec)
        summary = write_trace(sim, tmp_path / f"seed{spec[2]}.trace")
        assert summary.counts.get("Deliver"), f"seed {spec[2]} delivers nothing"
        forks += sim.forks > 0
    assert forks >= 3


# -- rejected ---------------------------------------------------------------

def test_a_wrong_fame_decision_is_rejected_at_its_line(tmp_path):
    path = tmp_path / "wrong-fame.trace"
    write_trace(honest_run(), path)
    objs = lines(path)
    k = next(i for i, o in enumerate(objs) if o.get("action") == "Decide")
    step = objs[k]
    member, w, v = step["params"]["m"], step["params"]["w"], step["params"]["v"]
    step["params"]["v"] = not v
    for key, table in step["changed"]["decided"]["#map"]:
        if key == member:
            table["#map"] = [[x, (not val) if x == w else val] for x, val in table["#map"]]
    # later lines carry the member's whole decision table: keep them consistent
    for later in objs[k + 1:]:
        for key, table in later.get("changed", {}).get("decided", {"#map": []})["#map"]:
            if key == member:
                table["#map"] = [[x, (not val) if x == w else val] for x, val in table["#map"]]
    write_lines(path, objs)
    result = validate_trace(path, TLA)
    assert not result.accepted
    assert result.line == k + 1 and result.action.startswith("Decide(")
    assert "not enabled" in result.diagnosis


def test_an_event_learnt_before_its_parent_is_rejected_at_its_line(tmp_path):
    sim = honest_run()
    ops = list(sim.log.operations)
    parents = {op.event: {op.self_parent, op.other_parent} for op in ops if isinstance(op, Create)}
    # a member learning, in one sync, an event right after one of its parents: swap the two
    i = next(i for i in range(len(ops) - 1)
             if isinstance(ops[i], Learn) and isinstance(ops[i + 1], Learn)
             and ops[i].member == ops[i + 1].member and ops[i].event in parents[ops[i + 1].event])
    ops[i], ops[i + 1] = ops[i + 1], ops[i]
    path = tmp_path / "parent-order.trace"
    write_trace(sim, path, operations=ops, outputs=False)
    objs = lines(path)
    child = ops[i].event
    expected = next(n for n, o in enumerate(objs, 1) if o.get("action") == "Learn"
                    and o["params"]["m"] == ops[i].member
                    and o["params"]["e"] == [c.event for c in ops if isinstance(c, Create)].index(child) + 1)
    result = validate_trace(path, TLA)
    assert not result.accepted
    assert result.line == expected and result.action.startswith("Learn(")
    assert "not enabled" in result.diagnosis


def test_a_reference_without_whitening_is_caught(tmp_path, monkeypatch):
    """The deliberate bug: order by the raw signature (a §12.15 alternative)."""
    monkeypatch.setattr(hashgraph, "whitened_signature",
                        lambda g, x: int.from_bytes(g.event(x).signature, "big"))
    path = tmp_path / "unwhitened.trace"
    write_trace(honest_run(), path)
    result = validate_trace(path, TLA)
    assert not result.accepted
    assert result.action.startswith("Deliver(")


# -- the projection itself --------------------------------------------------

def test_timestamps_are_kept_or_ranked():
    assert timestamp_projection([5, 0, 5, 9]) == {0: 0, 5: 5, 9: 9}
    big = [2**40, 3, 2**40 + 1]
    assert timestamp_projection(big) == {3: 0, 2**40: 1, 2**40 + 1: 2}


def whitened_order(sigs: list[bytes], mask: bytes) -> list[int]:
    return sorted(range(len(sigs)), key=lambda i: bytes(a ^ b for a, b in zip(sigs[i], mask)))


@given(st.lists(st.binary(min_size=64, max_size=64), min_size=2, max_size=12, unique=True),
       st.randoms(use_true_random=False))
def test_signature_projection_keeps_coin_and_whitened_order(sigs, rnd):
    length, project = signature_projection(sigs)
    projected = [project(s) for s in sigs]
    assert all(len(p) == length for p in projected)
    # the model's coin byte is index len/2 of what it gets
    assert all(p[length // 2] % 2 == s[32] % 2 for p, s in zip(projected, sigs))
    # whitening by the XOR of any subset of the signatures orders alike
    subset = [s for s in sigs if rnd.random() < 0.5] or sigs[:1]
    mask = bytes(64)
    for s in subset:
        mask = bytes(a ^ b for a, b in zip(mask, s))
    pmask = bytes(length)
    for s in subset:
        pmask = bytes(a ^ b for a, b in zip(pmask, project(s)))
    assert whitened_order(sigs, mask) == whitened_order([bytes(p) for p in projected], pmask)


@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=20, unique=True))
def test_hash_projection_keeps_order_and_distinctness(hashes):
    project = hash_projection(hashes)
    assert sorted(hashes) == sorted(hashes, key=lambda h: project(h))
    assert len({project(h) for h in hashes}) == len(hashes)


# -- a run that reaches coin rounds (an adversarial DAG replayed) -------------

def test_run_of_dag_gives_each_creator_its_parents_first():
    from altledger.conformance.abft_checks import coin_run
    run = coin_run()
    creates = [op for op in run.log.operations if isinstance(op, Create)]
    assert [op.event for op in creates] == [run.dag.label(x) for x in run.dag]      # the DAG's own order
    known: dict[str, set] = {m.id: set() for m in run.dag.members}
    for op in run.log.operations:
        event = run.dag.event(run.dag.by_label[op.event])
        parents = {run.dag.label(p) for p in (event.self_parent, event.other_parent) if p is not None}
        assert parents <= known[op.member], f"{op} before its parents"
        assert op.event not in known[op.member], f"{op.event} learnt twice by {op.member}"
        known[op.member].add(op.event)


def test_an_adversarial_dag_with_coin_rounds_is_accepted(tmp_path):
    """Uniform gossip never reaches a coin round; the vector coin-steers-election's DAG does, and TLC
    accepts its trace (the negative control below shows the coins, §6.3, are actually checked)."""
    from altledger.conformance.abft_checks import coin_run
    path = tmp_path / "coin.trace"
    summary = write_trace(coin_run(), path)
    assert summary.counts["Decide"] > 0 and summary.counts["Deliver"] > 0
    result = validate_trace(path, TLA)
    assert result.accepted, result.summary()


def test_inverted_coins_are_rejected_at_the_first_decision_a_coin_steers(tmp_path):
    """Every event's coin bit (§6.3) flipped in the trace: TLC's model now votes the other coin and
    rejects exactly the first line that the reference, run with the coin inverted, also changes."""
    from altledger.conformance.abft_checks import coin_run, first_coin_steered_line, invert_coins
    run = coin_run()
    path = tmp_path / "coin.trace"
    line = first_coin_steered_line(run, path)
    before = lines(path)
    invert_coins(path)
    after = lines(path)
    assert [o.get("action") for o in after] == [o.get("action") for o in before]
    assert lines(path)[line - 1]["action"] == "Decide"                     # a coin steers a fame decision
    result = validate_trace(path, TLA)
    assert not result.accepted
    assert result.line == line and result.action.startswith("Decide(")

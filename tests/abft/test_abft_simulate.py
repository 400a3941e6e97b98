"""The gossip simulator (spec/abft.md §10.1), its gossip log, and the backend registry."""

from __future__ import annotations

import sys
import types

import pytest

from altledger.reference.abft import hashgraph as hg
from altledger.reference.abft.backends import get_backend
from altledger.reference.abft.dagfile import dump_dag_text, parse_dag_text
from altledger.reference.abft.simulate import Create, Learn, Sync, forker_warning, member_key_seed, parse_stakes, simulate
from altledger.reference.crypto import ed25519_keypair
from altledger.reference.errors import ToolError


@pytest.fixture(scope="module")
def run():
    return simulate(5, 150, seed=9, stakes=[1, 1, 2, 3, 4], forkers=1, coin_period=4, transactions=1)


def test_replaying_the_log_follows_the_gossip_rules(run):
    dag, log = run.dag, run.log
    known = {m: set() for m in log.members}
    latest_own: dict[str, str] = {}
    sync: Sync | None = None
    fork_sync = False            # the step's second sync: a forker shows its fork's second side
    last_second_side: str | None = None
    creates = 0
    for op in log.operations:
        if isinstance(op, Sync):
            assert op.member != op.sender
            fork_sync = sync is not None and op.step == sync.step
            if fork_sync:                      # §10.1: only right after a forker created a second side
                assert op.sender == sync.member and last_second_side is not None
                assert dag.member_id(dag.event(dag.by_label[last_second_side]).creator) == op.sender
            else:
                assert op.step == (sync.step + 1 if sync else 1)
            sync = op
            continue
        event = dag.event(dag.by_label[op.event])
        parents = [dag.label(p) for p in (event.self_parent, event.other_parent) if p is not None]
        assert op.event not in known[op.member], f"{op.member} learns {op.event} twice"
        assert all(p in known[op.member] for p in parents), f"{op.member} gets {op.event} before its parents"
        if isinstance(op, Create):
            creates += 1
            assert dag.member_id(event.creator) == op.member
            assert [op.self_parent, op.other_parent] == (parents or [None, None])
            if op.fork_of is not None:        # the second side: the same parents as the first
                first = dag.event(dag.by_label[op.fork_of])
                assert (first.self_parent, first.other_parent) == (event.self_parent, event.other_parent)
                last_second_side = op.event
            elif op.self_parent is not None:
                # §10.1: b (who was synced to) creates on its own latest event and a's latest event —
                # in a fork sync, the forker presents its second side as its latest event.
                assert op.step == sync.step and op.member == sync.member
                assert op.self_parent == latest_own[op.member]
                expected = last_second_side if fork_sync else latest_own[sync.sender]
                assert op.other_parent == expected
            if op.fork_of is None:
                latest_own[op.member] = op.event
        else:
            assert isinstance(op, Learn) and op.sender != op.member
            if op.sender == sync.sender and op.member == sync.member:
                assert op.event in known[sync.sender]          # a sends what a knows
        known[op.member].add(op.event)
    assert creates == len(dag)
    assert log.views() == {m: [op.event for op in log.operations if op.member == m and not isinstance(op, Sync)]
                           for m in log.members}


def test_views_are_closed_under_parents_at_every_step(run):
    for upto in (10, len(run.log.operations) // 3, None):
        for member in run.log.members:
            view = run.view_dag(member, upto)    # Dag.add rejects an event whose parents are missing
            assert len(view) == len(run.log.views(upto)[member])


def test_signatures_are_real_and_keys_come_from_the_seed(run):
    parse_dag_text(dump_dag_text(run.dag), "run.json", check_signatures=True)
    for i, member in enumerate(run.dag.members):
        assert member.public_key == ed25519_keypair(member_key_seed(9, i)).public_key
    assert len({m.public_key for m in run.dag.members}) == 5


def test_forks_come_only_from_forkers_and_are_shown_to_another_member(run):
    dag = run.dag
    pairs = [(a, b) for a in dag for b in dag if a < b and hg.is_fork(dag, a, b)]
    assert run.forks > 0
    assert {dag.member_id(dag.event(a).creator) for a, _ in pairs} <= set(run.forkers) == {"m0"}
    second_sides = [op for op in run.log.operations if isinstance(op, Create) and op.fork_of]
    assert len(second_sides) == run.forks
    for side in second_sides:
        first = dag.event(dag.by_label[side.fork_of])
        second = dag.event(dag.by_label[side.event])
        assert (first.self_parent, first.other_parent) == (second.self_parent, second.other_parent)
        shown = [op for op in run.log.operations if isinstance(op, Learn) and op.step == side.step
                 and op.event == side.event]
        assert len(shown) == 1 and shown[0].member != side.member


def test_honest_timestamps_increase(run):
    dag = run.dag
    for x in dag:
        event = dag.event(x)
        if dag.member_id(event.creator) not in run.forkers and event.self_parent is not None:
            assert event.timestamp > dag.event(event.self_parent).timestamp


def test_the_log_serialises(run):
    data = run.log.to_json()
    assert data["format"] == "altledger-abft-gossip/1" and data["forkers"] == ["m0"]
    assert {op["op"] for op in data["operations"]} == {"create", "sync", "learn"}
    assert all(set(op) in ({"step", "op", "member", "event", "self_parent", "other_parent", "fork_of"},
                           {"step", "op", "member", "from"},
                           {"step", "op", "member", "event", "from"}) for op in data["operations"])


def test_the_run_reaches_consensus(run):
    assert hg.last_decided_round(run.dag) >= 3 and len(hg.total_order(run.dag)) > 60


def test_parameters():
    assert parse_stakes(None, 3, 0) == [1, 1, 1] == parse_stakes("equal", 3, 0)
    assert parse_stakes("1,1,2,5", 4, 0) == [1, 1, 2, 5]
    assert parse_stakes("uniform:2-3", 50, 1) == parse_stakes("uniform:2-3", 50, 1)
    assert set(parse_stakes("uniform:2-3", 50, 1)) == {2, 3}
    for text in ["1,0,1", "1,1", "uniform:3-2", "zipf"]:
        with pytest.raises(ValueError):
            parse_stakes(text, 3, 0)
    assert forker_warning([1, 1, 1, 1], 1) is None
    assert "stake 2 of 4" in forker_warning([1, 1, 1, 1], 2)
    assert forker_warning([1, 1, 2, 5], 3) is not None          # 4 of 9 >= 3
    with pytest.raises(ValueError, match="at least members"):
        simulate(4, 3, seed=1)


# -- backends ---------------------------------------------------------------------------------


def test_backend_registry(monkeypatch):
    reference = get_backend("reference")
    assert callable(reference.consensus_output) and callable(reference.IncrementalConsensus)
    with pytest.raises(ToolError, match="unknown aBFT implementation 'slow'"):
        get_backend("slow")
    # A fast module that lacks part of the interface is refused by name.
    incomplete = types.ModuleType("altledger.fast.abft")
    incomplete.consensus_output = reference.consensus_output
    monkeypatch.setitem(sys.modules, "altledger.fast.abft", incomplete)
    with pytest.raises(ToolError, match="missing IncrementalConsensus"):
        get_backend("fast")
    incomplete.IncrementalConsensus = reference.IncrementalConsensus
    assert get_backend("fast") is incomplete


def test_forks_reach_the_ancestry_of_later_events():
    """A simulated fork must matter: later events above both sides stop seeing the forker (§4.1).

    (Before the fork side was synced and built on, no event ever had both sides below it, so
    "forks" in simulated runs never hid anything and fork handling went unexercised.)
    """
    run = simulate(4, 120, seed=3, forkers=1)
    forker = run.dag.members[0].public_key
    assert run.forks > 0
    hiding = [x for x in run.dag if hg.has_fork_among_ancestors(run.dag, x, forker)]
    assert len(hiding) > len(run.dag) // 4
    assert any(not hg.sees(run.dag, x, y) for x in hiding for y in run.dag
               if run.dag.event(y).creator == forker and hg.is_ancestor(run.dag, y, x))

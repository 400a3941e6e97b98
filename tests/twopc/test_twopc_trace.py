"""The trace writer: the model projection of notes/twopc_model_interface.md, and TLC trace validation.

The projection is checked against an independent, from-scratch projection of
the cluster after every operation (the writer itself works incrementally);
the counting rules for duplicates, losses and crashes are checked on
directed runs; and TLC accepts traces of correct runs and rejects the trace
of a broken protocol (marked ``tlc``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from twopc_helpers import agent, make_tx, new_cluster

from altledger.reference.encoding import (Ack, CommitDecisionRecord, Decision, EndRecord, Outcome, OutcomeRecord,
                                          Prepare, PreparedRecord, Query, VoteMsg, agent_id, shard_of_agent)
from altledger.reference.twopc import Workload, parse_faults, replay, simulate
from altledger.reference.twopc.trace import ACTIONS, VARIABLES, TraceRecorder
from altledger.reference.twopc.txfacts import coordinator_of, txid_of
from altledger.tla.trace_format import read_trace
from altledger.tla.values import FnMap, Record, tla_equal

TLA_DIR = Path(__file__).resolve().parents[2] / "tla"
K = 3
X0, X1, X2 = agent(0, 0, K), agent(1, 0, K), agent(2, 0, K)


# -- an independent projection of a whole cluster ----------------------------------------------------

def project(cluster, labels: dict[bytes, str], txs: dict[bytes, object]) -> dict:
    """The model variables (but the fault counters) computed from scratch from the cluster.

    ``labels`` and ``txs`` cover every transaction of the run (the model's Tx is a constant).
    """
    def rec(r):
        if isinstance(r, PreparedRecord):
            return Record({"type": "prepared", "tx": labels[txid_of(r.tx)]})
        if isinstance(r, OutcomeRecord):
            return Record({"type": "outcome", "tx": labels[r.txid], "outcome": r.outcome.name.lower()})
        kind = {CommitDecisionRecord: "commit", EndRecord: "end"}[type(r)]
        return Record({"type": kind, "tx": labels[r.txid]})

    def msg(e):
        m = e.message
        txid = txid_of(m.tx) if isinstance(m, Prepare) else m.txid
        fields = {"type": {Prepare: "prepare", VoteMsg: "vote", Decision: "decision", Ack: "ack",
                           Query: "query"}[type(m)], "tx": labels[txid], "from": e.sender, "to": e.recipient}
        if isinstance(m, VoteMsg):
            fields |= {"vote": m.vote.name.lower(), "reason": m.reason.name.lower()}
        if isinstance(m, Decision):
            fields["outcome"] = m.outcome.name.lower()
        return Record(fields)

    names = cluster.agent_names
    agents = set(cluster.genesis) | {leg.agent for tx in txs.values() for leg in tx.legs}
    home = {a: cluster.shards[shard_of_agent(a, K)] for a in agents}
    coord = {}
    for txid, label in labels.items():
        entry = cluster.shards[coordinator_of(txs[txid], K)].coord.get(txid)
        phase = entry.phase.value if entry else "idle"
        coord[label] = Record({"phase": phase,
                               "yes": frozenset(entry.yes) if entry and phase == "collecting" else frozenset(),
                               "acks": frozenset(entry.acks) if entry and phase == "committing" else frozenset()})
    return {
        "up": FnMap((s.shard, s.up) for s in cluster.shards),
        "log": FnMap((s.shard, tuple(rec(r) for r in s.log)) for s in cluster.shards),
        "buffer": FnMap((s.shard, tuple(rec(r) for r in s.buffer)) for s in cluster.shards),
        "balance": FnMap((names[a], home[a].balance(a)) for a in agents),
        "nonce": FnMap((names[a], home[a].nonce(a)) for a in agents),
        "coord": FnMap(coord),
        "msgs": frozenset(msg(e) for e in cluster.network.values()),
    }


def first_submission_labels(scenario) -> dict[bytes, str]:
    labels: dict[bytes, str] = {}
    for op in scenario.operations:
        if op[0] == "submit":
            labels.setdefault(txid_of(op[1]), f"t{len(labels) + 1}")
    return labels


@pytest.mark.parametrize("seed, faults", [(1, "none"), (2, "mild,crash=0.05"), (3, "harsh,crash=0.05,recover=0.2")])
def test_every_trace_state_is_the_projection_of_the_cluster(tmp_path, seed, faults):
    result = simulate(seed, Workload(agents=8, shards=K, txs=10, hot_agents=2), parse_faults(faults))
    scenario = result.scenario
    labels = first_submission_labels(scenario)
    txs = {txid_of(tx): tx for tx in scenario.transactions.values()}
    cluster = scenario.new_cluster()
    recorder = TraceRecorder(cluster)
    expected, previous = [], project(cluster, labels, txs)
    for op in scenario.operations:
        before = len(recorder.steps)
        recorder(cluster, cluster.apply(op))
        now = project(cluster, labels, txs)
        if len(recorder.steps) > before:
            expected.append(now)
        else:                                            # no step: the projection did not change
            assert all(tla_equal(now[v], previous[v]) for v in now), op
        previous = now
    assert recorder.labels == labels
    path = tmp_path / "run.trace"
    assert recorder.write(path) == len(expected)
    trace = read_trace(path)
    states = trace.states()[1:]
    assert len(states) == len(expected)
    for index, (claimed, actual) in enumerate(zip(states, expected)):
        for var in actual:
            assert tla_equal(claimed[var], actual[var]), (index, var)
    assert trace.header.constants["MaxCrash"] == states[-1]["crashes"] == result.counts.by_name.get("crash", 0)
    assert trace.header.variables == VARIABLES
    assert trace.header.actions == ACTIONS and trace.header.constants["Variant"] == "correct"


def test_legs_are_listed_in_canonical_order_with_names():
    cluster = new_cluster(K)
    recorder = TraceRecorder(cluster)
    tx = make_tx([(X0, 8, 1)], [(X1, 4), (X2, 4)])
    recorder(cluster, cluster.submit(tx))
    legs = recorder.constants()["Legs"]["t1"]
    assert [leg["agent"] for leg in legs] == sorted([X0, X1, X2], key=agent_id)
    assert {leg["kind"] for leg in legs} == {"debit", "credit"}
    assert recorder.constants()["Home"][X1] == 1


# -- counting faults the model's way -------------------------------------------------------------------

def directed():
    cluster = new_cluster(K)
    recorder = TraceRecorder(cluster)

    def do(*op):
        before = len(recorder.steps)
        applied = cluster.apply(op)
        recorder(cluster, applied)
        return applied, recorder.steps[before:]
    return cluster, recorder, do


def test_duplicates_and_drops_of_spare_copies_are_not_steps():
    cluster, recorder, do = directed()
    tx = make_tx([(X0, 8, 1)], [(X1, 4), (X2, 4)])
    submitted, steps = do("submit", tx)
    assert [s[0] for s in steps] == ["Submit"]
    first = submitted.added[0][0]                                    # Prepare -> 1
    second = do("duplicate", first)[0].added[0][0]
    third, steps = do("duplicate", first)
    assert steps == []                                               # multiplicity only
    third = third.added[0][0]
    _, steps = do("deliver", first)                                  # copies remain: the model keeps m
    assert [s[0] for s in steps] == ["Deliver"] and steps[0][2]["dups"] == 1
    assert set(steps[0][2]) == {"log", "msgs", "dups"}
    _, steps = do("deliver", second)                                 # re-sends the vote already in transit,
    assert steps == []                                               # and a copy remains: nothing changed
    _, steps = do("drop", third)                                     # the last copy: a loss
    assert [s[0] for s in steps] == ["Drop"] and steps[0][2]["losses"] == 1 and "msgs" in steps[0][2]
    other = submitted.added[1][0]                                    # Prepare -> 2
    do("duplicate", other)
    assert do("drop", other)[1] == []                                # another copy remains
    assert recorder.dups == 1 and recorder.losses == 1


def test_no_op_operations_are_not_steps_and_crashes_count():
    cluster, recorder, do = directed()
    tx = make_tx([(X0, 8, 1)], [(X1, 4), (X2, 4)])
    do("submit", tx)
    assert do("submit", tx)[1] == []                                 # duplicate submission
    assert do("flush", 0)[1] == []                                   # empty buffer
    assert do("recover", 0)[1] == []                                 # up already
    _, steps = do("crash", 0)
    assert [s[0] for s in steps] == ["Crash"] and set(steps[0][2]) == {"up", "coord", "crashes"}
    assert do("crash", 0)[1] == [] and do("deliver", 999)[1] == []
    _, steps = do("recover", 0)
    assert [s[0] for s in steps] == ["Recover"] and set(steps[0][2]) == {"up"}
    assert recorder.crashes == 1


def test_a_trace_starts_from_a_fresh_cluster():
    cluster = new_cluster(K)
    cluster.submit(make_tx([(X0, 8, 1)], [(X1, 4), (X2, 4)]))
    with pytest.raises(ValueError):
        TraceRecorder(cluster)


def test_values_beyond_tlc_integers_are_refused(tmp_path):
    from altledger.reference.errors import ToolError
    cluster = new_cluster(K, default=1 << 40)
    recorder = TraceRecorder(cluster)
    with pytest.raises(ToolError, match="32-bit"):
        recorder.write(tmp_path / "big.trace")


# -- TLC ------------------------------------------------------------------------------------------------

def trace_of(tmp_path, seed, faults, name, txs=6) -> Path:
    result = simulate(seed, Workload(agents=6, shards=K, txs=txs, max_balance=30, hot_agents=2),
                      parse_faults(faults), stop_on_violation=True)
    recorder = TraceRecorder(result.scenario.new_cluster())
    replay(result.scenario, [recorder])
    path = tmp_path / name
    recorder.write(path)
    return path


@pytest.mark.tlc
def test_tlc_accepts_traces_of_correct_runs_with_every_kind_of_fault(tmp_path):
    from altledger.tla.trace import validate_trace
    for seed in range(100):          # the first seed whose run uses every kind of fault
        path = trace_of(tmp_path, seed, "harsh,crash=0.08,recover=0.15,flush=0.1", "faults.trace")
        header = read_trace(path).header.constants
        if header["MaxCrash"] and header["MaxLoss"] and header["MaxDup"]:
            break
    else:
        pytest.fail("no run used crashes, losses and duplicates")
    result = validate_trace(path, TLA_DIR)
    assert result.accepted, result.summary()


@pytest.mark.tlc
def test_tlc_rejects_the_trace_of_a_prepared_participant_that_aborts_alone(tmp_path, monkeypatch):
    from altledger.reference.twopc import RmState
    from altledger.reference.twopc import participant as participant_rules
    from altledger.reference.twopc import shard as shard_module
    from altledger.tla.trace import validate_trace
    original = participant_rules.on_participant_timeout

    def aborts_alone(b, tx):
        if b.state.rm_state(txid_of(tx)) is RmState.PREPARED:
            b.force(OutcomeRecord(txid_of(tx), Outcome.ABORT))          # BUG: §7.4.2
            return
        original(b, tx)
    monkeypatch.setattr(shard_module, "on_participant_timeout", aborts_alone)
    for seed in range(40):     # find a run where the bug is exercised (a prepared participant times out)
        path = trace_of(tmp_path, seed, "mild,timeout=0.2", f"bug{seed}.trace", txs=4)
        steps = read_trace(path).steps
        states = read_trace(path).states()
        if any(s.action == "Timeout" and "msgs" not in s.changed and "log" in s.changed
               and any(r["type"] == "prepared" and r["tx"] == s.params["t"] for r in states[i]["log"][s.params["s"]])
               for i, s in enumerate(steps)):
            break
    else:
        pytest.fail("no run exercised the bug")
    result = validate_trace(path, TLA_DIR)
    assert not result.accepted
    assert result.action and result.action.startswith("Timeout"), result.summary()

"""The cluster (spec/two_phase_commit.md §13.1–13.3), the persistent log, the snapshot and operation files."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st
from twopc_helpers import agent, assert_sound, make_tx, new_cluster

from altledger.reference.encoding.strategies import cross_agent_txs
from altledger.reference.errors import InputFileError
from altledger.reference.twopc import (Cluster, Log, load_scenario, replay, run_round_schedule, save_scenario,
                                       simulate, snapshot, snapshot_digest, snapshot_json, Workload, parse_faults)
from altledger.reference.twopc.scenario import scenario_from_json, scenario_to_json
from altledger.reference.twopc.txfacts import coordinator_of, legs_on, participants_of, txid_of

K = 3
X0, Y0 = agent(0, 0, K), agent(0, 1, K)
X1, Y1 = agent(1, 0, K), agent(1, 1, K)
X2, Y2 = agent(2, 0, K), agent(2, 1, K)


# -- §3: the memoised facts agree with the canonical type's own methods -----------------------------

@given(cross_agent_txs(), st.integers(1, 40))
@settings(max_examples=40)
def test_tx_facts_agree_with_the_canonical_methods(tx, shard_count):
    assert txid_of(tx) == tx.txid()
    assert participants_of(tx, shard_count) == tx.participants(shard_count)
    assert coordinator_of(tx, shard_count) == tx.coordinator(shard_count)
    for s in range(shard_count):
        assert legs_on(tx, s, shard_count) == tx.legs_on_shard(s, shard_count)


# -- §13.1: the network ----------------------------------------------------------------------------

def test_send_numbers_start_at_one_increase_and_duplicates_get_fresh_ones():
    cluster = new_cluster(K)
    applied = cluster.submit(make_tx([(X0, 8, 1)], [(X1, 4), (X2, 4)]))
    assert [n for n, _ in applied.added] == [1, 2]
    dup = cluster.duplicate(1)
    assert [n for n, _ in dup.added] == [3] and cluster.network[3] == cluster.network[1]
    assert cluster.drop(1).took_effect and 1 not in cluster.network
    for op in (("deliver", 1), ("drop", 1), ("duplicate", 1), ("deliver", 99)):
        assert not cluster.apply(op).took_effect                 # unknown numbers: no-ops
    assert cluster.next_number == 4


def test_bad_operations_are_refused():
    cluster = new_cluster(K)
    with pytest.raises(ValueError):
        cluster.apply(("explode", 1))
    with pytest.raises(ValueError):
        cluster.apply(("crash", 7))
    with pytest.raises(ValueError):
        cluster.apply(("timeout", 0))


def test_timeout_for_an_unknown_transaction_is_a_no_op():
    assert not new_cluster(K).timeout(0, b"\x01" * 32).took_effect


# -- the log is an immutable value -------------------------------------------------------------------

def test_log_values_never_change_and_branches_are_independent():
    from altledger.reference.encoding import EndRecord
    a, b, c = (EndRecord(bytes([i]) * 32) for i in (1, 2, 3))
    base = Log().append([a])
    left = base.append([b])
    right = base.append([c])                   # appends to an older view: copies
    assert base.records() == (a,) and left.records() == (a, b) and right.records() == (a, c)
    assert left.has_end(b"\x02" * 32) and not right.has_end(b"\x02" * 32) and not base.has_end(b"\x02" * 32)


def test_copied_clusters_evolve_independently():
    cluster = new_cluster(K)
    tx = make_tx([(X0, 8, 1)], [(X1, 4), (X2, 4)])
    cluster.submit(tx)
    fork = cluster.copy()
    before = snapshot_json(cluster)
    while fork.network:
        fork.deliver(next(iter(fork.network)))
    assert snapshot_json(cluster) == before
    while cluster.network:
        cluster.deliver(next(iter(cluster.network)))
    assert snapshot_json(cluster) == snapshot_json(fork)
    assert_sound(cluster, terminated=True)


# -- §13.3: the round schedule ---------------------------------------------------------------------------

def round_txs():
    return [make_tx([(X0, 3, 1)], [(X1, 3)], b"a"), make_tx([(X2, 2, 1)], [(Y0, 1), (Y1, 1)], b"b"),
            make_tx([(Y2, 1, 1)], [(X0, 1)], b"c"), make_tx([(X1, 1, 1)], [(Y2, 1)], b"d")]


def test_round_schedule_orders_each_round_by_shard_then_send_number():
    cluster = new_cluster(K)
    applied = run_round_schedule(cluster, round_txs())
    submits = [a for a in applied if a.op[0] == "submit"]
    assert [coordinator_of(a.op[1], K) for a in submits] == sorted(coordinator_of(tx, K) for tx in round_txs())
    # reconstruct the rounds: each delivered number was sent in the previous round
    round_of = {n: 1 for a in submits for n, _ in a.added}
    previous = 1
    keys: list[tuple] = []
    for a in applied[len(submits):]:
        number = a.op[1]
        r = round_of[number] + 1
        assert r >= previous
        if r != previous:
            keys, previous = [], r
        key = (a.removed[1].recipient, number)
        assert not keys or keys[-1] < key
        keys.append(key)
        round_of.update({n: r for n, _ in a.added})
    assert not cluster.network
    assert_sound(cluster, terminated=True)


def test_a_round_computed_shard_by_shard_in_isolation_gives_the_sequential_result():
    """§13.3: within a round no shard's step depends on another shard's step of the same round, so each
    shard can process its inbox alone; numbering the messages afterwards, shard 0 to K-1, each in its
    own send order, reproduces the sequential schedule exactly."""
    from altledger.reference.twopc import Deliver, Submit, step

    sequential = new_cluster(K)
    run_round_schedule(sequential, round_txs())

    parallel = new_cluster(K)
    inbox: dict[int, list] = {s: [] for s in range(K)}
    for tx in round_txs():
        inbox[coordinator_of(tx, K)].append(Submit(tx))
    while any(inbox.values()):
        outputs = {}
        for s in reversed(range(K)):                    # any order: each shard sees only its own inbox
            state, sent = parallel.shards[s], []
            for event in inbox[s]:
                result = step(state, event)
                state, sent = result.state, sent + list(result.sent)
            outputs[s] = (state, sent)
        inbox = {s: [] for s in range(K)}
        for s in range(K):                              # then number the messages in the sequential order
            parallel.shards[s] = outputs[s][0]
            for envelope in outputs[s][1]:
                inbox[envelope.recipient].append(Deliver(envelope))
                parallel.next_number += 1
    assert [snapshot(parallel)["shards"]] == [snapshot(sequential)["shards"]]
    assert parallel.next_number == sequential.next_number


def test_round_schedule_skips_down_shards():
    cluster = new_cluster(K)
    cluster.crash(1)
    run_round_schedule(cluster, [make_tx([(X0, 3, 1)], [(X1, 3)], b"a")])
    assert [e.recipient for e in cluster.network.values()] == [1]


# -- the snapshot -------------------------------------------------------------------------------------------

def test_snapshot_is_complete_canonical_json():
    result = simulate(5, Workload(agents=8, shards=3, txs=8), parse_faults("mild,crash=0.05"))
    snap = snapshot(result.cluster)
    assert json.loads(snapshot_json(result.cluster)) == snap
    assert set(snap) == {"format", "shard_count", "next_send_number", "genesis", "transactions", "shards", "network"}
    assert snap["format"] == "altledger-2pc-snapshot/1" and len(snap["shards"]) == 3
    for shard in snap["shards"]:
        assert set(shard) == {"shard", "up", "log", "buffer", "store", "coord"}
        agents = [entry["agent"] for entry in shard["store"]]
        assert agents == sorted(agents)
        assert all(entry["balance"] != "0" or entry["nonce"] != "0" for entry in shard["store"])
    kinds = {r["type"] for s in snap["shards"] for r in s["log"]}
    assert kinds <= {"PreparedRecord", "OutcomeRecord", "CommitDecisionRecord", "EndRecord"}
    assert {t["txid"] for t in snap["transactions"]} >= {r["txid"] for s in snap["shards"] for r in s["log"]}


def test_snapshot_shows_volatile_state_and_the_network():
    cluster = new_cluster(K)
    tx = make_tx([(X0, 8, 1)], [(X1, 4), (X2, 4)])
    cluster.submit(tx)
    snap = snapshot(cluster)
    assert snap["shards"][0]["coord"] == [{"txid": txid_of(tx).hex(), "phase": "collecting",
                                           "participants": [0, 1, 2], "yes": [0], "acks": []}]
    assert snap["network"][0] == {"n": 1, "from": 0, "to": 1, "message": {"type": "Prepare", "txid": txid_of(tx).hex()}}
    assert snap["shards"][0]["log"] == [{"type": "PreparedRecord", "txid": txid_of(tx).hex()}]
    assert snap["next_send_number"] == 3
    digest = snapshot_digest(cluster)
    cluster.crash(0)
    assert snapshot(cluster)["shards"][0]["up"] is False and snapshot_digest(cluster) != digest


# -- operation files -----------------------------------------------------------------------------------------

def test_saved_operations_replay_to_the_same_snapshot(tmp_path):
    result = simulate(11, Workload(agents=10, shards=4, txs=15), parse_faults("harsh"))
    path = tmp_path / "ops.json"
    save_scenario(path, result.scenario)
    scenario = load_scenario(path)
    assert scenario_to_json(scenario) == scenario_to_json(result.scenario)
    assert snapshot_json(replay(scenario)) == snapshot_json(result.cluster)


def valid_file() -> dict:
    result = simulate(1, Workload(agents=4, shards=2, txs=2), parse_faults("none"))
    return scenario_to_json(result.scenario)


@pytest.mark.parametrize("mutate, where", [
    (lambda d: d.update(format="nope"), "/format"),
    (lambda d: d.pop("agents"), "missing member"),
    (lambda d: d["operations"].append(["submit", "t99"]), "unknown transaction"),
    (lambda d: d["operations"].append(["crash", 9]), "no shard 9"),
    (lambda d: d["operations"].append(["deliver"]), "takes 1 argument"),
    (lambda d: d["operations"].append(["explode", 1]), "expected [NAME"),
    (lambda d: d["agents"].append(dict(d["agents"][0])), "listed twice"),
    (lambda d: d["agents"][0].update(balance="-3"), "decimal integer"),
    (lambda d: d["transactions"][0]["tx"]["legs"][0].update(amount="0"), "amount"),
    (lambda d: d["transactions"][0].update(tx={"encoding": "10ff"}), "CrossAgentTx"),
])
def test_malformed_operation_files_are_refused_with_a_location(tmp_path, mutate, where):
    data = valid_file()
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputFileError) as caught:
        load_scenario(path)
    assert where in str(caught.value) and str(path) in str(caught.value)


def test_unparsable_operation_file_names_the_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n "format": \n}')
    with pytest.raises(InputFileError, match=r"bad\.json:3"):
        load_scenario(path)


def test_operation_file_that_is_not_utf8_names_the_byte(tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"format": "\xff"}')
    with pytest.raises(InputFileError, match=r"bad\.json: .*not UTF-8: invalid start byte at byte 12"):
        load_scenario(path)


def test_transactions_may_be_given_by_encoding():
    data = valid_file()
    tx = scenario_from_json(valid_file()).transactions["t1"]
    data["transactions"][0]["tx"] = {"encoding": tx.encode().hex()}
    assert scenario_from_json(data).transactions["t1"] == tx


def test_cluster_rejects_bad_genesis():
    with pytest.raises(ValueError):
        Cluster(2, {b"\x00" * 32: 1 << 128})
    with pytest.raises(ValueError):
        Cluster(0, {})

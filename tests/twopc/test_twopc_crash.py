"""Crash, recovery and flush (spec/two_phase_commit.md §5.3, §5.4, §9), at every point of the commit path."""

from __future__ import annotations

import pytest
from twopc_helpers import agent, assert_sound, drain, make_tx, new_cluster, states

from altledger.reference.encoding import Ack, Decision, EndRecord, Prepare, VoteMsg, agent_id
from altledger.reference.twopc import Phase
from altledger.reference.twopc.txfacts import txid_of

K = 3
X0, X1, X2 = agent(0, 0, K), agent(1, 0, K), agent(2, 0, K)


def three_way():
    return make_tx([(X0, 8, 1)], [(X1, 4), (X2, 4)])


def happy_path_ops(tx) -> list[tuple]:
    """The operations of the fault-free run of ``tx``, oldest message first, recorded once."""
    cluster = new_cluster(K)
    ops = [("submit", tx)]
    cluster.submit(tx)
    while cluster.network:
        number = next(iter(cluster.network))
        ops.append(("deliver", number))
        cluster.deliver(number)
    ops.append(("flush", 0))
    return ops


def test_happy_path_shape():
    ops = happy_path_ops(three_way())
    # submit, 2 prepares, 2 votes, 3 decisions, 3 acks, flush
    assert len(ops) == 12


@pytest.mark.parametrize("crashed", [0, 1, 2])
def test_crash_and_recover_at_every_point_of_the_commit_path(crashed):
    tx = three_way()
    ops = happy_path_ops(tx)
    for cut in range(len(ops) + 1):
        cluster = new_cluster(K)
        for op in ops[:cut]:
            cluster.apply(op)
        decided = cluster.shards[0].log.has_commit_decision(txid_of(tx))
        durable_before = [(len(s.log), dict(s.balances)) for s in cluster.shards]
        cluster.crash(crashed)
        assert [(len(s.log), dict(s.balances)) for s in cluster.shards] == durable_before   # §9.1
        assert cluster.shards[crashed].buffer == () and cluster.shards[crashed].coord == {}
        cluster.recover(crashed)
        drain(cluster)
        assert_sound(cluster, terminated=True)
        expected = "committed" if decided or crashed != 0 else "aborted"   # only the coordinator forgets
        if cut == 0:
            assert states(cluster, tx) == {0: "working", 1: "working", 2: "working"}
        else:
            assert set(states(cluster, tx).values()) == {expected}, (cut, crashed, states(cluster, tx))
        if expected == "committed" and cut:
            assert cluster.shards[1].balance(agent_id(X1)) == 104       # applied exactly once


def test_lost_end_record_is_rewritten_after_recovery_and_re_acks():
    tx = three_way()
    cluster = new_cluster(K)
    for op in happy_path_ops(tx)[:-1]:                                   # everything but the flush
        cluster.apply(op)
    assert cluster.shards[0].buffer == (EndRecord(txid_of(tx)),)
    cluster.crash(0)                                                     # the end record is lost (§5.3)
    cluster.recover(0)
    assert not cluster.shards[0].log.has_end(txid_of(tx))
    assert cluster.shards[0].coord[txid_of(tx)].phase is Phase.COMMITTING   # §9.2
    assert cluster.shards[0].coord[txid_of(tx)].acks == frozenset()
    resent = cluster.timeout(0, txid_of(tx))                              # §8.5.2 / §12.8
    assert [type(e.message).__name__ for _, e in resent.added] == ["Decision"] * 3
    balances = [dict(s.balances) for s in cluster.shards]
    for number in [n for n, _ in resent.added]:
        acked = cluster.deliver(number)                                   # §7.2.2: ack again
        assert [type(e.message) for _, e in acked.added] == [Ack]
    assert [dict(s.balances) for s in cluster.shards] == balances         # nothing applied twice
    while cluster.network:
        cluster.deliver(next(iter(cluster.network)))
    assert cluster.shards[0].buffer == (EndRecord(txid_of(tx)),) and cluster.shards[0].coord == {}
    cluster.flush(0)
    assert cluster.shards[0].log.has_end(txid_of(tx))
    cluster.crash(0)
    cluster.recover(0)
    assert cluster.shards[0].coord == {}                                  # ended: nothing to resume
    assert_sound(cluster, terminated=True)


def test_flush_moves_the_buffer_to_the_log_and_a_forced_write_does_too():
    tx = three_way()
    cluster = new_cluster(K)
    for op in happy_path_ops(tx)[:-1]:
        cluster.apply(op)
    log_length = len(cluster.shards[0].log)
    applied = cluster.flush(0)
    assert applied.result.log_writes == () and len(cluster.shards[0].log) == log_length + 1
    assert cluster.flush(0).result.state is cluster.shards[0]             # empty buffer: nothing


def test_a_down_shard_takes_no_step_and_its_messages_wait():
    tx = three_way()
    cluster = new_cluster(K)
    cluster.submit(tx)
    cluster.crash(1)
    (to_one,) = [n for n, e in cluster.network.items() if e.recipient == 1]
    assert not cluster.deliver(to_one).took_effect and to_one in cluster.network
    assert not cluster.timeout(1, txid_of(tx)).took_effect
    assert not cluster.flush(1).took_effect
    assert not cluster.crash(1).took_effect                               # already down
    assert not cluster.recover(0).took_effect                             # up: no-op
    cluster.recover(1)
    assert cluster.deliver(to_one).took_effect


def test_a_crashed_coordinator_never_commits_what_it_was_collecting():
    """§9.2 / §12.4: the transaction is aborted by presumption and cannot be restarted."""
    tx = three_way()
    cluster = new_cluster(K)
    cluster.submit(tx)
    for number in [n for n, e in cluster.network.items() if isinstance(e.message, Prepare)]:
        cluster.deliver(number)
    cluster.crash(0)
    cluster.recover(0)
    assert not cluster.submit(tx).result.log_writes                       # resubmission refused
    for number in [n for n, e in cluster.network.items() if isinstance(e.message, VoteMsg)]:
        assert cluster.deliver(number).added == ()                        # late votes ignored
    drain(cluster)
    assert set(states(cluster, tx).values()) == {"aborted"}
    assert_sound(cluster, terminated=True)
    assert not any(isinstance(e.message, Decision) for e in cluster.network.values())

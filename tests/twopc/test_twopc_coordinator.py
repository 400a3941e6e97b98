"""Coordinator rules, one test per clause of spec/two_phase_commit.md §8, through the cluster's operations."""

from __future__ import annotations

from twopc_helpers import agent, assert_sound, deliver_all, kinds, make_tx, new_cluster, states

from altledger.reference.encoding import (CommitDecisionRecord, Decision, EndRecord, Outcome, OutcomeRecord, Prepare,
                                          PreparedRecord, Query, VoteMsg, VoteReason, VoteValue)
from altledger.reference.twopc import Phase
from altledger.reference.twopc.txfacts import coordinator_of, participants_of, txid_of

K = 3
X0, Y0 = agent(0, 0, K), agent(0, 1, K)
X1, Y1 = agent(1, 0, K), agent(1, 1, K)
X2 = agent(2, 0, K)


def three_way(amount: int = 4, tag: bytes = b"") -> object:
    """X0 (shard 0, the coordinator) pays X1 (shard 1) and X2 (shard 2)."""
    return make_tx([(X0, 2 * amount, 1)], [(X1, amount), (X2, amount)], tag)


def numbers_of(cluster, message_type, recipient=None):
    return [n for n, e in cluster.network.items()
            if isinstance(e.message, message_type) and (recipient is None or e.recipient == recipient)]


# -- §8.1 Submit -------------------------------------------------------------------------------------

def test_submit_votes_locally_then_prepares_the_others_in_ascending_order():
    cluster, tx = new_cluster(K), three_way()
    assert coordinator_of(tx, K) == 0 and participants_of(tx, K) == (0, 1, 2)
    applied = cluster.submit(tx)
    assert applied.result.log_writes == ((PreparedRecord(tx), True),)
    assert [v.vote for v in applied.result.votes] == [VoteValue.YES]      # the local vote: not sent
    assert kinds(applied) == ["Prepare->1", "Prepare->2"]
    entry = cluster.shards[0].coord[txid_of(tx)]
    assert entry.phase is Phase.COLLECTING and entry.yes == {0}


def test_submit_with_a_local_no_aborts_silently():
    cluster = new_cluster(K, {X0: 1})
    tx = three_way(amount=4)
    applied = cluster.submit(tx)
    assert applied.result.log_writes == ((OutcomeRecord(txid_of(tx), Outcome.ABORT), True),)
    assert applied.added == () and cluster.shards[0].coord == {}
    assert applied.result.votes[0].reason is VoteReason.INSUFFICIENT_BALANCE


def test_single_participant_transaction_commits_at_once():
    cluster = new_cluster(K)
    tx = make_tx([(X0, 5, 1)], [(Y0, 5)])
    assert participants_of(tx, K) == (0,)
    applied = cluster.submit(tx)
    assert [r for r, _ in applied.result.log_writes] == [PreparedRecord(tx),
                                                         CommitDecisionRecord(txid_of(tx), (0,))]
    assert kinds(applied) == ["Decision->0"]
    deliver_all(cluster)
    shard = cluster.shards[0]
    assert shard.rm_state(txid_of(tx)).value == "committed" and shard.phase(txid_of(tx)) is Phase.IDLE
    assert shard.buffer == (EndRecord(txid_of(tx)),)           # not forced (§5.3)
    assert_sound(cluster, terminated=True)


def test_duplicate_submission_is_ignored_in_every_phase():
    cluster, tx = new_cluster(K), three_way()
    cluster.submit(tx)
    before = cluster.shards[0]
    assert cluster.submit(tx).result.state is before              # collecting (volatile half)
    cluster.crash(0)
    cluster.recover(0)                                           # idle again, but prepared (durable half)
    assert cluster.shards[0].phase(txid_of(tx)) is Phase.IDLE
    state = cluster.shards[0]
    assert cluster.submit(tx).result.state is state
    deliver_all(cluster)
    # a transaction that committed and ended is not restarted either
    done, tx2 = new_cluster(K), three_way(tag=b"2")
    done.submit(tx2)
    deliver_all(done)
    assert states(done, tx2) == {0: "committed", 1: "committed", 2: "committed"}
    state = done.shards[0]
    assert done.submit(tx2).result.state is state and not done.network


def test_submission_to_a_down_coordinator_is_a_no_op():
    cluster, tx = new_cluster(K), three_way()
    cluster.crash(0)
    applied = cluster.submit(tx)
    assert not applied.took_effect and txid_of(tx) in cluster.transactions


# -- §8.2, §8.3 votes ------------------------------------------------------------------------------------

def test_all_yes_forces_the_decision_then_sends_commit_to_every_participant():
    cluster, tx = new_cluster(K), three_way()
    cluster.submit(tx)
    first = cluster.deliver(numbers_of(cluster, Prepare, 1)[0])     # participant 1 votes YES
    cluster.deliver(numbers_of(cluster, Prepare, 2)[0])
    vote1 = cluster.deliver(first.added[0][0])                       # coordinator: yes = {0, 1}
    assert vote1.result.log_writes == () and cluster.shards[0].coord[txid_of(tx)].yes == {0, 1}
    last = cluster.deliver(numbers_of(cluster, VoteMsg)[0])
    assert last.result.log_writes == ((CommitDecisionRecord(txid_of(tx), (0, 1, 2)), True),)
    assert kinds(last) == ["Decision->0", "Decision->1", "Decision->2"]
    assert cluster.shards[0].coord[txid_of(tx)].phase is Phase.COMMITTING


def test_duplicate_yes_votes_are_absorbed():
    cluster, tx = new_cluster(K), three_way()
    cluster.submit(tx)
    vote = cluster.deliver(numbers_of(cluster, Prepare, 1)[0]).added[0][0]
    copy = cluster.duplicate(vote).added[0][0]
    cluster.deliver(vote)
    again = cluster.deliver(copy)
    assert again.added == () and cluster.shards[0].coord[txid_of(tx)].yes == {0, 1}


def test_a_no_vote_decides_abort_for_everyone_but_the_no_voter_and_logs_nothing():
    cluster = new_cluster(K, {X2: 100})
    other = make_tx([(X2, 1, 1)], [(Y0, 1)], b"holder")           # locks X2 ... on shard 2
    cluster.submit(other)                                          # (coordinated by 2, prepared there)
    tx = three_way()
    cluster.submit(tx)
    cluster.deliver(numbers_of(cluster, Prepare, 2)[-1])           # shard 2 votes NO: LOCKED
    (no,) = [n for n, e in cluster.network.items() if isinstance(e.message, VoteMsg)
             and e.message.txid == txid_of(tx)]
    assert cluster.network[no].message.reason is VoteReason.LOCKED
    log_before = cluster.shards[0].log
    applied = cluster.deliver(no)
    assert kinds(applied) == ["Decision->0", "Decision->1"]
    assert all(e.message.outcome is Outcome.ABORT for _, e in applied.added)
    assert cluster.shards[0].log == log_before and cluster.shards[0].phase(txid_of(tx)) is Phase.IDLE


def test_late_votes_are_ignored():
    cluster, tx = new_cluster(K), three_way()
    cluster.submit(tx)
    vote = cluster.deliver(numbers_of(cluster, Prepare, 1)[0]).added[0][0]
    cluster.timeout(0, txid_of(tx))                                # collecting -> abort, idle
    applied = cluster.deliver(vote)
    assert applied.added == () and applied.result.state is applied.before


# -- §8.4 queries: presumed abort ------------------------------------------------------------------------

def query(cluster, tx, shard):
    """Put a Query from ``shard`` in the network by a participant timeout (prepared) and deliver it."""
    (number,) = [n for n, e in cluster.timeout(shard, txid_of(tx)).added if isinstance(e.message, Query)]
    return cluster.deliver(number)


def test_query_while_collecting_gets_no_answer():
    cluster, tx = new_cluster(K), three_way()
    cluster.submit(tx)
    cluster.deliver(numbers_of(cluster, Prepare, 1)[0])
    assert query(cluster, tx, 1).added == ()


def test_query_after_a_crash_while_collecting_is_answered_abort():
    cluster, tx = new_cluster(K), three_way()
    cluster.submit(tx)
    cluster.deliver(numbers_of(cluster, Prepare, 1)[0])
    cluster.crash(0)
    cluster.recover(0)
    answer = query(cluster, tx, 1)
    assert [e.message for _, e in answer.added] == [Decision(txid_of(tx), Outcome.ABORT)]


def test_query_for_a_decided_commit_is_answered_commit_even_after_end_and_crash():
    cluster, tx = new_cluster(K), three_way()
    cluster.submit(tx)
    for recipient in (1, 2):
        cluster.deliver(numbers_of(cluster, Prepare, recipient)[0])
    for number in numbers_of(cluster, VoteMsg):
        cluster.deliver(number)
    for number in numbers_of(cluster, Decision, 0):
        cluster.deliver(number)                                    # only the coordinator applies
    commit_to_1 = numbers_of(cluster, Decision, 1)[0]
    cluster.drop(commit_to_1)                                       # participant 1 never hears it
    cluster.crash(0)
    cluster.recover(0)
    assert cluster.shards[0].phase(txid_of(tx)) is Phase.COMMITTING
    answer = query(cluster, tx, 1)
    assert [e.message for _, e in answer.added] == [Decision(txid_of(tx), Outcome.COMMIT)]


# -- §8.5 coordinator timeouts -------------------------------------------------------------------------------

def test_timeout_while_collecting_aborts_for_everyone_then_queries_its_own_participant():
    cluster, tx = new_cluster(K), three_way()
    cluster.submit(tx)
    applied = cluster.timeout(0, txid_of(tx))
    # §8.5.1 to every participant, then §7.4.2 at the coordinator's own (prepared) participant
    assert kinds(applied) == ["Decision->0", "Decision->1", "Decision->2", "Query->0"]
    assert cluster.shards[0].phase(txid_of(tx)) is Phase.IDLE
    deliver_all(cluster)
    assert states(cluster, tx) == {0: "aborted", 1: "aborted", 2: "aborted"}
    assert_sound(cluster, terminated=True)


def test_timeout_while_committing_resends_commit_to_those_that_have_not_acked():
    cluster, tx = new_cluster(K), three_way()
    cluster.submit(tx)
    deliver_prepares_and_votes(cluster)
    for n in numbers_of(cluster, Decision, 1):
        cluster.deliver(n)                                         # participant 1 commits and acks
    cluster.deliver(numbers_of(cluster, Decision, 0)[0])
    for n in [n for n, e in cluster.network.items() if type(e.message).__name__ == "Ack"]:
        cluster.deliver(n)
    for n in numbers_of(cluster, Decision, 2):
        cluster.drop(n)
    assert cluster.shards[0].coord[txid_of(tx)].acks == {0, 1}
    applied = cluster.timeout(0, txid_of(tx))
    assert kinds(applied) == ["Decision->2"]


def test_timeout_at_an_idle_coordinator_does_nothing():
    cluster, tx = new_cluster(K), three_way()
    cluster.submit(tx)
    deliver_all(cluster)                                             # committed and ended
    applied = cluster.timeout(0, txid_of(tx))
    assert applied.added == () and applied.result.state is applied.before


def deliver_prepares_and_votes(cluster):
    for n in numbers_of(cluster, Prepare):
        cluster.deliver(n)
    for n in numbers_of(cluster, VoteMsg):
        cluster.deliver(n)


# -- §8.6 acknowledgements ---------------------------------------------------------------------------------------

def test_acks_collect_then_end_record_is_buffered_and_the_coordinator_forgets():
    cluster, tx = new_cluster(K), three_way()
    cluster.submit(tx)
    deliver_prepares_and_votes(cluster)
    for n in numbers_of(cluster, Decision):
        cluster.deliver(n)
    acks = [n for n, e in cluster.network.items() if type(e.message).__name__ == "Ack"]
    assert len(acks) == 3
    copy = cluster.duplicate(acks[0]).added[0][0]
    for n in acks[:2] + [copy]:
        assert cluster.deliver(n).result.log_writes == ()
    final = cluster.deliver(acks[2])
    assert final.result.log_writes == ((EndRecord(txid_of(tx)), False),)
    assert cluster.shards[0].coord == {} and cluster.shards[0].buffer == (EndRecord(txid_of(tx)),)
    assert_sound(cluster, terminated=True)


def test_ack_when_not_committing_is_ignored():
    cluster, tx = new_cluster(K), three_way()
    cluster.submit(tx)
    deliver_all(cluster)
    ack = [n for n, e in list(cluster.network.items())]
    assert ack == []
    from altledger.reference.encoding import Ack
    from altledger.reference.twopc import Deliver, Envelope, step
    state = cluster.shards[0]
    assert step(state, Deliver(Envelope(1, 0, Ack(txid_of(tx), 1)))).state is state

"""Participant rules, one test per clause of spec/two_phase_commit.md §7, on single shard steps."""

from __future__ import annotations

import pytest
from twopc_helpers import agent, make_tx

from altledger.reference.encoding import (Ack, Decision, EndRecord, Outcome, OutcomeRecord, Prepare, PreparedRecord,
                                          Query, VoteMsg, VoteReason, VoteValue, agent_id)
from altledger.reference.twopc import Deliver, Envelope, RmState, Timeout, step
from altledger.reference.twopc.state import ShardState, initial_shard_state
from altledger.reference.twopc.txfacts import coordinator_of, txid_of

K = 3
A0, B0 = agent(0, 0, K), agent(0, 1, K)     # on shard 0
A1, B1 = agent(1, 0, K), agent(1, 1, K)     # on shard 1
A2 = agent(2, 0, K)                          # on shard 2


def shard1(balances: dict[str, int] | None = None) -> ShardState:
    balances = balances if balances is not None else {A1: 50, B1: 50}
    return initial_shard_state(1, K, {agent_id(n): v for n, v in balances.items()})


def prepare(state: ShardState, tx) -> tuple[ShardState, list]:
    result = step(state, Deliver(Envelope(coordinator_of(tx, K), state.shard, Prepare(tx))))
    return result.state, result


def vote_of(result) -> VoteMsg:
    (envelope,) = result.sent
    assert isinstance(envelope.message, VoteMsg)
    return envelope.message


# a transaction paying from shard 0 (coordinator) to A1 on shard 1, and one debiting A1
def pay_to_a1(amount: int = 5, tag: bytes = b"") -> object:
    return make_tx([(A0, amount, 1)], [(A1, amount)], tag)


def pay_from_a1(amount: int = 5, nonce: int = 1, tag: bytes = b"") -> object:
    return make_tx([(A0, amount, 1), (A1, amount, nonce)], [(A2, 2 * amount)], tag)


# -- §7.1.4: checks, in order, and the forced record ------------------------------------

def test_yes_forces_prepared_record_and_sends_yes_to_the_coordinator():
    tx = pay_from_a1()
    state, result = prepare(shard1(), tx)
    assert result.log_writes == ((PreparedRecord(tx), True),)
    assert state.log.records() == (PreparedRecord(tx),)
    vote = vote_of(result)
    assert (vote.txid, vote.shard, vote.vote, vote.reason) == (txid_of(tx), 1, VoteValue.YES, VoteReason.NONE)
    assert result.sent[0].recipient == coordinator_of(tx, K)
    assert state.rm_state(txid_of(tx)) is RmState.PREPARED
    assert state.lock(agent_id(A1)) == txid_of(tx)


def test_insufficient_balance():
    state, result = prepare(shard1({A1: 4}), pay_from_a1(amount=5))
    assert vote_of(result).reason is VoteReason.INSUFFICIENT_BALANCE
    assert state.log.records() == (OutcomeRecord(txid_of(pay_from_a1(amount=5)), Outcome.ABORT),)
    assert result.log_writes[0][1] is True          # the ABORT record is forced (§5.2, §12.3)


@pytest.mark.parametrize("nonce", [2, 3])
def test_bad_nonce_too_high(nonce):
    _, result = prepare(shard1(), pay_from_a1(nonce=nonce))
    assert vote_of(result).reason is VoteReason.BAD_NONCE


def test_bad_nonce_too_low_after_a_commit():
    first = pay_from_a1(nonce=1, tag=b"1")
    state, _ = prepare(shard1(), first)
    state = step(state, Deliver(Envelope(0, 1, Decision(txid_of(first), Outcome.COMMIT)))).state
    assert state.nonce(agent_id(A1)) == 1
    _, result = prepare(state, pay_from_a1(nonce=1, tag=b"again"))
    assert vote_of(result).reason is VoteReason.BAD_NONCE
    _, result = prepare(state, pay_from_a1(nonce=2, tag=b"next"))
    assert vote_of(result).vote is VoteValue.YES


def test_locked_by_another_transaction_even_for_a_credit():
    holder = pay_to_a1(tag=b"holder")                 # a credit locks its agent too (§12.5)
    state, _ = prepare(shard1(), holder)
    _, result = prepare(state, pay_to_a1(tag=b"other"))
    assert vote_of(result).reason is VoteReason.LOCKED


def test_checks_are_applied_in_order_locked_before_balance_before_nonce():
    holder = pay_to_a1(tag=b"holder")
    state, _ = prepare(shard1({A1: 1}), holder)
    # A1: locked, too poor and wrong nonce at once -> LOCKED (check a first)
    _, result = prepare(state, pay_from_a1(amount=5, nonce=9))
    assert vote_of(result).reason is VoteReason.LOCKED
    # too poor and wrong nonce -> INSUFFICIENT_BALANCE (b before c)
    _, result = prepare(shard1({A1: 1}), pay_from_a1(amount=5, nonce=9))
    assert vote_of(result).reason is VoteReason.INSUFFICIENT_BALANCE


def test_first_failing_leg_in_canonical_order_decides_the_reason():
    first, second = sorted([A1, B1], key=agent_id)
    tx = make_tx([(A0, 10, 1), (first, 5, 7), (second, 5, 1)], [(A2, 20)])   # first: bad nonce
    _, result = prepare(shard1({first: 50, second: 1}), tx)                   # second: too poor
    assert vote_of(result).reason is VoteReason.BAD_NONCE
    tx = make_tx([(A0, 10, 1), (first, 5, 1), (second, 5, 7)], [(A2, 20)])
    _, result = prepare(shard1({first: 1, second: 50}), tx)
    assert vote_of(result).reason is VoteReason.INSUFFICIENT_BALANCE


def test_lock_of_the_same_transaction_is_not_a_conflict():
    tx = pay_from_a1()
    state, _ = prepare(shard1(), tx)
    _, again = prepare(state, tx)
    assert vote_of(again).vote is VoteValue.YES


# -- §7.1.1–7.1.3: repeated Prepare ----------------------------------------------------------

def test_prepared_participant_resends_yes_without_writing():
    tx = pay_from_a1()
    state, _ = prepare(shard1(), tx)
    again_state, again = prepare(state, tx)
    assert again.log_writes == () and again_state.log == state.log
    assert vote_of(again).vote is VoteValue.YES


def test_aborted_participant_answers_no_aborted_locally():
    tx = pay_from_a1(amount=500)
    state, first = prepare(shard1(), tx)
    assert vote_of(first).reason is VoteReason.INSUFFICIENT_BALANCE
    _, again = prepare(state, tx)
    assert vote_of(again).reason is VoteReason.ABORTED_LOCALLY and again.log_writes == ()


def test_committed_participant_sends_nothing_on_prepare():
    tx = pay_from_a1()
    state, _ = prepare(shard1(), tx)
    state = step(state, Deliver(Envelope(0, 1, Decision(txid_of(tx), Outcome.COMMIT)))).state
    _, again = prepare(state, tx)
    assert again.sent == () and again.log_writes == ()


# -- §7.2: Decision(COMMIT) -------------------------------------------------------------------------

def test_commit_forces_outcome_applies_legs_releases_locks_and_acks():
    tx = pay_from_a1(amount=5)
    state, _ = prepare(shard1(), tx)
    result = step(state, Deliver(Envelope(0, 1, Decision(txid_of(tx), Outcome.COMMIT))))
    new = result.state
    assert result.log_writes == ((OutcomeRecord(txid_of(tx), Outcome.COMMIT), True),)
    assert new.balance(agent_id(A1)) == 45 and new.nonce(agent_id(A1)) == 1
    assert new.lock(agent_id(A1)) is None and new.rm_state(txid_of(tx)) is RmState.COMMITTED
    assert [e.message for e in result.sent] == [Ack(txid_of(tx), 1)]
    assert state.balance(agent_id(A1)) == 50          # the input state is untouched


def test_duplicate_commit_re_acks_without_applying_twice():
    tx = pay_from_a1(amount=5)
    state, _ = prepare(shard1(), tx)
    state = step(state, Deliver(Envelope(0, 1, Decision(txid_of(tx), Outcome.COMMIT)))).state
    again = step(state, Deliver(Envelope(0, 1, Decision(txid_of(tx), Outcome.COMMIT))))
    assert again.log_writes == () and again.state.balances == state.balances
    assert [e.message for e in again.sent] == [Ack(txid_of(tx), 1)]


@pytest.mark.parametrize("amount", [5, 500])    # working (never prepared) / aborted
def test_commit_for_a_working_or_aborted_participant_is_ignored(amount):
    tx = pay_from_a1(amount=amount)
    state = shard1()
    if amount == 500:
        state, _ = prepare(state, tx)
    result = step(state, Deliver(Envelope(0, 1, Decision(txid_of(tx), Outcome.COMMIT))))
    assert result.state is state and result.sent == ()


def test_credit_applies_balance_but_not_nonce():
    tx = pay_to_a1(amount=7)
    state, _ = prepare(shard1(), tx)
    state = step(state, Deliver(Envelope(0, 1, Decision(txid_of(tx), Outcome.COMMIT)))).state
    assert state.balance(agent_id(A1)) == 57 and state.nonce(agent_id(A1)) == 0


# -- §7.3: Decision(ABORT) -------------------------------------------------------------------------

def test_abort_releases_a_prepared_participant_and_sends_no_ack():
    tx = pay_from_a1()
    state, _ = prepare(shard1(), tx)
    result = step(state, Deliver(Envelope(0, 1, Decision(txid_of(tx), Outcome.ABORT))))
    assert result.log_writes == ((OutcomeRecord(txid_of(tx), Outcome.ABORT), True),)
    assert result.sent == ()
    assert result.state.lock(agent_id(A1)) is None and result.state.balances == state.balances


def test_abort_at_a_working_participant_is_recorded_so_a_late_prepare_votes_no():
    tx = pay_from_a1()
    state = step(shard1(), Deliver(Envelope(0, 1, Decision(txid_of(tx), Outcome.ABORT)))).state
    assert state.rm_state(txid_of(tx)) is RmState.ABORTED
    _, late = prepare(state, tx)
    assert vote_of(late).reason is VoteReason.ABORTED_LOCALLY


def test_abort_at_aborted_or_committed_participant_changes_nothing():
    tx = pay_from_a1()
    state = step(shard1(), Deliver(Envelope(0, 1, Decision(txid_of(tx), Outcome.ABORT)))).state
    again = step(state, Deliver(Envelope(0, 1, Decision(txid_of(tx), Outcome.ABORT))))
    assert again.state is state
    committed, _ = prepare(shard1(), tx)
    committed = step(committed, Deliver(Envelope(0, 1, Decision(txid_of(tx), Outcome.COMMIT)))).state
    ignored = step(committed, Deliver(Envelope(0, 1, Decision(txid_of(tx), Outcome.ABORT))))
    assert ignored.state is committed


# -- §7.4: timeouts -----------------------------------------------------------------------------------

def test_working_participant_aborts_alone_on_timeout():
    tx = pay_from_a1()
    result = step(shard1(), Timeout(tx))
    assert result.log_writes == ((OutcomeRecord(txid_of(tx), Outcome.ABORT), True),) and result.sent == ()


def test_prepared_participant_queries_and_keeps_waiting():
    tx = pay_from_a1()
    state, _ = prepare(shard1(), tx)
    result = step(state, Timeout(tx))
    assert [(e.recipient, e.message) for e in result.sent] == [(coordinator_of(tx, K), Query(txid_of(tx), 1))]
    assert result.log_writes == () and result.state.rm_state(txid_of(tx)) is RmState.PREPARED


def test_finished_participant_ignores_timeouts():
    tx = pay_from_a1(amount=500)
    state, _ = prepare(shard1(), tx)                  # aborted
    assert step(state, Timeout(tx)).state is state


def test_timeout_at_a_shard_that_is_not_a_participant_does_nothing():
    tx = make_tx([(A0, 5, 1)], [(A2, 5)])
    state = shard1()
    assert step(state, Timeout(tx)).state is state


# -- §5.2: forcing appends the buffer first ---------------------------------------------------------

def test_a_forced_record_carries_the_buffer_to_the_log_first():
    from dataclasses import replace
    end = EndRecord(b"\x07" * 32)
    state = replace(shard1(), buffer=(end,))
    tx = pay_from_a1()
    new, _ = prepare(state, tx)
    assert new.log.records() == (end, PreparedRecord(tx)) and new.buffer == ()

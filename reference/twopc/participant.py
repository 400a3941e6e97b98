"""Participant rules: shard ``s`` and transaction ``t`` (spec/two_phase_commit.md §7).

Each function is one clause of §7 and acts on a :class:`StepBuilder`.  The
participant's state for ``t`` is ``rmState[t][s]``, derived from the log
(§4.3), so these rules only read the log and force records.
"""

from __future__ import annotations

from altledger.reference.encoding import (Ack, CrossAgentTx, Decision, Leg, LegKind, Outcome, OutcomeRecord,
                                          PreparedRecord, Query, VoteMsg, VoteReason, VoteValue)
from altledger.reference.twopc.effects import StepBuilder
from altledger.reference.twopc.log import RmState
from altledger.reference.twopc.state import ShardState
from altledger.reference.twopc.txfacts import coordinator_of, legs_on, txid_of


def leg_failure(state: ShardState, txid: bytes, leg: Leg) -> VoteReason | None:
    """The first failing check of §7.1.4 for one leg, or None if it passes."""
    holder = state.lock(leg.agent)
    if holder is not None and holder != txid:                      # §7.1.4.a
        return VoteReason.LOCKED
    if leg.kind is LegKind.DEBIT:
        if state.balance(leg.agent) < leg.amount:                   # §7.1.4.b
            return VoteReason.INSUFFICIENT_BALANCE
        if leg.nonce != state.nonce(leg.agent) + 1:                 # §7.1.4.c
            return VoteReason.BAD_NONCE
    return None


def first_failure(state: ShardState, tx: CrossAgentTx) -> VoteReason | None:
    """§7.1.4: the legs of ``t`` on ``s`` in canonical order, each checked a, b, c; the first failure."""
    txid = txid_of(tx)
    for leg in legs_on(tx, state.shard, state.shard_count):
        reason = leg_failure(state, txid, leg)
        if reason is not None:
            return reason
    return None


def vote_on_prepare(b: StepBuilder, tx: CrossAgentTx) -> VoteMsg | None:
    """§7.1: decide this participant's vote on ``t`` (forcing its record); None = send nothing.

    Shared by ``on_prepare`` (which sends the vote) and the coordinator's
    submission rule §8.1.2 (which uses it in the same step, without a message).
    """
    txid = txid_of(tx)
    state = b.state.rm_state(txid)
    if state is RmState.PREPARED:                                   # §7.1.1
        vote = VoteMsg(txid, b.shard, VoteValue.YES, VoteReason.NONE)
    elif state is RmState.ABORTED:                                  # §7.1.2
        vote = VoteMsg(txid, b.shard, VoteValue.NO, VoteReason.ABORTED_LOCALLY)
    elif state is RmState.COMMITTED:                                # §7.1.3
        return None
    else:                                                           # §7.1.4 (working)
        reason = first_failure(b.state, tx)
        if reason is None:
            b.force(PreparedRecord(tx))
            vote = VoteMsg(txid, b.shard, VoteValue.YES, VoteReason.NONE)
        else:
            b.force(OutcomeRecord(txid, Outcome.ABORT))
            vote = VoteMsg(txid, b.shard, VoteValue.NO, reason)
    b.votes.append(vote)
    return vote


def on_prepare(b: StepBuilder, tx: CrossAgentTx) -> None:
    """§7.1: on ``Prepare(t)``, vote and send the vote to ``coordinator(t)``."""
    vote = vote_on_prepare(b, tx)
    if vote is not None:
        b.send(coordinator_of(tx, b.shard_count), vote)


def on_commit_decision(b: StepBuilder, txid: bytes) -> None:
    """§7.2: on ``Decision(t, COMMIT)``."""
    state = b.state.rm_state(txid)
    if state is RmState.PREPARED:                                   # §7.2.1
        tx = b.state.log.prepared_tx(txid)
        b.force(OutcomeRecord(txid, Outcome.COMMIT))
        b.apply_legs(legs_on(tx, b.shard, b.shard_count))
        b.send(coordinator_of(tx, b.shard_count), Ack(txid, b.shard))
    elif state is RmState.COMMITTED:                                # §7.2.2
        tx = b.state.log.prepared_tx(txid)
        b.send(coordinator_of(tx, b.shard_count), Ack(txid, b.shard))
    # §7.2.3: working or aborted cannot happen (§11.1, §11.2); ignored.


def on_abort_decision(b: StepBuilder, txid: bytes) -> None:
    """§7.3: on ``Decision(t, ABORT)``: a prepared or working participant forces ABORT; no ack (§12.1)."""
    if b.state.rm_state(txid) in (RmState.PREPARED, RmState.WORKING):   # §7.3.1
        b.force(OutcomeRecord(txid, Outcome.ABORT))
    # §7.3.2: aborted: nothing; committed: cannot happen, ignored.


def on_decision(b: StepBuilder, decision: Decision) -> None:
    if decision.outcome is Outcome.COMMIT:
        on_commit_decision(b, decision.txid)
    else:
        on_abort_decision(b, decision.txid)


def on_participant_timeout(b: StepBuilder, tx: CrossAgentTx) -> None:
    """§7.4: on ``Timeout(t)`` at a participant."""
    txid = txid_of(tx)
    state = b.state.rm_state(txid)
    if state is RmState.WORKING:                                    # §7.4.1 (RMChooseToAbort)
        b.force(OutcomeRecord(txid, Outcome.ABORT))
    elif state is RmState.PREPARED:                                 # §7.4.2
        b.send(coordinator_of(tx, b.shard_count), Query(txid, b.shard))
    # §7.4.3: committed or aborted: nothing.

"""Coordinator rules: shard ``c = coordinator(t)`` (spec/two_phase_commit.md §8).

The coordinator's volatile memory is ``coord[c][t]`` (§4.2); its only durable
decision is the forced ``CommitDecisionRecord`` (presumed abort, §12.1).
"""

from __future__ import annotations

from altledger.reference.encoding import (Ack, CommitDecisionRecord, CrossAgentTx, Decision, EndRecord, Outcome,
                                          Prepare, Query, VoteMsg, VoteValue)
from altledger.reference.twopc.effects import StepBuilder
from altledger.reference.twopc.log import RmState
from altledger.reference.twopc.participant import vote_on_prepare
from altledger.reference.twopc.state import CoordEntry, Phase
from altledger.reference.twopc.txfacts import participants_of, txid_of


def on_submit(b: StepBuilder, tx: CrossAgentTx) -> None:
    """§8.1: a client hands ``t`` to its coordinator."""
    txid = txid_of(tx)
    if b.state.phase(txid) is not Phase.IDLE or b.state.rm_state(txid) is not RmState.WORKING:
        return                                                      # §8.1.1: a duplicate, ignored
    vote = vote_on_prepare(b, tx)                                   # §8.1.2: own vote, same step, no message
    if vote.vote is VoteValue.NO:
        return                                                      # aborted; its ABORT record is the only trace
    participants = participants_of(tx, b.shard_count)
    b.set_coord(txid, CoordEntry(Phase.COLLECTING, participants, yes=frozenset((b.shard,))))
    for shard in participants:
        if shard != b.shard:
            b.send(shard, Prepare(tx))
    if len(participants) == 1:                                      # the only participant: commit at once
        decide_commit(b, txid)


def decide_commit(b: StepBuilder, txid: bytes) -> None:
    """§8.2 *decide commit*: force the decision, enter ``committing``, send COMMIT to every participant."""
    participants = b.state.coord[txid].participants
    b.force(CommitDecisionRecord(txid, participants))
    b.set_coord(txid, CoordEntry(Phase.COMMITTING, participants))
    for shard in participants:
        b.send(shard, Decision(txid, Outcome.COMMIT))


def decide_abort(b: StepBuilder, txid: bytes, except_shard: int | None = None) -> None:
    """§8.3 *decide abort*: send ABORT to every participant (but the NO voter) and go idle; nothing is logged."""
    participants = b.state.coord[txid].participants
    for shard in participants:
        if shard != except_shard:
            b.send(shard, Decision(txid, Outcome.ABORT))
    b.set_coord(txid, None)


def on_vote(b: StepBuilder, vote: VoteMsg) -> None:
    """§8.2 (YES) and §8.3 (NO) while ``collecting``; any other vote is ignored."""
    entry = b.state.coord.get(vote.txid)
    if entry is None or entry.phase is not Phase.COLLECTING:
        return
    if vote.vote is VoteValue.YES:
        yes = entry.yes | {vote.shard}
        b.set_coord(vote.txid, CoordEntry(Phase.COLLECTING, entry.participants, yes=yes))
        if yes == frozenset(entry.participants):
            decide_commit(b, vote.txid)
    else:
        decide_abort(b, vote.txid, except_shard=vote.shard)


def on_query(b: StepBuilder, query: Query) -> None:
    """§8.4: answer a prepared participant's query; no commit record means ABORT (presumed abort)."""
    if b.state.log.has_commit_decision(query.txid):                 # §8.4.1
        b.send(query.shard, Decision(query.txid, Outcome.COMMIT))
    elif b.state.phase(query.txid) is Phase.COLLECTING:             # §8.4.2
        return
    else:                                                           # §8.4.3
        b.send(query.shard, Decision(query.txid, Outcome.ABORT))


def on_coordinator_timeout(b: StepBuilder, txid: bytes) -> None:
    """§8.5: on ``Timeout(t)`` at the coordinator."""
    entry = b.state.coord.get(txid)
    if entry is None:                                               # §8.5.3 idle: nothing
        return
    if entry.phase is Phase.COLLECTING:                             # §8.5.1
        decide_abort(b, txid)
    else:                                                           # §8.5.2 committing: re-send
        for shard in entry.participants:
            if shard not in entry.acks:
                b.send(shard, Decision(txid, Outcome.COMMIT))


def on_ack(b: StepBuilder, ack: Ack) -> None:
    """§8.6: collect acknowledgements; when all are in, buffer the ``EndRecord`` and go idle."""
    entry = b.state.coord.get(ack.txid)
    if entry is None or entry.phase is not Phase.COMMITTING:
        return
    acks = entry.acks | {ack.shard}
    if acks == frozenset(entry.participants):
        b.append_to_buffer(EndRecord(ack.txid))                     # not forced, §5.3
        b.set_coord(ack.txid, None)
    else:
        b.set_coord(ack.txid, CoordEntry(Phase.COMMITTING, entry.participants, acks=acks))

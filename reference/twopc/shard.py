"""One shard as a deterministic state machine: ``step(state, input) -> StepResult`` (spec/two_phase_commit.md §2.6).

Inputs are ``Submit``, ``Deliver`` (one message), ``Timeout``, ``Flush``,
``Crash`` and ``Recover``.  A down shard takes no step (§2.3): every input
but ``Recover`` leaves it unchanged, and ``Recover`` leaves an up shard
unchanged (§13.1's no-op rule).  A step that does not apply returns the
*same* state object with nothing sent or written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Union

from altledger.reference.encoding import Ack, CrossAgentTx, Decision, Prepare, Query, VoteMsg
from altledger.reference.twopc.coordinator import on_ack, on_coordinator_timeout, on_query, on_submit, on_vote
from altledger.reference.twopc.effects import StepBuilder, StepResult
from altledger.reference.twopc.participant import on_decision, on_participant_timeout, on_prepare
from altledger.reference.twopc.state import CoordEntry, Envelope, Phase, ShardState
from altledger.reference.twopc.txfacts import coordinator_of, legs_on, txid_of


@dataclass(frozen=True)
class Submit:
    """A client hands ``tx`` to this shard, its coordinator (§8.1)."""

    tx: CrossAgentTx


@dataclass(frozen=True)
class Deliver:
    """The network delivers one envelope addressed to this shard (§7, §8)."""

    envelope: Envelope


@dataclass(frozen=True)
class Timeout:
    """This shard has waited long enough on ``tx`` (§7.4, §8.5).

    It carries the transaction, not only its id: the participant rule §7.4.1
    applies to a participant that may never have received ``Prepare(t)``.
    """

    tx: CrossAgentTx


@dataclass(frozen=True)
class Flush:
    """Write the buffer to the log (§5.4)."""


@dataclass(frozen=True)
class Crash:
    """Lose the volatile state (§9.1)."""


@dataclass(frozen=True)
class Recover:
    """Rebuild the volatile state from the durable state (§9.2)."""


Input = Union[Submit, Deliver, Timeout, Flush, Crash, Recover]


def flush(state: ShardState) -> StepResult:
    """§5.4 ``Flush(s)``: append ``buffer[s]`` to ``log[s]`` and empty the buffer."""
    if not state.buffer:
        return StepResult(state)
    return StepResult(replace(state, log=state.log.append(state.buffer), buffer=()))


def crash(state: ShardState) -> StepResult:
    """§9.1 ``Crash(s)``: down; buffer and coordinator table lost; log and store kept."""
    return StepResult(replace(state, up=False, buffer=(), coord={}))


def recovered_coord(state: ShardState) -> dict[bytes, CoordEntry]:
    """§9.2: ``committing`` with no acks for every commit decision without an end record; all else idle."""
    return {record.txid: CoordEntry(Phase.COMMITTING, record.participants)
            for record in state.log.commit_decisions()
            if not state.log.has_end(record.txid)}


def recover(state: ShardState) -> StepResult:
    """§9.2 ``Recover(s)``; participants need no recovery action (§9.3)."""
    return StepResult(replace(state, up=True, buffer=(), coord=recovered_coord(state)))


def deliver(b: StepBuilder, envelope: Envelope) -> None:
    """Run the rule for the delivered message: participant rules (§7) or coordinator rules (§8)."""
    message = envelope.message
    if isinstance(message, Prepare):
        on_prepare(b, message.tx)
    elif isinstance(message, Decision):
        on_decision(b, message)
    elif isinstance(message, VoteMsg):
        on_vote(b, message)
    elif isinstance(message, Ack):
        on_ack(b, message)
    elif isinstance(message, Query):
        on_query(b, message)
    else:
        raise TypeError(f"not a two-phase commit message: {type(message).__name__}")


def timeout(b: StepBuilder, tx: CrossAgentTx) -> None:
    """§13.1 ``timeout(s, txid)``: the coordinator rule §8.5 if ``s`` coordinates it, then §7.4 if a participant."""
    if coordinator_of(tx, b.shard_count) == b.shard:
        on_coordinator_timeout(b, txid_of(tx))
    if legs_on(tx, b.shard, b.shard_count):
        on_participant_timeout(b, tx)


def misrouted(shard: int, shard_count: int, event: Input) -> tuple[str, str] | None:
    """Why ``event`` cannot be given to shard ``shard`` (§2.6), as (the input's member at fault, the
    reason), or None when it can: a Submit goes only to the transaction's coordinator (§3.4), a
    Deliver only to the envelope's recipient."""
    if isinstance(event, Submit) and coordinator_of(event.tx, shard_count) != shard:
        return "txid", (f"shard {shard} does not coordinate this transaction "
                        f"(shard {coordinator_of(event.tx, shard_count)} does, §3.4)")
    if isinstance(event, Deliver) and event.envelope.recipient != shard:
        return "envelope/recipient", f"envelope for shard {event.envelope.recipient} delivered to shard {shard}"
    return None


def step(state: ShardState, event: Input) -> StepResult:
    """One atomic step of shard ``state.shard`` (§2.6)."""
    if isinstance(event, Recover):
        return recover(state) if not state.up else StepResult(state)
    if not state.up:
        return StepResult(state)                                    # a down shard takes no step (§2.3)
    if isinstance(event, Crash):
        return crash(state)
    if isinstance(event, Flush):
        return flush(state)
    problem = misrouted(state.shard, state.shard_count, event)
    if problem:
        raise ValueError(problem[1])
    b = StepBuilder(state)
    if isinstance(event, Submit):
        on_submit(b, event.tx)
    elif isinstance(event, Deliver):
        deliver(b, event.envelope)
    elif isinstance(event, Timeout):
        timeout(b, event.tx)
    else:
        raise TypeError(f"not a shard input: {type(event).__name__}")
    return b.result()

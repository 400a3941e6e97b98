"""Deliberately broken clients: the reference with one bug each, the negative controls of the suite.

``altledger conformance client --impl broken:BUG`` answers with the
reference wrapped by the bug.  Each bug is a plausible implementation
mistake against one clause; the suite must catch every one of them with a
readable diff (tests and ``altledger verify`` check that it does, on the
vectors listed in ``catches``).  Why wrappers and not patched copies: the
reference stays untouched, and the bug is visible in a few lines here.

A bug is a function ``(state, input) -> StepResult`` built on the
reference ``step``; for runs a :class:`BrokenCluster` routes every shard
step through it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from altledger.reference.encoding import (Ack, Decision, EndRecord, Outcome, OutcomeRecord, PreparedRecord, Query,
                                          VoteMsg, VoteReason, VoteValue)
from altledger.reference.errors import ToolError
from altledger.reference.twopc.cluster import Applied, Cluster, Operation
from altledger.reference.twopc.effects import StepResult
from altledger.reference.twopc.log import Log, RmState
from altledger.reference.twopc.shard import Deliver, Input, Recover, Timeout, step
from altledger.reference.twopc.state import Envelope, Phase, ShardState
from altledger.reference.twopc.txfacts import txid_of
from altledger.conformance.twopc_backends import ReferenceBackend

StepFunction = Callable[[ShardState, Input], StepResult]


@dataclass(frozen=True)
class Bug:
    description: str
    clauses: tuple[str, ...]
    step: StepFunction
    catches: tuple[str, ...]          # vector ids that must fail for this bug (checked by tests and verify)


def commit_on_no(state: ShardState, event: Input) -> StepResult:
    """The coordinator counts a NO vote like a YES (§8.3 broken)."""
    if isinstance(event, Deliver) and isinstance(event.envelope.message, VoteMsg):
        vote = event.envelope.message
        entry = state.coord.get(vote.txid)
        if vote.vote is VoteValue.NO and entry is not None and entry.phase is Phase.COLLECTING:
            yes = VoteMsg(vote.txid, vote.shard, VoteValue.YES, VoteReason.NONE)
            event = Deliver(Envelope(event.envelope.sender, event.envelope.recipient, yes))
    return step(state, event)


def forget_prepared_on_restart(state: ShardState, event: Input) -> StepResult:
    """Recovery drops the PreparedRecords of transactions still prepared, as if they were volatile (§9.3,
    §4.3 broken): the participant forgets its promise and its locks."""
    result = step(state, event)
    if isinstance(event, Recover) and not state.up:
        after = result.state
        keep = [r for r in after.log
                if not (isinstance(r, PreparedRecord) and after.rm_state(txid_of(r.tx)) is RmState.PREPARED)]
        result = replace(result, state=replace(after, log=Log().append(keep)))
    return result


def end_record_forced(state: ShardState, event: Input) -> StepResult:
    """The coordinator forces its EndRecord instead of buffering it (§5.3 broken)."""
    result = step(state, event)
    if any(isinstance(r, EndRecord) and not forced for r, forced in result.log_writes):
        after = result.state
        writes = tuple((r, True) if isinstance(r, EndRecord) else (r, f) for r, f in result.log_writes)
        result = replace(result, state=replace(after, log=after.log.append(after.buffer), buffer=()),
                         log_writes=writes)
    return result


def no_abort_record_on_timeout(state: ShardState, event: Input) -> StepResult:
    """A working participant that times out aborts without forcing an ABORT record, as classic presumed
    abort allows (§7.4.1 and stated choice §12.3 broken)."""
    if isinstance(event, Timeout) and state.up and state.rm_state(txid_of(event.tx)) is RmState.WORKING:
        return StepResult(state)
    return step(state, event)


def abort_query_while_collecting(state: ShardState, event: Input) -> StepResult:
    """The coordinator answers a Query with ABORT while it is still collecting votes (§8.4.2 broken)."""
    result = step(state, event)
    if isinstance(event, Deliver) and isinstance(event.envelope.message, Query) and state.up:
        query = event.envelope.message
        if state.phase(query.txid) is Phase.COLLECTING and not state.log.has_commit_decision(query.txid):
            answer = Envelope(state.shard, query.shard, Decision(query.txid, Outcome.ABORT))
            result = replace(result, sent=result.sent + (answer,))
    return result


def ack_aborts(state: ShardState, event: Input) -> StepResult:
    """A participant acknowledges ABORT decisions too (§7.3.3 broken: presumed abort sends no such ack)."""
    result = step(state, event)
    if isinstance(event, Deliver) and state.up:
        message = event.envelope.message
        if isinstance(message, Decision) and message.outcome is Outcome.ABORT and \
                any(isinstance(r, OutcomeRecord) for r, _ in result.log_writes):
            ack = Envelope(state.shard, event.envelope.sender, Ack(message.txid, state.shard))
            result = replace(result, sent=result.sent + (ack,))
    return result


BUGS: dict[str, Bug] = {
    "commit-on-no": Bug(
        "the coordinator counts a NO vote as YES", ("§8.3", "§11.1"), commit_on_no,
        ("step/coordinator-vote/no-decides-abort", "run/conflict/participant-lock", "run/funds/remote-insufficient")),
    "forget-prepared-on-restart": Bug(
        "recovery forgets the PreparedRecords of prepared transactions", ("§9.3", "§4.3", "§7.4.2"),
        forget_prepared_on_restart,
        ("step/crash-recover/recover-rebuilds-committing", "run/crash/shard1-after-op02",
         "run/presumed-abort/coordinator-crash-while-collecting")),
    "end-record-forced": Bug(
        "the coordinator forces its EndRecord instead of buffering it", ("§5.3", "§8.6"), end_record_forced,
        ("step/coordinator-ack/last-ack-buffers-end-record", "run/happy/three-participants")),
    "no-abort-record-on-timeout": Bug(
        "a working participant times out without forcing an ABORT record", ("§7.4.1", "§12.3"),
        no_abort_record_on_timeout,
        ("step/participant-timeout/working-aborts-alone", "step/coordinator-timeout/idle-never-seen-aborts")),
    "abort-query-while-collecting": Bug(
        "the coordinator answers a query with ABORT while still collecting", ("§8.4.2",),
        abort_query_while_collecting, ("step/coordinator-query/collecting-no-answer-yet",)),
    "ack-aborts": Bug(
        "participants acknowledge ABORT decisions", ("§7.3.3", "§12.1"), ack_aborts,
        ("step/participant-decision/abort-when-prepared", "run/messages/prepare-lost")),
}


class BrokenCluster(Cluster):
    """A reference cluster whose every shard step goes through a bug."""

    bug_step: StepFunction = staticmethod(step)

    def _step(self, op: Operation, shard: int, event: Input,
              removed: tuple[int, Envelope] | None = None) -> Applied:
        before = self.shards[shard]
        result = self.bug_step(before, event)
        self.shards[shard] = result.state
        return Applied(op, True, shard, before, result, removed, self._send(result.sent))


class BrokenBackend(ReferenceBackend):
    def __init__(self, name: str, bug: Bug) -> None:
        self.name = f"broken:{name}"
        self.bug = bug

    def step(self, state: Any, event: Input) -> Any:
        result = self.bug.step(state, event)
        return result.state, result.sent, result.log_writes

    def new_cluster(self, shard_count: int, genesis: Any, agent_names: Any) -> Any:
        cluster = BrokenCluster(shard_count, genesis, agent_names)
        cluster.bug_step = self.bug.step
        return cluster


def broken_backend(name: str) -> BrokenBackend:
    bug = BUGS.get(name)
    if bug is None:
        raise ToolError(f"unknown bug {name!r}; known: {', '.join(sorted(BUGS))}")
    return BrokenBackend(name, bug)


__all__ = ["BUGS", "Bug", "BrokenBackend", "BrokenCluster", "broken_backend"]

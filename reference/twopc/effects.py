"""The effects of one step while it is being computed (spec/two_phase_commit.md §2.6).

A step takes a shard state and one input and yields the new state, the
messages sent and the records written.  The rules of §7 and §8 are written as
small functions that receive a :class:`StepBuilder` and call ``force``,
``append_to_buffer``, ``send``, ``set_coord`` and ``apply_legs`` on it, in the
order the spec lists the actions.  The builder replaces its ``state`` with a
new immutable value at each change (copying the one mapping it touches), so
the input state is never modified and ``result()`` is the step's output.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from altledger.reference.encoding import Leg, LegKind, VoteMsg
from altledger.reference.twopc.log import Record
from altledger.reference.twopc.state import CoordEntry, Envelope, Message, ShardState


@dataclass(frozen=True)
class StepResult:
    """What one step produced (§2.6).

    ``log_writes`` lists the records the step wrote, in order, each with
    ``forced=True`` (appended to the log after the buffer, §5.2) or ``False``
    (appended to the buffer, §5.3).  A ``Flush`` moves records from the
    buffer to the log without writing new ones, so its ``log_writes`` is
    empty.  ``votes`` lists every vote the step's participant cast, including
    the coordinator's same-step local vote of §8.1, which is not sent; it is
    there so that tools can report why a transaction aborted.
    """

    state: ShardState
    sent: tuple[Envelope, ...] = ()
    log_writes: tuple[tuple[Record, bool], ...] = ()
    votes: tuple[VoteMsg, ...] = ()


class StepBuilder:
    """Accumulates the new state, messages and records of one step."""

    def __init__(self, state: ShardState) -> None:
        self.state = state
        self.sent: list[Envelope] = []
        self.log_writes: list[tuple[Record, bool]] = []
        self.votes: list[VoteMsg] = []

    @property
    def shard(self) -> int:
        return self.state.shard

    @property
    def shard_count(self) -> int:
        return self.state.shard_count

    def force(self, record: Record) -> None:
        """Force ``record``: append the whole buffer, then the record, to the log (§5.2)."""
        state = self.state
        self.state = replace(state, log=state.log.append(state.buffer + (record,)), buffer=())
        self.log_writes.append((record, True))

    def append_to_buffer(self, record: Record) -> None:
        """Append an unforced record to the buffer (§5.3)."""
        self.state = replace(self.state, buffer=self.state.buffer + (record,))
        self.log_writes.append((record, False))

    def send(self, recipient: int, message: Message) -> None:
        """Send ``message`` to shard ``recipient`` (§2.4); the cluster numbers it in this order (§13.2)."""
        self.sent.append(Envelope(self.shard, recipient, message))

    def set_coord(self, txid: bytes, entry: CoordEntry | None) -> None:
        """Set ``coord[s][txid]``; ``None`` means idle (no entry, §4.2)."""
        coord = dict(self.state.coord)
        if entry is None:
            coord.pop(txid, None)
        else:
            coord[txid] = entry
        self.state = replace(self.state, coord=coord)

    def apply_legs(self, legs: tuple[Leg, ...]) -> None:
        """Apply legs to the store (§7.2.1): debit ``balance −= amount, nonce := leg.nonce``; credit ``+=``."""
        balances, nonces = dict(self.state.balances), dict(self.state.nonces)
        for leg in legs:
            if leg.kind is LegKind.DEBIT:
                balances[leg.agent] = balances.get(leg.agent, 0) - leg.amount
                nonces[leg.agent] = leg.nonce
            else:
                balances[leg.agent] = balances.get(leg.agent, 0) + leg.amount
        self.state = replace(self.state, balances=balances, nonces=nonces)

    def result(self) -> StepResult:
        return StepResult(self.state, tuple(self.sent), tuple(self.log_writes), tuple(self.votes))

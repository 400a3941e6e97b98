"""A shard's durable log as an immutable value, with the derived state of §4.3.

spec/two_phase_commit.md §4.1: records are only ever appended.  That makes a
cheap persistent structure possible: a :class:`Log` value is a *view* — a
shared, append-only record list plus the length this view sees.  Appending
to the newest view extends the shared list in place and returns a longer
view; the old view still sees exactly its own records, so every ``Log`` is
immutable from the outside.  Appending to an *older* view (two futures of one
state, as in tests that branch a cluster) copies the prefix first.

Derived state (§4.3) is computed from the records this view sees.  To avoid
re-scanning a whole log per step, the shared list carries two indices that
are only ever appended to, exactly like the records:

* ``positions_by_tx[txid]``: positions of the records about ``txid``;
* ``state_by_tx[txid]``: ``rm_state_of`` all the records about ``txid``
  (used only by a view that sees all of them, i.e. whose length exceeds the
  last position of ``txid``);
* ``prepared_by_agent[agent]``: positions of the ``PreparedRecord`` s with a
  leg on ``agent``;
* ``commit_positions``: positions of the ``CommitDecisionRecord`` s.

A view filters them by its length, so the derived values are those of the
definition applied to its records.  ``invariants.check_derived_state``
re-derives everything by a full scan and compares (tests call it).
"""

from __future__ import annotations

from bisect import bisect_left
from enum import Enum
from typing import Iterable, Iterator, Union

from altledger.reference.encoding import (CommitDecisionRecord, CrossAgentTx, EndRecord, Outcome, OutcomeRecord,
                                          PreparedRecord)
from altledger.reference.twopc.txfacts import txid_of

Record = Union[PreparedRecord, OutcomeRecord, CommitDecisionRecord, EndRecord]


class RmState(Enum):
    """Lamport's resource-manager states (spec/two_phase_commit.md §4.3)."""

    WORKING = "working"
    PREPARED = "prepared"
    COMMITTED = "committed"
    ABORTED = "aborted"


def record_txid(record: Record) -> bytes:
    """The transaction a record is about."""
    if isinstance(record, PreparedRecord):
        return txid_of(record.tx)
    return record.txid


def rm_state_of(records: Iterable[Record]) -> RmState:
    """``rmState`` (§4.3) given the records about one transaction in a log:
    committed if an ``OutcomeRecord(COMMIT)`` is present; else aborted if an
    ``OutcomeRecord(ABORT)`` is; else prepared if a ``PreparedRecord`` is; else working."""
    has_commit = has_abort = has_prepared = False
    for record in records:
        if isinstance(record, OutcomeRecord):
            if record.outcome is Outcome.COMMIT:
                has_commit = True
            else:
                has_abort = True
        elif isinstance(record, PreparedRecord):
            has_prepared = True
    if has_commit:
        return RmState.COMMITTED
    if has_abort:
        return RmState.ABORTED
    if has_prepared:
        return RmState.PREPARED
    return RmState.WORKING


class _SharedRecords:
    """The append-only storage shared by the views of one log (never exposed)."""

    __slots__ = ("records", "positions_by_tx", "state_by_tx", "prepared_by_agent", "commit_positions")

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.positions_by_tx: dict[bytes, list[int]] = {}
        self.state_by_tx: dict[bytes, RmState] = {}   # rm_state given *all* records of the tx here
        self.prepared_by_agent: dict[bytes, list[int]] = {}
        self.commit_positions: list[int] = []  # positions of CommitDecisionRecords

    def add(self, record: Record) -> None:
        position = len(self.records)
        self.records.append(record)
        txid = record_txid(record)
        self.positions_by_tx.setdefault(txid, []).append(position)
        self.state_by_tx[txid] = rm_state_of(self.records[i] for i in self.positions_by_tx[txid])
        if isinstance(record, PreparedRecord):
            for agent in record.tx.agents():
                self.prepared_by_agent.setdefault(agent, []).append(position)
        elif isinstance(record, CommitDecisionRecord):
            self.commit_positions.append(position)

    def prefix_copy(self, length: int) -> "_SharedRecords":
        copy = _SharedRecords()
        for record in self.records[:length]:
            copy.add(record)
        return copy


class Log:
    """An immutable log value (see the module docstring for how appends stay cheap)."""

    __slots__ = ("_shared", "_length")

    def __init__(self, shared: _SharedRecords | None = None, length: int = 0) -> None:
        self._shared = shared if shared is not None else _SharedRecords()
        self._length = length

    # -- the sequence -------------------------------------------------------------

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Record]:
        records = self._shared.records
        return (records[i] for i in range(self._length))

    def __getitem__(self, index: int) -> Record:
        if not -self._length <= index < self._length:
            raise IndexError(index)
        return self._shared.records[index % self._length]

    def records(self) -> tuple[Record, ...]:
        return tuple(self._shared.records[:self._length])

    def since(self, start: int) -> tuple[Record, ...]:
        """The records at positions ``start`` .. ``len(self) - 1`` (what a step added)."""
        return tuple(self._shared.records[start:self._length])

    def append(self, records: tuple[Record, ...] | list[Record]) -> "Log":
        """A new log: this one followed by ``records`` (this value is unchanged)."""
        shared = self._shared
        if len(shared.records) != self._length:  # an older view: branch off
            shared = shared.prefix_copy(self._length)
        for record in records:
            shared.add(record)
        return Log(shared, self._length + len(records))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Log) and self.records() == other.records()

    def __hash__(self) -> int:
        return hash(self.records())

    def __repr__(self) -> str:
        return f"Log({self._length} records)"

    # -- derived state, spec/two_phase_commit.md §4.3 ---------------------------------

    def records_about(self, txid: bytes) -> Iterator[Record]:
        """The records of this view about ``txid``, in log order."""
        records = self._shared.records
        for position in self._shared.positions_by_tx.get(txid, ()):
            if position >= self._length:
                break
            yield records[position]

    def rm_state(self, txid: bytes) -> RmState:
        """``rmState[t][s]`` (§4.3), from the records about ``txid`` that this view sees."""
        shared = self._shared
        positions = shared.positions_by_tx.get(txid)
        if not positions:
            return RmState.WORKING
        if positions[-1] < self._length:     # this view sees every record about txid: use the cache
            return shared.state_by_tx[txid]
        return rm_state_of(self.records_about(txid))

    def prepared_tx(self, txid: bytes) -> CrossAgentTx | None:
        """The transaction held by this log's ``PreparedRecord(txid)``, if any."""
        for record in self.records_about(txid):
            if isinstance(record, PreparedRecord):
                return record.tx
        return None

    def has_commit_decision(self, txid: bytes) -> bool:
        """``decided(t) = commit`` when this is the coordinator's log (§4.3)."""
        return any(isinstance(r, CommitDecisionRecord) for r in self.records_about(txid))

    def has_end(self, txid: bytes) -> bool:
        return any(isinstance(r, EndRecord) for r in self.records_about(txid))

    def lock(self, agent: bytes) -> bytes | None:
        """``lock(a)`` (§4.3): the txid prepared here with a leg on ``agent``, or None.

        Only the newest ``PreparedRecord`` on ``agent`` can still be prepared:
        §7.1.4.a writes one only when ``lock(agent)`` is none (a transaction
        is never prepared twice, since it must be ``working``), so every older
        one was committed or aborted by then, and those states are final.
        The invariant checker recomputes locks by the definition (all
        prepared records), so a protocol that broke this argument would be
        reported as a LockExclusion violation, not hidden by this shortcut.
        """
        positions = self._shared.prepared_by_agent.get(agent)
        if not positions:
            return None
        newest = bisect_left(positions, self._length) - 1
        if newest < 0:
            return None
        txid = txid_of(self._shared.records[positions[newest]].tx)
        return txid if self.rm_state(txid) is RmState.PREPARED else None

    def prepared_holders(self, agent: bytes) -> list[bytes]:
        """Every txid prepared here with a leg on ``agent`` (the full definition; for checks)."""
        records = self._shared.records
        holders = []
        for position in self._shared.prepared_by_agent.get(agent, ()):
            if position >= self._length:
                break
            txid = txid_of(records[position].tx)
            if self.rm_state(txid) is RmState.PREPARED:
                holders.append(txid)
        return holders

    def commit_decisions(self) -> Iterator[CommitDecisionRecord]:
        """The ``CommitDecisionRecord`` s of this view, in log order (for recovery, §9.2)."""
        records = self._shared.records
        for position in self._shared.commit_positions:
            if position >= self._length:
                break
            yield records[position]


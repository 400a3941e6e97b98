"""Members and the DAG of events (spec/abft.md §1, §2).

A :class:`Dag` is append-only: events enter parents first (§2.2.4) and are
never removed.  This is what makes the memo tables of
:mod:`altledger.reference.abft.consensus` sound: a value that depends only on
the ancestors of its arguments (round, seeing, votes) can never change once
computed, because adding an event never changes the ancestors of an event
already present.  Values that depend on the whole DAG (fame, order) are
forgotten at every addition; see :func:`memo_of_ancestors` and
:func:`memo_of_dag`.

Events are identified by their hash (§2.1, ``Event.hash()``); a *label* is a
human name for an event (the DAG file's ids, §9.2) and plays no part in the
algorithm.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

from altledger.reference.crypto import ed25519_rejection_reason
from altledger.reference.encoding import Event
from altledger.reference.errors import InputFileError

T = TypeVar("T")


@dataclass(frozen=True)
class Member:
    """A member of the fixed membership (§1.1): a name, its Ed25519 key and its stake (§1.2)."""

    id: str
    public_key: bytes
    stake: int


# spec/abft.md §9.1: S < 2^61, so that 3*S (every threshold test, §1.3) fits a signed 64-bit integer.
MAX_TOTAL_STAKE = 2 ** 61
MAX_COIN_PERIOD = 2 ** 63      # §1.4: a signed 64-bit integer, as the fast state holds it


def check_params(members: Sequence[Member], coin_period: int) -> str | None:
    """Why ``members``/``coin_period`` cannot form a DAG's parameters, or None (§1.2, §1.4)."""
    if isinstance(coin_period, bool) or not isinstance(coin_period, int) or not 2 < coin_period < MAX_COIN_PERIOD:
        return f"coin_period must be an integer > 2 and below 2^63 (spec/abft.md §1.4), got {coin_period!r}"
    if not members:
        return "there must be at least one member"
    ids, keys = set(), set()
    for member in members:
        if member.id in ids:
            return f"duplicate member id {member.id!r}"
        if member.public_key in keys:
            return f"member {member.id!r}: duplicate public key {member.public_key.hex()}"
        if len(member.public_key) != 32:
            return f"member {member.id!r}: public key must be 32 bytes, got {len(member.public_key)}"
        if isinstance(member.stake, bool) or not isinstance(member.stake, int) or member.stake < 1:
            return f"member {member.id!r}: stake must be an integer >= 1 (spec/abft.md §1.2), got {member.stake!r}"
        ids.add(member.id)
        keys.add(member.public_key)
    total = sum(member.stake for member in members)
    if total >= MAX_TOTAL_STAKE:
        return (f"total stake {total} must be below 2^61 (spec/abft.md §9.1: 3*S must fit a signed "
                f"64-bit integer)")
    return None


class Dag:
    """A DAG of valid events (§2.3) over a fixed membership, in insertion (parents-first) order.

    ``events`` maps event hash -> :class:`Event` in insertion order;
    ``labels`` maps event hash -> label; ``position`` maps event hash -> its
    insertion index (used only as a bit position for ancestor sets).
    """

    def __init__(self, members: Sequence[Member], coin_period: int, source: str = "") -> None:
        problem = check_params(members, coin_period)
        if problem:
            raise InputFileError(source, "params", problem)
        self.members: tuple[Member, ...] = tuple(members)
        self.coin_period = coin_period
        self.source = source
        self.member_by_key = {m.public_key: m for m in self.members}
        self.total_stake = sum(m.stake for m in self.members)  # S, §1.2
        self.events: dict[bytes, Event] = {}
        self.labels: dict[bytes, str] = {}
        self.by_label: dict[str, bytes] = {}
        self.position: dict[bytes, int] = {}
        self.order: list[bytes] = []
        # Memo tables (see the module docstring).  ``generation`` counts additions.
        self.generation = 0
        self.ancestor_memo: dict[str, dict] = {}
        self.dag_memo: dict[str, dict] = {}
        self.dag_memo_generation = 0
        # How many events (in insertion order) have had their ancestor-only values computed; see
        # altledger.reference.abft.hashgraph.evaluate_in_order.
        self.evaluated = 0
        self.evaluating = False

    # -- reading ----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.order)

    def __contains__(self, event_hash: object) -> bool:
        return event_hash in self.events

    def __iter__(self) -> Iterator[bytes]:
        """Event hashes in insertion order (parents before children)."""
        return iter(self.order)

    def event(self, event_hash: bytes) -> Event:
        return self.events[event_hash]

    def label(self, event_hash: bytes) -> str:
        return self.labels[event_hash]

    def stake(self, creator: bytes) -> int:
        return self.member_by_key[creator].stake

    def member_id(self, creator: bytes) -> str:
        return self.member_by_key[creator].id

    # -- adding -----------------------------------------------------------------

    def rejection_reason(self, event: Event, check_signature: bool = True,
                         event_hash: bytes | None = None) -> str | None:
        """The first rule of §2.2 that ``event`` breaks in this DAG, or None if it may be added."""
        if event.creator not in self.member_by_key:                           # §2.2.1
            return f"creator {event.creator.hex()} is not a member"
        if (event.self_parent is None) != (event.other_parent is None):       # §2.2.3, §12.10
            return "exactly one parent is present (an event has both parents or neither, spec/abft.md §12.10)"
        for name, parent in (("self_parent", event.self_parent), ("other_parent", event.other_parent)):
            if parent is not None and parent not in self.events:              # §2.2.4
                return f"{name} {parent.hex()} is not in the DAG (parents must be added first)"
        if event.self_parent is not None:                                     # §2.2.5, §12.11
            if self.events[event.self_parent].creator != event.creator:
                return f"self_parent {self.describe(event.self_parent)} has another creator"
            if self.events[event.other_parent].creator == event.creator:
                return f"other_parent {self.describe(event.other_parent)} has the same creator"
        event_hash = event.hash() if event_hash is None else event_hash
        if event_hash in self.events:
            return f"the same event is already in the DAG as {self.describe(event_hash)}"
        if check_signature:                                                   # §2.2.2 (last: the costly one)
            why = ed25519_rejection_reason(event.creator, event.signing_bytes(), event.signature)
            if why is not None:
                return f"signature does not verify ({why.value})"
        return None

    def add(self, event: Event, label: str | None = None, check_signature: bool = True) -> bytes:
        """Add a valid event (§2.2) and return its hash; an invalid one raises InputFileError."""
        event_hash = event.hash()
        label = event_hash.hex() if label is None else label
        problem = self.rejection_reason(event, check_signature, event_hash)
        if problem is None and label in self.by_label:
            problem = f"label {label!r} is already used"
        if problem:
            raise InputFileError(self.source, f"event {label!r}", problem)
        self.position[event_hash] = len(self.order)
        self.order.append(event_hash)
        self.events[event_hash] = event
        self.labels[event_hash] = label
        self.by_label[label] = event_hash
        self.generation += 1
        return event_hash

    def describe(self, event_hash: bytes) -> str:
        return repr(self.labels.get(event_hash, event_hash.hex()))

    def prefix(self, count: int) -> "Dag":
        """A new DAG holding the first ``count`` events of this one (signatures not re-checked)."""
        dag = Dag(self.members, self.coin_period, self.source)
        for event_hash in self.order[:count]:
            dag.add(self.events[event_hash], self.labels[event_hash], check_signature=False)
        return dag

    def reordered(self, order: Iterable[bytes]) -> "Dag":
        """A new DAG with the same events added in another parents-first ``order``."""
        dag = Dag(self.members, self.coin_period, self.source)
        for event_hash in order:
            dag.add(self.events[event_hash], self.labels[event_hash], check_signature=False)
        return dag


# -- memoisation ----------------------------------------------------------------------


def memo_of_ancestors(fn: Callable[..., T]) -> Callable[..., T]:
    """Memoise ``fn(dag, *events)`` for the life of the DAG.

    Only for definitions whose value depends on nothing but the ancestors of
    their event arguments: those never change once the arguments are in the
    DAG, because events are only ever added as descendants (§2.2.4).
    """
    name = fn.__qualname__

    @functools.wraps(fn)
    def memoised(dag: Dag, *args):
        table = dag.ancestor_memo.setdefault(name, {})
        try:
            return table[args]
        except KeyError:
            value = table[args] = fn(dag, *args)
            return value
    return memoised


def memo_of_dag(fn: Callable[..., T]) -> Callable[..., T]:
    """Memoise ``fn(dag, *args)`` until the next event is added.

    For definitions that look at the whole DAG (fame can be decided by any
    later witness, the order by the last decided round).
    """
    name = fn.__qualname__

    @functools.wraps(fn)
    def memoised(dag: Dag, *args):
        if dag.dag_memo_generation != dag.generation:
            dag.dag_memo.clear()
            dag.dag_memo_generation = dag.generation
        table = dag.dag_memo.setdefault(name, {})
        try:
            return table[args]
        except KeyError:
            value = table[args] = fn(dag, *args)
            return value
    return memoised

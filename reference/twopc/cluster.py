"""The global state of a run: every shard plus the network (spec/two_phase_commit.md §13).

A :class:`Cluster` applies the operations of §13.1 — ``submit(tx)``,
``deliver(n)``, ``drop(n)``, ``duplicate(n)``, ``timeout(s, txid)``,
``flush(s)``, ``crash(s)``, ``recover(s)`` — each through one shard step
(``shard.step``), and numbers every envelope it adds to the network with a
unique, increasing send number, starting at 1 (§13.1, §13.2).

The cluster object is mutable (it *is* the run); the shard states it holds
are immutable values, so ``copy()`` is cheap and two copies can run on
independently.  Each operation returns an :class:`Applied` describing what
happened, which the invariant checker and the trace writer consume.

Operations are plain tuples, so they can be stored and replayed::

    ("submit", tx)            ("deliver", n)      ("drop", n)     ("duplicate", n)
    ("timeout", s, txid)      ("flush", s)        ("crash", s)    ("recover", s)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from altledger.reference.encoding import CrossAgentTx
from altledger.reference.encoding.agents import check_shard_count
from altledger.reference.twopc.effects import StepResult
from altledger.reference.twopc.shard import Crash, Deliver, Flush, Input, Recover, Submit, Timeout, step
from altledger.reference.twopc.state import Envelope, ShardState, initial_shard_state
from altledger.reference.twopc.txfacts import coordinator_of, txid_of

Operation = tuple[Any, ...]
OPERATION_NAMES = ("submit", "deliver", "drop", "duplicate", "timeout", "flush", "crash", "recover")
MAX_GENESIS_TOTAL = 1 << 128


@dataclass(frozen=True)
class Applied:
    """What one operation did.

    ``took_effect`` is False for the no-ops of §13.1 (unknown message number,
    down shard, recovering an up shard); nothing changed then.  ``shard`` is
    the shard that took a step (None for ``drop``/``duplicate``), ``before``
    its state before the step and ``result`` the step's output.
    ``removed`` is the envelope taken out of the network (``deliver``,
    ``drop``) and ``added`` the envelopes put in, with their send numbers.
    """

    op: Operation
    took_effect: bool
    shard: int | None = None
    before: ShardState | None = None
    result: StepResult | None = None
    removed: tuple[int, Envelope] | None = None
    added: tuple[tuple[int, Envelope], ...] = ()


MAX_CLUSTER_SHARDS = 1 << 16
"""The most shards a whole run takes (§13.1): a run holds every shard's state and its snapshot lists
every shard, so the cost grows with ``K`` whatever the workload (a replay of 16 operations: 4 s at
65,536 shards, 64 s and 2.4 GB at 2^20; at the 2^32 that placement allows, §2.2, it would not end).
An implementation limit, stated in §13.1; a single shard's step takes any ``K`` of §2.2."""


def check_cluster_parameters(shard_count: int, genesis: Mapping[bytes, int]) -> None:
    """Reject a shard count or genesis allocation the spec does not allow (§2.1, §2.2, §13.1); the fast
    cluster and batch runs call this too, so all refuse the same inputs with the same message."""
    check_shard_count(shard_count, MAX_CLUSTER_SHARDS, " for a run (§13.1)")
    if any(type(v) is not int or v < 0 for v in genesis.values()):
        raise ValueError("genesis balances must be non-negative integers")
    if sum(genesis.values()) >= MAX_GENESIS_TOTAL:
        raise ValueError("the genesis balances must sum to less than 2**128 (spec §2.1)")


class Cluster:
    """All shards and the network of one run (§13.1).

    ``genesis`` maps AgentId to initial balance (§2.1); ``agent_names`` is
    optional metadata (AgentId -> name) used by reports and traces only.
    ``transactions`` registers every transaction named by a ``submit``
    operation, in order of first submission (whether or not that submission
    took effect), so that ``timeout(s, txid)`` can find the transaction.
    """

    def __init__(self, shard_count: int, genesis: Mapping[bytes, int],
                 agent_names: Mapping[bytes, str] | None = None) -> None:
        check_cluster_parameters(shard_count, genesis)
        self.shard_count = shard_count
        self.genesis = dict(genesis)
        self.agent_names = dict(agent_names or {})
        self.shards = [initial_shard_state(s, shard_count, self.genesis) for s in range(shard_count)]
        self.network: dict[int, Envelope] = {}
        self.next_number = 1
        self.transactions: dict[bytes, CrossAgentTx] = {}

    def copy(self) -> "Cluster":
        """An independent copy (shard states are immutable and shared)."""
        other = object.__new__(Cluster)
        other.__dict__.update(self.__dict__)
        other.shards = list(self.shards)
        other.network = dict(self.network)
        other.transactions = dict(self.transactions)
        return other

    # -- helpers -------------------------------------------------------------------

    def _send(self, envelopes: Iterable[Envelope]) -> tuple[tuple[int, Envelope], ...]:
        """Add envelopes to the network in order, numbering them (§13.2)."""
        added = []
        for envelope in envelopes:
            number = self.next_number
            self.next_number += 1
            self.network[number] = envelope
            added.append((number, envelope))
        return tuple(added)

    def _step(self, op: Operation, shard: int, event: Input,
              removed: tuple[int, Envelope] | None = None) -> Applied:
        before = self.shards[shard]
        result = step(before, event)
        self.shards[shard] = result.state
        return Applied(op, True, shard, before, result, removed, self._send(result.sent))

    def _check_shard(self, shard: Any) -> None:
        if type(shard) is not int or not 0 <= shard < self.shard_count:
            raise ValueError(f"no shard {shard!r} (there are {self.shard_count})")

    # -- the operations of §13.1 ------------------------------------------------------

    def submit(self, tx: CrossAgentTx) -> Applied:
        """``submit(tx)``: hand ``tx`` to ``coordinator(tx)`` (§8.1); a no-op if that shard is down."""
        op = ("submit", tx)
        if not isinstance(tx, CrossAgentTx):
            raise ValueError(f"submit takes a CrossAgentTx, got {type(tx).__name__}")
        self.transactions.setdefault(txid_of(tx), tx)
        coordinator = coordinator_of(tx, self.shard_count)
        if not self.shards[coordinator].up:
            return Applied(op, False)
        return self._step(op, coordinator, Submit(tx))

    def deliver(self, number: int) -> Applied:
        """``deliver(n)``: remove envelope ``n`` and run its recipient's step; a no-op if unknown or down."""
        op = ("deliver", number)
        envelope = self.network.get(number)
        if envelope is None or not self.shards[envelope.recipient].up:
            return Applied(op, False)
        del self.network[number]
        return self._step(op, envelope.recipient, Deliver(envelope), removed=(number, envelope))

    def drop(self, number: int) -> Applied:
        """``drop(n)``: the network loses envelope ``n`` (§2.4)."""
        op = ("drop", number)
        envelope = self.network.pop(number, None)
        if envelope is None:
            return Applied(op, False)
        return Applied(op, True, removed=(number, envelope))

    def duplicate(self, number: int) -> Applied:
        """``duplicate(n)``: the network adds a copy of envelope ``n`` with a fresh number (§2.4)."""
        op = ("duplicate", number)
        envelope = self.network.get(number)
        if envelope is None:
            return Applied(op, False)
        return Applied(op, True, added=self._send([envelope]))

    def timeout(self, shard: int, txid: bytes) -> Applied:
        """``timeout(s, txid)``: §8.5 if ``s`` coordinates it, then §7.4 if ``s`` is a participant (one step)."""
        op = ("timeout", shard, txid)
        self._check_shard(shard)
        tx = self.transactions.get(txid)
        if tx is None or not self.shards[shard].up:
            return Applied(op, False)
        return self._step(op, shard, Timeout(tx))

    def flush(self, shard: int) -> Applied:
        """``flush(s)`` (§5.4)."""
        self._check_shard(shard)
        if not self.shards[shard].up:
            return Applied(("flush", shard), False)
        return self._step(("flush", shard), shard, Flush())

    def crash(self, shard: int) -> Applied:
        """``crash(s)`` (§9.1); a no-op on a down shard."""
        self._check_shard(shard)
        if not self.shards[shard].up:
            return Applied(("crash", shard), False)
        return self._step(("crash", shard), shard, Crash())

    def recover(self, shard: int) -> Applied:
        """``recover(s)`` (§9.2); a no-op on an up shard."""
        self._check_shard(shard)
        if self.shards[shard].up:
            return Applied(("recover", shard), False)
        return self._step(("recover", shard), shard, Recover())

    def apply(self, op: Operation) -> Applied:
        """Apply one operation given as a tuple (see the module docstring)."""
        name, *args = op
        if name not in OPERATION_NAMES:
            raise ValueError(f"unknown operation {name!r}; expected one of {', '.join(OPERATION_NAMES)}")
        method = getattr(self, name)
        expected = 2 if name == "timeout" else 1
        if len(args) != expected:
            raise ValueError(f"operation {name} takes {expected} argument(s), got {len(args)}")
        return method(*args)

    # -- queries -----------------------------------------------------------------------

    def shard_of_tx(self, txid: bytes) -> int:
        return coordinator_of(self.transactions[txid], self.shard_count)


def run_round_schedule(cluster: Cluster, txs: Iterable[CrossAgentTx],
                       observe: Callable[[Applied], None] | None = None) -> list[Applied]:
    """Apply the round schedule of §13.3 to ``cluster`` and return what each operation did.

    ``observe``, if given, is called after each operation (before the next).

    Round 1: each coordinator, shards in ascending order, takes the
    submissions addressed to it (submissions are the round-0 messages) in the
    order given.  Round ``r > 1``: each *up* shard, in ascending order, takes
    every message addressed to it that was sent in round ``r − 1``, in
    ascending send number.  Messages already in the network before the
    schedule starts, and messages to down shards, are not taken.  The
    schedule ends after a round that sends nothing.
    """
    applied: list[Applied] = []
    pending = sorted(txs, key=lambda tx: coordinator_of(tx, cluster.shard_count))  # stable: keeps given order
    sent_last_round: list[tuple[int, Envelope]] = []
    def note(result: Applied) -> None:
        applied.append(result)
        if observe is not None:
            observe(result)

    for tx in pending:
        result = cluster.submit(tx)
        note(result)
        sent_last_round.extend(result.added)
    while sent_last_round:
        order = sorted(sent_last_round, key=lambda item: (item[1].recipient, item[0]))
        sent_last_round = []
        for number, envelope in order:
            if not cluster.shards[envelope.recipient].up:
                continue
            result = cluster.deliver(number)
            note(result)
            sent_last_round.extend(result.added)
    return applied

"""The fast cluster: the same operations as ``reference.twopc.Cluster`` on compact shards (spec §13.1).

Same API, same results: ``submit(tx)``, ``deliver(n)``, ``drop(n)``,
``duplicate(n)``, ``timeout(s, txid)``, ``flush(s)``, ``crash(s)``,
``recover(s)`` and ``apply(tuple)``, each returning an :class:`Applied` whose
``took_effect`` is the reference's; ``altledger.fast.twopc.snapshot`` gives
the byte-identical snapshot.  What differs is only the representation:

* the network maps a send number to ``(sender, recipient, code, t, shard_field)``
  (``codes``) instead of an ``Envelope`` of message objects;
* a transaction is interned once, by txid (§3.2: equal content is the same
  transaction), into the cluster's :class:`TxTable`, so a step never re-derives
  txid, participants, coordinator or legs;
* shards are :class:`FastShard` s changed in place (the reference builds a new
  immutable state per step), so there is no ``copy()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from altledger.fast.twopc.shard import FastShard
from altledger.fast.twopc.txtable import AgentTable, TxTable
from altledger.reference.encoding import CrossAgentTx, LegKind, shard_index
from altledger.reference.twopc.cluster import OPERATION_NAMES, Operation, check_cluster_parameters
from altledger.reference.twopc.txfacts import txid_of

Envelope = tuple[int, int, int, int, int]        # (sender, recipient, code, t, shard_field)


@dataclass(frozen=True)
class Applied:
    """What one operation did; the fields mirror ``reference.twopc.Applied`` in compact form.

    ``removed`` is ``(n, envelope)`` of the envelope taken out, ``added`` the
    ``(n, envelope)`` put in; ``log_writes`` are ``(record code, forced)``;
    ``votes`` are ``(t, VoteReason value)`` (including the coordinator's own
    vote of §8.1.2, as in the reference).  ``snapshot.applied_json`` and
    ``snapshot.reference_applied_json`` turn either implementation's
    ``Applied`` into the same comparable form.
    """

    op: Operation
    took_effect: bool
    shard: int | None = None
    removed: tuple[int, Envelope] | None = None
    added: tuple[tuple[int, Envelope], ...] = ()
    log_writes: tuple[tuple[int, bool], ...] = ()
    votes: tuple[tuple[int, int], ...] = ()


class Cluster:
    """All shards and the network of one run (§13.1); see the module docstring."""

    def __init__(self, shard_count: int, genesis: Mapping[bytes, int],
                 agent_names: Mapping[bytes, str] | None = None) -> None:
        check_cluster_parameters(shard_count, genesis)
        self.shard_count = shard_count
        self.genesis = dict(genesis)
        self.agent_names = dict(agent_names or {})
        self.agents = AgentTable(shard_count)
        self.table = TxTable(self.agents)
        self.shards = [FastShard(s, self.table) for s in range(shard_count)]
        for agent, amount in self.genesis.items():             # §2.1; zero allocations are implicit
            if amount:
                a = self.agents.intern(agent)
                self.shards[self.agents.shard[a]].bal[a] = amount
        self.network: dict[int, Envelope] = {}
        self.next_number = 1
        self.transactions: dict[bytes, int] = {}               # txid -> t, in order of first submission

    # -- helpers -------------------------------------------------------------------------

    def intern(self, tx: CrossAgentTx) -> int:
        """The index of ``tx``, adding it on first sight (keyed by txid, §3.2)."""
        txid = txid_of(tx)
        t = self.transactions.get(txid)
        if t is None:
            t = self.transactions[txid] = self.table.add(tx)
            self.table._txids[t] = txid
        return t

    def _step(self, op: Operation, shard: FastShard, run, *args,
              removed: tuple[int, Envelope] | None = None) -> Applied:
        """Run one step of ``shard`` and number what it sent (§13.2: in the order sent)."""
        shard.out, shard.votes, shard.writes = [], [], []
        run(*args)
        added = []
        sender = shard.shard
        for recipient, code, t, field in shard.out:
            envelope = (sender, recipient, code, t, field)
            self.network[self.next_number] = envelope
            added.append((self.next_number, envelope))
            self.next_number += 1
        applied = Applied(op, True, shard.shard, removed, tuple(added), tuple(shard.writes), tuple(shard.votes))
        shard.out, shard.votes, shard.writes = [], [], None
        return applied

    def _check_shard(self, shard: Any) -> None:
        if type(shard) is not int or not 0 <= shard < self.shard_count:
            raise ValueError(f"no shard {shard!r} (there are {self.shard_count})")

    # -- the operations of §13.1 -----------------------------------------------------------

    def submit(self, tx: CrossAgentTx) -> Applied:
        """``submit(tx)``: hand ``tx`` to ``coordinator(tx)`` (§8.1); a no-op if that shard is down."""
        op = ("submit", tx)
        if not isinstance(tx, CrossAgentTx):
            raise ValueError(f"submit takes a CrossAgentTx, got {type(tx).__name__}")
        t = self.intern(tx)                                     # registered even if the step is a no-op
        shard = self.shards[self.table.coordinator[t]]
        if not shard.up:
            return Applied(op, False)
        return self._step(op, shard, shard.submit, t)

    def deliver(self, number: int) -> Applied:
        """``deliver(n)``: remove envelope ``n`` and run its recipient's step; a no-op if unknown or down."""
        op = ("deliver", number)
        envelope = self.network.get(number)
        if envelope is None or not self.shards[envelope[1]].up:
            return Applied(op, False)
        del self.network[number]
        shard = self.shards[envelope[1]]
        return self._step(op, shard, shard.deliver, envelope[2], envelope[3], envelope[4],
                          removed=(number, envelope))

    def drop(self, number: int) -> Applied:
        """``drop(n)``: the network loses envelope ``n`` (§2.4)."""
        envelope = self.network.pop(number, None)
        if envelope is None:
            return Applied(("drop", number), False)
        return Applied(("drop", number), True, removed=(number, envelope))

    def duplicate(self, number: int) -> Applied:
        """``duplicate(n)``: a copy of envelope ``n`` with a fresh number (§2.4)."""
        envelope = self.network.get(number)
        if envelope is None:
            return Applied(("duplicate", number), False)
        self.network[self.next_number] = envelope
        added = ((self.next_number, envelope),)
        self.next_number += 1
        return Applied(("duplicate", number), True, added=added)

    def timeout(self, shard: int, txid: bytes) -> Applied:
        """``timeout(s, txid)``: §8.5 if ``s`` coordinates it, then §7.4 if a participant (one step)."""
        op = ("timeout", shard, txid)
        self._check_shard(shard)
        t = self.transactions.get(txid)
        if t is None or not self.shards[shard].up:
            return Applied(op, False)
        return self._step(op, self.shards[shard], self.shards[shard].timeout, t)

    def flush(self, shard: int) -> Applied:
        """``flush(s)`` (§5.4)."""
        self._check_shard(shard)
        if not self.shards[shard].up:
            return Applied(("flush", shard), False)
        return self._step(("flush", shard), self.shards[shard], self.shards[shard].flush)

    def crash(self, shard: int) -> Applied:
        """``crash(s)`` (§9.1); a no-op on a down shard."""
        self._check_shard(shard)
        if not self.shards[shard].up:
            return Applied(("crash", shard), False)
        return self._step(("crash", shard), self.shards[shard], self.shards[shard].crash)

    def recover(self, shard: int) -> Applied:
        """``recover(s)`` (§9.2); a no-op on an up shard."""
        self._check_shard(shard)
        if self.shards[shard].up:
            return Applied(("recover", shard), False)
        return self._step(("recover", shard), self.shards[shard], self.shards[shard].recover)

    def apply(self, op: Operation) -> Applied:
        """Apply one operation given as a tuple (the reference's forms)."""
        name, *args = op
        if name not in OPERATION_NAMES:
            raise ValueError(f"unknown operation {name!r}; expected one of {', '.join(OPERATION_NAMES)}")
        expected = 2 if name == "timeout" else 1
        if len(args) != expected:
            raise ValueError(f"operation {name} takes {expected} argument(s), got {len(args)}")
        return getattr(self, name)(*args)

    # -- queries -------------------------------------------------------------------------

    def balance(self, agent: bytes) -> int:
        a = self.agents.index.get(agent)
        return 0 if a is None else self.shards[self.agents.shard[a]].bal.get(a, 0)

    def nonce(self, agent: bytes) -> int:
        a = self.agents.index.get(agent)
        return 0 if a is None else self.shards[self.agents.shard[a]].nonce.get(a, 0)


def run_round_schedule(cluster: Cluster, txs: Iterable[CrossAgentTx],
                       observe: Callable[[Applied], None] | None = None) -> list[Applied]:
    """The round schedule of §13.3 on a fast cluster, one operation at a time (as the reference's).

    Round 1: coordinators in ascending order take their submissions in the
    order given; round ``r > 1``: each up shard, ascending, takes the messages
    to it sent in round ``r − 1`` in ascending send number; messages already in
    the network, and messages to down shards, are not taken; it ends after a
    round that sends nothing.  (Batch mode, ``batch.run_batches``, gives the
    same results from a fresh cluster with the shards side by side.)
    """
    applied: list[Applied] = []

    def coordinator(tx: CrossAgentTx) -> int:               # §3.4, without registering tx yet
        first_debit = next(leg for leg in tx.legs if leg.kind is LegKind.DEBIT)
        return shard_index(first_debit.agent, cluster.shard_count)

    def note(result: Applied) -> None:
        applied.append(result)
        if observe is not None:
            observe(result)

    sent_last_round: list[tuple[int, Envelope]] = []
    for tx in sorted(txs, key=coordinator):                 # stable: keeps the given order per coordinator
        result = cluster.submit(tx)
        note(result)
        sent_last_round.extend(result.added)
    while sent_last_round:
        order = sorted(sent_last_round, key=lambda item: (item[1][1], item[0]))   # (recipient, number)
        sent_last_round = []
        for number, envelope in order:
            if not cluster.shards[envelope[1]].up:
                continue
            result = cluster.deliver(number)
            note(result)
            sent_last_round.extend(result.added)
    return applied

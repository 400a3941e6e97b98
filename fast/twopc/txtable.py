"""Agents and transactions as small integers (spec/two_phase_commit.md §2.1, §3).

The reference asks a transaction for its txid, participants, coordinator and
legs per shard at almost every step (memoised in ``reference.twopc.txfacts``).
The fast implementation computes these facts once, when a transaction enters
a :class:`TxTable`, and from then on names the transaction by its index ``t``
and each agent by its index ``a`` in an :class:`AgentTable`:

* ``participants[t]`` — ``participants(t)``, ascending (§3.3);
* ``coordinator[t]`` — ``coordinator(t)``, the shard of the first debit (§3.4);
* ``legs[t]`` — ``{shard: legs of t on shard}`` (§3.3), each leg a tuple
  ``(a, is_debit, amount, nonce)`` in canonical (ascending AgentId) order, which
  is the order of ``CrossAgentTx.legs`` and so the order §7.1.4 checks them in.

The transaction itself is kept (``txs[t]``) for the boundary: its txid and
encoding come from the shared reference codec (``tx.encode()``,
``reference.twopc.txfacts.txid_of``), never from a codec of our own.
"""

from __future__ import annotations

from altledger.reference.encoding import CrossAgentTx, LegKind, shard_index
from altledger.reference.twopc.txfacts import txid_of

Leg = tuple[int, bool, int, int]          # (agent index, is_debit, amount, nonce)


class AgentTable:
    """AgentId <-> index, and each agent's shard ``int_be(AgentId) mod K`` (§2.2)."""

    __slots__ = ("shard_count", "ids", "index", "shard")

    def __init__(self, shard_count: int) -> None:
        self.shard_count = shard_count
        self.ids: list[bytes] = []
        self.index: dict[bytes, int] = {}
        self.shard: list[int] = []

    def intern(self, agent: bytes) -> int:
        found = self.index.get(agent)
        if found is None:
            found = self.index[agent] = len(self.ids)
            self.ids.append(agent)
            self.shard.append(shard_index(agent, self.shard_count))          # §2.2
        return found


def compact_legs(tx: CrossAgentTx, agents: AgentTable) -> tuple[Leg, ...]:
    """The legs of ``tx`` as ``(agent index, is_debit, amount, nonce)``, in canonical order.

    Together with ``user_data`` they determine the transaction's encoding, so
    ``(user_data, compact_legs)`` identifies a transaction exactly as its txid
    does (§3.2) without encoding and hashing it.
    """
    index, intern, debit = agents.index, agents.intern, LegKind.DEBIT
    out = []
    for leg in tx.legs:
        a = index.get(leg.agent)
        if a is None:
            a = intern(leg.agent)
        out.append((a, leg.kind is debit, leg.amount, leg.nonce))
    return tuple(out)


class TxTable:
    """Transactions by index with their §3 facts (see the module docstring).

    Indices are handed out by the caller's interning rule: by txid in the
    cluster (§3.2: same content, same transaction), by first position in a
    batch run.  An index may be left empty (``None``) when a process does not
    need that transaction (batch workers skip transactions none of whose
    shards they own).
    """

    def __init__(self, agents: AgentTable) -> None:
        self.agents = agents
        self.shard_count = agents.shard_count
        self.txs: list[CrossAgentTx | None] = []
        self.participants: list[tuple[int, ...] | None] = []
        self.coordinator: list[int] = []
        self.legs: list[dict[int, tuple[Leg, ...]] | None] = []
        self._txids: dict[int, bytes] = {}
        # the shards (FastShard) built on this table, by number: each keeps its own legs[t] (see put_compact)
        self.shards: dict[int, object] = {}

    def __len__(self) -> int:
        return len(self.txs)

    def add(self, tx: CrossAgentTx) -> int:
        """Append ``tx`` and its facts; return its index."""
        t = len(self.txs)
        self.put(t, tx)
        return t

    def put(self, t: int, tx: CrossAgentTx) -> None:
        """Store ``tx`` at index ``t`` (growing the table with empty slots if needed)."""
        self.put_compact(t, tx, compact_legs(tx, self.agents))

    def put_compact(self, t: int, tx: CrossAgentTx, legs: tuple[Leg, ...]) -> None:
        """Store ``tx`` at ``t`` given its legs from :func:`compact_legs` (which callers may need anyway)."""
        self.reserve(t)
        shard_of = self.agents.shard
        by_shard: dict[int, list[Leg]] = {}
        coordinator = -1
        for leg in legs:                                      # canonical order (§3.1)
            s = shard_of[leg[0]]
            if leg[1] and coordinator < 0:
                coordinator = s                               # §3.4: shard of the first debit leg
            by_shard.setdefault(s, []).append(leg)
        self.txs[t] = tx
        self.participants[t] = tuple(sorted(by_shard))        # §3.3, ascending
        self.coordinator[t] = coordinator
        self.legs[t] = by_legs = {s: tuple(legs) for s, legs in by_shard.items()}
        for s, legs in by_legs.items():                       # each shard's own index of its legs
            shard = self.shards.get(s)
            if shard is not None:
                shard.legs[t] = legs

    def add_txid_only(self, txid: bytes) -> int:
        """An entry for a transaction known only by its txid (a message about a transaction this
        table was never given): no legs anywhere, no participants, no coordinator."""
        t = len(self.txs)
        self.reserve(t)
        self.participants[t] = ()
        self.legs[t] = {}
        self._txids[t] = txid
        return t

    def reserve(self, t: int) -> None:
        """Grow the table (with empty slots) so that index ``t`` exists."""
        missing = t + 1 - len(self.txs)
        if missing > 0:
            self.txs.extend([None] * missing)
            self.participants.extend([None] * missing)
            self.coordinator.extend([-1] * missing)
            self.legs.extend([None] * missing)

    def txid(self, t: int) -> bytes:
        """``txid(t)`` (§3.2), from the reference codec and hash (memoised)."""
        found = self._txids.get(t)
        if found is None:
            found = self._txids[t] = txid_of(self.txs[t])
        return found

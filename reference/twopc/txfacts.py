"""Pure functions of a transaction (spec/two_phase_commit.md §3), computed once per transaction object.

The canonical type :class:`~altledger.reference.encoding.CrossAgentTx` already
defines ``txid()``, ``participants(K)``, ``coordinator(K)`` and
``legs_on_shard(s, K)``.  The protocol asks for them at almost every step;
``txid()`` re-encodes and re-hashes the transaction each time, and even
hashing the (frozen, nested) dataclass to look it up in a memo walks every
leg.  So the facts are memoised by object identity: the memo holds a
reference to the transaction, so its ``id`` cannot be reused while the entry
lives.  They are pure functions of an immutable value, so the memo cannot
change a result; it only saves time.
"""

from __future__ import annotations

from altledger.reference.encoding import CrossAgentTx, Leg

_MEMO_LIMIT = 1 << 18


class TxFacts:
    """``txid``, participants, coordinator and legs per shard of one transaction, for ``shard_count`` shards."""

    __slots__ = ("tx", "txid", "participants", "coordinator", "legs_by_shard")

    def __init__(self, tx: CrossAgentTx, shard_count: int) -> None:
        self.tx = tx
        self.txid = txid_of(tx)                                                 # §3.2
        self.participants = tx.participants(shard_count)                        # §3.3
        self.coordinator = tx.coordinator(shard_count)                          # §3.4
        self.legs_by_shard = {s: tx.legs_on_shard(s, shard_count) for s in self.participants}


_memo: dict[tuple[int, int], TxFacts] = {}
_txids: dict[int, tuple[CrossAgentTx, bytes]] = {}


def facts(tx: CrossAgentTx, shard_count: int) -> TxFacts:
    key = (id(tx), shard_count)
    found = _memo.get(key)
    if found is None or found.tx is not tx:
        if len(_memo) >= _MEMO_LIMIT:
            _memo.clear()
        found = _memo[key] = TxFacts(tx, shard_count)
    return found


def txid_of(tx: CrossAgentTx) -> bytes:
    """``txid = tagged_hash("altledger/2pc/v1", encoding)`` (§3.2)."""
    found = _txids.get(id(tx))
    if found is None or found[0] is not tx:
        if len(_txids) >= _MEMO_LIMIT:
            _txids.clear()
        found = _txids[id(tx)] = (tx, tx.txid())
    return found[1]


def participants_of(tx: CrossAgentTx, shard_count: int) -> tuple[int, ...]:
    """``participants(t)``, ascending (§3.3)."""
    return facts(tx, shard_count).participants


def coordinator_of(tx: CrossAgentTx, shard_count: int) -> int:
    """``coordinator(t)`` = shard of the first debit leg in canonical order (§3.4)."""
    return facts(tx, shard_count).coordinator


def legs_on(tx: CrossAgentTx, shard: int, shard_count: int) -> tuple[Leg, ...]:
    """The legs of ``t`` on shard ``s``, in canonical order (§3.3)."""
    return facts(tx, shard_count).legs_by_shard.get(shard, ())

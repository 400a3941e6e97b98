"""Pure functions of a transaction (spec/two_phase_commit.md §3), memoised.

The canonical type :class:`~altledger.reference.encoding.CrossAgentTx` already
defines ``txid()``, ``participants(K)``, ``coordinator(K)`` and
``legs_on_shard(s, K)``.  The protocol asks for them at almost every step, and
``txid()`` re-encodes and re-hashes the transaction each time, so these
wrappers memoise them.  They are pure functions of an immutable value, so the
memo cannot change a result; it only saves time.
"""

from __future__ import annotations

from functools import lru_cache

from altledger.reference.encoding import CrossAgentTx, Leg

_MEMO = 1 << 17


@lru_cache(maxsize=_MEMO)
def txid_of(tx: CrossAgentTx) -> bytes:
    """``txid = tagged_hash("altledger/2pc/v1", encoding)`` (§3.2)."""
    return tx.txid()


@lru_cache(maxsize=_MEMO)
def participants_of(tx: CrossAgentTx, shard_count: int) -> tuple[int, ...]:
    """``participants(t)``, ascending (§3.3)."""
    return tx.participants(shard_count)


@lru_cache(maxsize=_MEMO)
def coordinator_of(tx: CrossAgentTx, shard_count: int) -> int:
    """``coordinator(t)`` = shard of the first debit leg in canonical order (§3.4)."""
    return tx.coordinator(shard_count)


@lru_cache(maxsize=_MEMO)
def legs_on(tx: CrossAgentTx, shard: int, shard_count: int) -> tuple[Leg, ...]:
    """The legs of ``t`` on shard ``s``, in canonical order (§3.3)."""
    return tx.legs_on_shard(shard, shard_count)

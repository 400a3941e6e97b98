"""Batch mode's input as arrays: what ``ShardGroup.start_batch`` computes per batch, for the whole run.

None of it depends on how earlier batches ran, only on the input, so the numba
engine computes it once, before the first round (``ArrayShardGroup.ingest``).
The work is split twice, so that two workers each do half of it:

* **by input position** — the input is read in chunks of consecutive
  positions, each worker claiming the next unread chunk
  (``workers._ingest``; :func:`read_share` reads one): the per-leg Python
  work, and the pages a forked worker copies because reading objects changes
  their reference counts, are divided between the workers.  Each derives
  from its chunks, with NumPy, everything any group needs: each leg's shard
  (§2.2), each transaction's coordinator (§3.4), its participants (§3.3) and
  a content key (§3.2).
* **by shard** — a share is cut into one :class:`Part` per group, holding only
  what that group needs: the transactions with a leg on its shards, those
  legs, and for the transactions it coordinates their key and participants.
  Workers swap parts once per run (``workers._ingest``); a group then builds
  its arrays from its parts, in input order (:func:`take`), touching only its
  own share of the legs.

Agents get one run-wide index (genesis order, then agents not in genesis in
input order), the same in every group: a share names an agent it cannot
index yet ``-1 − k`` (the ``k``-th of its ``fresh`` agents), and :func:`take`
indexes every share's fresh agents in share order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from altledger.fast.twopc import wire
from altledger.fast.twopc.codes import WORKING
from altledger.reference.encoding import CrossAgentTx, LegKind, shard_index

if TYPE_CHECKING:
    from altledger.fast.twopc.arraygroup import ArrayShardGroup

AMOUNT_LIMIT = 1 << 60
NONCE_LIMIT = 1 << 62


def _int64_column(values: list[int], limit: int) -> np.ndarray:
    """``values`` as int64, every value at or above ``limit`` replaced by ``limit`` (the caller only
    asks whether our legs reach the limit; other groups' values are never used beyond that)."""
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        return np.array([value if value < limit else limit for value in values], dtype=np.int64)


def _mix(values: np.ndarray) -> np.ndarray:
    """A 64-bit finaliser (multiply, xor-shift; wrapping): spreads the bits of each uint64."""
    values = values ^ values >> np.uint64(31)
    values *= np.uint64(0xFF51AFD7ED558CCD)
    return values ^ values >> np.uint64(33)


def _fingerprint_legs(code: np.ndarray, debit: np.ndarray, amount: np.ndarray, nonce: np.ndarray) -> np.ndarray:
    """A wrapping 64-bit mix of each leg's (agent, kind, amount, nonce): equal legs, equal values.

    Only a hint for finding equal transactions: every match is checked exactly (``_content``).
    """
    return _mix(code.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
                ^ amount.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
                ^ nonce.astype(np.uint64) * np.uint64(0x165667B19E3779F9)
                ^ debit.astype(np.uint64) * np.uint64(0x27D4EB2F165667C5))


def _content(tx: CrossAgentTx | bytes) -> tuple | bytes:
    """What determines ``tx``'s encoding, hence its txid (§3.2): ``user_data`` and every leg's agent,
    kind, amount and nonce, in canonical order (``kind`` is a ``LegKind``, so ``is DEBIT`` keeps it).
    A transaction in wire form is its encoding, which is canonical: its own exact content."""
    if isinstance(tx, bytes):
        return tx
    debit = LegKind.DEBIT
    return tx.user_data, tuple([(leg.agent, leg.kind is debit, leg.amount, leg.nonce) for leg in tx.legs])


def shards_of(ids: list[bytes], count: int) -> np.ndarray:
    """``int_be(id) mod count`` for each agent id (§2.2).  For 32-byte ids (every ``AgentId``) and
    ``count < 2^31``, with NumPy: the id as four big-endian 64-bit words, Horner's rule in base
    ``2^64 mod count``, reducing after each word (every intermediate stays below ``2^63``); else
    ``reference.encoding.shard_index`` per id (the formula itself, without its checks)."""
    width = 32
    if ids and count < 1 << 31 and set(map(len, ids)) == {width}:
        words = np.frombuffer(b"".join(ids), dtype=">u8").reshape(-1, width // 8)
        base, modulus = np.uint64(pow(2, 64, count)), np.uint64(count)
        remainder = np.zeros(len(ids), dtype=np.uint64)
        for column in range(width // 8):
            remainder = (remainder * base + words[:, column] % modulus) % modulus
        return remainder.astype(np.int64)
    return np.array([shard_index(agent, count) for agent in ids], dtype=np.int64)


INGEST_SHARE_PER_CHUNK = 6
"""A chunk is ``1 / (this × groups)`` of the input not yet cut into chunks (``chunk_bounds``)."""

INGEST_MIN_CHUNK = 400
"""Input positions per chunk at least (``chunk_bounds``): below it, reading a chunk costs more in
fixed NumPy overhead than its share of the balancing gains."""


def chunk_bounds(n: int, groups: int, share: int | None = None, smallest: int | None = None) -> list[int]:
    """Where the input's chunks start (and, last, ``n``): chunk ``k`` is ``bounds[k] … bounds[k + 1] − 1``.

    Guided self-scheduling: each chunk is ``1 / (share × groups)`` of what is left, but at least
    ``smallest`` positions, and a remainder smaller than that joins the last chunk.  Early chunks
    are large (few fixed costs); the last ones are small, so the worker that claims the last chunk
    keeps its peers waiting only for a small one (``workers._ingest`` swaps parts once every chunk
    is read).  Equal-sized chunks had to choose between the two.  A function of ``n`` and
    ``groups`` only, so every worker cuts the input the same way.  An empty input is one empty
    chunk: some worker reads it, so the swap has a share to carry.  A group that reads the whole
    input itself (``ArrayShardGroup.ingest``) reads it in ``chunk_bounds(n, 1)`` too: chunks keep
    each read's temporaries small (measured: one share of 100,000 transactions read more slowly).
    """
    share = INGEST_SHARE_PER_CHUNK if share is None else share     # (read now, not when defined: tests
    smallest = INGEST_MIN_CHUNK if smallest is None else smallest   # lower the minimum for small inputs)
    bounds = [0]
    while True:
        lo = bounds[-1]
        hi = lo + max(smallest, -(-(n - lo) // (share * groups)))
        bounds.append(n if n - hi < smallest else hi)
        if bounds[-1] == n:
            return bounds


@dataclass
class Part:
    """What one group needs of one share (input positions are run-wide and ascend in every column).

    ``held``: the transactions with a leg on the group's shards; per held transaction its
    coordinator (§3.4) and its *slots* — one per (transaction, group shard holding legs of it),
    ``held_slot_first`` … ``+ held_slot_count``.  Per slot: position, shard and its legs
    ``slot_leg_first`` … ``+ slot_leg_count``.  Per leg, in canonical order within a slot (§3.1):
    agent (index, or ``-1 − k`` for the share's ``fresh[k]``), debit, amount, nonce.  Indices into
    slots and legs count from the part's own first slot and leg (``take`` shifts them).
    ``coordinated``/``keys``: the transactions the group coordinates and their content keys;
    ``pair_p``/``pair_shard``: their participants (§3.3), ascending per transaction.
    """

    held: np.ndarray
    held_coordinator: np.ndarray
    held_slot_first: np.ndarray
    held_slot_count: np.ndarray
    slot_p: np.ndarray
    slot_shard: np.ndarray
    slot_leg_first: np.ndarray
    slot_leg_count: np.ndarray
    leg_code: np.ndarray
    leg_debit: np.ndarray
    leg_amount: np.ndarray
    leg_nonce: np.ndarray
    coordinated: np.ndarray
    keys: np.ndarray
    pair_p: np.ndarray
    pair_shard: np.ndarray


@dataclass
class Share:
    """One share of the input read (``read_share``): its fresh agents, and one part per group."""

    fresh: list[bytes]
    parts: list[Part]


def read_share(group: ArrayShardGroup, lo: int, hi: int) -> Share:
    """Read the transactions at input positions ``lo … hi − 1`` and cut what they say into parts.

    Reading gives columns: per transaction its leg count and a hash of its ``user_data``, per leg
    its agent (index, or ``-1 − k`` for the share's ``k``-th fresh agent), debit or not, amount and
    nonce — from the bytes in compiled code when the input is in wire form
    (``wire.leg_columns``), else from the objects (``_object_columns``).  Amounts and nonces at
    or above the kernel's limits are clipped to them: the group whose legs they are refuses the
    run (``take``).  The rest (``_cut``) is NumPy over the share's legs.
    """
    if group.wire:
        sizes, code, debit, amount, nonce, user_hash, missing = wire.leg_columns(
            group.batches, group.batch_start_list, lo, hi, group.genesis_lookup, AMOUNT_LIMIT, NONCE_LIMIT)
        fresh: dict[bytes, int] = {}
        if missing:                 # the legs whose agent is not in genesis, in leg order
            index = group.agent_index
            code[code < 0] = [index[agent] if agent in index else -1 - fresh.setdefault(agent, len(fresh))
                              for agent in missing]
    else:
        sizes, code, debit, amount, nonce, user_hash, fresh = _object_columns(group, lo, hi)
    return _cut(group, lo, sizes, code, debit, amount, nonce, user_hash, list(fresh))


def _object_columns(group: ArrayShardGroup, lo: int, hi: int) -> tuple:
    """``read_share``'s columns from ``CrossAgentTx`` objects: a few list comprehensions per leg."""
    txs = group.input_slice(lo, hi)
    if set(map(type, txs)) - {CrossAgentTx}:          # checked here, in the workers, not by the parent
        from altledger.fast.twopc.batch import check_transactions
        check_transactions(txs)
    sizes = np.array([len(tx.legs) for tx in txs], dtype=np.int64)
    legs = [leg for tx in txs for leg in tx.legs]
    agents = [leg.agent for leg in legs]
    index = group.agent_index
    get = index.get
    codes = [get(agent) for agent in agents]
    fresh: dict[bytes, int] = {}
    if None in codes:
        codes = [index[agent] if agent in index else -1 - fresh.setdefault(agent, len(fresh)) for agent in agents]
    debit_kind = LegKind.DEBIT
    code = np.array(codes, dtype=np.int64)
    debit = np.array([leg.kind is debit_kind for leg in legs], dtype=np.bool_)
    amount = _int64_column([leg.amount for leg in legs], AMOUNT_LIMIT)
    nonce = _int64_column([leg.nonce for leg in legs], NONCE_LIMIT)
    # hash() of bytes is the same in the forked workers (one hash seed); only a hint, like the key
    user_hash = np.array([hash(tx.user_data) for tx in txs], dtype=np.int64)
    return sizes, code, debit, amount, nonce, user_hash, fresh


def _cut(group: ArrayShardGroup, lo: int, sizes: np.ndarray, code: np.ndarray, debit: np.ndarray,
         amount: np.ndarray, nonce: np.ndarray, user_hash: np.ndarray, fresh: list[bytes]) -> Share:
    """The share's columns (``read_share``) cut into one part per group."""
    count = group.shard_count
    shard_of_agent = group.agent_shard.data
    if fresh:                       # agents not indexed yet: shard from the id (§2.2), key part from its hash
        is_fresh = code < 0
        k = np.where(is_fresh, -1 - code, 0)
        fresh_shard = shards_of(fresh, count)
        fresh_value = np.array([hash(agent) for agent in fresh], dtype=np.int64)
        shard = np.where(is_fresh, fresh_shard[k], shard_of_agent[np.where(is_fresh, 0, code)])
        agent_value = np.where(is_fresh, fresh_value[k], code)
    else:
        shard = shard_of_agent[code]                                                 # §2.2
        agent_value = code
    n = len(sizes)
    local = np.repeat(np.arange(n, dtype=np.int64), sizes)                           # leg -> share index
    # coordinator: the shard of the first debit leg (§3.4); -1 when there is none, as in ShardGroup
    coordinator = np.full(n, -1, dtype=np.int64)
    debits = np.flatnonzero(debit)
    if len(debits):
        first = np.r_[True, local[debits[1:]] != local[debits[:-1]]]
        coordinator[local[debits[first]]] = shard[debits[first]]
    # content key: a wrapping sum of the legs' mixes, xor a mix of hash(user_data) (§3.2)
    running = np.zeros(len(code) + 1, dtype=np.uint64)
    np.cumsum(_fingerprint_legs(agent_value, debit, amount, nonce), out=running[1:])
    ends = np.cumsum(sizes)
    keys = (running[ends] - running[ends - sizes]) ^ _mix(user_hash.astype(np.uint64))
    # slots: legs grouped by (transaction, shard); a stable sort keeps canonical order inside a slot
    leg_slot_key = local * count + shard
    by_slot = np.argsort(leg_slot_key, kind="stable")
    slot_key = leg_slot_key[by_slot]
    new_slot = np.r_[True, slot_key[1:] != slot_key[:-1]] if len(slot_key) else np.zeros(0, dtype=np.bool_)
    # participants: the distinct (transaction, shard) pairs, ascending (§3.3) — the slots' keys
    pairs = slot_key[new_slot]
    pair_local, pair_shard = pairs // count, pairs % count

    owner = group.owner
    slot_group = owner[shard[by_slot]]                 # per leg in slot order: its slot's group
    coordinator_group = np.where(coordinator >= 0, owner[np.maximum(coordinator, 0)], -1)
    parts = []
    for g in range(group.groups):
        legs_g = by_slot[slot_group == g]              # group g's legs, by (transaction, shard), canonical
        starts = np.flatnonzero(new_slot[slot_group == g])                 # first leg of each slot
        slot_p = local[legs_g[starts]]
        held_first = np.flatnonzero(np.r_[True, slot_p[1:] != slot_p[:-1]]) if len(slot_p) else starts
        held = slot_p[held_first]
        is_coordinated = coordinator_group == g
        coordinated = np.flatnonzero(is_coordinated)
        on_pair = is_coordinated[pair_local]
        parts.append(Part(held=held + lo, held_coordinator=coordinator[held],
                          held_slot_first=held_first, held_slot_count=np.diff(np.r_[held_first, len(starts)]),
                          slot_p=slot_p + lo, slot_shard=shard[legs_g[starts]],
                          slot_leg_first=starts, slot_leg_count=np.diff(np.r_[starts, len(legs_g)]),
                          leg_code=code[legs_g], leg_debit=debit[legs_g], leg_amount=amount[legs_g],
                          leg_nonce=nonce[legs_g], coordinated=coordinated + lo, keys=keys[coordinated],
                          pair_p=pair_local[on_pair] + lo, pair_shard=pair_shard[on_pair]))
    return Share(fresh, parts)


def _indexed(group: ArrayShardGroup, received: Sequence[tuple[list[bytes], Part]]) -> list[Part]:
    """The parts, every share's fresh agents indexed in share order (the same run-wide index in
    every group) and the parts' legs naming them so."""
    parts = []
    for fresh, part in received:
        if fresh:
            indices = np.array([group.index_agent(agent) for agent in fresh], dtype=np.int64)
            code = part.leg_code
            part.leg_code = np.where(code >= 0, code, indices[np.where(code < 0, -1 - code, 0)])
        parts.append(part)
    group.grow_store()
    return parts


def take(group: ArrayShardGroup, received: Sequence[tuple[list[bytes], Part]]) -> None:
    """Fill ``group``'s arrays from its parts of every share (consecutive, in input order).

    Per transaction at position ``p`` with a leg on our shards: ``coord_of[p]``; a *slot* per (p,
    our shard holding legs of it) with those legs in canonical order (§3.3).  Where our shard
    coordinates it: its identity ``t``, the position of the first transaction with the same
    content (§3.2, ``_first_occurrence``), and for a first occurrence its participants.  Per batch,
    the round-1 submissions: by coordinator, each in the order given (§13.3).  Each column of every
    part goes straight into the group's array in one call (no joined copy of it first, and a few
    dozen NumPy calls per run instead of a dozen per part).
    """
    parts = _indexed(group, received)
    n, count = group.input_size, group.shard_count

    def joined(name: str) -> np.ndarray:
        """Column ``name`` of every part, one after another (no copy for a single part)."""
        return np.concatenate([getattr(part, name) for part in parts]) if len(parts) > 1 else getattr(parts[0], name)

    # each part's slots and legs follow the previous part's: its indices shift by where it starts
    slot_sizes = np.array([len(part.slot_p) for part in parts], dtype=np.int64)
    leg_sizes = np.array([len(part.leg_code) for part in parts], dtype=np.int64)
    held_sizes = np.array([len(part.held) for part in parts], dtype=np.int64)
    slot_base = group.slot_shard.size + np.cumsum(slot_sizes) - slot_sizes
    leg_base = group.leg_agent.size + np.cumsum(leg_sizes) - leg_sizes
    held = joined("held")
    group.coord_of[held] = joined("held_coordinator")
    group.slot_first[held] = joined("held_slot_first") + np.repeat(slot_base, held_sizes)
    group.slot_count[held] = joined("held_slot_count")
    for array, name in ((group.slot_shard, "slot_shard"), (group.slot_t, "slot_p"),
                        (group.leg_count, "slot_leg_count"), (group.leg_agent, "leg_code"),
                        (group.leg_debit, "leg_debit"), (group.leg_amount, "leg_amount"),
                        (group.leg_nonce, "leg_nonce")):
        array.extend_all([getattr(part, name) for part in parts])
    group.leg_first.extend(joined("slot_leg_first") + np.repeat(leg_base, slot_sizes))
    group.rm.extend_filled(int(slot_sizes.sum()), WORKING)
    amount, nonce = group.leg_amount.data[:group.leg_amount.size], group.leg_nonce.data[:group.leg_nonce.size]
    if len(amount) and (amount.max() >= AMOUNT_LIMIT or nonce.max() >= NONCE_LIMIT):
        from altledger.fast.twopc.batch import NeedsPython
        raise NeedsPython("an amount is 2**60 or more, or a nonce 2**62 or more")
    # the transactions we coordinate, in input order: their identity and participants (§3.3, ascending)
    coordinated, keys, all_pair_p, all_pair_shard = map(joined, ("coordinated", "keys", "pair_p", "pair_shard"))
    ts, first_ones = group._first_occurrence(coordinated, keys)
    if len(first_ones):
        is_first = np.zeros(n, dtype=np.bool_)
        is_first[first_ones] = True
        on_first = is_first[all_pair_p]
        pair_p, pair_shard = all_pair_p[on_first], all_pair_shard[on_first]
        part_counts = np.bincount(pair_p, minlength=n)[first_ones]
        start = group.parts.extend(pair_shard)
        group.nparts[first_ones] = part_counts
        group.part_first[first_ones] = start + np.cumsum(part_counts) - part_counts
    group.coordinated = len(first_ones)
    # every slot writes at most two records, every coordinated transaction two (§5.1)
    group.log.reserve(2 * group.slot_shard.size + 2 * group.coordinated)
    group.end_code.reserve(group.coordinated)
    group.end_next.reserve(group.coordinated)
    # every message our shards can send: per coordinated transaction a Prepare to each participant but
    # the coordinator and one decision to each (§8.1–§8.3), per slot a vote and an Ack (§7.1, §7.2)
    if group.keep_history:
        group.sent_rows.reserve(2 * int(group.nparts[first_ones].sum()) + 2 * group.slot_shard.size)
    # submissions of batch b: (coordinator, -1, t, 0) by batch, then coordinator, then position
    batch_of = np.searchsorted(group.batch_starts, coordinated, side="right") - 1
    by_coordinator = group.coord_of[coordinated]
    order = np.argsort(batch_of * (count + 1) + by_coordinator + 1, kind="stable")   # stable: positions
    messages = np.zeros((len(coordinated), 4), dtype=np.int64)                       # ascend within
    messages[:, 0] = by_coordinator[order]                                            # (batch, coordinator)
    messages[:, 1] = -1
    messages[:, 2] = ts[order]
    bounds = np.searchsorted(batch_of[order], np.arange(len(group.batches) + 1))
    group.submissions = [messages[bounds[b]:bounds[b + 1]] for b in range(len(group.batches))]


def first_occurrence(group: ArrayShardGroup, coordinated: np.ndarray,
                     keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``t`` for each coordinated position: the input position of the first transaction with the same
    content (``user_data`` and every leg's agent, kind, amount and nonce determine the encoding,
    hence the txid: §3.2); and the coordinated positions that are first occurrences.

    Transactions are grouped by their 64-bit content keys (equal content, equal keys); the first
    position of a group is found by sorting the keys.  A later position of a group is named by the
    first only after comparing the two transactions exactly; when they differ (a collision), exact
    content decides, in input order — so a collision costs time, never a wrong identity.
    """
    if not len(coordinated):
        return coordinated.copy(), coordinated
    order = np.argsort(keys)
    sorted_keys = keys[order]
    new_key = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    if new_key.all():                                            # no two keys alike: all first
        return coordinated.copy(), coordinated
    leader = np.minimum.reduceat(coordinated[order], np.flatnonzero(new_key))   # least position per key
    found = np.empty_like(coordinated)
    found[order] = leader[np.cumsum(new_key) - 1]
    exact: dict[tuple, int] = {}
    for k in np.flatnonzero(found != coordinated).tolist():     # ascending: in input order
        t, p = int(found[k]), int(coordinated[k])
        first, this = group.tx_at(t), group.tx_at(p)
        # the same transaction (§3.2); a re-submission is often the very same object, and then no
        # field is read (reading them would copy their pages in a forked worker: reference counts)
        if first is this or first == this:
            continue
        first, this = _content(first), _content(this)           # a collision: exact content decides
        exact.setdefault(first, t)
        found[k] = exact.setdefault(this, p)
    return found, coordinated[found == coordinated]

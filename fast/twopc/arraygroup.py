"""A shard group whose steps run in the Numba kernel (``kernel.run_round``): batch mode's fast engine.

Same contract as :class:`~altledger.fast.twopc.batch.ShardGroup` (the Python
engine) — ``start_batch``, ``run_round``, ``finish``, the same packed
messages between groups, the same :class:`~altledger.fast.twopc.batch.GroupFinal`
— so the two engines are interchangeable per run and their results are
compared with each other and with the reference by the batch tests.

Per batch, Python turns the transactions into the kernel's arrays (only what
this group needs, as ``ShardGroup.start_batch`` explains); per round the
kernel runs every step of the round for all our shards.  What changes is only
where the rules run, never which rules or in which order: the kernel takes the
round's messages in send order, so each shard takes its own messages in
ascending send number (§13.3), and a shard's sends are kept in the order it
made them (a stable sort by sender restores the per-shard blocks that send
numbers are assigned over).

Exactness of int64: every balance stays below 2^63 as long as the genesis
total and every amount are below 2^60 and no sum of credits passes int64 —
the kernel reports an overflow instead of wrapping; and a debit nonce at or
above 2^62 could never equal a store nonce plus one (store nonces count
commits).  When a run breaks one of these, :class:`NeedsPython` is raised and
``run_batches`` reruns it with the Python engine, which has no limits.
"""

from __future__ import annotations

import bisect
from typing import Any, Mapping, Sequence

import numpy as np

from altledger.fast.twopc import kernel
from altledger.fast.twopc.batch import GroupFinal, NeedsPython, RoundReport
from altledger.reference.encoding import CrossAgentTx, LegKind

AMOUNT_LIMIT = 1 << 60
NONCE_LIMIT = 1 << 62
MAX_PARTICIPANTS = 16                      # a transaction has at most 16 legs (§E.6.2)


class Growable:
    """A NumPy array with spare capacity (doubling), so appends per batch stay cheap."""

    def __init__(self, dtype: Any, fill: int = 0, width: int = 0) -> None:
        self.fill = fill
        self.width = width
        self.data = np.full((16, width) if width else 16, fill, dtype=dtype)
        self.size = 0

    def reserve(self, size: int) -> None:
        if size > len(self.data):
            capacity = max(size, 2 * len(self.data))
            grown = np.full((capacity, self.width) if self.width else capacity, self.fill, dtype=self.data.dtype)
            grown[:len(self.data)] = self.data
            self.data = grown

    def extend(self, values: Sequence[Any]) -> int:
        """Append ``values``; return the index of the first."""
        start = self.size
        self.reserve(start + len(values))
        if len(values):
            self.data[start:start + len(values)] = values
        self.size = start + len(values)
        return start


def _int64_column(values: list[int], limit: int) -> np.ndarray:
    """``values`` as int64, every value at or above ``limit`` replaced by ``limit`` (the caller only
    asks whether our legs reach the limit; other groups' values are never used beyond that)."""
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        return np.array([value if value < limit else limit for value in values], dtype=np.int64)


def _fingerprint_legs(code: np.ndarray, debit: np.ndarray, amount: np.ndarray, nonce: np.ndarray) -> np.ndarray:
    """A wrapping 64-bit mix of each leg's (agent code, kind, amount, nonce): equal legs, equal values.

    Only a hint for finding equal transactions: every hit is checked exactly (``_content``).
    """
    mixed = (code.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
             ^ amount.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
             ^ nonce.astype(np.uint64) * np.uint64(0x165667B19E3779F9)
             ^ debit.astype(np.uint64) * np.uint64(0x27D4EB2F165667C5))
    mixed ^= mixed >> np.uint64(31)
    mixed *= np.uint64(0xFF51AFD7ED558CCD)
    mixed ^= mixed >> np.uint64(33)
    return mixed


def _content(tx: CrossAgentTx) -> tuple:
    """What determines ``tx``'s encoding, hence its txid (§3.2): ``user_data`` and every leg's agent,
    kind, amount and nonce, in canonical order (``kind`` is a ``LegKind``, so ``is DEBIT`` keeps it)."""
    debit = LegKind.DEBIT
    return tx.user_data, tuple([(leg.agent, leg.kind is debit, leg.amount, leg.nonce) for leg in tx.legs])


class ArrayShardGroup:
    """The shards of one block, their state in arrays, their steps in the kernel."""

    def __init__(self, shard_count: int, owned: range, owner: Sequence[int], genesis: Mapping[bytes, int],
                 batches: Sequence[Sequence[CrossAgentTx]], keep_history: bool = True) -> None:
        if sum(genesis.values()) >= AMOUNT_LIMIT:
            raise NeedsPython("the genesis total is 2**60 or more")
        self.shard_count = shard_count
        self.index = owner[owned[0]]
        self.groups = max(owner) + 1
        self.owned = owned
        self.first_owned = owned[0]
        self.owner = np.asarray(owner, dtype=np.int64)
        self.mine = [g == self.index for g in owner]
        self.batches = batches
        self.keep_history = keep_history
        total = sum(len(batch) for batch in batches)
        self.coord_of = np.full(total, -1, dtype=np.int64)
        self.nparts = np.zeros(total, dtype=np.int64)
        self.part_first = np.zeros(total, dtype=np.int64)     # participants(t) = parts[part_first[t]:][:nparts[t]]
        self.parts = Growable(np.int64)
        self.phase = np.zeros(total, dtype=np.int8)
        self.mask = np.zeros(total, dtype=np.int64)
        self.slot_first = np.full(total, -1, dtype=np.int64)
        self.slot_count = np.zeros(total, dtype=np.int64)
        self.slot_shard = Growable(np.int64)
        self.slot_t = Growable(np.int64)
        self.rm = Growable(np.int8)
        self.leg_first = Growable(np.int64)
        self.leg_count = Growable(np.int64)
        self.leg_agent = Growable(np.int64)
        self.leg_debit = Growable(np.bool_)
        self.leg_amount = Growable(np.int64)
        self.leg_nonce = Growable(np.int64)
        self.mine_array = np.array(self.mine, dtype=np.bool_)
        # Agents by a run-wide index, the same in every group: genesis order, then agents met, in the
        # order every group adds them (``_resolve``).  agent_shard[a] = int_be(AgentId) mod K (§2.2).
        self.ids: list[bytes] = list(genesis)
        self.agent_index: dict[bytes, int] = {agent: a for a, agent in enumerate(self.ids)}
        self.agent_shard = Growable(np.int64)
        self.agent_shard.extend([int.from_bytes(agent, "big") % shard_count for agent in self.ids])
        self.bal = Growable(np.int64)                          # the store (§4.1); only our agents' entries
        self.nonce = Growable(np.int64)                        # are ever read or written
        self.lock = Growable(np.int64, fill=-1)
        self._grow_store()
        try:
            amounts = np.array(list(genesis.values()), dtype=np.int64)
        except OverflowError:
            raise NeedsPython("a genesis balance does not fit in int64") from None
        ours = self.mine_array[self.agent_shard.data[:len(self.ids)]]
        self.bal.data[:len(self.ids)] = np.where(ours, amounts, 0)           # §2.1: genesis of our agents
        self.log = Growable(np.int64, width=2)
        self.end_code = Growable(np.int64)
        self.end_next = Growable(np.int64, fill=-1)
        self.buf_head = np.full(len(owned), -1, dtype=np.int64)
        self.buf_tail = np.full(len(owned), -1, dtype=np.int64)
        self.counters = np.zeros(5, dtype=np.int64)
        self.out = Growable(np.int64, width=5)                 # reused round to round (no fresh pages)
        self.no_votes = Growable(np.int64, width=3)
        self.coordinated = 0
        self.seen: dict[tuple[bytes, int], int] = {}           # (user_data, legs' fingerprint) -> first t
        self.exact: dict[tuple, int] = {}                      # content -> first t, after a collision
        self.batch_starts = np.cumsum([0] + [len(batch) for batch in batches[:-1]]).tolist()
        self.position = 0
        self.batch = -1
        self.round = 0
        self.local = np.empty((0, 4), dtype=np.int64)          # last round's messages among our shards
        self.first_no: dict[int, tuple[int, int, int, int]] = {}
        self.history: list[tuple[int, int, int, bytes]] = []

    def _grow_store(self) -> None:
        """Store and lock entries for every agent indexed so far (new ones: balance 0, nonce 0, no lock)."""
        for array in (self.bal, self.nonce, self.lock):
            array.reserve(len(self.ids))
            array.size = len(self.ids)

    def ingest_share(self, b: int, lo: int, hi: int) -> tuple:
        """The legs of transactions ``lo … hi − 1`` of batch ``b`` as arrays (the only per-leg Python work).

        Returns ``(sizes, agents, debit, amount, nonce, fresh)``: legs per transaction, then per leg in
        canonical order its agent's index (agents not indexed yet: ``-1 - k`` for ``fresh[k]``, indexed
        later by ``_resolve`` in the same order in every group), whether it is a debit, and its amount
        and nonce (values at or above the int64 limits clipped to them: see ``_int64_column``).  A
        worker computes its share of every batch and the workers swap shares (``workers.schedule``).
        """
        batch = self.batches[b][lo:hi]
        sizes = np.array([len(tx.legs) for tx in batch], dtype=np.int64)
        legs = [leg for tx in batch for leg in tx.legs]
        agents = [leg.agent for leg in legs]
        index = self.agent_index
        get = index.get
        codes = [get(agent) for agent in agents]
        fresh: dict[bytes, int] = {}
        if None in codes:
            codes = [index[agent] if agent in index else -1 - fresh.setdefault(agent, len(fresh)) for agent in agents]
        debit_kind = LegKind.DEBIT
        debit = np.array([leg.kind is debit_kind for leg in legs], dtype=np.bool_)
        return (sizes, np.array(codes, dtype=np.int64), debit, _int64_column([leg.amount for leg in legs], AMOUNT_LIMIT),
                _int64_column([leg.nonce for leg in legs], NONCE_LIMIT), list(fresh))

    def _resolve(self, shares: Sequence[tuple]) -> tuple[np.ndarray, ...]:
        """The shares of one batch (in transaction order) joined, each fresh agent indexed (§2.2)."""
        columns: list[list[np.ndarray]] = [[], [], [], [], []]
        for sizes, agents, debit, amount, nonce, fresh in shares:
            if fresh:
                indices = np.array([self._index_agent(agent) for agent in fresh], dtype=np.int64)
                agents = np.where(agents >= 0, agents, indices[np.where(agents < 0, -1 - agents, 0)])
            for column, values in zip(columns, (sizes, agents, debit, amount, nonce)):
                column.append(values)
        self._grow_store()
        return tuple(np.concatenate(column) for column in columns)

    def _index_agent(self, agent: bytes) -> int:
        found = self.agent_index.get(agent)
        if found is None:
            found = self.agent_index[agent] = len(self.ids)
            self.ids.append(agent)
            self.agent_shard.extend([int.from_bytes(agent, "big") % self.shard_count])     # §2.2
        return found

    # -- rounds ---------------------------------------------------------------------------------

    def start_batch(self, b: int, shares: Sequence[tuple] | None = None) -> RoundReport:
        """Round 1 of batch ``b``: turn the batch into arrays (what ``ShardGroup.start_batch`` computes),
        then every owned coordinator takes its submissions in the order given (§13.3).

        ``shares``: ``ingest_share`` of consecutive parts of the batch, in order (worker processes
        compute one part each and swap them); ``None``: this group ingests the whole batch.  Past
        that, all is NumPy over the batch's legs at once.  Per transaction ``i`` at input position
        ``p = position + i``:

        * shard of each leg: ``int_be(AgentId) mod K`` (§2.2), per agent index (``agent_shard``);
        * ``coord_of[p]``: the shard of its first debit leg in canonical order (§3.4);
        * a *slot* per (p, our shard holding legs of it) with those legs in canonical order (§3.3)
          — skipped entirely when none of its shards is ours;
        * where our shard coordinates it: its identity, the position of its first occurrence with
          the same content (§3.2, see ``_first_occurrence``), and for a first occurrence its
          participants, the ascending distinct shards of its legs (§3.3);
        * the round-1 submissions, per coordinator in the order given.
        """
        self.batch, self.round = b, 1
        batch = self.batches[b]
        base = self.position
        n = len(batch)
        self.position += n
        if shares is None:
            shares = [self.ingest_share(b, 0, n)]
        sizes, code, debit, amount, nonce = self._resolve(shares)
        if len(sizes) != n:
            raise RuntimeError(f"the shares of batch {b} hold {len(sizes)} transactions, not {n}")
        shard = self.agent_shard.data[code]                                           # §2.2
        own = self.mine_array[shard]                                                  # a leg on our shard
        tx_of = np.repeat(np.arange(n, dtype=np.int64), sizes)                        # leg -> i
        # coordinator(i): shard of the first debit leg (§3.4); -1 when it has none, as ShardGroup
        coordinator = np.full(n, -1, dtype=np.int64)
        debits = np.flatnonzero(debit)
        if len(debits):
            first = np.ones(len(debits), dtype=np.bool_)
            first[1:] = tx_of[debits[1:]] != tx_of[debits[:-1]]
            coordinator[tx_of[debits[first]]] = shard[debits[first]]
        relevant = np.bincount(tx_of[own], minlength=n) > 0                           # holds one of our legs
        # slots: our legs grouped by (i, shard); a stable sort keeps canonical order inside a slot
        own_legs = np.flatnonzero(own)
        key = tx_of[own_legs] * self.shard_count + shard[own_legs]
        own_legs = own_legs[np.argsort(key, kind="stable")]
        key = tx_of[own_legs] * self.shard_count + shard[own_legs]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)
        slot_leg_counts = np.diff(np.r_[starts, len(own_legs)])
        slot_i = tx_of[own_legs[starts]]
        columns_amount, columns_nonce = amount[own_legs], nonce[own_legs]
        if len(own_legs) and (columns_amount.max() >= AMOUNT_LIMIT or columns_nonce.max() >= NONCE_LIMIT):
            raise NeedsPython("an amount is 2**60 or more, or a nonce 2**62 or more")
        slot_base, leg_base = self.slot_shard.size, self.leg_agent.size
        rel = np.flatnonzero(relevant)
        self.coord_of[base + rel] = coordinator[rel]
        self.slot_first[base + rel] = slot_base + np.searchsorted(slot_i, rel)
        self.slot_count[base + rel] = np.bincount(slot_i, minlength=n)[rel]
        self.slot_shard.extend(shard[own_legs[starts]])
        self.slot_t.extend(base + slot_i)
        self.rm.extend(np.zeros(len(starts), dtype=np.int8))
        self.leg_first.extend(leg_base + starts)
        self.leg_count.extend(slot_leg_counts)
        self.leg_agent.extend(code[own_legs])
        self.leg_debit.extend(debit[own_legs])
        self.leg_amount.extend(columns_amount)
        self.leg_nonce.extend(columns_nonce)
        # the transactions we coordinate, in the order given: their identity and submissions
        coordinated = np.flatnonzero(relevant & self.mine_array[coordinator])
        ts, first_ones = self._first_occurrence(batch, base, coordinated, tx_of, code, debit, amount, nonce, sizes)
        if len(first_ones):                                    # participants(t), ascending (§3.3)
            is_first = np.zeros(n, dtype=np.bool_)
            is_first[first_ones] = True
            on_first = is_first[tx_of]
            pairs = np.unique(tx_of[on_first] * self.shard_count + shard[on_first])
            part_counts = np.bincount(pairs // self.shard_count, minlength=n)[first_ones]
            start = self.parts.extend(pairs % self.shard_count)
            self.nparts[base + first_ones] = part_counts
            self.part_first[base + first_ones] = start + np.cumsum(part_counts) - part_counts
        self.coordinated += len(first_ones)
        # every slot writes at most two records, every coordinated transaction two (§5.1)
        self.log.reserve(2 * self.slot_shard.size + 2 * self.coordinated)
        self.end_code.reserve(self.coordinated)
        self.end_next.reserve(self.coordinated)
        by_coordinator = coordinator[coordinated]              # submissions: by coordinator, then as given
        order = np.argsort(by_coordinator, kind="stable")
        messages = np.zeros((len(coordinated), 4), dtype=np.int64)
        messages[:, 0] = by_coordinator[order]
        messages[:, 1] = -1
        messages[:, 2] = ts[order]
        return self._round(messages)

    def _first_occurrence(self, batch: Sequence[CrossAgentTx], base: int, coordinated: np.ndarray,
                          tx_of: np.ndarray, code: np.ndarray, debit: np.ndarray, amount: np.ndarray,
                          nonce: np.ndarray, sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """``t`` for each coordinated transaction of the batch: the input position of the first
        transaction with the same content (``user_data`` and every leg's agent, kind, amount and
        nonce determine the encoding, hence the txid: §3.2); and which of them are first occurrences.

        Equal content is looked up under ``(user_data, fingerprint of the legs)``; the fingerprint
        is a wrapping 64-bit mix of the legs' arrays, so equal legs give equal fingerprints, and a
        hit is only taken after comparing the contents exactly (``_content``), so a collision
        costs time, never a wrong identity.
        """
        leg_mix = _fingerprint_legs(code, debit, amount, nonce)
        cumulative = np.cumsum(leg_mix, dtype=np.uint64)
        ends = np.cumsum(np.asarray(sizes, dtype=np.int64))
        before = np.zeros(len(ends), dtype=np.uint64)
        if len(ends) > 1:
            nonempty_end = ends[:-1] > 0
            before[1:][nonempty_end] = cumulative[ends[:-1][nonempty_end] - 1]
        totals = np.zeros(len(ends), dtype=np.uint64)
        nonempty = ends > 0
        totals[nonempty] = cumulative[ends[nonempty] - 1]
        fingerprints = (totals - before)[coordinated].tolist()
        seen, ts, first_ones = self.seen, [], []
        for i, fingerprint in zip(coordinated.tolist(), fingerprints):
            tx = batch[i]
            key = (tx.user_data, fingerprint)
            t = seen.get(key)
            if t is None:
                t = seen[key] = base + i
            elif _content(self._tx_at(t)) != _content(tx):      # a fingerprint collision: exact keys
                exact = self.exact
                exact.setdefault(_content(self._tx_at(t)), t)
                t = exact.setdefault(_content(tx), base + i)
            if t == base + i:
                first_ones.append(i)
            ts.append(t)
        return np.array(ts, dtype=np.int64), np.array(first_ones, dtype=np.int64)

    def _tx_at(self, t: int) -> CrossAgentTx:
        """The transaction at flattened input position ``t``."""
        b = bisect.bisect_right(self.batch_starts, t) - 1
        return self.batches[b][t - self.batch_starts[b]]

    def run_round(self, incoming: Sequence[bytes | None]) -> RoundReport:
        """Round ``r > 1``: last round's messages to our shards, lower blocks first, then ours, then higher
        blocks' — ascending send number (see ``ShardGroup.run_round``)."""
        self.round += 1
        parts = []
        for g in range(self.groups):
            if g == self.index:
                parts.append(self.local)
            elif incoming[g]:
                parts.append(np.frombuffer(incoming[g], dtype=np.int64).reshape(-1, 4))
        messages = np.concatenate(parts) if len(parts) > 1 else (parts[0] if parts else self.local)
        if not messages.flags.writeable:                       # one array type for the kernel (Numba
            messages = messages.copy()                         # compiles read-only arrays separately)
        return self._round(np.ascontiguousarray(messages))

    def _round(self, messages: np.ndarray) -> RoundReport:
        rows = len(messages)
        self.out.reserve(MAX_PARTICIPANTS * rows + MAX_PARTICIPANTS)   # a step sends at most 16 messages
        self.no_votes.reserve(rows + 1)                                 # and casts at most one vote
        out, no_votes = self.out.data, self.no_votes.data
        counters = self.counters
        counters[2] = counters[3] = 0
        kernel.run_round(messages, self.first_owned, self.coord_of, self.nparts, self.part_first, self.parts.data,
                         self.phase, self.mask,
                         self.slot_first, self.slot_count, self.slot_shard.data, self.rm.data, self.leg_first.data,
                         self.leg_count.data, self.leg_agent.data, self.leg_debit.data, self.leg_amount.data,
                         self.leg_nonce.data, self.bal.data, self.nonce.data, self.lock.data, self.log.data,
                         self.buf_head, self.buf_tail, self.end_code.data, self.end_next.data, out, no_votes,
                         counters)
        if counters[4] == kernel.OVERFLOW:
            raise NeedsPython("a balance would pass 2**63")
        if counters[4] != 0:
            raise RuntimeError("the batch kernel met a state the round schedule cannot produce")
        self.log.size = int(counters[0])
        self.end_code.size = self.end_next.size = int(counters[1])
        b, r = self.batch, self.round
        for t, shard, reason in no_votes[:counters[3]].tolist():   # the first NO vote cast for t (reports):
            key = (b, r, shard, reason)                             # earliest round, then lowest shard
            if t not in self.first_no or key < self.first_no[t]:
                self.first_no[t] = key
        sent = out[:counters[2]]
        sent = sent[np.argsort(sent[:, 0], kind="stable")]          # per sender, in the order it sent
        counts = np.bincount(sent[:, 0] - self.first_owned, minlength=len(self.owned))
        if self.keep_history and len(sent):
            start = 0
            for local, count in enumerate(counts.tolist()):
                if count:
                    block = np.ascontiguousarray(sent[start:start + count, 1:])
                    self.history.append((b, r, self.first_owned + local, block.tobytes()))
                    start += count
        groups = self.owner[sent[:, 1]]
        self.local = np.ascontiguousarray(sent[groups == self.index, 1:])
        remote: list[bytes | None] = [None] * self.groups
        if self.groups > 1:
            for g in range(self.groups):
                if g != self.index:
                    rows_g = sent[groups == g, 1:]
                    remote[g] = np.ascontiguousarray(rows_g).tobytes() if len(rows_g) else None
        return RoundReport(counts.tolist(), remote)

    def finish(self) -> GroupFinal:
        log = self.log.data[:self.log.size]
        rm = self.rm.data[:self.rm.size]
        slot_t = self.slot_t.data[:self.slot_t.size]
        committed = set(slot_t[rm == kernel.COMMITTED].tolist())
        unfinished = set(slot_t[rm == kernel.PREPARED].tolist())
        busy = np.nonzero(self.phase)[0].tolist()
        unfinished.update(busy)
        # the store of each of our shards: its agents whose balance or nonce is not 0 (an entry (0, 0)
        # is the same as none: a store maps every agent to (0, 0) until it holds something, §4.1)
        ids, agents = self.ids, len(self.ids)
        bal, nonce, agent_shard = self.bal.data[:agents], self.nonce.data[:agents], self.agent_shard.data[:agents]
        held = np.flatnonzero(self.mine_array[agent_shard] & ((bal != 0) | (nonce != 0)))
        stores: dict[int, dict[bytes, tuple[int, int]]] = {s: {} for s in self.owned}
        for a, s, balance, count in zip(held.tolist(), agent_shard[held].tolist(), bal[held].tolist(),
                                        nonce[held].tolist()):
            stores[s][ids[a]] = (balance, count)
        shards = {}
        for local, s in enumerate(self.owned):
            buffer, k = [], int(self.buf_head[local])
            while k >= 0:
                buffer.append(int(self.end_code.data[k]))
                k = int(self.end_next.data[k])
            parts = self.parts.data
            coord = {t: (int(self.phase[t]), [int(parts[self.part_first[t] + j]) for j in range(int(self.nparts[t]))
                                              if int(self.mask[t]) >> j & 1])
                     for t in busy if int(self.coord_of[t]) == s}
            shards[s] = {"up": True, "log": np.ascontiguousarray(log[log[:, 0] == s, 1]).tobytes(),
                         "buffer": buffer, "store": stores[s], "coord": coord}
        return GroupFinal(shards, self.first_no, sorted(committed), sorted(unfinished), self.history)

"""A shard group whose steps run in the Numba kernel (``kernel.run_round``): batch mode's fast engine.

Same contract as :class:`~altledger.fast.twopc.batch.ShardGroup` (the Python
engine) — ``start_batch``, ``run_round``, ``finish``, the same packed
messages between groups, the same :class:`~altledger.fast.twopc.batch.GroupFinal`
— so the two engines are interchangeable per run and their results are
compared with each other and with the reference by the batch tests.

Before the first batch the whole input becomes the kernel's arrays at once
(``ingest``): what ``ShardGroup.start_batch`` computes per batch — each
transaction's coordinator (§3.4), our shards' legs (§3.3), the identity of
what we coordinate (its first occurrence, §3.2) and its participants, and
each batch's submissions — depends only on the input, never on how earlier
batches ran.  Python touches each leg in a few list comprehensions only;
with worker processes each reads a share of the input and keeps of the
others' shares only what its own shards need (``ingest``).  Agents get one
run-wide index (genesis order, then agents met), the same in every group.
Per round the kernel runs every step of the round for all our shards.  What changes is only
where the rules run, never which rules or in which order: the kernel takes the
round's messages in send order, so each shard takes its own messages in
ascending send number (§13.3), and a shard's sends are kept in the order it
made them (``kernel.route``'s stable sort by sender restores the per-shard
blocks that send numbers are assigned over).  Per round, Python only hands
arrays to the two compiled calls: a run has hundreds of rounds, and NumPy's
per-call cost, paid a dozen times a round, once cost as much as the steps.

Exactness of int64: every balance stays below 2^63 as long as the genesis
total and every amount are below 2^60 and no sum of credits passes int64 —
the kernel reports an overflow instead of wrapping; and a debit nonce at or
above 2^62 could never equal a store nonce plus one (store nonces count
commits).  When a run breaks one of these, :class:`NeedsPython` is raised and
``run_batches`` reruns it with the Python engine, which has no limits.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from altledger.fast.twopc import ingest, kernel, wire
from altledger.fast.twopc.batch import GroupFinal, NeedsPython, RoundReport, sorted_unique
from altledger.fast.twopc.codes import BATCH_BITS, ROUND_BITS, SHARD_BITS, no_key
from altledger.fast.twopc.ingest import AMOUNT_LIMIT, shards_of
from altledger.reference.encoding import CrossAgentTx
MAX_PARTICIPANTS = 16                      # a transaction has at most 16 legs (§E.6.2)


def _filled(shape: Any, fill: int, dtype: Any) -> np.ndarray:
    """``np.full``; for 0, ``np.zeros`` (fresh zero pages from the OS instead of writing every byte)."""
    return np.zeros(shape, dtype=dtype) if fill == 0 else np.full(shape, fill, dtype=dtype)


class Growable:
    """A NumPy array with spare capacity (doubling), so appends per batch stay cheap."""

    def __init__(self, dtype: Any, fill: int = 0, width: int = 0) -> None:
        self.fill = fill
        self.width = width
        self.data = _filled((16, width) if width else 16, fill, dtype)
        self.size = 0

    def reserve(self, size: int) -> None:
        if size > len(self.data):
            capacity = max(size, 2 * len(self.data))
            grown = _filled((capacity, self.width) if self.width else capacity, self.fill, self.data.dtype)
            grown[:len(self.data)] = self.data
            self.data = grown

    def _append(self, count: int) -> slice:
        """Make room for ``count`` more values and count them in; where they go."""
        start = self.size
        self.reserve(start + count)
        self.size = start + count
        return slice(start, start + count)

    def extend(self, values: Sequence[Any]) -> int:
        """Append ``values``; return the index of the first."""
        where = self._append(len(values))
        if len(values):
            self.data[where] = values
        return where.start

    def extend_all(self, arrays: Sequence[np.ndarray]) -> int:
        """Append every array of ``arrays`` in turn (one copy each, straight into ours); return the
        index of the first value."""
        where = self._append(sum(len(array) for array in arrays))
        if where.stop > where.start:
            np.concatenate(arrays, out=self.data[where])
        return where.start

    def extend_filled(self, count: int, value: int) -> int:
        """Append ``count`` copies of ``value``; return the index of the first."""
        where = self._append(count)
        self.data[where] = value
        return where.start


@dataclass
class GenesisIndex:
    """Genesis as every group starts from it: agents in genesis order, their index, shard (§2.2) and
    balance (§2.1; ``None`` when one does not fit int64), and the total.  Computed once per run
    (``index_genesis``), before forking, so the workers share it instead of each computing it."""

    ids: list[bytes]
    index: dict[bytes, int]
    shard: np.ndarray
    amounts: np.ndarray | None
    total: int
    wire_lookup: tuple | None = None          # genesis as ``wire.genesis_table`` (input in wire form)

    def lookup(self) -> tuple:
        """``wire.genesis_table`` of the genesis ids, built once (before forking, when asked then)."""
        if self.wire_lookup is None:
            self.wire_lookup = wire.genesis_table(self.ids)
        return self.wire_lookup


def index_genesis(genesis: Mapping[bytes, int], shard_count: int) -> GenesisIndex:
    ids = list(genesis)
    try:
        amounts: np.ndarray | None = np.array(list(genesis.values()), dtype=np.int64)
    except OverflowError:
        amounts = None
    return GenesisIndex(ids, {agent: a for a, agent in enumerate(ids)}, shards_of(ids, shard_count), amounts,
                        sum(genesis.values()))


def check_limits(prepared: GenesisIndex, shard_count: int, batch_count: int) -> None:
    """Raise ``NeedsPython`` when a run's genesis or size is beyond the kernel before it starts (the
    module docstring says why these limits; values met later are checked as they are read)."""
    if prepared.total >= AMOUNT_LIMIT:
        raise NeedsPython("the genesis total is 2**60 or more")
    if prepared.amounts is None:
        raise NeedsPython("a genesis balance does not fit in int64")
    if shard_count > 1 << SHARD_BITS or batch_count > 1 << BATCH_BITS:
        raise NeedsPython("more shards or batches than the kernel's NO-vote keys hold")


class ArrayShardGroup:
    """The shards of one block, their state in arrays, their steps in the kernel."""

    def __init__(self, shard_count: int, owned: range, owner: Sequence[int], genesis: Mapping[bytes, int],
                 batches: Sequence[Sequence[CrossAgentTx]], keep_history: bool = True,
                 genesis_index: GenesisIndex | None = None) -> None:
        prepared = genesis_index or index_genesis(genesis, shard_count)
        check_limits(prepared, shard_count, len(batches))
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
        # Agents by a run-wide index: genesis order, then agents not in genesis in input order (``ingest.take``);
        # every group builds the same index.  agent_shard[a] = int_be(AgentId) mod K (§2.2).
        self.ids: list[bytes] = list(prepared.ids)                     # (copies: agents not in genesis
        self.genesis_size = len(self.ids)                              # are added to ours)
        self.agent_index: dict[bytes, int] = prepared.index.copy()
        self.agent_shard = Growable(np.int64)
        self.agent_shard.extend(prepared.shard)
        self.bal = Growable(np.int64)                          # the store (§4.1); only our agents' entries
        self.nonce = Growable(np.int64)                        # are ever read or written
        self.lock = Growable(np.int64, fill=-1)
        self.grow_store()
        ours = self.mine_array[self.agent_shard.data[:len(self.ids)]]
        self.bal.data[:len(self.ids)] = np.where(ours, prepared.amounts, 0)   # §2.1: genesis of our agents
        self.log = Growable(np.int64, width=2)
        self.end_code = Growable(np.int64)
        self.end_next = Growable(np.int64, fill=-1)
        self.buf_head = np.full(len(owned), -1, dtype=np.int64)
        self.buf_tail = np.full(len(owned), -1, dtype=np.int64)
        self.counters = np.zeros(4, dtype=np.int64)
        self.out = Growable(np.int64, width=5)                 # reused round to round (no fresh pages)
        self.first_no = np.full(total, kernel.INT64_MAX, dtype=np.int64)   # no_key of t's first NO
        # route's outputs: each round's rows by recipient group, two buffers used in turn (the rows for
        # our own shards are read in the next round while that round's rows fill the other buffer)
        self.routed = [Growable(np.int64, width=4), Growable(np.int64, width=4)]
        self.send_counts = np.zeros(len(owned), dtype=np.int64)
        self.dest_start = np.zeros(self.groups + 1, dtype=np.int64)
        self.no_history = np.zeros((0, 4), dtype=np.int64)
        self.coordinated = 0
        # input position p = batch_starts[b] + index in batch b (the input is not copied: a worker
        # that walked every transaction would copy every page holding one, see ingest_share)
        self.input_size = total
        self.wire = wire.is_wire(batches)        # read as bytes (``wire``), not as objects
        self.genesis_lookup = prepared.lookup() if self.wire else None
        self.batch_starts = np.cumsum([0] + [len(batch) for batch in batches[:-1]]).astype(np.int64)
        self.batch_start_list: list[int] = self.batch_starts.tolist()
        self.submissions: list[np.ndarray] | None = None      # per batch, its round-1 messages (ingest)
        self.state: tuple | None = None                        # the kernel's state arrays (start_batch)
        self.batch = -1
        self.round = 0
        self.local = np.empty((0, 4), dtype=np.int64)          # last round's messages among our shards
        self.sent_rows = Growable(np.int64, width=4)            # every message we sent, in order

    def grow_store(self) -> None:
        """Store and lock entries for every agent indexed so far (new ones: balance 0, nonce 0, no lock)."""
        for array in (self.bal, self.nonce, self.lock):
            array.reserve(len(self.ids))
            array.size = len(self.ids)

    # -- the input as arrays --------------------------------------------------------------------

    def ingest_share(self, lo: int, hi: int) -> ingest.Share:
        """Input positions ``lo … hi − 1`` read and cut into one part per group (``ingest.read_share``)."""
        return ingest.read_share(self, lo, hi)

    def input_slice(self, lo: int, hi: int) -> list[CrossAgentTx]:
        """The transactions at input positions ``lo … hi − 1``."""
        out: list[CrossAgentTx] = []
        for start, batch in zip(self.batch_start_list, self.batches):     # (no batches: one start, 0)
            if start < hi and start + len(batch) > lo:
                out += batch[max(lo - start, 0):hi - start]
        return out

    def tx_at(self, p: int) -> CrossAgentTx | bytes:
        """The transaction at input position ``p``; in wire form, its encoding (read, not decoded)."""
        b = bisect_right(self.batch_start_list, p) - 1
        if self.wire:
            return self.batches[b].encoding(p - self.batch_start_list[b])
        return self.batches[b][p - self.batch_start_list[b]]

    def index_agent(self, agent: bytes) -> int:
        found = self.agent_index.get(agent)
        if found is None:
            found = self.agent_index[agent] = len(self.ids)
            self.ids.append(agent)
            self.agent_shard.extend(shards_of([agent], self.shard_count))     # §2.2
        return found

    def ingest(self, received: Sequence[tuple[list[bytes], ingest.Part]] | None = None) -> None:
        """Turn the whole input into the kernel's arrays (``ingest.take``).  ``received``: our part of
        every share, in input order, with the share's fresh agents (worker processes read chunks of
        the input and swap parts: ``workers._ingest``); ``None``: read the whole input here, in chunks
        (``ingest.chunk_bounds``)."""
        ingest.take(self, self.read_input() if received is None else received)

    def read_input(self) -> list[tuple[list[bytes], ingest.Part]]:
        """Our part of the whole input, read here in chunks (``ingest.chunk_bounds``), each with its
        share's fresh agents: what ``ingest`` takes when no other group reads for us."""
        bounds = ingest.chunk_bounds(self.input_size, 1)
        received = []
        for lo, hi in zip(bounds, bounds[1:]):
            share = self.ingest_share(lo, hi)
            received.append((share.fresh, share.parts[self.index]))
        return received

    def _first_occurrence(self, coordinated: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``ingest.first_occurrence`` (a method, so a test can replace it in forked workers too)."""
        return ingest.first_occurrence(self, coordinated, keys)

    # -- rounds ---------------------------------------------------------------------------------

    def start_batch(self, b: int) -> RoundReport:
        """Round 1 of batch ``b``: every owned coordinator takes its submissions in the order given
        (§13.3); the input is turned into arrays first if it has not been yet (``ingest``)."""
        if self.submissions is None:
            self.ingest()
        if self.state is None:
            # the kernel's state arrays: none of them grows once the input is in (their sizes
            # follow from it), so the tuple is made once, not every round
            self.state = (self.coord_of, self.nparts, self.part_first, self.parts.data, self.phase, self.mask,
                          self.slot_first, self.slot_count, self.slot_shard.data, self.rm.data,
                          self.leg_first.data, self.leg_count.data, self.leg_agent.data, self.leg_debit.data,
                          self.leg_amount.data, self.leg_nonce.data, self.bal.data, self.nonce.data,
                          self.lock.data, self.log.data, self.buf_head, self.buf_tail, self.end_code.data,
                          self.end_next.data)
        self.batch, self.round = b, 1
        return self._round(self.submissions[b])

    def run_round(self, incoming: Sequence[bytes | np.ndarray | None]) -> RoundReport:
        """Round ``r > 1``: last round's messages to our shards, lower blocks first, then ours, then higher
        blocks' — ascending send number (see ``ShardGroup.run_round``).  ``incoming[g]``: group ``g``'s
        rows for us, packed (``batch.pack``) or as an (n, 4) int64 array."""
        self.round += 1
        parts = []
        for g in range(self.groups):
            if g == self.index:
                if len(self.local):
                    parts.append(self.local)
            elif incoming[g] is not None and len(incoming[g]):
                rows = incoming[g]
                parts.append(rows if isinstance(rows, np.ndarray) else np.frombuffer(rows, np.int64).reshape(-1, 4))
        messages = np.concatenate(parts) if len(parts) > 1 else (parts[0] if parts else self.local)
        if not messages.flags.writeable or not messages.flags.c_contiguous:   # one array type for the
            messages = np.array(messages)             # kernel (Numba compiles read-only arrays separately)
        return self._round(messages)

    def _round(self, messages: np.ndarray) -> RoundReport:
        rows = len(messages)
        if self.round >= 1 << ROUND_BITS:
            raise NeedsPython("a batch ran more rounds than the kernel's NO-vote keys hold")
        self.out.reserve(MAX_PARTICIPANTS * rows + MAX_PARTICIPANTS)   # a step sends at most 16 messages
        out = self.out.data
        counters = self.counters
        counters[2] = 0
        kernel.run_round(messages, self.first_owned, *self.state, out, self.first_no,
                         no_key(self.batch, self.round, 0, 0), counters)
        if counters[kernel.ERROR] == kernel.OVERFLOW:
            raise NeedsPython("a balance would pass 2**63")
        if counters[kernel.ERROR] != 0:
            raise RuntimeError("the batch kernel met a state the round schedule cannot produce")
        self.log.size = int(counters[0])
        self.end_code.size = self.end_next.size = int(counters[1])
        # what was sent, in send-number order (the history) and split by recipient group (kernel.route)
        sent = int(counters[2])
        routed = self.routed[self.round & 1]
        routed.reserve(sent)
        history, at = self.no_history, 0
        if self.keep_history and sent:
            at = self.sent_rows.size
            self.sent_rows.reserve(at + sent)
            history = self.sent_rows.data
        counts, start = self.send_counts, self.dest_start
        quiet = kernel.route(out, sent, self.first_owned, self.owner, counts, start, history, at, routed.data)
        if history is not self.no_history:
            self.sent_rows.size = at + sent
        me = self.index
        self.local = routed.data[start[me]:start[me + 1]]
        remote: list[np.ndarray | None] = [None] * self.groups
        for g in range(self.groups):
            if g != me and start[g + 1] > start[g]:
                remote[g] = routed.data[start[g]:start[g + 1]]
        return RoundReport(counts.tolist(), remote, quiet == 1)

    def finish(self) -> GroupFinal:
        log = self.log.data[:self.log.size]
        rm = self.rm.data[:self.rm.size]
        slot_t = self.slot_t.data[:self.slot_t.size]
        busy_t = np.flatnonzero(self.phase)
        busy = busy_t.tolist()
        committed = sorted_unique(slot_t[rm == kernel.COMMITTED])
        unfinished = sorted_unique(np.concatenate([slot_t[rm == kernel.PREPARED], busy_t]))
        # the store of each of our shards: its agents whose balance or nonce is not 0 (an entry (0, 0)
        # is the same as none: a store maps every agent to (0, 0) until it holds something, §4.1)
        # — as arrays (agent index ascending, balance, nonce); ``BatchResult.store`` names the agents
        agents = len(self.ids)
        bal, nonce, agent_shard = self.bal.data[:agents], self.nonce.data[:agents], self.agent_shard.data[:agents]
        held = np.flatnonzero(self.mine_array[agent_shard] & ((bal != 0) | (nonce != 0)))
        held_shard = agent_shard[held]
        # each shard's records in log order: a stable sort of the log by shard (int16, as shards are
        # below 2**SHARD_BITS: NumPy sorts it by radix, in linear time), cut where the shard changes;
        # one pass for all our shards instead of one mask over the whole log per shard
        record_shard = log[:, 0].astype(np.int16)
        records = log[np.argsort(record_shard, kind="stable"), 1]
        cut = np.r_[0, np.cumsum(np.bincount(record_shard, minlength=self.owned[-1] + 1))]
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
            shards[s] = {"up": True, "log": records[cut[s]:cut[s + 1]],
                         "buffer": buffer, "coord": coord,
                         "store": tuple(column[held_shard == s] for column in (held, bal[held], nonce[held]))}
        voted_no = np.flatnonzero(self.first_no != kernel.INT64_MAX)
        return GroupFinal(shards, (voted_no, self.first_no[voted_no]), committed, unfinished,
                          self.sent_rows.data[:self.sent_rows.size], self.ids[self.genesis_size:])

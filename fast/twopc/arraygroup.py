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

from typing import Any, Mapping, Sequence

import numpy as np

from altledger.fast.twopc import kernel
from altledger.fast.twopc.batch import GroupFinal, NeedsPython, RoundReport
from altledger.fast.twopc.txtable import AgentTable
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
        self.agents = AgentTable(shard_count)
        self.bal = Growable(np.int64)
        self.nonce = Growable(np.int64)
        self.lock = Growable(np.int64, fill=-1)
        # agent_code[a]: the index of one of our agents, or -1 - shard for another block's agent (§2.2)
        self.agent_code: dict[bytes, int] = {}
        balances = [(self._learn(agent), amount) for agent, amount in genesis.items()   # §2.1: genesis
                    if amount and self.mine[int.from_bytes(agent, "big") % shard_count]]  # of our agents
        for array in (self.bal, self.nonce, self.lock):
            array.reserve(len(balances))
            array.size = len(balances)
        for a, amount in balances:
            self.bal.data[a] = amount
        self.log = Growable(np.int64, width=2)
        self.end_code = Growable(np.int64)
        self.end_next = Growable(np.int64, fill=-1)
        self.buf_head = np.full(len(owned), -1, dtype=np.int64)
        self.buf_tail = np.full(len(owned), -1, dtype=np.int64)
        self.counters = np.zeros(5, dtype=np.int64)
        self.out = Growable(np.int64, width=5)                 # reused round to round (no fresh pages)
        self.no_votes = Growable(np.int64, width=3)
        self.coordinated = 0
        self.seen: dict[tuple, int] = {}
        self.position = 0
        self.batch = -1
        self.round = 0
        self.local = np.empty((0, 4), dtype=np.int64)          # last round's messages among our shards
        self.first_no: dict[int, tuple[int, int, int, int]] = {}
        self.history: list[tuple[int, int, int, bytes]] = []

    def _learn(self, agent: bytes) -> int:
        """``agent_code`` of an agent met for the first time (its arrays grow at the end of the batch)."""
        code = self.agent_code.get(agent)
        if code is None:
            shard = int.from_bytes(agent, "big") % self.shard_count        # §2.2
            code = self.agents.intern(agent) if self.mine[shard] else -1 - shard
            self.agent_code[agent] = code
        return code

    # -- rounds ---------------------------------------------------------------------------------

    def start_batch(self, b: int) -> RoundReport:
        """Round 1 of batch ``b``: turn the batch into arrays (what ``ShardGroup.start_batch`` computes),
        then every owned coordinator takes its submissions in the order given (§13.3)."""
        self.batch, self.round = b, 1
        mine, seen, agent_code, own_shard = self.mine, self.seen, self.agent_code.get, self.agents.shard
        learn, debit_kind = self._learn, LegKind.DEBIT
        positions, coordinators, first_slots, slot_counts = [], [], [], []
        slot_shards, slot_ts, slot_leg_counts, own_legs = [], [], [], []
        coordinated, part_counts, flat_parts = [], [], []
        submissions: list[tuple[int, int, int]] = []           # (coordinator, order, t)
        slot_base, leg_base = self.slot_shard.size, self.leg_agent.size
        for p, tx in enumerate(self.batches[b], start=self.position):
            legs = tx.legs
            codes = [agent_code(leg.agent) for leg in legs]    # our agent: its index; others: -1 - shard
            if None in codes:
                codes = [learn(leg.agent) for leg in legs]
            for code in codes:
                if code >= 0:
                    break
            else:
                continue                                       # none of its shards is ours
            coordinator = -1
            ours: dict[int, list] = {}
            for leg, code in zip(legs, codes):                 # canonical order (§3.1)
                if coordinator < 0 and leg.kind is debit_kind:  # §3.4: shard of the first debit leg
                    coordinator = own_shard[code] if code >= 0 else -1 - code
                if code >= 0:
                    entry = (code, leg.kind is debit_kind, leg.amount, leg.nonce)
                    here = ours.get(own_shard[code])
                    if here is None:
                        ours[own_shard[code]] = [entry]
                    else:
                        here.append(entry)
            positions.append(p)
            coordinators.append(coordinator)
            first_slots.append(slot_base + len(slot_shards))
            slot_counts.append(len(ours))
            for s, here in ours.items():                       # one slot per (p, our shard), legs contiguous
                slot_shards.append(s)
                slot_ts.append(p)
                slot_leg_counts.append(len(here))
                own_legs += here
            if mine[coordinator]:
                shards = [own_shard[code] if code >= 0 else -1 - code for code in codes]
                key = (tx.user_data, tuple([(leg.agent, leg.kind, leg.amount, leg.nonce) for leg in legs]))
                t = seen.setdefault(key, p)                    # the first occurrence names it (§3.2)
                if t == p:
                    participants = sorted(set(shards))         # §3.3
                    coordinated.append(t)
                    part_counts.append(len(participants))
                    flat_parts.extend(participants)
                submissions.append((coordinator, len(submissions), t))
        self.position += len(self.batches[b])
        try:                                                   # values beyond int64 raise OverflowError
            columns = np.array(own_legs, dtype=np.int64).reshape(-1, 4)
        except OverflowError:
            raise NeedsPython("an amount or a nonce does not fit in int64") from None
        amounts, nonces = columns[:, 2], columns[:, 3]
        if len(amounts) and (amounts.max() >= AMOUNT_LIMIT or nonces.max() >= NONCE_LIMIT):
            raise NeedsPython("an amount is 2**60 or more, or a nonce 2**62 or more")
        agents = len(self.agents.ids)
        for array in (self.bal, self.nonce, self.lock):        # agents met for the first time
            array.reserve(agents)
            array.size = agents
        if positions:
            self.coord_of[positions] = coordinators
            self.slot_first[positions] = first_slots
            self.slot_count[positions] = slot_counts
        if coordinated:
            self.nparts[coordinated] = part_counts
            self.part_first[coordinated] = np.cumsum([0] + part_counts[:-1]) + self.parts.extend(flat_parts)
        self.coordinated += len(coordinated)
        leg_firsts = np.cumsum([0] + slot_leg_counts[:-1], dtype=np.int64) + leg_base if slot_leg_counts else []
        self.slot_shard.extend(slot_shards)
        self.slot_t.extend(slot_ts)
        self.rm.extend(np.zeros(len(slot_shards), dtype=np.int8))
        self.leg_first.extend(leg_firsts)
        self.leg_count.extend(slot_leg_counts)
        self.leg_agent.extend(columns[:, 0])
        self.leg_debit.extend(columns[:, 1].astype(np.bool_))
        self.leg_amount.extend(amounts)
        self.leg_nonce.extend(nonces)
        # every slot writes at most two records, every coordinated transaction two (§5.1)
        self.log.reserve(2 * self.slot_shard.size + 2 * self.coordinated)
        self.end_code.reserve(self.coordinated)
        self.end_next.reserve(self.coordinated)
        submissions.sort()                                     # by coordinator, then in the order given
        messages = np.array([(c, -1, t, 0) for c, _, t in submissions], dtype=np.int64).reshape(-1, 4)
        return self._round(messages)

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
        ids = self.agents.ids
        bal, nonce = self.bal.data.tolist(), self.nonce.data.tolist()
        stores: dict[int, dict[bytes, tuple[int, int]]] = {s: {} for s in self.owned}
        for a, agent in enumerate(ids):
            stores[self.agents.shard[a]][agent] = (bal[a], nonce[a])
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

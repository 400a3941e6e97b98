"""Batch mode: the round schedule of spec/two_phase_commit.md §13.3 over groups of shards.

The input is a fresh cluster (``shard_count``, ``genesis``) and a list of
batches of transactions; each batch runs to completion under the round
schedule before the next starts — exactly what calling the reference's
``run_round_schedule(cluster, batch)`` once per batch does.

**Why shards can run side by side.**  In round ``r`` each shard takes only
messages sent in round ``r − 1``, so no shard's step in round ``r`` depends on
another shard's step of the same round (§13.3).  The shards are split into
contiguous blocks, one :class:`ShardGroup` per block; a group runs its shards'
steps of one round, in ascending shard order, with the same
:class:`~altledger.fast.twopc.shard.FastShard` rules the cluster uses (never a
different rule for batch mode).  Between rounds the groups exchange the
messages addressed to each other's shards.

**Why the results are those of the sequential order.**  The sequential
schedule lets shard ``0 … K−1`` take, each in ascending send number, the
messages of the previous round; a message's send number is its position in
the sequence "round by round; within a round, shard by shard in ascending
order; within a shard, in the order its steps sent".  So the order in which a
shard takes its messages is: by sender shard, then by the sender's own send
order.  Blocks are contiguous, so for a recipient in block ``g`` that order is
"messages from lower blocks, then from its own block, then from higher
blocks", each already in (sender, send order) order — which is how
:meth:`ShardGroup.run_round` fills each inbox.  The send numbers are assigned
afterwards from each shard's per-round send count (:class:`BatchResult`), as
if the shards had run one after another.

**Transaction identity.**  A transaction is named by the position of its first
occurrence in the flattened input (batch by batch).  Its coordinator's group
finds it from the content (``user_data`` and the legs' fields determine the
encoding and so the txid, §3.2) and names it so in every message; no txid is
computed on the hot path.

Groups run in-process, called in turn (:func:`run_batches` with ``workers=None``;
tests), or side by side (``altledger.fast.twopc.workers``): group 0 in the
calling process and each other group in a worker process forked for the run;
``workers=1`` runs the one group through the same code path as ``2``, without
forking.

**Two engines, one contract.**  :class:`ShardGroup` (here) steps
:class:`~altledger.fast.twopc.shard.FastShard` s — the rule book the stateful
cross-check compares with the reference after every operation.
``arraygroup.ArrayShardGroup`` runs the same rules compiled
(``kernel``) on arrays.  Both take and give the same packed messages and
final state, so the choice changes no result (the batch tests run both
against the reference), only the time.
"""

from __future__ import annotations

import gc
from array import array
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from altledger.fast.twopc.codes import COMMITTED, PREPARED, REASON_BITS, no_key
from altledger.fast.twopc.phases import GroupPhases
from altledger.fast.twopc.shard import FastShard
from altledger.fast.twopc.txtable import AgentTable, TxTable
from altledger.reference.encoding import CrossAgentTx, LegKind, shard_index
from altledger.reference.twopc.cluster import check_cluster_parameters


def blocks(shard_count: int, groups: int) -> list[range]:
    """``groups`` contiguous, nearly equal blocks of shards ``0 … K−1``."""
    if type(groups) is not int or not 1 <= groups <= shard_count:
        raise ValueError(f"the number of shard groups must be an int in 1..{shard_count} (one per worker), "
                         f"got {groups!r}")
    return [range(g * shard_count // groups, (g + 1) * shard_count // groups) for g in range(groups)]


def owners(owned: Sequence[range]) -> list[int]:
    """Each shard's group, for the blocks ``owned`` (``blocks``)."""
    return [g for g, block in enumerate(owned) for _ in block]


def pack(messages: Sequence[tuple[int, int, int, int]]) -> bytes:
    """Messages ``(recipient, code, t, shard_field)`` as raw int64s (the form they cross processes in)."""
    return array("q", chain.from_iterable(messages)).tobytes()


def unpack(data: Any) -> list[int]:
    """Packed int64s (bytes, or any contiguous buffer such as an int64 array) as a list."""
    values = array("q")
    values.frombytes(memoryview(data).cast("B"))
    return values.tolist()


@dataclass
class RoundReport:
    """What a group did in one round: sends per owned shard, and the messages for every other group."""

    counts: list[int]
    remote: list[bytes | None]
    quiet: bool = False      # every message sent is an ACK or an ABORT: whoever takes them sends nothing


@dataclass
class GroupFinal:
    """A group's state after the last batch (compact; turned into reference terms by ``compare``)."""

    shards: dict[int, dict[str, Any]]
    first_no: tuple[np.ndarray, np.ndarray]                  # (t, codes.no_key of the first NO vote cast
    #                                                          for t here), arrays: pickled as buffers
    committed: np.ndarray                                    # t some owned participant committed, ascending
    unfinished: np.ndarray                                   # t with an owned coordinator busy or participant
    #                                                          prepared, ascending
    sent: Any                                                # packed rows of every message sent, bytes-like,
    #                                                          by (batch, round, shard, send order); b"" when
    #                                                          the history is not kept
    fresh_agents: list[bytes] = field(default_factory=list)  # agents not in genesis, in run-wide index order
    #                                                          (a "store" given as arrays indexes genesis
    #                                                          order, then these)


class ShardGroup:
    """The shards of one block and their steps (see the module docstring)."""

    def __init__(self, shard_count: int, owned: range, owner: Sequence[int], genesis: Mapping[bytes, int],
                 batches: Sequence[Sequence[CrossAgentTx]], keep_history: bool = True) -> None:
        self.index = owner[owned[0]]
        self.groups = max(owner) + 1
        self.owned = owned
        self.owner = list(owner)
        self.mine = [g == self.index for g in owner]
        self.agents = AgentTable(shard_count)
        self.table = TxTable(self.agents)
        self.shards = {s: FastShard(s, self.table) for s in owned}
        for agent, amount in genesis.items():                 # §2.1: genesis balances of our agents
            if amount and self.mine[shard_index(agent, shard_count)]:
                a = self.agents.intern(agent)
                self.shards[self.agents.shard[a]].bal[a] = amount
        self.batches = batches
        self.keep_history = keep_history
        self.position = 0                                      # flattened input position of the next tx
        self.seen: dict[tuple, int] = {}                       # (user_data, leg fields) -> first position
        self.agent_shard: dict[bytes, int] = {}                # AgentId -> shard, as met
        self.sent: list[list] = []                             # last round's out lists of our shards
        # handlers[s][code]: shard s's rule for a message of that code (None: not our shard)
        self.handlers = [self.shards[s].handlers if self.mine[s] else None for s in range(shard_count)]
        self.batch = -1
        self.round = 0
        self.first_no: dict[int, tuple[int, int, int, int]] = {}
        self.packed_sends: list[bytes] = []                     # every send packed, round by round, shard by shard

    # -- rounds -------------------------------------------------------------------------

    def start_batch(self, b: int) -> RoundReport:
        """Round 1 of batch ``b``: each owned coordinator takes its submissions in the order given (§13.3).

        What a group needs of a transaction depends on its role.  Where one of
        our shards holds legs of it: those legs (§3.3) and its coordinator
        (§3.4), to vote and to answer.  Where our shard coordinates it, also its
        participants (§3.3) and its identity: the position of its first
        occurrence, found by content (``user_data`` and every leg's agent,
        kind, amount and nonce determine the encoding, hence the txid, §3.2).
        A participant never needs to recognise a re-submission itself: the
        coordinator names the transaction in every message by that first
        position, and the legs are stored under every position the transaction
        occurs at.  So a group reads other groups' legs only for their shard
        (and the first debit), and makes the content key only for what it
        coordinates.
        """
        self.batch, self.round = b, 1
        submissions: dict[int, list[int]] = {s: [] for s in self.owned}
        table, seen, mine, agent_shard = self.table, self.seen, self.mine, self.agent_shard
        intern, shard_count = self.agents.intern, len(mine)
        shard_legs = [shard.legs if shard is not None else None
                      for shard in (self.shards.get(s) for s in range(shard_count))]
        participants, coordinators = table.participants, table.coordinator
        debit_kind = LegKind.DEBIT
        position = self.position
        table.reserve(position + len(self.batches[b]))
        for tx in self.batches[b]:
            p = position
            position += 1
            legs = tx.legs
            shards = []
            relevant = False
            for leg in legs:                                   # shard(a) = int_be(AgentId) mod K (§2.2)
                s = agent_shard.get(leg.agent)
                if s is None:
                    s = agent_shard[leg.agent] = shard_index(leg.agent, shard_count)
                shards.append(s)
                if mine[s]:
                    relevant = True
            if not relevant:
                continue                                       # none of its shards is ours
            coordinator = -1
            for leg, s in zip(legs, shards):                   # canonical order (§3.1)
                if coordinator < 0 and leg.kind is debit_kind:
                    coordinator = s                            # §3.4: shard of the first debit leg
                if mine[s]:                                    # our legs (§3.3), by agent index
                    entry = (intern(leg.agent), leg.kind is debit_kind, leg.amount, leg.nonce)
                    here = shard_legs[s]
                    known = here.get(p)
                    here[p] = (entry,) if known is None else known + (entry,)
            coordinators[p] = coordinator
            if mine[coordinator]:
                key = (tx.user_data, tuple([(leg.agent, leg.kind, leg.amount, leg.nonce) for leg in legs]))
                t = seen.setdefault(key, p)                    # the first occurrence names it (§3.2)
                if t == p:
                    table.txs[t] = tx
                    participants[t] = tuple(sorted(set(shards)))      # §3.3, ascending
                submissions[coordinator].append(t)
        self.position = position
        for s in self.owned:
            submit = self.shards[s].submit
            for t in submissions[s]:
                submit(t)
        return self._end_round()

    def run_round(self, incoming: Sequence[bytes | None]) -> RoundReport:
        """Round ``r > 1``: every owned shard takes last round's messages to it, in send-number order.

        Messages are taken in send-number order over *all* recipients (lower blocks' messages, then
        our own shards', then higher blocks'); each recipient therefore sees its own messages in
        ascending send number, and since a shard's steps depend only on its own inputs, every shard
        sends exactly what it would if the shards had run one after another.
        """
        self.round += 1
        handlers = self.handlers
        for g in range(self.groups):
            if g == self.index:
                for out in self.sent:
                    for recipient, code, t, shard_field in out:
                        rules = handlers[recipient]
                        if rules is not None:                  # None: another block's shard
                            rules[code](t, shard_field)
            elif incoming[g]:
                values = iter(unpack(incoming[g]))
                for recipient, code, t, shard_field in zip(values, values, values, values):
                    handlers[recipient][code](t, shard_field)
        return self._end_round()

    def _end_round(self) -> RoundReport:
        """Collect what each owned shard sent (kept for the next round; other blocks' share packed),
        note the NO votes, and report the send counts."""
        counts = []
        sent = []
        remote: list[list] = [[] for _ in range(self.groups)]
        owner, me, several = self.owner, self.index, self.groups > 1
        b, r = self.batch, self.round
        for s in self.owned:
            shard = self.shards[s]
            out = shard.out
            counts.append(len(out))
            if out:
                shard.out = []
                sent.append(out)
                if self.keep_history:
                    self.packed_sends.append(pack(out))
                if several:
                    for message in out:
                        g = owner[message[0]]
                        if g != me:
                            remote[g].append(message)
            if shard.votes:
                for t, reason in shard.votes:                  # the first NO vote cast for t (reports)
                    if reason and t not in self.first_no:
                        self.first_no[t] = (b, r, s, reason)
                shard.votes = []
        self.sent = sent
        return RoundReport(counts, [pack(m) if m else None for m in remote])

    def finish(self) -> GroupFinal:
        committed, unfinished = set(), set()
        shards = {}
        for s, shard in self.shards.items():
            for t, state in shard.rm.items():
                if state == COMMITTED:
                    committed.add(t)
                elif state == PREPARED:
                    unfinished.add(t)
            unfinished.update(shard.coord)
            ids = self.agents.ids
            store = {ids[a]: (shard.bal.get(a, 0), shard.nonce.get(a, 0))
                     for a in set(shard.bal) | set(shard.nonce)}
            shards[s] = {"up": shard.up, "log": array("q", shard.log).tobytes(),
                         "buffer": list(shard.buffer), "store": store,
                         "coord": {t: (e[0], sorted(e[2])) for t, e in shard.coord.items()}}
        first_no = (np.array(list(self.first_no), dtype=np.int64),
                    np.array([no_key(*key) for key in self.first_no.values()], dtype=np.int64))
        return GroupFinal(shards, first_no, np.array(sorted(committed), dtype=np.int64),
                          np.array(sorted(unfinished), dtype=np.int64),
                          b"".join(self.packed_sends))             # in (batch, round, shard, send order) order


# -- the result -----------------------------------------------------------------------------

@dataclass
class BatchResult:
    """Everything a batch run produced, in compact form (``compare`` turns it into reference terms).

    ``t`` is the flattened input position of a transaction's first occurrence;
    ``committed``, ``unfinished`` and ``no_t`` are ascending arrays of such
    ``t``, and ``no_reason[i]`` is the reason of the first NO vote cast for
    ``no_t[i]``.  ``round_counts[b][r − 1][s]`` is how many messages shard
    ``s`` sent in round ``r`` of batch ``b``; send numbers follow from them
    (§13.3).  ``sent[g]``: the messages group ``g`` (shards ``blocks[g]``)
    sent, packed rows in (batch, round, shard, send order) order — the
    counts say where each shard's rows of each round are, so
    :meth:`messages` numbers them all without any sort.
    """

    shard_count: int
    genesis: dict[bytes, int]
    batches: list[list[CrossAgentTx]]
    shards: list[dict[str, Any]]
    blocks: list[range]
    agent_ids: list[bytes] = field(default_factory=list)    # run-wide agent index -> AgentId (array stores)
    no_t: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    no_reason: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    committed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    unfinished: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    round_counts: list[list[list[int]]] = field(default_factory=list)
    sent: list[Any] = field(default_factory=list)
    workers: int | None = None
    engine: str = ""
    worker_cpu: list[float] = field(default_factory=list)   # CPU seconds of each group's run (group 0:
    #                                                         this process's, while it ran the group)
    phases: list[GroupPhases] = field(default_factory=list)  # where each group's time went (workers only)
    merged_at: float = 0.0                                    # seconds from the run's start to this result

    @property
    def next_send_number(self) -> int:
        return 1 + sum(sum(counts) for rounds in self.round_counts for counts in rounds)

    @property
    def first_no(self) -> dict[int, int]:
        """``t`` → the reason of the first NO vote cast for it (a dict built from ``no_t``/``no_reason``)."""
        return dict(zip(self.no_t.tolist(), self.no_reason.tolist()))

    def log(self, s: int) -> list[int]:
        return unpack(self.shards[s]["log"])

    def store(self, s: int) -> dict[bytes, tuple[int, int]]:
        """Shard ``s``'s store (§4.1): AgentId → (balance, nonce), entries other than (0, 0).  A group
        gives it as a dict (Python engine) or as arrays (agent index, balance, nonce) named here."""
        store = self.shards[s]["store"]
        if isinstance(store, dict):
            return store
        ids = self.agent_ids
        agents, balances, nonces = (column.tolist() for column in store)
        return {ids[a]: (balance, nonce) for a, balance, nonce in zip(agents, balances, nonces)}

    def messages(self) -> np.ndarray:
        """Every sent message as ``(n, from, to, code, t, shard_field)``, numbered as in §13.3.

        Send numbers run round by round, shard by shard, each shard's rows in the order it sent;
        each group's rows are already in that order for its own shards, so the rows of round ``i``
        are, group by group (blocks ascend), the next ``sum(counts of its shards)`` rows of it.
        """
        total = self.next_send_number - 1
        streams = [np.frombuffer(rows, dtype=np.int64).reshape(-1, 4) for rows in self.sent]
        if sum(len(rows) for rows in streams) != total:
            raise AssertionError(f"the message history holds {sum(len(rows) for rows in streams)} messages but "
                                 f"the send counts say {total} (history not kept?)")
        counts = np.array([counts for rounds in self.round_counts for counts in rounds],
                          dtype=np.int64).reshape(-1, self.shard_count)
        out = np.empty((total, 6), dtype=np.int64)
        out[:, 0] = np.arange(1, total + 1)
        out[:, 1] = np.repeat(np.tile(np.arange(self.shard_count), len(counts)), counts.ravel())
        # where each group's chunk of each round starts in the numbered order, and in its own stream
        per_group = np.stack([counts[:, block.start:block.stop].sum(axis=1) for block in self.blocks], axis=1)
        starts = np.cumsum(np.r_[0, per_group.ravel()])[:-1].reshape(per_group.shape)
        for g, rows in enumerate(streams):
            own = np.cumsum(np.r_[0, per_group[:, g]])
            index = np.repeat(starts[:, g] - own[:-1], per_group[:, g]) + np.arange(len(rows))
            out[index, 2:] = rows
        return out


def merge(shard_count: int, genesis: Mapping[bytes, int], batches: list[list[CrossAgentTx]],
          finals: Sequence[GroupFinal], round_counts: list[list[list[int]]], workers: int | None) -> BatchResult:
    """Combine the groups' final states into one :class:`BatchResult`."""
    shards: list[dict[str, Any]] = [{} for _ in range(shard_count)]
    result = BatchResult(shard_count, dict(genesis), batches, shards, blocks(shard_count, len(finals)),
                         workers=workers, round_counts=round_counts)
    for final in finals:
        for s, state in final.shards.items():
            shards[s] = state
    result.agent_ids = [*genesis, *finals[0].fresh_agents]
    result.sent = [final.sent for final in finals] if any(len(final.sent) for final in finals) else []
    # per input position t (each group lists a t at most once): the least no_key over the groups is the
    # first NO vote cast for t, i.e. the earliest (batch, round, shard); committed/unfinished: any group
    n = sum(len(batch) for batch in batches)
    first_key = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    committed, unfinished = np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.bool_)
    for final in finals:
        ts, keys = final.first_no
        first_key[ts] = np.minimum(first_key[ts], keys)
        committed[final.committed] = True
        unfinished[final.unfinished] = True
    result.no_t = np.flatnonzero(first_key != np.iinfo(np.int64).max)
    result.no_reason = first_key[result.no_t] & (1 << REASON_BITS) - 1
    result.committed, result.unfinished = np.flatnonzero(committed), np.flatnonzero(unfinished)
    return result


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` by sorting (NumPy 2's hash-based ``unique`` is several times slower here)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def as_list(batch: Iterable[Any]) -> list[Any]:
    """A batch as a list of its values (one in wire form decoded: ``wire.EncodedBatch.decoded``)."""
    if type(batch) is list:
        return batch
    from altledger.fast.twopc.wire import EncodedBatch
    return batch.decoded() if type(batch) is EncodedBatch else list(batch)


def is_wire(batches: Sequence[Any]) -> bool:
    """Whether every batch is in wire form (``wire.is_wire``; without importing Numba otherwise)."""
    if not any(type(batch).__name__ == "EncodedBatch" for batch in batches):
        return False
    from altledger.fast.twopc.wire import is_wire as all_wire
    return all_wire(batches)


class NotATransaction(ValueError):
    """A batch holds something other than a ``CrossAgentTx``."""


def check_transactions(values: Iterable[Any]) -> None:
    """Refuse anything but ``CrossAgentTx`` values (in batches, or flat), naming the first other type."""
    for value in values:
        if isinstance(value, list):
            check_transactions(value)
        elif not isinstance(value, CrossAgentTx):
            raise NotATransaction(f"a batch holds CrossAgentTx values, got {type(value).__name__}")


class NeedsPython(Exception):
    """The run's values do not fit the Numba engine's int64 arrays (``arraygroup``); use the Python engine."""


ENGINES = ("auto", "numba", "python")


def group_class(engine: str) -> type:
    """The shard-group class of an engine: ``python`` = :class:`ShardGroup` (FastShard's methods),
    ``numba`` = ``arraygroup.ArrayShardGroup`` (the same rules compiled, ``kernel``)."""
    if engine == "python":
        return ShardGroup
    if engine == "numba":
        from altledger.fast.twopc.arraygroup import ArrayShardGroup
        return ArrayShardGroup
    raise ValueError(f"unknown batch engine {engine!r}; expected numba or python")


class InProcessGroup:
    """A shard group called directly (tests; no process boundary, same packed messages)."""

    def __init__(self, *args: Any, engine: str = "python") -> None:
        self.group = group_class(engine)(*args)
        self._reply: Any = None

    def post(self, command: str, payload: Any = None) -> None:
        if command == "batch":
            self._reply = self.group.start_batch(payload)
        elif command == "round":
            self._reply = self.group.run_round(payload)
        elif command == "finish":
            self._reply = self.group.finish()
        else:
            raise ValueError(command)

    def collect(self) -> Any:
        return self._reply

    def close(self) -> None:
        pass


def drive(groups: Sequence[Any], batch_indices: Iterable[int]) -> list[list[list[int]]]:
    """The in-process loop: start each batch, forward messages between groups round by round (§13.3).

    A batch ends after a round in which no shard sent anything.  Returns the
    per-round, per-shard send counts.  (Worker processes run the same loop
    themselves, exchanging with each other: ``workers.schedule``.)
    """
    round_counts: list[list[list[int]]] = []
    for b in batch_indices:
        for group in groups:
            group.post("batch", b)
        reports = [group.collect() for group in groups]
        rounds = []
        while True:
            counts = [n for report in reports for n in report.counts]   # blocks are in shard order
            rounds.append(counts)
            if not any(counts):
                break
            for v, group in enumerate(groups):
                group.post("round", [report.remote[v] for report in reports])
            reports = [group.collect() for group in groups]
        rounds.pop()                                                    # the empty last round
        round_counts.append(rounds)
    return round_counts


def run_batches(shard_count: int, genesis: Mapping[bytes, int], batches: Sequence[Sequence[CrossAgentTx]],
                workers: int | None = None, groups: int = 1, keep_history: bool = True,
                engine: str = "auto", pool: Any = None) -> BatchResult:
    """Run ``batches`` one after another under the round schedule (§13.3) from a fresh cluster.

    ``workers=None``: no processes; ``groups`` shard groups in this process,
    called in turn (``groups > 1`` exercises the exchange between groups).
    ``workers=n``: ``n`` groups side by side, each owning a fixed contiguous
    block of shards for the whole run — group 0 in this process, the others in
    ``n − 1`` forked worker processes (``groups`` is ignored).
    ``keep_history=False`` skips recording every sent message (then only the
    send counts, hence the send numbers, are known).  ``engine``: ``numba``
    (the compiled kernel; refuses values beyond its int64 range), ``python``
    (FastShard's methods, no limits) or ``auto`` (numba, or python when the
    values do not fit); ``result.engine`` says which ran.  ``pool``: a ``pool.BatchPool`` whose
    persistent workers run the groups instead of workers forked for this run (``workers``: its
    size, or omitted); the Python engine, and the rerun when values do not fit the kernel, still
    run with forked workers.  Every way gives the same result.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown batch engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if pool is not None:
        if workers not in (None, pool.workers):
            raise ValueError(f"workers={workers} with a pool of {pool.workers}: give one or the other")
        workers = pool.workers
    # the caller's lists as they are (copying them would make new containers of every transaction,
    # which the garbage collector's next young-generation pass would walk: milliseconds per run);
    # batches in wire form as they are when all are (the numba engine reads their bytes), else decoded
    if not is_wire(batches):
        batches = [batch if type(batch) is list else as_list(batch) for batch in batches]
    check_cluster_parameters(shard_count, genesis)                       # refuse bad counts before forking
    blocks(shard_count, workers if workers is not None else groups)
    chosen = "python" if engine == "python" else "numba"
    if chosen == "python":
        batches = [as_list(batch) for batch in batches]
        check_transactions(batches)      # (the numba engine checks while reading, in the workers)
    with gc_paused():
        try:
            if pool is not None and chosen == "numba":
                if not is_wire(batches):
                    check_transactions(batches)          # (the pool encodes them for its workers)
                result = pool.run(shard_count, genesis, batches, keep_history)
                result.engine = chosen
                return result
            return _run(shard_count, genesis, batches, workers, groups, keep_history, chosen)
        except NeedsPython as reason:
            if engine == "numba":
                raise ValueError(f"the numba batch engine cannot run this input: {reason}") from None
            batches = [as_list(batch) for batch in batches]
            check_transactions(batches)
            return _run(shard_count, genesis, batches, workers, groups, keep_history, "python")


def _run(shard_count: int, genesis: Mapping[bytes, int], batches: list[list[CrossAgentTx]], workers: int | None,
         groups: int, keep_history: bool, engine: str) -> BatchResult:
    if workers is None:
        result = run_in_process(shard_count, genesis, batches, groups, keep_history, engine)
    else:
        from altledger.fast.twopc.workers import run_in_workers
        result = run_in_workers(shard_count, genesis, batches, workers, keep_history, engine)
    result.engine = engine
    return result


@contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector for a batch run (restored afterwards).

    A run allocates millions of small tuples, lists and dicts that live until
    it ends; each collection would re-scan them all, which costs about a fifth
    of a run.  Nothing here forms reference cycles that must be collected
    during the run (reference counting frees everything else), so pausing it
    changes no result, only the time.  Workers pause it for their lifetime.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_in_process(shard_count: int, genesis: Mapping[bytes, int], batches: list[list[CrossAgentTx]],
                   groups: int = 1, keep_history: bool = True, engine: str = "python") -> BatchResult:
    """All groups in this process, called in turn (the exchange between groups still happens)."""
    owned = blocks(shard_count, groups)
    owner = owners(owned)
    members = [InProcessGroup(shard_count, block, owner, genesis, batches, keep_history, engine=engine)
               for block in owned]
    round_counts = drive(members, range(len(batches)))
    for member in members:
        member.post("finish")
    return merge(shard_count, genesis, batches, [m.collect() for m in members], round_counts, None)

"""Reference vs fast batch results in one comparable form (tests and ``altledger bench twopc``).

The reference's result of a batch run is a ``Cluster`` after calling
``run_round_schedule`` once per batch, plus what each operation did
(``Applied``); the fast one is a :class:`~altledger.fast.twopc.batch.BatchResult`.
:func:`reference_comparable` and :func:`fast_comparable` bring both to a
:class:`Comparable`: per part (outcomes, store, logs, buffers, coordinator
tables, every sent message with its send number, the order transactions were
registered in), a SHA-256 of a canonical serialization in which transactions
are named by the position of their first occurrence in the input.  Equal
digests, part by part, mean equal results; a differing part is named.

:func:`batch_snapshot` gives the full ``altledger-2pc-snapshot/1`` of a fast
batch result (for byte-for-byte comparison with the reference's
``snapshot_json`` on small runs).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from altledger.fast.twopc.batch import BatchResult
from altledger.fast.twopc.codes import (COLLECTING, COMMITTING, KIND_BITS, KIND_MASK, REC_ABORT, REC_COMMIT,
                                        REC_DECISION, REC_END, REC_PREPARED, message_code)
from altledger.fast.twopc.shard import FastShard
from altledger.fast.twopc.snapshot import JsonForms, shard_json
from altledger.fast.twopc.txtable import AgentTable, TxTable
from altledger.reference.encoding import (CommitDecisionRecord, CrossAgentTx, EndRecord, Outcome, OutcomeRecord,
                                          PreparedRecord, VoteValue)
from altledger.reference.twopc import Cluster, run_round_schedule
from altledger.reference.twopc.invariants import rm_states
from altledger.reference.twopc.log import RmState
from altledger.reference.twopc.snapshot import SNAPSHOT_FORMAT
from altledger.reference.twopc.state import Phase
from altledger.reference.twopc.txfacts import coordinator_of, txid_of

STATUS = {"committed": 0, "aborted": 1, "in progress": 2}


@dataclass
class Comparable:
    """Digests of each part of a batch run's result (see the module docstring)."""

    parts: dict[str, str]
    next_send_number: int
    committed: int
    aborted: int
    messages: int

    def differences(self, other: "Comparable") -> list[str]:
        out = [name for name in self.parts if self.parts[name] != other.parts.get(name)]
        if self.next_send_number != other.next_send_number:
            out.append(f"next_send_number ({self.next_send_number} vs {other.next_send_number})")
        return out

    def as_json(self) -> dict[str, Any]:
        return {"parts": dict(self.parts), "next_send_number": self.next_send_number,
                "committed": self.committed, "aborted": self.aborted, "messages": self.messages}


def first_positions(batches: Sequence[Sequence[CrossAgentTx]]) -> dict[bytes, int]:
    """txid -> position of its first occurrence in the flattened input (the name both sides use)."""
    out: dict[bytes, int] = {}
    position = 0
    for batch in batches:
        for tx in batch:
            out.setdefault(txid_of(tx), position)
            position += 1
    return out


def _sha(*chunks: bytes) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


def _int_rows(rows: Iterable[Sequence[int]], width: int) -> bytes:
    return np.asarray(list(rows), dtype=np.int64).reshape(-1, width).tobytes()


def _store_bytes(store: Iterable[tuple[bytes, int, int]]) -> bytes:
    return b"".join(a + b.to_bytes(16, "big") + n.to_bytes(8, "big") for a, b, n in sorted(store) if b or n)


def _parts(outcomes: list[tuple[int, int, int]], store: list[tuple[bytes, int, int]],
           logs: list[list[tuple[int, int]]], buffers: list[list[tuple[int, int]]],
           coord: list[tuple[int, int, int, tuple[int, ...]]], up: list[bool], messages: bytes,
           registered: list[int]) -> dict[str, str]:
    return {
        "outcomes": _sha(_int_rows(outcomes, 3)),
        "store": _sha(_store_bytes(store)),
        "logs": _sha(*(_int_rows([(s, *r) for r in log], 3) for s, log in enumerate(logs))),
        "buffers": _sha(*(_int_rows([(s, *r) for r in buf], 3) for s, buf in enumerate(buffers))),
        "coord": _sha(repr(sorted(coord)).encode()),
        "up": _sha(bytes(up)),
        "messages": _sha(messages),
        "transactions": _sha(_int_rows([(t,) for t in registered], 1)),
    }


# -- the reference side ---------------------------------------------------------------------------

@dataclass
class ReferenceRun:
    """A reference batch run: the cluster, its comparable result, and the seconds spent in the schedule."""

    cluster: Cluster
    comparable: Comparable
    seconds: float
    cpu_seconds: float = 0.0
    applied: list = field(default_factory=list)


_RECORD_KIND = {PreparedRecord: REC_PREPARED, CommitDecisionRecord: REC_DECISION, EndRecord: REC_END}


def _record_row(record: Any, positions: Mapping[bytes, int]) -> tuple[int, int]:
    if isinstance(record, OutcomeRecord):
        return (REC_COMMIT if record.outcome is Outcome.COMMIT else REC_ABORT), positions[record.txid]
    if isinstance(record, PreparedRecord):
        return REC_PREPARED, positions[txid_of(record.tx)]
    return _RECORD_KIND[type(record)], positions[record.txid]


def run_reference(shard_count: int, genesis: Mapping[bytes, int], batches: Sequence[Sequence[CrossAgentTx]],
                  keep_applied: bool = False) -> ReferenceRun:
    """``Cluster(K, genesis)`` then ``run_round_schedule(cluster, batch)`` per batch (the timed part),
    folding each batch's ``Applied`` list into message rows and first NO votes between batches."""
    positions = first_positions(batches)
    seconds = cpu = 0.0
    start, cpu_start = time.perf_counter(), time.process_time()
    cluster = Cluster(shard_count, genesis)
    seconds += time.perf_counter() - start
    cpu += time.process_time() - cpu_start
    rows: list[tuple[int, ...]] = []
    first_no: dict[bytes, int] = {}
    kept = []
    for batch in batches:
        start, cpu_start = time.perf_counter(), time.process_time()
        applied = run_round_schedule(cluster, batch)
        seconds += time.perf_counter() - start
        cpu += time.process_time() - cpu_start
        for item in applied:
            if item.result is not None:
                for vote in item.result.votes:
                    if vote.vote is VoteValue.NO:
                        first_no.setdefault(vote.txid, int(vote.reason))
            for n, envelope in item.added:
                code, shard_field = message_code(envelope.message)
                txid = txid_of(envelope.message.tx) if code == 0 else envelope.message.txid
                rows.append((n, envelope.sender, envelope.recipient, code, positions[txid], shard_field))
        if keep_applied:
            kept.append(applied)
        del applied
    return ReferenceRun(cluster, reference_comparable(cluster, positions, first_no, rows), seconds, cpu, kept)


def reference_comparable(cluster: Cluster, positions: Mapping[bytes, int], first_no: Mapping[bytes, int],
                         rows: list[tuple[int, ...]]) -> Comparable:
    outcomes = []
    counts = {0: 0, 1: 0, 2: 0}
    for txid, t in sorted(positions.items(), key=lambda item: item[1]):
        tx = cluster.transactions[txid]
        states = rm_states(cluster, tx).values()
        coordinator = cluster.shards[coordinator_of(tx, cluster.shard_count)]
        if RmState.COMMITTED in states:
            status, reason = STATUS["committed"], -1
        else:
            busy = coordinator.phase(txid) is not Phase.IDLE or RmState.PREPARED in states
            status, reason = STATUS["in progress" if busy else "aborted"], first_no.get(txid, -1)
        counts[status] += 1
        outcomes.append((t, status, reason))
    store = [(a, shard.balance(a), shard.nonce(a)) for shard in cluster.shards
             for a in set(shard.balances) | set(shard.nonces)]
    logs = [[_record_row(r, positions) for r in shard.log] for shard in cluster.shards]
    buffers = [[_record_row(r, positions) for r in shard.buffer] for shard in cluster.shards]
    coord = [(s.shard, positions[txid], 1 if e.phase is Phase.COLLECTING else 2,
              tuple(sorted(e.yes if e.phase is Phase.COLLECTING else e.acks)))
             for s in cluster.shards for txid, e in s.coord.items()]
    registered = [positions[txid] for txid in cluster.transactions]
    parts = _parts(outcomes, store, logs, buffers, coord, [s.up for s in cluster.shards],
                   _int_rows(rows, 6), registered)
    return Comparable(parts, cluster.next_number, counts[0], counts[1], len(rows))


# -- the fast side -------------------------------------------------------------------------------------

def registration_order(result: BatchResult) -> list[int]:
    """The order the reference registers transactions in: per batch, submissions sorted (stably) by
    coordinator (``run_round_schedule``), each txid at its first submission."""
    positions = first_positions(result.batches)
    agents = AgentTable(result.shard_count)
    table = TxTable(agents)
    seen: set[int] = set()
    order = []
    position = 0
    for batch in result.batches:
        keyed = []
        for tx in batch:
            table.put(position, tx)
            keyed.append((table.coordinator[position], positions[txid_of(tx)]))
            position += 1
        for _, t in sorted(keyed, key=lambda item: item[0]):
            if t not in seen:
                seen.add(t)
                order.append(t)
    return order


def fast_comparable(result: BatchResult) -> Comparable:
    positions = first_positions(result.batches)
    outcomes = []
    counts = {0: 0, 1: 0, 2: 0}
    committed, unfinished = set(result.committed.tolist()), set(result.unfinished.tolist())
    first_no = result.first_no
    for t in sorted(positions.values()):
        if t in committed:
            status, reason = STATUS["committed"], -1
        else:
            status = STATUS["in progress" if t in unfinished else "aborted"]
            reason = first_no.get(t, -1)
        counts[status] += 1
        outcomes.append((t, status, reason))
    store = [(a, b, n) for s in range(result.shard_count) for a, (b, n) in result.store(s).items()]
    logs = [[(r & KIND_MASK, r >> KIND_BITS) for r in result.log(s)] for s in range(result.shard_count)]
    buffers = [[(r & KIND_MASK, r >> KIND_BITS) for r in shard["buffer"]] for shard in result.shards]
    coord = [(s, t, phase, tuple(members)) for s, shard in enumerate(result.shards)
             for t, (phase, members) in shard["coord"].items()]
    rows = result.messages()
    parts = _parts(outcomes, store, logs, buffers, coord, [shard["up"] for shard in result.shards],
                   rows.tobytes(), registration_order(result))
    return Comparable(parts, result.next_send_number, counts[0], counts[1], len(rows))


def batch_snapshot(result: BatchResult) -> dict[str, Any]:
    """The reference-format snapshot of the cluster a fast batch run ends in (small runs: it builds JSON)."""
    agents = AgentTable(result.shard_count)
    table = TxTable(agents)
    position = 0
    for batch in result.batches:
        for tx in batch:
            table.put(position, tx)
            position += 1
    forms = JsonForms(table)
    shards = []
    for s, state in enumerate(result.shards):
        shard = FastShard(s, table)
        shard.up = state["up"]
        shard.log = result.log(s)
        shard.buffer = list(state["buffer"])
        for agent, (balance, nonce) in result.store(s).items():
            a = agents.intern(agent)
            if balance:
                shard.bal[a] = balance
            if nonce:
                shard.nonce[a] = nonce
        shard.coord = {t: [phase, table.participants[t], set(members)]
                       for t, (phase, members) in state["coord"].items()}
        shards.append(shard_json(shard, forms))
    return {
        "format": SNAPSHOT_FORMAT,
        "shard_count": result.shard_count,
        "next_send_number": result.next_send_number,
        "genesis": [{"agent": a.hex(), "balance": str(v)} for a, v in sorted(result.genesis.items()) if v],
        "transactions": [{"txid": table.txid(t).hex(), "encoding": table.txs[t].encode().hex()}
                         for t in registration_order(result)],
        "shards": shards,
        "network": [],
    }


assert COLLECTING == 1 and COMMITTING == 2        # the coord part above writes phases as these numbers

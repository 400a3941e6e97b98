"""Project a simulator run onto ``tla/ABFT.tla`` as an ``altledger-trace/1``
trace (spec/abft.md §10.2), so that TLC can check that the run — and the
reference consensus each member computed along it — is a behaviour of the
model.

What a trace says
-----------------
The gossip log (:mod:`altledger.reference.abft.simulate`) lists, in order,
the events each member created and learnt.  Each becomes one model action:

===============================  ============================================
gossip log                       ABFT.tla action
===============================  ============================================
create, no parents               ``CreateFirst(m, ts, sig, h)``
create by an honest member       ``HonestCreate(m, op, ts, sig, h)``
create by a forking member       ``ForkingCreate(m, sp, op, ts, sig, h)``
learn                            ``Learn(m, e)``
sync                             (nothing: no state changes)
===============================  ============================================

After every step that changed member ``m``'s view, ``m``'s reference
consensus (:class:`~altledger.reference.abft.consensus.IncrementalConsensus`
on exactly the events ``m`` knows) is asked for its fame decisions and its
total order; each NEW decision becomes ``Decide(m, w, v)`` (witnesses in id
order) and each newly ordered event ``Deliver(m, x)`` (in order).  TLC then
checks each of them against the model's operators: a decision the model's
view does not imply, or an order it does not give, rejects the trace at
that line.

The projection
--------------
* Event ids are positions in creation order (the model's ``events`` index);
  members keep their simulator names (``m0``, ``m1`` …); the simulator's
  first ``forkers`` members form ``Forking``.
* ``sig`` and ``h`` are byte sequences.  With ``full_bytes=True`` they are
  the real signature (64 bytes) and event hash (32 bytes).  By default they
  are a *faithful projection*, an order of magnitude smaller (TLC's parser
  is slow on large literals):

  - hash: the shortest prefix, of one length for all events, that tells
    every event of the run apart; prefixes of equal length compare as the
    full hashes do whenever they differ, and they all differ;
  - signature: the shortest common prefix length ``k`` that tells all the
    run's signatures apart, then byte 32 (the coin byte, §6.3), then ``k``
    more bytes, so that the model's coin byte (index ``len/2``) is byte 32
    of the real signature.  Whitening (§7.3) XORs every signature with the
    same value, so two whitened signatures compare as their first differing
    byte does, and that byte lies in the prefix: the order of §7.4 is the
    same.  When ``k`` reaches 32 the real 64 bytes are used.
* Timestamps are carried as they are when they fit TLC's 32-bit integers;
  otherwise each is replaced by its rank among the run's timestamps, which
  keeps every comparison and median the model computes (consensus only
  selects and compares timestamps, §7.2, §7.4), but a consensus timestamp
  is then a rank, not a time.
* The model-checking-only constants (``Timestamps``, ``Signatures``) are
  empty: trace checking never evaluates ``Next``.  ``MaxEvents`` is the
  run's event count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from altledger.reference.abft.consensus import IncrementalConsensus
from altledger.reference.abft.simulate import Create, GossipLog, Learn, Simulation, Sync
from altledger.reference.errors import ToolError
from altledger.tla.trace_format import TraceWriter
from altledger.tla.values import FnMap, Record

SPEC = "ABFT"
VARIABLES = ["events", "view", "decided", "delivered"]
ACTIONS = {
    "CreateFirst": ["m", "ts", "sig", "h"],
    "HonestCreate": ["m", "op", "ts", "sig", "h"],
    "ForkingCreate": ["m", "sp", "op", "ts", "sig", "h"],
    "Learn": ["m", "e"],
    "Decide": ["m", "w", "v"],
    "Deliver": ["m", "x"],
}
TLC_MAX_INT = 2**31 - 1
NONE = 0  # the model's "no parent"


@dataclass
class TraceSummary:
    """What :func:`write_trace` wrote."""

    path: Path
    steps: int = 0
    events: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    timestamps_ranked: bool = False


def timestamp_projection(timestamps: Iterable[int]) -> dict[int, int]:
    """Identity when every timestamp fits TLC's integers, else the rank
    (0-based) of each distinct value: an order-preserving map."""
    values = sorted(set(timestamps))
    if not values or values[-1] <= TLC_MAX_INT:
        return {t: t for t in values}
    return {t: rank for rank, t in enumerate(values)}


def distinguishing_length(values: Sequence[bytes]) -> int:
    """The least k >= 1 such that the k-byte prefixes of the distinct
    ``values`` are distinct."""
    distinct = set(values)
    width = max((len(v) for v in distinct), default=1)
    for k in range(1, width + 1):
        if len({v[:k] for v in distinct}) == len(distinct):
            return k
    return width


def signature_projection(signatures: Sequence[bytes]) -> tuple[int, Callable[[bytes], tuple[int, ...]]]:
    """(projected length, projection) for the run's 64-byte signatures; see
    the module docstring."""
    k = distinguishing_length(signatures)
    if k >= 32:
        return 64, tuple
    coin = 32
    return 2 * k + 1, lambda sig: tuple(sig[:k]) + (sig[coin],) + tuple(sig[coin + 1:coin + 1 + k])


def hash_projection(hashes: Sequence[bytes]) -> Callable[[bytes], tuple[int, ...]]:
    k = distinguishing_length(hashes)
    return lambda h: tuple(h[:k])


class _Projection:
    """The model state of a run, step by step."""

    def __init__(self, sim: Simulation, operations: Sequence[Create | Sync | Learn], outputs: bool,
                 full_bytes: bool) -> None:
        self.sim = sim
        self.dag = sim.dag
        self.operations = operations
        self.outputs = outputs
        self.members = [m.id for m in self.dag.members]
        self.forking = set(sim.forkers)
        creates = [op for op in operations if isinstance(op, Create)]
        self.ids = {op.event: i for i, op in enumerate(creates, 1)}
        created = [self.dag.event(self.dag.by_label[op.event]) for op in creates]
        self.ts = timestamp_projection(e.timestamp for e in created)
        if full_bytes:
            self.signature_length, self.sig, self.hash = 64, tuple, tuple
        else:
            self.signature_length, self.sig = signature_projection([e.signature for e in created])
            self.hash = hash_projection([e.hash() for e in created])
        self.events: list[Record] = []
        self.view: dict[str, frozenset[int]] = {m: frozenset() for m in self.members}
        self.decided: dict[str, dict[int, bool]] = {m: {} for m in self.members}
        self.delivered: dict[str, tuple[int, ...]] = {m: () for m in self.members}
        self.sessions = {m: IncrementalConsensus(self.dag.members, self.dag.coin_period, f"view of {m}")
                         for m in self.members}

    def constants(self) -> dict[str, Any]:
        return {
            "Members": frozenset(self.members),
            "Stake": FnMap({m.id: m.stake for m in self.dag.members}),
            "Forking": frozenset(self.forking),
            "CoinPeriod": self.dag.coin_period,
            "SignatureLength": self.signature_length,
            "Timestamps": frozenset(),
            "Signatures": frozenset(),
            "MaxEvents": len(self.ids),
        }

    def state(self) -> dict[str, Any]:
        return {
            "events": tuple(self.events),
            "view": FnMap({m: self.view[m] for m in self.members}),
            "decided": FnMap({m: FnMap(sorted(self.decided[m].items())) for m in self.members}),
            "delivered": FnMap({m: self.delivered[m] for m in self.members}),
        }

    def id_of(self, label: str | None) -> int:
        return NONE if label is None else self.ids[label]

    def steps(self) -> Iterable[tuple[str, dict[str, Any]]]:
        """(action, params) for every model step; the state is updated as
        each is yielded."""
        for op in self.operations:
            if isinstance(op, Sync):
                continue
            if isinstance(op, Create):
                yield from self._create(op)
            else:
                yield from self._learn(op)
            if self.outputs:
                yield from self._outputs(op.member)

    def _know(self, member: str, label: str) -> None:
        self.view[member] = self.view[member] | {self.ids[label]}
        if self.outputs:
            x = self.dag.by_label[label]
            self.sessions[member].add(self.dag.event(x), label, check_signature=False)

    def _create(self, op: Create) -> Iterable[tuple[str, dict[str, Any]]]:
        event = self.dag.event(self.dag.by_label[op.event])
        record = Record({"creator": op.member, "sp": self.id_of(op.self_parent),
                         "op": self.id_of(op.other_parent), "ts": self.ts[event.timestamp],
                         "sig": self.sig(event.signature), "hash": self.hash(event.hash())})
        common = {"m": op.member, "ts": record["ts"], "sig": record["sig"], "h": record["hash"]}
        self.events.append(record)
        self._know(op.member, op.event)
        if op.self_parent is None:
            yield "CreateFirst", common
        elif op.member in self.forking:
            yield "ForkingCreate", {**common, "sp": record["sp"], "op": record["op"]}
        else:
            yield "HonestCreate", {**common, "op": record["op"]}

    def _learn(self, op: Learn) -> Iterable[tuple[str, dict[str, Any]]]:
        self._know(op.member, op.event)
        yield "Learn", {"m": op.member, "e": self.ids[op.event]}

    def _outputs(self, member: str) -> Iterable[tuple[str, dict[str, Any]]]:
        """The member's new fame decisions (§6.4) and newly ordered events (§7.4)."""
        output = self.sessions[member].output()
        fame = {self.ids[label]: entry["famous"] for label, entry in output["events"].items()
                if entry["witness"] and entry["famous"] is not None}
        for w in sorted(fame):
            if w not in self.decided[member]:
                self.decided[member][w] = fame[w]
                yield "Decide", {"m": member, "w": w, "v": fame[w]}
        order = [self.ids[label] for label in output["order"]]
        done = self.delivered[member]
        # Deliver only extends: if the reference's order stopped extending what
        # was delivered, the next Deliver names the event it now puts there,
        # and TLC rejects it (the model only appends its own next event).
        start = len(done) if tuple(order[:len(done)]) == done else next(
            i for i, (a, b) in enumerate(zip(order, done)) if a != b)
        for x in order[start:]:
            self.delivered[member] = self.delivered[member] + (x,)
            yield "Deliver", {"m": member, "x": x}


def write_trace(sim: Simulation, path: str | Path, *, operations: Sequence[Create | Sync | Learn] | None = None,
                outputs: bool = True, full_bytes: bool = False) -> TraceSummary:
    """Write ``sim``'s run as a trace of ``tla/ABFT.tla`` to ``path``.

    ``operations`` replaces the run's gossip log (tests use it to replay a
    doctored log); ``outputs=False`` leaves out the Decide/Deliver steps
    (needed when the log makes a view that is not closed under parents,
    on which the reference cannot run); ``full_bytes=True`` carries the real
    signatures and hashes instead of their projection.
    """
    log: GossipLog = sim.log
    projection = _Projection(sim, list(operations if operations is not None else log.operations), outputs,
                             full_bytes)
    summary = TraceSummary(Path(path), events=len(projection.ids))
    try:
        with TraceWriter(path, SPEC, projection.constants(), VARIABLES, projection.state(), ACTIONS) as writer:
            for action, params in projection.steps():
                writer.step(action, params, state=projection.state())
                summary.counts[action] = summary.counts.get(action, 0) + 1
            summary.steps = writer.steps
    except OSError as exc:
        raise ToolError(f"cannot write the trace {path}: {exc.strerror}") from None
    summary.timestamps_ranked = any(k != v for k, v in projection.ts.items())
    return summary


__all__ = ["ACTIONS", "SPEC", "VARIABLES", "TraceSummary", "distinguishing_length", "hash_projection",
           "signature_projection", "timestamp_projection", "write_trace"]

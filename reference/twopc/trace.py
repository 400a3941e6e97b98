"""Write a run as an ``altledger-trace/1`` trace of ``tla/TwoPhaseCommit.tla`` (spec §13.4).

The interface between the reference and the model is fixed by
notes/twopc_model_interface.md; the file format and ITF values by
:mod:`altledger.tla.trace_format` and :mod:`altledger.tla.itf`.  A
:class:`TraceRecorder` is an observer (``recorder(cluster, applied)`` after
every operation) that keeps the *projection* of the run onto the model's
variables and records one step for every operation that changed it:

==========  ======================================================================
variable    projection of the implementation state
==========  ======================================================================
up          ``[Shards -> BOOLEAN]``: ``shard.up``
log         ``[Shards -> Seq(Record)]``: each record as ``[type, tx (, outcome)]``,
            ``type`` one of prepared / outcome / commit / end, ``tx`` the label
buffer      the same for ``shard.buffer``
balance     ``[Agents -> Nat]``: the store of each agent's home shard
nonce       ``[Agents -> Nat]``: likewise
coord       ``[Tx -> [phase, yes, acks]]``: the entry of ``t`` at ``Coordinator(t)``
            (no entry = ``idle`` with empty sets)
msgs        the SET of envelopes in the network, each as a message record
            ``[type, tx, from, to (, vote, reason | outcome)]``
crashes     crashes that took effect
losses      drops of the *last* copy of a message (dropping one of several
            copies leaves the set unchanged: no step)
dups        deliveries after which another copy of the message is still in the
            network (the model's Deliver that keeps a copy)
==========  ======================================================================

Transactions are labelled ``t1``, ``t2``, … in order of first submission
(in the simulator that is their creation order) unless labels are given;
agents are named by ``cluster.agent_names`` (an unnamed agent by its hex id).
Operations that change no model variable — duplicate submissions,
``duplicate(n)``, ignored messages whose copy remains, empty flushes,
no-ops — produce no step.  The header's fault budgets are the counts the
run used, and ``Variant`` is ``"correct"``.

The header is written when the run is over (it lists every transaction and
agent the run used), by :meth:`TraceRecorder.write`.  It cannot carry the
label -> txid table (the trace reader accepts exactly the six header keys,
and every constant is handed to TLC); ``altledger twopc simulate --json``
and ``replay --json`` list each transaction's label with its txid.  Each step carries the
*full* value of every changed variable, so a trace grows with the square of
the run's length: traces are meant for runs of tens of transactions.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Mapping

from altledger.reference.encoding import (Ack, CommitDecisionRecord, CrossAgentTx, Decision, EndRecord, LegKind,
                                          Outcome, OutcomeRecord, Prepare, PreparedRecord, Query, VoteMsg,
                                          shard_of_agent)
from altledger.reference.errors import ToolError
from altledger.reference.twopc.cluster import Applied, Cluster
from altledger.reference.twopc.log import Record as LogRecord
from altledger.reference.twopc.state import CoordEntry, Envelope, Phase, ShardState
from altledger.reference.twopc.txfacts import txid_of
from altledger.tla.trace_format import TraceWriter
from altledger.tla.values import FnMap, Record

SPEC = "TwoPhaseCommit"
VARIABLES = ["up", "log", "buffer", "balance", "nonce", "coord", "msgs", "crashes", "losses", "dups"]
ACTIONS = {"Submit": ["t"], "Deliver": ["m"], "Drop": ["m"], "Timeout": ["s", "t"], "Flush": ["s"],
           "Crash": ["s"], "Recover": ["s"]}
TLC_MAX_INT = (1 << 31) - 1   # TLC's integers are 32-bit
IDLE = Record({"phase": "idle", "yes": frozenset(), "acks": frozenset()})


class TraceRecorder:
    """Observer that projects a run onto the model's variables and records its steps."""

    def __init__(self, cluster: Cluster, labels: Mapping[bytes, str] | None = None) -> None:
        if cluster.network or any(len(s.log) or s.buffer or not s.up for s in cluster.shards):
            raise ValueError("a trace starts from a fresh cluster (the model's Init)")
        self.shard_count = cluster.shard_count
        self.names = dict(cluster.agent_names)
        self.genesis = dict(cluster.genesis)
        self.given_labels = dict(labels or {})
        self.labels: dict[bytes, str] = {}            # txid -> label, in order of first submission
        self.txs: dict[str, CrossAgentTx] = {}         # label -> tx
        # the current projection
        self.up = [True] * self.shard_count
        self.log: list[list[Record]] = [[] for _ in range(self.shard_count)]
        self.buffer: list[tuple[Record, ...]] = [() for _ in range(self.shard_count)]
        self.balance: dict[str, int] = {self.name(a): v for a, v in self.genesis.items()}
        self.nonce: dict[str, int] = {}
        self.coord: dict[str, Record] = {}
        self.msgs: Counter[Record] = Counter()
        self.crashes = self.losses = self.dups = 0
        self.steps: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    # -- names -----------------------------------------------------------------------

    def name(self, agent: bytes) -> str:
        return self.names.get(agent) or agent.hex()

    def label(self, txid: bytes) -> str:
        return self.labels[txid]

    def _register(self, tx: CrossAgentTx) -> None:
        txid = txid_of(tx)
        if txid not in self.labels:
            label = self.given_labels.get(txid) or f"t{len(self.labels) + 1}"
            self.labels[txid] = label
            self.txs[label] = tx

    # -- projections of values ---------------------------------------------------------

    def record(self, record: LogRecord) -> Record:
        if isinstance(record, PreparedRecord):
            return Record({"type": "prepared", "tx": self.label(txid_of(record.tx))})
        if isinstance(record, OutcomeRecord):
            return Record({"type": "outcome", "tx": self.label(record.txid),
                           "outcome": "commit" if record.outcome is Outcome.COMMIT else "abort"})
        if isinstance(record, CommitDecisionRecord):
            return Record({"type": "commit", "tx": self.label(record.txid)})
        if isinstance(record, EndRecord):
            return Record({"type": "end", "tx": self.label(record.txid)})
        raise TypeError(f"not a log record: {type(record).__name__}")

    def message(self, envelope: Envelope) -> Record:
        m = envelope.message
        base = {"from": envelope.sender, "to": envelope.recipient}
        if isinstance(m, Prepare):
            return Record({"type": "prepare", "tx": self.label(txid_of(m.tx)), **base})
        if isinstance(m, VoteMsg):
            return Record({"type": "vote", "tx": self.label(m.txid), **base, "vote": m.vote.name.lower(),
                           "reason": m.reason.name.lower()})
        if isinstance(m, Decision):
            return Record({"type": "decision", "tx": self.label(m.txid), **base,
                           "outcome": "commit" if m.outcome is Outcome.COMMIT else "abort"})
        if isinstance(m, Ack):
            return Record({"type": "ack", "tx": self.label(m.txid), **base})
        if isinstance(m, Query):
            return Record({"type": "query", "tx": self.label(m.txid), **base})
        raise TypeError(f"not a message: {type(m).__name__}")

    @staticmethod
    def coord_entry(entry: CoordEntry | None) -> Record:
        if entry is None:
            return IDLE
        if entry.phase is Phase.COLLECTING:
            return Record({"phase": "collecting", "yes": frozenset(entry.yes), "acks": frozenset()})
        return Record({"phase": "committing", "yes": frozenset(), "acks": frozenset(entry.acks)})

    # -- observing a run -----------------------------------------------------------------

    def __call__(self, cluster: Cluster, applied: Applied) -> None:
        name = applied.op[0]
        if name == "submit":                    # labelled at its first submission, even a no-op one
            self._register(applied.op[1])
        if not applied.took_effect:
            return
        changed: set[str] = set()
        if applied.shard is not None:
            changed |= self._absorb_shard(applied.before, cluster.shards[applied.shard])
        msgs_changed, kept_copy = self._absorb_network(applied)
        if msgs_changed:
            changed.add("msgs")
        if name == "deliver":
            if not changed:
                return                      # nothing the model sees: a stuttering step
            if kept_copy:
                self.dups += 1
                changed.add("dups")
            self._emit("Deliver", {"m": self.message(applied.removed[1])}, changed)
        elif name == "drop":
            if msgs_changed:
                self.losses += 1
                self._emit("Drop", {"m": self.message(applied.removed[1])}, changed | {"losses"})
        elif name == "crash":
            self.crashes += 1
            self._emit("Crash", {"s": applied.shard}, changed | {"crashes"})
        elif changed and name == "submit":
            self._emit("Submit", {"t": self.label(txid_of(applied.op[1]))}, changed)
        elif changed and name == "timeout":
            self._emit("Timeout", {"s": applied.shard, "t": self.label(applied.op[2])}, changed)
        elif changed and name in ("flush", "recover"):
            self._emit(name.capitalize(), {"s": applied.shard}, changed)

    def _absorb_shard(self, before: ShardState, after: ShardState) -> set[str]:
        """Update the projection of one shard; return the names of the model variables that changed."""
        s, changed = after.shard, set()
        if after.up != before.up:
            self.up[s] = after.up
            changed.add("up")
        if len(after.log) != len(before.log):
            self.log[s].extend(self.record(r) for r in after.log.since(len(before.log)))
            changed.add("log")
        if after.buffer != before.buffer:
            self.buffer[s] = tuple(self.record(r) for r in after.buffer)
            changed.add("buffer")
        for store, target, var in ((after.balances, self.balance, "balance"), (after.nonces, self.nonce, "nonce")):
            old = before.balances if var == "balance" else before.nonces
            if store is not old:
                for agent in set(store) | set(old):
                    value = store.get(agent, 0)
                    if target.get(self.name(agent), 0) != value:
                        target[self.name(agent)] = value
                        changed.add(var)
        if after.coord is not before.coord:
            for txid in set(after.coord) | set(before.coord):
                entry = self.coord_entry(after.coord.get(txid))
                label = self.label(txid)
                if self.coord.get(label, IDLE) != entry:
                    self.coord[label] = entry
                    changed.add("coord")
        return changed

    def _absorb_network(self, applied: Applied) -> tuple[bool, bool]:
        """Update the message set; return (the set changed, a delivered message still has a copy left)."""
        before = set(self.msgs)
        kept_copy = False
        if applied.removed is not None:
            m = self.message(applied.removed[1])
            self.msgs[m] -= 1
            if self.msgs[m] == 0:
                del self.msgs[m]
            sent = {self.message(e) for _, e in applied.added}
            kept_copy = applied.op[0] == "deliver" and m in self.msgs and m not in sent
        for _, envelope in applied.added:
            self.msgs[self.message(envelope)] += 1
        return set(self.msgs) != before, kept_copy

    def _emit(self, action: str, params: dict[str, Any], changed: set[str]) -> None:
        self.steps.append((action, params, {v: self._value(v) for v in VARIABLES if v in changed}))

    def _value(self, var: str) -> Any:
        """The current value of a model variable (functions over agents/txs are completed when writing)."""
        if var == "up":
            return FnMap((s, self.up[s]) for s in range(self.shard_count))
        if var == "log":
            return FnMap((s, tuple(self.log[s])) for s in range(self.shard_count))
        if var == "buffer":
            return FnMap((s, self.buffer[s]) for s in range(self.shard_count))
        if var in ("balance", "nonce", "coord"):
            return dict(getattr(self, var))
        if var == "msgs":
            return frozenset(self.msgs)
        return getattr(self, var)

    # -- writing ----------------------------------------------------------------------------

    def agents(self) -> list[str]:
        names = {self.name(a) for a in self.genesis}
        names |= {self.name(leg.agent) for tx in self.txs.values() for leg in tx.legs}
        return sorted(names)

    def homes(self) -> dict[str, int]:
        agents = {self.name(a): a for a in self.genesis}
        agents |= {self.name(leg.agent): leg.agent for tx in self.txs.values() for leg in tx.legs}
        return {name: shard_of_agent(agent, self.shard_count) for name, agent in agents.items()}

    def constants(self) -> dict[str, Any]:
        genesis = {self.name(a): v for a, v in self.genesis.items()}
        agents = self.agents()
        return {
            "Shards": frozenset(range(self.shard_count)),
            "Agents": frozenset(agents),
            "Home": FnMap(sorted(self.homes().items())),
            "Tx": frozenset(self.txs),
            "Legs": FnMap((label, tuple(Record({
                "agent": self.name(leg.agent), "kind": "debit" if leg.kind is LegKind.DEBIT else "credit",
                "amount": leg.amount, "nonce": leg.nonce}) for leg in tx.legs)) for label, tx in self.txs.items()),
            "Genesis": FnMap((a, genesis.get(a, 0)) for a in agents),
            "MaxCrash": self.crashes,
            "MaxLoss": self.losses,
            "MaxDup": self.dups,
            "Variant": "correct",
        }

    def init(self) -> dict[str, Any]:
        constants = self.constants()
        shards = range(self.shard_count)
        return {
            "up": FnMap((s, True) for s in shards),
            "log": FnMap((s, ()) for s in shards),
            "buffer": FnMap((s, ()) for s in shards),
            "balance": constants["Genesis"],
            "nonce": FnMap((a, 0) for a in self.agents()),
            "coord": FnMap((t, IDLE) for t in self.txs),
            "msgs": frozenset(),
            "crashes": 0, "losses": 0, "dups": 0,
        }

    def _complete(self, var: str, value: Any) -> Any:
        """Functions over Agents or Tx, completed with the initial value of the entries not yet touched."""
        if var == "balance":
            genesis = {self.name(a): v for a, v in self.genesis.items()}
            return FnMap((a, value.get(a, genesis.get(a, 0))) for a in self.agents())
        if var == "nonce":
            return FnMap((a, value.get(a, 0)) for a in self.agents())
        if var == "coord":
            return FnMap((t, value.get(t, IDLE)) for t in self.txs)
        return value

    def write(self, path: str | Path) -> int:
        """Write the trace file; return the number of steps."""
        constants = self.constants()
        self._check_tlc_integers(constants)
        try:
            with TraceWriter(path, SPEC, constants, VARIABLES, self.init(), ACTIONS) as writer:
                for action, params, changed in self.steps:
                    writer.step(action, params, changed={v: self._complete(v, x) for v, x in changed.items()})
        except ValueError as error:     # e.g. a name TLA+ strings cannot hold
            raise ToolError(f"cannot write the trace {path}: {error}") from None
        return len(self.steps)

    def _check_tlc_integers(self, constants: dict[str, Any]) -> None:
        values = list(constants["Genesis"].values())
        values += [leg["amount"] for legs in constants["Legs"].values() for leg in legs]
        values += [leg["nonce"] for legs in constants["Legs"].values() for leg in legs]
        too_big = [v for v in values if v > TLC_MAX_INT]
        if too_big or sum(constants["Genesis"].values()) > TLC_MAX_INT:
            raise ToolError(f"TLC's integers are 32-bit: the run uses {max(too_big or [sum(values)])}, above "
                            f"2^31-1; use smaller genesis balances and amounts for traces")

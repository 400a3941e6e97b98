"""A seeded workload and schedule generator for two-phase commit runs.

A run has two phases.  In the *main* phase transactions are created and
submitted over time, interleaved with deliveries and the fault operations
chosen by :class:`Faults` (loss, duplication, reordering, crashes and
recoveries, timeouts, flushes).  In the *drain* phase faults stop: every
down shard recovers, messages are delivered oldest first, and when the
network is empty timeouts fire for every transaction whose coordinator is
not idle or that has a prepared participant — until nothing is left to do.
So every run ends terminated (§11.6), and :func:`simulate` checks it.

All randomness comes from one ``random.Random(seed)``; the generator reads
the cluster's state (to choose correct nonces) but nothing else, so a seed
and a configuration determine the whole run, which is recorded as a
:class:`~altledger.reference.twopc.scenario.Scenario` and can be replayed.

The workload: agents ``a1.cns`` … ``aA.cns`` with random genesis balances; a
few *hot* agents that many transactions touch (lock conflicts, §7.1.4.a);
each transaction has 2..``max_legs`` legs, at least one debit and one credit;
some debits are deliberately given a wrong nonce (§7.1.4.c) or a total too
large for the payer (§7.1.4.b); some submissions re-submit an earlier
transaction unchanged (the duplicate guard of §8.1.1).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterable, Sequence, TypeVar

from altledger.reference.encoding import CrossAgentTx, Leg, LegKind, VoteReason, VoteValue, agent_id, shard_of_agent
from altledger.reference.twopc.cluster import Applied, Cluster, Operation, run_round_schedule
from altledger.reference.twopc.invariants import InvariantChecker, Violation, check_all, check_quiescent, rm_states
from altledger.reference.twopc.log import RmState
from altledger.reference.twopc.scenario import Scenario
from altledger.reference.twopc.state import Phase
from altledger.reference.twopc.txfacts import coordinator_of, participants_of, txid_of

T = TypeVar("T")

Observer = Callable[[Cluster, Applied], None]


@dataclass(frozen=True)
class Faults:
    """Per-operation probabilities of the main phase (each tick that is not a submission picks one)."""

    loss: float = 0.0       # drop a random envelope
    dup: float = 0.0        # duplicate a random envelope
    crash: float = 0.0      # crash a random up shard
    recover: float = 0.1    # recover a random down shard (when one is down)
    reorder: float = 0.0    # a delivery takes a random envelope instead of the oldest
    timeout: float = 0.0    # a timeout for one of the 4 oldest unfinished transactions, at one of its shards
    flush: float = 0.05     # flush a random shard's buffer

    def describe(self) -> str:
        return ",".join(f"{f.name}={getattr(self, f.name):g}" for f in fields(self))


PRESETS = {
    "none": Faults(),
    "mild": Faults(loss=0.02, dup=0.02, crash=0.002, reorder=0.3, timeout=0.05),
    "harsh": Faults(loss=0.1, dup=0.1, crash=0.01, recover=0.05, reorder=1.0, timeout=0.1),
}


def parse_faults(text: str) -> Faults:
    """``none`` | ``mild`` | ``harsh`` | ``key=p,...`` | ``preset,key=p,...`` (keys: the fields of :class:`Faults`)."""
    values = {f.name: getattr(Faults(), f.name) for f in fields(Faults)}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if part in PRESETS:
            values.update({f.name: getattr(PRESETS[part], f.name) for f in fields(Faults)})
            continue
        key, sep, number = part.partition("=")
        if not sep or key.strip() not in values:
            raise ValueError(f"bad fault setting {part!r}: expected a preset ({', '.join(PRESETS)}) "
                             f"or key=probability with key one of {', '.join(values)}")
        try:
            p = float(number)
        except ValueError:
            raise ValueError(f"bad probability in {part!r}") from None
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"probability out of [0, 1] in {part!r}")
        values[key.strip()] = p
    return Faults(**values)


@dataclass(frozen=True)
class Workload:
    """The shape of the generated transactions."""

    agents: int = 20
    shards: int = 4
    txs: int = 20
    max_legs: int = 4
    min_balance: int = 20
    max_balance: int = 200
    max_amount: int = 40
    hot_agents: int = 3          # how many agents are hot
    hot_share: float = 0.15      # chance that a leg's agent is drawn from the hot agents
    bad_nonce: float = 0.05      # chance that a debit carries a wrong nonce
    overdraft: float = 0.05      # chance that a transaction moves more than its payers hold
    resubmit: float = 0.05       # chance that a submission repeats an earlier transaction
    window: int = 0              # submit only while fewer envelopes are in flight (0 = 4 per shard)
    submit_rate: float = 0.15    # chance that a tick submits, when the window allows it


@dataclass
class Counts:
    """How many operations of each kind took effect, plus reordered deliveries."""

    ops: int = 0
    by_name: dict[str, int] = field(default_factory=dict)
    reordered: int = 0
    main_phase_ops: int = 0

    def note(self, applied: Applied) -> None:
        self.ops += 1
        if applied.took_effect:
            name = applied.op[0]
            self.by_name[name] = self.by_name.get(name, 0) + 1


@dataclass
class Outcome:
    """How a transaction ended: ``committed``, ``aborted`` or (only in unfinished replays) ``in progress``."""

    label: str
    txid: bytes
    status: str
    reason: VoteReason | None     # the first NO vote cast for it, if any

    @property
    def committed(self) -> bool:
        return self.status == "committed"


@dataclass
class SimulationResult:
    scenario: Scenario
    cluster: Cluster
    labels: dict[bytes, str]
    outcomes: list[Outcome]
    counts: Counts
    violations: list[Violation]
    checked: bool
    seconds: float                # wall-clock time of the run
    cpu_seconds: float = 0.0      # CPU time of this process during the run (robust on a loaded machine)


class _StopRun(Exception):
    """Raised to end a run at its first violation (``stop_on_violation``)."""


class Run:
    """A cluster plus what watches it: operation log, counts, the invariant checker, observers.

    Every operation goes through :meth:`apply` (or :meth:`record` when it was
    applied elsewhere, e.g. by ``run_round_schedule``), which records it,
    counts it, notes the first NO vote of each transaction (to report why it
    aborted), checks the invariants and calls the observers.
    """

    def __init__(self, cluster: Cluster, observers: Iterable[Observer] = (), check_invariants: bool = True,
                 stop_on_violation: bool = False, max_violations: int = 20) -> None:
        self.cluster = cluster
        self.observers = list(observers)
        self.operations: list[Operation] = []
        self.first_no: dict[bytes, VoteReason] = {}
        self.counts = Counts()
        self.violations: list[Violation] = []
        self.checker = InvariantChecker(cluster) if check_invariants else None
        self.stop_on_violation = stop_on_violation
        self.max_violations = max_violations
        self.started, self.cpu_started = time.perf_counter(), time.process_time()

    def apply(self, op: Operation) -> Applied:
        return self.record(self.cluster.apply(op))

    def record(self, applied: Applied) -> Applied:
        """Note an operation already applied to the cluster."""
        self.operations.append(applied.op)
        self.counts.note(applied)
        if applied.result is not None:
            for vote in applied.result.votes:
                if vote.vote is VoteValue.NO:
                    self.first_no.setdefault(vote.txid, vote.reason)
        if self.checker is not None and len(self.violations) < self.max_violations:
            for found in self.checker.observe(self.cluster, applied):
                self.violations.append(Violation(found.invariant,
                                                 f"after operation {self.counts.ops}: {found.detail}"))
        for observe in self.observers:
            observe(self.cluster, applied)
        if self.violations and self.stop_on_violation:
            raise _StopRun
        return applied

    def finish(self, scenario: Scenario) -> SimulationResult:
        """Full checks at the end (§11 unless disabled, and Termination), outcomes, timings."""
        cluster = self.cluster
        scenario.operations = self.operations
        violations = list(self.violations)
        if self.checker is not None:
            violations.extend(check_all(cluster))
        violations.extend(check_quiescent(cluster))
        labels = {txid_of(tx): label for label, tx in scenario.transactions.items()}
        outcomes = [outcome_of(cluster, label, tx, self.first_no) for label, tx in scenario.transactions.items()]
        return SimulationResult(scenario, cluster, labels, outcomes, self.counts, violations,
                                self.checker is not None, time.perf_counter() - self.started,
                                time.process_time() - self.cpu_started)


def make_agents(rng: random.Random, workload: Workload) -> dict[str, int]:
    """Agents ``a1.cns`` … with genesis balances in [min_balance, max_balance]."""
    return {f"a{i}.cns": rng.randint(workload.min_balance, workload.max_balance)
            for i in range(1, workload.agents + 1)}


def split(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` as ``parts`` amounts, each at least 1."""
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(parts)]


def draw_legs(rng: random.Random, shape: Any, population: Sequence[T], hot: Sequence[T],
              agent_of: Callable[[T], bytes], next_nonce: Callable[[bytes], int]) -> tuple[Leg, ...]:
    """The legs of one random transfer, in canonical order (§3.1): 2 … ``shape.max_legs`` distinct
    agents drawn from ``population`` (from ``hot`` with chance ``shape.hot_share``), 1 … count − 1 of
    them payers; the amount is at most ``shape.max_amount``, or more than its payers can hold
    (chance ``shape.overdraft``), split at random.  A debit carries ``next_nonce(payer)``, made wrong
    with chance ``shape.bad_nonce``.

    Shared by this simulator (``make_tx``: agents by name) and the fast batch workload
    (``fast.twopc.workload``: agents by id), so both draw the same way; ``shape`` is either one's
    workload.  The draws' order is part of every seeded run: changing it changes the vectors.
    """
    count = rng.randint(2, min(shape.max_legs, len(population)))
    chosen: list[T] = []
    while len(chosen) < count:
        item = rng.choice(hot if hot and rng.random() < shape.hot_share else population)
        if item not in chosen:
            chosen.append(item)
    debits = rng.randint(1, count - 1)
    total = rng.randint(count, max(count, shape.max_amount))
    if rng.random() < shape.overdraft:
        total = shape.max_balance * count + rng.randint(1, 100)
    debit_amounts, credit_amounts = split(rng, total, debits), split(rng, total, count - debits)
    legs = []
    for i, item in enumerate(chosen):
        agent = agent_of(item)
        if i < debits:
            nonce = next_nonce(agent)
            if rng.random() < shape.bad_nonce:
                nonce = rng.choice([n for n in (nonce - 1, nonce + 1, nonce + 2) if n >= 1])
            legs.append(Leg(agent, LegKind.DEBIT, debit_amounts[i], nonce))
        else:
            legs.append(Leg(agent, LegKind.CREDIT, credit_amounts[i - debits], 0))
    legs.sort(key=lambda leg: leg.agent)
    return tuple(legs)


def make_tx(rng: random.Random, workload: Workload, names: list[str], hot: list[str], cluster: Cluster,
            serial: int, planned: Iterable[CrossAgentTx] = ()) -> CrossAgentTx:
    """One transaction (``draw_legs``); debits carry the payer's next nonce as the store shows it now,
    unless made wrong.

    ``planned`` are transactions created but not yet run: a payer they debit
    gets the nonce after theirs, as if they commit.
    """
    later = {leg.agent: leg.nonce for tx in planned for leg in tx.legs if leg.kind is LegKind.DEBIT}

    def next_nonce(agent: bytes) -> int:
        return max(cluster.shards[shard_of_agent(agent, cluster.shard_count)].nonce(agent), later.get(agent, 0)) + 1

    legs = draw_legs(rng, workload, names, hot, agent_id, next_nonce)
    return CrossAgentTx(legs=legs, user_data=f"t{serial}".encode())


def unfinished(cluster: Cluster, tx: CrossAgentTx) -> bool:
    """Coordinator not idle, or some participant prepared: the transaction still needs steps."""
    txid = txid_of(tx)
    if cluster.shards[coordinator_of(tx, cluster.shard_count)].phase(txid) is not Phase.IDLE:
        return True
    return RmState.PREPARED in rm_states(cluster, tx).values()


def pending_timeouts(cluster: Cluster, txs: Iterable[CrossAgentTx]) -> list[Operation]:
    """Timeouts that make progress: at a non-idle coordinator, and at each prepared participant."""
    ops: list[Operation] = []
    for tx in txs:
        txid = txid_of(tx)
        coordinator = coordinator_of(tx, cluster.shard_count)
        for s in participants_of(tx, cluster.shard_count):   # the coordinator is one of them (§3.4)
            shard = cluster.shards[s]
            if shard.rm_state(txid) is RmState.PREPARED or (s == coordinator and shard.phase(txid) is not Phase.IDLE):
                ops.append(("timeout", s, txid))
    return ops


def main_phase_op(rng: random.Random, faults: Faults, cluster: Cluster,
                  active: list[CrossAgentTx]) -> tuple[Operation | None, bool]:
    """One non-submission operation of the main phase (None if nothing is deliverable), and whether it
    is a delivery out of send order."""
    down = [s.shard for s in cluster.shards if not s.up]
    up = [s.shard for s in cluster.shards if s.up]
    r = rng.random()
    for name, p in (("crash", faults.crash), ("recover", faults.recover if down else 0.0),
                    ("loss", faults.loss if cluster.network else 0.0),
                    ("dup", faults.dup if cluster.network else 0.0),
                    ("timeout", faults.timeout if active else 0.0), ("flush", faults.flush)):
        if r < p:
            break
        r -= p
    else:
        name = "deliver"
    if name == "crash" and up:
        return ("crash", rng.choice(up)), False
    if name == "recover":
        return ("recover", rng.choice(down)), False
    if name in ("loss", "dup"):
        return ("drop" if name == "loss" else "duplicate", rng.choice(list(cluster.network))), False
    if name == "timeout":                # "waited long enough": one of the oldest unfinished transactions
        tx = rng.choice(active[:4])
        return ("timeout", rng.choice(participants_of(tx, cluster.shard_count)), txid_of(tx)), False
    if name == "flush":
        return ("flush", rng.randrange(cluster.shard_count)), False
    deliverable = (n for n, e in cluster.network.items() if cluster.shards[e.recipient].up)
    if faults.reorder and rng.random() < faults.reorder:
        numbers = list(deliverable)
        if not numbers:
            return None, False
        number = rng.choice(numbers)
        return ("deliver", number), number != numbers[0]
    oldest = next(deliverable, None)
    return (("deliver", oldest) if oldest is not None else None), False


def drain(run: Run, txs: list[CrossAgentTx], max_ops: int) -> None:
    """Faults stop: recover every shard, deliver oldest first, fire progress timeouts when the network is empty."""
    cluster = run.cluster
    for shard in cluster.shards:
        if not shard.up:
            run.apply(("recover", shard.shard))
    budget = max_ops
    while budget > 0:
        if cluster.network:
            run.apply(("deliver", next(iter(cluster.network))))
            budget -= 1
            continue
        ops = pending_timeouts(cluster, txs)
        if not ops:
            break
        for op in ops:
            run.apply(op)
        budget -= len(ops)
    for shard in cluster.shards:
        if shard.buffer:
            run.apply(("flush", shard.shard))


def setup(seed: int, workload: Workload) -> tuple[random.Random, list[str], list[str], Scenario]:
    """The seeded generator, the agents (genesis), the hot agents and an empty scenario."""
    rng = random.Random(seed)
    genesis = make_agents(rng, workload)
    names = list(genesis)
    hot = rng.sample(names, min(workload.hot_agents, len(names)))
    return rng, names, hot, Scenario(workload.shards, genesis)


def simulate(seed: int, workload: Workload, faults: Faults, check_invariants: bool = True,
             observers: Iterable[Observer] = (), max_violations: int = 20,
             stop_on_violation: bool = False) -> SimulationResult:
    """Generate and run one workload; see the module docstring.

    With ``stop_on_violation`` the run ends at the first violation (the
    scenario then holds the operations up to it), which keeps searches for
    bugs with broken protocols short.
    """
    rng, names, hot, scenario = setup(seed, workload)
    run = Run(scenario.new_cluster(), observers, check_invariants, stop_on_violation, max_violations)
    try:
        created = main_phase(run, rng, workload, faults, names, hot, scenario)
        run.counts.main_phase_ops = run.counts.ops
        drain(run, created, max_ops=50 * (workload.txs + 10) * workload.max_legs)
    except _StopRun:
        pass
    return run.finish(scenario)


def main_phase(run: Run, rng: random.Random, workload: Workload, faults: Faults, names: list[str], hot: list[str],
               scenario: Scenario) -> list[CrossAgentTx]:
    """Create and submit the transactions, interleaved with deliveries and faults; return them."""
    cluster, counts = run.cluster, run.counts
    window = workload.window or 4 * workload.shards
    created: list[CrossAgentTx] = []
    active: list[CrossAgentTx] = []
    while len(created) < workload.txs:
        if cluster.network and not (len(cluster.network) < window and rng.random() < workload.submit_rate):
            if counts.ops % 64 == 0:
                active = [tx for tx in active if unfinished(cluster, tx)]
            op, reordered = main_phase_op(rng, faults, cluster, active)
            if op is not None:           # None: nothing deliverable; submit instead
                counts.reordered += reordered
                run.apply(op)
                continue
        if created and rng.random() < workload.resubmit:
            tx = rng.choice(created)
        else:
            tx = make_tx(rng, workload, names, hot, cluster, len(created) + 1)
            created.append(tx)
            scenario.transactions[f"t{len(created)}"] = tx
            active.append(tx)
        run.apply(("submit", tx))
    return created


def outcome_of(cluster: Cluster, label: str, tx: CrossAgentTx, first_no: dict[bytes, VoteReason]) -> Outcome:
    """Committed if a participant committed (Atomicity then makes it all of them once the run is drained);
    in progress while it still needs steps (a prepared participant or a busy coordinator); else aborted."""
    txid = txid_of(tx)
    if RmState.COMMITTED in rm_states(cluster, tx).values():
        return Outcome(label, txid, "committed", None)
    status = "in progress" if unfinished(cluster, tx) else "aborted"
    return Outcome(label, txid, status, first_no.get(txid))


def simulate_rounds(seed: int, workload: Workload, batch: int = 0, check_invariants: bool = True,
                    observers: Iterable[Observer] = (), max_violations: int = 20) -> SimulationResult:
    """Run the workload with the round schedule of §13.3 (no faults), ``batch`` transactions at a time.

    Each batch is created from the current store (a payer debited twice in
    one batch gets consecutive nonces, as a client would choose them), then
    runs to completion under the round schedule.  No timeouts are needed:
    without faults every transaction ends.
    """
    rng, names, hot, scenario = setup(seed, workload)
    run = Run(scenario.new_cluster(), observers, check_invariants, max_violations=max_violations)
    batch = batch or 2 * workload.shards
    created: list[CrossAgentTx] = []
    while len(created) < workload.txs:
        txs: list[CrossAgentTx] = []
        for _ in range(min(batch, workload.txs - len(created))):
            tx = make_tx(rng, workload, names, hot, run.cluster, len(created) + 1, planned=txs)
            created.append(tx)
            txs.append(tx)
            scenario.transactions[f"t{len(created)}"] = tx
        run_round_schedule(run.cluster, txs, observe=run.record)
    run.counts.main_phase_ops = run.counts.ops
    return run.finish(scenario)

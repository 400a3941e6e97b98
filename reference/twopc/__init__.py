"""Two-phase commit with presumed abort: the readable reference (spec/two_phase_commit.md).

Every function cites the clause it implements.  The modules, bottom up:

==================  ==========================================================
``txfacts``         txid, participants, coordinator, legs per shard (§3)
``log``             the durable log as an immutable value; ``rm_state``,
                    ``lock``, ``decided`` derived from it (§4.3, §5)
``state``           ``ShardState`` (§4.1, §4.2), ``CoordEntry``, ``Envelope``
``effects``         ``StepBuilder`` / ``StepResult``: force, buffer, send (§2.6, §5)
``participant``     the participant rules (§7)
``coordinator``     the coordinator rules (§8)
``shard``           ``step(state, input)``; crash, recovery, flush (§2.6, §9)
``cluster``         ``Cluster``: all shards + the network; the operations of
                    §13.1 and the round schedule of §13.3
``invariants``      the properties of §11, in full or after each operation
``snapshot``        the canonical JSON snapshot used to compare implementations
``scenario``        operation files (``altledger-2pc-ops/1``) and ``replay``
``simulate``        seeded workloads and fault schedules
``trace``           ``altledger-trace/1`` traces of ``tla/TwoPhaseCommit.tla``
``cli``             ``altledger twopc simulate | replay``
==================  ==========================================================

The API other code builds on (kept stable)::

    from altledger.reference.twopc import Cluster, snapshot, check_all

    cluster = Cluster(shard_count, genesis)            # genesis: {AgentId: balance}
    applied = cluster.submit(tx)                       # or deliver(n), drop(n), duplicate(n),
                                                       # timeout(s, txid), flush(s), crash(s), recover(s)
    applied = cluster.apply(("deliver", 3))            # the same, from a tuple
    applied.took_effect, applied.added, applied.result # what happened (Applied)
    snapshot(cluster)                                  # canonical JSON-ready state (see snapshot.py)
    snapshot_json(cluster), snapshot_digest(cluster)   # its canonical text and SHA-256
    check_all(cluster)                                 # [] when §11.1-11.4 hold (full scan)
    checker = InvariantChecker(cluster)                # incremental: checker.observe(cluster, applied)
    check_quiescent(cluster)                           # [] when terminated (§11.6)
    run_round_schedule(cluster, txs, observe=None)     # §13.3; observe(applied) after each operation

    step(shard_state, Deliver(envelope))               # one shard step -> StepResult(state, sent,
                                                       #   log_writes, votes)

    scenario = load_scenario("ops.json")               # a fixed operation list
    cluster = replay(scenario, observers=[...])        # observers: f(cluster, applied)

    from altledger.reference.twopc.trace import TraceRecorder   # (imports altledger.tla)
    recorder = TraceRecorder(fresh_cluster)            # an observer; then
    recorder.write("run.trace")                        # validate with altledger.tla.trace.validate_trace

    result = simulate(seed, Workload(...), parse_faults("mild"))   # -> SimulationResult: scenario (the
                                                       # operations, replayable), cluster, outcomes, counts,
                                                       # violations; simulate_rounds(seed, workload) for §13.3
"""

from altledger.reference.twopc.cluster import Applied, Cluster, Operation, run_round_schedule
from altledger.reference.twopc.effects import StepResult
from altledger.reference.twopc.invariants import (InvariantChecker, Violation, check_all, check_quiescent)
from altledger.reference.twopc.log import Log, RmState
from altledger.reference.twopc.scenario import Scenario, load_scenario, replay, save_scenario
from altledger.reference.twopc.shard import Crash, Deliver, Flush, Recover, Submit, Timeout, step
from altledger.reference.twopc.simulate import (Faults, Workload, parse_faults, simulate, simulate_rounds)
from altledger.reference.twopc.snapshot import snapshot, snapshot_digest, snapshot_json
from altledger.reference.twopc.state import CoordEntry, Envelope, Phase, ShardState

__all__ = [
    "Applied", "Cluster", "CoordEntry", "Crash", "Deliver", "Envelope", "Faults", "Flush", "InvariantChecker",
    "Log", "Operation", "Phase", "Recover", "RmState", "Scenario", "ShardState", "StepResult", "Submit",
    "Timeout", "Violation", "Workload", "check_all", "check_quiescent", "load_scenario", "parse_faults",
    "replay", "run_round_schedule", "save_scenario", "simulate", "simulate_rounds", "snapshot",
    "snapshot_digest", "snapshot_json", "step",
]

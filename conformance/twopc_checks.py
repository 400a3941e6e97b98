"""``altledger verify`` provider for two-phase commit conformance and trace validation.

Checks:

* the suite checks (:mod:`altledger.conformance.suite_checks`): vectors
  valid and equal to a fresh generation; the reference and the fast
  implementation pass every vector through the subprocess runner; every
  broken client fails on the vectors it must fail;
* every run vector's trace is accepted by TLC against
  ``tla/TwoPhaseCommit.tla`` (figure: traces, steps);
* traces of a few seeded simulations with faults are accepted;
* a run-vector trace with one corrupted step (a commit that "forgets" to
  change the balances) is rejected at that step's line — the negative
  control showing that the trace checks can fail.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from altledger.conformance.checks import Check, Outcome, Progress, rejected_at
from altledger.conformance.suite_checks import suite_checks
from altledger.conformance.suites import suite
from altledger.conformance.twopc_traces import TLA_DIR, record_trace, validate_traces

GROUP = "tlc-trace"
SIMULATIONS = (("mild", 11), ("mild", 12), ("harsh", 13), ("harsh", 14))
CORRUPTED_VECTOR = "run/happy/three-participants"


def _run_vector_traces(progress: Progress) -> Outcome:
    from altledger.conformance.vectors import load_vectors
    vectors = [v for v in load_vectors(suite("twopc")) if v["kind"] == "run"]
    verdicts = validate_traces(vectors, progress=lambda i, n, v: progress(f"trace {i}/{n}: {v.id}"))
    rejected = [v for v in verdicts if not v.accepted]
    steps = sum(v.steps for v in verdicts)
    data = {"traces": len(verdicts), "steps": steps, "rejected": [v.as_json() for v in rejected],
            "seconds": [round(v.seconds, 2) for v in verdicts]}
    if rejected:
        return Outcome(False, f"{len(rejected)} of {len(verdicts)} traces rejected",
                       f"{rejected[0].id}: {rejected[0].summary}", data)
    return Outcome(True, f"{len(verdicts)} traces, {steps} steps, accepted", "", data)


def _simulation_traces(progress: Progress) -> Outcome:
    from altledger.reference.twopc import Workload, parse_faults, replay, simulate
    from altledger.reference.twopc.trace import TraceRecorder
    from altledger.tla.trace import validate_trace
    # At most 8 transactions: TLC's start-up grows with |Tx|! (see twopc_run_vectors).
    workload = Workload(agents=8, shards=3, txs=8, max_legs=3, max_amount=30, hot_agents=2, hot_share=0.3)
    results = []
    for faults, seed in SIMULATIONS:
        progress(f"simulating seed {seed} ({faults}) and validating its trace")
        run = simulate(seed, workload, parse_faults(faults))
        if run.violations:
            return Outcome(False, "invariant violated", f"seed {seed}: {run.violations[0]}")
        recorder = TraceRecorder(run.scenario.new_cluster(), labels=run.labels)
        replay(run.scenario, [recorder])
        with tempfile.TemporaryDirectory(prefix="altledger-sim-trace-") as tmp:
            path = Path(tmp) / "sim.trace.jsonl"
            recorder.write(path)
            verdict = validate_trace(path, TLA_DIR)
        results.append({"seed": seed, "faults": faults, "operations": len(run.scenario.operations),
                        "accepted": verdict.accepted, "steps": verdict.steps, "summary": verdict.summary()})
        if not verdict.accepted:
            return Outcome(False, f"seed {seed} rejected", verdict.summary(), {"runs": results})
    steps = sum(r["steps"] for r in results)
    return Outcome(True, f"{len(results)} seeded runs with faults, {steps} steps, accepted", "", {"runs": results})


def corrupt_first_commit(path: Path) -> int:
    """Make the first step that changes balances claim it did not (a participant that commits without
    applying its legs); return the corrupted file line."""
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines[1:], start=2):
        step = json.loads(line)
        if "balance" in step["changed"]:
            del step["changed"]["balance"]
            lines[number - 1] = json.dumps(step)
            path.write_text("\n".join(lines) + "\n")
            return number
    raise AssertionError("the trace has no step that changes a balance")


def _corrupted_trace(progress: Progress) -> Outcome:
    from altledger.conformance.vectors import load_vectors
    from altledger.tla.trace import validate_trace
    vector = load_vectors(suite("twopc"), pattern=CORRUPTED_VECTOR)[0]
    with tempfile.TemporaryDirectory(prefix="altledger-bad-trace-") as tmp:
        path = Path(tmp) / "corrupted.trace.jsonl"
        record_trace(vector, path)
        line = corrupt_first_commit(path)
        progress(f"validating {CORRUPTED_VECTOR} with line {line} corrupted")
        verdict = validate_trace(path, TLA_DIR)
    return rejected_at(verdict, line)


def checks() -> list[Check]:
    return suite_checks(suite("twopc")) + [
        Check(GROUP, "TwoPhaseCommit: every run vector's trace accepted", _run_vector_traces),
        Check(GROUP, "TwoPhaseCommit: seeded simulations with faults accepted", _simulation_traces),
        Check(GROUP, "TwoPhaseCommit: corrupted run-vector trace rejected (negative control)", _corrupted_trace),
    ]

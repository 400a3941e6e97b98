"""``altledger twopc``: simulate two-phase commit runs, replay operation files, write traces.

Exit codes: 0 every check held; 1 an invariant or termination check failed;
2 bad input (one line on stderr).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from altledger.reference.encoding import shard_of_agent
from altledger.reference.errors import AltledgerError
from altledger.reference.twopc.cluster import MAX_CLUSTER_SHARDS, Cluster
from altledger.reference.twopc.invariants import Violation, check_quiescent
from altledger.reference.twopc.scenario import Scenario, load_scenario, save_scenario
from altledger.reference.twopc.simulate import (PRESETS, Counts, Faults, Outcome, Run, Workload, outcome_of,
                                                parse_faults, simulate, simulate_rounds)
from altledger.reference.twopc.snapshot import snapshot, snapshot_digest
from altledger.reference.twopc.trace import TraceRecorder

MAX_LISTED = 40   # list transactions and balances one per line up to this many


def fail_cleanly(command: Callable) -> Callable:
    """Turn an AltledgerError into one line on stderr and exit code 2."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except AltledgerError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)
    wrapper.__name__ = command.__name__
    wrapper.__doc__ = command.__doc__
    return wrapper


def faults_option(value: str) -> Faults:
    try:
        return parse_faults(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.group("twopc")
def twopc_command() -> None:
    """Two-phase commit (spec/two_phase_commit.md): simulate runs, replay operation files."""


@twopc_command.command("simulate")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the only random generator.")
@click.option("--agents", type=click.IntRange(2), default=20, show_default=True, help="Agents a1.cns … aN.cns.")
@click.option("--shards", type=click.IntRange(1, MAX_CLUSTER_SHARDS), default=4, show_default=True, help="Shards K.")
@click.option("--txs", type=click.IntRange(0), default=20, show_default=True, help="Transactions to create.")
@click.option("--max-legs", type=click.IntRange(2, 16), default=4, show_default=True, help="Most legs per tx.")
@click.option("--faults", "faults_text", default="none", show_default=True,
              help=f"A preset ({', '.join(PRESETS)}) and/or key=probability settings, e.g. "
                   "'loss=0.05,dup=0.05,crash=0.01' (keys: loss dup crash recover reorder timeout flush).")
@click.option("--schedule", type=click.Choice(["random", "rounds"]), default="random", show_default=True,
              help="random: the seeded schedule with faults; rounds: the round schedule of §13.3, no faults.")
@click.option("--batch", type=click.IntRange(0), default=0, help="rounds: transactions per batch (0 = 2 per shard).")
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False), help="Write an altledger-trace/1 file.")
@click.option("--save-ops", type=click.Path(dir_okay=False), help="Write the operations as an altledger-2pc-ops/1 file.")
@click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False), help="Write the final snapshot (JSON).")
@click.option("--check-invariants/--no-check-invariants", default=True, show_default=True,
              help="Check §11 after every operation and in full at the end.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@fail_cleanly
def simulate_command(seed: int, agents: int, shards: int, txs: int, max_legs: int, faults_text: str, schedule: str,
                     batch: int, trace_path: str | None, save_ops: str | None, snapshot_path: str | None,
                     check_invariants: bool, as_json: bool) -> None:
    """Generate a seeded workload and run it to termination, checking the properties of §11."""
    faults = faults_option(faults_text)
    workload = Workload(agents=agents, shards=shards, txs=txs, max_legs=max_legs)
    if schedule == "rounds" and faults != PRESETS["none"]:
        raise click.BadParameter("the round schedule has no faults; omit --faults", param_hint="--faults")
    with submission_progress(txs, enabled=not as_json) as observers:
        if schedule == "rounds":
            result = simulate_rounds(seed, workload, batch=batch or 2 * shards, check_invariants=check_invariants,
                                     observers=observers)
        else:
            result = simulate(seed, workload, faults, check_invariants=check_invariants, observers=observers)
    extras = write_outputs(result.scenario, result.labels, trace_path, save_ops, snapshot_path, result.cluster)
    report = {
        "command": "simulate", "seed": seed, "schedule": schedule,
        "workload": {"agents": agents, "shards": shards, "txs": txs, "max_legs": max_legs},
        "faults": asdict(faults) if schedule == "random" else None,
        **summary(result.cluster, result.outcomes, result.counts, result.violations, result.checked,
                  result.seconds, terminated_required=True, cpu_seconds=result.cpu_seconds),
        **extras,
    }
    emit(report, as_json)


@twopc_command.command("replay")
@click.argument("ops_file", type=click.Path(dir_okay=False))
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False), help="Write an altledger-trace/1 file.")
@click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False), help="Write the final snapshot (JSON).")
@click.option("--check-invariants/--no-check-invariants", default=True, show_default=True,
              help="Check §11 after every operation and in full at the end.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@fail_cleanly
def replay_command(ops_file: str, trace_path: str | None, snapshot_path: str | None, check_invariants: bool,
                   as_json: bool) -> None:
    """Apply a saved operation list (altledger-2pc-ops/1) to a fresh cluster and report the result.

    A replay need not end terminated: transactions still running are shown
    as ``in progress`` and termination is reported, not required.
    """
    scenario = load_scenario(ops_file)
    cluster = scenario.new_cluster()
    recorder = TraceRecorder(cluster, scenario.label_of()) if trace_path else None
    run = Run(cluster, [recorder] if recorder else [], check_invariants)
    for op in scenario.operations:
        run.apply(op)
    result = run.finish(scenario)
    labels = scenario.label_of()
    outcomes = [outcome_of(cluster, labels[txid], tx, run.first_no) for txid, tx in cluster.transactions.items()]
    extras = {}
    if recorder is not None:
        extras["trace"] = {"path": trace_path, "steps": recorder.write(trace_path)}
    if snapshot_path:
        Path(snapshot_path).write_text(json.dumps(snapshot(cluster), indent=1) + "\n")
        extras["snapshot"] = snapshot_path
    safety = [v for v in result.violations if v.invariant != "Termination"]
    report = {"command": "replay", "file": ops_file,
              **summary(cluster, outcomes, result.counts, safety, check_invariants, result.seconds,
                        terminated_required=False, cpu_seconds=result.cpu_seconds),
              **extras}
    emit(report, as_json)


@contextmanager
def submission_progress(total: int, enabled: bool) -> Iterator[list]:
    """A rich progress bar of submitted transactions on a terminal (stderr); nothing otherwise."""
    if not enabled or total < 500 or not sys.stderr.isatty():
        yield []
        return
    from rich.console import Console
    from rich.progress import Progress
    seen: set[bytes] = set()
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("transactions submitted", total=total)

        def observe(cluster: Cluster, applied: Any) -> None:
            if applied.op[0] == "submit" and id(applied.op[1]) not in seen:
                seen.add(id(applied.op[1]))
                progress.advance(task)
        yield [observe]


def write_outputs(scenario: Scenario, labels: dict[bytes, str], trace_path: str | None, save_ops: str | None,
                  snapshot_path: str | None, cluster: Cluster) -> dict[str, Any]:
    """Write the requested files (the trace by replaying the recorded operations)."""
    from altledger.reference.twopc.scenario import replay
    extras: dict[str, Any] = {}
    if trace_path:
        recorder = TraceRecorder(scenario.new_cluster(), labels)
        replay(scenario, [recorder])
        extras["trace"] = {"path": trace_path, "steps": recorder.write(trace_path)}
    if save_ops:
        save_scenario(save_ops, scenario)
        extras["operations_file"] = save_ops
    if snapshot_path:
        Path(snapshot_path).write_text(json.dumps(snapshot(cluster), indent=1) + "\n")
        extras["snapshot"] = snapshot_path
    return extras


def summary(cluster: Cluster, outcomes: list[Outcome], counts: Counts, violations: list[Violation],
            checked: bool, seconds: float, terminated_required: bool, cpu_seconds: float | None = None) -> dict[str, Any]:
    """The machine-readable report shared by simulate and replay."""
    termination = check_quiescent(cluster)
    safety = [v for v in violations if v.invariant != "Termination"]
    names = cluster.agent_names
    agents = sorted(set(cluster.genesis) | {a for s in cluster.shards for a in s.balances} | {
        a for s in cluster.shards for a in s.nonces}, key=lambda a: names.get(a, a.hex()))
    home = {a: cluster.shards[shard_of_agent(a, cluster.shard_count)] for a in agents}
    balances = [{"agent": names.get(a, a.hex()), "id": a.hex(), "balance": str(home[a].balance(a)),
                 "nonce": str(home[a].nonce(a))} for a in agents]
    ok = not safety and (not termination or not terminated_required)
    return {
        "transactions": [{"label": o.label, "txid": o.txid.hex(), "status": o.status,
                          "reason": o.reason.name if o.reason else None} for o in outcomes],
        "balances": balances,
        "operations": {"total": counts.ops, "took_effect": dict(sorted(counts.by_name.items())),
                       "reordered_deliveries": counts.reordered},
        "invariants": {"checked": checked, "held": not safety, "violations": [str(v) for v in safety]},
        "terminated": not termination, "termination_problems": [str(v) for v in termination],
        "snapshot_digest": snapshot_digest(cluster),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3) if cpu_seconds is not None else None,
        "ok": ok,
    }


def emit(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(render_text(report))
    if not report["ok"]:
        sys.exit(1)


def render_text(report: dict[str, Any]) -> str:
    lines = []
    if report["command"] == "simulate":
        w = report["workload"]
        faults = (",".join(f"{k}={v:g}" for k, v in report["faults"].items()) if report["faults"]
                  else "none (round schedule)")
        lines.append(f"simulate: seed {report['seed']}, {w['agents']} agents, {w['shards']} shards, "
                     f"{w['txs']} transactions, schedule {report['schedule']}, faults {faults}")
    else:
        lines.append(f"replay: {report['file']}")
    txs = report["transactions"]
    status = Counter(t["status"] for t in txs)
    reasons = Counter(t["reason"] or "no NO vote" for t in txs if t["status"] == "aborted")
    lines.append(f"transactions: {status['committed']} committed, {status['aborted']} aborted"
                 + (f", {status['in progress']} in progress" if status["in progress"] else "")
                 + (" (" + ", ".join(f"{r} {n}" for r, n in reasons.most_common()) + ")" if reasons else ""))
    if len(txs) <= MAX_LISTED:
        for t in txs:
            why = f"  {t['reason']}" if t["reason"] and t["status"] != "committed" else ""
            lines.append(f"  {t['label']:<6} {t['txid'][:16]}  {t['status']}{why}")
    balances = report["balances"]
    if len(balances) <= MAX_LISTED:
        lines.append("balances:")
        for b in balances:
            lines.append(f"  {b['agent']:<12} {b['balance']:>10}  nonce {b['nonce']}")
    else:
        values = [int(b["balance"]) for b in balances]
        lines.append(f"balances: {len(values)} agents, total {sum(values)}, min {min(values)}, max {max(values)}")
    ops = report["operations"]
    lines.append(f"operations: {ops['total']} ("
                 + ", ".join(f"{k} {v}" for k, v in ops["took_effect"].items())
                 + f"; {ops['reordered_deliveries']} deliveries out of send order)")
    inv = report["invariants"]
    if not inv["checked"]:
        lines.append("invariants: not checked (--no-check-invariants)")
    elif inv["held"]:
        lines.append("invariants: all held (Atomicity, Validity, Conservation, LockExclusion, LocksReleased, "
                     "StoreMatchesLog, DerivedState; after every operation and in full at the end)")
    else:
        lines.append(f"invariants: VIOLATED ({len(inv['violations'])} reported)")
        lines.extend(f"  {v}" for v in inv["violations"][:20])
    if report["terminated"]:
        lines.append("termination: every transaction ended (no participant prepared, every coordinator idle)")
    else:
        lines.append("termination: NOT reached" + ("" if report["command"] == "simulate" else " (not required)"))
        lines.extend(f"  {p}" for p in report["termination_problems"][:20])
    seconds = report["seconds"] or 1e-9
    cpu = f", {report['cpu_seconds']:.3f} s CPU" if report.get("cpu_seconds") is not None else ""
    lines.append(f"time: {report['seconds']:.3f} s{cpu} ({ops['total'] / seconds:,.0f} operations/s, "
                 f"{len(txs) / seconds:,.0f} transactions/s, wall clock)")
    lines.append(f"snapshot digest: {report['snapshot_digest']}")
    for key in ("trace", "operations_file", "snapshot"):
        if key in report:
            value = report[key]
            lines.append(f"{key.replace('_', ' ')}: " + (f"{value['path']} ({value['steps']} steps)"
                                                       if isinstance(value, dict) else value))
    return "\n".join(lines)

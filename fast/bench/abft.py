"""``altledger bench abft``: events ordered per second, reference vs fast hashgraph, batch and incremental.

The DAGs are seeded simulator runs (``altledger abft simulate``: random
gossip, equal stakes, real Ed25519 signatures), made once per member count
and written to a temporary DAG file.  Every measurement runs in its own
subprocess, which reads that file *without* checking signatures (§9.3), so
neither DAG generation nor signature verification is timed, and each
process's peak memory is its own.

What one timed run is:

* ``batch``: ``consensus_output(dag)`` on a validated ``Dag`` whose event
  hashes are already computed (a fresh copy per run, so the reference's
  memo tables start empty): for fast, loading the events into arrays, the
  kernels, and building the §8.1 JSON structure.
* ``incremental``: a new ``IncrementalConsensus``; every event ``add``-ed
  one at a time (each add validates §2.2 and hashes the event in the
  reference ``Dag``, as the interface requires), then ``output()`` once.
  The fast backend brings the consensus up to date at *every* add (§7
  included); the reference computes lazily, at ``output()``.
* ``incremental-kernels`` (fast only): the same one-event-at-a-time kernel
  calls on pre-validated, pre-hashed events — what the incremental path
  costs beyond the reference ``Dag``'s validation and hashing.

Fast is run once untimed (it loads the compiled kernels from Numba's
cache), then each measurement ``--runs`` times; the median is reported, in wall-clock and in
process CPU time (the machine may be shared: the load average is
recorded).  Then one more untimed run under ``tracemalloc`` gives the peak
of Python objects and NumPy arrays (Numba's internal scratch arrays are
not counted), and ``ru_maxrss`` the process's peak resident memory
(interpreter, libraries and the DAG included).

The reference is slow (quadratic-ish in practice), so by default it is
timed on the first ``--reference-events`` events of each DAG; fast is then
also run on that prefix, and its output must equal the reference's
(digest of the canonical JSON).  Fast's batch and incremental outputs on
the whole DAG must be equal too.  A mismatch is a failure (exit 1), not a
number.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import click

from altledger.fast.bench.timing import Timing, machine_description
from altledger.reference.errors import AltledgerError, ToolError

LIBRARIES = ["numba", "numpy", "pynacl"]
MODES = {"reference": ["batch", "incremental"], "fast": ["batch", "incremental", "incremental-kernels"]}
TARGETS = {16: 100_000, 64: 25_000}        # fast batch, events/s on one core (issue #4 §8)


def output_digest(output: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(output, sort_keys=True).encode()).hexdigest()


# -- the worker (one measurement per process) ----------------------------------------------------


def prepare(impl: str, mode: str, dag: Any) -> tuple[Callable[[], Any], Callable[[Any], Any]]:
    """(make fresh inputs — untimed, run — timed) for one measurement."""
    from altledger.reference.abft.backends import get_backend

    backend = get_backend(impl)
    if mode == "batch":
        return (lambda: dag.prefix(len(dag))), backend.consensus_output
    items = [(dag.event(x), dag.label(x)) for x in dag]
    if mode == "incremental":
        def incremental(session: Any) -> dict[str, Any]:
            for event, label in items:
                session.add(event, label, check_signature=False)
            return session.output()
        return (lambda: backend.IncrementalConsensus(dag.members, dag.coin_period, dag.source)), incremental
    if mode == "incremental-kernels" and impl == "fast":
        from altledger.fast.abft.state import FastState
        events, hashes = [dag.event(x) for x in dag], list(dag)

        def kernels(state: Any) -> Any:
            for i in range(len(events)):
                state.load(events[i:i + 1], hashes[i:i + 1], dag.position)
                state.run(order_each=True)
            return state.columns()
        return (lambda: FastState(dag.members, dag.coin_period)), kernels
    raise ToolError(f"unknown measurement {impl}/{mode}")


def measure_in_this_process(path: str, impl: str, mode: str, events: int, runs: int) -> dict[str, Any]:
    from altledger.reference.abft.dagfile import read_dag_file

    dag = read_dag_file(path, check_signatures=False)
    if events < len(dag):
        dag = dag.prefix(events)
    fresh, run = prepare(impl, mode, dag)
    if impl == "fast":
        result = run(fresh())                               # untimed warm-up: loads the cached kernels
    wall, cpu = [], []
    for _ in range(runs):
        inputs = fresh()
        start, cpu_start = time.perf_counter(), time.process_time()
        result = run(inputs)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    inputs = fresh()
    tracemalloc.start()
    run(inputs)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"impl": impl, "mode": mode, "events": len(dag), "wall": wall, "cpu": cpu,
            "digest": output_digest(result) if isinstance(result, dict) else None,
            "traced_peak_bytes": traced_peak,
            "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def measure(path: Path, impl: str, mode: str, events: int, runs: int) -> dict[str, Any]:
    """:func:`measure_in_this_process` in a fresh subprocess (its own peak memory)."""
    args = json.dumps({"path": str(path), "impl": impl, "mode": mode, "events": events, "runs": runs})
    proc = subprocess.run([sys.executable, "-m", "altledger.fast.bench.abft", args], capture_output=True, text=True)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise ToolError(f"measurement {impl}/{mode} on {path.name} failed: {tail[0]}")
    return json.loads(proc.stdout)


# -- the command ---------------------------------------------------------------------------------


def timing_of(members: int, m: dict[str, Any]) -> Timing:
    events = m["events"]
    median_wall, median_cpu = statistics.median(m["wall"]), statistics.median(m["cpu"])
    return Timing(
        operation=f"order {events} events, N={members} ({m['mode']})", implementation=m["impl"],
        runs=len(m["wall"]), inner=1, median_s=median_wall, min_s=min(m["wall"]), max_s=max(m["wall"]),
        cpu_median_s=median_cpu,
        notes={"members": members, "mode": m["mode"], "events": events,
               "events_per_s": round(events / median_wall), "events_per_cpu_s": round(events / median_cpu),
               "traced_peak_mib": round(m["traced_peak_bytes"] / 2 ** 20, 1),
               "max_rss_mib": round(m["max_rss_bytes"] / 2 ** 20, 1)})


def print_table(timings: list[Timing], machine: dict[str, Any], notes: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="altledger bench abft (events ordered per second; medians)")
    for column in ("N", "impl", "mode", "events"):
        table.add_column(column, justify="right" if column in ("N", "events") else "left")
    for column in ("median", "events/s", "events/CPU-s", "traced peak", "max RSS"):
        table.add_column(column, justify="right")
    for t in timings:
        n = t.notes
        table.add_row(str(n["members"]), t.implementation, n["mode"], str(n["events"]), f"{t.median_s:.3f} s",
                      f"{n['events_per_s']:,}", f"{n['events_per_cpu_s']:,}", f"{n['traced_peak_mib']} MiB",
                      f"{n['max_rss_mib']} MiB")
    console = Console() if sys.stdout.isatty() else Console(width=160)
    console.print(table)
    for line in notes:
        console.print(line, highlight=False)
    console.print(f"machine: {machine['cpu']}, {machine['cores']} cores, load before {machine['load_before']}, "
                  f"after {machine['load_average_1_5_15_min']}, {machine['os']}, Python {machine['python']}; "
                  + ", ".join(f"{k} {v}" for k, v in machine["libraries"].items()), highlight=False)


@click.command("abft")
@click.option("--members", "-n", "member_counts", type=click.IntRange(2, 1000), multiple=True,
              help="Member counts N (repeat the option); default 4, 16 and 64.")
@click.option("--events", "-e", type=click.IntRange(10, 10 ** 6), default=10_000, show_default=True,
              help="Events per simulated DAG.")
@click.option("--runs", "-r", type=click.IntRange(1, 100), default=3, show_default=True,
              help="Timed runs per measurement (after one untimed warm-up); the median is reported.")
@click.option("--reference-events", type=click.IntRange(0, 10 ** 6), default=2_000, show_default=True,
              help="Time the reference on this prefix of each DAG (0: the whole DAG; it is slow).")
@click.option("--seed", type=click.IntRange(0, 2 ** 64 - 1), default=1, show_default=True,
              help="Simulator seed.")
@click.option("--json", "as_json", is_flag=True, help="Print the results and the machine as JSON.")
def abft_bench(member_counts: tuple[int, ...], events: int, runs: int, reference_events: int, seed: int,
               as_json: bool) -> None:
    """Events ordered per second: reference vs fast hashgraph, batch and incremental (see module docs)."""
    from rich.console import Console

    from altledger.reference.abft.dagfile import write_dag_file
    from altledger.reference.abft.simulate import simulate

    console = Console(stderr=True)
    status = console.status("") if console.is_terminal else None
    progress = status.update if status else (lambda message: None)
    if status:
        status.start()
    load_before = [round(x, 2) for x in os.getloadavg()]
    timings: list[Timing] = []
    notes: list[str] = []
    failures: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="altledger-bench-abft-") as folder:
            for n in member_counts or (4, 16, 64):
                progress(f"N={n}: simulating {events} events")
                path = Path(folder) / f"dag-{n}.json"
                started = time.perf_counter()
                write_dag_file(path, simulate(n, events, seed).dag)
                notes.append(f"N={n}: DAG of {events} events simulated (seed {seed}) in "
                             f"{time.perf_counter() - started:.1f} s (not timed)")
                prefix = events if reference_events == 0 else min(events, reference_events)
                results = {}
                for impl, mode, count in ([("fast", mode, events) for mode in MODES["fast"]]
                                          + [("reference", mode, prefix) for mode in MODES["reference"]]
                                          + ([("fast", "batch", prefix)] if prefix < events else [])):
                    progress(f"N={n}: {impl} {mode} on {count} events")
                    m = measure(path, impl, mode, count, runs)
                    results[(impl, mode, count)] = m
                    timings.append(timing_of(n, m))     # fast batch on the prefix too: like for like
                full, part = results[("fast", "batch", events)], results[("fast", "batch", prefix)]
                if results[("fast", "incremental", events)]["digest"] != full["digest"]:
                    failures.append(f"N={n}: fast incremental output differs from fast batch")
                for mode in MODES["reference"]:
                    if results[("reference", mode, prefix)]["digest"] != part["digest"]:
                        failures.append(f"N={n}: fast output differs from the reference ({mode}) "
                                        f"on the first {prefix} events")
                if prefix < events:
                    notes.append(f"N={n}: the reference is timed on the first {prefix} of {events} events; "
                                 f"fast's output on that prefix equals it")
                target = TARGETS.get(n)
                if target:
                    rate = timing_of(n, full).notes["events_per_cpu_s"]
                    notes.append(f"N={n}: target fast batch >= {target:,} events/s: "
                                 f"{'met' if rate >= target else 'MISSED'} ({rate:,} events per CPU-second)")
    except AltledgerError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(2) from None
    finally:
        if status:
            status.stop()
    machine = {**machine_description(LIBRARIES), "load_before": load_before}
    if as_json:
        json.dump({"benchmark": "abft", "machine": machine, "results": [t.as_json() for t in timings],
                   "notes": notes, "failures": failures}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_table(timings, machine, notes)
        for failure in failures:
            click.echo(f"FAILURE: {failure}", err=True)
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":       # the worker: python -m altledger.fast.bench.abft '{"path": …}'
    spec = json.loads(sys.argv[1])
    json.dump(measure_in_this_process(spec["path"], spec["impl"], spec["mode"], spec["events"], spec["runs"]),
              sys.stdout)

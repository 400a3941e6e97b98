"""``altledger bench twopc``: round-schedule throughput, reference vs fast (1 and 2 workers).

What is measured: transfers per second of the round schedule of
spec/two_phase_commit.md §13.3 over a seeded workload (``--transfers``
cross-agent transfers in batches of ``--batch`` over ``--shards`` shards and
``--agents`` agents; ``altledger.fast.twopc.workload``), from genesis:

* **reference** — ``Cluster(K, genesis)`` then ``run_round_schedule(cluster,
  batch)`` per batch; only those calls are timed.  Its txid/§3-fact memo
  (``reference.twopc.txfacts``) is filled before timing, so the reference is
  timed *without* encoding and hashing transactions — in its favour;
* **fast, N workers** — ``run_batches(K, genesis, batches, workers=N,
  engine=E)``: N shard groups side by side, group 0 in the process that
  calls it (here each run's own child process, below) and N − 1 in forked
  worker processes (1 worker: nothing is forked).  Timed whole: forking, turning every transaction into compact
  form, all rounds, and collecting the final state, logs and every message,
  until ``run_batches`` returns (the workers exit once this process has
  merged their answers, and it does not wait for them to finish exiting; the
  benchmark lets them exit before the next timed run, so every run starts on
  idle cores, and counts their CPU time).  ``--engine auto`` (default) runs
  the compiled kernel (``fast.twopc.kernel``; loaded before timing, by each
  run's untimed run) and ``--engine python`` the rules as Python methods
  (``FastShard``).  ``--input wire`` gives the fast runs each batch as its
  transactions' canonical encodings (``fast.twopc.wire.EncodedBatch``),
  which the compiled engine reads as bytes; checking the encodings happens
  once, when the batches are made, as constructing a ``CrossAgentTx`` checks
  it (reported as ``wire_check_ms``, not part of a timed run).  The reference
  runs on the objects either way, without decoding — in its favour.

Every timed run's result is checked, not assumed: outcomes, store, logs,
buffers, coordinator tables, every message with its send number and the
registration order are digested (``altledger.fast.twopc.compare``) and must
equal the reference's; a fast run that differs is reported as a failure (exit
1), never as a number.  Every reference run, and every fast run with its
check, runs in a forked child process of its own (``_in_child``): the
benchmark's process holds little more than the input, instead of a heap grown
by hundreds of megabytes of objects; and each fast run is timed after an
untimed run of the same configuration in its process, so that no run pays for
page faults left behind by another configuration's forks (``_fast_run`` says
why that matters).  The fast configurations take turns run by run.

Timings are wall-clock medians over ``--runs`` (the shared
:mod:`altledger.fast.bench.timing` format), with min and max, the CPU seconds
(the run's process plus its workers) and the 1-minute load average before and after
each implementation's runs: on a shared machine a parallel speed-up can only
show when a second core is actually free.  Because of that, the summary also
gives ``projected_workers_2_vs_1_from_cpu``: the ratio of the runs' critical
paths in CPU time (busiest group, plus what the run's process spent besides
running group 0), i.e. what 2 workers would gain if each had a core and
waiting were free — a projection, never reported as
the measured speed-up.  (Workers poll for up to half a millisecond before
they sleep while waiting for a peer, so short waits count as CPU time too.)

**What the machine gives two processes** (``--pair``, on by default with 1 worker
among ``--workers``): each round of runs also times two 1-worker runs at once,
each in a process of its own, their timed runs started together at a barrier
(``_pair_run``); the pair's time is the slower of the two, and the summary's
``independent_pair_vs_1`` is twice the 1-worker median over the pair's median.
The two processes do the same whole work and never wait for each other, so
this is what running two processes side by side gains on this machine at this
moment, with nothing divided and nothing exchanged: a reference point for
``workers_2_vs_1``, not a bound on it (two groups each hold only half of the
state).  Both runs' results are checked like every other fast run's.

Each configuration also reports where its time went: per group, the median
over its runs of each phase of the run (``phases_ms_median``; the text report
ends with it as a table; :mod:`altledger.fast.twopc.phases` defines the
phases).  It shows which work a second group divides and which it does not.

On the 2-core machine these figures were taken on, the 1-to-2-worker gain is
bounded by reading the input (2026-11-22, 100,000 transfers, medians of 15
runs in each of 3 invocations): reading took 178–192 ms in one group and
165–176 ms in *each* of two, which read half the input each, while the
rounds' compute went from 134–155 ms to 77–96 ms and taking the parts from
43–46 ms to 25–27 ms.  Reading a transaction's Python objects writes to the
pages holding them (reference counts); after a fork those pages are shared
copy-on-write, so each first write to one costs a page fault and a copy, in
the worker and in this process alike.  Measured earlier: 1.6 µs per
transaction read with no fork, 2.7–2.9 µs in each of two processes after one
(0.3 page faults per transaction, about 3.5 µs each on this virtual
machine).  Two groups also pay for what one does not: the fork and the
worker's start (11–14 ms before a group begins), making their state in
freshly forked processes (7–9 ms against 1 ms), swapping parts (8–9 ms) and
the exchanges between rounds (18–30 ms).  Two processes doing random
memory accesses at once also each ran 26–36 % slower than one alone (a NumPy
scatter loop); and since the groups proceed round by round in lockstep, a
pause of either core delays both, so the gain varies more from run to run
than either time does.

With ``--input wire`` (2026-11-22, 11 runs in each of 2 invocations) one
worker took 0.258–0.263 s instead of 0.37 s, reading in 58–61 ms instead of
about 170 ms; but reading still did not divide (55–60 ms in each of two
groups), and 2 workers gained only 1.04–1.15×.  Reading bytes writes to no
shared page, but the NumPy work that cuts a share into parts writes fresh
arrays, and after a fork both processes' heaps are copy-on-write: the read
phase's page faults went from about 1,800 in one group to 3,500–4,000 in
each of two.

With ``--pool`` (``fast.twopc.pool.BatchPool``: workers started once as fresh
interpreters, nothing forked per run, the wire input handed over through an
in-memory file; 2026-11-22, ``--input wire``, 11 runs in each of 3
invocations) 2 workers gained 1.09×, 1.13× and 1.20× (pooled over the 33
runs: 0.281 s and 0.247 s, 1.14×); one forked-worker invocation in the same
hour gave 1.19×, so the gain over forking is within this machine's drift
(one worker's median went from 0.258 to 0.324 s during the session).  The
pool removes what the fork cost — making state in the worker (1.4 ms instead
of 7–8) and reading's extra page faults (46–54 ms per group instead of
65–66) — but adds handing over the input (a group begins 16–23 ms after the
run starts instead of 13–15), and the rest stays: cutting a share into two
groups' parts costs more than into one (measured alone: half of the input
into 2 parts 34 ms, all of it into 1 part 58 ms), the swap (7–9 ms) and the
exchanges between rounds (21–24 ms over about 500 rounds).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from rich.console import Console

from altledger.fast.bench.timing import Timing, emit, machine_description
from altledger.fast.twopc.phases import GroupPhases
from altledger.reference.errors import AltledgerError

TARGET_SPEEDUP = 20.0          # fast (1 worker) vs reference, from the issue
TARGET_SCALING = 1.6           # fast 2 workers vs 1 worker


def _load() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return -1.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timing(name: str, implementation: str, seconds: list[float], cpu: list[float], loads: list[float],
            transfers: int, extra: dict[str, Any] | None = None) -> Timing:
    median = statistics.median(seconds)
    notes = {"transfers": transfers, "transfers_per_s": round(transfers / median),
             "seconds_per_run": [round(s, 3) for s in seconds],
             "cpu_s_per_run": [round(c, 3) for c in cpu],          # fast: parent plus worker processes
             "load_1min_before_after": loads, **(extra or {})}
    return Timing(operation=name, implementation=implementation, runs=len(seconds), inner=1, median_s=median,
                  min_s=min(seconds), max_s=max(seconds), cpu_median_s=statistics.median(cpu), notes=notes)


def _in_child(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` run in a forked child process; its result (pickled back).

    The reference runs and the checks of fast results allocate hundreds of megabytes of Python
    objects; done in this process they would leave its heap large and fragmented, and every later
    fork of a fast run (page tables) and its workers' copy-on-write page copies would pay for it
    (both fast configurations measured about 0.1 s slower after one reference run in-process).
    """
    return _in_children([(function, args)])[0]


def _in_children(calls: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> list[Any]:
    """Each ``function(*args)`` of ``calls`` in a forked child process of its own, all at once;
    their results, in order (``_in_child``)."""
    context = multiprocessing.get_context("fork")
    children = []

    def target(send: Any, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            send.send(("ok", function(*args)))
        except BaseException:
            send.send(("error", traceback.format_exc()))
    for function, args in calls:
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=target, args=(send, function, args))
        process.start()
        send.close()
        children.append((process, receive))
    answers = []
    for process, receive in children:
        try:
            answer = receive.recv()
        except EOFError:
            answer = None
        finally:
            receive.close()
            process.join()
        answers.append(answer or ("error", f"it exited unexpectedly (exit code {process.exitcode})"))
    errors = [value for status, value in answers if status != "ok"]      # all of them: one child's failure
    if errors:                                                           # can make another fail (a pair)
        raise AltledgerError("a benchmark helper process failed: " + "\n".join(errors))
    return [value for _, value in answers]


def _reference_run(shards: int, genesis: dict[bytes, int], batches: list[list[Any]]) -> tuple[float, float, Any]:
    """One timed reference run (in a child process): seconds, CPU seconds, comparable digest.  Its
    txid/§3-fact memo is filled before timing (module docstring)."""
    from altledger.fast.twopc.compare import run_reference
    from altledger.reference.twopc.txfacts import facts, txid_of
    for each in batches:
        for tx in each:
            txid_of(tx)
            facts(tx, shards)
    run = run_reference(shards, genesis, batches)
    return run.seconds, run.cpu_seconds, run.comparable


@dataclass
class _FastRun:
    seconds: float               # wall clock of the timed run_batches call
    cpu: float                   # CPU seconds of the run: this process plus its worker processes
    critical: float              # busiest group's CPU plus what the process spent besides group 0
    engine: str
    comparable: Any              # the result, comparable with the reference's (compare.fast_comparable)
    phases: list[dict[str, float]]   # per group, milliseconds in each phase (fast.twopc.phases)
    merged_ms: float             # milliseconds from the run's start until its merged result
    pool_start_s: float | None = None    # with --pool: starting the pool (untimed)


def _fast_run(shards: int, genesis: dict[bytes, int], batches: list[list[Any]], count: int,
              engine: str, use_pool: bool = False, start_together: Any = None) -> _FastRun:
    """One timed fast run, in a child process of its own (``_in_child``), after an untimed run of
    the same configuration in that process.

    Why a process of its own, warmed by the same configuration: after a fork, every page a process
    shares with its child is write-protected, in both, and the first write to each page afterwards
    faults (a copy while the child lives, a cheaper fault after it exited).  Reading the input
    writes to the page of every object read (reference counts).  Timed in the benchmark's own
    process, a 1-worker run (which forks nothing) paid for the faults of the forks before it —
    the checks' child processes and the 2-worker runs' workers: 0.42–0.76 s instead of about
    0.36 s (2026-11-22).  Here the untimed run has already written to every page the timed run
    reads, as in a process that runs this configuration batch after batch, and only the timed
    run's own forks (2 workers) cost it faults.  The result is compared after timing.

    ``use_pool``: the runs go through a ``fast.twopc.pool.BatchPool`` started first (untimed, its
    start-up reported): persistent workers, not forked from this process.  Their CPU time is
    what each reports for its part of the timed run.

    ``start_together``: a barrier that this run's timed run waits at before it starts, so that
    another process's run can start at the same moment (``_pair_run``).
    """
    from altledger.fast.twopc import run_batches
    from altledger.fast.twopc.compare import fast_comparable
    from altledger.fast.twopc.workers import settle as settle_forked
    pool = None
    settle = settle_forked
    if use_pool:
        from altledger.fast.twopc.pool import BatchPool
        pool = BatchPool(count)
        settle = pool.settle
    try:
        run_batches(shards, genesis, batches, workers=count, engine=engine, pool=pool)
        settle()                                    # its workers are idle (have exited): idle cores
        if start_together is not None:
            start_together.wait(PAIR_WAIT_SECONDS)
        cpu_start, children_start = time.process_time(), _children_cpu()
        start = time.perf_counter()
        result = run_batches(shards, genesis, batches, workers=count, engine=engine, pool=pool)
        elapsed = time.perf_counter() - start
        own_cpu = time.process_time() - cpu_start
        settle()                                    # reaped, so their CPU time is counted below
    except BaseException:
        if start_together is not None:
            start_together.abort()                  # the other run of the pair stops waiting for this one
        raise
    finally:
        if pool is not None:
            pool.close()
    if pool is not None and result.engine == "numba":
        used = own_cpu + sum(result.worker_cpu[1:])
    else:
        used = own_cpu + _children_cpu() - children_start
    # the busiest group's CPU plus what this process spent besides running group 0: the run's length
    # if every group had a core and waiting cost nothing (a projection, not a measurement)
    critical = max(result.worker_cpu) + own_cpu - result.worker_cpu[0]
    return _FastRun(elapsed, used, critical, result.engine, fast_comparable(result),
                    [phases.as_milliseconds() for phases in result.phases], round(result.merged_at * 1e3, 1),
                    round(pool.start_seconds, 3) if pool is not None else None)


PAIR_LABEL = "fast, 1 worker, 2 runs at once"
PAIR_WAIT_SECONDS = 600.0       # how long one run of a pair waits for the other to be ready


def _pair_run(shards: int, genesis: dict[bytes, int], batches: list[list[Any]], engine: str,
              use_pool: bool) -> list[_FastRun]:
    """Two 1-worker runs (``_fast_run``), each in a process of its own, their timed runs started at
    the same moment: what this machine gives two processes that do the same work and never wait
    for each other.  The slower of the two is the pair's time; ``summary`` reports
    ``independent_pair_vs_1`` from it (module docstring)."""
    barrier = multiprocessing.get_context("fork").Barrier(2)
    return _in_children([(_fast_run, (shards, genesis, batches, 1, engine, use_pool, barrier))] * 2)


def phase_medians(runs: list[_FastRun]) -> dict[str, Any]:
    """Where a configuration's time went: per group, the median over its runs of each phase
    (``fast.twopc.phases``), and of the time until the merged result, in milliseconds."""
    medians: dict[str, Any] = {
        f"group {g}": {name: round(statistics.median(run.phases[g][name] for run in runs), 1) for name in phases}
        for g, phases in enumerate(runs[0].phases)}
    medians["merged"] = round(statistics.median(run.merged_ms for run in runs), 1)
    return medians


def phase_table(timings: list[Timing]) -> str:
    """``phase_medians`` of every fast configuration as a text table, one row per group."""
    names = list(GroupPhases.__dataclass_fields__)
    lines = [f"where the time went (median ms; {', '.join(names)}: fast.twopc.phases):",
             f"  {'':<24}" + "".join(f"{name:>9}" for name in names) + f"{'merged':>9}"]
    for timing in timings:
        medians = timing.notes.get("phases_ms_median")
        for key, phases in (medians or {}).items():
            if key != "merged":
                merged = medians["merged"] if key == "group 0" else ""
                lines.append(f"  {timing.implementation + ', ' + key:<24}"
                             + "".join(f"{phases[name]:>9}" for name in names) + f"{merged:>9}")
    return "\n".join(lines)


def _label(count: int) -> str:
    return f"fast, {count} worker{'s' if count > 1 else ''}"


def run_benchmark(transfers: int, shards: int, agents: int, batch: int, seed: int, runs: int,
                  reference_runs: int, workers: list[int], progress: Callable[[str], None],
                  engine: str = "auto", input_form: str = "objects", use_pool: bool = False,
                  pair: bool = False) -> dict[str, Any]:
    from altledger.fast.twopc.workload import TransferWorkload, make_workload

    progress(f"generating {transfers} transfers over {shards} shards")
    workload = TransferWorkload(transfers=transfers, shards=shards, agents=agents, batch=batch)
    genesis, batches = make_workload(seed, workload)
    fast_input, check_ms = _fast_input(batches, input_form)

    timings: list[Timing] = []
    load_before = _load()
    seconds, cpu = [], []
    expected = None
    for i in range(reference_runs):
        progress(f"reference run {i + 1}/{reference_runs} (about a millisecond per transfer)")
        elapsed, used, comparable = _in_child(_reference_run, shards, genesis, batches)
        seconds.append(elapsed)
        cpu.append(used)
        if expected is None:
            expected = comparable
        elif expected.differences(comparable):
            raise AltledgerError(f"the reference is not deterministic: {expected.differences(comparable)}")
    assert expected is not None
    timings.append(_timing("round schedule", "reference", seconds, cpu, [load_before, _load()], transfers,
                           {"committed": expected.committed, "aborted": expected.aborted,
                            "messages": expected.messages}))

    # The fast configurations take turns run by run (1, 2, 1, 2, ...), so that a drift in the
    # machine's speed during the benchmark affects them alike; each run in a process of its own
    # (_fast_run, which says why).
    failures: list[str] = []
    measured: dict[int, dict[str, list[float]]] = {count: {"seconds": [], "cpu": [], "critical": []}
                                                   for count in workers}
    fast_runs: dict[int, list[_FastRun]] = {count: [] for count in workers}
    loads: dict[int, list[float]] = {count: [_load()] for count in workers}
    ran: dict[int, str] = {}
    pair_runs: list[list[_FastRun]] = []
    pair_load = _load()

    def check(run: _FastRun, which: str) -> None:
        """A fast run whose result differs from the reference's is a failure, never a number."""
        differences = expected.differences(run.comparable)
        if differences:
            failures.append(f"{which}: differs from the reference in {', '.join(differences)}")
    for i in range(1, runs + 1):
        for count in workers:
            progress(f"{_label(count)}: run {i}/{runs}")
            run = _in_child(_fast_run, shards, genesis, fast_input, count, engine, use_pool)
            check(run, f"{_label(count)}, run {i}")
            measured[count]["seconds"].append(run.seconds)
            measured[count]["cpu"].append(run.cpu)
            measured[count]["critical"].append(run.critical)
            fast_runs[count].append(run)
            ran[count] = run.engine
        if pair:
            progress(f"{PAIR_LABEL}: run {i}/{runs}")
            both = _pair_run(shards, genesis, fast_input, engine, use_pool)
            for k, run in enumerate(both):
                check(run, f"{PAIR_LABEL}, run {i} ({k + 1} of 2)")
            pair_runs.append(both)
    for count in workers:
        loads[count].append(_load())
        timings.append(_timing("round schedule", _label(count), measured[count]["seconds"], measured[count]["cpu"],
                               loads[count], transfers,
                               {"engine": ran[count],
                                "critical_path_cpu_s_per_run": [round(c, 3) for c in measured[count]["critical"]],
                                "phases_ms_median": phase_medians(fast_runs[count]),
                                **({"pool_start_s_median": statistics.median(run.pool_start_s or 0.0
                                                                             for run in fast_runs[count])}
                                   if use_pool else {})}))
    if pair_runs:                    # the pair's time: the slower of its two runs; its rate: both runs' transfers
        timings.append(_timing("round schedule", PAIR_LABEL, [max(a.seconds, b.seconds) for a, b in pair_runs],
                               [a.cpu + b.cpu for a, b in pair_runs], [pair_load, _load()], 2 * transfers,
                               {"engine": pair_runs[0][0].engine,
                                "each_run_s": [[round(a.seconds, 3), round(b.seconds, 3)] for a, b in pair_runs]}))
    return {"timings": timings, "failures": failures, "workload": workload, "batches": len(batches),
            "wire_check_ms": check_ms}


def _fast_input(batches: list[list[Any]], input_form: str) -> tuple[list[Any], float | None]:
    """The fast runs' input: the batches themselves, or in wire form (``fast.twopc.wire``); and for the
    wire form, the milliseconds that checking every encoding took (done once, when the batches are
    made, as constructing a ``CrossAgentTx`` checks it — not part of a timed run).

    The wire batches keep the objects they were encoded from as their decoded form, so comparing
    a result with the reference's decodes nothing; the runs read only the bytes."""
    if input_form == "objects":
        return batches, None
    from altledger.fast.twopc.wire import EncodedBatch
    encoded = [EncodedBatch.of(batch) for batch in batches]
    start = time.perf_counter()
    for batch in encoded:
        EncodedBatch(batch.data)
    return encoded, round((time.perf_counter() - start) * 1e3, 1)


def summary(timings: list[Timing], workers: list[int]) -> dict[str, Any]:
    """Speed-ups from the medians, and whether the issue's targets are met."""
    by_name = {t.implementation: t for t in timings}
    reference = by_name["reference"].median_s
    out: dict[str, Any] = {}
    for count in workers:
        fast = by_name[_label(count)]
        out[f"fast_{count}_vs_reference"] = round(reference / fast.median_s, 2)
    if 1 in workers:
        out["target_fast_vs_reference"] = TARGET_SPEEDUP
        out["met_fast_vs_reference"] = out["fast_1_vs_reference"] >= TARGET_SPEEDUP
    if 1 in workers and 2 in workers:
        one, two = by_name["fast, 1 worker"], by_name["fast, 2 workers"]
        out["workers_2_vs_1"] = round(one.median_s / two.median_s, 2)
        out["target_workers_2_vs_1"] = TARGET_SCALING
        out["met_workers_2_vs_1"] = out["workers_2_vs_1"] >= TARGET_SCALING
        critical = [statistics.median(t.notes["critical_path_cpu_s_per_run"]) for t in (one, two)]
        out["projected_workers_2_vs_1_from_cpu"] = round(critical[0] / critical[1], 2)   # not a measurement
    if PAIR_LABEL in by_name:                      # (timed only beside 1 worker) twice the work at once
        out["independent_pair_vs_1"] = round(2 * by_name["fast, 1 worker"].median_s / by_name[PAIR_LABEL].median_s, 2)
    return out


def _workers(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated worker counts, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise click.BadParameter("worker counts must be at least 1")
    return sorted(set(values))


@click.command("twopc")
@click.option("--transfers", type=click.IntRange(1, 10_000_000), default=100_000, show_default=True,
              help="Cross-agent transfers in the workload.")
@click.option("--shards", type=click.IntRange(1, 4096), default=16, show_default=True)
@click.option("--agents", type=click.IntRange(4, 10_000_000), default=10_000, show_default=True,
              help="Agents (accounts); fewer means more lock conflicts.")
@click.option("--batch", type=click.IntRange(1, 10_000_000), default=1_000, show_default=True,
              help="Transfers per round-schedule batch.")
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True)
@click.option("--runs", type=click.IntRange(1, 100), default=7, show_default=True,
              help="Timed runs per fast configuration, each in a process of its own after an untimed run "
                   "there; a run takes well under a second, and on a shared machine a few runs can be "
                   "slowed by others, so take several.")
@click.option("--reference-runs", type=click.IntRange(1, 100), default=None,
              help="Timed reference runs (default: 3, or --runs if fewer; each takes about a minute at "
                   "the defaults).")
@click.option("--workers", "workers_text", default="1,2", show_default=True,
              help="Comma-separated fast worker-process counts.")
@click.option("--engine", type=click.Choice(["auto", "numba", "python"]), default="auto", show_default=True,
              help="Fast batch engine: the compiled kernel, or FastShard's Python methods.")
@click.option("--input", "input_form", type=click.Choice(["objects", "wire"]), default="objects", show_default=True,
              help="The fast runs' input: CrossAgentTx objects, or each batch's canonical encodings "
                   "(fast.twopc.wire.EncodedBatch), which the compiled engine reads as bytes.")
@click.option("--pool/--fork", "use_pool", default=False, show_default=True,
              help="Run the fast configurations through a BatchPool (persistent workers started once, "
                   "untimed; fast.twopc.pool) instead of forking workers for each run.")
@click.option("--pair/--no-pair", default=True, show_default=True,
              help="Also time two 1-worker runs at once, in two processes that never wait for each other: "
                   "what this machine gives two processes (summary: independent_pair_vs_1).")
@click.option("--json", "as_json", is_flag=True, help="Print results, summary and machine as JSON.")
def twopc_bench(transfers: int, shards: int, agents: int, batch: int, seed: int, runs: int,
                reference_runs: int | None, workers_text: str, engine: str, input_form: str, use_pool: bool,
                pair: bool, as_json: bool) -> None:
    """Two-phase commit round schedule: transfers per second, reference vs fast with N workers."""
    workers = _workers(workers_text)
    if max(workers) > shards:
        raise click.BadParameter(f"at most one worker per shard ({shards})", param_hint="--workers")
    console = Console(stderr=True)
    status = console.status("") if console.is_terminal else None
    progress = status.update if status else (lambda message: None)
    if status:
        status.start()
    try:
        outcome = run_benchmark(transfers, shards, agents, batch, seed, runs, reference_runs or min(runs, 3),
                                workers, progress, engine, input_form, use_pool, pair and 1 in workers)
    except (AltledgerError, ValueError) as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(2) from None
    finally:
        if status:
            status.stop()
    machine = machine_description(["numpy", "numba"])
    if outcome["failures"]:
        for failure in outcome["failures"]:
            click.echo(f"FAILED: {failure}", err=True)
        click.echo("a fast result differs from the reference's: no speed is reported", err=True)
        raise SystemExit(1)
    timings = outcome["timings"]
    result_summary = summary(timings, workers)
    workload = outcome["workload"]
    setup = {"transfers": transfers, "shards": shards, "agents": agents, "batch": batch, "batches": outcome["batches"],
             "seed": seed, "hot_agents": workload.hot_agents, "max_legs": workload.max_legs, "engine": engine,
             "input": input_form, "wire_check_ms": outcome["wire_check_ms"],
             "workers_from": "pool" if use_pool else "fork"}
    machine["benchmark_setup"] = setup
    machine["summary"] = result_summary
    emit("twopc", timings, machine, as_json=as_json)
    if not as_json:
        rates = ", ".join(f"{t.implementation}: {t.notes['transfers_per_s']:,} transfers/s" for t in timings)
        click.echo(f"{rates}\nworkload: {setup}\nsummary: {result_summary}\n{phase_table(timings)}")

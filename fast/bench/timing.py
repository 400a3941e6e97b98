"""Shared benchmark helpers: time a callable, describe the machine, print results.

Why one module: every ``altledger bench`` sub-command (crypto, twopc, abft,
...) must report the same way -- median of several runs with min and max,
the machine it ran on, a table for people and JSON for CI -- so numbers from
different areas and machines can be compared.

Usage::

    timings = [measure("BLS Verify", "blst", lambda: backend.Verify(pk, m, s), runs=5, inner=20)]
    emit("crypto", timings, machine_description(["pyblst"]), as_json=False)
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass
class Timing:
    """Seconds per call of one operation: median, min and max over ``runs`` runs.

    Each run calls the operation ``inner`` times and divides, so operations
    of a few microseconds are not drowned by timer resolution.  ``cpu_median_s``
    is the same median in process CPU time: on a shared, loaded machine it
    stays close to the idle wall time while the wall time does not.
    """

    operation: str
    implementation: str
    runs: int
    inner: int
    median_s: float
    min_s: float
    max_s: float
    cpu_median_s: float
    notes: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def measure(operation: str, implementation: str, call: Callable[[], object], *, runs: int = 5,
            inner: int = 1, warmup: int = 1, notes: dict[str, Any] | None = None) -> Timing:
    """Time ``call``: ``warmup`` untimed calls, then ``runs`` timed runs of ``inner`` calls."""
    if runs < 1 or inner < 1:
        raise ValueError("runs and inner must be at least 1")
    for _ in range(warmup):
        call()
    per_call, cpu_per_call = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(inner):
            call()
        per_call.append((time.perf_counter() - start) / inner)
        cpu_per_call.append((time.process_time() - cpu_start) / inner)
    return Timing(operation, implementation, runs, inner, statistics.median(per_call),
                  min(per_call), max(per_call), statistics.median(cpu_per_call), dict(notes or {}))


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_description(libraries: Sequence[str] = ()) -> dict[str, Any]:
    """CPU, cores, load, OS, Python and the versions of ``libraries`` (distribution names).

    The load average is recorded because a shared machine can slow a run by
    several times; a number measured under load says so.
    """
    versions = {}
    for name in libraries:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "load_average_1_5_15_min": load,
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "libraries": versions,
    }


def format_seconds(seconds: float) -> str:
    """Human units: 12.3 µs, 4.56 ms, 1.23 s."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def results_table(title: str, timings: Sequence[Timing]) -> Table:
    table = Table(title=title)
    for column in ("operation", "implementation"):
        table.add_column(column)
    for column in ("median", "min", "max", "CPU median", "runs × inner"):
        table.add_column(column, justify="right")
    for t in timings:
        table.add_row(t.operation, t.implementation, format_seconds(t.median_s), format_seconds(t.min_s),
                      format_seconds(t.max_s), format_seconds(t.cpu_median_s), f"{t.runs} × {t.inner}")
    return table


def emit(benchmark: str, timings: Sequence[Timing], machine: dict[str, Any], *, as_json: bool) -> None:
    """Print a benchmark's results: JSON on stdout, or a table plus a machine line."""
    if as_json:
        json.dump({"benchmark": benchmark, "machine": machine, "results": [t.as_json() for t in timings]},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    # A pipe or a CI log gets a wide table instead of rich's 80-column wrap.
    console = Console() if sys.stdout.isatty() else Console(width=160)
    console.print(results_table(f"altledger bench {benchmark} (seconds per call)", timings))
    libraries = ", ".join(f"{k} {v}" for k, v in machine["libraries"].items())
    console.print(f"machine: {machine['cpu']}, {machine['cores']} cores, load {machine['load_average_1_5_15_min']}, "
                  f"{machine['os']}, Python {machine['python']}; {libraries}", highlight=False)

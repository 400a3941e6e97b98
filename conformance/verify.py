"""``altledger verify``: every check the repository holds, then a summary table.

Providers are modules exposing ``checks() -> list[Check]``; each protocol adds
its module to :data:`PROVIDERS`.  Exit status is non-zero if any check fails.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import sys
import time

import click
from rich.console import Console
from rich.table import Table

from altledger.conformance.checks import Check, Outcome, Progress, Result, run_check

# Order matters only for reading the table: cheap foundations first.
PROVIDERS: list[str] = [
    "altledger.tla.checks",
    "altledger.reference.crypto.checks",
    "altledger.proofs.checks",
    "altledger.conformance.twopc_checks",
    "altledger.conformance.abft_checks",
]


def collect_checks() -> list[Check]:
    """Every provider's checks.  A provider that cannot even be imported or
    listed is itself a failed check (never a crash of the whole run, never a
    silent omission)."""
    checks: list[Check] = []
    for name in PROVIDERS:
        try:
            checks.extend(importlib.import_module(name).checks())
        except Exception as exc:  # noqa: BLE001 - reported as a failed check
            checks.append(_broken_provider(name, exc))
    return checks


def _broken_provider(name: str, exc: Exception) -> Check:
    message = f"provider {name} failed to load: {type(exc).__name__}: {exc}"

    def run(progress: Progress) -> Outcome:
        return Outcome(False, "provider error", message)

    return Check("verify", name, run)


def _select(checks: list[Check], patterns: tuple[str, ...]) -> list[Check]:
    if not patterns:
        return checks
    return [c for c in checks
            if any(fnmatch.fnmatch(c.group, p) or fnmatch.fnmatch(c.name, p)
                   or fnmatch.fnmatch(f"{c.group}:{c.name}", p) for p in patterns)]


def summary_table(results: list[Result], elapsed: float) -> Table:
    failed = sum(not r.outcome.passed for r in results)
    table = Table(title=f"altledger verify: {len(results) - failed} passed, {failed} failed, "
                        f"{elapsed:.1f} s")
    table.add_column("group")
    table.add_column("check")
    table.add_column("outcome")
    table.add_column("key figure")
    table.add_column("time", justify="right")
    for r in results:
        table.add_row(r.check.group, r.check.name,
                      "[green]pass[/green]" if r.outcome.passed else "[red]FAIL[/red]",
                      r.outcome.figure, f"{r.seconds:.1f} s")
    return table


@click.command("verify")
@click.option("--only", "patterns", multiple=True, metavar="GLOB",
              help="Run only checks whose group or name matches (repeatable), e.g. --only 'tlc*'.")
@click.option("--list", "list_only", is_flag=True, help="List the checks without running them.")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON instead of a table.")
def verify_command(patterns: tuple[str, ...], list_only: bool, as_json: bool) -> None:
    """Run every check the repository holds (TLC, z3, vectors, conformance,
    trace validation) and print a summary table; exit 1 if any fails."""
    checks = _select(collect_checks(), patterns)
    if not checks:
        raise click.UsageError(f"no check matches {', '.join(patterns)}")
    if list_only:
        for c in checks:
            click.echo(f"{c.group}\t{c.name}")
        return
    console = Console(stderr=True)
    results: list[Result] = []
    start = time.perf_counter()
    for index, check in enumerate(checks, 1):
        label = f"[{index}/{len(checks)}] {check.group}: {check.name}"
        with console.status(label) as status:
            def progress(message: str, _label: str = label) -> None:
                status.update(f"{_label} — {message}")
            result = run_check(check, progress)
        results.append(result)
        mark = "[green]pass[/green]" if result.outcome.passed else "[red]FAIL[/red]"
        console.print(f"{label}: {mark} {result.outcome.figure} ({result.seconds:.1f} s)")
        if not result.outcome.passed and result.outcome.detail:
            console.print(f"    {result.outcome.detail}", markup=False, highlight=False)
    elapsed = time.perf_counter() - start
    if as_json:
        json.dump({"passed": all(r.outcome.passed for r in results),
                   "seconds": round(elapsed, 3),
                   "checks": [r.as_json() for r in results]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        Console().print(summary_table(results, elapsed))
    if not all(r.outcome.passed for r in results):
        sys.exit(1)

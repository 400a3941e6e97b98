"""``altledger fuzz``: long differential runs of reference vs fast implementations (Hypothesis).

`make test` runs each differential state machine for a bounded number of
examples (the ``ci`` profile).  This command runs one for as long as you give
it, with the ``fuzz`` settings (100 steps per example), in chunks with seeds
derived from ``--seed`` so that a run can be repeated.  It reports how many
examples ran and, if the implementations disagree, the failing operation
sequence Hypothesis shrank it to and the blob to replay it
(``@reproduce_failure(...)`` on the test).

Targets are a registry, :data:`TARGETS`: name -> (``module:attribute`` of a
``RuleBasedStateMachine``, what it compares).  Adding a protocol is one line.
Hypothesis is a test dependency; without it the command says what to install.

Exit codes: 0 no difference found, 1 a difference found, 2 bad usage or a
missing dependency.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import click

from altledger.reference.errors import AltledgerError, ToolError

# target name -> (state machine "module:attribute", one line on what it compares)
TARGETS: dict[str, tuple[str, str]] = {
    "twopc": ("altledger.fast.twopc.crosscheck:DifferentialMachine",
              "two-phase commit: reference vs fast Cluster under random §13.1 operations"),
    "abft": ("altledger.fast.abft.crosscheck:GossipMachine",
             "hashgraph: reference vs fast incremental after every event of random gossip with forks"),
    "inputs": ("altledger.conformance.input_fuzz:InputFileMachine",
               "mutated operation, DAG and trace files: a result or a typed error, never a traceback; "
               "reference vs fast abft order"),
}
# how _print words a target's verdict: (nothing found, something found, what one step is)
WORDING: dict[str, tuple[str, str, str]] = {"inputs": ("no failure found", "FAILURE FOUND", "files")}
DIFFERENTIAL_WORDING = ("no difference found", "DIFFERENCE FOUND", "operations")
STEPS_PER_EXAMPLE = 100          # the `fuzz` profile of tests/conftest.py
FIRST_CHUNK = 10                 # examples in the first chunk; later chunks are sized to the time left


@dataclass
class FuzzReport:
    target: str
    seed: int
    examples: int = 0
    chunks: int = 0
    seconds: float = 0.0
    passed: bool = True
    failure: str = ""
    reproduce: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _hypothesis() -> Any:
    try:
        return importlib.import_module("hypothesis")
    except ModuleNotFoundError:
        raise ToolError("Hypothesis is not installed; it is a test dependency: "
                        "pip install 'altledger[test]' (or hypothesis==6.170.15)") from None


def load_machine(target: str) -> Any:
    _hypothesis()
    module, _, attribute = TARGETS[target][0].partition(":")
    return getattr(importlib.import_module(module), attribute)


def fuzz_target(target: str, seconds: float, seed: int, progress: Callable[[str], None],
                shrink_seconds: float = 60) -> FuzzReport:
    """Run ``target``'s state machine for about ``seconds``; stop at the first difference.

    ``examples`` counts every machine run, including the shrinking runs after
    a failure.  Shrinking is capped at ``shrink_seconds`` (Hypothesis' own cap
    is five minutes; it is a module constant of its engine, set here for the
    call and restored after).
    """
    hypothesis = _hypothesis()
    from hypothesis import HealthCheck
    from hypothesis.internal.conjecture import engine
    from hypothesis.reporting import with_reporter
    from hypothesis.stateful import get_state_machine_test

    machine = load_machine(target)
    report = FuzzReport(target, seed)
    started_machines = [0]

    def counted_machine() -> Any:        # counts examples without asking anything of the machine class
        started_machines[0] += 1
        return machine()

    started = time.perf_counter()
    chunk = FIRST_CHUNK
    while True:
        elapsed = time.perf_counter() - started
        if elapsed >= seconds and report.chunks:
            break
        chunk_settings = hypothesis.settings(
            max_examples=chunk, stateful_step_count=STEPS_PER_EXAMPLE, deadline=None, database=None,
            print_blob=True, suppress_health_check=[HealthCheck.too_slow], report_multiple_bugs=False)
        test = hypothesis.seed(seed * 1_000_003 + report.chunks)(get_state_machine_test(counted_machine,
                                                                                          settings=chunk_settings))
        runs_before = started_machines[0]
        progress(f"{target}: {report.examples} examples, {elapsed:.0f}/{seconds:.0f} s")
        printed: list[str] = []          # Hypothesis prints the shrunk program; keep stdout for our report
        shrink_cap = getattr(engine, "MAX_SHRINKING_SECONDS", None)
        try:
            engine.MAX_SHRINKING_SECONDS = shrink_seconds
            with with_reporter(printed.append):
                test()
        except Exception as error:       # a difference (AssertionError) or a crash in either implementation
            report.passed = False
            report.failure = f"{type(error).__name__}: {error}"
            notes = printed + [note for note in getattr(error, "__notes__", []) if note not in printed]
            report.reproduce = [_own_words(note, shrink_seconds) for note in notes if not note.startswith("PLEASE")]
        finally:
            if shrink_cap is not None:
                engine.MAX_SHRINKING_SECONDS = shrink_cap
        report.examples += started_machines[0] - runs_before
        report.chunks += 1
        chunk_seconds = time.perf_counter() - started - elapsed
        if not report.passed:
            break
        per_example = chunk_seconds / max(1, started_machines[0] - runs_before)
        left = seconds - (time.perf_counter() - started)
        chunk = max(1, min(500, int(left / per_example))) if per_example > 0 else 500
    report.seconds = round(time.perf_counter() - started, 1)
    return report


def _own_words(note: str, shrink_seconds: float) -> str:
    """Hypothesis' "spent more than five minutes shrinking" warning, said with our cap."""
    if note.startswith("WARNING: Hypothesis has spent more than"):
        return (f"(shrinking stopped at the {shrink_seconds:g} s cap of --shrink-seconds; "
                "the case below may shrink further)")
    return note


def _print(reports: list[FuzzReport]) -> None:
    for report in reports:
        nothing, something, steps = WORDING.get(report.target, DIFFERENTIAL_WORDING)
        verdict = nothing if report.passed else something
        runs = "runs including shrinking" if not report.passed else "examples"
        click.echo(f"{report.target}: {verdict} in {report.examples} {runs} "
                   f"(up to {STEPS_PER_EXAMPLE} {steps} each), {report.seconds} s, seed {report.seed}")
        if not report.passed:
            click.echo(report.failure)
            for note in report.reproduce:
                click.echo(note)


@click.command("fuzz")
@click.argument("target", type=click.Choice([*TARGETS, "all"]), default="all")
@click.option("--minutes", type=click.FloatRange(min=0.01), default=1.0, show_default=True,
              help="How long to fuzz each target.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seeds the chunks' Hypothesis seeds, so a run can be repeated.")
@click.option("--shrink-seconds", type=click.FloatRange(min=1), default=60, show_default=True,
              help="Cap on the time spent shrinking a difference once found.")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
def fuzz_command(target: str, minutes: float, seed: int, shrink_seconds: float, as_json: bool) -> None:
    """Long fuzzing runs: reference vs fast under random operations (twopc, abft), and mutated input
    files through the commands that read them (inputs); or all three."""
    from rich.console import Console

    console = Console(stderr=True)
    status = console.status("") if console.is_terminal else None
    progress = status.update if status else (lambda message: None)
    if status:
        status.start()
    try:
        names = list(TARGETS) if target == "all" else [target]
        reports = [fuzz_target(name, minutes * 60, seed, progress, shrink_seconds) for name in names]
    except AltledgerError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(2) from None
    finally:
        if status:
            status.stop()
    if as_json:
        json.dump({"command": "fuzz", "reports": [r.as_json() for r in reports]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print(reports)
    raise SystemExit(0 if all(r.passed for r in reports) else 1)

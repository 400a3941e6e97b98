"""``altledger conformance``: generate vectors, run a client against them, be the built-in client.

Exit status (every sub-command): 0 success; 1 a check failed (a vector did
not pass, vectors differ from the committed ones); 2 the command could not
do its work (bad usage, unreadable vectors, a client that cannot be started
or greeted, a run stopped after repeated protocol errors).
"""

from __future__ import annotations

import json
import sys
import tempfile
from functools import wraps
from pathlib import Path
from typing import Any, Callable

import click

from altledger.conformance.suites import SUITES, VECTOR_DIR, suite
from altledger.reference.errors import AltledgerError

SUITE_OPTION = click.option("--suite", "suite_name", default="twopc", show_default=True,
                            type=click.Choice(sorted(SUITES)), help="The conformance suite.")


def clean_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Typed errors become one line on stderr and exit status 2."""
    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except AltledgerError as error:
            click.echo(f"altledger conformance: {error}", err=True)
            sys.exit(2)
    return wrapper


@click.group("conformance")
def conformance_command() -> None:
    """Language-neutral conformance vectors and the subprocess runner (conformance/README.md)."""


@conformance_command.command("generate")
@SUITE_OPTION
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=VECTOR_DIR, show_default=True,
              help="Folder that receives <suite>/... (the committed vectors by default).")
@click.option("--check", is_flag=True, help="Do not write: exit 1 if the committed vectors differ from a fresh "
                                            "generation.")
@click.option("--json", "as_json", is_flag=True, help="Print counts as JSON.")
@clean_errors
def generate_command(suite_name: str, out: Path, check: bool, as_json: bool) -> None:
    """Build the suite's vectors from the reference and write them (one JSON file per vector)."""
    from altledger.conformance.generate import generate
    if check:
        with tempfile.TemporaryDirectory(prefix="altledger-vectors-") as tmp:
            vectors, files = generate(suite_name, Path(tmp))
            changed = differing_files(Path(tmp) / suite_name, out / suite_name)
        report = {"suite": suite_name, "vectors": len(vectors), "differing_files": changed}
        if as_json:
            click.echo(json.dumps(report, indent=2))
        elif changed:
            click.echo(f"{len(changed)} vector file(s) differ from a fresh generation:")
            for name in changed[:40]:
                click.echo(f"  {name}")
        else:
            click.echo(f"{suite_name}: the {len(vectors)} committed vectors match a fresh generation")
        sys.exit(1 if changed else 0)
    vectors, files = generate(suite_name, out)
    kinds: dict[str, int] = {}
    for v in vectors:
        kinds[v["kind"]] = kinds.get(v["kind"], 0) + 1
    if as_json:
        click.echo(json.dumps({"suite": suite_name, "vectors": len(vectors), "by_kind": kinds,
                               "folder": str(out / suite_name)}, indent=2))
    else:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        click.echo(f"{suite_name}: wrote {len(vectors)} vectors ({counts}) to {out / suite_name}")


def differing_files(fresh: Path, committed: Path) -> list[str]:
    """Relative names of files that differ, are missing, or are extra."""
    names = {p.relative_to(fresh).as_posix() for p in fresh.rglob("*.json")}
    names |= {p.relative_to(committed).as_posix() for p in committed.rglob("*.json")} if committed.is_dir() else set()
    out = []
    for name in sorted(names):
        a, b = fresh / name, committed / name
        if not a.is_file() or not b.is_file() or a.read_bytes() != b.read_bytes():
            out.append(name)
    return out


@conformance_command.command("run")
@SUITE_OPTION
@click.option("--client", "client_command", metavar="CMD", help="The client command line (it speaks the "
                                                                 "protocol on stdin/stdout).")
@click.option("--impl", metavar="NAME", help="Run the built-in client for reference, fast or broken:BUG "
                                             "(still through a subprocess). Default: reference.")
@click.option("--vectors", "vector_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The suite's vector folder (default: the committed vectors).")
@click.option("--filter", "patterns", multiple=True, metavar="GLOB", help="Only vectors whose id matches "
                                                                          "(repeatable), e.g. 'step/*'.")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for each answer.")
@click.option("--no-hello", is_flag=True, help="Do not send the hello line (for minimal clients).")
@click.option("--max-diffs", default=12, show_default=True, help="Differences shown per failing vector.")
@click.option("--max-restarts", default=3, show_default=True,
              help="Restarts after protocol errors before the run stops.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@clean_errors
def run_command(suite_name: str, client_command: str | None, impl: str | None, vector_dir: Path | None,
                patterns: tuple[str, ...], timeout: float, no_hello: bool, max_diffs: int, max_restarts: int,
                as_json: bool) -> None:
    """Run every vector through a client and report pass/fail per vector with readable diffs."""
    from altledger.conformance.runner import (builtin_client, describe_failure, environment_for_builtin,
                                              run_vectors, split_command)
    from altledger.conformance.vectors import load_selected
    if client_command and impl:
        raise click.UsageError("give --client or --impl, not both")
    chosen = suite(suite_name)
    directory = vector_dir if vector_dir is not None else chosen.vectors_dir()
    vectors = load_selected(chosen, directory, patterns)
    if not vectors:
        raise click.UsageError(f"no vector matches {', '.join(patterns) or '*'} in {directory}")
    if client_command:
        argv, env = split_command(client_command), None
    else:
        argv, env = builtin_client(impl or "reference"), environment_for_builtin()
    report = run_vectors(chosen, vectors, argv, timeout=timeout, hello=not no_hello, max_restarts=max_restarts,
                         env=env, progress=_progress_printer(len(vectors), as_json))
    if as_json:
        click.echo(json.dumps(report.as_json(max_diffs), indent=2, ensure_ascii=False))
    else:
        for result in report.results:
            if not result.passed and result.status != "not-run":
                click.echo("\n".join(describe_failure(result, max_diffs)))
        click.echo(f"{report.summary()}  [{report.client}, {report.seconds:.1f} s]")
    sys.exit(0 if report.passed else (2 if report.aborted else 1))


def _progress_printer(total: int, quiet: bool) -> Callable[[int, int, Any], None] | None:
    if quiet or not sys.stderr.isatty():
        return None
    from rich.console import Console
    console = Console(stderr=True)

    def show(number: int, count: int, result: Any) -> None:
        mark = "." if result.passed else "x"
        console.print(mark, end="" if number < count else "\n", soft_wrap=True, highlight=False)
    return show


@conformance_command.command("client")
@click.option("--impl", default="reference", show_default=True, metavar="NAME",
              help="reference, fast, or broken:BUG (see 'altledger conformance bugs').")
def client_command(impl: str) -> None:
    """Be a conformance client on stdin/stdout (what 'run --impl NAME' starts)."""
    from altledger.conformance.client import serve
    sys.exit(serve(impl))


@conformance_command.command("bugs")
@SUITE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def bugs_command(suite_name: str, as_json: bool) -> None:
    """List the deliberately broken clients (negative controls) of a suite."""
    chosen = suite(suite_name)
    bugs = chosen.load(chosen.broken)
    if as_json:
        click.echo(json.dumps({f"broken:{name}": {"description": bug.description, "clauses": list(bug.clauses),
                                                  "must_fail": list(bug.catches)} for name, bug in bugs.items()},
                              indent=2, ensure_ascii=False))
        return
    for name, bug in bugs.items():
        click.echo(f"broken:{name}\t{bug.description} ({', '.join(bug.clauses)})")


@conformance_command.command("validate")
@SUITE_OPTION
@click.option("--vectors", "vector_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The suite's vector folder (default: the committed vectors).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@clean_errors
def validate_command(suite_name: str, vector_dir: Path | None, as_json: bool) -> None:
    """Check every vector file against the suite's JSON Schemas (exit 2 at the first invalid file)."""
    from altledger.conformance.vectors import load_vectors
    chosen = suite(suite_name)
    vectors = load_vectors(chosen, vector_dir)
    if as_json:
        click.echo(json.dumps({"suite": suite_name, "valid": len(vectors)}))
        return
    click.echo(f"{suite_name}: {len(vectors)} vectors valid against {', '.join(sorted(chosen.kinds.values()))}")


@conformance_command.command("list")
@SUITE_OPTION
@click.option("--filter", "patterns", multiple=True, metavar="GLOB")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@clean_errors
def list_command(suite_name: str, patterns: tuple[str, ...], as_json: bool) -> None:
    """List vector ids with their clauses."""
    from altledger.conformance.vectors import load_vectors, select
    chosen = select(load_vectors(suite(suite_name), validate=False), patterns)
    if as_json:
        click.echo(json.dumps([{"id": v["id"], "clauses": v["clauses"], "description": v["description"]}
                               for v in chosen], indent=2, ensure_ascii=False))
        return
    for v in chosen:
        click.echo(f"{v['id']}\t{' '.join(v['clauses'])}")


@conformance_command.command("traceability")
@SUITE_OPTION
@click.option("--write", "write", is_flag=True, help="Update the table(s) in the suite's page (docs/<suite>.md).")
@click.option("--check", "check", is_flag=True, help="Exit 1 if the page's tables are out of date.")
@clean_errors
def traceability_command(suite_name: str, write: bool, check: bool) -> None:
    """The clause -> TLA+ / reference / fast / tests / vectors table of a suite's page (docs/twopc.md,
    docs/abft.md; the hashgraph page also has the §12 divergence table)."""
    from altledger.conformance.traceability import markdown, profile_of, refreshed_page
    if not (write or check):
        table = markdown(profile=profile_of(suite_name))
        if suite_name == "abft":
            from altledger.conformance.abft_traceability import divergence_markdown
            table += "\n" + divergence_markdown()
        click.echo(table, nl=False)
        return
    page, text, updated = refreshed_page(suite_name)
    if check:
        if updated != text:
            click.echo(f"{page} is out of date: run 'altledger conformance traceability --suite {suite_name} --write'")
            sys.exit(1)
        click.echo(f"{page} is up to date")
        return
    page.write_text(updated, encoding="utf-8")
    click.echo(f"wrote the table(s) into {page}")

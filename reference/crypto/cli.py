"""``altledger crypto``: run the external vectors, explain an Ed25519 verdict.

Exit status: 0 all passed, 1 a vector failed (or a signature was rejected
by ``ed25519-verify``), 2 bad input (vectors not found, malformed hex).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import click
from rich.console import Console

from altledger.reference.crypto.vectors import BLS_SUITES, SuiteReport
from altledger.reference.errors import AltledgerError

SUITE_CHOICES = ["ed25519", *sorted(BLS_SUITES), "all"]
BACKEND_CHOICES = ["py_ecc", "blst", "all"]


def _fail_cleanly(error: AltledgerError) -> None:
    click.echo(f"error: {error}", err=True)
    sys.exit(2)


@click.group("crypto", context_settings={"help_option_names": ["-h", "--help"]})
def crypto_command() -> None:
    """The crypto layer (spec/crypto.md): Ed25519 and BLS12-381 against external vectors."""


def _progress_printer(console: Console) -> tuple[Callable[[str], None], Callable[[], None]]:
    """A progress callback: a live status line on a TTY, nothing otherwise."""
    if not console.is_terminal:
        return (lambda message: None), (lambda: None)
    status = console.status("")
    status.start()
    return status.update, status.stop


def collect_reports(suite: str, backend: str,
                    progress: Callable[[str], None] | None = None) -> list[SuiteReport]:
    """Run the selected suites; imports the BLS machinery only when needed."""
    reports: list[SuiteReport] = []
    if suite in ("ed25519", "all"):
        from altledger.reference.crypto.ed25519_vectors import RUNNERS
        for name, runner in RUNNERS.items():
            if progress:
                progress(f"Ed25519 {name}")
            reports.append(runner(None))
    bls_suites = sorted(BLS_SUITES) if suite == "all" else [suite] if suite in BLS_SUITES else []
    if bls_suites:
        from altledger.reference.crypto.bls_vectors import run_suite
        backends = ["blst", "py_ecc"] if backend == "all" else [backend]
        for bls_suite in bls_suites:
            for name in backends:
                reports.append(run_suite(bls_suite, name, progress=progress))
    return reports


def _print_reports(reports: list[SuiteReport], console: Console) -> None:
    for report in reports:
        mark = "[green]pass[/green]" if report.ok else "[red]FAIL[/red]"
        console.print(f"{mark} {report.suite} on {report.implementation}: {report.figure()}")
        for handler, (passed, total) in report.by_handler().items():
            console.print(f"    {handler:<34} {passed:>4}/{total}", highlight=False)
        for failure in report.failures:
            console.print(f"    [red]failed[/red] {failure.handler}/{failure.name}: {failure.detail}",
                          highlight=False)


@crypto_command.command("vectors")
@click.option("--suite", type=click.Choice(SUITE_CHOICES), default="all", show_default=True,
              help="Which external suite to run.")
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), default="all", show_default=True,
              help="BLS backend(s); py_ecc takes about 20 s per BLS suite.")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
def vectors_command(suite: str, backend: str, as_json: bool) -> None:
    """Run the external test vectors (Ed25519: RFC 8032, Wycheproof, speccheck;
    BLS: ethereum/bls12-381-tests v0.1.2 and HEAD) and report per-handler counts."""
    err_console = Console(stderr=True)
    update, stop = _progress_printer(err_console)
    try:
        reports = collect_reports(suite, backend, update)
    except AltledgerError as error:
        stop()
        _fail_cleanly(error)
    stop()
    if as_json:
        json.dump({"passed": all(r.ok for r in reports), "reports": [r.as_json() for r in reports]},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_reports(reports, Console())
    if not all(r.ok for r in reports):
        sys.exit(1)


def _hex(value: str, name: str) -> bytes:
    try:
        return bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise click.BadParameter(f"not hex: {value[:40]!r}", param_hint=name) from None


@crypto_command.command("ed25519-verify")
@click.option("--public-key", required=True, help="32-byte public key, hex.")
@click.option("--message", required=True, help="Message, hex (empty string for empty).")
@click.option("--signature", required=True, help="64-byte signature, hex.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def ed25519_verify_command(public_key: str, message: str, signature: str, as_json: bool) -> None:
    """Verify one Ed25519 signature under spec/crypto.md §C.3 and name the rule
    that rejects it (useful when another library disagrees)."""
    from altledger.reference.crypto.ed25519 import rejection_reason
    reason = rejection_reason(_hex(public_key, "--public-key"), _hex(message, "--message"),
                              _hex(signature, "--signature"))
    if as_json:
        click.echo(json.dumps({"valid": reason is None,
                               "rule": None if reason is None else reason.name,
                               "reason": None if reason is None else reason.value}))
    else:
        click.echo("valid" if reason is None else f"invalid: {reason.value} ({reason.name})")
    if reason is not None:
        sys.exit(1)

"""``altledger proofs``: discharge the z3 lemmas and show their negative controls.

Prints, per lemma, the clause it supports, each obligation's verdict and z3
time, the model of any obligation that failed, and the counter-model of each
negative control (the broken variant z3 refuted).  Exit status: 0 if every
lemma passed, 1 if any failed, 2 on bad usage (e.g. an unknown lemma name).
"""

from __future__ import annotations

import json
import sys
import textwrap

import click

from altledger.proofs.lemma import DEFAULT_TIMEOUT_MS, LemmaResult, QueryResult, discharge
from altledger.proofs.registry import all_lemmas, find
from altledger.reference.errors import AltledgerError


def _indent(text: str, prefix: str = "      ") -> str:
    return textwrap.indent(text, prefix)


def _line(r: QueryResult) -> str:
    mark = "ok  " if r.ok else "FAIL"
    text = f"  {mark} {r.verdict:<7} {r.seconds * 1000:8.1f} ms  {r.name}"
    if r.reason:
        text += f"\n      ({r.reason})"
    return text


def render(result: LemmaResult) -> str:
    lem = result.lemma
    out = [f"{lem.name}  [{lem.clause}]  {'PASSED' if result.passed else 'FAILED'}",
           textwrap.fill(lem.statement, 78, initial_indent="  ", subsequent_indent="  "),
           "  obligations (each must be unsat):"]
    for r in result.obligations:
        out.append(_line(r))
        if r.model:  # only a failed obligation has a model: why it fails
            out.append(_indent(r.model))
    if result.controls:
        out.append("  negative controls (each must be sat: a broken variant z3 refutes):")
        for r in result.controls:
            out.append(_line(r))
            if r.model:
                out.append(_indent(r.model))
    out.append(f"  {result.figure()}, {result.seconds:.2f} s of z3 time")
    return "\n".join(out)


@click.command("proofs")
@click.option("--lemma", "lemma_name", metavar="NAME", help="Discharge only this lemma.")
@click.option("--list", "list_only", is_flag=True, help="List the lemmas and the clauses they support.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1), default=DEFAULT_TIMEOUT_MS / 1000,
              show_default=True, help="Seconds per z3 query; a query that runs out is 'unknown' (a failure).")
@click.option("--verbose", is_flag=True, help="Also print each lemma's notes: the model and its abstractions.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def proofs_command(lemma_name: str | None, list_only: bool, timeout_s: float, verbose: bool,
                   as_json: bool) -> None:
    """Discharge the z3 proofs (every obligation must be UNSAT) and their
    negative controls (every broken variant must be SAT, with a counter-model)."""
    try:
        lemmas = [find(lemma_name)] if lemma_name else all_lemmas()
    except AltledgerError as exc:
        click.echo(f"altledger proofs: {exc}", err=True)
        sys.exit(2)
    if list_only:
        for lem in lemmas:
            click.echo(f"{lem.name}\t{lem.clause}\t{len(lem.obligations)} obligations, "
                       f"{len(lem.negative_controls)} negative controls")
        return
    results = [discharge(lem, int(timeout_s * 1000)) for lem in lemmas]
    if as_json:
        json.dump({"passed": all(r.passed for r in results),
                   "lemmas": [r.as_json() for r in results]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in results:
            click.echo(render(r))
            if verbose and r.lemma.notes:
                click.echo(_indent(r.lemma.notes.strip(), "  | "))
            click.echo()
    if not all(r.passed for r in results):
        sys.exit(1)

"""The hashgraph auditors' page (docs/abft.md): the clause table and the §12 divergence table, from sources.

The clause table is :mod:`altledger.conformance.traceability` with the
hashgraph :data:`ABFT` profile: every clause of spec/abft.md §1 … §11 and
every §12 row, against the operators of ``tla/ABFT.tla``, the functions of
``altledger.reference.abft`` and ``altledger.fast.abft``, the tests and the
vectors that cite it.

The divergence table has one row per stated choice of spec/abft.md §12:
our side and the other side (read from the spec's table), the test that pins
our choice, the deliberately broken client that takes the other side
(:mod:`altledger.conformance.abft_broken`) and the vectors that catch it.
The pinning tests are read from ``tests/abft/test_abft_spec_choices.py``,
whose ``ALTERNATIVES`` inject each alternative into the reference and
require a hand-built test to fail (rows it does not cover — validity rules,
§12.13, §12.17 — are pinned by tests named in :data:`PINS`); everything
named must exist (tested).
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from altledger.conformance.traceability import ROOT, TESTS, Profile, markdown, page_with_table

SPEC = ROOT / "spec" / "abft.md"
PAGE = ROOT / "docs" / "abft.md"
CHOICES_TEST = TESTS / "abft" / "test_abft_spec_choices.py"
CHOICES_NODE = "tests/abft/test_abft_spec_choices.py::test_each_alternative_fails_a_hand_built_test"

# Reference code that implements a clause without citing it; each name must exist (tested).
LINKS: dict[str, list[tuple[str, str]]] = {
    "§1.1": [("consensus.consensus_output", "everything of §8.1 from the DAG alone; no message is an input")],
    "§1.2": [("dag.Member", "a member's key and integer stake"),
             ("dag.check_params", "stakes are integers >= 1")],
    "§2.3": [("dag.Dag.add", "events enter parents first and valid, so the DAG stays closed under parents")],
    "§4.3": [("hashgraph.strongly_sees", "evaluated through the latest event of each creator, as §4.3 allows"),
             ("hashgraph.latest_events", "the latest event by each creator, or FORKED")],
    "§2.1": [("altledger.reference.encoding.Event", "the event's fields, signing bytes and hash (encoding.md)")],
    "§6.1": [("hashgraph.fame", "True, False or None (undecided)")],
    "§7.5": [("hashgraph.order_key", "no causal tie-break: round received, timestamp, whitened signature, hash")],
    "§9.2": [("dagfile.event_from_record", "parents are looked up by label and encoded by hash; ids are labels")],
    "§10.1": [("simulate.simulate", "seeded gossip with forking members")],
    "§11.1": [("altledger.proofs.abft_quorum", "the z3 proof (altledger proofs), not reference code")],
    "§11.2": [("altledger.proofs.abft_forks", "the z3 proof (altledger proofs), not reference code")],
    "§12.12": [("dag.Dag.rejection_reason", "no rule looks at timestamps")],
    "§12.17": [("hashgraph.order_key", "the paper's key, no topological tie-break")],
    "§10.2": [("trace.write_trace", "a run as an altledger-trace/1 trace of tla/ABFT.tla")],
    "§11.3": [("trace.write_trace", "each member's decisions and deliveries, checked by TLC against the model's "
                                    "agreement invariants")],
}

ABFT = Profile(suite="abft", spec=SPEC, sections=(1, 11), tla=ROOT / "tla" / "ABFT.tla",
               reference=ROOT / "reference" / "abft", fast=ROOT / "fast" / "abft",
               package="altledger.reference.abft",
               vector_test="tests/conformance/test_conformance_abft_runner.py::test_reference_passes_vector",
               page=PAGE, links=LINKS, test_words=("abft", "hashgraph"), own_test_dirs=("abft",))

# Clauses that no test cites (yet), with what checks them instead; the page lists them and the test checks
# each is still uncited (a citation added makes its entry stale, so the list cannot rot).
UNCITED_BY_TESTS: dict[str, str] = {
    "§10.2": "no test cites it; `altledger verify` validates traces of seeded gossip runs with TLC "
             "(conformance/abft_checks.py) and rejects a corrupted one",
}

# §12 rows not covered by test_abft_spec_choices.ALTERNATIVES: row -> [(test node, what it pins)].
PINS: dict[str, list[tuple[str, str]]] = {
    "12.10": [("tests/abft/test_abft_dagfile.py::test_exactly_one_parent", "a file with one parent is refused")],
    "12.11": [("tests/abft/test_abft_dagfile.py::test_other_parent_by_the_same_creator",
               "a same-creator other-parent is refused")],
    "12.12": [("tests/abft/test_abft_dagfile.py::test_timestamps_are_not_validated",
               "a falling timestamp is accepted")],
    "12.13": [("tests/abft/test_abft_spec_choices.py::test_a_round_without_unique_famous_witnesses_receives_nothing",
               "the ring DAG with round 2's unique famous witnesses removed receives nothing")],
    "12.17": [("tests/abft/test_abft_properties.py::test_the_order_is_not_causal", "B2 is ordered before B1")],
}
BEGIN, END = "<!-- divergence table: begin (generated) -->", "<!-- divergence table: end -->"
CHOICE = re.compile(r"^\|\s*(12\.\d+)\s*\|\s*(.*?)\s*\|\s*(.*?)\s*\|\s*$")


@dataclass
class Divergence:
    row: str                                       # "12.6"
    ours: str
    theirs: str
    pins: list[str] = field(default_factory=list)  # test node ids
    bugs: list[str] = field(default_factory=list)  # broken:NAME
    vectors: list[str] = field(default_factory=list)
    uncaught: list[str] = field(default_factory=list)


def spec_choices(spec: Path = SPEC) -> list[tuple[str, str, str]]:
    """(row, this spec's choice, the alternatives) for every row of spec/abft.md §12."""
    out = []
    for line in spec.read_text(encoding="utf-8").splitlines():
        m = CHOICE.match(line)
        if m:
            out.append((m.group(1), m.group(2), m.group(3)))
    return out


def alternatives(path: Path = CHOICES_TEST) -> list[tuple[str, str, list[str]]]:
    """(row, alternative function, hand-built tests it must fail) for each entry of ``ALTERNATIVES``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "ALTERNATIVES"
                                                for t in node.targets):
            for entry in node.value.elts:                               # type: ignore[attr-defined]
                row, _, alternative, tests = entry.elts
                names = sorted({n.attr for n in ast.walk(tests) if isinstance(n, ast.Attribute)
                                and isinstance(n.value, ast.Name) and n.value.id == "hand"})
                found.append((row.value, alternative.id, names))
    return found


def collect_divergences() -> list[Divergence]:
    from altledger.conformance.abft_broken import BUGS, UNCAUGHT
    rows = {row: Divergence(row, ours, theirs) for row, ours, theirs in spec_choices()}
    for row, alternative, tests in alternatives():
        if row in rows:
            rows[row].pins.append(f"{CHOICES_NODE}[{row}-{alternative}]")
    for row, pins in PINS.items():
        rows[row].pins.extend(node for node, _ in pins)
    for name, bug in BUGS.items():
        for clause in bug.clauses:
            if clause.lstrip("§") in rows:
                rows[clause.lstrip("§")].bugs.append(f"broken:{name}")
                rows[clause.lstrip("§")].vectors.extend(v for v in bug.catches
                                                         if v not in rows[clause.lstrip("§")].vectors)
    for name, bug in UNCAUGHT.items():
        for clause in bug.clauses:
            if clause.lstrip("§") in rows:
                rows[clause.lstrip("§")].uncaught.append(f"broken:{name}")
    return list(rows.values())


def _short(text: str, words: int = 18) -> str:
    parts = text.replace("|", "/").split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def divergence_markdown(rows: list[Divergence] | None = None) -> str:
    rows = rows if rows is not None else collect_divergences()
    lines = ["| § | this spec (the paper) | the other side | pinned by | broken client taking the other side | "
             "vectors that catch it |", "|---|---|---|---|---|---|"]
    for r in rows:
        pins = ", ".join(f"`{p.replace('tests/', '', 1)}`" for p in r.pins) or "—"
        bugs = ", ".join(f"`{b}`" for b in r.bugs)
        if r.uncaught:
            bugs = ", ".join(filter(None, [bugs, *(f"`{b}` (no vector catches it yet)" for b in r.uncaught)]))
        vectors = ", ".join(f"`{v}`" for v in r.vectors) or "—"
        lines.append(f"| §{r.row} | {_short(r.ours)} | {_short(r.theirs)} | {pins} | {bugs or '—'} | {vectors} |")
    return "\n".join(lines) + "\n"


def page_with_divergences(text: str, table: str) -> str:
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"the page lacks the markers {BEGIN} ... {END}")
    return f"{head}{BEGIN}\n{table}{END}{tail}"


def page_text(text: str) -> str:
    """``text`` (docs/abft.md) with both generated tables refreshed."""
    return page_with_divergences(page_with_table(text, markdown(profile=ABFT)), divergence_markdown())


def divergence_rows_on_page(text: str) -> dict[str, dict[str, list[str]]]:
    """The divergence table on the page: row -> pins / bugs / vectors (backticked names)."""
    _, _, rest = text.partition(BEGIN)
    table, _, _ = rest.partition(END)
    out: dict[str, dict[str, list[str]]] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or not cells[0].startswith("§12."):
            continue
        out[cells[0].lstrip("§")] = {
            "pins": [f"tests/{p}" for p in re.findall(r"`([^`]+)`", cells[3])],
            "bugs": re.findall(r"`(broken:[^`]+)`", cells[4]),
            "vectors": re.findall(r"`([^`]+)`", cells[5]),
        }
    return out


def stale_divergences(text: str, rows: list[Divergence] | None = None) -> list[str]:
    """Divergence-table entries a fresh collection no longer gives for their row, and rows missing."""
    fresh = {r.row: r for r in (rows if rows is not None else collect_divergences())}
    shown = divergence_rows_on_page(text)
    problems = [f"§{row}: no row on the page" for row in fresh if row not in shown]
    for row, columns in shown.items():
        if row not in fresh:
            problems.append(f"§{row}: on the page but not a row of spec/abft.md §12")
            continue
        current = {"pins": fresh[row].pins, "bugs": fresh[row].bugs + fresh[row].uncaught,
                   "vectors": fresh[row].vectors}
        for column, names in columns.items():
            problems += [f"§{row} {column}: {name}" for name in names if name not in current[column]]
    return problems


if __name__ == "__main__":
    sys.stdout.write(markdown(profile=ABFT) + "\n" + divergence_markdown())

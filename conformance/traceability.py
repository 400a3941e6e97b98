"""Clause-to-artefact traceability for spec/two_phase_commit.md, collected from the sources.

Why collected and not written by hand: a hand-kept table rots the day a
function is renamed.  Every artefact already cites the clause it implements
(``# spec/two_phase_commit.md §7.1.4``, ``\\* §8.1.1`` in TLA+, ``"clauses"``
in a vector), so the table is a scan:

* **TLA+**: operators of ``tla/TwoPhaseCommit.tla`` whose definition, or the
  comment lines right above it, cite the clause;
* **reference** / **fast**: functions, methods and classes of
  ``reference/twopc`` / ``fast/twopc`` whose source cites it (a citation
  belongs to the innermost definition around it; module docstrings do not
  count);
* **tests**: test functions under ``tests/`` whose source cites it, plus the
  conformance test that runs every vector (:data:`VECTOR_TEST`), which
  exercises each clause its vectors list;
* **vectors**: the ids of the conformance vectors that list it.

A citation of ``§7.1.4.a`` counts for clause ``§7.1`` (rows are the
numbered clauses ``§N.M`` of §2 … §13); a bare section citation ``§7`` counts
for no row.  :data:`LINKS` adds, for the few clauses that an artefact
implements without citing them, an explicit link with the reason; every
link must name something that exists (checked).

``python -m altledger.conformance.traceability [SUITE]`` prints the Markdown
table that docs/twopc.md (or docs/abft.md) embeds; a test checks the page is up
to date and that every clause has at least one reference function and one test.

Suite-generic: a :class:`Profile` names a protocol's spec, model, packages,
tests, vectors and page; :data:`PROFILES` holds two-phase commit (the default
of every function here, as it was written first) and the hashgraph.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "two_phase_commit.md"
TLA = ROOT / "tla" / "TwoPhaseCommit.tla"
REFERENCE = ROOT / "reference" / "twopc"
FAST = ROOT / "fast" / "twopc"
TESTS = ROOT / "tests"
VECTORS = ROOT / "conformance" / "vectors" / "twopc"
VECTOR_TEST = "tests/conformance/test_conformance_runner.py::test_reference_passes_vector"

CITATION = re.compile(r"§(\d+(?:\.\d+)*(?:\.[a-z])?)")
CLAUSE_LINE = re.compile(r"^(\d+)\.(\d+)\.\s+(.*)")
CHOICE_ROW = re.compile(r"^\|\s*(12\.\d+)\s*\|\s*(.*?)\s*\|")
TLA_DEF = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*(\([^)]*\))?\s*==")

# Reference code that implements a clause without citing it (yet): clause -> [(name, why)].  Shown with a
# dagger on the page; each name must exist (tested).  Names are relative to altledger.reference.twopc unless
# they start with "altledger.".  A citation added in the code makes its link redundant (it is then ignored).
LINKS: dict[str, list[tuple[str, str]]] = {
    "§2.2": [("altledger.reference.encoding.agents.shard_of_agent", "the shard function, shared by every protocol"),
             ("txfacts.participants_of", "participants are the shards of the legs")],
    "§2.5": [("shard.Timeout", "a timeout is an input of a step; when it fires is the caller's choice"),
             ("cluster.Cluster.timeout", "the timeout operation of §13.1")],
    "§3.1": [("altledger.reference.encoding.twopc.CrossAgentTx.validate",
              "the codec refuses every transaction that breaks §3.1")],
    "§5.1": [("log.Record", "the four record types"), ("log.rm_state_of", "what each record means for rmState")],
    "§6.1": [("txfacts.coordinator_of", "every shard computes the coordinator; messages do not carry it")],
    "§6.2": [("participant.first_failure", "the first failing check, in the order of §7.1.4"),
             ("participant.vote_on_prepare", "ABORTED_LOCALLY when a NO is re-sent; NONE with YES")],
    "§10.1": [("participant.vote_on_prepare", "a repeated Prepare re-sends the same vote"),
              ("coordinator.on_vote", "repeated votes are absorbed by set semantics"),
              ("coordinator.on_ack", "repeated acknowledgements are absorbed")],
    "§10.2": [("coordinator.on_coordinator_timeout", "re-sends COMMIT or aborts, only on a timeout"),
              ("participant.on_participant_timeout", "a prepared participant queries on each timeout")],
    "§10.3": [("participant.leg_failure", "transactions meet only through locks and the store")],
    "§11.5": [("trace.TraceRecorder", "projects a run onto the model's variables; TLC checks that the model "
                                      "refines TCommit and that projected runs are behaviours of the model")],
    "§12.2": [("txfacts.coordinator_of", "the shard of the first debit leg")],
    "§12.3": [("participant.on_abort_decision", "forces the ABORT outcome"),
              ("participant.on_participant_timeout", "forces the ABORT outcome of a working participant")],
    "§12.4": [("coordinator.on_submit", "the coordinator's own vote in the submit step, and the durable guard")],
    "§12.5": [("participant.leg_failure", "the lock check applies to every leg, credit or debit")],
    "§12.6": [("participant.leg_failure", "a held lock is a NO, never a wait")],
    "§12.7": [("coordinator.on_coordinator_timeout", "the only re-send path")],
    "§12.8": [("shard.recovered_coord", "committing with no acks; re-sending waits for the timeout")],
    "§13.4": [("trace.TraceRecorder", "writes the altledger-trace/1 trace of a run")],
}


@dataclass(frozen=True)
class Profile:
    """Where one protocol's artefacts live (paths relative to the repository root)."""

    suite: str
    spec: Path
    sections: tuple[int, int]                      # numbered sections whose clauses get rows
    tla: Path
    reference: Path
    fast: Path
    package: str                                   # the reference package LINKS names are relative to
    vector_test: str
    page: Path
    links: dict[str, list[tuple[str, str]]]
    test_words: tuple[str, ...]                    # a test file named with one of these is about the protocol
    own_test_dirs: tuple[str, ...]                 # tests/<dir> entirely about the protocol

    @property
    def vectors(self) -> Path:
        return ROOT / "conformance" / "vectors" / self.suite


@dataclass
class Row:
    clause: str
    title: str
    tla: list[str] = field(default_factory=list)
    reference: list[str] = field(default_factory=list)
    fast: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    vectors: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)       # reference entries that come from LINKS


def spec_clauses(spec: Path = SPEC, sections: tuple[int, int] = (2, 13)) -> list[str]:
    """The numbered clauses ``§N.M`` of the given sections (2 … 13 by default), in document order."""
    return [clause for clause, _ in _clauses_with_titles(spec, sections)]


def _clauses_with_titles(spec: Path, sections: tuple[int, int] = (2, 13)) -> list[tuple[str, str]]:
    out = []
    for line in spec.read_text(encoding="utf-8").splitlines():
        m = CLAUSE_LINE.match(line)
        if m and sections[0] <= int(m.group(1)) <= sections[1]:
            out.append((f"§{m.group(1)}.{m.group(2)}", _title(m.group(3))))
        m = CHOICE_ROW.match(line)
        if m:
            out.append((f"§{m.group(1)}", _title(m.group(2))))
    return out


def _title(text: str) -> str:
    bold = re.match(r"\*\*(.+?)\*\*", text)
    if bold:
        return bold.group(1).rstrip(".")
    words = re.sub(r"[`*]", "", text).split()
    return " ".join(words[:6]) + (" …" if len(words) > 6 else "")


def row_of(citation: str, rows: dict[str, Row]) -> str | None:
    """The row a citation counts for: ``7.1.4.a`` -> ``§7.1``; ``7`` -> None."""
    parts = citation.split(".")
    if len(parts) < 2:
        return None
    clause = f"§{parts[0]}.{parts[1]}"
    return clause if clause in rows else None


# -- TLA+ ------------------------------------------------------------------------------------

def tla_citations(path: Path = TLA) -> dict[str, set[str]]:
    """operator -> cited clauses (its definition and the comment lines just above it)."""
    found: dict[str, set[str]] = {}
    pending: set[str] = set()
    current: str | None = None
    in_block = False
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        cites = set(CITATION.findall(line))
        if in_block or stripped.startswith("(*"):
            in_block = "*)" not in stripped
            pending |= cites
            current = None
            continue
        m = TLA_DEF.match(line)
        if m:
            current = m.group(1)
            found.setdefault(current, set()).update(pending | cites)
            pending = set()
        elif stripped.startswith("\\*"):
            if current is not None and line.startswith((" ", "\t")):
                found[current].update(cites)
            else:
                current = None
                pending |= cites
        elif not stripped or stripped.startswith(("----", "====")):
            current = None
            pending = set() if not stripped.startswith("\\*") else pending
        elif current is not None and line.startswith((" ", "\t")):
            found[current].update(cites)
        else:
            current, pending = None, set()
    return found


# -- Python ------------------------------------------------------------------------------------

def python_citations(folder: Path, prefix: str, tests_only: bool = False,
                     about: Callable[[Path], bool] | None = None) -> dict[str, set[str]]:
    """qualified name -> cited clauses, for every definition in the ``.py`` files of ``folder``
    (test files: only those ``about`` the protocol, two-phase commit by default)."""
    found: dict[str, set[str]] = {}
    about = about or _about_twopc
    for path in sorted(folder.rglob("*.py")):
        if tests_only and not about(path):
            continue
        source = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        spans: list[tuple[int, int, str]] = []

        def visit(node: ast.AST, scope: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    name = f"{scope}.{child.name}" if scope else child.name
                    start = min([child.lineno] + [d.lineno for d in child.decorator_list])
                    spans.append((start, child.end_lineno or child.lineno, name))
                    visit(child, name)

        visit(tree, "")
        module = path.relative_to(folder).with_suffix("").as_posix().replace("/", ".")
        for number, line in enumerate(source.splitlines(), 1):
            cites = CITATION.findall(line)
            if not cites:
                continue
            around = [s for s in spans if s[0] <= number <= s[1]]
            if not around:
                continue                                   # module docstrings and comments do not count
            start, end, name = min(around, key=lambda s: s[1] - s[0])
            if tests_only:
                leaf = name.split(".")[-1]
                if not leaf.startswith("test"):
                    tested = [s for s in around if s[2].split(".")[-1].startswith("test")]
                    if not tested:
                        continue
                    name = min(tested, key=lambda s: s[1] - s[0])[2]
                key = f"{path.relative_to(ROOT).as_posix()}::{name}"
            else:
                key = f"{prefix}{module}.{name}" if prefix else f"{module}.{name}"
            found.setdefault(key, set()).update(cites)
    return found


def test_folders(profile: "Profile | None" = None) -> list[Path]:
    """Where a protocol's tests live (two-phase commit by default: tests/twopc, tests/conformance, and any
    tests/<area>/ whose files are named for it, the fast implementation's, say).  Other protocols' tests
    cite other specs' §s."""
    profile = profile or TWOPC
    folders = {TESTS / d for d in profile.own_test_dirs} | {TESTS / "conformance"}
    for word in profile.test_words:
        folders |= {p.parent for p in TESTS.rglob(f"test_*{word}*.py")}
    return sorted(f for f in folders if f.is_dir())


def _about_twopc(path: Path) -> bool:
    name = path.name
    if path.parent.name in ("twopc", "conformance"):
        return "abft" not in name and "hashgraph" not in name
    return "twopc" in name


def about(profile: "Profile") -> Callable[[Path], bool]:
    """The test-file filter of a profile: every file of its own test folders, else files named for it."""
    if profile.suite == "twopc":
        return _about_twopc

    def filter_(path: Path) -> bool:
        if "traceability" in path.name:          # the page's own tests name clauses without testing them
            return False
        return path.parent.name in profile.own_test_dirs or any(w in path.name for w in profile.test_words)
    return filter_


def vector_clauses(folder: Path = VECTORS) -> dict[str, list[str]]:
    index = folder / "index.json"
    if not index.is_file():
        return {}
    return {e["id"]: e["clauses"] for e in json.loads(index.read_text(encoding="utf-8"))["vectors"]}


# -- the table ----------------------------------------------------------------------------------

def collect(profile: "Profile | None" = None) -> list[Row]:
    profile = profile or TWOPC
    rows = {clause: Row(clause, title) for clause, title in _clauses_with_titles(profile.spec, profile.sections)}

    def add(column: str, cited: dict[str, set[str]] | dict[str, list[str]]) -> None:
        for name, clauses in cited.items():
            for c in clauses:
                target = row_of(c.lstrip("§"), rows)
                if target is not None and name not in getattr(rows[target], column):
                    getattr(rows[target], column).append(name)

    if profile.tla.is_file():
        add("tla", tla_citations(profile.tla))
    add("reference", python_citations(profile.reference, ""))
    if profile.fast.is_dir():
        add("fast", python_citations(profile.fast, ""))
    for folder in test_folders(profile):
        add("tests", python_citations(folder, "", tests_only=True, about=about(profile)))
    vectors = vector_clauses(profile.vectors)
    add("vectors", vectors)
    for row in rows.values():
        if row.vectors:
            row.tests.append(f"{profile.vector_test} ({len(row.vectors)} vectors)")
    for clause, links in profile.links.items():
        for name, _why in links:
            if name not in rows[clause].reference:
                rows[clause].reference.append(name)
                rows[clause].linked.append(name)
    for row in rows.values():
        for column in ("tla", "reference", "fast", "tests", "vectors"):
            getattr(row, column).sort()
    return list(rows.values())


def _cell(items: list[str], limit: int, code: bool = True, marked: tuple[str, ...] = ()) -> str:
    shown = [(f"`{i}`" if code else i) + (" †" if i in marked else "") for i in items[:limit]]
    more = f" … (+{len(items) - limit})" if len(items) > limit else ""
    return ", ".join(shown) + more if items else "—"


def markdown(rows: list[Row] | None = None, profile: "Profile | None" = None) -> str:
    """The traceability table (Markdown), one row per clause."""
    profile = profile or TWOPC
    rows = rows if rows is not None else collect(profile)
    fast_package = profile.package.replace(".reference.", ".fast.")
    lines = [f"| clause | TLA+ (`{profile.tla.relative_to(ROOT).as_posix()}`) | reference (`{profile.package}`) | "
             f"fast (`{fast_package}`) | tests | conformance vectors |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        tests = [t.replace("tests/", "", 1) for t in r.tests]
        lines.append(f"| {r.clause} {r.title} | {_cell(r.tla, 6)} | {_cell(r.reference, 6, marked=tuple(r.linked))} | "
                     f"{_cell(r.fast, 6)} | {_cell(tests, 4)} | {_cell(r.vectors, 4)} |")
    return "\n".join(lines) + "\n"


BEGIN, END = "<!-- traceability table: begin (generated) -->", "<!-- traceability table: end -->"
PAGE = ROOT / "docs" / "twopc.md"


def page_with_table(text: str, table: str) -> str:
    """``text`` with the part between the markers replaced by ``table``."""
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"the page lacks the markers {BEGIN} ... {END}")
    return f"{head}{BEGIN}\n{table}{END}{tail}"


COLUMNS = ("tla", "reference", "fast", "tests", "vectors")


def page_rows(text: str) -> dict[str, dict[str, list[str]]]:
    """The table on the page: clause -> column -> the names shown (backticked entries, daggers dropped)."""
    _, _, rest = text.partition(BEGIN)
    table, _, _ = rest.partition(END)
    rows: dict[str, dict[str, list[str]]] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 1 + len(COLUMNS) or not cells[0].startswith("§"):
            continue
        clause = cells[0].split()[0]
        rows[clause] = {column: re.findall(r"`([^`]+)`", cell) for column, cell in zip(COLUMNS, cells[1:])}
        rows[clause]["tests"] = [f"tests/{t}" for t in rows[clause]["tests"]]
    return rows


def stale_entries(text: str, rows: list[Row] | None = None, profile: "Profile | None" = None) -> list[str]:
    """Entries of the page that a fresh scan no longer finds for their clause (renamed, removed or no
    longer citing it), and clauses without a row.  New citations not yet on the page are not stale."""
    fresh = {r.clause: r for r in (rows if rows is not None else collect(profile))}
    shown = page_rows(text)
    problems = [f"{clause}: no row on the page" for clause in fresh if clause not in shown]
    for clause, columns in shown.items():
        if clause not in fresh:
            problems.append(f"{clause}: on the page but not a clause of the spec")
            continue
        for column, names in columns.items():
            current = set(getattr(fresh[clause], column))
            if column == "tests":
                current |= {t.split(" (")[0] for t in current}
                names = [n.split(" (")[0] for n in names]
            problems += [f"{clause} {column}: {name}" for name in names if name not in current]
    return problems


def resolve(name: str, profile: "Profile | None" = None) -> object:
    """The object a LINKS name designates (ImportError/AttributeError when it does not exist)."""
    import importlib
    full = name if name.startswith("altledger.") else f"{(profile or TWOPC).package}.{name}"
    parts = full.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(name)


TWOPC = Profile(suite="twopc", spec=SPEC, sections=(2, 13), tla=TLA, reference=REFERENCE, fast=FAST,
                package="altledger.reference.twopc", vector_test=VECTOR_TEST, page=PAGE, links=LINKS,
                test_words=("twopc",), own_test_dirs=("twopc",))


def profile_of(suite: str) -> Profile:
    """The profile of a suite (the hashgraph's lives in :mod:`altledger.conformance.abft_traceability`)."""
    if suite == "twopc":
        return TWOPC
    if suite == "abft":
        from altledger.conformance.abft_traceability import ABFT
        return ABFT
    raise ValueError(f"no traceability profile for suite {suite!r}")


if __name__ == "__main__":
    sys.stdout.write(markdown(profile=profile_of(sys.argv[1] if len(sys.argv) > 1 else "twopc")))


def refreshed_page(suite: str) -> tuple[Path, str, str]:
    """The suite's page: its path, its text as committed, and its text with every generated table
    refreshed (the hashgraph page also has the §12 divergence table).  Equal texts: the page is fresh."""
    profile = profile_of(suite)
    text = profile.page.read_text(encoding="utf-8")
    if suite == "abft":
        from altledger.conformance.abft_traceability import page_text
        return profile.page, text, page_text(text)
    return profile.page, text, page_with_table(text, markdown(profile=profile))

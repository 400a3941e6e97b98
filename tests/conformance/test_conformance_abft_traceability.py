"""docs/abft.md cannot rot: both tables equal a fresh scan of the sources (no stale entry), every clause has a
reference function and a test (or is listed as uncited, and still is), every §12 row is pinned by a test
that exists, every named broken client and vector exists, and every explicit link names something real."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from altledger.conformance.abft_broken import BUGS, UNCAUGHT
from altledger.conformance.abft_traceability import (ABFT, LINKS, PAGE, PINS, UNCITED_BY_TESTS, alternatives,
                                                     collect_divergences, divergence_rows_on_page, page_text,
                                                     spec_choices, stale_divergences)
from altledger.conformance.traceability import collect, resolve, spec_clauses, stale_entries

ROOT = Path(__file__).resolve().parents[2]
ROWS = collect(ABFT)
TEXT = PAGE.read_text(encoding="utf-8")


def test_clauses_are_read_from_the_spec() -> None:
    clauses = spec_clauses(ABFT.spec, ABFT.sections)
    assert clauses[0] == "§1.1" and clauses[-1] == "§12.17"
    assert {"§4.2", "§6.2", "§7.4", "§9.3", "§11.3", "§12.6", "§12.13"} <= set(clauses)
    assert len([c for c in clauses if c.startswith("§12.")]) == 17


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.clause)
def test_every_clause_has_a_reference_function_and_a_test(row) -> None:  # type: ignore[no-untyped-def]
    assert row.reference, f"{row.clause}: no reference function cites it"
    if row.clause in UNCITED_BY_TESTS:
        assert not row.tests, f"{row.clause} is now cited by a test: remove it from UNCITED_BY_TESTS"
    else:
        assert row.tests, f"{row.clause}: no test cites it"


def test_every_link_exists() -> None:
    clauses = spec_clauses(ABFT.spec, ABFT.sections)
    for clause, links in LINKS.items():
        assert clause in clauses
        for name, why in links:
            assert resolve(name, ABFT) is not None and why


def test_the_page_has_no_stale_entry() -> None:
    assert stale_entries(TEXT, ROWS, ABFT) == []
    assert stale_divergences(TEXT) == []


def test_stale_entries_are_found() -> None:
    """Both rot checks can fail: a renamed function, a removed row, a renamed broken client."""
    renamed = TEXT.replace("`hashgraph.coin`", "`hashgraph.toss`", 1)
    assert "`hashgraph.coin`" in TEXT and any("hashgraph.toss" in p for p in stale_entries(renamed, ROWS, ABFT))
    row = next(line for line in TEXT.splitlines() if line.startswith("| §6.3 "))
    assert "§6.3: no row on the page" in stale_entries(TEXT.replace(row + "\n", ""), ROWS, ABFT)
    bug = TEXT.replace("`broken:lower-median`", "`broken:lowest-median`")
    assert "§12.14 bugs: broken:lowest-median" in stale_divergences(bug)


def test_the_written_page_round_trips() -> None:
    fresh = page_text(TEXT)
    assert stale_entries(fresh, ROWS, ABFT) == [] and stale_divergences(fresh) == []
    assert set(divergence_rows_on_page(fresh)) == {row for row, _, _ in spec_choices()}
    assert fresh.startswith("# Hashgraph (aBFT): clauses, model, code, tests, vectors\n")


def test_every_choice_is_pinned_by_a_test_that_exists() -> None:
    rows = collect_divergences()
    assert all(r.pins for r in rows), [r.row for r in rows if not r.pins]
    for node in {p for r in rows for p in r.pins}:
        path, _, name = node.partition("::")
        function = name.split("[")[0]
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        assert function in {f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}, node
    hand = ast.parse((ROOT / "tests" / "abft" / "test_abft_handbuilt.py").read_text(encoding="utf-8"))
    hand_tests = {f.name for f in ast.walk(hand) if isinstance(f, ast.FunctionDef)}
    for row, alternative, tests in alternatives():
        assert tests and set(tests) <= hand_tests, (row, alternative, tests)
    assert set(PINS) <= {row for row, _, _ in spec_choices()}


def test_every_choice_but_one_has_a_client_and_vectors_that_catch_it() -> None:
    index = json.loads((ROOT / "conformance" / "vectors" / "abft" / "index.json").read_text(encoding="utf-8"))
    ids = {e["id"] for e in index["vectors"]}
    for r in collect_divergences():
        if r.row == "12.13":
            assert not r.bugs and r.uncaught == ["broken:vacuous-round-received"]
            continue
        assert r.bugs and r.vectors, r.row
        assert set(r.vectors) <= ids
        assert all(b.removeprefix("broken:") in BUGS for b in r.bugs)
    assert set(UNCAUGHT) == {"vacuous-round-received"}


def test_the_page_names_its_gaps() -> None:
    for clause in UNCITED_BY_TESTS:
        assert f"- {clause} —" in TEXT
    assert "broken:vacuous-round-received" in TEXT

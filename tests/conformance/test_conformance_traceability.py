"""docs/twopc.md cannot rot: its table equals a fresh scan of the sources, every clause of §2 … §13 has a
reference function and a test, and every explicit link names something that exists."""

from __future__ import annotations

import pytest

from altledger.conformance.traceability import (LINKS, PAGE, collect, markdown, page_with_table, resolve,
                                                row_of, spec_clauses, tla_citations)


def test_clauses_are_read_from_the_spec() -> None:
    clauses = spec_clauses()
    assert clauses[0] == "§2.1" and clauses[-1] == "§13.4"
    assert {"§7.1", "§8.4", "§9.2", "§12.4", "§12.8"} <= set(clauses)
    assert not [c for c in clauses if c.startswith("§1.")]


def test_citations_count_for_their_clause_row() -> None:
    rows = {r.clause: r for r in collect()}
    assert row_of("7.1.4.a", rows) == "§7.1"
    assert row_of("12.4", rows) == "§12.4"
    assert row_of("7", rows) is None


@pytest.mark.parametrize("row", collect(), ids=lambda r: r.clause)
def test_every_clause_has_a_reference_function_and_a_test(row) -> None:  # type: ignore[no-untyped-def]
    assert row.reference, f"{row.clause}: no reference function cites it"
    assert row.tests, f"{row.clause}: no test cites it"


def test_every_link_exists() -> None:
    for clause, links in LINKS.items():
        assert clause in spec_clauses()
        for name, why in links:
            assert resolve(name) is not None and why


def test_tla_operators_are_attributed() -> None:
    cited = tla_citations()
    assert "8.1.1" in cited["Submit"] and "9.2" in cited["Recover"] and "11.1" in cited["Atomicity"]


def test_the_page_shows_the_current_table() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert page_with_table(text, markdown()) == text, \
        "docs/twopc.md is out of date: run 'altledger conformance traceability --write'"

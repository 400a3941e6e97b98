"""docs/twopc.md cannot rot: its table equals a fresh scan of the sources, every clause of §2 … §13 has a
reference function and a test, and every explicit link names something that exists."""

from __future__ import annotations

import pytest

from altledger.conformance.traceability import (LINKS, PAGE, collect, markdown, page_rows, page_with_table,
                                                resolve, row_of, spec_clauses, stale_entries, tla_citations)


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


def test_the_page_has_no_stale_entry() -> None:
    """Every name the page shows is still found for its clause by a fresh scan, and every clause has a row.
    (Citations added since the page was written are not an error here; 'altledger conformance
    traceability --check' reports them, '--write' adds them.)"""
    assert stale_entries(PAGE.read_text(encoding="utf-8")) == []


def test_stale_entries_are_found() -> None:
    """The rot check can fail: a renamed function and a removed row are both reported."""
    text = PAGE.read_text(encoding="utf-8")
    renamed = text.replace("`participant.first_failure`", "`participant.first_failing_check`", 1)
    assert any("first_failing_check" in p for p in stale_entries(renamed))
    row = next(line for line in text.splitlines() if line.startswith("| §9.2 "))
    assert "§9.2: no row on the page" in stale_entries(text.replace(row + "\n", ""))


def test_the_written_table_round_trips() -> None:
    text = PAGE.read_text(encoding="utf-8")
    fresh = page_with_table(text, markdown())
    assert stale_entries(fresh) == []
    assert set(page_rows(fresh)) == set(spec_clauses())


def test_verify_fails_on_a_page_that_lags_the_code(tmp_path, monkeypatch) -> None:
    """The verify check compares the whole page with a fresh scan: a citation the page lacks fails it."""
    import dataclasses

    from altledger.conformance import traceability
    from altledger.conformance.suite_checks import suite_checks
    from altledger.conformance.suites import suite

    profile = traceability.profile_of("twopc")
    lagging = tmp_path / "twopc.md"
    lagging.write_text(profile.page.read_text().replace(", `cluster.Cluster.__init__`", "", 1))
    monkeypatch.setattr(traceability, "profile_of", lambda name: dataclasses.replace(profile, page=lagging))
    (check,) = [c for c in suite_checks(suite("twopc")) if c.name == "traceability page up to date"]
    outcome = check.run(lambda message: None)
    assert not outcome.passed and "--write" in outcome.detail
    lagging.write_text(profile.page.read_text())
    assert check.run(lambda message: None).passed

"""``altledger conformance generate``: build a suite's vectors from the reference and write them.

The vectors are committed under ``conformance/vectors/<suite>/``; a test
regenerates them into a temporary directory and compares the bytes, so a
change of behaviour in the reference (or in the generator) cannot alter the
vectors silently: it shows up as a failing test and, once regenerated, as a
reviewable diff of the vector files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from altledger.conformance.suites import VECTOR_DIR, Suite, suite
from altledger.conformance.vectors import schema_errors, write_vectors


def build(chosen: Suite) -> list[dict[str, Any]]:
    """Every vector of the suite, each checked against its JSON Schema."""
    vectors = chosen.load(chosen.generator)()
    for vector in vectors:
        problems = schema_errors(chosen, vector)
        if problems:
            raise AssertionError(f"generated vector {vector.get('id')} breaks its schema: {problems[0]}")
    return vectors


def generate(suite_name: str, out: Path = VECTOR_DIR) -> tuple[list[dict[str, Any]], list[Path]]:
    """Build and write; return the vectors and the files written (the index last)."""
    chosen = suite(suite_name)
    vectors = build(chosen)
    return vectors, write_vectors(chosen, vectors, out)

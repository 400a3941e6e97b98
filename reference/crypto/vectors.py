"""Where the external test vectors live, how to read them, how to report on them.

The vectors (RFC 8032, Wycheproof, ed25519-speccheck, ethereum/bls12-381-tests)
are data owned by their publishers; they are not copied into this repository.
They sit in ``$ALTLEDGER_SHARED/vectors/external`` or, by default,
``<repo>/../shared/vectors/external`` -- the same rule as ``tests/conftest.py``
(a test checks that the two agree).  Everything that runs vectors (the
``altledger crypto vectors`` command, the ``altledger verify`` checks, the
tests) finds them through :func:`external_vectors_dir`.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from altledger.reference.errors import InputFileError
from altledger.reference.jsontext import read_json_file

SHARED_ENV = "ALTLEDGER_SHARED"
REPO = Path(__file__).resolve().parents[2]

# suite name -> (folder under vectors/external, number of cases the INDEX lists)
ED25519_SUITES: dict[str, tuple[str, int]] = {
    "rfc8032": ("ed25519/rfc8032_ed25519.json", 5),
    "wycheproof": ("ed25519/wycheproof_ed25519_test.json", 151),
    "speccheck": ("ed25519/speccheck_cases.json", 12),
}
BLS_SUITES: dict[str, tuple[str, int]] = {
    "bls-v0.1.2": ("bls/bls12-381-tests-v0.1.2", 98),
    "bls-head": ("bls/bls12-381-tests-HEAD", 104),
}


def external_vectors_dir() -> Path:
    """``$ALTLEDGER_SHARED/vectors/external``, else ``<repo>/../shared/vectors/external``.

    Raises InputFileError if the folder does not exist: a vector run that
    silently found nothing would "pass" while checking nothing.
    """
    shared = Path(os.environ.get(SHARED_ENV, REPO.parent / "shared"))
    path = shared / "vectors" / "external"
    if not path.is_dir():
        raise InputFileError(str(path), "", "external test vectors not found; set "
                             f"${SHARED_ENV} to the folder that holds vectors/external")
    return path


def read_json(path: Path) -> Any:
    """Parse a vector file; a broken file is an InputFileError with file:line."""
    return read_json_file(path)


def parse_hex(value: object, location: str, item: str) -> bytes:
    """Hex with or without a ``0x`` prefix (the HEAD BLS suite adds it)."""
    if not isinstance(value, str):
        raise InputFileError(location, item, f"expected a hex string, got {type(value).__name__}")
    text = value[2:] if value.startswith("0x") else value
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise InputFileError(location, item, f"not hex: {value[:40]!r}") from None


@dataclass
class CaseResult:
    """One vector's outcome.  ``detail`` says what differed (or the verdict's reason)."""

    handler: str
    name: str
    passed: bool
    detail: str = ""


@dataclass
class SuiteReport:
    """All cases of one suite on one implementation, with per-handler counts."""

    suite: str
    implementation: str
    expected_cases: int
    results: list[CaseResult] = field(default_factory=list)

    @property
    def passed_count(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def ok(self) -> bool:
        """Every case passed *and* the suite holds the number of cases the INDEX lists."""
        return self.passed_count == len(self.results) == self.expected_cases

    @property
    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    def by_handler(self) -> dict[str, tuple[int, int]]:
        total = Counter(r.handler for r in self.results)
        passed = Counter(r.handler for r in self.results if r.passed)
        return {h: (passed[h], total[h]) for h in sorted(total)}

    def figure(self) -> str:
        text = f"{self.passed_count}/{len(self.results)} cases"
        if len(self.results) != self.expected_cases:
            text += f" (INDEX lists {self.expected_cases})"
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "implementation": self.implementation,
            "passed": self.ok,
            "cases": len(self.results),
            "expected_cases": self.expected_cases,
            "passed_cases": self.passed_count,
            "handlers": {h: {"passed": p, "total": t} for h, (p, t) in self.by_handler().items()},
            "failures": [{"handler": r.handler, "name": r.name, "detail": r.detail}
                         for r in self.failures],
        }

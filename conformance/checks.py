"""The unit of ``altledger verify``: a named check that passes or fails.

Why a registry of small objects instead of one long script: each area (TLC,
crypto, proofs, every protocol's vectors and traces) contributes its own checks
from its own module, and the orchestrator only runs them, times them and
tabulates them.  A check never "skips": a missing tool is a failure with a
message saying what to install.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

Progress = Callable[[str], None]


@dataclass
class Outcome:
    """What a check reports: pass/fail, one key figure for the table, details."""

    passed: bool
    figure: str = ""
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Check:
    """A named, runnable check.  ``run`` receives a progress callback."""

    group: str
    name: str
    run: Callable[[Progress], Outcome]


@dataclass
class Result:
    check: Check
    outcome: Outcome
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "group": self.check.group,
            "name": self.check.name,
            "passed": self.outcome.passed,
            "figure": self.outcome.figure,
            "detail": self.outcome.detail,
            "seconds": round(self.seconds, 3),
            "data": self.outcome.data,
        }


def run_check(check: Check, progress: Progress) -> Result:
    """Run one check; an unexpected exception is a failed check, not a crash."""
    start = time.perf_counter()
    try:
        outcome = check.run(progress)
    except Exception as exc:  # noqa: BLE001 - reported, never swallowed silently
        outcome = Outcome(False, "error", f"{type(exc).__name__}: {exc}")
    return Result(check, outcome, time.perf_counter() - start)


def rejected_at(verdict: Any, line: int) -> Outcome:
    """A trace-validation negative control: pass only if TLC rejected the trace exactly at ``line``,
    the line that was corrupted (a rejection elsewhere means the check caught something else)."""
    data: dict[str, Any] = verdict.as_json()
    if not verdict.accepted and verdict.line == line:
        return Outcome(True, f"rejected at line {line} (expected)", verdict.diagnosis, data)
    return Outcome(False, "not caught", f"expected a rejection at line {line}; got: {verdict.summary()}", data)

"""A lemma as z3 sees it: proof obligations that must be UNSAT, negative
controls that must be SAT.

Why this shape: a z3 "proof" is a claim that some formula has no model.  Two
things make such a claim worth reading:

* Each obligation is small and named ("initiation", "consecution: Decide"),
  so a failure says *which* step of the argument broke, and the counter-model
  z3 returns is printed for a human.
* Each lemma carries negative controls: deliberately broken variants that z3
  must refute (SAT, with a counter-model).  A lemma whose controls pass shows
  the encoding is strong enough to notice a real bug; without them an
  encoding that accidentally assumes ``False`` would "prove" anything.

``unknown`` (a timeout, or an undecidable corner) is never a pass: it is
reported as such and fails the lemma.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import z3

# Per-query time limit.  The lemmas in this package are written in decidable
# fragments and finish in well under a second each; a query that needs this
# long is a bug in the encoding and is reported as "unknown".
DEFAULT_TIMEOUT_MS = 60_000

ModelPrinter = Callable[[z3.ModelRef], str]


def _no_printer(model: z3.ModelRef) -> str:
    return str(model)


@dataclass(frozen=True)
class Obligation:
    """A formula whose unsatisfiability is one step of the proof.

    ``build`` returns the *negation* of the claim (e.g. Inv /\\ A /\\ ~Inv'):
    UNSAT means the claim holds.  ``explain`` prints a model if z3 finds one,
    i.e. why the claim fails.
    """

    name: str
    build: Callable[[], z3.BoolRef]
    explain: ModelPrinter = _no_printer


@dataclass(frozen=True)
class NegativeControl:
    """A formula that must be SATISFIABLE: a broken variant z3 must refute.

    ``build(n)`` returns the formula for instances with exactly ``n``
    elements of the lemma's uninterpreted sort, or with any number of them
    when ``n`` is None; ``sizes`` lists the sizes to try in order (the first
    SAT answer wins, so increasing sizes give a smallest counter-example).
    ``soft(n)`` lists facts to prefer (e.g. "no message in transit") so that
    the model printed is the plainest one.  ``describe`` renders the model as
    the counter-example a reader checks by hand; ``check_model`` returns a
    reason if the model is *not* the kind of counter-example the control is
    about, so a SAT answer for the wrong reason does not pass.
    """

    name: str
    build: Callable[[int | None], z3.BoolRef]
    describe: ModelPrinter = _no_printer
    check_model: Callable[[z3.ModelRef], str | None] = lambda _m: None
    sizes: tuple[int | None, ...] = (None,)
    soft: Callable[[int | None], list[z3.BoolRef]] = lambda _n: []


@dataclass(frozen=True)
class Lemma:
    name: str
    clause: str          # the spec clause it supports, e.g. "spec/two_phase_commit.md §11.1"
    statement: str       # the claim in words
    obligations: tuple[Obligation, ...]
    negative_controls: tuple[NegativeControl, ...] = ()
    notes: str = ""      # the abstraction, stated once


@dataclass
class QueryResult:
    """One z3 query: what was expected, what z3 said, how long it took."""

    name: str
    expected: str        # "unsat" for obligations, "sat" for negative controls
    verdict: str         # "unsat", "sat" or "unknown"
    seconds: float
    model: str = ""      # the rendered model when z3 found one
    reason: str = ""     # z3's reason for "unknown", or why a SAT model was rejected

    @property
    def ok(self) -> bool:
        return self.verdict == self.expected and not self.reason

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "expected": self.expected, "verdict": self.verdict,
                "ok": self.ok, "seconds": round(self.seconds, 4), "model": self.model,
                "reason": self.reason}


@dataclass
class LemmaResult:
    lemma: Lemma
    obligations: list[QueryResult] = field(default_factory=list)
    controls: list[QueryResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.ok for r in self.obligations) and all(r.ok for r in self.controls)

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.obligations + self.controls)

    def figure(self) -> str:
        """One line for the verify table, e.g. '15/15 obligations unsat, 3/3 controls refuted'."""
        unsat = sum(r.ok for r in self.obligations)
        refuted = sum(r.ok for r in self.controls)
        text = f"{unsat}/{len(self.obligations)} obligations unsat"
        if self.controls:
            text += f", {refuted}/{len(self.controls)} negative control" \
                    f"{'s' if len(self.controls) != 1 else ''} refuted"
        return text

    def failures(self) -> list[QueryResult]:
        return [r for r in self.obligations + self.controls if not r.ok]

    def as_json(self) -> dict[str, Any]:
        return {"lemma": self.lemma.name, "clause": self.lemma.clause,
                "statement": self.lemma.statement, "passed": self.passed,
                "figure": self.figure(), "seconds": round(self.seconds, 4),
                "obligations": [r.as_json() for r in self.obligations],
                "negative_controls": [r.as_json() for r in self.controls]}


def solve(formula: z3.BoolRef, timeout_ms: int = DEFAULT_TIMEOUT_MS,
          soft: list[z3.BoolRef] | None = None) -> tuple[str, z3.ModelRef | None, str, float]:
    """Check one formula in a fresh solver: (verdict, model or None, reason, seconds).

    With ``soft`` facts, a SAT answer is improved by z3's optimiser to a model
    satisfying as many of them as it can (readability only: the verdict is
    the plain solver's).
    """
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(formula)
    start = time.perf_counter()
    answer = solver.check()
    if answer == z3.sat:
        model = solver.model()
        if soft:
            opt = z3.Optimize()
            opt.set("timeout", timeout_ms)
            opt.add(formula)
            for fact in soft:
                opt.add_soft(fact)
            if opt.check() == z3.sat:
                model = opt.model()
        return "sat", model, "", time.perf_counter() - start
    seconds = time.perf_counter() - start
    if answer == z3.unsat:
        return "unsat", None, "", seconds
    return "unknown", None, solver.reason_unknown(), seconds


def check_obligation(ob: Obligation, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> QueryResult:
    verdict, model, reason, seconds = solve(ob.build(), timeout_ms)
    rendered = ob.explain(model) if model is not None else ""
    return QueryResult(ob.name, "unsat", verdict, seconds, rendered, reason)


def check_control(nc: NegativeControl, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> QueryResult:
    """Try each size in turn; the first SAT answer is the counter-example."""
    total, unknown = 0.0, []
    for size in nc.sizes:
        verdict, model, reason, seconds = solve(nc.build(size), timeout_ms, nc.soft(size))
        total += seconds
        if verdict == "sat":
            assert model is not None
            return QueryResult(nc.name, "sat", "sat", total, nc.describe(model),
                               nc.check_model(model) or "")
        if verdict == "unknown":
            unknown.append(f"size {size}: {reason}")
    if unknown:
        return QueryResult(nc.name, "sat", "unknown", total, "", "; ".join(unknown))
    return QueryResult(nc.name, "sat", "unsat", total, "",
                       f"no counter-example for sizes {', '.join(map(str, nc.sizes))}")


def discharge(lemma: Lemma, timeout_ms: int = DEFAULT_TIMEOUT_MS,
              progress: Callable[[str], None] = lambda _s: None) -> LemmaResult:
    """Run every obligation and every negative control of ``lemma``."""
    result = LemmaResult(lemma)
    for ob in lemma.obligations:
        progress(ob.name)
        result.obligations.append(check_obligation(ob, timeout_ms))
    for nc in lemma.negative_controls:
        progress(f"negative control: {nc.name}")
        result.controls.append(check_control(nc, timeout_ms))
    return result

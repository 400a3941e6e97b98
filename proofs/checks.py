"""``altledger verify`` provider: one check per z3 lemma.

A lemma passes only if every obligation is UNSAT and every negative control
is SAT with a counter-model of the right kind; ``unknown`` fails.  The figure
in the verify table reads e.g. "23/23 obligations unsat, 3/3 negative
controls refuted".
"""

from __future__ import annotations

from altledger.conformance.checks import Check, Outcome, Progress
from altledger.proofs.lemma import discharge
from altledger.proofs.registry import LEMMA_MODULES, lemmas_of


def _check_for(module_name: str, lemma_name: str) -> Check:
    def run(progress: Progress) -> Outcome:
        (lem,) = [x for x in lemmas_of(module_name) if x.name == lemma_name]
        result = discharge(lem, progress=progress)
        detail = "; ".join(
            f"{r.name}: expected {r.expected}, z3 said {r.verdict}"
            + (f" ({r.reason})" if r.reason else "")
            for r in result.failures())
        return Outcome(result.passed, result.figure(), detail, result.as_json())
    return Check("z3 proofs", f"{lemma_name} ({module_name.rsplit('.', 1)[-1]})", run)


def _broken_module(module_name: str, error: Exception) -> Check:
    def run(_progress: Progress) -> Outcome:
        return Outcome(False, "import error", f"{module_name}: {type(error).__name__}: {error}")
    return Check("z3 proofs", module_name.rsplit(".", 1)[-1], run)


def checks() -> list[Check]:
    found = []
    for module_name in LEMMA_MODULES:
        try:
            names = [lem.name for lem in lemmas_of(module_name)]
        except Exception as exc:  # noqa: BLE001 - one broken module must not hide the others
            found.append(_broken_module(module_name, exc))
            continue
        found.extend(_check_for(module_name, name) for name in names)
    return found

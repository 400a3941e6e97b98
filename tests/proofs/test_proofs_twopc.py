"""The z3 lemma for 2PC atomicity, and the framework's ability to fail.

Why both: a proof suite that only ever prints "unsat" proves nothing about
itself.  These tests check that every obligation of the 2PC lemma is UNSAT,
that each negative control (a deliberately broken protocol) is SAT with a
counter-model in which atomicity really fails, and that the framework
reports failure when an obligation is SAT, when z3 answers unknown, and when
a "broken" variant is in fact not refuted.
"""

from __future__ import annotations

import json
import re

import pytest
import z3
from click.testing import CliRunner

from altledger.proofs import twopc_atomicity as tp
from altledger.proofs.cli import proofs_command
from altledger.proofs.lemma import Lemma, Obligation, check_obligation, discharge
from altledger.proofs.transition import (OverModel, holds, invariant_obligations,
                                         step_control)


@pytest.fixture(scope="module")
def result():
    return discharge(tp.lemma())


def test_every_obligation_is_unsat(result):
    names = [r.name for r in result.obligations]
    # initiation, one consecution per action (so a failure names the action), the property.
    assert names[0] == "initiation" and names[-1] == "invariant implies Atomicity"
    assert {f"consecution: {a.name}" for a in tp.ACTIONS} == set(names[1:-1])
    for r in result.obligations:
        assert r.verdict == "unsat", f"{r.name}: {r.verdict} {r.reason}\n{r.model}"
    assert result.passed


def test_negative_controls_find_atomicity_violations(result):
    assert len(result.controls) == 3
    for r in result.controls:
        assert r.verdict == "sat" and r.ok, f"{r.name}: {r.verdict} {r.reason}"
        # The printed counter-model names the participants and shows both outcomes.
        assert "elements of sort Participant" in r.model
        assert "committed" in r.model and "aborted" in r.model


def test_step_control_counter_model_breaks_atomicity_after_the_step():
    control = step_control("x", tp.SYSTEM, tp.INVARIANT, tp.BROKEN_TIMEOUT, tp.ATOMICITY)
    for size in (1, 2):
        solver = z3.Solver()
        solver.add(control.build(size))
        if solver.check() == z3.sat:
            break
    else:
        pytest.fail("no counter-model with 1 or 2 participants")
    model = solver.model()
    assert size == 2  # one participant cannot disagree with itself
    post, pre = tp.SYSTEM.state("'"), tp.SYSTEM.state("")
    q = OverModel(model)
    assert holds(model, z3.And([c.formula(pre, q) for c in tp.INVARIANT]))
    assert not holds(model, tp.ATOMICITY.formula(post, q))


def test_framework_reports_a_sat_obligation_and_names_the_action():
    # Drop the conjunct about ABORT messages: atomicity is still true, but no
    # longer inductive, and z3 must say which step breaks it.
    weak = tuple(c for c in tp.INVARIANT if not c.name.startswith("ABORT in transit"))
    lemma = Lemma("weak", "test", "an invariant too weak to be inductive",
                  tuple(invariant_obligations(tp.SYSTEM, weak, tp.ATOMICITY)))
    res = discharge(lemma)
    assert not res.passed
    failed = {r.name for r in res.failures()}
    assert "consecution: ReceiveAbort" in failed
    bad = next(r for r in res.obligations if r.name == "consecution: ReceiveAbort")
    # The model names the step and the conjunct it breaks (which conjunct z3 picks is its choice).
    assert bad.verdict == "sat" and "ReceiveAbort(p=" in bad.model and "breaks: " in bad.model
    assert "obligations unsat" in res.figure() and f"{len(res.obligations) - len(failed)}/" in res.figure()


def test_unknown_is_a_failure_not_a_pass():
    x, y, z = z3.Ints("x y z")
    hard = z3.And(x > 1, y > 1, z > 1, x ** 3 + y ** 3 == z ** 3)  # no solutions; z3 cannot tell fast
    r = check_obligation(Obligation("fermat 3", lambda: hard), timeout_ms=1)
    assert r.verdict == "unknown" and not r.ok


def test_a_control_that_is_not_refuted_fails():
    # The correct TimeoutPrepared rule (query, do not abort) cannot break atomicity.
    correct = next(a for a in tp.ACTIONS if a.name == "TimeoutPrepared")
    control = step_control("correct rule", tp.SYSTEM, tp.INVARIANT, correct, tp.ATOMICITY, sizes=(1, 2, 3))
    lemma = Lemma("c", "test", "a control that should fail", (), (control,))
    res = discharge(lemma)
    assert not res.passed and res.controls[0].verdict == "unsat"


def test_cli_prints_verdicts_and_counter_models():
    out = CliRunner().invoke(proofs_command, ["--lemma", "twopc-atomicity"])
    assert out.exit_code == 0, out.output
    assert "consecution: DecideCommit" in out.output
    assert "resubmission without the durable guard" in out.output
    assert re.search(r"a run of \d+ steps that breaks Atomicity", out.output)
    assert "23/23 obligations unsat, 3/3 negative controls refuted" in out.output


def test_cli_json_and_bad_lemma_name():
    out = CliRunner().invoke(proofs_command, ["--lemma", "twopc-atomicity", "--json"])
    data = json.loads(out.output)
    assert out.exit_code == 0 and data["passed"] and [x["lemma"] for x in data["lemmas"]] == ["twopc-atomicity"]
    assert data["lemmas"][0]["obligations"][0] == {**data["lemmas"][0]["obligations"][0],
                                                   "name": "initiation", "verdict": "unsat", "ok": True}
    bad = CliRunner().invoke(proofs_command, ["--lemma", "no-such-lemma"])
    assert bad.exit_code == 2 and "no lemma named" in bad.output


def test_verify_provider_has_a_check_for_the_lemma():
    from altledger.proofs.checks import checks
    from altledger.proofs.registry import all_lemmas
    found = checks()
    assert len(found) == len(all_lemmas())  # one check per lemma
    (check,) = [c for c in found if c.name == "twopc-atomicity (twopc_atomicity)"]
    outcome = check.run(lambda _s: None)
    assert outcome.passed and outcome.figure.startswith("23/23 obligations unsat")


def test_atomicity_does_not_need_the_commit_outcome_forced():
    # Spec §5.2 says OutcomeRecord(COMMIT) must be forced so that the
    # coordinator cannot answer ABORT after forgetting; the coordinator
    # answers from its log, so atomicity survives a lost COMMIT outcome.
    # Losing a PreparedRecord instead (the control) does break it.
    res = discharge(tp.unforced_commit_lemma())
    assert "consecution: ForgetUnforcedCommit" in [r.name for r in res.obligations]
    assert all(r.verdict == "unsat" for r in res.obligations), res.failures()
    (control,) = res.controls
    assert control.ok and "ForgetUnforcedPrepared(p=" in control.model

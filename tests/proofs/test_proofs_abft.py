"""The z3 lemmas of spec/abft.md §11.1 (quorum intersection) and §11.2 (fork exclusion).

What is checked, and why each check can fail:

* every obligation is UNSAT, and each becomes SAT when the encoding is
  deliberately broken (a non-strict threshold, the honest-chain axiom
  dropped): the proofs depend on what they claim to depend on;
* every negative control is SAT, and its counter-model is checked here
  again, by plain arithmetic on the realised membership and by the
  reference hashgraph on the realised DAG, not by trusting ``sat``;
* the control the brief and §11.2 ask for (Byzantine stake *exactly* S/3,
  strict thresholds) has no model: fork exclusion still holds there;
* the Venn encoding agrees with brute force on random small memberships.
"""

from __future__ import annotations

import itertools
import json

import pytest
import z3
from click.testing import CliRunner
from hypothesis import given, strategies as st

from altledger.proofs import abft_fork_dag as fork_dag
from altledger.proofs import abft_forks as forks
from altledger.proofs import abft_quorum as quorum
from altledger.proofs import abft_venn as venn_mod
from altledger.proofs.cli import proofs_command
from altledger.proofs.lemma import discharge, solve
from altledger.proofs.registry import LEMMA_MODULES
from altledger.reference.abft import hashgraph as hg


@pytest.fixture(scope="module")
def quorum_result():
    return discharge(quorum.lemma())


@pytest.fixture(scope="module")
def forks_result():
    return discharge(forks.lemma())


def _model(formula, soft=()):
    verdict, model, reason, _ = solve(formula, 20_000, list(soft))
    assert verdict == "sat", reason
    return model


# ---------------------------------------------------------------- obligations


def test_quorum_obligations_are_unsat(quorum_result):
    assert quorum_result.lemma.clause == "spec/abft.md §11.1"
    assert len(quorum_result.obligations) == 6
    for r in quorum_result.obligations:
        assert r.verdict == "unsat", f"{r.name}: {r.verdict} {r.reason}\n{r.model}"
    assert quorum_result.passed


def test_fork_obligations_are_unsat(forks_result):
    assert forks_result.lemma.clause == "spec/abft.md §11.2"
    names = [r.name for r in forks_result.obligations]
    assert any("§11.2's axiom" in n for n in names) and any("end to end" in n for n in names)
    for r in forks_result.obligations:
        assert r.verdict == "unsat", f"{r.name}: {r.verdict} {r.reason}\n{r.model}"
    assert forks_result.passed


def test_exactly_a_third_strict_is_not_a_counter_example():
    """The brief (and §11.2) expect a counter-model at Byzantine stake exactly
    S/3.  There is none: with strict > 2/3 thresholds, stake(C ∩ C') > S/3
    forces more Byzantine stake than that.  Symbolically, and on every finite
    instance the controls search."""
    for size in (None,) + forks.CONTROL_SIZES:
        k = forks.config()
        q, facts = (forks.SYMBOLIC, z3.BoolVal(True)) if size is None else forks.instance(k, size)
        exactly_a_third = 3 * forks.byzantine_stake(k) == k.venn.total
        formula = z3.And(facts, forks.both_sides_strongly_seen(k, q=q), exactly_a_third)
        assert solve(formula, 20_000)[0] == "unsat", size
    v = quorum.venn()
    total, _, _, _, honest, byz = quorum._stakes(v)
    assert solve(z3.And(quorum._quorums(v), 3 * byz == total, honest == 0))[0] == "unsat"


# ---------------------------------------------------------------- mutants: the proofs can fail


def test_non_strict_threshold_breaks_the_obligations(monkeypatch):
    def non_strict(stake, total, strict=True):
        return 3 * stake >= 2 * total
    monkeypatch.setattr(quorum, "supermajority", non_strict)
    monkeypatch.setattr(forks, "supermajority", non_strict)
    assert solve(quorum.intersection_exceeds_third())[0] == "sat"
    assert solve(quorum.honest_member_in_intersection(True)())[0] == "sat"
    assert solve(forks.stake_level(True)())[0] == "sat"
    model = _end_to_end_on_instance(lambda byz, total: 3 * byz <= total)
    values = forks.config().venn.values(model)
    assert 3 * sum(n for p, n in values.items() if p[2]) <= sum(values.values())


def _end_to_end_on_instance(bound, size=3):
    """The end-to-end obligation's formula on a finite instance (z3's MBQI is
    not complete for finding models of the symbolic one); must be SAT here."""
    k = forks.config()
    q, facts = forks.instance(k, size)
    formula = z3.And(facts, forks.both_sides_strongly_seen(k, q=q),
                     bound(forks.byzantine_stake(k), k.venn.total))
    return _model(formula)


def test_without_the_honest_chain_axiom_the_fork_proof_fails(monkeypatch):
    monkeypatch.setattr(forks, "honest_members_do_not_fork", lambda q=forks.SYMBOLIC: z3.BoolVal(True))
    assert solve(forks.honest_member_sees_one_side())[0] == "sat"
    model = _end_to_end_on_instance(lambda byz, total: 3 * byz < total)
    k = forks.config()
    honest_both = k.venn.stake(lambda m: m["C"] and m["C'"] and not m["F"])
    assert model.eval(honest_both).as_long() >= 1   # an "honest" member now sees both sides


@pytest.mark.parametrize("dropped", [1, 4])  # transitivity of ancestor; self-ancestor => ancestor
def test_each_dag_axiom_the_honest_chain_fact_uses_is_needed(monkeypatch, dropped):
    original = forks.dag_axioms

    def weaker(q=forks.SYMBOLIC):
        parts = original(q).children()
        if dropped == 4:  # keep "same creator", drop "is an ancestor"
            return z3.And(*parts[:4], forks._all(q, lambda x, y: z3.Implies(
                forks.self_ancestor(x, y), forks.creator(x) == forks.creator(y)), 2))
        return z3.And(*(p for i, p in enumerate(parts) if i != dropped))
    monkeypatch.setattr(forks, "dag_axioms", weaker)
    assert solve(forks.honest_member_sees_one_side(), 20_000)[0] == "sat"


# ---------------------------------------------------------------- quorum counter-models, re-checked


def _figures(members):
    def s(pred):
        return sum(m.stake for m in members if pred(m.sets))
    return dict(S=s(lambda x: True), A=s(lambda x: "A" in x), B=s(lambda x: "B" in x),
                both=s(lambda x: {"A", "B"} <= x), honest=s(lambda x: {"A", "B"} <= x and "F" not in x),
                F=s(lambda x: "F" in x))


@pytest.mark.parametrize("index", [0, 1, 2])
def test_quorum_controls_counter_models(index, quorum_result):
    control = quorum.lemma().negative_controls[index]
    r = quorum_result.controls[index]
    assert r.verdict == "sat" and r.ok, (r.name, r.reason)
    model = _model(control.build(None), control.soft(None))
    members = quorum.members_of(model)
    assert all(m.stake >= 1 for m in members)
    f = _figures(members)
    if index == 0:      # strict quorums, Byzantine just above S/3, intersection all Byzantine
        assert 3 * f["A"] > 2 * f["S"] and 3 * f["B"] > 2 * f["S"]
        assert f["S"] < 3 * f["F"] < f["S"] + 3 and f["honest"] == 0 and f["both"] > 0
    elif index == 1:    # non-strict quorums meeting in exactly S/3
        assert 3 * f["A"] >= 2 * f["S"] and 3 * f["B"] >= 2 * f["S"]
        assert 3 * f["both"] == f["S"] and not (3 * f["A"] > 2 * f["S"] and 3 * f["B"] > 2 * f["S"])
    else:               # non-strict quorums, Byzantine exactly S/3, intersection all Byzantine
        assert 3 * f["A"] >= 2 * f["S"] and 3 * f["B"] >= 2 * f["S"]
        assert 3 * f["F"] == f["S"] and f["honest"] == 0
    assert f"S = {f['S']}" in r.model


def test_quorum_check_rejects_a_model_that_is_no_counter_example():
    v = quorum.venn()
    total, _, _, _, honest, byz = quorum._stakes(v)
    model = _model(z3.And(quorum._quorums(v), honest >= 1, 3 * byz > total))
    assert quorum.check_counter_model(True, "above")(model) is not None


# ---------------------------------------------------------------- fork counter-models, as real DAGs


def _realised(kind):
    for size in forks.CONTROL_SIZES:
        verdict, model, _, _ = solve(forks.control_formula(kind, size), 20_000, forks.config().venn.small())
        if verdict == "sat":
            d = forks.realised_dag(model)
            assert not isinstance(d, str), d
            return d
    pytest.fail(f"no model for {kind}")


def _stakes(d):
    total = sum(m.stake for m in d.members)
    byz = sum(m.stake for m in d.members if "F" in m.sets)
    return total, byz


def _members_that_fork(d):
    events = list(d.hashes.values())
    return {d.g.member_id(d.g.event(u).creator) for u, v in itertools.combinations(events, 2)
            if hg.is_fork(d.g, u, v)}


def test_fork_controls_pass(forks_result):
    assert [r.verdict for r in forks_result.controls] == ["sat"] * 3
    assert all(r.ok for r in forks_result.controls), [r.reason for r in forks_result.controls]


def test_above_a_third_both_sides_strongly_seen_by_the_reference():
    d = _realised("above")
    total, byz = _stakes(d)
    assert total < 3 * byz < total + 3
    a, b = d.h("a"), d.h("b")
    assert hg.is_fork(d.g, a, b)
    assert hg.strongly_sees(d.g, d.h(d.x), a) and hg.strongly_sees(d.g, d.h(d.x_right), b)
    assert _members_that_fork(d) <= {m.name for m in d.members if "F" in m.sets}
    # Each member in both C and C' has one event seeing a and one seeing b.
    for name in set(d.z_left) & set(d.z_right):
        assert hg.sees(d.g, d.h(d.z_left[name]), a) and hg.sees(d.g, d.h(d.z_right[name]), b)


def test_non_strict_threshold_at_exactly_a_third():
    d = _realised("non-strict")
    total, byz = _stakes(d)
    assert 3 * byz == total
    see = fork_dag.reference_sees(d)
    for x, y, z in ((d.x, "a", d.z_left), (d.x_right, "b", d.z_right)):
        creators = {d.creators[e] for e in z.values()}
        weight = sum(m.stake for m in d.members if m.name in creators)
        assert 3 * weight >= 2 * total
        assert see(x, y) and all(see(x, e) and see(e, y) for e in z.values())
    # The real (strict) definition does not strongly see both: the threshold matters.
    assert not (hg.strongly_sees(d.g, d.h(d.x), d.h("a")) and hg.strongly_sees(d.g, d.h(d.x_right), d.h("b")))


def test_without_the_fork_condition_an_honest_member_links_both_sides():
    d = _realised("no fork condition")
    total, byz = _stakes(d)
    assert 3 * byz < total
    assert _members_that_fork(d) <= {m.name for m in d.members if "F" in m.sets}
    anc = fork_dag.ancestry_only(d)
    assert anc(d.x, "a") and anc(d.x_right, "b")
    assert all(anc(e, "a") for e in d.z_left.values()) and all(anc(e, "b") for e in d.z_right.values())
    assert not (hg.strongly_sees(d.g, d.h(d.x), d.h("a")) and hg.strongly_sees(d.g, d.h(d.x_right), d.h("b")))


def test_fork_check_rejects_a_dag_that_is_no_counter_example():
    d = _realised("no fork condition")   # only a counter-example when §4.1 is broken
    assert fork_dag.problem(d, "above") is not None
    assert fork_dag.problem(d, "no fork condition") is None


@given(st.lists(st.integers(0, 4), min_size=8, max_size=8), st.integers(0, 7))
def test_realised_dags_agree_with_the_stake_level(vector, pick):
    """For any region stakes with supermajorities C and C' and a Byzantine
    forker, the realised DAG has both sides strongly seen (by the reference)
    exactly when no honest member is in C ∩ C' -- the stake-level condition is
    the whole story, in both directions, on concrete DAGs."""
    v = forks.config().venn
    values = dict(zip(v.patterns, vector))
    if not any(n for p, n in values.items() if p[2]):
        values[(False, False, True)] = 1              # someone must be Byzantine: the forker
    total = sum(values.values())
    c = sum(n for p, n in values.items() if p[0])
    c2 = sum(n for p, n in values.items() if p[1])
    # Make C and C' supermajorities by adding just enough Byzantine stake to both.
    values[(True, True, True)] += max(0, 2 * total - 3 * c + 1, 2 * total - 3 * c2 + 1)
    members = venn_mod.realise(v, values)
    byzantine = [m for m in members if "F" in m.sets]
    d = fork_dag.build(members, byzantine[pick % len(byzantine)])
    verdict = fork_dag.judge(d, "above")
    assert verdict.fork and verdict.forkers <= {m.name for m in byzantine}
    honest_in_both = values[(True, True, False)] > 0
    both = verdict.reference_left and verdict.reference_right
    assert both == (not honest_in_both)
    assert both == (verdict.literal_left and verdict.literal_right)


# ---------------------------------------------------------------- the Venn encoding against brute force


@given(st.lists(st.tuples(st.integers(1, 6), st.booleans(), st.booleans(), st.booleans()),
                min_size=1, max_size=7))
def test_venn_claims_hold_on_random_memberships(members):
    total = sum(s for s, *_ in members)
    a = sum(s for s, x, _, _ in members if x)
    b = sum(s for s, _, y, _ in members if y)
    byz = sum(s for s, _, _, f in members if f)
    honest_both = [s for s, x, y, f in members if x and y and not f]
    if 3 * a > 2 * total and 3 * b > 2 * total:
        assert 3 * sum(s for s, x, y, _ in members if x and y) > total
        if 3 * byz <= total:
            assert honest_both


@given(st.lists(st.integers(0, 9), min_size=8, max_size=8))
def test_every_region_vector_is_realised(vector):
    v = quorum.venn()
    values = dict(zip(v.patterns, vector))
    members = venn_mod.realise(v, values)
    for p in v.patterns:
        inside = frozenset(n for n, bit in zip(v.sets, p) if bit)
        assert sum(m.stake for m in members if m.sets == inside) == values[p]
    assert all(m.stake >= 1 for m in members)


# ---------------------------------------------------------------- CLI and verify


def test_registered_and_listed():
    assert {"altledger.proofs.abft_quorum", "altledger.proofs.abft_forks"} <= set(LEMMA_MODULES)
    out = CliRunner().invoke(proofs_command, ["--list"])
    assert "abft-quorum-intersection\tspec/abft.md §11.1" in out.output
    assert "abft-fork-exclusion\tspec/abft.md §11.2" in out.output


def test_cli_prints_counter_models():
    out = CliRunner().invoke(proofs_command, ["--lemma", "abft-fork-exclusion"])
    assert out.exit_code == 0, out.output
    assert "6/6 obligations unsat, 3/3 negative controls refuted" in out.output
    assert "reference hashgraph.strongly_sees:" in out.output and "creates the fork a, b" in out.output
    out = CliRunner().invoke(proofs_command, ["--lemma", "abft-quorum-intersection", "--json"])
    data = json.loads(out.output)
    assert out.exit_code == 0 and data["passed"]
    assert all(c["model"].startswith("S = ") for c in data["lemmas"][0]["negative_controls"])


def test_verify_provider_runs_the_abft_lemmas():
    from altledger.proofs.checks import checks
    found = {c.name: c for c in checks()}
    for name in ("abft-quorum-intersection (abft_quorum)", "abft-fork-exclusion (abft_forks)"):
        outcome = found[name].run(lambda _s: None)
        assert outcome.passed and outcome.figure == "6/6 obligations unsat, 3/3 negative controls refuted"

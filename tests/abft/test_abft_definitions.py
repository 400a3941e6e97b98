"""The reference's definitions equal a brute-force, clause-by-clause evaluation of the spec.

The reference computes §4.1/§4.2 through §4.3's equivalent (latest event per
creator, with forks detected by merging self-chains) and finds round-r
witnesses one per creator chain.  ``abft_literal.Literal`` evaluates the
clauses literally (all pairs of ancestors for forks, the largest admissible
set Z, every witness of the DAG).  They must agree on every relation and on
the whole consensus output, for DAGs with forks, unequal stakes and coin
rounds.
"""

from __future__ import annotations

import pytest
from abft_gen import random_dag
from abft_literal import Literal
from hypothesis import given
from hypothesis import strategies as st

from altledger.reference.abft import hashgraph as hg
from altledger.reference.abft.consensus import consensus_output
from altledger.reference.abft.simulate import simulate


def relation_mismatches(g) -> list[str]:
    """Every pair on which a §3-§6 relation of the reference differs from the literal one."""
    lit = Literal(g)
    problems = []
    events = list(g)
    for x in events:
        if hg.round_created(g, x) != lit.round(x):
            problems.append(f"round {g.label(x)}: {hg.round_created(g, x)} != {lit.round(x)}")
        if hg.is_witness(g, x) != lit.witness(x):
            problems.append(f"witness {g.label(x)}")
        for y in events:
            if hg.sees(g, x, y) != lit.sees(x, y):
                problems.append(f"sees({g.label(x)}, {g.label(y)})")
            if hg.strongly_sees(g, x, y) != lit.strongly_sees(x, y):
                problems.append(f"strongly_sees({g.label(x)}, {g.label(y)})")
            if hg.is_fork(g, x, y) != lit.is_fork(x, y):
                problems.append(f"is_fork({g.label(x)}, {g.label(y)})")
    witnesses = [w for w in events if lit.witness(w)]
    for y in witnesses:
        for x in witnesses:
            if lit.round(y) > lit.round(x) and hg.vote(g, y, x) != lit.vote(y, x):
                problems.append(f"vote({g.label(y)}, {g.label(x)})")
    return problems


@given(seed=st.integers(0, 2 ** 32 - 1))
def test_relations_equal_the_literal_clauses(seed):
    g = random_dag(seed, events=18)
    assert relation_mismatches(g) == []


@given(seed=st.integers(0, 2 ** 32 - 1))
def test_output_equals_the_literal_clauses_on_random_dags(seed):
    g = random_dag(seed, events=30)
    assert consensus_output(g) == Literal(g).output()


@pytest.mark.parametrize("members, events, stakes, forkers, coin_period, seed", [
    (4, 70, None, 1, 3, 1),
    (4, 70, None, 1, 10, 2),
    (3, 50, [1, 2, 4], 1, 3, 3),        # the forker holds 1 of 7
    (4, 60, [3, 1, 1, 1], 1, 4, 4),     # the forker holds half the stake
    (5, 70, [1, 1, 2, 3, 5], 2, 3, 5),
])
def test_output_equals_the_literal_clauses_on_gossip(members, events, stakes, forkers, coin_period, seed):
    run = simulate(members, events, seed, stakes, forkers, coin_period)
    assert consensus_output(run.dag) == Literal(run.dag).output()


def test_the_literal_comparison_catches_a_wrong_equivalence(monkeypatch):
    """Mutant: merging two creators' chains ignores forks (a plausible slip in §4.3's shortcut)."""
    graphs = [random_dag(seed, events=18, fork_rate=0.15) for seed in range(12)]
    assert all(relation_mismatches(g) == [] for g in graphs)
    monkeypatch.setattr(hg, "merge_chain_tops", lambda g, a, b: b if a is None or a == hg.FORKED else a)
    graphs = [random_dag(seed, events=18, fork_rate=0.15) for seed in range(12)]
    assert any(relation_mismatches(g) for g in graphs)

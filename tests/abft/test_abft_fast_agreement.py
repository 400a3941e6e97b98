"""§11.3 agreement between honest members' views, computed by the fast backend — and the checker can fail.

tests/abft/test_abft_properties.py checks agreement on simulator runs with
forkers below S/3 and shows its checker catches an injected view-dependent
timestamp.  What it does not show is that *forks* by at least S/3 of the
stake really break agreement (the simulator hands a fork's second side to
one member and its gossip is never partitioned, so honest members soon see
both sides and merely stop seeing the forker).  Here a seeded partition run
(:mod:`altledger.fast.abft.scenarios`) has forkers gossip a different
chain to each side of a partition: with forking stake >= S/3 both sides
order events without seeing each other and the checker reports it; with
forking stake < S/3 the same run, healed, passes — and so do simulator runs.
"""

from __future__ import annotations

import pytest

from altledger.fast.abft import backend as fast
from altledger.fast.abft.crosscheck import agreement_problems
from altledger.fast.abft.scenarios import partition_run
from altledger.reference.abft import consensus as reference
from altledger.reference.abft.simulate import simulate


def outputs_of_views(run, step=None) -> dict[str, dict]:
    return {m: fast.consensus_output(run.view(m, step)) for m in run.honest}


# (stakes, forkers, side A, seed): forkers first; forking stake >= S/3, and forkers + either side > 2S/3.
SPLIT_BRAIN = [
    ([2, 1, 1], 1, [1], 1),                # S = 4: forker 2, each side 1
    ([3, 1, 1, 1, 1], 1, [1, 2], 2),       # S = 7: forker 3, each side 2
    ([1, 1, 1, 1], 2, [2], 3),             # two forkers holding 2 of 4, each side 1
]


@pytest.mark.parametrize("stakes, forkers, side_a, seed", SPLIT_BRAIN)
def test_forks_by_a_third_of_the_stake_break_agreement(stakes, forkers, side_a, seed):
    assert 3 * sum(stakes[:forkers]) >= sum(stakes)
    run = partition_run(stakes, forkers, side_a, syncs=400, seed=seed)
    outputs = outputs_of_views(run)
    problems = agreement_problems(outputs)
    assert any("neither total order is a prefix" in p for p in problems), problems
    assert all(outputs[m]["order"] for m in run.honest), "every honest member orders events"
    # The views are computed right: the fast output of a view is the reference's.
    view = run.view(run.honest[0])
    assert fast.consensus_output(view) == reference.consensus_output(view)


# Forking stake < S/3: during the partition at most one side can reach a supermajority; after
# `heal_after` syncs the sides gossip again.  Checked at several points of the run.
HEALED = [
    ([1, 2, 2, 1, 1], 1, [1, 2], 4),
    ([1, 1, 1, 1], 1, [1, 2], 5),
    ([2, 3, 3, 1], 1, [1], 6),
]


@pytest.mark.parametrize("stakes, forkers, side_a, seed", HEALED)
def test_forks_below_a_third_keep_agreement_through_a_partition(stakes, forkers, side_a, seed):
    assert 3 * sum(stakes[:forkers]) < sum(stakes)
    run = partition_run(stakes, forkers, side_a, syncs=360, seed=seed, heal_after=160)
    for step in (100, 200, 280, None):
        outputs = outputs_of_views(run, step)
        assert agreement_problems(outputs) == [], f"after sync {step}"
    assert all(len(o["order"]) > 50 for o in outputs.values())


def test_simulator_runs_with_minority_forkers_agree():
    for seed, members, stakes, forkers in [(51, 4, None, 1), (52, 7, [1, 2, 1, 3, 2, 2, 1], 2)]:
        run = simulate(members, 600, seed, stakes, forkers=forkers, coin_period=4)
        honest = [m.id for m in run.dag.members if m.id not in run.forkers]
        for upto in (len(run.log.operations) // 2, None):
            outputs = {m: fast.consensus_output(run.view_dag(m, upto)) for m in honest}
            assert agreement_problems(outputs) == []
        assert all(outputs[m]["order"] for m in honest)


def test_the_checker_reports_fame_and_timestamp_disagreements():
    entry = {"hash": "00", "round": 1, "witness": True, "famous": True, "round_received": 2,
             "consensus_timestamp": 5}
    a = {"last_decided_round": 1, "events": {"x": entry}, "order": ["x"]}
    b = {"last_decided_round": 1, "events": {"x": {**entry, "famous": False, "consensus_timestamp": 6}},
         "order": ["x"]}
    problems = agreement_problems({"p": a, "q": b})
    assert len(problems) == 2
    assert "x is famous for p, not famous for q" in problems[0]
    assert "x received in round 2 at 5 for p, round 2 at 6 for q" in problems[1]

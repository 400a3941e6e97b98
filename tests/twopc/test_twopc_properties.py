"""Properties of §11 over random runs: seeded simulations and Hypothesis-chosen operation sequences.

Why two generators: the simulator's schedules are realistic (submissions over
time, mostly in-order delivery, faults at given rates); Hypothesis picks
*any* operation at each point — crashing a shard twice in a row, delivering
the newest message first, timing out a transaction nobody has seen — and
shrinks a failure to a short sequence.  Both check the invariants after
every operation and termination after a drain.
"""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from twopc_helpers import agent, assert_sound, drain, make_tx, new_cluster

from altledger.reference.twopc import Faults, InvariantChecker, Workload, check_all, check_quiescent, simulate
from altledger.reference.twopc.txfacts import participants_of, txid_of

fault_mixes = st.builds(
    Faults,
    loss=st.sampled_from([0.0, 0.02, 0.1, 0.3]), dup=st.sampled_from([0.0, 0.05, 0.2]),
    crash=st.sampled_from([0.0, 0.01, 0.05]), recover=st.sampled_from([0.05, 0.3]),
    reorder=st.sampled_from([0.0, 0.5, 1.0]), timeout=st.sampled_from([0.0, 0.02, 0.2]),
    flush=st.sampled_from([0.0, 0.1]))


def check_simulation(seed, faults, shards, max_legs):
    result = simulate(seed, Workload(agents=10, shards=shards, txs=15, max_legs=max_legs, hot_agents=2), faults)
    assert result.violations == [], result.violations[:5]
    assert all(o.status in ("committed", "aborted") for o in result.outcomes)
    assert check_quiescent(result.cluster) == []


@given(seed=st.integers(0, 2**32), faults=fault_mixes, shards=st.integers(1, 5), max_legs=st.integers(2, 5))
@settings(deadline=None)       # example counts come from the profile (ci: 60; fuzz: 5000)
def test_random_simulations_keep_every_invariant_and_terminate(seed, faults, shards, max_legs):
    check_simulation(seed, faults, shards, max_legs)


K = 3
POOL_AGENTS = [agent(s, i, K) for s in range(K) for i in range(2)]


def pool():
    """A few transactions that compete for the same agents, including a single-participant one."""
    a = POOL_AGENTS
    return [make_tx([(a[0], 3, 1)], [(a[2], 1), (a[4], 2)], b"p1"),
            make_tx([(a[2], 2, 1)], [(a[0], 2)], b"p2"),
            make_tx([(a[4], 1, 1), (a[1], 1, 1)], [(a[3], 2)], b"p3"),
            make_tx([(a[0], 1, 1)], [(a[1], 1)], b"p4"),                 # both on shard 0
            make_tx([(a[5], 50, 1)], [(a[0], 50)], b"p5")]             # too poor: NO


class AnySchedule(RuleBasedStateMachine):
    """Every operation of §13.1 at any time, with the invariants checked after each."""

    def __init__(self) -> None:
        super().__init__()
        self.cluster = new_cluster(K, {POOL_AGENTS[5]: 10}, default=20)
        self.checker = InvariantChecker(self.cluster)
        self.txs = pool()
        self.steps = 0

    def apply(self, op) -> None:
        applied = self.cluster.apply(op)
        problems = self.checker.observe(self.cluster, applied)
        assert not problems, problems
        self.steps += 1

    @rule(i=st.integers(0, 4))
    def submit(self, i):
        self.apply(("submit", self.txs[i]))

    @precondition(lambda self: self.cluster.network)
    @rule(data=st.data(), kind=st.sampled_from(["deliver", "deliver", "deliver", "drop", "duplicate"]))
    def network(self, data, kind):
        number = data.draw(st.sampled_from(sorted(self.cluster.network)))
        self.apply((kind, number))

    @rule(i=st.integers(0, 4), data=st.data())
    def timeout(self, i, data):
        tx = self.txs[i]
        shard = data.draw(st.sampled_from(participants_of(tx, K)))
        self.apply(("timeout", shard, txid_of(tx)))

    @rule(shard=st.integers(0, K - 1), kind=st.sampled_from(["crash", "recover", "flush"]))
    def shard_event(self, shard, kind):
        self.apply((kind, shard))

    @invariant()
    def full_check_now_and_then(self):
        if self.steps % 7 == 0:
            assert_sound(self.cluster)

    def teardown(self):
        drain(self.cluster)                       # faults stop: everything recovers and completes
        problems = check_all(self.cluster) + check_quiescent(self.cluster)
        assert not problems, problems


TestAnySchedule = AnySchedule.TestCase
TestAnySchedule.settings = settings(deadline=None)   # example and step counts come from the profile


def test_the_random_property_fails_on_a_broken_protocol(monkeypatch):
    """Shown once automatically: with the coordinator counting NO as YES, the property above fails."""
    import pytest
    from hypothesis import Phase

    from altledger.reference.encoding import VoteMsg, VoteReason, VoteValue
    from altledger.reference.twopc import coordinator as coordinator_rules
    from altledger.reference.twopc import shard as shard_module

    original = coordinator_rules.on_vote

    def commit_on_no(b, vote):
        if vote.vote is VoteValue.NO:
            vote = VoteMsg(vote.txid, vote.shard, VoteValue.YES, VoteReason.NONE)
        original(b, vote)
    monkeypatch.setattr(shard_module, "on_vote", commit_on_no)
    search = settings(max_examples=20, phases=[Phase.generate], database=None, deadline=None,
                      report_multiple_bugs=False)(
        given(seed=st.integers(0, 2**32), faults=fault_mixes, shards=st.integers(2, 5), max_legs=st.integers(2, 5))(
            check_simulation))
    with pytest.raises(AssertionError):
        search()

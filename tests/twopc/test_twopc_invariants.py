"""The invariant checker can fail: deliberately broken protocols are caught (spec/two_phase_commit.md §11).

Each mutant is injected with monkeypatch into the reference itself, run on
a directed schedule (the shortest way to the bug) and/or on seeded random
runs, and the checker must name the property it breaks.  Without the
mutant the same schedules are clean, so the failures are the mutant's.
"""

from __future__ import annotations

import pytest
from twopc_helpers import agent, deliver_all, make_tx, new_cluster

from altledger.reference.encoding import (Ack, Decision, Outcome, OutcomeRecord, Prepare, Query, VoteMsg, VoteReason,
                                          VoteValue, agent_id)
from altledger.reference.twopc import (InvariantChecker, Log, Phase, RmState, Workload, check_all, parse_faults,
                                       simulate)
from altledger.reference.twopc import coordinator as coordinator_rules
from altledger.reference.twopc import participant as participant_rules
from altledger.reference.twopc import shard as shard_module
from altledger.reference.twopc.txfacts import coordinator_of, legs_on, participants_of, txid_of

K = 3
X0, X1, X2 = agent(0, 0, K), agent(1, 0, K), agent(2, 0, K)


def three_way(tag: bytes = b""):
    return make_tx([(X0, 8, 1)], [(X1, 4), (X2, 4)], tag)


class Watched:
    """A cluster whose every operation goes through the incremental checker, collecting violations."""

    def __init__(self) -> None:
        self.cluster = new_cluster(K)
        self.checker = InvariantChecker(self.cluster)
        self.violations: list = []

    def __getattr__(self, name):
        method = getattr(self.cluster, name)

        def call(*args):
            applied = method(*args)
            self.violations += self.checker.observe(self.cluster, applied)
            return applied
        return call

    def find(self, message_type, recipient, outcome=None) -> int:
        for n, e in self.cluster.network.items():
            if isinstance(e.message, message_type) and e.recipient == recipient and (
                    outcome is None or e.message.outcome is outcome):
                return n
        raise LookupError(f"no {message_type.__name__} to {recipient} in the network")

    def names(self) -> set[str]:
        return {v.invariant for v in self.violations + check_all(self.cluster)}


def random_runs(seeds=range(12), faults="mild", txs=25, stop=True) -> set[str]:
    """The properties violated by seeded simulations (each stops at its first violation)."""
    found: set[str] = set()
    for seed in seeds:
        result = simulate(seed, Workload(agents=8, shards=3, txs=txs, hot_agents=2), parse_faults(faults),
                          stop_on_violation=stop)
        found |= {v.invariant for v in result.violations}
    return found


def test_the_random_runs_used_below_are_clean_without_a_mutant():
    assert random_runs(faults="mild") == set()
    assert random_runs(faults="mild,crash=0.05,recover=0.2") == set()
    assert random_runs(faults="mild,timeout=0.1") == set()


# -- mutant: the coordinator counts a NO vote as a YES (model variant "commitOnNo") ------------------------

def commit_on_no(monkeypatch):
    original = coordinator_rules.on_vote

    def on_vote(b, vote):
        if vote.vote is VoteValue.NO:
            vote = VoteMsg(vote.txid, vote.shard, VoteValue.YES, VoteReason.NONE)
        original(b, vote)
    monkeypatch.setattr(shard_module, "on_vote", on_vote)


def test_commit_on_no_breaks_atomicity_and_validity(monkeypatch):
    commit_on_no(monkeypatch)
    run = Watched()
    holder = make_tx([(X2, 1, 1)], [(X0, 1)], b"holder")     # coordinated by shard 2: locks X2 there
    run.submit(holder)
    run.submit(three_way())
    run.deliver(run.find(Prepare, 2))                         # shard 2 votes NO (LOCKED) ...
    while run.cluster.network:
        run.deliver(next(iter(run.cluster.network)))
    assert {"Atomicity", "Validity"} <= run.names()           # ... and shards 0, 1 commit anyway
    # (the coordinator now re-sends COMMIT to the aborted shard forever: no termination either)


def test_commit_on_no_is_found_by_random_runs(monkeypatch):
    commit_on_no(monkeypatch)
    # the first property to fail is Conservation: once the commit is decided, the legs of the participants
    # still prepared are "pending", but the NO voter's legs will never be applied; Atomicity and Validity
    # follow when a participant commits (the directed test above), but these runs stop at the first violation
    assert "Conservation" in random_runs()
    assert {"Atomicity", "Validity"} <= random_runs(seeds=range(4), stop=False)


# -- mutant: a participant buffers its COMMIT outcome instead of forcing it (model variant "noForceCommit") --

def unforced_commit(monkeypatch):
    original = participant_rules.on_commit_decision

    def on_commit_decision(b, txid):
        if b.state.rm_state(txid) is not RmState.PREPARED:
            return original(b, txid)
        tx = b.state.log.prepared_tx(txid)
        b.append_to_buffer(OutcomeRecord(txid, Outcome.COMMIT))        # BUG: not forced (§5.2)
        b.apply_legs(legs_on(tx, b.shard, b.shard_count))
        b.send(coordinator_of(tx, b.shard_count), Ack(txid, b.shard))
    monkeypatch.setattr(participant_rules, "on_commit_decision", on_commit_decision)


def test_unforced_commit_record_applies_the_legs_twice_after_a_crash(monkeypatch):
    """The crash loses the buffered COMMIT but not the store update; the participant is prepared again,
    and the re-sent commit applies the legs a second time.  (With the coordinator's commit record kept
    forever, the failure is Conservation, not Atomicity: see the report on spec §5.2.)"""
    unforced_commit(monkeypatch)
    run = Watched()
    tx = three_way()
    run.submit(tx)
    for _ in range(4):                                                 # prepares and votes
        run.deliver(next(iter(run.cluster.network)))
    assert not run.violations
    run.deliver(run.find(Decision, 1))                                 # shard 1 applies, buffers COMMIT
    # caught at once: the store moved while the log still says "prepared" (its legs count as pending)
    assert {v.invariant for v in run.violations} == {"Conservation"}
    run.crash(1)
    assert "StoreMatchesLog" in {v.invariant for v in check_all(run.cluster)}
    run.recover(1)
    run.timeout(1, txid_of(tx))                                        # prepared again: it queries
    while run.cluster.network:
        run.deliver(next(iter(run.cluster.network)))                   # COMMIT again: applied twice
    run.flush(1)
    assert run.cluster.shards[1].balance(agent_id(X1)) == 108          # 100 + 4 + 4
    assert {"Conservation", "StoreMatchesLog"} <= run.names()


def test_unforced_commit_is_found_by_random_runs_with_crashes(monkeypatch):
    unforced_commit(monkeypatch)
    assert "Conservation" in random_runs(faults="mild,crash=0.05,recover=0.2")


# -- mutant: no lock check (§7.1.4.a) ---------------------------------------------------------------------

def test_missing_lock_check_breaks_lock_exclusion(monkeypatch):
    original = participant_rules.leg_failure

    def leg_failure(state, txid, leg):
        reason = original(state, txid, leg)
        return None if reason is VoteReason.LOCKED else reason
    monkeypatch.setattr(participant_rules, "leg_failure", leg_failure)
    run = Watched()
    run.submit(make_tx([(X0, 1, 1)], [(X1, 1)], b"a"))
    run.submit(make_tx([(X2, 1, 1)], [(X1, 1)], b"b"))
    run.deliver(run.find(Prepare, 1))
    run.deliver(run.find(Prepare, 1))                                  # X1 now locked twice
    assert "LockExclusion" in run.names()


# -- mutant: the durable half of the duplicate-submission guard is removed (model "noResubmitGuard") ---------

def test_missing_durable_resubmission_guard_breaks_atomicity(monkeypatch):
    """§12.4's scenario: the coordinator aborts, crashes with its ABORT still in flight, and restarts the
    same transaction, which commits; the delayed ABORT reaches the coordinator's own participant first."""
    original = coordinator_rules.on_submit

    def on_submit(b, tx):
        txid = txid_of(tx)
        if b.state.phase(txid) is Phase.IDLE and b.state.rm_state(txid) is RmState.PREPARED:
            from altledger.reference.twopc.state import CoordEntry
            parts = participants_of(tx, b.shard_count)               # BUG: start again
            b.set_coord(txid, CoordEntry(Phase.COLLECTING, parts, yes=frozenset((b.shard,))))
            for s in parts:
                if s != b.shard:
                    b.send(s, Prepare(tx))
            return
        original(b, tx)
    monkeypatch.setattr(shard_module, "on_submit", on_submit)
    run = Watched()
    tx = three_way()
    run.submit(tx)
    for s in (1, 2):
        run.drop(run.find(Prepare, s))
    run.timeout(0, txid_of(tx))                                        # collecting -> ABORT to 0, 1, 2
    old_abort_to_0 = run.find(Decision, 0, Outcome.ABORT)
    for s in (1, 2):
        run.drop(run.find(Decision, s, Outcome.ABORT))
    run.crash(0)
    run.recover(0)
    run.submit(tx)                                                     # restarted
    for s in (1, 2):
        run.deliver(run.find(Prepare, s))
    for s in (1, 2):
        run.deliver(run.find(VoteMsg, 0))
    run.deliver(old_abort_to_0)                                        # the first attempt's ABORT
    deliver_all(run.cluster)
    assert "Atomicity" in run.names()


# -- mutant: a query is answered ABORT while the coordinator still collects (model "abortQueryWhileCollecting")

def test_abort_answer_while_collecting_breaks_atomicity(monkeypatch):
    original = coordinator_rules.on_query

    def on_query(b, query):
        if b.state.phase(query.txid) is Phase.COLLECTING:
            b.send(query.shard, Decision(query.txid, Outcome.ABORT))   # BUG: §8.4.2 says wait
            return
        original(b, query)
    monkeypatch.setattr(shard_module, "on_query", on_query)
    run = Watched()
    tx = three_way()
    run.submit(tx)
    run.deliver(run.find(Prepare, 1))
    run.timeout(1, txid_of(tx))                                        # prepared participant 1 queries
    run.deliver(run.find(Query, 0))
    run.deliver(run.find(Decision, 1))                                 # 1 aborts
    deliver_all(run.cluster)                                           # 2 votes YES: commit
    assert "Atomicity" in run.names()


# -- mutant: a prepared participant aborts alone on timeout (model "preparedAbortsAlone") ---------------------

def test_prepared_participant_aborting_alone_breaks_atomicity(monkeypatch):
    original = participant_rules.on_participant_timeout

    def on_participant_timeout(b, tx):
        if b.state.rm_state(txid_of(tx)) is RmState.PREPARED:
            b.force(OutcomeRecord(txid_of(tx), Outcome.ABORT))        # BUG: §7.4.2 forbids it
            return
        original(b, tx)
    monkeypatch.setattr(shard_module, "on_participant_timeout", on_participant_timeout)
    assert "Atomicity" in random_runs(faults="mild,timeout=0.1")


# -- the log's derived index is checked against the definition -----------------------------------------------

def test_a_corrupted_lock_index_is_reported(monkeypatch):
    monkeypatch.setattr(Log, "lock", lambda self, agent: None)
    run = Watched()
    run.submit(make_tx([(X0, 1, 1)], [(X1, 1)], b"a"))
    run.submit(make_tx([(X2, 1, 1)], [(X1, 1)], b"b"))
    run.deliver(run.find(Prepare, 1))
    run.deliver(run.find(Prepare, 1))
    assert {"DerivedState", "LockExclusion"} <= run.names()


# -- the incremental checker agrees with the full one ---------------------------------------------------------

@pytest.mark.parametrize("seed", range(3))
def test_full_check_after_every_operation_finds_nothing_on_correct_runs(seed):
    result = simulate(seed, Workload(agents=8, shards=3, txs=12, hot_agents=2),
                      parse_faults("harsh,crash=0.03,recover=0.2"))
    cluster = result.scenario.new_cluster()
    checker = InvariantChecker(cluster)
    for op in result.scenario.operations:
        applied = cluster.apply(op)
        assert checker.observe(cluster, applied) == []
        assert check_all(cluster) == []
    assert not result.violations

"""Reference vs fast under the same random operations (``altledger.fast.twopc.crosscheck``), and proof it bites.

The state machine compares, after every operation, what each implementation
did, their snapshots byte for byte and their derived state (§4.3), and checks
the properties of §11; a final drain checks termination.  Example and step
counts come from the Hypothesis profile (``ci`` for `make test`; ``fuzz`` for
long runs, also via ``altledger fuzz twopc``).

The mutant tests inject one realistic bug each into the fast implementation
and require the same machine to report a failure, so a comparison that
silently compares nothing (or too little) cannot pass unnoticed.  They use a
fixed example budget with derandomised generation, so they are deterministic.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from altledger.fast.twopc import codes
from altledger.fast.twopc.cluster import Cluster
from altledger.fast.twopc.crosscheck import DifferentialMachine, describe_difference
from altledger.fast.twopc.shard import FastShard

TestDifferential = DifferentialMachine.TestCase
TestDifferential.settings = settings(deadline=None)     # example and step counts come from the profile

MUTANT_SEARCH = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                         phases=[Phase.generate], suppress_health_check=[HealthCheck.too_slow],
                         report_multiple_bugs=False)


def vote_checks_balance_before_lock(self, t):
    """Bug: §7.1.4 checks (b) before (a), so a locked, underfunded leg votes INSUFFICIENT_BALANCE."""
    if self.rm.get(t, 0) != codes.WORKING:
        return ORIGINAL_VOTE(self, t)
    reason = codes.NONE
    for a, debit, amount, nonce in self.legs.get(t, ()):
        if debit and self.bal.get(a, 0) < amount:
            reason = codes.INSUFFICIENT_BALANCE
            break
        holder = self.locks.get(a)
        if holder is not None and holder != t:
            reason = codes.LOCKED
            break
        if debit and nonce != self.nonce.get(a, 0) + 1:
            reason = codes.BAD_NONCE
            break
    if reason == codes.NONE:
        return ORIGINAL_VOTE(self, t)
    self.force(t << codes.KIND_BITS | codes.REC_ABORT)
    self.votes.append((t, reason))
    return reason


def abort_keeps_locks(self, t, shard_field=0):
    """Bug: §7.3.1 forces ABORT but a prepared participant keeps its locks."""
    if self.rm.get(t, 0) <= codes.PREPARED:
        if self.buffer:
            self.flush_buffer()
        record = t << codes.KIND_BITS | codes.REC_ABORT
        self.log.append(record)
        self.rm[t] = codes.ABORTED
        if self.writes is not None:
            self.writes.append((record, True))


def duplicate_skips_a_number(self, number):
    """Bug: a duplicated envelope gets the next number but one (§13.1 send numbers)."""
    if number in self.network:
        self.next_number += 1
    return ORIGINAL_DUPLICATE(self, number)


ORIGINAL_VOTE = FastShard.vote
ORIGINAL_DUPLICATE = Cluster.duplicate
MUTANTS = {
    "wrong NO-reason order (§7.1.4)": (FastShard, "vote", vote_checks_balance_before_lock),
    "abort does not release locks (§7.3.1)": (FastShard, "on_abort", abort_keeps_locks),
    "off-by-one send number on duplicate (§13.1)": (Cluster, "duplicate", duplicate_skips_a_number),
}


@pytest.mark.parametrize("name", list(MUTANTS))
def test_the_state_machine_catches_an_injected_bug(name, monkeypatch):
    owner, attribute, buggy = MUTANTS[name]
    monkeypatch.setattr(owner, attribute, buggy)   # shards made from now on bind the buggy method
    with pytest.raises(AssertionError) as caught:
        run_state_machine_as_test(DifferentialMachine, settings=MUTANT_SEARCH)
    assert "differ" in str(caught.value)          # a reference/fast difference, not some other error


def test_describe_difference_points_at_the_changed_member():
    text = describe_difference('{"a":1,"b":[1,2]}', '{"a":1,"b":[1,3]}')
    assert "--- reference" in text and "+++ fast" in text
    assert "-  2" in text and "+  3" in text

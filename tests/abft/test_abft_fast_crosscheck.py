"""Reference vs fast hashgraph under random gossip, compared after every event (spec/abft.md §8.2).

The state machine lives in :mod:`altledger.fast.abft.crosscheck` (shared with
``altledger fuzz abft``); here it runs for a bounded number of programs.  The
mutant tests switch a deliberate bug on inside the Numba kernels
(``kernels.MUTANT_*``, through ``backend.MUTANT``) and require the same
machine to report a difference — the proof that the comparison can fail.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from altledger.fast.abft import backend, kernels
from altledger.fast.abft.crosscheck import GossipMachine, output_difference

GossipMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None,
                                           suppress_health_check=[HealthCheck.too_slow])
TestReferenceAndFastAgreeAfterEveryEvent = GossipMachine.TestCase


# Each mutant is a stated alternative of spec/abft.md §12 that some implementations take.  Two need
# situations these short random programs reach too rarely for a bounded test: coin rounds (§12.7) and
# ties that change a decision (§12.6; the state machine did catch it when the bug was edited into the
# kernel by hand, but only on some example streams).  Both are caught deterministically in
# test_abft_fast_incremental.py (a seeded coin run; hand-built tie DAGs).
MUTANTS = [
    (kernels.MUTANT_STRICT_INTERMEDIARIES, "§12.2 x is not one of its own intermediaries"),
    (kernels.MUTANT_LOWER_MEDIAN, "§12.14 lower median"),
    (kernels.MUTANT_NO_WHITENING, "§12.15 raw signatures instead of whitened ones"),
]


@pytest.mark.parametrize("mutant, what", MUTANTS, ids=[what for _, what in MUTANTS])
def test_the_state_machine_catches_a_deliberate_bug(monkeypatch, mutant, what):
    monkeypatch.setattr(backend, "MUTANT", mutant)
    quick = settings(max_examples=150, stateful_step_count=30, deadline=None, derandomize=True, database=None,
                     phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    with pytest.raises(AssertionError, match="reference and fast differ after adding") as failure:
        run_state_machine_as_test(GossipMachine, settings=quick)
    # The report names the events and fields that differ.
    assert "event " in str(failure.value) or "order differs" in str(failure.value)


def test_output_difference_is_readable():
    event = {"hash": "ab", "round": 2, "witness": True, "famous": True, "round_received": 3,
             "consensus_timestamp": 7}
    expected = {"last_decided_round": 2, "events": {"A1": event, "B1": dict(event)}, "order": ["A1", "B1"]}
    actual = {"last_decided_round": 2, "events": {"A1": {**event, "consensus_timestamp": 6}, "B1": dict(event)},
              "order": ["B1", "A1"]}
    assert output_difference(expected, actual).splitlines() == [
        "event A1: consensus_timestamp reference 7 fast 6",
        "order differs from position 0: reference ['A1', 'B1'] (of 2), fast ['B1', 'A1'] (of 2)",
    ]

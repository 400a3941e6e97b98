"""Every two-phase commit conformance vector, in a fixed order (the suite's ``generator``).

Step vectors (one shard, one input) are in :mod:`twopc_step_vectors`; run
vectors (a whole cluster, many operations) in :mod:`twopc_run_vectors`
(happy paths, conflicts, funds, the crash matrix) and
:mod:`twopc_fault_vectors` (faults, schedules, seeded runs).
"""

from __future__ import annotations

from typing import Any

from altledger.conformance import twopc_fault_vectors as faults
from altledger.conformance import twopc_run_vectors as runs
from altledger.conformance.twopc_step_vectors import all_step_vectors


def all_run_vectors() -> list[dict[str, Any]]:
    return (runs.happy_vectors() + runs.conflict_vectors() + runs.funds_vectors() + runs.crash_vectors()
            + faults.presumed_abort_vectors() + faults.message_vectors() + faults.resubmit_vectors()
            + faults.single_vectors() + faults.rounds_vectors() + faults.noop_vectors() + faults.partial_vectors()
            + faults.random_vectors())


def all_vectors() -> list[dict[str, Any]]:
    return all_step_vectors() + all_run_vectors()

"""Every two-phase commit conformance vector, in a fixed order (the suite's ``generator``).

Step vectors (one shard, one input) are in :mod:`twopc_step_vectors`, run
vectors (a whole cluster, many operations) in :mod:`twopc_run_vectors`.
"""

from __future__ import annotations

from typing import Any

from altledger.conformance.twopc_run_vectors import all_run_vectors
from altledger.conformance.twopc_step_vectors import all_step_vectors


def all_vectors() -> list[dict[str, Any]]:
    return all_step_vectors() + all_run_vectors()

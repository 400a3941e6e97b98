"""Shared test configuration: Hypothesis profiles and paths to shared data.

Profiles (select with HYPOTHESIS_PROFILE; `make test` uses ``ci``):
  dev  - the default when running pytest by hand: Hypothesis' defaults.
  ci   - bounded example counts so `make test` stays well under 15 minutes on
         2 cores, derandomised so a CI failure reproduces locally.
  fuzz - long runs for `altledger fuzz`; never used by `make test`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ALTLEDGER_SHARED", REPO.parent / "shared"))
EXTERNAL_VECTORS = SHARED / "vectors" / "external"

settings.register_profile("dev", deadline=None)
settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz", max_examples=5000, stateful_step_count=100, deadline=None,
    suppress_health_check=[HealthCheck.too_slow], print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def external_vectors() -> Path:
    """``../shared/vectors/external`` (or $ALTLEDGER_SHARED/vectors/external).

    Missing vectors fail the test loudly: a crypto suite that silently runs
    zero cases would pass while checking nothing.
    """
    if not EXTERNAL_VECTORS.is_dir():
        pytest.fail(f"external vectors not found at {EXTERNAL_VECTORS}; "
                    "set ALTLEDGER_SHARED to the folder holding vectors/external")
    return EXTERNAL_VECTORS

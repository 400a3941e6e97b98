"""Fixtures shared by the two-phase commit tests."""

from __future__ import annotations

import pytest

from altledger.fast.twopc import ingest


@pytest.fixture(autouse=True, scope="session")
def small_ingest_chunks():
    """Cut the input into chunks of a few transactions in the tests' batch runs (numba engine).

    At its real minimum (``ingest.INGEST_MIN_CHUNK``, hundreds of positions) a test's input of a
    few hundred transactions would be one chunk, read by one worker, and the paths the chunking
    exists for (shares read by different workers or one after another, an agent first met in
    another share, the swap of parts) would go untested.  Session-scoped, not ``monkeypatch``: Hypothesis
    refuses function-scoped fixtures in its tests.  The benchmark's input is large enough to use
    the real minimum, which ``test_the_benchmark_input_is_cut_as_documented`` checks.  Yields the real minimum.
    """
    real = ingest.INGEST_MIN_CHUNK
    ingest.INGEST_MIN_CHUNK = 4
    yield real
    ingest.INGEST_MIN_CHUNK = real

"""Fixtures shared by the two-phase commit tests."""

from __future__ import annotations

import pytest

from altledger.fast.twopc import workers


@pytest.fixture(autouse=True, scope="session")
def small_ingest_chunks():
    """Cut the input into chunks of a few transactions in the worker tests' batch runs.

    At its real minimum (``INGEST_MIN_CHUNK``, hundreds of positions) a test's input of a few
    hundred transactions would be one chunk, read by one worker, and the paths the chunking
    exists for (shares read by different workers, an agent first met in another worker's share,
    the swap of parts) would go untested.  Session-scoped, not ``monkeypatch``: Hypothesis
    refuses function-scoped fixtures in its tests.  The benchmark's input is large enough to use
    the real minimum, which ``test_chunk_bounds_*`` test directly.  Yields the real minimum.
    """
    real = workers.INGEST_MIN_CHUNK
    workers.INGEST_MIN_CHUNK = 4
    yield real
    workers.INGEST_MIN_CHUNK = real

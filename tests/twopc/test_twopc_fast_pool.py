"""Batch pools (``fast.twopc.pool``): persistent workers give the reference's results, run after run.

A pool's workers are separate interpreters started once; each run hands them
the input through an in-memory file.  The same cases as the forked batch runs
(``test_twopc_fast_batch``) must equal the reference — outcomes, stores,
logs, every message, and the byte-identical snapshot — in wire form and as
objects, with one pool serving runs of different shard counts one after
another.  A mutant in the calling process's group (which every pool run
has) is caught; failures are reported as the forked runs report them, and the
pool replaces its workers afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from altledger.fast.twopc import ingest, run_batches
from altledger.fast.twopc.arraygroup import ArrayShardGroup
from altledger.fast.twopc.compare import batch_snapshot, fast_comparable, run_reference
from altledger.fast.twopc.pool import BatchPool, ChunkTokens
from altledger.fast.twopc.wire import EncodedBatch
from altledger.reference.encoding import CrossAgentTx, Leg, LegKind
from altledger.reference.twopc.snapshot import canonical_json
from altledger.reference.twopc.snapshot import snapshot_json as reference_snapshot_json
from test_twopc_fast_batch import CASES, case
from twopc_helpers import wire_form


@pytest.fixture(scope="module")
def pools():
    """One pool of each size, shared by the module's tests (a pool starts in about a second)."""
    started = {count: BatchPool(count) for count in (1, 2, 3)}
    yield started
    for pool in started.values():
        pool.close()


def assert_equals_reference(result, params, reference):
    assert reference.comparable.differences(fast_comparable(result)) == []
    assert canonical_json(batch_snapshot(result)) == reference_snapshot_json(reference.cluster)


@pytest.mark.parametrize("form", ["wire", "objects"])
def test_every_case_with_every_pool_equals_the_reference(pools, form):
    """Each pool runs every case that has at least as many shards as it has groups, one after
    another (shard counts 1, 3, 8 and 5: the same workers, new blocks each run)."""
    for params in CASES:
        genesis, batches, reference = case(*params)
        for count, pool in pools.items():
            if count <= params[1]:
                given = wire_form(batches) if form == "wire" else batches
                result = run_batches(params[1], genesis, given, pool=pool)
                assert result.engine == "numba" and result.workers == count
                assert_equals_reference(result, params, reference)
                assert len(result.phases) == count and result.merged_at > 0


def test_a_pool_reads_the_input_in_several_chunks(pools, small_ingest_chunks):
    """The tests cut the input into chunks of a few transactions (conftest), and the chunks a pool's
    groups claim are the caller's (``ChunkTokens``), so both groups read and swap parts."""
    params = CASES[2]
    genesis, batches, reference = case(*params)
    assert len(ingest.chunk_bounds(sum(map(len, batches)), 2)) > 10
    result = run_batches(params[1], genesis, wire_form(batches), pool=pools[2])
    assert_equals_reference(result, params, reference)
    assert all(phases.swap > 0 and phases.read > 0 for phases in result.phases)


def test_a_mutant_in_the_calling_process_group_is_caught(pools, monkeypatch):
    """Group 0 always runs in the calling process: taking its legs with every debit's nonce one too
    high changes its shards' votes, and the comparison sees it."""
    params = CASES[1]
    genesis, batches, reference = case(*params)
    original = ingest.take

    def nonce_too_high(group, received):
        original(group, received)
        size = group.leg_nonce.size
        group.leg_nonce.data[:size] += group.leg_debit.data[:size]
    monkeypatch.setattr(ingest, "take", nonce_too_high)
    result = run_batches(params[1], genesis, wire_form(batches), pool=pools[2])
    assert reference.comparable.differences(fast_comparable(result)) != []
    monkeypatch.undo()
    assert_equals_reference(run_batches(params[1], genesis, wire_form(batches), pool=pools[2]), params, reference)


def test_a_failing_group_stops_the_run_and_the_pool_replaces_its_workers(monkeypatch):
    params = CASES[1]
    genesis, batches, reference = case(*params)
    with BatchPool(3) as pool:
        run_round = ArrayShardGroup.run_round

        def broken(self, incoming):
            raise RuntimeError("injected failure in group 0")
        monkeypatch.setattr(ArrayShardGroup, "run_round", broken)
        with pytest.raises(RuntimeError, match="injected failure in group 0"):
            run_batches(3, genesis, batches, pool=pool)
        monkeypatch.setattr(ArrayShardGroup, "run_round", run_round)
        old = [process.pid for process in pool._processes]
        assert old == []                               # stopped at once, so no worker waits on a peer
        assert_equals_reference(run_batches(3, genesis, batches, pool=pool), params, reference)
        assert pool.restarts == 1 and len(pool._processes) == 2


def test_a_worker_that_died_between_runs_is_replaced():
    params = CASES[1]
    genesis, batches, reference = case(*params)
    with BatchPool(2) as pool:
        victim = pool._processes[0]
        os.kill(victim.pid, signal.SIGKILL)
        victim.process.wait()
        assert_equals_reference(run_batches(3, genesis, batches, pool=pool), params, reference)
        assert pool.restarts == 1 and pool._processes[0].pid != victim.pid


def test_values_beyond_the_kernel_in_a_worker_fall_back_to_the_python_engine():
    """Only worker 1 (shard 2 of 3) meets an amount beyond the kernel: it refuses, the run falls
    back to the Python engine (forked workers) with the reference's result, and the pool serves
    the next run with new workers."""
    params = CASES[1]
    genesis, batches, reference = case(*params)
    payer, payee = [a for a in sorted(genesis) if int.from_bytes(a, "big") % 3 == 2][:2]
    legs = sorted((Leg(payer, LegKind.DEBIT, 1 << 62, 1), Leg(payee, LegKind.CREDIT, 1 << 62, 0)),
                  key=lambda leg: leg.agent)
    one_sided = [[CrossAgentTx(legs=tuple(legs), user_data=b"lonely"), *batches[0]], *batches[1:3]]
    with BatchPool(2) as pool:
        result = run_batches(3, genesis, one_sided, pool=pool)
        assert result.engine == "python"
        assert run_reference(3, genesis, one_sided).comparable.differences(fast_comparable(result)) == []
        with pytest.raises(ValueError, match="numba batch engine cannot run"):
            run_batches(3, genesis, one_sided, pool=pool, engine="numba")
        assert_equals_reference(run_batches(3, genesis, batches, pool=pool), params, reference)
        assert pool.restarts == 2


def test_the_python_engine_with_a_pool_runs_forked_and_equals_the_reference(pools):
    params = CASES[1]
    genesis, batches, reference = case(*params)
    result = run_batches(3, genesis, wire_form(batches), pool=pools[2], engine="python")
    assert result.engine == "python"
    assert_equals_reference(result, params, reference)


def test_a_pool_refuses_what_it_cannot_run(pools):
    genesis, batches, _ = case(*CASES[1])
    with pytest.raises(ValueError, match="workers=3 with a pool of 2"):
        run_batches(3, genesis, batches, workers=3, pool=pools[2])
    with pytest.raises(ValueError, match="shard groups"):
        run_batches(1, genesis, batches, pool=pools[2])
    with pytest.raises(ValueError, match="a batch holds CrossAgentTx values, got bytes"):
        run_batches(3, genesis, [[*batches[0][:2], b"not a transaction"]], pool=pools[2])
    with pytest.raises(ValueError, match="at least 1 worker"):
        BatchPool(0)
    pools[1]._creator, creator = -1, pools[1]._creator       # as seen from a forked child
    try:
        with pytest.raises(RuntimeError, match="only in the process that made it"):
            run_batches(3, genesis, batches, pool=pools[1])
    finally:
        pools[1]._creator = creator
    pool = BatchPool(1)
    pool.close()
    pool.close()                                          # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        run_batches(3, genesis, batches, pool=pool)
    assert "closed" in repr(pool)


def test_chunk_tokens_give_each_chunk_to_exactly_one_reader():
    read_fd, write_fd = os.pipe()
    try:
        ChunkTokens.fill(write_fd, 5, 3)
        readers = [ChunkTokens(read_fd, [0, 1, 2, 3, 4, 5]) for _ in range(3)]
        claimed = []
        for reader in readers:                        # each reads until its "no chunk left" (5)
            while (chunk := reader.claim()) < 5:
                claimed.append(chunk)
        assert sorted(claimed) == [0, 1, 2, 3, 4]
        os.set_blocking(read_fd, False)
        with pytest.raises(BlockingIOError):          # nothing left behind for the next run
            os.read(read_fd, 8)
        with pytest.raises(RuntimeError, match="chunks end at 5, the input at 6"):
            readers[0].bounds(6, 2)
        with pytest.raises(RuntimeError, match="more than a pool's token pipe holds"):
            ChunkTokens.fill(write_fd, 10_000, 2)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_a_checked_view_must_frame_its_buffer():
    batch = EncodedBatch.of(case(*CASES[0])[1][0])
    view = EncodedBatch.checked_view(batch.buffer, batch.offsets)
    assert [view.encoding(i) for i in range(len(view))] == [batch.encoding(i) for i in range(len(batch))]
    assert list(view) == list(batch)
    with pytest.raises(ValueError, match="do not frame"):
        EncodedBatch.checked_view(batch.buffer, batch.offsets[:-1])
    with pytest.raises(TypeError, match="uint8 buffer"):
        EncodedBatch.checked_view(batch.offsets, batch.offsets)


def test_a_pool_started_from_a_script_does_not_run_the_script_again(tmp_path):
    """Workers are fresh interpreters that import only the package: a script without an
    ``if __name__ == "__main__"`` guard starts its pool once (``multiprocessing``'s spawn would
    run it again in every worker)."""
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent("""
        from altledger.fast.twopc.pool import BatchPool
        print("script ran", flush=True)
        with BatchPool(2) as pool:
            print("pool of", pool.workers, "ready", flush=True)
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["script ran", "pool of 2 ready"]

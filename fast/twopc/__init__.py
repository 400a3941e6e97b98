"""Two-phase commit, optimised: the same results as ``altledger.reference.twopc``, faster.

spec/two_phase_commit.md is implemented twice.  The reference is written to
be read; this package is written to be fast *and give exactly the
reference's results* — the same snapshot after every operation (checked by
the stateful cross-check in ``crosscheck``), the same per-shard steps (the
conformance runner), and the same round-schedule results in batch mode.

What is different is the representation, never a rule:

==================  ==========================================================
``codes``           records are ints ``t << 3 | kind``, messages tuples
                    ``(code, t, shard_field)``; the reference value each code
                    stands for, and conversions at the boundary
``txtable``         agents and transactions interned once as small integers,
                    with their §3 facts (participants, coordinator, legs per
                    shard) computed once
``shard``           ``FastShard``: mutable per-shard state with the derived
                    state of §4.3 (``rmState``, locks, decided) kept in
                    indexes updated as records reach the log; the rules of
                    §7, §8 and §9 as methods
``cluster``         ``Cluster``: the operations of §13.1, same API as the
                    reference's, returning an equivalent ``Applied``
``snapshot``        the reference's snapshot format, byte for byte (printed
                    by the reference's own JSON functions); shards read back
``step``            one shard step from the snapshot's per-shard JSON
                    (conformance step vectors)
``batch``           the round schedule of §13.3 with shards in groups that
                    run side by side (``workers`` for processes); the Python
                    engine: each group steps ``FastShard`` s
``kernel``          the same rules (the round schedule's subset) compiled with
                    Numba over integer arrays
``arraygroup``      the Numba engine's shard group (arrays in, kernel per
                    round); int64 limits checked, else the Python engine runs
``ingest``          the Numba engine's input: transactions read in chunks and
                    cut into per-group parts, then taken into arrays
``wire``            batches in wire form (``EncodedBatch``: canonical
                    encodings back to back), checked in compiled code against
                    the reference decoder's rules and read as bytes
``compare``         reference and fast batch results in one comparable form
``workers``         groups side by side: the calling process runs group 0,
                    worker processes forked for the run the others
``pool``            ``BatchPool``: the same, with workers started once as
                    fresh interpreters and kept for run after run (the input
                    handed over in wire form through an in-memory file)
``memfile``         in-memory files through which workers hand over arrays
``phases``          where each group's time went (the benchmark reports it)
``workload``        seeded batches of transfers (tests, benchmark)
``crosscheck``      the Hypothesis state machine driving both implementations
==================  ==========================================================

API::

    from altledger.fast.twopc import Cluster, snapshot_json, run_batches

    cluster = Cluster(shard_count, genesis)        # as reference.twopc.Cluster
    cluster.apply(("submit", tx)); cluster.deliver(1); ...
    snapshot_json(cluster) == reference snapshot_json(reference_cluster)

    run_round_schedule(cluster, txs)               # §13.3 on a cluster, operation by operation
    result = run_batches(shard_count, genesis, batches, workers=2)   # §13.3 batch mode, shards side by side
                                                   # (engine="auto" | "numba" | "python")
    batches = [EncodedBatch(data) for data in wire_batches]          # or in wire form: read as bytes
    with BatchPool(2) as pool:                                       # persistent workers, started once
        result = run_batches(shard_count, genesis, batches, pool=pool)

    shard = load_shard(shard_json_data, shard_count, {txid: tx})     # the conformance adapter
    result = step(shard, Deliver(envelope)); shard_json(result.state)
"""

from altledger.fast.twopc.batch import BatchResult, run_batches
from altledger.fast.twopc.cluster import Applied, Cluster, run_round_schedule
from altledger.fast.twopc.snapshot import snapshot, snapshot_digest, snapshot_json
from altledger.fast.twopc.step import StepResult, load_shard, shard_json, step

__all__ = ["Applied", "BatchPool", "BatchResult", "Cluster", "EncodedBatch", "StepResult", "load_shard", "run_batches",
           "run_round_schedule", "shard_json", "snapshot", "snapshot_digest", "snapshot_json", "step"]


def __getattr__(name: str) -> object:
    """``EncodedBatch`` and ``BatchPool`` on first use: ``wire`` compiles with Numba, which the rest
    of the package (the Python engine, the conformance adapter) does not need to import."""
    if name == "EncodedBatch":
        from altledger.fast.twopc.wire import EncodedBatch
        return EncodedBatch
    if name == "BatchPool":
        from altledger.fast.twopc.pool import BatchPool
        return BatchPool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Batch mode (spec §13.3) equals the reference's round schedule, whatever the workers and the engine.

For several seeds and shard counts, the same batches are run by the
reference (``run_round_schedule`` once per batch on one ``Cluster``) and by
``run_batches`` in-process (one group, three groups) and with 1 and 2 worker
processes, with each engine (``python``: FastShard's methods; ``numba``: the
compiled kernel); outcomes, stores, logs, buffers, coordinator tables, every
sent message with its send number and the transaction registration order
must be equal (``compare.Comparable``), and the whole snapshot must be
byte-identical.  Mutants show the comparison notices a wrong message order
between groups, a kernel that checks §7.1.4 in the wrong order, a route that
reorders a shard's sends and a kernel that reports the last NO vote; inputs
beyond the kernel's int64 range run on the Python engine.
"""

from __future__ import annotations

import functools
import multiprocessing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from altledger.fast.twopc import Cluster as FastCluster
from altledger.fast.twopc import run_batches, run_round_schedule, snapshot_json
from altledger.fast.twopc.batch import ShardGroup, unpack
from altledger.fast.twopc.codes import BATCH_BITS, REASON_BITS, ROUND_BITS, SHARD_BITS, no_key
from altledger.fast.twopc.compare import batch_snapshot, fast_comparable, run_reference
from altledger.fast.twopc.workload import TransferWorkload, make_workload
from altledger.reference.encoding import CrossAgentTx, Leg, LegKind
from altledger.reference.twopc import Cluster as ReferenceCluster
from altledger.reference.twopc import run_round_schedule as reference_round_schedule
from altledger.reference.twopc.snapshot import canonical_json
from altledger.reference.twopc.snapshot import snapshot_json as reference_snapshot_json
from twopc_helpers import wire_form

CASES = [   # (seed, shards, agents, transfers, batch): conflicts, overdrafts, bad nonces, resubmissions
    (1, 1, 12, 120, 30),
    (2, 3, 40, 300, 60),
    (3, 8, 120, 600, 150),
    (4, 5, 25, 250, 250),
]
MODES = [{"workers": None}, {"workers": None, "groups": 3}, {"workers": 1}, {"workers": 2}, {"workers": 3}]


@functools.lru_cache(maxsize=None)
def case(seed, shards, agents, transfers, batch):
    workload = TransferWorkload(transfers=transfers, shards=shards, agents=agents, batch=batch, hot_agents=3,
                                hot_share=0.1, bad_nonce=0.05, overdraft=0.05, resubmit=0.05, min_balance=50,
                                max_balance=300, max_amount=120)
    genesis, batches = make_workload(seed, workload)
    return genesis, batches, run_reference(shards, genesis, batches)


def mode_name(mode):
    if mode["workers"] is None:
        return f"{mode['groups']}-groups-in-process" if "groups" in mode else "in-process"
    return f"{mode['workers']}-workers"


# every case with every mode that has no more groups than shards (more is refused, tested below)
RUNS = [pytest.param(params, mode, engine, id=f"seed{params[0]}-K{params[1]}-{params[3]}tx-{mode_name(mode)}-{engine}")
        for params in CASES for mode in MODES for engine in ("python", "numba")
        if max(mode.get("groups", 1), mode["workers"] or 1) <= params[1]]


@pytest.mark.parametrize("params, mode, engine", RUNS)
def test_batch_result_equals_the_reference_round_schedule(params, mode, engine):
    genesis, batches, reference = case(*params)
    shards = params[1]
    result = run_batches(shards, genesis, batches, engine=engine, **mode)
    assert result.engine == engine
    fast = fast_comparable(result)
    assert reference.comparable.differences(fast) == []
    assert fast.messages == reference.comparable.messages > 0
    assert canonical_json(batch_snapshot(result)) == reference_snapshot_json(reference.cluster)


@pytest.mark.parametrize("params, mode", [pytest.param(params, mode, id=f"seed{params[0]}-{mode_name(mode)}")
                                          for params in CASES for mode in MODES
                                          if max(mode.get("groups", 1), mode["workers"] or 1) <= params[1]])
def test_batch_input_in_wire_form_equals_the_reference_round_schedule(params, mode):
    genesis, batches, reference = case(*params)
    result = run_batches(params[1], genesis, wire_form(batches), engine="numba", **mode)
    assert result.engine == "numba"
    assert reference.comparable.differences(fast_comparable(result)) == []
    assert canonical_json(batch_snapshot(result)) == reference_snapshot_json(reference.cluster)


def test_the_workloads_exercise_commits_and_every_abort_reason():
    reasons = set()
    for params in CASES:
        genesis, batches, reference = case(*params)
        assert reference.comparable.committed > 0 and reference.comparable.aborted > 0
        result = run_batches(params[1], genesis, batches)
        reasons |= set(result.first_no.values())
    assert reasons >= {1, 2, 3}          # LOCKED, INSUFFICIENT_BALANCE, BAD_NONCE (§7.1.4)


def test_a_wrong_message_order_between_groups_is_caught(monkeypatch):
    """Mutant: a group takes messages from higher blocks before lower ones, breaking send-number order."""
    genesis, batches, reference = case(*CASES[2])

    def run_round_reversed(self, incoming):
        return ORIGINAL_RUN_ROUND(self, list(reversed(incoming)) if len(incoming) == 3 else incoming)
    ORIGINAL_RUN_ROUND = ShardGroup.run_round
    monkeypatch.setattr(ShardGroup, "run_round", run_round_reversed)
    result = run_batches(CASES[2][1], genesis, batches, workers=None, groups=3, engine="python")
    assert reference.comparable.differences(fast_comparable(result)) != []


def mutant_kernel(right: str, wrong: str):
    """The kernel's own source with ``right`` (which must occur once) replaced by ``wrong``, compiled
    afresh (not cached): it differs from the real kernel in exactly that place."""
    import importlib.util
    import inspect

    from altledger.fast.twopc import kernel

    source = inspect.getsource(kernel)
    assert source.count(right) == 1
    spec = importlib.util.spec_from_loader("mutant_kernel", loader=None)
    mutant = importlib.util.module_from_spec(spec)
    exec(compile(source.replace(right, wrong).replace("cache=True", "cache=False"), "mutant_kernel", "exec"),
         mutant.__dict__)
    return mutant


def test_a_kernel_checking_balance_before_locks_is_caught(monkeypatch):
    """Mutant: the compiled kernel with §7.1.4 (b) checked before (a); the batch comparison must notice."""
    from altledger.fast.twopc import arraygroup

    right = """            if lock[a] >= 0 and lock[a] != t:                     # §7.1.4.a
                reason = LOCKED
                break
"""
    swapped = """            if leg_debit[i] and bal[a] < leg_amount[i]:
                reason = INSUFFICIENT_BALANCE
                break
""" + right
    monkeypatch.setattr(arraygroup, "kernel", mutant_kernel(right, swapped))
    genesis, batches, reference = case(*CASES[1])
    result = run_batches(CASES[1][1], genesis, batches, engine="numba")
    assert "outcomes" in reference.comparable.differences(fast_comparable(result))


@pytest.mark.parametrize("workers", [None, 2])
def test_a_route_that_reorders_a_shards_sends_is_caught(monkeypatch, workers):
    """Mutant: ``kernel.route`` puts each shard's sends of a round in reverse order (an unstable sort
    by sender): send numbers (§13.3) and the order recipients take messages in change."""
    from altledger.fast.twopc import arraygroup

    mutant = mutant_kernel("        order[next_slot[k]] = i\n",
                           "        order[total - 1 - next_slot[k]] = i\n")
    monkeypatch.setattr(arraygroup, "kernel", mutant)
    genesis, batches, reference = case(*CASES[2])
    result = run_batches(CASES[2][1], genesis, batches, workers=workers, engine="numba")
    assert reference.comparable.differences(fast_comparable(result)) != []


def test_a_kernel_reporting_the_last_no_vote_is_caught(monkeypatch):
    """Mutant: the kernel keeps the latest NO vote of a transaction instead of the first; the
    reported abort reasons must differ somewhere."""
    from altledger.fast.twopc import arraygroup

    mutant = mutant_kernel("        if key < first_no[t]:\n",
                           "        if first_no[t] == INT64_MAX or key > first_no[t]:\n")
    monkeypatch.setattr(arraygroup, "kernel", mutant)
    differs = False
    for params in CASES:
        genesis, batches, reference = case(*params)
        result = run_batches(params[1], genesis, batches, workers=None, groups=2 if params[1] > 1 else 1,
                             engine="numba")
        differs = differs or "outcomes" in reference.comparable.differences(fast_comparable(result))
    assert differs


def test_a_round_wrongly_reported_quiet_is_refused(monkeypatch):
    """Workers skip the exchange after a round that took only ACKs and ABORTs (it cannot send).  A
    route that calls every round quiet must make a worker refuse the run, not end a batch early."""
    from altledger.fast.twopc import arraygroup

    mutant = mutant_kernel("        if out[i, 2] != MSG_ACK and out[i, 2] != MSG_ABORT:\n", "        if False:\n")
    monkeypatch.setattr(arraygroup, "kernel", mutant)
    genesis, batches, _ = case(*CASES[2])
    with pytest.raises(RuntimeError, match="took only ACK and ABORT messages sent messages"):
        run_batches(CASES[2][1], genesis, batches, workers=2, engine="numba")


@given(st.tuples(*(st.integers(0, (1 << bits) - 1) for bits in (BATCH_BITS, ROUND_BITS, SHARD_BITS, REASON_BITS))),
       st.tuples(*(st.integers(0, (1 << bits) - 1) for bits in (BATCH_BITS, ROUND_BITS, SHARD_BITS, REASON_BITS))))
def test_no_keys_order_as_their_tuples(a, b):
    """The kernel compares first-NO keys as integers; that must be the order of (batch, round, shard, reason)."""
    assert (no_key(*a) < no_key(*b)) == (a < b) and 0 <= no_key(*a) < 1 << 63


def test_values_beyond_the_kernels_int64_range_run_on_the_python_engine():
    genesis, batches, _ = case(*CASES[1])
    rich = {agent: amount << 58 for agent, amount in genesis.items()}      # genesis total >= 2**60
    reference = run_reference(3, rich, batches)
    result = run_batches(3, rich, batches)
    assert result.engine == "python" and reference.comparable.differences(fast_comparable(result)) == []
    with pytest.raises(ValueError, match="numba batch engine cannot run"):
        run_batches(3, rich, batches, engine="numba")
    huge = [[CrossAgentTx(legs=tuple(Leg(leg.agent, leg.kind, leg.amount << 62, leg.nonce) for leg in tx.legs),
                          user_data=tx.user_data) for tx in batch] for batch in batches[:2]]
    for workers in (None, 2):
        result = run_batches(3, genesis, huge, workers=workers)
        assert result.engine == "python"
        assert run_reference(3, genesis, huge).comparable.differences(fast_comparable(result)) == []
    # only worker 0 (shard 0) meets the huge amount: its peer sees it stop, and the run still falls back
    payer, payee = [a for a in sorted(genesis) if int.from_bytes(a, "big") % 3 == 0][:2]
    legs = sorted((Leg(payer, LegKind.DEBIT, 1 << 62, 1), Leg(payee, LegKind.CREDIT, 1 << 62, 0)),
                  key=lambda leg: leg.agent)
    lonely = CrossAgentTx(legs=tuple(legs), user_data=b"lonely")
    one_sided = [[lonely, *batches[0]], *batches[1:3]]
    result = run_batches(3, genesis, one_sided, workers=2)
    assert result.engine == "python"
    assert run_reference(3, genesis, one_sided).comparable.differences(fast_comparable(result)) == []
    # in wire form: the numba engine refuses, the run falls back to the Python engine (decoded)
    for form in (wire_form(huge), [*wire_form(huge[:1]), huge[1]]):          # all encoded, or mixed
        for workers in (None, 2):
            result = run_batches(3, genesis, form, workers=workers)
            assert result.engine == "python"
            assert run_reference(3, genesis, huge).comparable.differences(fast_comparable(result)) == []
    result = run_batches(3, genesis, wire_form(batches), engine="python")
    assert result.engine == "python" and run_reference(3, genesis, batches).comparable.differences(
        fast_comparable(result)) == []
    with pytest.raises(ValueError, match="unknown batch engine"):
        run_batches(3, genesis, batches, engine="cuda")


def test_cluster_round_schedule_matches_the_reference_with_down_shards_and_old_messages():
    genesis, batches, _ = case(*CASES[1])
    ref, fast = ReferenceCluster(3, genesis), FastCluster(3, genesis)
    for cluster, schedule in ((ref, reference_round_schedule), (fast, run_round_schedule)):
        cluster.submit(batches[0][0])                  # leaves messages in the network before the schedule
        cluster.crash(2)
        schedule(cluster, batches[0][1:40])            # messages to shard 2 stay in the network
        cluster.recover(2)
        schedule(cluster, batches[1][:40])
    assert snapshot_json(fast) == reference_snapshot_json(ref)


def test_workers_must_fit_the_shards_and_inputs_must_be_transactions():
    genesis, batches, _ = case(*CASES[0])
    with pytest.raises(ValueError, match="shard groups"):
        run_batches(1, genesis, batches, workers=2)
    with pytest.raises(ValueError, match="shard groups"):
        run_batches(3, genesis, batches, workers=0)
    for workers, engine in [(None, "auto"), (2, "numba"), (2, "python"), (None, "python")]:
        odd = [list(batches[0]), [*batches[1][:3], b"not a transaction", *batches[1][3:]]]
        with pytest.raises(ValueError, match="a batch holds CrossAgentTx values, got bytes"):
            run_batches(3, genesis, odd, workers=workers, engine=engine)


@pytest.mark.parametrize("failing", [0, 1, 2], ids=["this process's group", "worker 1", "worker 2"])
@pytest.mark.parametrize("engine", ["python", "numba"])
def test_a_failing_group_is_reported_with_its_traceback(monkeypatch, engine, failing):
    """Group 0 runs in the calling process, groups 1 and 2 in forked workers; whichever fails, the
    run raises that group's own error (not a peer's "stopped"), and no worker is left running."""
    from altledger.fast.twopc import workers
    from altledger.fast.twopc.batch import group_class
    genesis, batches, _ = case(*CASES[1])
    run_round = group_class(engine).run_round

    def broken(self, incoming):
        if self.index == failing:
            raise RuntimeError(f"injected failure in group {failing}")
        return run_round(self, incoming)
    monkeypatch.setattr(group_class(engine), "run_round", broken)   # forked workers inherit the patch
    workers.settle()
    before = set(multiprocessing.active_children())
    with pytest.raises(RuntimeError, match=f"injected failure in group {failing}") as raised:
        run_batches(3, genesis, batches, workers=3, engine=engine)
    if failing:                                   # a worker's traceback, named by its process
        assert "batch worker" in str(raised.value) and "Traceback" in str(raised.value)
    assert set(multiprocessing.active_children()) <= before         # failed runs join their workers


def test_history_can_be_skipped_and_then_only_counts_are_kept():
    genesis, batches, reference = case(*CASES[1])
    result = run_batches(3, genesis, batches, keep_history=False)
    assert result.sent == [] and result.next_send_number == reference.comparable.next_send_number
    assert unpack(b"") == []


@pytest.mark.parametrize("engine", ["numba", "python"])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_a_run_with_workers_says_where_each_groups_time_went(engine, workers):
    """``result.phases`` (``fast.twopc.phases``): one entry per group, its phases inside the span
    from its start to its end, that span inside the run; the numba engine reads and takes the input
    before its rounds (``workers._ingest``), the python engine reads each batch as it starts it."""
    genesis, batches, _ = case(*CASES[2])
    result = run_batches(CASES[2][1], genesis, batches, workers=workers, engine=engine)
    assert len(result.phases) == workers
    for phases in result.phases:
        spent = [phases.init, phases.read, phases.swap, phases.take, phases.compute, phases.exchange,
                 phases.finish]
        assert min(spent) >= 0 and phases.compute > 0 and phases.finish > 0
        assert 0 < phases.began < phases.ended <= result.merged_at
        assert sum(spent) <= phases.ended - phases.began
        assert (phases.read > 0 and phases.take > 0) == (engine == "numba")
        assert (phases.swap > 0) == (engine == "numba" and workers > 1)

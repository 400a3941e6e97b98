"""Batch mode's ingest (``arraygroup.ArrayShardGroup.ingest``) on the inputs it has special paths for.

The numba engine turns the input into arrays once per run, each worker
walking only its share of the transactions and the workers swapping shares.
These tests run inputs that take every special path of that code against
the reference's round schedule (outcomes, stores, logs, buffers,
coordinator tables, every message and its send number, the registration
order, and the whole snapshot):

* transactions equal in content but distinct objects, in the same batch and
  in later batches, in either worker's share (the first occurrence names the
  transaction, §3.2), and transactions with the same legs but other
  ``user_data`` (not the same transaction);
* agents not in genesis, met first in either worker's share (a run-wide agent
  index that every worker must build alike);
* every content key colliding (the exact comparison must decide), with a
  mutant showing the comparison notices when it does not.

Each runs with the input as objects and in wire form (``wire.EncodedBatch``,
decoded from bytes, so no object is shared with the reference's input): the
two forms are read by different code (``ingest._object_columns``,
``wire.leg_columns``) and compared copies by different means (field by
field, byte by byte).
"""

from __future__ import annotations

import functools
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from altledger.fast.twopc import arraygroup, ingest, run_batches
from altledger.fast.twopc.compare import batch_snapshot, fast_comparable, run_reference
from altledger.fast.twopc.workload import TransferWorkload, make_workload
from altledger.reference.encoding import CrossAgentTx, Leg, LegKind, agent_id
from altledger.reference.twopc.snapshot import canonical_json
from altledger.reference.twopc.snapshot import snapshot_json as reference_snapshot_json
from twopc_helpers import misread_nonces, wire_form

SHARDS = 4
MODES = [{"workers": None}, {"workers": None, "groups": 3}, {"workers": 1}, {"workers": 2}, {"workers": 3}]
FORMS = ["objects", "wire"]


def in_form(batches, form):
    """The batches as given, or in wire form (``twopc_helpers.wire_form``)."""
    return batches if form == "objects" else wire_form(batches)


def transfer(payer: bytes, payee: bytes, amount: int, nonce: int, user_data: bytes) -> CrossAgentTx:
    legs = sorted([Leg(payer, LegKind.DEBIT, amount, nonce), Leg(payee, LegKind.CREDIT, amount, 0)],
                  key=lambda leg: leg.agent)
    return CrossAgentTx(legs=tuple(legs), user_data=user_data)


def copy_of(tx: CrossAgentTx) -> CrossAgentTx:
    """An equal transaction that is another object (so identity by object would miss it)."""
    return CrossAgentTx(legs=tuple(Leg(leg.agent, leg.kind, leg.amount, leg.nonce) for leg in tx.legs),
                        user_data=bytes(tx.user_data))


@functools.lru_cache(maxsize=None)
def tricky_input():
    workload = TransferWorkload(transfers=240, shards=SHARDS, agents=30, batch=60, hot_agents=3, hot_share=0.1,
                                bad_nonce=0.05, overdraft=0.05, resubmit=0.05, min_balance=50, max_balance=300,
                                max_amount=120)
    genesis, batches = make_workload(11, workload)
    batches = [list(batch) for batch in batches]
    payers = sorted(genesis)
    fresh = [agent_id(f"fresh{i}.cns") for i in range(6)]
    # fresh agents: paid at the start of the input (worker 0's share) and at the end (the last worker's),
    # and a fresh agent that pays on (its first debit: nonce 1)
    batches[0][:0] = [transfer(payers[i], fresh[i], 7 + i, 1, b"fresh-early-%d" % i) for i in range(3)]
    batches[-1] += [transfer(payers[10 + i], fresh[3 + i], 9, 1, b"fresh-late-%d" % i) for i in range(3)]
    batches[1].append(transfer(fresh[0], fresh[1], 3, 1, b"fresh-pays"))
    # copies (equal content, other objects): in the same batch, in a later batch, one near the end of
    # the input (another worker's share), one before its original's batch; and the same legs with
    # other user_data (a different transaction)
    first = batches[0][5]
    batches[0].append(copy_of(first))
    batches[2].insert(0, copy_of(first))
    batches[-1].append(copy_of(batches[1][7]))
    batches[-1].append(CrossAgentTx(legs=first.legs, user_data=first.user_data + b"-other"))
    batches[1].insert(3, copy_of(batches[-1][-3]))        # a copy that comes before its original's batch
    return genesis, batches, run_reference(SHARDS, genesis, batches)


def assert_equals_reference(result, reference):
    assert reference.comparable.differences(fast_comparable(result)) == []
    assert canonical_json(batch_snapshot(result)) == reference_snapshot_json(reference.cluster)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("mode", MODES, ids=lambda mode: str(mode))
def test_copies_and_fresh_agents_equal_the_reference(mode, form):
    genesis, batches, reference = tricky_input()
    result = run_batches(SHARDS, genesis, in_form(batches, form), engine="numba", **mode)
    assert result.engine == "numba"
    assert_equals_reference(result, reference)


def test_the_tricky_input_really_has_copies_and_fresh_agents():
    genesis, batches, reference = tricky_input()
    flat = [tx for batch in batches for tx in batch]
    by_content: dict[CrossAgentTx, set[int]] = {}
    for tx in flat:                                   # CrossAgentTx compares and hashes by content
        by_content.setdefault(tx, set()).add(id(tx))
    assert sum(1 for objects in by_content.values() if len(objects) > 1) >= 3
    assert len({leg.agent for tx in flat for leg in tx.legs} - set(genesis)) == 6
    assert reference.comparable.committed > 0 and reference.comparable.aborted > 0


@pytest.mark.parametrize("form", FORMS)
def test_ignoring_copies_is_caught(monkeypatch, form):
    """Mutant: every coordinated occurrence taken as a first occurrence (no §3.2 identity)."""
    genesis, batches, reference = tricky_input()

    def every_one_first(self, coordinated, *rest):
        return coordinated.copy(), coordinated
    monkeypatch.setattr(arraygroup.ArrayShardGroup, "_first_occurrence", every_one_first)
    result = run_batches(SHARDS, genesis, in_form(batches, form), engine="numba", workers=2)
    assert reference.comparable.differences(fast_comparable(result)) != []


def colliding(monkeypatch):
    """Every content key the same: only the exact comparison can tell transactions apart."""
    monkeypatch.setattr(ingest, "_fingerprint_legs", lambda code, *rest: np.zeros(len(code), dtype=np.uint64))
    monkeypatch.setattr(ingest, "_mix", lambda values: np.zeros_like(values))


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("mode", [{"workers": None}, {"workers": 2}], ids=lambda mode: str(mode))
def test_colliding_content_keys_still_give_the_reference_result(monkeypatch, mode, form):
    genesis, batches, reference = tricky_input()
    colliding(monkeypatch)                     # forked workers inherit the patch
    assert_equals_reference(run_batches(SHARDS, genesis, in_form(batches, form), engine="numba", **mode),
                            reference)


@pytest.mark.parametrize("form", FORMS)
def test_trusting_colliding_keys_is_caught(monkeypatch, form):
    """Mutant: a content-key match taken without the exact comparison."""
    genesis, batches, reference = tricky_input()
    colliding(monkeypatch)
    monkeypatch.setattr(ingest, "_content", lambda tx: b"")
    result = run_batches(SHARDS, genesis, in_form(batches, form), engine="numba", workers=2)
    assert reference.comparable.differences(fast_comparable(result)) != []


def test_without_in_memory_files_the_pipe_carries_the_final_state(monkeypatch):
    from altledger.fast.twopc import workers
    genesis, batches, reference = tricky_input()
    monkeypatch.setattr(workers, "_memory_files", lambda count: [])
    assert_equals_reference(run_batches(SHARDS, genesis, batches, engine="numba", workers=2), reference)


def test_a_two_way_link_swaps_messages_larger_than_its_buffers():
    """Both ends send several megabytes at once: neither blocks the other (``workers._duplex``)."""
    import multiprocessing
    import os
    import threading

    from altledger.fast.twopc.workers import _duplex
    left, right = multiprocessing.get_context("fork").Pipe()
    for end in (left, right):
        os.set_blocking(end.fileno(), False)
    sent = {"left": os.urandom(5_000_000), "right": os.urandom(3_000_001)}
    got = {}
    thread = threading.Thread(target=lambda: got.__setitem__("right", _duplex(right, sent["right"])))
    thread.start()
    got["left"] = _duplex(left, sent["left"])
    thread.join(timeout=60)
    assert got == {"left": sent["right"], "right": sent["left"]}
    assert _duplex_pair_of_empties(left, right) == (b"", b"")
    right.close()
    with pytest.raises((EOFError, BrokenPipeError)):       # the peer is gone (workers report it so)
        _duplex_pair_of_empties(left, None)


def _duplex_pair_of_empties(left, right):
    import threading

    from altledger.fast.twopc.workers import _duplex
    out = {}
    if right is not None:
        thread = threading.Thread(target=lambda: out.__setitem__("right", _duplex(right, b"")))
        thread.start()
    result = _duplex(left, b"")
    if right is not None:
        thread.join(timeout=60)
        return result, out["right"]
    return result


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=20), st.integers(1, (1 << 54) - 1))
def test_agent_shards_by_numpy_equal_int_from_bytes(ids, count):
    """§2.2 on 32-byte ids, computed by Horner's rule in int64, equals the definition."""
    assert arraygroup.shards_of(ids, count).tolist() == [int.from_bytes(agent, "big") % count for agent in ids]
    odd = [*ids, b"\x01\x02"]                                         # not all 32 bytes: the Python path
    assert arraygroup.shards_of(odd, count).tolist() == [int.from_bytes(agent, "big") % count for agent in odd]


@pytest.mark.parametrize("engine", ["numba", "python"])
def test_workers_that_answered_exit_on_their_own_once_the_run_returns(engine):
    """A worker waits for the parent to merge the answers before it exits (``workers._serve``);
    the parent closing the links must then let every worker exit by itself, not leave it waiting
    until it is terminated.  (Three groups: this process runs group 0, two workers the others.)"""
    from altledger.fast.twopc import workers

    workers.settle()
    genesis, batches = make_workload(3, TransferWorkload(transfers=60, shards=4, agents=12, batch=20))
    run_batches(4, genesis, batches, workers=3, engine=engine)
    exiting = list(workers._EXITING)
    assert len(exiting) == 2
    for process in exiting:
        process.join(timeout=30)
    assert [process.exitcode for process in exiting] == [0, 0]
    workers.settle()


def test_a_forked_process_runs_batches_while_our_workers_are_still_exiting():
    """The workers of our last run may still be exiting when we fork (``workers._EXITING``); a run in
    the forked process must not try to wait for them — they are not its children."""
    from altledger.fast.twopc import workers

    workers.settle()
    genesis, batches = make_workload(3, TransferWorkload(transfers=60, shards=4, agents=12, batch=20))
    expected = run_batches(4, genesis, batches, workers=3, engine="numba").committed.tolist()
    assert workers._EXITING                     # (they exit once the run has returned, not before)
    child = os.fork()
    if child == 0:                              # the child: a run of its own, then report by exit code
        try:
            code = 0 if run_batches(4, genesis, batches, workers=2).committed.tolist() == expected else 1
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(child, 0)
    workers.settle()
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("batches", [[], [[]], [[], []]], ids=["no batches", "one empty batch", "two empty"])
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("mode", MODES, ids=lambda mode: str(mode))
def test_an_empty_input_equals_the_reference(batches, mode, form):
    """No transaction at all: still one (empty) chunk for a worker to read and swap, and the workers'
    view of the input positions holds no batch to look into."""
    genesis = {agent_id(f"idle{i}.cns"): 10 * i for i in range(5)}
    reference = run_reference(SHARDS, genesis, batches)
    assert_equals_reference(run_batches(SHARDS, genesis, in_form(batches, form), engine="numba", **mode),
                            reference)


@given(st.integers(0, 300_000), st.integers(1, 8), st.integers(1, 16), st.integers(1, 2_000))
def test_chunk_bounds_cover_the_input_with_shrinking_chunks(n, groups, share, smallest):
    """``ingest.chunk_bounds``: consecutive chunks from 0 to ``n``, none empty (but the one chunk of an
    empty input), none below ``smallest`` but a whole input below it, sizes never growing but for
    the last (which takes a remainder below ``smallest``), and that last one small."""
    from altledger.fast.twopc.ingest import chunk_bounds
    bounds = chunk_bounds(n, groups, share, smallest)
    sizes = [b - a for a, b in zip(bounds, bounds[1:])]
    assert bounds[0] == 0 and bounds[-1] == n and sizes
    if n == 0:
        assert bounds == [0, 0]
        return
    assert all(size >= min(smallest, n) for size in sizes)
    assert all(a >= b for a, b in zip(sizes[:-2], sizes[1:-1]))
    if len(sizes) > 1 and share * groups > 1:
        assert sizes[-1] < 2 * smallest + 2


def test_the_benchmark_input_is_cut_as_documented(small_ingest_chunks):
    """At the real settings (the fixture lowers the minimum for the other tests and yields the real
    one), 100,000 positions and 2 workers: a few dozen chunks, the first a twelfth of the input,
    the last below twice the minimum."""
    from altledger.fast.twopc.ingest import INGEST_SHARE_PER_CHUNK, chunk_bounds
    real_minimum = small_ingest_chunks
    assert real_minimum >= 100
    bounds = chunk_bounds(100_000, 2, INGEST_SHARE_PER_CHUNK, real_minimum)
    assert bounds[1] == -(-100_000 // (2 * INGEST_SHARE_PER_CHUNK))
    assert 30 <= len(bounds) - 1 <= 60
    assert bounds[-1] - bounds[-2] < 2 * real_minimum


def test_misreading_the_wire_is_caught(monkeypatch):
    """Mutant: the wire reading takes every nonce one too high (the runs above read the bytes, not
    the objects: this difference reaches the result)."""
    genesis, batches, reference = tricky_input()
    misread_nonces(monkeypatch)
    result = run_batches(SHARDS, genesis, in_form(batches, "wire"), engine="numba", workers=2)
    assert reference.comparable.differences(fast_comparable(result)) != []

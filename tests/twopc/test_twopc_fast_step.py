"""The fast implementation on every two-phase commit conformance vector, in-process, plus its adapter's edges.

``altledger verify`` runs the same vectors through the subprocess runner
(``--impl fast``); here the conformance handler drives the fast backend
directly, so a failure shows up in `make test` with the vector id and the
differing members.  The remaining tests cover what the vectors do not: bad
per-shard JSON is refused with a typed error, and inputs the reference
accepts at the edges (a message about a transaction the shard has never been
given, a down shard, the wrong recipient) behave as in the reference.
"""

from __future__ import annotations

import pytest

from altledger.conformance.suites import request_input, suite
from altledger.conformance.twopc_backends import FastBackend
from altledger.conformance.twopc_handler import handle
from altledger.conformance.twopc_json import read_transactions
from altledger.conformance.vectors import load_vectors
from altledger.fast.twopc import load_shard, shard_json, step
from altledger.reference.encoding import Decision, Outcome, Query, agent_id
from altledger.reference.errors import InputFileError
from altledger.reference.twopc import Crash, Deliver, Envelope, ShardState, Submit
from altledger.reference.twopc import step as reference_step
from altledger.reference.twopc.snapshot import shard_json as reference_shard_json

TWOPC = suite("twopc")
VECTORS = load_vectors(TWOPC)


def test_there_are_step_and_run_vectors():
    kinds = {v["kind"] for v in VECTORS}
    assert kinds == {"step", "run"} and len(VECTORS) > 100


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_fast_passes_the_conformance_vector(vector):
    output = handle(vector["kind"], request_input(vector), FastBackend())
    for member in TWOPC.compared[vector["kind"]]:
        assert output[member] == vector["expected"][member], member


EMPTY = {"shard": 0, "up": True, "log": [], "buffer": [], "store": [], "coord": []}


@pytest.mark.parametrize("data, item", [
    ({**EMPTY, "shard": 5}, "/shard"),
    ({**EMPTY, "up": "yes"}, "/up"),
    ({**EMPTY, "log": [{"type": "PreparedRecord", "txid": "00" * 32}]}, "/log/0/txid"),
    ({**EMPTY, "log": [{"type": "VoteMsg"}]}, ""),
    ({**EMPTY, "store": [{"agent": "zz", "balance": "1", "nonce": "0"}]}, "/store/0/agent"),
    ({**EMPTY, "store": [{"agent": agent_id("a.cns").hex(), "balance": "-1", "nonce": "0"}]}, "/store/0"),
    ({k: v for k, v in EMPTY.items() if k != "coord"}, "/"),
])
def test_bad_shard_json_is_an_input_error(data, item):
    with pytest.raises(InputFileError) as caught:
        load_shard(data, 1, {})
    assert caught.value.item.startswith(item)


def test_a_query_about_an_unknown_transaction_is_answered_abort_as_in_the_reference():
    txid = bytes(range(32))
    event = Deliver(Envelope(1, 0, Query(txid, 1)))
    fast = step(load_shard(EMPTY, 2, {}), event)
    reference = reference_step(ShardState(0, 2), event)
    assert [e.message for e in fast.sent] == [e.message for e in reference.sent] == [Decision(txid, Outcome.ABORT)]
    assert shard_json(fast.state) == reference_shard_json(reference.state)


def test_down_shards_take_no_step_and_misrouted_inputs_are_refused():
    down = load_shard({**EMPTY, "up": False}, 2, {})
    assert step(down, Crash()).sent == () and shard_json(down)["up"] is False
    with pytest.raises(ValueError, match="delivered to shard 0"):
        step(load_shard(EMPTY, 2, {}), Deliver(Envelope(0, 1, Query(bytes(32), 0))))
    table = read_transactions(next(v for v in VECTORS if v["kind"] == "step")["transactions"])
    some_tx = next(iter(table.by_txid.values()))
    coordinator = some_tx.coordinator(2)
    other = {**EMPTY, "shard": 1 - coordinator}
    with pytest.raises(ValueError, match="does not coordinate"):
        step(load_shard(other, 2, dict(table.by_txid)), Submit(some_tx))

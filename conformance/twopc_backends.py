"""Implementation backends of the built-in two-phase commit client.

The built-in client (``altledger conformance client --impl NAME``) answers
the runner's requests by driving one *backend*.  A backend is the small
adapter interface below; the reference implements it directly, the fast
implementation through :class:`FastBackend`, and the deliberately broken
clients (:mod:`altledger.conformance.broken_clients`) by wrapping the
reference.  Why an adapter instead of calling each implementation's API
directly: the client code (decode the request, run it, encode the answer)
then exists once, and a backend only has to *load, step, dump* one shard
and *create, apply, snapshot* a cluster.

The interface (conformance/README.md, "Backends", says the same)::

    load_shard(shard_json, shard_count, txs) -> S      # from the snapshot's per-shard form
    step(S, event) -> (S, sent, log_writes)            # spec §2.6; event: reference Submit/Deliver/...
    dump_shard(S) -> dict                              # the per-shard form again, byte-identical
    new_cluster(shard_count, genesis, agent_names) -> C
    apply(C, op)                                       # op: the tuples of Cluster.apply (§13.1)
    round_schedule(C, txs)                             # §13.3
    snapshot(C) -> dict                                # altledger-2pc-snapshot/1

``sent`` is a sequence of reference ``Envelope`` and ``log_writes`` of
``(record, forced)`` pairs, records and messages being the shared value
types of :mod:`altledger.reference.encoding`.
"""

from __future__ import annotations

import importlib
from typing import Any, Mapping, Protocol, Sequence

from altledger.reference.encoding import CrossAgentTx
from altledger.reference.errors import ToolError
from altledger.reference.twopc import snapshot as reference_snapshot
from altledger.reference.twopc.cluster import Cluster, Operation, run_round_schedule
from altledger.reference.twopc.log import Record
from altledger.reference.twopc.shard import Input
from altledger.reference.twopc.shard import step as reference_step
from altledger.reference.twopc.state import Envelope
from altledger.conformance.twopc_json import TxTable, read_shard, shard_json

StepOutput = tuple[Any, Sequence[Envelope], Sequence[tuple[Record, bool]]]


class TwopcBackend(Protocol):
    """What the built-in client needs from an implementation (module docstring)."""

    name: str

    def load_shard(self, data: dict, shard_count: int, txs: TxTable) -> Any: ...
    def step(self, state: Any, event: Input) -> StepOutput: ...
    def dump_shard(self, state: Any) -> dict: ...
    def new_cluster(self, shard_count: int, genesis: Mapping[bytes, int], agent_names: Mapping[bytes, str]) -> Any: ...
    def apply(self, cluster: Any, op: Operation) -> None: ...
    def round_schedule(self, cluster: Any, txs: list[CrossAgentTx]) -> None: ...
    def snapshot(self, cluster: Any) -> dict: ...


class ReferenceBackend:
    """``altledger.reference.twopc``: the definition every vector was generated from."""

    name = "reference"

    def load_shard(self, data: dict, shard_count: int, txs: TxTable) -> Any:
        return read_shard(data, shard_count, txs)

    def step(self, state: Any, event: Input) -> StepOutput:
        result = reference_step(state, event)
        return result.state, result.sent, result.log_writes

    def dump_shard(self, state: Any) -> dict:
        return shard_json(state)

    def new_cluster(self, shard_count: int, genesis: Mapping[bytes, int], agent_names: Mapping[bytes, str]) -> Any:
        return Cluster(shard_count, genesis, agent_names)

    def apply(self, cluster: Any, op: Operation) -> None:
        cluster.apply(op)

    def round_schedule(self, cluster: Any, txs: list[CrossAgentTx]) -> None:
        run_round_schedule(cluster, txs)

    def snapshot(self, cluster: Any) -> dict:
        return reference_snapshot(cluster)


FAST_MODULE = "altledger.fast.twopc"
# What the fast module must export for this adapter (conformance/README.md, "Backends").
FAST_NEEDS = {
    "Cluster": "Cluster(shard_count, genesis, agent_names=None) with apply(op) taking the reference's tuples",
    "snapshot": "snapshot(cluster) -> dict, byte-identical to the reference's (altledger-2pc-snapshot/1)",
    "run_round_schedule": "run_round_schedule(cluster, txs) (spec §13.3)",
    "load_shard": "load_shard(shard_json, shard_count, transactions: {txid: CrossAgentTx}) -> shard state",
    "step": "step(shard_state, event) -> result with .state, .sent (Envelopes), .log_writes ((record, forced))",
    "shard_json": "shard_json(shard_state) -> dict, the snapshot's per-shard form",
}


class FastBackend:
    """``altledger.fast.twopc`` through the names of :data:`FAST_NEEDS`."""

    name = "fast"

    def __init__(self) -> None:
        try:
            module = importlib.import_module(FAST_MODULE)
        except ModuleNotFoundError as error:
            if error.name and FAST_MODULE.startswith(error.name):
                raise ToolError(f"the fast implementation is not there yet: no module {FAST_MODULE}") from None
            raise
        missing = [name for name in FAST_NEEDS if not hasattr(module, name)]
        if missing:
            raise ToolError(f"{FAST_MODULE} lacks what the conformance adapter needs: "
                            + "; ".join(f"{name} ({FAST_NEEDS[name]})" for name in missing))
        self.module = module

    def load_shard(self, data: dict, shard_count: int, txs: TxTable) -> Any:
        # The suite's reader (the reference's) checks the state first: whether a state is one a shard can
        # have is a property of the vector format, so both clients refuse the same states with the same
        # error; the fast module's own reader then only converts (its checks stay, for direct callers).
        read_shard(data, shard_count, txs)
        return self.module.load_shard(data, shard_count, dict(txs.by_txid), "/state")   # paths as the reference's

    def step(self, state: Any, event: Input) -> StepOutput:
        result = self.module.step(state, event)
        return result.state, result.sent, result.log_writes

    def dump_shard(self, state: Any) -> dict:
        return self.module.shard_json(state)

    def new_cluster(self, shard_count: int, genesis: Mapping[bytes, int], agent_names: Mapping[bytes, str]) -> Any:
        return self.module.Cluster(shard_count, genesis, agent_names)

    def apply(self, cluster: Any, op: Operation) -> None:
        cluster.apply(op)

    def round_schedule(self, cluster: Any, txs: list[CrossAgentTx]) -> None:
        self.module.run_round_schedule(cluster, txs)

    def snapshot(self, cluster: Any) -> dict:
        return self.module.snapshot(cluster)


def backend(name: str) -> TwopcBackend:
    """``reference``, ``fast`` or ``broken:BUG`` (see :mod:`altledger.conformance.broken_clients`)."""
    if name == "reference":
        return ReferenceBackend()
    if name == "fast":
        return FastBackend()
    if name.startswith("broken:"):
        from altledger.conformance.broken_clients import broken_backend
        return broken_backend(name.removeprefix("broken:"))
    raise ToolError(f"unknown implementation {name!r}: expected reference, fast or broken:BUG")

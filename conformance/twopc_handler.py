"""The two-phase commit suite, client side: answer one ``step`` or ``run`` request with a backend.

A request's ``input`` is the vector without ``id``, ``description``,
``clauses`` and ``expected`` (conformance/README.md); the answer is what the
vector's ``expected`` holds:

* ``step`` (spec/two_phase_commit.md §2.6): load the shard from
  ``input.state``, take ``input.input``, answer ``{"state", "sent",
  "log_writes"}``.
* ``run`` (§13.1): a fresh cluster from ``genesis``; apply every operation;
  answer ``{"outcomes", "snapshot", "digests"}`` where ``digests[i]`` is the
  SHA-256 of the canonical snapshot after operation ``i``.

``outcomes`` is derived from the final snapshot here, by the definition in
the README, independently of the generator (which derives it from the
reference's objects), so the two derivations check each other.
"""

from __future__ import annotations

import hashlib
from typing import Any

from altledger.reference.encoding import CrossAgentTx, shard_index
from altledger.reference.errors import InputFileError
from altledger.conformance.twopc_backends import TwopcBackend
from altledger.conformance.twopc_json import (TxTable, envelope_json, log_writes_json, read_input,
                                              read_transactions)
from altledger.reference.encoding.agents import MAX_SHARDS
from altledger.reference.twopc.cluster import MAX_CLUSTER_SHARDS
from altledger.reference.twopc.shard import misrouted
from altledger.reference.twopc.snapshot import canonical_json

OPERATIONS = ("submit", "deliver", "drop", "duplicate", "timeout", "flush", "crash", "recover", "round_schedule")


def _fail(where: str, reason: str) -> InputFileError:
    return InputFileError("", where, reason)


def _shard_count(data: dict, run: bool = False) -> int:
    """``K``: any of §2.2 for a step, at most MAX_CLUSTER_SHARDS for a run (§13.1)."""
    value = data.get("shard_count")
    most, bound = (MAX_CLUSTER_SHARDS, f"{MAX_CLUSTER_SHARDS} for a run (§13.1)") if run else (MAX_SHARDS, "2**32")
    if type(value) is not int or not 1 <= value <= most:
        raise _fail("/shard_count", f"expected an integer in 1..{bound}, got {value!r}")
    return value


def _members(data: Any, names: tuple[str, ...]) -> dict:
    if not isinstance(data, dict):
        raise _fail("/", "the request input must be a JSON object")
    missing = [n for n in names if n not in data]
    if missing:
        raise _fail("/", f"missing member(s): {', '.join(missing)}")
    return data


def handle_step(data: Any, backend: TwopcBackend) -> dict[str, Any]:
    data = _members(data, ("shard_count", "transactions", "state", "input"))
    shard_count = _shard_count(data)
    txs = read_transactions(data["transactions"])
    state = backend.load_shard(data["state"], shard_count, txs)
    event = read_input(data["input"], txs, shard_count)
    problem = misrouted(data["state"]["shard"], shard_count, event)    # the step's own guard (§2.6), typed
    if problem:
        raise _fail(f"/input/{problem[0]}", problem[1])
    after, sent, log_writes = backend.step(state, event)
    return {"state": backend.dump_shard(after), "sent": [envelope_json(e) for e in sent],
            "log_writes": log_writes_json(log_writes)}


def read_genesis(data: Any) -> tuple[dict[bytes, int], dict[bytes, str]]:
    if not isinstance(data, list):
        raise _fail("/genesis", "expected a JSON array of {agent, name, balance}")
    genesis: dict[bytes, int] = {}
    names: dict[bytes, str] = {}
    for i, entry in enumerate(data):
        at = f"/genesis/{i}"
        if not isinstance(entry, dict) or set(entry) != {"agent", "name", "balance"}:
            raise _fail(at, "expected {agent, name, balance}")
        try:
            agent = bytes.fromhex(entry["agent"])
        except (TypeError, ValueError):
            raise _fail(f"{at}/agent", "expected 64 hex digits") from None
        balance = entry["balance"]
        if len(agent) != 32 or not isinstance(balance, str) or not balance.isdigit():
            raise _fail(at, "expected a 32-byte hex agent and a decimal balance")
        if agent in genesis:
            raise _fail(f"{at}/agent", "agent listed twice")
        genesis[agent] = int(balance)
        names[agent] = entry["name"]
    return genesis, names


def read_operation(op: Any, index: int, txs: TxTable, shard_count: int) -> tuple:
    """One run operation: the tuples of ``Cluster.apply`` (transactions by label), or ``round_schedule``."""
    where = f"/operations/{index}"
    if not isinstance(op, list) or not op or op[0] not in OPERATIONS:
        raise _fail(where, f"expected [NAME, ARGS...] with NAME one of {', '.join(OPERATIONS)}")
    name, args = op[0], op[1:]
    arity = 2 if name == "timeout" else 1
    if len(args) != arity:
        raise _fail(where, f"{name} takes {arity} argument(s), got {len(args)}")

    def tx(label: Any) -> CrossAgentTx:
        if not isinstance(label, str) or label not in txs.by_label:
            raise _fail(where, f"unknown transaction label {label!r}")
        return txs.by_label[label]

    def number(value: Any, lo: int, hi: int | None = None) -> int:
        if type(value) is not int or value < lo or (hi is not None and value > hi):
            raise _fail(where, f"bad argument {value!r}")
        return value

    if name == "submit":
        return ("submit", tx(args[0]))
    if name == "timeout":
        return ("timeout", number(args[0], 0, shard_count - 1), tx(args[1]).txid())
    if name == "round_schedule":
        if not isinstance(args[0], list):
            raise _fail(where, "round_schedule takes a list of transaction labels")
        return ("round_schedule", [tx(label) for label in args[0]])
    if name in ("deliver", "drop", "duplicate"):
        return (name, number(args[0], 1))
    return (name, number(args[0], 0, shard_count - 1))


def digest(snapshot: dict) -> str:
    """SHA-256 of the canonical snapshot text (keys sorted, no spaces, ASCII)."""
    return hashlib.sha256(canonical_json(snapshot).encode("ascii")).hexdigest()


def handle_run(data: Any, backend: TwopcBackend) -> dict[str, Any]:
    data = _members(data, ("shard_count", "genesis", "transactions", "operations"))
    shard_count = _shard_count(data, run=True)
    txs = read_transactions(data["transactions"])
    genesis, names = read_genesis(data["genesis"])
    if not isinstance(data["operations"], list):
        raise _fail("/operations", "expected a JSON array")
    ops = [read_operation(op, i, txs, shard_count) for i, op in enumerate(data["operations"])]
    cluster = backend.new_cluster(shard_count, genesis, names)
    digests = []
    for op in ops:
        if op[0] == "round_schedule":
            backend.round_schedule(cluster, op[1])
        else:
            backend.apply(cluster, op)
        digests.append(digest(backend.snapshot(cluster)))
    final = backend.snapshot(cluster)
    return {"outcomes": outcomes_from_snapshot(final), "snapshot": final, "digests": digests}


def outcomes_from_snapshot(snap: dict) -> dict[str, str]:
    """txid -> committed | aborted | pending for every transaction of the snapshot (README, "Outcomes").

    committed: some participant's log holds OutcomeRecord(COMMIT); else
    pending: the coordinator has an entry for it, or some participant holds
    its PreparedRecord without an outcome; else aborted (including a
    transaction whose submission never took effect).
    """
    shard_count = snap["shard_count"]
    shards = snap["shards"]
    result = {}
    for entry in snap["transactions"]:
        txid = entry["txid"]
        tx = CrossAgentTx.decode(bytes.fromhex(entry["encoding"]))
        homes = [shard_index(leg.agent, shard_count) for leg in tx.legs]
        participants = sorted(set(homes))
        coordinator = next(h for h, leg in zip(homes, tx.legs) if leg.kind.name == "DEBIT")
        states = []
        for s in participants:
            mine = [r for r in shards[s]["log"] if r.get("txid") == txid]
            if any(r["type"] == "OutcomeRecord" and r["outcome"] == "COMMIT" for r in mine):
                states.append("committed")
            elif any(r["type"] == "OutcomeRecord" for r in mine):
                states.append("aborted")
            elif any(r["type"] == "PreparedRecord" for r in mine):
                states.append("prepared")
            else:
                states.append("working")
        busy = any(c["txid"] == txid for c in shards[coordinator]["coord"])
        if "committed" in states:
            result[txid] = "committed"
        elif busy or "prepared" in states:
            result[txid] = "pending"
        else:
            result[txid] = "aborted"
    return result


def handle(kind: str, data: Any, backend: TwopcBackend) -> dict[str, Any]:
    if kind == "step":
        return handle_step(data, backend)
    if kind == "run":
        return handle_run(data, backend)
    raise _fail("/kind", f"the twopc suite has kinds step and run, not {kind!r}")

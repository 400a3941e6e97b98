"""A run as data: shards, genesis, transactions and an operation list (format ``altledger-2pc-ops/1``).

Why a file format: the conformance vectors and the fast implementation's
differential tests replay *fixed* operation lists, and ``altledger twopc
simulate --save-ops`` writes the operations it generated so that a run can be
replayed exactly (``altledger twopc replay``)::

    {
      "format": "altledger-2pc-ops/1",
      "shard_count": 4,
      "agents": [{"name": "a1.cns", "balance": "100"}, ...],
      "transactions": [{"label": "t1", "tx": TX}, ...],
      "operations": [["submit", "t1"], ["deliver", 1], ["drop", 2], ["duplicate", 3],
                     ["timeout", 0, "t1"], ["flush", 0], ["crash", 1], ["recover", 1]]
    }

``agents`` gives names and genesis balances (decimal strings or integers;
0 is allowed, to name an agent).  ``TX`` is either the JSON form of a
``CrossAgentTx`` (spec/encoding.md §E.1.10, as ``value_to_json`` writes it)
or ``{"encoding": HEX}``.  Operations name transactions by label or by txid
(hex).  Message numbers are the send numbers of §13.1, starting at 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from altledger.reference.encoding import CrossAgentTx, agent_id, value_from_json, value_to_json
from altledger.reference.errors import AltledgerError, DecodeError, InputFileError
from altledger.reference.jsontext import read_json_file
from altledger.reference.twopc.cluster import OPERATION_NAMES, Applied, Cluster, Operation
from altledger.reference.twopc.txfacts import txid_of

OPS_FORMAT = "altledger-2pc-ops/1"
Observer = Callable[[Cluster, Applied], None]


@dataclass
class Scenario:
    """Everything needed to reproduce a run."""

    shard_count: int
    genesis: dict[str, int]                                   # agent name -> genesis balance
    transactions: dict[str, CrossAgentTx] = field(default_factory=dict)   # label -> tx
    operations: list[Operation] = field(default_factory=list)

    def agent_names(self) -> dict[bytes, str]:
        return {agent_id(name): name for name in self.genesis}

    def new_cluster(self) -> Cluster:
        return Cluster(self.shard_count, {agent_id(n): v for n, v in self.genesis.items()}, self.agent_names())

    def label_of(self) -> dict[bytes, str]:
        return {txid_of(tx): label for label, tx in self.transactions.items()}


def replay(scenario: Scenario, observers: Iterable[Observer] = ()) -> Cluster:
    """Apply the scenario's operations to a fresh cluster, calling each observer after each operation."""
    cluster = scenario.new_cluster()
    observers = list(observers)
    for op in scenario.operations:
        applied = cluster.apply(op)
        for observe in observers:
            observe(cluster, applied)
    return cluster


# -- JSON --------------------------------------------------------------------------------

def operation_json(op: Operation, labels: dict[bytes, str]) -> list[Any]:
    """An operation as JSON: transactions by label."""
    name, *args = op
    if name == "submit":
        return ["submit", labels[txid_of(args[0])]]
    if name == "timeout":
        return ["timeout", args[0], labels.get(args[1], args[1].hex())]
    return [name, *args]


def scenario_to_json(scenario: Scenario) -> dict[str, Any]:
    labels = scenario.label_of()
    return {
        "format": OPS_FORMAT,
        "shard_count": scenario.shard_count,
        "agents": [{"name": name, "balance": str(balance)} for name, balance in scenario.genesis.items()],
        "transactions": [{"label": label, "tx": value_to_json(tx)} for label, tx in scenario.transactions.items()],
        "operations": [operation_json(op, labels) for op in scenario.operations],
    }


def save_scenario(path: str | Path, scenario: Scenario) -> None:
    """Write the scenario as JSON, one agent, transaction or operation per line."""
    data = scenario_to_json(scenario)

    def block(name: str) -> str:
        items = ",\n".join(f"    {json.dumps(item)}" for item in data[name])
        return f'  "{name}": [\n{items}\n  ]' if items else f'  "{name}": []'

    head = f'  "format": {json.dumps(data["format"])},\n  "shard_count": {data["shard_count"]},\n'
    body = ",\n".join(block(name) for name in ("agents", "transactions", "operations"))
    Path(path).write_text("{\n" + head + body + "\n}\n")


def _fail(location: str, item: str, reason: str) -> InputFileError:
    return InputFileError(location, item, reason)


def _int(value: Any, location: str, item: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _fail(location, item, f"expected an integer, got {value!r}")
    if isinstance(value, str):
        if not value.isdigit():
            raise _fail(location, item, f"expected a decimal integer, got {value!r}")
        value = int(value)
    if value < minimum:
        raise _fail(location, item, f"must be at least {minimum}, got {value}")
    return value


def _transaction(data: Any, location: str, item: str) -> CrossAgentTx:
    if isinstance(data, dict) and set(data) == {"encoding"}:
        try:
            return CrossAgentTx.decode(bytes.fromhex(data["encoding"]))
        except ValueError as error:     # DecodeError is a ValueError; so is bad hex
            reason = str(error) if isinstance(error, DecodeError) else f"not hex: {error}"
            raise _fail(location, item, reason) from None
    try:
        value = value_from_json(data, location)
    except InputFileError as error:     # nested values report no location: add ours
        raise _fail(location, f"{item} ({error.item})" if error.item else item, error.reason) from None
    if not isinstance(value, CrossAgentTx):
        raise _fail(location, item, f"expected a CrossAgentTx, got {type(value).__name__}")
    return value


def scenario_from_json(data: Any, location: str = "") -> Scenario:
    """Validate and build a :class:`Scenario`; every problem raises :class:`InputFileError`."""
    if not isinstance(data, dict):
        raise _fail(location, "/", "an operations file is a JSON object")
    if data.get("format") != OPS_FORMAT:
        raise _fail(location, "/format", f"expected {OPS_FORMAT!r}, got {data.get('format')!r}")
    missing = {"shard_count", "agents", "transactions", "operations"} - set(data)
    if missing:
        raise _fail(location, "/", f"missing member(s): {', '.join(sorted(missing))}")
    shard_count = _int(data["shard_count"], location, "/shard_count", minimum=1)
    genesis: dict[str, int] = {}
    for i, entry in enumerate(_list(data["agents"], location, "/agents")):
        if not isinstance(entry, dict) or set(entry) != {"name", "balance"} or not isinstance(entry["name"], str):
            raise _fail(location, f"/agents/{i}", 'expected {"name": STRING, "balance": INTEGER}')
        if entry["name"] in genesis:
            raise _fail(location, f"/agents/{i}", f"agent {entry['name']!r} listed twice")
        genesis[entry["name"]] = _int(entry["balance"], location, f"/agents/{i}/balance")
    transactions: dict[str, CrossAgentTx] = {}
    for i, entry in enumerate(_list(data["transactions"], location, "/transactions")):
        if not isinstance(entry, dict) or set(entry) != {"label", "tx"} or not isinstance(entry["label"], str):
            raise _fail(location, f"/transactions/{i}", 'expected {"label": STRING, "tx": TX}')
        if entry["label"] in transactions:
            raise _fail(location, f"/transactions/{i}", f"label {entry['label']!r} used twice")
        transactions[entry["label"]] = _transaction(entry["tx"], location, f"/transactions/{i}/tx")
    by_txid = {txid_of(tx).hex(): tx for tx in transactions.values()}
    operations = [_operation(op, i, shard_count, transactions, by_txid, location)
                  for i, op in enumerate(_list(data["operations"], location, "/operations"))]
    scenario = Scenario(shard_count, genesis, transactions, operations)
    try:
        scenario.new_cluster()
    except ValueError as error:
        raise _fail(location, "/agents", str(error)) from None
    return scenario


def _list(value: Any, location: str, item: str) -> list:
    if not isinstance(value, list):
        raise _fail(location, item, "expected a JSON array")
    return value


def _operation(op: Any, index: int, shard_count: int, transactions: dict[str, CrossAgentTx],
               by_txid: dict[str, CrossAgentTx], location: str) -> Operation:
    item = f"/operations/{index}"
    if not isinstance(op, list) or not op or op[0] not in OPERATION_NAMES:
        raise _fail(location, item, f"expected [NAME, ARGS...] with NAME one of {', '.join(OPERATION_NAMES)}")
    name, args = op[0], op[1:]
    arity = {"timeout": 2}.get(name, 1)
    if len(args) != arity:
        raise _fail(location, item, f"{name} takes {arity} argument(s), got {len(args)}")

    def tx_named(ref: Any) -> CrossAgentTx:
        tx = transactions.get(ref) if isinstance(ref, str) else None
        tx = tx or (by_txid.get(ref) if isinstance(ref, str) else None)
        if tx is None:
            raise _fail(location, item, f"unknown transaction {ref!r} (give a label or txid from /transactions)")
        return tx

    def shard(ref: Any) -> int:
        value = _int(ref, location, item)
        if value >= shard_count:
            raise _fail(location, item, f"no shard {value} (shard_count is {shard_count})")
        return value

    if name == "submit":
        return ("submit", tx_named(args[0]))
    if name == "timeout":
        return ("timeout", shard(args[0]), txid_of(tx_named(args[1])))
    if name in ("deliver", "drop", "duplicate"):
        return (name, _int(args[0], location, item, minimum=1))
    return (name, shard(args[0]))


def load_scenario(path: str | Path) -> Scenario:
    """Read an ``altledger-2pc-ops/1`` file (errors name the file, line where known, and JSON pointer)."""
    path = Path(path)
    data = read_json_file(path)
    try:
        return scenario_from_json(data, str(path))
    except AltledgerError:
        raise
    except ValueError as error:
        raise _fail(str(path), "", str(error)) from None

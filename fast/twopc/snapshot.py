"""The snapshot of a fast cluster, byte-identical to the reference's (format ``altledger-2pc-snapshot/1``).

The format is defined once, in ``reference.twopc.snapshot``; this module only
turns compact state back into reference values and hands them to the
reference's own JSON functions (``record_json``, ``message_json``,
``canonical_json``), so the two implementations cannot drift apart in how
they *print* a state — only in the state itself, which is what the
cross-checks compare.

It also reads a shard back from its snapshot JSON (:func:`shard_from_json`),
which the per-shard step (``stepjson``) uses.
"""

from __future__ import annotations

import hashlib
from typing import Any

from altledger.fast.twopc.codes import (COLLECTING, COMMITTING, KIND_BITS, MSG_PREPARE, PHASE_NAMES, REC_PREPARED,
                                        message_code, message_value, record_code, record_value)
from altledger.fast.twopc.shard import FastShard
from altledger.fast.twopc.txtable import TxTable
from altledger.reference.encoding import VoteReason, value_from_json
from altledger.reference.errors import InputFileError
from altledger.reference.twopc.snapshot import SNAPSHOT_FORMAT, canonical_json, message_json, record_json


class JsonForms:
    """Memoised reference JSON of record and message codes of one table (a record recurs on every participant)."""

    def __init__(self, table: TxTable) -> None:
        self.table = table
        self._records: dict[int, dict[str, Any]] = {}
        self._messages: dict[tuple[int, int, int], dict[str, Any]] = {}

    def record(self, code: int) -> dict[str, Any]:
        found = self._records.get(code)
        if found is None:
            found = self._records[code] = record_json(record_value(code, self.table))
        return dict(found)

    def message(self, code: int, t: int, shard_field: int) -> dict[str, Any]:
        key = (code, t, shard_field)
        found = self._messages.get(key)
        if found is None:
            found = self._messages[key] = message_json(message_value(code, t, shard_field, self.table))
        return dict(found)


def shard_json(shard: FastShard, forms: JsonForms | None = None) -> dict[str, Any]:
    """One shard as the reference's ``snapshot.shard_json`` prints it."""
    forms = forms or JsonForms(shard.table)
    table = shard.table
    ids = table.agents.ids
    agents = sorted(({a for a, v in shard.bal.items() if v} | {a for a, v in shard.nonce.items() if v}),
                    key=ids.__getitem__)
    coord = sorted(((table.txid(t), entry) for t, entry in shard.coord.items()), key=lambda item: item[0])
    return {
        "shard": shard.shard,
        "up": shard.up,
        "log": [forms.record(r) for r in shard.log],
        "buffer": [forms.record(r) for r in shard.buffer],
        "store": [{"agent": ids[a].hex(), "balance": str(shard.bal.get(a, 0)), "nonce": str(shard.nonce.get(a, 0))}
                  for a in agents],
        "coord": [{"txid": txid.hex(), "phase": PHASE_NAMES[entry[0]], "participants": list(entry[1]),
                   "yes": sorted(entry[2]) if entry[0] == COLLECTING else [],
                   "acks": sorted(entry[2]) if entry[0] == COMMITTING else []}
                  for txid, entry in coord],
    }


def snapshot(cluster) -> dict[str, Any]:
    """The whole observable state of a fast ``Cluster``, in the reference's snapshot format."""
    table = cluster.table
    forms = JsonForms(table)
    return {
        "format": SNAPSHOT_FORMAT,
        "shard_count": cluster.shard_count,
        "next_send_number": cluster.next_number,
        "genesis": [{"agent": a.hex(), "balance": str(v)} for a, v in sorted(cluster.genesis.items()) if v],
        "transactions": [{"txid": txid.hex(), "encoding": table.txs[t].encode().hex()}
                         for txid, t in cluster.transactions.items()],
        "shards": [shard_json(shard, forms) for shard in cluster.shards],
        "network": [{"n": n, "from": e[0], "to": e[1], "message": forms.message(e[2], e[3], e[4])}
                    for n, e in sorted(cluster.network.items())],
    }


def snapshot_json(cluster) -> str:
    """The canonical text of :func:`snapshot` (the reference's ``canonical_json``)."""
    return canonical_json(snapshot(cluster))


def snapshot_digest(cluster) -> str:
    """SHA-256 (hex) of :func:`snapshot_json`."""
    return hashlib.sha256(snapshot_json(cluster).encode("ascii")).hexdigest()


# -- reading a shard back --------------------------------------------------------------------

def _fail(location: str, item: str, reason: str) -> InputFileError:
    return InputFileError(location, item, reason)


def _decimal(value: Any, location: str, item: str) -> int:
    if not isinstance(value, str) or not value.isdigit():
        raise _fail(location, item, f"expected a decimal string, got {value!r}")
    return int(value)


def _tx_index(txid_hex: Any, by_txid: dict[str, int], location: str, item: str) -> int:
    t = by_txid.get(txid_hex) if isinstance(txid_hex, str) else None
    if t is None:
        raise _fail(location, item, f"txid {txid_hex!r} is not in the transactions table")
    return t


def record_from_json(data: Any, table: TxTable, by_txid: dict[str, int], location: str, item: str) -> int:
    """A record code from the snapshot's RECORD form (``PreparedRecord`` by txid, others as §E.1.10 JSON)."""
    if isinstance(data, dict) and data.get("type") in ("PreparedRecord", "Prepare"):
        if data["type"] != "PreparedRecord" or set(data) != {"type", "txid"}:
            raise _fail(location, item, 'a PreparedRecord is {"type": "PreparedRecord", "txid": HEX}')
        return _tx_index(data["txid"], by_txid, location, f"{item}/txid") << KIND_BITS | REC_PREPARED
    value = value_from_json(data, location)
    t = _tx_index(getattr(value, "txid", b"").hex(), by_txid, location, f"{item}/txid")
    try:
        return record_code(value, t, table)
    except ValueError as error:
        raise _fail(location, item, str(error)) from None


def message_from_json(data: Any, table: TxTable, by_txid: dict[str, int], location: str,
                      item: str) -> tuple[int, int, int]:
    """``(code, t, shard_field)`` from the snapshot's MESSAGE form (``Prepare`` by txid)."""
    if isinstance(data, dict) and data.get("type") == "Prepare":
        if set(data) != {"type", "txid"}:
            raise _fail(location, item, 'a Prepare is {"type": "Prepare", "txid": HEX}')
        return MSG_PREPARE, _tx_index(data["txid"], by_txid, location, f"{item}/txid"), 0
    value = value_from_json(data, location)
    try:
        code, field = message_code(value)
    except ValueError as error:
        raise _fail(location, item, str(error)) from None
    return code, _tx_index(value.txid.hex(), by_txid, location, f"{item}/txid"), field


def shard_from_json(data: Any, table: TxTable, by_txid: dict[str, int], location: str = "") -> FastShard:
    """Rebuild a :class:`FastShard` from its snapshot JSON; the indexes are derived by absorbing the log.

    ``table`` must already hold every transaction of the snapshot's
    ``transactions`` list (``by_txid``: txid hex -> index).
    """
    if not isinstance(data, dict):
        raise _fail(location, "/", "a shard is a JSON object")
    expected = {"shard", "up", "log", "buffer", "store", "coord"}
    if set(data) != expected:
        raise _fail(location, "/", f"a shard has exactly the members {sorted(expected)}, got {sorted(data)}")
    s = data["shard"]
    if type(s) is not int or not 0 <= s < table.shard_count:
        raise _fail(location, "/shard", f"no shard {s!r} (shard_count is {table.shard_count})")
    if type(data["up"]) is not bool:
        raise _fail(location, "/up", "expected true or false")
    for name in ("log", "buffer", "store", "coord"):
        if not isinstance(data[name], list):
            raise _fail(location, f"/{name}", "expected a JSON array")
    shard = FastShard(s, table)
    shard.up = data["up"]
    for i, record in enumerate(data["log"]):
        code = record_from_json(record, table, by_txid, location, f"/log/{i}")
        shard.log.append(code)
        shard.absorb(code)
    shard.buffer = [record_from_json(r, table, by_txid, location, f"/buffer/{i}") for i, r in enumerate(data["buffer"])]
    agents = table.agents
    for i, entry in enumerate(data["store"]):
        item = f"/store/{i}"
        if not isinstance(entry, dict) or set(entry) != {"agent", "balance", "nonce"}:
            raise _fail(location, item, 'expected {"agent": HEX, "balance": "DEC", "nonce": "DEC"}')
        try:
            agent = bytes.fromhex(entry["agent"]) if isinstance(entry["agent"], str) else b""
        except ValueError:
            agent = b""
        if len(agent) != 32:
            raise _fail(location, f"{item}/agent", "expected a 32-byte AgentId in hex")
        a = agents.intern(agent)
        if agents.shard[a] != s:
            raise _fail(location, f"{item}/agent", f"agent lives on shard {agents.shard[a]}, not {s}")
        balance = _decimal(entry["balance"], location, f"{item}/balance")
        nonce = _decimal(entry["nonce"], location, f"{item}/nonce")
        if balance:
            shard.bal[a] = balance
        if nonce:
            shard.nonce[a] = nonce
    phases = {name: code for code, name in PHASE_NAMES.items()}
    for i, entry in enumerate(data["coord"]):
        item = f"/coord/{i}"
        if (not isinstance(entry, dict) or set(entry) != {"txid", "phase", "participants", "yes", "acks"}
                or not isinstance(entry["phase"], str) or entry["phase"] not in phases
                or not all(isinstance(entry[k], list) and all(type(x) is int for x in entry[k])
                           for k in ("participants", "yes", "acks"))):
            raise _fail(location, item, 'expected {"txid", "phase": "collecting"|"committing", '
                                        '"participants": [INT], "yes": [INT], "acks": [INT]}')
        t = _tx_index(entry["txid"], by_txid, location, f"{item}/txid")
        if table.coordinator[t] != s:                                   # §3.4
            raise _fail(location, f"{item}/txid", f"shard {s} does not coordinate this transaction "
                        f"(shard {table.coordinator[t]} does, §3.4)")
        if tuple(entry["participants"]) != table.participants[t]:
            raise _fail(location, f"{item}/participants", f"the transaction's participants are "
                        f"{list(table.participants[t])}")
        phase = phases[entry["phase"]]
        held = entry["yes"] if phase == COLLECTING else entry["acks"]
        other = entry["acks"] if phase == COLLECTING else entry["yes"]
        if other:
            raise _fail(location, item, f"a {entry['phase']} entry has no {'acks' if phase == COLLECTING else 'yes'}")
        shard.coord[t] = [phase, table.participants[t], set(held)]
    return shard


# -- what one operation did, comparably ----------------------------------------------------------

def applied_json(cluster, applied) -> dict[str, Any]:
    """A fast ``Applied`` in a form comparable with :func:`reference_applied_json` of the reference's."""
    forms = JsonForms(cluster.table)

    def envelope(item):
        n, (sender, recipient, code, t, shard_field) = item
        return {"n": n, "from": sender, "to": recipient, "message": forms.message(code, t, shard_field)}

    return {
        "took_effect": applied.took_effect,
        "shard": applied.shard,
        "removed": envelope(applied.removed) if applied.removed else None,
        "added": [envelope(item) for item in applied.added],
        "log_writes": [[forms.record(code), forced] for code, forced in applied.log_writes],
        "votes": [[cluster.table.txid(t).hex(), VoteReason(reason).name] for t, reason in applied.votes],
    }


def reference_applied_json(applied) -> dict[str, Any]:
    """The reference's ``Applied`` in the form of :func:`applied_json`."""
    def envelope(item):
        n, e = item
        return {"n": n, "from": e.sender, "to": e.recipient, "message": message_json(e.message)}

    result = applied.result
    return {
        "took_effect": applied.took_effect,
        "shard": applied.shard,
        "removed": envelope(applied.removed) if applied.removed else None,
        "added": [envelope(item) for item in applied.added],
        "log_writes": [[record_json(r), forced] for r, forced in result.log_writes] if result else [],
        "votes": [[v.txid.hex(), v.reason.name] for v in result.votes] if result else [],
    }

"""The JSON forms of the two-phase commit conformance vectors, both ways.

Why a module of its own: the vectors are language-neutral JSON, and two
sides read them — the generator (reference objects -> JSON) and the
built-in client (JSON -> reference objects, then back).  Every form here is
the one of the snapshot format (``altledger.reference.twopc.snapshot``,
``altledger-2pc-snapshot/1``): records and messages are the JSON forms of
spec/encoding.md §E.1.10, except that ``PreparedRecord`` and ``Prepare``
name their transaction by ``txid``; the transaction itself is in the
vector's ``transactions`` table::

    "transactions": {"t1": {"txid": HEX, "encoding": HEX, "tx": CrossAgentTx-JSON}, ...}

A step input (spec/two_phase_commit.md §2.6) is one of::

    {"type": "Submit", "txid": HEX}          {"type": "Timeout", "txid": HEX}
    {"type": "Deliver", "envelope": {"from": s, "to": s, "message": MESSAGE}}
    {"type": "Flush"}   {"type": "Crash"}   {"type": "Recover"}

Every reader raises :class:`InputFileError` naming the JSON pointer of the
defect, never a bare ``KeyError``.
"""

from __future__ import annotations

from typing import Any, Mapping

from altledger.reference.encoding import (CommitDecisionRecord, CrossAgentTx, Outcome, OutcomeRecord, Prepare,
                                          PreparedRecord, shard_index, value_from_json, value_to_json)
from altledger.reference.errors import DecodeError, InputFileError
from altledger.reference.twopc.log import Log, Record
from altledger.reference.twopc.shard import Crash, Deliver, Flush, Input, Recover, Submit, Timeout
from altledger.reference.twopc.snapshot import message_json, record_json, shard_json
from altledger.reference.twopc.state import CoordEntry, Envelope, Message, Phase, ShardState
from altledger.reference.twopc.txfacts import coordinator_of, participants_of, txid_of

RECORD_TYPES = ("PreparedRecord", "OutcomeRecord", "CommitDecisionRecord", "EndRecord")
MESSAGE_TYPES = ("Prepare", "VoteMsg", "Decision", "Ack", "Query")

__all__ = [
    "RECORD_TYPES", "MESSAGE_TYPES", "TxTable", "envelope_json", "input_json", "record_json", "message_json",
    "shard_json", "transactions_json", "read_transactions", "read_record", "read_message", "read_envelope",
    "read_shard", "read_input",
]


def _fail(where: str, reason: str) -> InputFileError:
    return InputFileError("", where, reason)


def _object(data: Any, where: str, keys: tuple[str, ...]) -> dict:
    if not isinstance(data, dict):
        raise _fail(where, f"expected a JSON object, got {type(data).__name__}")
    if set(data) != set(keys):
        raise _fail(where, f"expected members {sorted(keys)}, got {sorted(data)}")
    return data


def _hex32(data: Any, where: str) -> bytes:
    if not isinstance(data, str) or len(data) != 64:
        raise _fail(where, f"expected 64 lowercase hex digits, got {data!r}")
    try:
        value = bytes.fromhex(data)
    except ValueError:
        raise _fail(where, f"not hex: {data!r}") from None
    if value.hex() != data:
        raise _fail(where, f"hex must be lowercase: {data!r}")
    return value


def _int(data: Any, where: str, lo: int = 0, hi: int | None = None) -> int:
    if type(data) is not int or data < lo or (hi is not None and data > hi):
        bound = f" in {lo}..{hi}" if hi is not None else f" >= {lo}"
        raise _fail(where, f"expected an integer{bound}, got {data!r}")
    return data


def _decimal(data: Any, where: str) -> int:
    if not isinstance(data, str) or not data.isdigit() or (len(data) > 1 and data[0] == "0"):
        raise _fail(where, f"expected a decimal string without leading zeros, got {data!r}")
    return int(data)


# -- transactions ---------------------------------------------------------------------

class TxTable:
    """The vector's ``transactions``: label -> tx, and txid -> tx (in the table's order)."""

    def __init__(self, by_label: Mapping[str, CrossAgentTx]) -> None:
        self.by_label = dict(by_label)
        self.by_txid = {txid_of(tx): tx for tx in self.by_label.values()}
        self.label_of = {txid_of(tx): label for label, tx in self.by_label.items()}

    def tx(self, txid: bytes, where: str) -> CrossAgentTx:
        found = self.by_txid.get(txid)
        if found is None:
            raise _fail(where, f"transaction {txid.hex()} is not in the vector's transactions table")
        return found


def transactions_json(by_label: Mapping[str, CrossAgentTx]) -> dict[str, Any]:
    """The ``transactions`` member of a vector."""
    return {label: {"txid": txid_of(tx).hex(), "encoding": tx.encode().hex(), "tx": value_to_json(tx)}
            for label, tx in by_label.items()}


def read_transactions(data: Any, where: str = "/transactions") -> TxTable:
    """Read the table; the ``encoding`` is authoritative, ``txid`` and ``tx`` must agree with it."""
    if not isinstance(data, dict):
        raise _fail(where, "expected a JSON object label -> transaction")
    by_label: dict[str, CrossAgentTx] = {}
    for label, entry in data.items():
        at = f"{where}/{label}"
        entry = _object(entry, at, ("txid", "encoding", "tx"))
        try:
            tx = CrossAgentTx.decode(bytes.fromhex(entry["encoding"]))
        except DecodeError as error:
            raise _fail(f"{at}/encoding", str(error)) from None
        except (ValueError, TypeError):
            raise _fail(f"{at}/encoding", "not a hex string") from None
        if _hex32(entry["txid"], f"{at}/txid") != txid_of(tx):
            raise _fail(f"{at}/txid", "does not match the encoding's txid (spec §3.2)")
        if entry["tx"] != value_to_json(tx):
            raise _fail(f"{at}/tx", "does not match the encoding")
        by_label[label] = tx
    return TxTable(by_label)


# -- records, messages, envelopes -----------------------------------------------------

def read_record(data: Any, txs: TxTable, shard_count: int, where: str) -> Record:
    """A log record in its snapshot form."""
    if not isinstance(data, dict) or data.get("type") not in RECORD_TYPES:
        raise _fail(where, f"expected a record with type one of {', '.join(RECORD_TYPES)}, got {data!r}")
    if data["type"] == "PreparedRecord":
        _object(data, where, ("type", "txid"))
        return PreparedRecord(txs.tx(_hex32(data["txid"], f"{where}/txid"), f"{where}/txid"))
    record = value_from_json(data, where)
    tx = txs.tx(record.txid, f"{where}/txid")
    if isinstance(record, CommitDecisionRecord) and record.participants != participants_of(tx, shard_count):
        # §8.2, §9.2: the coordinator writes participants(t); any other list cannot come from a run
        raise _fail(f"{where}/participants", f"the transaction's participants are "
                                             f"{list(participants_of(tx, shard_count))}")
    return record   # type: ignore[return-value]


def read_message(data: Any, txs: TxTable, where: str) -> Message:
    """A message in its snapshot form."""
    if not isinstance(data, dict) or data.get("type") not in MESSAGE_TYPES:
        raise _fail(where, f"expected a message with type one of {', '.join(MESSAGE_TYPES)}, got {data!r}")
    if data["type"] == "Prepare":
        _object(data, where, ("type", "txid"))
        return Prepare(txs.tx(_hex32(data["txid"], f"{where}/txid"), f"{where}/txid"))
    return value_from_json(data, where)   # type: ignore[return-value]


def envelope_json(envelope: Envelope) -> dict[str, Any]:
    return {"from": envelope.sender, "to": envelope.recipient, "message": message_json(envelope.message)}


def read_envelope(data: Any, txs: TxTable, shard_count: int, where: str) -> Envelope:
    data = _object(data, where, ("from", "to", "message"))
    sender = _int(data["from"], f"{where}/from", 0, shard_count - 1)
    recipient = _int(data["to"], f"{where}/to", 0, shard_count - 1)
    return Envelope(sender, recipient, read_message(data["message"], txs, f"{where}/message"))


# -- one shard -------------------------------------------------------------------------

def read_shard(data: Any, shard_count: int, txs: TxTable, where: str = "/state") -> ShardState:
    """A :class:`ShardState` from the snapshot's per-shard form (``shard_json``)."""
    data = _object(data, where, ("shard", "up", "log", "buffer", "store", "coord"))
    shard = _int(data["shard"], f"{where}/shard", 0, shard_count - 1)
    if type(data["up"]) is not bool:
        raise _fail(f"{where}/up", "expected true or false")
    for name in ("log", "buffer", "store", "coord"):
        if not isinstance(data[name], list):
            raise _fail(f"{where}/{name}", "expected a JSON array")
    records = [read_record(r, txs, shard_count, f"{where}/log/{i}") for i, r in enumerate(data["log"])]
    _check_commits_follow_prepares(records, f"{where}/log")
    log = Log().append(records)
    buffer = tuple(read_record(r, txs, shard_count, f"{where}/buffer/{i}") for i, r in enumerate(data["buffer"]))
    balances: dict[bytes, int] = {}
    nonces: dict[bytes, int] = {}
    for i, entry in enumerate(data["store"]):
        at = f"{where}/store/{i}"
        entry = _object(entry, at, ("agent", "balance", "nonce"))
        agent = _hex32(entry["agent"], f"{at}/agent")
        home = shard_index(agent, shard_count)                                    # §2.2
        if home != shard:
            raise _fail(f"{at}/agent", f"agent lives on shard {home}, not {shard}")
        balances[agent] = _decimal(entry["balance"], f"{at}/balance")
        nonces[agent] = _decimal(entry["nonce"], f"{at}/nonce")
    coord: dict[bytes, CoordEntry] = {}
    for i, entry in enumerate(data["coord"]):
        at = f"{where}/coord/{i}"
        entry = _object(entry, at, ("txid", "phase", "participants", "yes", "acks"))
        if entry["phase"] not in ("collecting", "committing"):
            raise _fail(f"{at}/phase", f"expected collecting or committing, got {entry['phase']!r}")
        sets = {}
        for name in ("participants", "yes", "acks"):
            if not isinstance(entry[name], list):
                raise _fail(f"{at}/{name}", "expected a JSON array of shard numbers")
            sets[name] = tuple(_int(s, f"{at}/{name}/{j}", 0, shard_count - 1) for j, s in enumerate(entry[name]))
        txid = _hex32(entry["txid"], f"{at}/txid")
        _check_coord_entry(txs.tx(txid, f"{at}/txid"), shard, shard_count, entry["phase"], sets, at)
        coord[txid] = CoordEntry(
            Phase(entry["phase"]), sets["participants"], frozenset(sets["yes"]), frozenset(sets["acks"]))
    return ShardState(shard=shard, shard_count=shard_count, up=data["up"], log=log, buffer=buffer,
                      balances=balances, nonces=nonces, coord=coord)


def _check_commits_follow_prepares(records: list[Record], where: str) -> None:
    """A participant forces ``OutcomeRecord(t, COMMIT)`` only on a commit decision while prepared
    (§7.2.1), so its log holds ``PreparedRecord(t)`` before it; a log without one cannot come from a run
    (and its shard, committed, could not tell ``coordinator(t)`` for its ack, §7.2.2)."""
    prepared: set[bytes] = set()
    for i, record in enumerate(records):
        if isinstance(record, PreparedRecord):
            prepared.add(txid_of(record.tx))
        elif isinstance(record, OutcomeRecord) and record.outcome is Outcome.COMMIT and record.txid not in prepared:
            raise _fail(f"{where}/{i}", "an OutcomeRecord(COMMIT) without an earlier PreparedRecord of its "
                                        "transaction (§7.2.1)")


def _check_coord_entry(tx: CrossAgentTx, shard: int, shard_count: int, phase: str, sets: dict[str, tuple],
                       at: str) -> None:
    """A coordinator entry a shard can hold (§3.3, §3.4, §8): for a transaction it coordinates, with
    that transaction's participants, and YES votes only while collecting, acks only while committing."""
    coordinator, participants = coordinator_of(tx, shard_count), participants_of(tx, shard_count)
    if coordinator != shard:
        raise _fail(f"{at}/txid", f"shard {shard} does not coordinate this transaction "
                                  f"(shard {coordinator} does, §3.4)")
    if sets["participants"] != participants:
        raise _fail(f"{at}/participants", f"the transaction's participants are {list(participants)}")
    other = "acks" if phase == "collecting" else "yes"
    if sets[other]:
        raise _fail(f"{at}/{other}", f"a {phase} entry has no {other}")


# -- step inputs ----------------------------------------------------------------------------

def input_json(event: Input) -> dict[str, Any]:
    """The JSON form of a step input (module docstring)."""
    if isinstance(event, Submit):
        return {"type": "Submit", "txid": txid_of(event.tx).hex()}
    if isinstance(event, Timeout):
        return {"type": "Timeout", "txid": txid_of(event.tx).hex()}
    if isinstance(event, Deliver):
        return {"type": "Deliver", "envelope": envelope_json(event.envelope)}
    return {"type": type(event).__name__}


def read_input(data: Any, txs: TxTable, shard_count: int, where: str = "/input") -> Input:
    if not isinstance(data, dict) or "type" not in data:
        raise _fail(where, "expected an object with a 'type' member")
    kind = data["type"]
    if kind in ("Submit", "Timeout"):
        _object(data, where, ("type", "txid"))
        tx = txs.tx(_hex32(data["txid"], f"{where}/txid"), f"{where}/txid")
        return Submit(tx) if kind == "Submit" else Timeout(tx)
    if kind == "Deliver":
        _object(data, where, ("type", "envelope"))
        return Deliver(read_envelope(data["envelope"], txs, shard_count, f"{where}/envelope"))
    simple = {"Flush": Flush, "Crash": Crash, "Recover": Recover}
    if not isinstance(kind, str):
        raise _fail(f"{where}/type", f"expected the input's name as a string, got {kind!r}")
    if kind in simple:
        _object(data, where, ("type",))
        return simple[kind]()
    raise _fail(f"{where}/type", f"unknown input {kind!r}; expected Submit, Deliver, Timeout, Flush, Crash "
                                 "or Recover")


def log_writes_json(log_writes: tuple[tuple[Record, bool], ...] | list) -> list[dict[str, Any]]:
    return [{"record": record_json(record), "forced": forced} for record, forced in log_writes]

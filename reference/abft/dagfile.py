"""The JSON DAG file (spec/abft.md §9): read strictly, write canonically.

Reading goes in three stages, each stopping at the first problem with an
:class:`InputFileError` naming ``file:line``, the member or event, and what is
wrong:

1. JSON syntax (``reference.jsontext``: also duplicate keys in an object,
   NaN/Infinity, integers of thousands of digits, nesting past 100 levels);
2. the JSON Schema ``conformance/schemas/abft-dag.schema.json`` (types,
   required fields, hex digits and lengths), the first violation in document
   order;
3. the rules of §9.3 that relate records to each other, event by event in
   file order, then §2.2 by adding the event to a :class:`Dag` (which checks
   the signature unless asked not to).

Line numbers are found only when there is something to report: the file is
parsed again with a decoder that remembers where each object starts.

Writing puts each member and each event on its own line, so that line
numbers in messages point at the record.
"""

from __future__ import annotations

import bisect
import json
from functools import cache
from json.decoder import JSONObject
from json.scanner import py_make_scanner
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from altledger.reference import jsontext
from altledger.reference.abft.dag import Dag, Member
from altledger.reference.encoding import Event, Transaction
from altledger.reference.errors import AltledgerError, DecodeError, InputFileError, read_text_file
from altledger.reference.jsontext import DuplicateKeyError, JsonTextError

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "conformance" / "schemas" / "abft-dag.schema.json"
HEX_LENGTHS = {"public_key": 32, "signature": 64, "transactions": None}  # bytes (None: any)


@cache
def schema_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


# -- reading ----------------------------------------------------------------------------


def read_dag_file(path: str | Path, check_signatures: bool = True) -> Dag:
    """Read and check a DAG file (§9); every problem is an InputFileError."""
    return parse_dag_text(read_text_file(path, "the DAG file"), str(path), check_signatures)


def parse_dag_text(text: str, source: str = "<dag>", check_signatures: bool = True) -> Dag:
    """Parse the text of a DAG file named ``source`` (used in messages)."""
    where = Locator(text, source)
    document = where.parse()
    errors = sorted(schema_validator().iter_errors(document), key=lambda e: document_order(e.absolute_path))
    if errors:
        raise where.error(document, list(errors[0].absolute_path), schema_reason(errors[0]))
    members = read_members(document, where)
    dag = Dag(members, int(document["params"]["coin_period"]), source)
    read_events(document, dag, where, check_signatures)
    return dag


def read_members(document: dict, where: "Locator") -> list[Member]:
    members, keys = {}, {}
    for i, record in enumerate(document["members"]):
        key = bytes.fromhex(record["public_key"])
        if record["id"] in members:                                        # §9.3 duplicate member ids
            raise where.error(document, ["members", i], "duplicate member id")
        if key in keys:                                                    # §9.3 duplicate keys
            raise where.error(document, ["members", i], f"public key already used by member {keys[key]!r}")
        members[record["id"]] = Member(record["id"], key, int(record["stake"]))
        keys[key] = record["id"]
    return list(members.values())


def read_events(document: dict, dag: Dag, where: "Locator", check_signatures: bool) -> None:
    records = document["events"]
    all_ids = {record["id"] for record in records}
    creators = {m.id: m for m in dag.members}
    for i, record in enumerate(records):
        try:
            event = event_from_record(record, dag, creators, all_ids)
            dag.add(event, record["id"], check_signatures)
        except InputFileError as error:
            raise where.error(document, ["events", i], error.reason) from None
        except AltledgerError as error:  # a value rule of the encoding, reported the same way
            raise where.error(document, ["events", i], str(error)) from None


def event_from_record(record: dict, dag: Dag, creators: dict[str, Member], all_ids: set[str]) -> Event:
    """The Event of one file record, after the §9.3 rules that use labels; raises InputFileError."""
    def reject(reason: str) -> InputFileError:
        return InputFileError("", "", reason)

    if record["id"] in dag.by_label:                                       # §9.3 duplicate ids
        raise reject("duplicate event id")
    member = creators.get(record["creator"])
    if member is None:                                                     # §9.3 unknown creator
        raise reject(f"unknown creator {record['creator']!r} (not a member id)")
    sp_label, op_label = record["self_parent"], record["other_parent"]
    if (sp_label is None) != (op_label is None):                           # §9.3 exactly one parent
        raise reject(f"exactly one parent is present (self_parent {sp_label!r}, other_parent {op_label!r}); "
                     "an event has both parents or neither (spec/abft.md §12.10)")
    parents = {}
    for name, label in (("self_parent", sp_label), ("other_parent", op_label)):
        if label is None:
            parents[name] = None
        elif label in dag.by_label:
            parents[name] = dag.by_label[label]
        elif label in all_ids:                                             # §9.3 parent after its child
            raise reject(f"{name} {label!r} is listed after this event (parents must come first)")
        else:                                                              # §9.3 unknown parent
            raise reject(f"{name} {label!r} is not an event of this file")
    if sp_label is not None:
        sp_creator = dag.member_id(dag.event(parents["self_parent"]).creator)
        if sp_creator != member.id:                                        # §9.3 self-parent by another
            raise reject(f"self_parent {sp_label!r} was created by {sp_creator!r}, not by {member.id!r}")
        if dag.member_id(dag.event(parents["other_parent"]).creator) == member.id:
            raise reject(f"other_parent {op_label!r} has the same creator {member.id!r}")  # §9.3
    transactions = []
    for k, text in enumerate(record["transactions"]):
        try:                                                               # §9.3 transaction decodes
            transactions.append(Transaction.decode(bytes.fromhex(text)))
        except DecodeError as error:
            raise reject(f"transactions[{k}] does not decode: {error}") from None
    return Event(creator=member.public_key, self_parent=parents["self_parent"],
                 other_parent=parents["other_parent"], timestamp=int(record["timestamp"]),
                 shard=int(record.get("shard", 0)), transactions=tuple(transactions),
                 signature=bytes.fromhex(record["signature"]))


# -- messages ---------------------------------------------------------------------------


def document_order(path) -> tuple:
    """Sort key putting schema errors in the order their places appear in a file we wrote."""
    sections = {"params": 0, "members": 1, "events": 2}
    return tuple((0, part, "") if isinstance(part, int) else (1, sections.get(part, 9), part) for part in path)


def schema_reason(error) -> str:
    """A one-line reason for a schema violation, precise for hex fields and parents."""
    path = [p for p in error.absolute_path]
    field = ""
    if len(path) >= 3 and path[0] in ("members", "events"):
        field = str(path[2]) + "".join(f"[{p}]" for p in path[3:])
    name = str(path[2]) if len(path) >= 3 else ""
    if error.validator == "pattern" and name in HEX_LENGTHS:
        return f"{field}: {hex_problem(error.instance, HEX_LENGTHS[name])}"
    if error.validator == "anyOf" and name in ("self_parent", "other_parent"):
        return f"{field}: must be an event id (a non-empty string) or null, got {json.dumps(error.instance)}"
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return f"missing field {missing[0]!r}" if missing else error.message
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"unknown field {extra[0]!r}" if extra else error.message
    prefix = f"{field}: " if field else ""
    return f"{prefix}{error.message} (schema)"


def hex_problem(text: str, size: int | None) -> str:
    """Why ``text`` is not the hex of ``size`` bytes (or of one or more bytes)."""
    for i, char in enumerate(text):
        if char not in "0123456789abcdefABCDEF":
            return f"bad hex: {char!r} at position {i}"
    if len(text) % 2:
        return f"bad hex: odd number of digits ({len(text)})"
    if size is None:
        return "empty (a transaction encoding has at least one byte)"
    return f"wrong length: {len(text) // 2} bytes, expected {size}"


class LineDict(dict):
    """A JSON object that remembers the line where it starts."""

    line = 0


class Locator:
    """Parses the file text and turns (JSON path, reason) into an InputFileError at ``file:line``."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self._located: Any = None

    def parse(self) -> Any:
        try:
            return jsontext.loads(self.text)
        except DuplicateKeyError:
            self.located()  # raises with the line of the object
            raise  # pragma: no cover - located() always raises for a duplicate key
        except JsonTextError as error:
            at = f" (column {error.column})" if error.column else ""
            raise InputFileError(error.where(self.source), "JSON", f"{error.reason}{at}") from None

    def located(self) -> Any:
        """The document again, each object a LineDict knowing its line (slow; only for messages)."""
        if self._located is None:
            newlines = [i for i, char in enumerate(self.text) if char == "\n"]
            decoder = json.JSONDecoder(parse_constant=jsontext.reject_constant)

            def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
                line = bisect.bisect_left(newlines, s_and_end[1] - 1) + 1
                pairs, end = JSONObject(s_and_end, strict, scan_once, object_hook, list, memo)
                result = LineDict()
                result.line = line
                for key, value in pairs:
                    if key in result:
                        raise InputFileError(f"{self.source}:{line}", "JSON", f"duplicate key {key!r} in an object")
                    result[key] = value
                return result, end

            decoder.parse_object = parse_object
            decoder.scan_once = py_make_scanner(decoder)
            self._located = decoder.decode(self.text)
        return self._located

    def error(self, document: Any, path: list, reason: str) -> InputFileError:
        """An InputFileError for the record at ``path`` (["events", 3, ...]) of ``document``."""
        item, line = "", 0
        if len(path) >= 2 and path[0] in ("members", "events") and isinstance(path[1], int):
            kind = "member" if path[0] == "members" else "event"
            record = document[path[0]][path[1]] if isinstance(document.get(path[0]), list) else None
            label = record.get("id") if isinstance(record, dict) else None
            item = f"{kind} {label!r}" if isinstance(label, str) else f"{path[0]}[{path[1]}]"
            try:
                line = self.located()[path[0]][path[1]].line
            except (AttributeError, LookupError, TypeError, ValueError):
                line = 0
        elif path:
            item = ".".join(map(str, path))
        location = f"{self.source}:{line}" if line else self.source
        return InputFileError(location, item, reason)


# -- writing ----------------------------------------------------------------------------


def dag_to_json(dag: Dag) -> dict[str, Any]:
    """The §9.1 document of ``dag`` (ids are the DAG's labels)."""
    def label(event_hash: bytes | None) -> str | None:
        return None if event_hash is None else dag.label(event_hash)

    return {
        "params": {"coin_period": dag.coin_period},
        "members": [{"id": m.id, "public_key": m.public_key.hex(), "stake": m.stake} for m in dag.members],
        "events": [{
            "id": dag.label(x),
            "creator": dag.member_id(e.creator),
            "self_parent": label(e.self_parent),
            "other_parent": label(e.other_parent),
            "timestamp": e.timestamp,
            "shard": e.shard,
            "transactions": [tx.encode().hex() for tx in e.transactions],
            "signature": e.signature.hex(),
        } for x in dag for e in [dag.event(x)]],
    }


def dump_dag_text(dag: Dag) -> str:
    """The DAG file text: one member or event per line (so messages' line numbers name records)."""
    return dump_document_text(dag_to_json(dag))


def dump_document_text(document: dict[str, Any]) -> str:
    """A §9.1 document as text, one member or event per line."""
    def rows(items: list) -> str:
        return ",\n".join("    " + json.dumps(item, separators=(", ", ": ")) for item in items)

    return ("{\n"
            f'  "params": {json.dumps(document["params"])},\n'
            f'  "members": [\n{rows(document["members"])}\n  ],\n'
            f'  "events": [\n{rows(document["events"])}\n  ]\n'
            "}\n")


def write_dag_file(path: str | Path, dag: Dag) -> None:
    Path(path).write_text(dump_dag_text(dag), encoding="utf-8")

"""The hashgraph suite, client side: answer one ``dag``, ``incremental`` or ``reject`` request.

conformance/README.md ("The hashgraph vectors") is the normative description;
in short, a request's ``input`` is the vector without its descriptive
members, and the answer is what the vector's ``expected`` holds:

* ``dag``: read ``input.dag`` (a DAG file document, spec/abft.md §9) and
  answer the consensus output of §8.1 — ``{"last_decided_round", "events",
  "order"}``;
* ``incremental``: add the events of ``input.dag`` one at a time, in file
  order (§8.2); answer ``{"digests": [SHA-256 of the canonical output after
  each addition], "checkpoints": [{"step", "added", "output"}]}`` for the
  steps ``input.checkpoints`` asks for;
* ``reject``: read ``input.dag_text`` (the file's *text*: some defects are
  not JSON); the reader must refuse it, and the answer is an error
  ``{"type", "class", "item", "message"}`` — :func:`classify` maps the
  reference reader's messages to the language-neutral classes of
  :data:`ERROR_CLASSES`.

Signature checking follows ``input.check_signatures`` (§9.3: replayed DAGs
with synthetic signatures are read with it off).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from typing import Any

from altledger.conformance.abft_backends import ReferenceBackend
from altledger.reference.abft.consensus import FORMAT
from altledger.reference.abft.dag import Dag
from altledger.reference.errors import InputFileError

OUTPUT_MEMBERS = ("last_decided_round", "events", "order")
SOURCE = "<dag>"

# Error classes of a rejected DAG file (spec/abft.md §9.3), one per problem the clause lists.
ERROR_CLASSES: dict[str, str] = {
    "json": "not JSON text: a syntax error, a duplicate key in an object, NaN or Infinity",
    "schema": "breaks conformance/schemas/abft-dag.schema.json (missing or unknown field, wrong type, out of range)",
    "hex": "a hex field (public_key, signature, a transaction) with a non-hex digit, an odd number of digits "
           "or the wrong number of bytes",
    "duplicate-member-id": "a member id listed twice",
    "duplicate-public-key": "a public key listed for two members",
    "duplicate-event-id": "an event id listed twice",
    "unknown-creator": "an event's creator is not a member id",
    "unknown-parent": "a parent id that no event of the file has",
    "parent-after-child": "a parent listed after its child",
    "one-parent": "exactly one of self_parent and other_parent is present (§2.2.3, §12.10)",
    "self-parent-creator": "the self-parent was created by another member (§2.2.5)",
    "other-parent-creator": "the other-parent was created by the event's own creator (§2.2.5, §12.11)",
    "duplicate-event": "the same event (same canonical encoding, hence the same hash) under a second id",
    "transaction": "a transaction that does not decode (spec/encoding.md)",
    "signature": "a signature that does not verify under the acceptance policy of spec/crypto.md",
}

# The reference reader's reasons, mapped to classes (first match wins).
REASONS: list[tuple[str, str]] = [
    (r"the same event is already in the DAG", "duplicate-event"),
    (r"signature does not verify", "signature"),
    (r"^duplicate member id", "duplicate-member-id"),
    (r"^public key already used", "duplicate-public-key"),
    (r"^duplicate event id", "duplicate-event-id"),
    (r"^unknown creator|is not a member$", "unknown-creator"),
    (r"exactly one parent is present", "one-parent"),
    (r"is listed after this event", "parent-after-child"),
    (r"is not an event of this file|is not in the DAG", "unknown-parent"),
    (r"^self_parent .* (was created by|has another creator)", "self-parent-creator"),
    (r"^other_parent .* has the same creator", "other-parent-creator"),
    (r"^transactions\[\d+\] does not decode", "transaction"),
    (r": (bad hex|wrong length|empty \(a transaction encoding)", "hex"),
    (r"^missing field|^unknown field|must be an event id|\(schema\)$", "schema"),
]


class DagRejected(InputFileError):
    """A DAG file the reader refused, with the language-neutral ``class`` and ``item`` of the README."""

    def __init__(self, error: InputFileError, error_class: str, item: dict[str, str]) -> None:
        super().__init__(error.location, error.item, error.reason)
        self.details = {"class": error_class, "item": item}


def item_of(error: InputFileError) -> dict[str, str]:
    """``event 'B2'`` -> ``{"event": "B2"}``; ``member 'm0'`` -> ``{"member": "m0"}``; otherwise ``{}``."""
    m = re.match(r"^(event|member) (.+)$", error.item)
    if m:
        try:
            label = ast.literal_eval(m.group(2))
        except (ValueError, SyntaxError):
            return {}
        if isinstance(label, str):
            return {m.group(1): label}
    return {}


def classify(error: InputFileError) -> tuple[str, dict[str, str]]:
    """The class and item of a rejection by the reference reader ("unclassified" for a reason this table
    does not know: the tests make every rejection vector classify, so a new message shows up there)."""
    if error.item == "JSON":
        return "json", {}
    for pattern, error_class in REASONS:
        if re.search(pattern, error.reason):
            return error_class, item_of(error)
    return "unclassified", item_of(error)


def _fail(where: str, reason: str) -> InputFileError:
    return InputFileError("", where, reason)


def _members(data: Any, names: tuple[str, ...]) -> dict:
    if not isinstance(data, dict):
        raise _fail("/", "the request input must be a JSON object")
    missing = [n for n in names if n not in data]
    if missing:
        raise _fail("/", f"missing member(s): {', '.join(missing)}")
    if not isinstance(data["check_signatures"], bool):
        raise _fail("/check_signatures", "expected true or false")
    return data


def read(backend: ReferenceBackend, text: str, check_signatures: bool) -> Dag:
    try:
        return backend.read(text, SOURCE, check_signatures)
    except InputFileError as error:
        raise DagRejected(error, *classify(error)) from None


def read_document(backend: ReferenceBackend, data: dict) -> Dag:
    if not isinstance(data["dag"], dict):
        raise _fail("/dag", "expected a DAG file document (a JSON object)")
    return read(backend, json.dumps(data["dag"]), data["check_signatures"])


def project(output: dict[str, Any]) -> dict[str, Any]:
    """The compared members of a consensus output (``format`` and diagnostics left out)."""
    return {k: output[k] for k in OUTPUT_MEMBERS}


def canonical_text(output: dict[str, Any]) -> str:
    """Keys sorted, no whitespace, ASCII (README, "Digests")."""
    return json.dumps(project(output), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def digest(output: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_text(output).encode("ascii")).hexdigest()


def handle_dag(data: Any, backend: ReferenceBackend) -> dict[str, Any]:
    data = _members(data, ("dag", "check_signatures"))
    return {"format": FORMAT, **project(backend.consensus_output(read_document(backend, data)))}


def handle_incremental(data: Any, backend: ReferenceBackend) -> dict[str, Any]:
    data = _members(data, ("dag", "check_signatures", "checkpoints"))
    dag = read_document(backend, data)
    wanted = data["checkpoints"]
    if not isinstance(wanted, list) or not all(type(i) is int and 0 <= i < len(dag) for i in wanted):
        raise _fail("/checkpoints", f"expected a list of steps 0 … {len(dag) - 1}")
    digests, checkpoints = [], []
    for step, (label, output) in enumerate(backend.incremental_outputs(dag)):
        digests.append(digest(output))
        if step in wanted:
            checkpoints.append({"step": step, "added": label, "output": project(output)})
    return {"digests": digests, "checkpoints": checkpoints}


def handle_reject(data: Any, backend: ReferenceBackend) -> dict[str, Any]:
    data = _members(data, ("dag_text", "check_signatures"))
    if not isinstance(data["dag_text"], str):
        raise _fail("/dag_text", "expected the DAG file's text (a JSON string)")
    dag = read(backend, data["dag_text"], data["check_signatures"])
    return {"accepted": True, "events": len(dag)}       # the runner reports it: an error was expected


def handle(kind: str, data: Any, backend: ReferenceBackend) -> dict[str, Any]:
    if kind == "dag":
        return handle_dag(data, backend)
    if kind == "incremental":
        return handle_incremental(data, backend)
    if kind == "reject":
        return handle_reject(data, backend)
    raise _fail("/kind", f"the abft suite has kinds dag, incremental and reject, not {kind!r}")


def describe_step(vector: dict[str, Any], step: int) -> str:
    """For the runner's "first divergence" line: which addition a digest belongs to."""
    events = vector.get("dag", {}).get("events", []) if isinstance(vector.get("dag"), dict) else []
    added = events[step].get("id") if step < len(events) and isinstance(events[step], dict) else "?"
    return f"after adding event {json.dumps(added)} (step {step}, 0-based)"

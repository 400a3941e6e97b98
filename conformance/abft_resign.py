"""Re-signing DAG file documents: edit a signed DAG, keep its signatures valid.

Why: a vector that changes one field of a signed event (a timestamp, a
parent) would otherwise break two rules at once — the one it is about and
the signature (which covers every field, spec/abft.md §2.1) — and a reader
that checks the signature first would report the wrong problem.  Re-signing
with the simulator's member keys (:func:`altledger.reference.abft.simulate.member_key_seed`)
leaves exactly one rule broken.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from altledger.reference.crypto import ed25519_sign
from altledger.reference.encoding import Event, Transaction


def event_of(record: dict[str, Any], public_keys: dict[str, bytes], hashes: dict[str, bytes]) -> Event:
    """The (unsigned: signature as in the record) Event of a record whose parents are in ``hashes``."""
    return Event(creator=public_keys[record["creator"]],
                 self_parent=hashes[record["self_parent"]] if record["self_parent"] is not None else None,
                 other_parent=hashes[record["other_parent"]] if record["other_parent"] is not None else None,
                 timestamp=record["timestamp"], shard=record.get("shard", 0),
                 transactions=tuple(Transaction.decode(bytes.fromhex(t)) for t in record["transactions"]),
                 signature=bytes.fromhex(record["signature"]))


def signed(event: Event, seed: bytes) -> Event:
    return dataclasses.replace(event, signature=ed25519_sign(seed, event.signing_bytes()))


def resign_all(document: dict[str, Any], key_seeds: dict[str, bytes]) -> dict[str, Any]:
    """A copy of ``document`` whose every event carries a fresh signature by its creator's key
    (``key_seeds``: member id -> Ed25519 seed), over its parents' *new* hashes.  Ed25519 signing is
    deterministic, so the result is a function of the document and the keys."""
    public_keys = {m["id"]: bytes.fromhex(m["public_key"]) for m in document["members"]}
    hashes: dict[str, bytes] = {}
    events = []
    for record in document["events"]:
        event = signed(event_of(record, public_keys, hashes), key_seeds[record["creator"]])
        hashes[record["id"]] = event.hash()
        events.append(dict(record, signature=event.signature.hex()))
    return dict(document, events=events)

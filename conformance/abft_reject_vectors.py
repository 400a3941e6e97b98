"""Rejection vectors: DAG files a reader must refuse (spec/abft.md §9.3), each breaking exactly one rule.

Each vector holds the file's *text* (``dag_text``; some defects are not
JSON at all) and the expected error ``{"class", "item"}``: the class of
the problem (conformance/README.md lists them) and the record it is in, not
the message — so a client in any language can match it.

How "exactly one rule" is kept: the files start from a small signed gossip
DAG (3 members, 12 events, transactions, real signatures); an edited event
is re-signed with its creator's key (:mod:`altledger.conformance.abft_resign`)
whenever it can still be encoded, and the file stops right after the
offending record (later events would otherwise carry stale parent hashes
and bad signatures).  So a reader that checks the signature first, or last,
still finds the same single problem.  Every vector is checked against the
reference reader when it is generated: a vector whose expected class and
item the reference does not produce is a generation error.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from altledger.conformance import abft_dags as dags
from altledger.conformance.abft_backends import ReferenceBackend
from altledger.conformance.abft_facts import clause_key
from altledger.conformance.abft_handler import DagRejected, read
from altledger.conformance.abft_resign import event_of, signed
from altledger.reference.abft.dagfile import dag_to_json, dump_document_text
from altledger.reference.abft.simulate import simulate

SUITE = "abft"
ED25519_L = 2 ** 252 + 27742317777372353535851937790883648493   # the group order (spec/crypto.md)
CLAUSES = {
    "json": ["§9.1", "§9.3"], "schema": ["§9.1", "§9.3"], "hex": ["§9.1", "§9.2", "§9.3"],
    "duplicate-member-id": ["§9.1", "§9.3"], "duplicate-public-key": ["§9.1", "§9.3"],
    "duplicate-event-id": ["§9.1", "§9.3"], "unknown-creator": ["§2.2", "§9.3"],
    "unknown-parent": ["§2.2", "§2.3", "§9.3"], "parent-after-child": ["§2.2", "§2.3", "§9.1", "§9.3"],
    "one-parent": ["§2.2", "§9.3", "§12.10"], "self-parent-creator": ["§2.2", "§9.3"],
    "other-parent-creator": ["§2.2", "§9.3", "§12.11"], "duplicate-event": ["§9.2", "§9.3"],
    "transaction": ["§2.1", "§9.3"], "signature": ["§2.1", "§2.2", "§9.3"],
}


class Base:
    """The signed DAG the rejection files are cut from, and ways to edit it."""

    def __init__(self) -> None:
        self.run = simulate(3, 12, seed=101, transactions=2)
        self.doc = dag_to_json(self.run.dag)
        self.index = {e["id"]: i for i, e in enumerate(self.doc["events"])}
        self.keys = {m["id"]: bytes.fromhex(m["public_key"]) for m in self.doc["members"]}

    def copy(self) -> dict[str, Any]:
        return copy.deepcopy(self.doc)

    def upto(self, label: str) -> dict[str, Any]:
        """The document cut right after event ``label``."""
        doc = self.copy()
        doc["events"] = doc["events"][:self.index[label] + 1]
        return doc

    def edited(self, label: str, resign: bool = True, by: str | None = None, **fields: Any) -> dict[str, Any]:
        """Cut after ``label`` and change its fields; re-sign it (by ``by``'s key, default its creator's)."""
        doc = self.upto(label)
        record = doc["events"][-1]
        record.update(fields)
        if resign:
            hashes = {e["id"]: self.run.dag.by_label[e["id"]] for e in doc["events"][:-1]}
            record["signature"] = signed(event_of(record, self.keys, hashes),
                                         self.run.key_seeds[by or record["creator"]]).signature.hex()
        return doc


def text(doc: dict[str, Any]) -> str:
    return dump_document_text(doc)


def reject_vector(group: str, name: str, description: str, dag_text: str, error_class: str,
                  item: dict[str, str], check_signatures: bool = True, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    vector_id = f"reject/{group}/{name}"
    try:
        read(ReferenceBackend(), dag_text, check_signatures)
    except DagRejected as error:
        if error.details != {"class": error_class, "item": item}:
            raise AssertionError(f"{vector_id}: the reference reader says {error.details} ({error}), the vector "
                                 f"expects {{'class': {error_class!r}, 'item': {item}}}") from None
    else:
        raise AssertionError(f"{vector_id}: the reference reader accepts the file")
    return {"id": vector_id, "suite": SUITE, "kind": "reject", "description": description,
            "clauses": sorted(set(CLAUSES[error_class]) | set(extra), key=clause_key),
            "check_signatures": check_signatures, "dag_text": dag_text,
            "expected": {"error": {"class": error_class, "item": item}}}


def json_vectors(base: Base) -> list[dict[str, Any]]:
    full = text(base.doc)
    member_line = json.dumps(base.doc["members"][0], separators=(", ", ": "))
    return [
        reject_vector("json", "truncated", "The file ends in the middle of the events list.",
                      full[:len(full) // 2], "json", {}),
        reject_vector("json", "trailing-garbage", "A valid document followed by a stray character.",
                      full + "x\n", "json", {}),
        reject_vector("json", "duplicate-key", "Member m0's object has the key 'stake' twice (readers must not "
                      "silently keep one of them).",
                      full.replace(member_line, member_line.replace('"stake": ', '"stake": 1, "stake": '), 1),
                      "json", {}),
        reject_vector("json", "nan-timestamp", "Event m1.2's timestamp is NaN, which JSON does not have.",
                      text(base.copy()).replace('"timestamp": 6,', '"timestamp": NaN,', 1), "json", {}),
        reject_vector("json", "integer-of-4301-digits", "Event m1.2's timestamp is an integer of 4,301 digits: "
                      "malformed JSON by §9.3's limits (not a schema range error), so that readers whose "
                      "integers are bounded and readers whose integers are not refuse it alike.",
                      text(base.copy()).replace('"timestamp": 6,', f'"timestamp": {"9" * 4301},', 1), "json", {}),
        reject_vector("json", "nested-101-levels", "Event m1.2's timestamp is an array nested 101 levels deep "
                      "inside the document's object and events list: malformed JSON by §9.3's limits (deeper "
                      "than 100 levels), not a schema type error.",
                      text(base.copy()).replace('"timestamp": 6,', f'"timestamp": {"[" * 98}6{"]" * 98},', 1),
                      "json", {}),
    ]


def schema_vectors(base: Base) -> list[dict[str, Any]]:
    def with_event(label: str, **fields: Any) -> str:
        doc = base.copy()
        doc["events"][base.index[label]].update(fields)
        return text(doc)

    missing = base.copy()
    del missing["events"][base.index["m2.1"]]["signature"]
    stake = base.copy()
    stake["members"][1]["stake"] = 0
    coin = base.copy()
    coin["params"]["coin_period"] = 2
    huge_coin = base.copy()
    huge_coin["params"]["coin_period"] = 2 ** 63
    return [
        reject_vector("schema", "top-level-array", "The document is a JSON array, not an object.", "[]\n",
                      "schema", {}),
        reject_vector("schema", "missing-signature", "Event m2.1 has no 'signature'.", text(missing), "schema",
                      {"event": "m2.1"}),
        reject_vector("schema", "unknown-field", "Event m1.1 has a member the format does not define ('colour').",
                      with_event("m1.1", colour="blue"), "schema", {"event": "m1.1"}),
        reject_vector("schema", "coin-period-2", "params.coin_period is 2; it must be an integer > 2 (§1.4).",
                      text(coin), "schema", {}, extra=("§1.4",)),
        reject_vector("schema", "coin-period-2-to-the-63", "params.coin_period is 2^63; it must be below 2^63, "
                      "a signed 64-bit integer (§1.4).", text(huge_coin), "schema", {}, extra=("§1.4",)),
        reject_vector("schema", "no-members", "The members list is empty (and so are the events): §9.1 asks for "
                      "a non-empty list.", text(dict(base.copy(), members=[], events=[])), "schema", {}),
        reject_vector("schema", "stake-zero", "Member m1 has stake 0; stakes are integers >= 1 (§1.2).",
                      text(stake), "schema", {"member": "m1"}, extra=("§1.2",)),
        reject_vector("schema", "parent-not-a-string", "Event m0.2's other_parent is the number 7, not an id.",
                      with_event("m0.2", other_parent=7), "schema", {"event": "m0.2"}),
        reject_vector("schema", "negative-timestamp", "Event m1.2's timestamp is -1 (a u64, §2.1).",
                      with_event("m1.2", timestamp=-1), "schema", {"event": "m1.2"}),
        reject_vector("schema", "timestamp-above-u64", "Event m1.2's timestamp is 2^64 (a u64, §2.1).",
                      with_event("m1.2", timestamp=2 ** 64), "schema", {"event": "m1.2"}),
        reject_vector("schema", "shard-above-u32", "Event m1.2's shard is 2^32 (a u32).",
                      with_event("m1.2", shard=2 ** 32), "schema", {"event": "m1.2"}),
    ]


def hex_vectors(base: Base) -> list[dict[str, Any]]:
    def member(i: int, key: str) -> str:
        doc = base.copy()
        doc["members"][i]["public_key"] = key
        return text(doc)

    def signature(label: str, value: str) -> str:
        doc = base.copy()
        doc["events"][base.index[label]]["signature"] = value
        return text(doc)

    sig = base.doc["events"][base.index["m1.2"]]["signature"]
    key0, key2 = base.doc["members"][0]["public_key"], base.doc["members"][2]["public_key"]
    tx_doc = base.copy()
    tx = tx_doc["events"][0]["transactions"][0]
    tx_doc["events"][0]["transactions"][0] = tx[:10] + "x" + tx[11:]
    return [
        reject_vector("hex", "signature-bad-digit", "Event m1.2's signature has a 'z' among its hex digits.",
                      signature("m1.2", sig[:5] + "z" + sig[6:]), "hex", {"event": "m1.2"}),
        reject_vector("hex", "signature-odd-digits", "Event m1.2's signature has 129 hex digits.",
                      signature("m1.2", sig + "0"), "hex", {"event": "m1.2"}),
        reject_vector("hex", "signature-63-bytes", "Event m1.2's signature is 63 bytes (Ed25519: 64).",
                      signature("m1.2", sig[:-2]), "hex", {"event": "m1.2"}),
        reject_vector("hex", "public-key-31-bytes", "Member m2's public key is 31 bytes (Ed25519: 32).",
                      member(2, key2[:-2]), "hex", {"member": "m2"}),
        reject_vector("hex", "public-key-bad-digit", "Member m0's public key has a 'g' among its hex digits.",
                      member(0, "g" + key0[1:]), "hex", {"member": "m0"}),
        reject_vector("hex", "transaction-bad-digit", "Event m0.1's first transaction has an 'x' among its hex "
                      "digits.", text(tx_doc), "hex", {"event": "m0.1"}),
    ]


def id_vectors(base: Base) -> list[dict[str, Any]]:
    dup_member = base.copy()
    dup_member["members"][2]["id"] = "m0"
    dup_key = base.copy()
    dup_key["members"][2]["public_key"] = dup_key["members"][0]["public_key"]
    dup_event = base.upto("m1.3")
    dup_event["events"][-1]["id"] = "m0.1"
    return [
        reject_vector("ids", "duplicate-member-id", "The third member is also called m0.", text(dup_member),
                      "duplicate-member-id", {"member": "m0"}),
        reject_vector("ids", "duplicate-public-key", "Member m2 has member m0's public key.", text(dup_key),
                      "duplicate-public-key", {"member": "m2"}),
        reject_vector("ids", "duplicate-event-id", "The sixth event (m1.3) is listed under the id m0.1, which "
                      "the first event already has.", text(dup_event), "duplicate-event-id", {"event": "m0.1"}),
    ]


def structure_vectors(base: Base) -> list[dict[str, Any]]:
    after = base.upto("m1.5")
    events = after["events"]
    moved = events.pop(base.index["m0.2"])
    events.append(moved)
    twice = base.copy()
    twice["events"].append(dict(twice["events"][base.index["m1.2"]], id="again"))
    ring = dag_to_json(dags.ring_dag())
    ring["events"] = ring["events"][:ring["events"].index(next(e for e in ring["events"] if e["id"] == "B3")) + 1]
    ring["events"][-1]["other_parent"] = "B1"
    return [
        reject_vector("structure", "unknown-creator", "Event m0.2 names creator m9, which is not a member.",
                      text(base.edited("m0.2", resign=False, creator="m9")), "unknown-creator", {"event": "m0.2"}),
        reject_vector("structure", "unknown-self-parent", "Event m1.3's self_parent is m1.9, which no event has.",
                      text(base.edited("m1.3", resign=False, self_parent="m1.9")), "unknown-parent",
                      {"event": "m1.3"}),
        reject_vector("structure", "unknown-other-parent", "Event m1.3's other_parent is 'nowhere'.",
                      text(base.edited("m1.3", resign=False, other_parent="nowhere")), "unknown-parent",
                      {"event": "m1.3"}),
        reject_vector("structure", "parent-after-child", "m0.2 is listed after m1.5, whose other_parent it is "
                      "(parents first, §9.1).", text(after), "parent-after-child", {"event": "m1.5"}),
        reject_vector("structure", "self-parent-only", "Event m1.3 keeps its self-parent and drops its "
                      "other-parent (re-signed): both parents or neither (§2.2.3, §12.10).",
                      text(base.edited("m1.3", other_parent=None)), "one-parent", {"event": "m1.3"}),
        reject_vector("structure", "first-event-with-other-parent", "m1's first event m1.1 carries an "
                      "other-parent (m0.1) and no self-parent (re-signed) — what some implementations allow "
                      "(§12.10).", text(base.edited("m1.1", other_parent="m0.1")), "one-parent", {"event": "m1.1"}),
        reject_vector("structure", "self-parent-by-another-creator", "Event m1.3's self_parent is m0.2, created "
                      "by m0 (re-signed) (§2.2.5).", text(base.edited("m1.3", self_parent="m0.2")),
                      "self-parent-creator", {"event": "m1.3"}),
        reject_vector("structure", "other-parent-by-same-creator", "Event m1.3's other_parent is m1.1, m1's own "
                      "event (re-signed) (§2.2.5, §12.11).", text(base.edited("m1.3", other_parent="m1.1")),
                      "other-parent-creator", {"event": "m1.3"}),
        reject_vector("structure", "other-parent-by-same-creator-unchecked", "The ring DAG (synthetic "
                      "signatures, checking off) with B3's other-parent changed to B1: with signature checking "
                      "disabled every other rule is still checked (§9.3).", text(ring), "other-parent-creator",
                      {"event": "B3"}, check_signatures=False),
        reject_vector("structure", "same-event-twice", "Event m1.2 is listed again under the id 'again': the same "
                      "canonical encoding, so the same hash, under two ids.", text(twice), "duplicate-event",
                      {"event": "again"}),
    ]


def transaction_vectors(base: Base) -> list[dict[str, Any]]:
    tx = base.doc["events"][0]["transactions"][0]
    return [
        reject_vector("transaction", "truncated", "Event m0.1's first transaction is one byte short.",
                      text(base.edited("m0.1", resign=False, transactions=[tx[:-2]] + base.doc["events"][0]
                                       ["transactions"][1:])), "transaction", {"event": "m0.1"}),
        reject_vector("transaction", "wrong-tag", "Event m0.1's first transaction starts with the Event tag 0x02 "
                      "instead of Transaction's 0x01 (spec/encoding.md).",
                      text(base.edited("m0.1", resign=False, transactions=["02" + tx[2:]] + base.doc["events"][0]
                                       ["transactions"][1:])), "transaction", {"event": "m0.1"}),
    ]


def signature_vectors(base: Base) -> list[dict[str, Any]]:
    record = base.doc["events"][base.index["m1.4"]]
    raw = bytes.fromhex(record["signature"])
    flipped = raw[:1] + bytes([raw[1] ^ 0x01]) + raw[2:]
    s = int.from_bytes(raw[32:], "little") + ED25519_L                 # the same scalar, not reduced
    unreduced = raw[:32] + s.to_bytes(32, "little")
    return [
        reject_vector("signature", "flipped-bit", "One bit of event m1.4's signature is flipped.",
                      text(base.edited("m1.4", resign=False, signature=flipped.hex())), "signature",
                      {"event": "m1.4"}),
        reject_vector("signature", "timestamp-changed", "Event m1.4's timestamp is changed and the event is not "
                      "re-signed: the signature covers every field (§2.1).",
                      text(base.edited("m1.4", resign=False, timestamp=record["timestamp"] + 1)), "signature",
                      {"event": "m1.4"}),
        reject_vector("signature", "signed-by-another-member", "Event m1.4 (creator m1) carries a valid signature "
                      "by m0's key.", text(base.edited("m1.4", by="m0")), "signature", {"event": "m1.4"}),
        reject_vector("signature", "s-not-reduced", "Event m1.4's signature with S + L in place of S: the same "
                      "equation holds, but a non-canonical S is refused (spec/crypto.md acceptance policy).",
                      text(base.edited("m1.4", resign=False, signature=unreduced.hex())), "signature",
                      {"event": "m1.4"}),
        reject_vector("signature", "synthetic-with-checking-on", "The ring DAG, whose signatures are synthetic, "
                      "read with signature checking on: its first event is refused (compare dag/hand/ring, "
                      "the same file read with checking off, §9.3).", text(dag_to_json(dags.ring_dag())),
                      "signature", {"event": "A1"}),
    ]


def reject_vectors() -> list[dict[str, Any]]:
    base = Base()
    return (json_vectors(base) + schema_vectors(base) + hex_vectors(base) + id_vectors(base)
            + structure_vectors(base) + transaction_vectors(base) + signature_vectors(base))

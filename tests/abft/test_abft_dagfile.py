"""The DAG file (spec/abft.md §9): round trip, schema, and every rejection of §9.3 by its message.

Messages are ``file:line: <record>: <problem>``; the line is the record's
line (the writer puts one member or event per line).
"""

from __future__ import annotations

import copy
import json

import pytest
from jsonschema import Draft202012Validator

from altledger.reference.abft.consensus import consensus_output
from altledger.reference.abft.dagfile import (SCHEMA_PATH, dag_to_json, dump_dag_text, dump_document_text,
                                              parse_dag_text, read_dag_file, write_dag_file)
from altledger.reference.abft.simulate import simulate
from altledger.reference.errors import InputFileError

SOURCE = "dag.json"


@pytest.fixture(scope="module")
def run():
    # 3 members, 14 events, each with 0..2 transactions; real signatures.
    return simulate(3, 14, seed=5, transactions=2)


@pytest.fixture
def doc(run):
    return copy.deepcopy(dag_to_json(run.dag))


def event_line(document: dict, index: int) -> int:
    """Line of events[index] in dump_document_text: '{', params, 'members: [', members, '],', 'events: ['."""
    return 5 + len(document["members"]) + index + 1


def member_line(index: int) -> int:
    return 4 + index


def rejection(document_or_text, check_signatures: bool = True) -> str:
    text = document_or_text if isinstance(document_or_text, str) else dump_document_text(document_or_text)
    with pytest.raises(InputFileError) as caught:
        parse_dag_text(text, SOURCE, check_signatures)
    return str(caught.value)


def index_of(document: dict, label: str) -> int:
    return next(i for i, e in enumerate(document["events"]) if e["id"] == label)


def with_parents(document: dict) -> int:
    """The index of the first event that has parents."""
    return next(i for i, e in enumerate(document["events"]) if e["self_parent"] is not None)


# -- round trip and schema --------------------------------------------------------------------


def test_round_trip(run, tmp_path):
    path = tmp_path / "dag.json"
    write_dag_file(path, run.dag)
    back = read_dag_file(path)
    assert list(back) == list(run.dag)                             # same hashes, same order
    assert [back.label(x) for x in back] == [run.dag.label(x) for x in run.dag]
    assert back.members == run.dag.members and back.coin_period == run.dag.coin_period
    assert dump_dag_text(back) == path.read_text()                 # writing is canonical
    assert consensus_output(back) == consensus_output(run.dag)
    assert any(run.dag.event(x).transactions for x in run.dag)    # transactions made the trip


def test_written_files_validate_against_the_schema(run):
    schema = json.loads(SCHEMA_PATH.read_text())
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate(json.loads(dump_dag_text(run.dag)))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_ids_are_labels_only(doc, run):
    """§9.2: renaming every id gives the same events (hashes) and the same output up to names."""
    rename = {e["id"]: f"event-{i}" for i, e in enumerate(doc["events"])}
    for e in doc["events"]:
        e["id"] = rename[e["id"]]
        e["self_parent"] = rename.get(e["self_parent"])
        e["other_parent"] = rename.get(e["other_parent"])
    renamed = parse_dag_text(dump_document_text(doc), SOURCE)
    assert list(renamed) == list(run.dag)


def test_shard_is_optional_and_defaults_to_zero(doc, run):
    for e in doc["events"]:
        del e["shard"]
    assert list(parse_dag_text(dump_document_text(doc), SOURCE)) == list(run.dag)


def test_timestamps_are_not_validated(doc):
    """§2.2, §12.12: a timestamp below the self-parent's is accepted (the signature check is off
    because changing the timestamp invalidates the signature)."""
    i = with_parents(doc)
    doc["events"][i]["timestamp"] = 0
    parse_dag_text(dump_document_text(doc), SOURCE, check_signatures=False)


# -- §9.3 rejections ---------------------------------------------------------------------------


def test_malformed_json():
    assert rejection('{\n  "params": {"coin_period": 10},\n  "members": [\n') == \
        f"{SOURCE}:4: JSON: Expecting value (column 1)"


def test_nan_is_not_json(doc):
    text = dump_document_text(doc).replace('"timestamp": 0', '"timestamp": NaN', 1)
    assert rejection(text) == f"{SOURCE}: JSON: NaN is not a JSON number"


def test_duplicate_key_in_an_object(doc):
    text = dump_document_text(doc).replace('"stake": 1', '"stake": 1, "stake": 2', 1)
    assert rejection(text) == f"{SOURCE}:{member_line(0)}: JSON: duplicate key 'stake' in an object"


def test_schema_missing_field(doc):
    del doc["events"][2]["signature"]
    label = doc["events"][2]["id"]
    assert rejection(doc) == f"{SOURCE}:{event_line(doc, 2)}: event {label!r}: missing field 'signature'"


def test_schema_unknown_field(doc):
    doc["events"][1]["colour"] = "blue"
    label = doc["events"][1]["id"]
    assert rejection(doc) == f"{SOURCE}:{event_line(doc, 1)}: event {label!r}: unknown field 'colour'"


def test_schema_coin_period(doc):
    doc["params"]["coin_period"] = 2
    assert rejection(doc) == f"{SOURCE}: params.coin_period: 2 is less than the minimum of 3 (schema)"


def test_schema_parent_of_the_wrong_type(doc):
    doc["events"][4]["other_parent"] = 7
    label = doc["events"][4]["id"]
    assert rejection(doc) == (f"{SOURCE}:{event_line(doc, 4)}: event {label!r}: other_parent: must be an event "
                              "id (a non-empty string) or null, got 7")


def test_schema_zero_stake(doc):
    doc["members"][1]["stake"] = 0
    assert rejection(doc) == f"{SOURCE}:{member_line(1)}: member 'm1': stake: 0 is less than the minimum of 1 (schema)"


def test_total_stake_bound(doc):
    """§9.1: S < 2^61, so every threshold 3*S fits a signed 64-bit integer (fixed-width clients)."""
    doc["members"][0]["stake"] = 2 ** 61 - 2          # with two members of stake 1: S = 2^61 exactly
    assert "total stake 2305843009213693952 must be below 2^61" in rejection(doc)
    doc["members"][0]["stake"] = 2 ** 61 - 3          # S = 2^61 - 1 is accepted
    parse_dag_text(json.dumps(doc), SOURCE)


def test_coin_period_bound(doc):
    """§1.4: 2 < coin_period < 2^63, a signed 64-bit integer (the fast state and fixed-width clients)."""
    doc["params"]["coin_period"] = 2 ** 63
    assert "params.coin_period: 9223372036854775808 is greater than the maximum of 9223372036854775807" in rejection(doc)
    doc["params"]["coin_period"] = 2 ** 63 - 1
    parse_dag_text(json.dumps(doc), SOURCE)


def test_bad_hex(doc):
    sig = doc["events"][3]["signature"]
    doc["events"][3]["signature"] = sig[:5] + "z" + sig[6:]
    label = doc["events"][3]["id"]
    assert rejection(doc) == f"{SOURCE}:{event_line(doc, 3)}: event {label!r}: signature: bad hex: 'z' at position 5"


def test_wrong_length(doc):
    doc["members"][2]["public_key"] = doc["members"][2]["public_key"][:-2]
    assert rejection(doc) == f"{SOURCE}:{member_line(2)}: member 'm2': public_key: wrong length: 31 bytes, expected 32"


def test_odd_number_of_hex_digits(doc):
    doc["events"][0]["signature"] += "0"
    label = doc["events"][0]["id"]
    assert rejection(doc) == f"{SOURCE}:{event_line(doc, 0)}: event {label!r}: signature: bad hex: odd number of digits (129)"


def test_duplicate_member_id_and_key(doc):
    doc["members"][2]["id"] = "m0"
    assert rejection(doc) == f"{SOURCE}:{member_line(2)}: member 'm0': duplicate member id"
    doc["members"][2]["id"] = "m2"
    doc["members"][2]["public_key"] = doc["members"][0]["public_key"]
    assert rejection(doc) == f"{SOURCE}:{member_line(2)}: member 'm2': public key already used by member 'm0'"


def test_duplicate_event_id(doc):
    first = doc["events"][0]["id"]
    doc["events"][5]["id"] = first
    assert rejection(doc) == f"{SOURCE}:{event_line(doc, 5)}: event {first!r}: duplicate event id"


def test_unknown_creator(doc):
    doc["events"][0]["creator"] = "zoe"
    label = doc["events"][0]["id"]
    assert rejection(doc) == f"{SOURCE}:{event_line(doc, 0)}: event {label!r}: unknown creator 'zoe' (not a member id)"


def test_unknown_parent(doc):
    i = with_parents(doc)
    doc["events"][i]["self_parent"] = "nowhere"
    label = doc["events"][i]["id"]
    assert rejection(doc) == (f"{SOURCE}:{event_line(doc, i)}: event {label!r}: self_parent 'nowhere' is not an "
                              "event of this file")


def test_parent_listed_after_its_child(doc):
    i = with_parents(doc)
    child = doc["events"][i]
    parent_index = index_of(doc, child["other_parent"])
    doc["events"].insert(len(doc["events"]), doc["events"].pop(parent_index))   # move the parent to the end
    i = index_of(doc, child["id"])
    assert rejection(doc) == (f"{SOURCE}:{event_line(doc, i)}: event {child['id']!r}: other_parent "
                              f"{child['other_parent']!r} is listed after this event (parents must come first)")


def test_exactly_one_parent(doc):
    """§2.2.3, §12.10: both parents or neither."""
    i = with_parents(doc)
    doc["events"][i]["other_parent"] = None
    e = doc["events"][i]
    assert rejection(doc) == (f"{SOURCE}:{event_line(doc, i)}: event {e['id']!r}: exactly one parent is present "
                              f"(self_parent {e['self_parent']!r}, other_parent None); an event has both parents "
                              "or neither (spec/abft.md §12.10)")


def test_self_parent_by_another_creator(doc):
    i = with_parents(doc)
    e = doc["events"][i]
    e["self_parent"] = e["other_parent"]
    other_creator = doc["events"][index_of(doc, e["other_parent"])]["creator"]
    assert rejection(doc) == (f"{SOURCE}:{event_line(doc, i)}: event {e['id']!r}: self_parent {e['other_parent']!r} "
                              f"was created by {other_creator!r}, not by {e['creator']!r}")


def test_other_parent_by_the_same_creator(doc):
    """§2.2.5, §12.11."""
    e = next(e for e in doc["events"] if e["self_parent"] is not None
             and doc["events"][index_of(doc, e["self_parent"])]["self_parent"] is not None)
    i = index_of(doc, e["id"])
    grandparent = doc["events"][index_of(doc, e["self_parent"])]["self_parent"]
    e["other_parent"] = grandparent
    assert rejection(doc) == (f"{SOURCE}:{event_line(doc, i)}: event {e['id']!r}: other_parent {grandparent!r} has "
                              f"the same creator {e['creator']!r}")


def test_transaction_that_does_not_decode(doc):
    i, e = next((i, e) for i, e in enumerate(doc["events"]) if e["transactions"])
    e["transactions"][0] = e["transactions"][0][:-2]          # one byte short
    assert rejection(doc).startswith(f"{SOURCE}:{event_line(doc, i)}: event {e['id']!r}: transactions[0] does "
                                     "not decode: Transaction.")
    assert "truncated" in rejection(doc)
    e["transactions"][0] = "02" + e["transactions"][0][2:]    # an Event tag, not a Transaction
    assert "expected tag 0x01 (Transaction), got 0x02 (Event)" in rejection(doc)


def test_signature_that_does_not_verify(doc):
    i = 6
    e = doc["events"][i]
    e["signature"] = e["signature"][:2] + ("00" if e["signature"][2:4] != "00" else "01") + e["signature"][4:]
    message = rejection(doc)
    assert message.startswith(f"{SOURCE}:{event_line(doc, i)}: event {e['id']!r}: signature does not verify (")
    parse_dag_text(dump_document_text(doc), SOURCE, check_signatures=False)   # accepted when disabled


def test_the_same_event_twice(doc):
    copy_of = dict(doc["events"][0], id="again")
    doc["events"].append(copy_of)
    assert rejection(doc) == (f"{SOURCE}:{event_line(doc, len(doc['events']) - 1)}: event 'again': the same event "
                              f"is already in the DAG as {doc['events'][0]['id']!r}")


def test_unreadable_file(tmp_path):
    with pytest.raises(InputFileError) as caught:
        read_dag_file(tmp_path / "missing.json")
    assert str(caught.value).startswith(f"{tmp_path / 'missing.json'}: cannot read the DAG file:")

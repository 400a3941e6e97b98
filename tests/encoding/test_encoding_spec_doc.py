"""spec/encoding.md cannot drift from the code (spec/encoding.md §E.9).

Every worked example is decoded from its hex and compared with its stated
JSON values, re-encoded to the same bytes, and its annotations compared with
the decoder's; the tag table, the layout tables and the rejection table are
compared with the code.
"""

from __future__ import annotations

import re

import pytest
from encoding_doc import (apply_change, layout_markers, spec_text, table_after, unquote, worked_examples)
from nacl.signing import VerifyKey

from altledger.reference.encoding import (VALUE_TYPES, Event, TimeoutVote, Vote, decode, value_from_json,
                                          value_to_json)
from altledger.reference.encoding.examples import example_key, examples
from altledger.reference.encoding.explain import annotated_hex, hex_from_annotated, render_example
from altledger.reference.encoding.values import kind_of
from altledger.reference.errors import DecodeError

TEXT = spec_text()
EXAMPLES = worked_examples(TEXT)


def example_id(example) -> str:
    return f"{example.type_name}@line{example.line}"


def test_every_type_has_a_worked_example_and_a_layout_table():
    names = {cls.__name__ for cls in VALUE_TYPES.values()}
    assert {e.type_name for e in EXAMPLES} == names
    assert sorted(layout_markers(TEXT)) == sorted(names)
    # The example markers are all parsed (a malformed block would be silently skipped otherwise).
    assert len(re.findall(r"^<!-- worked-example:", TEXT, re.M)) == len(EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
def test_worked_example_decodes_to_stated_values_and_reencodes(example):
    data = hex_from_annotated(example.hex_block)
    value = decode(data)
    assert type(value).__name__ == example.type_name
    assert value_to_json(value) == example.values
    assert value == value_from_json(example.values)
    assert value.encode() == data


@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
def test_worked_example_annotations_are_the_decoders(example):
    data = hex_from_annotated(example.hex_block)
    assert example.hex_block == annotated_hex(data)


def test_spec_shows_exactly_the_reference_examples():
    """The examples module (used to write the spec) and the spec agree, in order."""
    rendered = [render_example(v).rstrip("\n") for v in examples()]
    in_spec = [TEXT[TEXT.index(r):TEXT.index(r) + len(r)] if r in TEXT else None for r in rendered]
    assert in_spec == rendered
    assert [e.type_name for e in EXAMPLES] == [type(v).__name__ for v in examples()]


@pytest.mark.parametrize("cls", [Event, Vote, TimeoutVote], ids=lambda c: c.__name__)
def test_example_ed25519_signatures_are_valid(cls):
    (example,) = [e for e in EXAMPLES if e.type_name == cls.__name__]
    value = decode(hex_from_annotated(example.hex_block))
    signer = {"Event": 1, "Vote": 5, "TimeoutVote": 5}[cls.__name__]
    key = example_key(signer).verify_key
    if cls is Event:
        assert value.creator == key.encode()
    VerifyKey(key.encode()).verify(value.signing_bytes(), value.signature)


def test_tag_table_matches_the_code():
    rows = table_after(TEXT, "<!-- tag-table -->")
    in_doc = {int(unquote(tag), 16): unquote(name) for tag, name, _ in rows}
    assert len(rows) == len(in_doc), "a tag appears twice in the tag table"
    assert in_doc == {tag: cls.__name__ for tag, cls in VALUE_TYPES.items()}


@pytest.mark.parametrize("cls", list(VALUE_TYPES.values()), ids=lambda c: c.__name__)
def test_layout_table_matches_the_code(cls):
    rows = table_after(TEXT, f"<!-- layout: {cls.__name__} -->")
    expected = [("0", "tag", "u8", "1")]
    offset: int | None = 1
    for field in cls.wire_fields():
        kind = kind_of(field)
        size = kind.fixed_size()
        expected.append((str(offset) if offset is not None else "…", field.name, kind.spec_name,
                         str(size) if size is not None else None))
        offset = offset + size if offset is not None and size is not None else None
    got = [(row[0], unquote(row[1]), unquote(row[2]), row[3]) for row in rows]
    # Variable sizes are written for humans ("2 + n"); fixed ones must be exact.
    got = [(o, f, t, s if e[3] is not None else None) for (o, f, t, s), e in zip(got, expected)]
    assert got == expected
    assert rows[0][4] == f"`0x{cls.TAG:02x}`"


def test_size_table_matches_the_code():
    rows = table_after(TEXT, "<!-- size-table -->")
    in_doc = {unquote(name): size for name, size in rows}
    expected = {}
    for cls in VALUE_TYPES.values():
        low, high = cls.size_range()
        expected[cls.__name__] = str(low) if low == high else f"{low} … {high}"
    assert in_doc == expected


REJECTIONS = table_after(TEXT, "<!-- rejection-table -->")


def first_example_bytes(type_name: str) -> bytes:
    (first, *_) = [e for e in EXAMPLES if e.type_name == type_name]
    return hex_from_annotated(first.hex_block)


def test_rejection_table_is_present():
    assert len(REJECTIONS) >= 20


@pytest.mark.parametrize("row", REJECTIONS, ids=lambda r: f"{unquote(r[0])}:{unquote(r[1])}")
def test_rejection_table_row(row):
    type_name, change, error = (unquote(cell) for cell in row)
    data = apply_change(first_example_bytes(type_name), change)
    with pytest.raises(DecodeError) as caught:
        decode(data)
    assert str(caught.value) == error

"""Round trips and canonicality for every value type (spec/encoding.md §E.1.8).

The properties are written as plain functions (``check_*``) so that
test_encoding_mutants.py can run the very same checks against deliberately
broken codecs and show that they fail.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from altledger.reference.encoding import VALUE_TYPES, Value, decode, value_from_json, value_to_json
from altledger.reference.encoding.strategies import STRATEGIES, values
from altledger.reference.errors import DecodeError

TYPES = list(VALUE_TYPES.values())


def check_round_trip(value: Value) -> None:
    """decode(encode(v)) == v, with both the generic and the per-type decoder."""
    data = value.encode()
    assert decode(data) == value
    assert type(value).decode(data) == value
    low, high = type(value).size_range()
    assert low <= len(data) <= high


def check_decoded_or_rejected(data: bytes) -> Value | None:
    """Either a DecodeError with sane fields, or a value that re-encodes to exactly ``data``."""
    try:
        value = decode(data)
    except DecodeError as error:
        assert error.type_name and error.field and error.reason
        assert 0 <= error.offset <= len(data)
        return None
    assert value.encode() == data, "accepted a non-canonical encoding"
    return value


def check_every_strict_prefix_is_truncated(value: Value) -> None:
    """A value is self-delimiting: no strict prefix of its encoding decodes.

    Cut points: the first and second byte of every field (a field missing, a
    field cut short), so every field is reported as truncated once, plus the
    first, middle and last byte (independent of the decoder's own spans).
    """
    from altledger.reference.encoding.values import decode_spans

    data = value.encode()
    _, spans = decode_spans(data)
    cuts = {cut for s in spans for cut in (s.offset, s.offset + 1)}
    cuts |= {0, len(data) // 2, len(data) - 1}
    for end in sorted(cut for cut in cuts if 0 <= cut < len(data)):
        with pytest.raises(DecodeError) as caught:
            decode(data[:end])
        assert caught.value.offset <= end
        assert "truncated" in caught.value.reason


def check_extension_is_trailing(value: Value, extra: bytes) -> None:
    data = value.encode()
    with pytest.raises(DecodeError) as caught:
        decode(data + extra)
    assert (caught.value.field, caught.value.offset) == ("end", len(data))


def check_json_round_trip(value: Value) -> None:
    assert value_from_json(value_to_json(value)) == value


# -- tests -------------------------------------------------------------------------------------

def test_strategies_cover_every_type():
    assert set(STRATEGIES) == set(TYPES)


@pytest.mark.parametrize("cls", TYPES, ids=lambda c: c.__name__)
def test_round_trips_and_self_delimiting(cls):
    """Per type: binary and JSON round trips; no strict prefix decodes; any extension is trailing bytes.

    One test per type (rather than one per property) so each generated value serves every check.
    """
    @given(STRATEGIES[cls], st.binary(min_size=1, max_size=3))
    def run(value, extra):
        check_round_trip(value)
        check_json_round_trip(value)
        check_every_strict_prefix_is_truncated(value)
        check_extension_is_trailing(value, extra)

    run()


@given(values)
def test_values_are_immutable_and_hashable(value):
    assert hash(value) == hash(decode(value.encode()))
    with pytest.raises(AttributeError):
        value.__setattr__(next(iter(value.__dataclass_fields__)), None)


# -- canonicality under random and mutated input ----------------------------------------

@given(st.binary(max_size=200))
def test_random_bytes_only_raise_decode_error(data):
    check_decoded_or_rejected(data)  # returns the value or None


@given(st.sampled_from(sorted(VALUE_TYPES)), st.binary(max_size=300))
def test_random_bytes_after_a_valid_tag_only_raise_decode_error(tag, rest):
    check_decoded_or_rejected(bytes([tag]) + rest)


@st.composite
def mutated_encodings(draw, strategy=values):
    """A valid encoding changed by one mutation: bit flip, byte set, prefix/flag/tag tampering."""
    from altledger.reference.encoding.values import decode_spans

    value = draw(strategy)
    data = bytearray(value.encode())
    _, spans = decode_spans(bytes(data))
    mutation = draw(st.sampled_from(["flip", "byte", "prefix", "insert", "delete"]))
    if mutation == "flip":
        position = draw(st.integers(0, len(data) - 1))
        data[position] ^= 1 << draw(st.integers(0, 7))
    elif mutation == "byte":
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    elif mutation == "prefix":
        # Tamper with a length/count prefix, an option flag, a bitmap or a tag: first choose
        # which kind of prefix (so that rare kinds such as option flags are hit often), then which one.
        part = draw(st.sampled_from(sorted({s.part for s in spans if s.part})))
        span = draw(st.sampled_from([s for s in spans if s.part == part]))
        # XOR with a nonzero mask, so the prefix really changes.
        mask = draw(st.binary(min_size=len(span.data), max_size=len(span.data)))
        if not any(mask):
            mask = mask[:-1] + b"\x80"
        data[span.offset:span.offset + len(span.data)] = bytes(a ^ b for a, b in zip(span.data, mask))
    elif mutation == "insert":
        position = draw(st.integers(0, len(data)))
        data[position:position] = draw(st.binary(min_size=1, max_size=4))
    else:
        position = draw(st.integers(0, len(data) - 1))
        del data[position:position + draw(st.integers(1, 4))]
    return bytes(data)


PREFIX_MASKS = (0x01, 0x02, 0x80, 0xFF)


def prefix_mutations(data: bytes):
    """Every length/count prefix, option flag, bitmap and tag of a valid encoding, each changed in its
    last byte by each of PREFIX_MASKS: a systematic sweep, so that a rare field such as an option flag
    is tampered with on every example (random mutation reaches it only now and then)."""
    from altledger.reference.encoding.values import decode_spans

    _, spans = decode_spans(data)
    for span in spans:
        if span.part:
            end = span.offset + len(span.data) - 1
            for mask in PREFIX_MASKS:
                yield data[:end] + bytes([data[end] ^ mask]) + data[end + 1:]


def check_prefix_mutations(value) -> None:
    for data in prefix_mutations(value.encode()):
        check_decoded_or_rejected(data)


@given(mutated_encodings())
def test_mutated_encodings_are_rejected_or_canonical(data):
    check_decoded_or_rejected(data)


@pytest.mark.parametrize("cls", TYPES, ids=lambda c: c.__name__)
def test_mutated_encodings_per_type(cls):
    @given(mutated_encodings(STRATEGIES[cls]), STRATEGIES[cls])
    def run(data, value):
        check_decoded_or_rejected(data)
        check_prefix_mutations(value)

    run()

"""What pyblst 0.3.15 actually does: the assumptions fast/crypto/bls_blst.py rests on.

If a pyblst upgrade changes any of these, the wrapper's comments and guards
must be revisited; these tests say which one.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyblst import BlstP1Element, BlstP2Element, final_verify, miller_loop

from altledger.reference.crypto.bls import (
    CURVE_ORDER,
    FIELD_MODULUS,
    G1_GENERATOR,
    RFC9380_TEST_DST,
    check_point_bytes,
)
from altledger.reference.errors import DecodeError

G1 = BlstP1Element.uncompress(G1_GENERATOR)
# RFC 9380 J.10.1, msg "abc": compressed form of the published point.
ABC_COMPRESSED = bytes.fromhex(
    "939cddbccdc5e91b9623efd38c49f81a6f83f175e80b06fc374de9eb4b41dfe4ca3a230ed250fbe3a2acf73a41177fd8"
    "02c2d18e033b960562aae3cab37a27ce00d80ccd5ba4b7fe0e7a210245129dbec7780ccc7954725f4168aff2787776e6")


def _rejects(element, data: bytes) -> str:
    with pytest.raises(ValueError) as info:
        element.uncompress(data)
    return str(info.value)


def test_default_element_is_the_identity():
    assert BlstP1Element().compress() == b"\xc0" + bytes(47)
    assert BlstP2Element().compress() == b"\xc0" + bytes(95)
    assert G1 + BlstP1Element() == G1


def test_uncompress_includes_the_subgroup_check():
    # x = 0: (0, 2) lies on y^2 = x^3 + 4 but not in the order-r subgroup.
    assert "NOT_IN_GROUP" in _rejects(BlstP1Element, b"\x80" + bytes(47))


@pytest.mark.parametrize("data, error", [
    (b"\xc0" + bytes(46) + b"\x01", "BAD_ENCODING"),        # infinity with a stray bit
    (b"\xe0" + bytes(47), "BAD_ENCODING"),                  # infinity with the sign flag
    (b"\x40" + bytes(47), "BAD_ENCODING"),                  # infinity without the compression flag
    (G1_GENERATOR[:47], "BAD_ENCODING"),                    # short
    (bytes([G1_GENERATOR[0] & 0x7F]) + G1_GENERATOR[1:], "BAD_ENCODING"),   # no compression flag
    ((FIELD_MODULUS | (1 << 383)).to_bytes(48, "big"), "BAD_ENCODING"),   # x = p
])
def test_uncompress_rejects_non_canonical_encodings(data, error):
    assert error in _rejects(BlstP1Element, data)


@given(st.integers(0, CURVE_ORDER - 1), st.sampled_from([0x00, 0x20, 0x40, 0x60, 0x80, 0xA0, 0xC0, 0xE0]),
       st.integers(0, 47 * 8 + 4), st.booleans())
@settings(max_examples=300)
def test_uncompress_is_never_laxer_than_our_byte_rules(scalar, flags, bit, flip):
    """Our shared guard (§C.6) runs first anyway; this records that it is
    currently redundant with blst, i.e. blst adds no accepted encodings.
    Inputs: a real point (or the identity) with its flags replaced and
    optionally one bit of x flipped."""
    point = bytearray(G1.scalar_mul(scalar).compress())
    point[0] = flags | (point[0] & 0x1F)
    if flip:
        point[47 - bit // 8] ^= 1 << (bit % 8)
    data = bytes(point)
    try:
        BlstP1Element.uncompress(data)
    except ValueError:
        return
    check_point_bytes(data, "G1")   # must not raise DecodeError


def test_scalar_mul_reduces_mod_r_so_it_cannot_test_subgroup_membership():
    assert G1.scalar_mul(CURVE_ORDER) == BlstP1Element()
    assert G1.scalar_mul(CURVE_ORDER + 5) == G1.scalar_mul(5)
    assert G1.scalar_mul(-1) == -G1


def test_hash_to_group_takes_the_message_first():
    assert BlstP2Element.hash_to_group(b"abc", RFC9380_TEST_DST).compress() == ABC_COMPRESSED
    assert BlstP2Element.hash_to_group(RFC9380_TEST_DST, b"abc").compress() != ABC_COMPRESSED


def test_hash_to_group_refuses_long_dst_but_not_long_messages():
    BlstP2Element.hash_to_group(os.urandom(1000), b"D" * 255)
    with pytest.raises(ValueError):
        BlstP2Element.hash_to_group(b"m", b"D" * 256)


def test_identity_makes_the_pairing_equation_trivially_true():
    """Why KeyValidate must reject the identity key: e(O, H(m)) == e(G1, O)."""
    h = BlstP2Element.hash_to_group(b"any message", RFC9380_TEST_DST)
    assert final_verify(miller_loop(BlstP1Element(), h), miller_loop(G1, BlstP2Element()))


def test_our_byte_rules_name_the_rule():
    with pytest.raises(DecodeError) as info:
        check_point_bytes(b"\xc0" + bytes(46) + b"\x01", "G1")
    assert info.value.field == "x" and info.value.type_name == "G1Point"

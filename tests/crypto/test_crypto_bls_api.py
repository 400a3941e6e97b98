"""The BLS interface (spec/crypto.md §C.5-§C.9): keys, input policy, edge semantics.

Policy checks that happen before any arithmetic run on both backends (they
are cheap); semantic edge cases needing pairings run on blst, and on py_ecc
where one pairing check is affordable.
"""

from __future__ import annotations

import pytest
from crypto_bls_inputs import INFINITY_G1, INFINITY_G2, negate, pool
from py_ecc.bls import G2ProofOfPossession
from pyblst import BlstP1Element

from altledger.reference.crypto import bls
from altledger.reference.crypto.bls import (
    CURVE_ORDER,
    FIELD_MODULUS,
    KeyGen,
    check_point_bytes,
    encode_g2_affine,
    get_backend,
    secret_key_from_bytes,
    secret_key_to_bytes,
)
from altledger.reference.errors import CryptoInputError, DecodeError

BACKENDS = ["py_ecc", "blst"]

# EIP-2333 test cases: derive_master_SK(seed) is draft-04 KeyGen with empty
# key_info, i.e. our KeyGen (§C.7.1).  (seed, master_SK) as published.
EIP2333_MASTER_KEYS = [
    ("c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf1"
     "41630c7a3c4ab7c81b2f001698e7463b04",
     6083874454709270928345386274498605044986640685124978867557563392430687146096),
    ("3141592653589793238462643383279502884197169399375105820974944592",
     29757020647961307431480504535336562678282505419141012933316116377660817309383),
    ("0099ff991111002299dd7744ee3355bbdd8844115566cc55663355668888cc00",
     27580842291869792442942448775674722299803720648445448686099262467207037398656),
    ("d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3",
     19022158461524446591288038168518313374041767046816487870552872741050760015818),
]


# -- §C.7 keys ------------------------------------------------------------------------------

@pytest.mark.parametrize("seed, master", EIP2333_MASTER_KEYS)
def test_key_gen_matches_eip2333_master_keys(seed, master):
    assert KeyGen(bytes.fromhex(seed)) == master


@pytest.mark.parametrize("ikm, info", [(bytes(32), b""), (b"\xff" * 64, b""), (bytes(range(40)), b"altledger")])
def test_key_gen_matches_py_ecc(ikm, info):
    assert KeyGen(ikm, info) == G2ProofOfPossession.KeyGen(ikm, info)
    assert 0 < KeyGen(ikm, info) < CURVE_ORDER


def test_key_gen_needs_32_bytes_of_ikm():
    with pytest.raises(CryptoInputError, match="at least 32 bytes"):
        KeyGen(bytes(31))
    with pytest.raises(CryptoInputError, match="expected bytes"):
        KeyGen("x" * 32)


@pytest.mark.parametrize("data", [bytes(32), CURVE_ORDER.to_bytes(32, "big"), b"\xff" * 32, bytes(31), bytes(33)])
def test_secret_key_bytes_out_of_range_are_refused(data):
    with pytest.raises(CryptoInputError):
        secret_key_from_bytes(data)


def test_secret_key_bytes_roundtrip():
    for sk in (1, 2**200 + 7, CURVE_ORDER - 1):
        assert secret_key_from_bytes(secret_key_to_bytes(sk)) == sk


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("secret_key", [0, -5, CURVE_ORDER, True, 1.5, b"\x01" * 32])
def test_signing_with_an_invalid_secret_key_raises(backend, secret_key):
    b = get_backend(backend)
    for call in (lambda: b.SkToPk(secret_key), lambda: b.Sign(secret_key, b"m"), lambda: b.PopProve(secret_key)):
        with pytest.raises(CryptoInputError, match="secret key"):
            call()


# -- §C.6 encodings ------------------------------------------------------------------------------

@pytest.mark.parametrize("data, field", [
    (bytes(47), "length"),
    (b"\x00" * 48, "flags"),
    (b"\xe0" + bytes(47), "flags"),
    (b"\xc0" + bytes(46) + b"\x01", "x"),
    (b"\xc1" + bytes(47), "x"),
    ((FIELD_MODULUS | (1 << 383)).to_bytes(48, "big"), "x"),
])
def test_g1_byte_rules_name_the_broken_rule(data, field):
    with pytest.raises(DecodeError) as info:
        check_point_bytes(data, "G1")
    assert info.value.field == field


def test_g2_byte_rules_check_both_coordinates():
    good_im = (1 << 383).to_bytes(48, "big")
    with pytest.raises(DecodeError) as info:
        check_point_bytes(good_im + FIELD_MODULUS.to_bytes(48, "big"), "G2")
    assert info.value.field == "x_re" and info.value.offset == 48
    with pytest.raises(DecodeError) as info:
        check_point_bytes((FIELD_MODULUS | (1 << 383)).to_bytes(48, "big") + bytes(48), "G2")
    assert info.value.field == "x_im"
    assert check_point_bytes(INFINITY_G2, "G2") is True


def test_encode_g2_affine_refuses_points_off_the_curve():
    with pytest.raises(CryptoInputError, match="not on the curve"):
        encode_g2_affine((1, 2), (3, 4))


@pytest.mark.parametrize("backend", BACKENDS)
def test_infinity_deserializes_but_is_not_a_valid_key(backend):
    b = get_backend(backend)
    b.check_g1(INFINITY_G1)
    b.check_g2(INFINITY_G2)
    assert not b.KeyValidate(INFINITY_G1)


# -- §C.9 malformed input: verification says False, never raises ---------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_malformed_lengths_and_lists_give_false(backend):
    b = get_backend(backend)
    _, pks, sigs = pool()
    sig = sigs[(0, b"")]
    assert b.Verify(pks[0][:47], b"", sig) is False
    assert b.Verify(pks[0], b"", sig + b"\x00") is False
    assert b.AggregateVerify([], [], INFINITY_G2) is False
    assert b.AggregateVerify([pks[0]], [b"", b"x"], sig) is False
    assert b.FastAggregateVerify([], b"", INFINITY_G2) is False
    assert b.FastAggregateVerify([pks[0]], b"", sig[:95]) is False
    assert b.PopVerify(pks[0][:10], sig) is False
    assert b.BatchVerify([], [], []) is False
    assert b.BatchVerify([pks[0]], [b""], []) is False


@pytest.mark.parametrize("backend", BACKENDS)
def test_non_bytes_arguments_raise(backend):
    b = get_backend(backend)
    with pytest.raises(CryptoInputError):
        b.Verify("pk", b"", INFINITY_G2)
    with pytest.raises(CryptoInputError):
        b.FastAggregateVerify(INFINITY_G1, b"", INFINITY_G2)   # a bytes object is not a list of keys
    with pytest.raises(CryptoInputError):
        b.AggregateVerify([INFINITY_G1], [None], INFINITY_G2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_aggregate_refuses_empty_and_invalid_inputs(backend):
    b = get_backend(backend)
    with pytest.raises(CryptoInputError, match="at least one"):
        b.Aggregate([])
    with pytest.raises(CryptoInputError, match="not a valid signature"):
        b.Aggregate([INFINITY_G2, b"\x80" + bytes(95)])   # on the curve? not in G2 either way
    assert b.Aggregate([INFINITY_G2]) == INFINITY_G2


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dst", [b"", b"D" * 256])
def test_hash_to_g2_dst_bounds(backend, dst):
    with pytest.raises(CryptoInputError, match="1..255"):
        get_backend(backend).hash_to_G2(b"m", dst)


def test_unknown_backend_is_a_typed_error(monkeypatch):
    with pytest.raises(CryptoInputError, match="unknown backend"):
        get_backend("milagro")
    monkeypatch.setenv(bls.BACKEND_ENV, "py_ecc")
    assert get_backend().name == "py_ecc"
    monkeypatch.delenv(bls.BACKEND_ENV)
    assert get_backend().name == bls.DEFAULT_BACKEND


# -- §C.8 semantics: the aggregate rules and why PoP is required ----------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_cancelling_keys_do_not_verify_the_identity_signature(backend):
    """pk + (-pk) = O; e(O, H) == e(G, O) would 'verify' without §C.8.7's aggregate KeyValidate."""
    _, pks, _ = pool()
    assert get_backend(backend).KeyValidate(negate(pks[0]))
    assert get_backend(backend).FastAggregateVerify([pks[0], negate(pks[0])], b"m", INFINITY_G2) is False


def test_rogue_key_attack_is_what_pop_prevents():
    """§C.8.7: FastAggregateVerify trusts that every key passed PopVerify.

    An attacker who knows victim's pk publishes pk_r = [x]G1 - pk_victim
    (KeyValidate accepts it), then 'aggregates' [x]H(m) alone: the pair
    verifies as if the victim had signed.  The attacker cannot produce a
    proof of possession for pk_r, which is why PoP is mandatory (§C.8.8).
    """
    b = get_backend("blst")
    sks, pks, _ = pool()
    victim = pks[0]
    x = 123456789
    rogue_key = (BlstP1Element.uncompress(b.SkToPk(x)) + -BlstP1Element.uncompress(victim)).compress()
    forged = b.Sign(x, b"pay the attacker")
    assert b.KeyValidate(rogue_key)
    assert b.FastAggregateVerify([victim, rogue_key], b"pay the attacker", forged)
    assert not b.PopVerify(rogue_key, b.PopProve(x))          # the attacker's best try
    assert b.PopVerify(victim, b.PopProve(sks[0]))


def test_pop_and_sign_use_different_dsts():
    b = get_backend("blst")
    sks, pks, _ = pool()
    assert b.PopVerify(pks[1], b.PopProve(sks[1]))
    assert not b.PopVerify(pks[1], b.Sign(sks[1], pks[1]))   # a signature of pk is not a PoP
    assert not b.Verify(pks[1], pks[1], b.PopProve(sks[1]))


def test_aggregate_verify_allows_repeated_messages_in_the_pop_scheme():
    b = get_backend("blst")
    sks, pks, sigs = pool()
    aggregate = b.Aggregate([sigs[(0, b"block 1")], sigs[(1, b"block 1")]])
    assert b.AggregateVerify([pks[0], pks[1]], [b"block 1", b"block 1"], aggregate)


def test_py_ecc_and_blst_sign_identically():
    sks, pks, sigs = pool()
    assert get_backend("py_ecc").SkToPk(sks[2]) == pks[2]
    assert get_backend("py_ecc").Sign(sks[2], b"block 2") == sigs[(2, b"block 2")]

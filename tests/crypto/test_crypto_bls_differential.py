"""Differential tests: the py_ecc and blst BLS backends give the same answers.

Inputs (crypto_bls_inputs) mix honest keys and signatures with identities,
cancelling keys, dropped signers, flag flips, x >= p, truncations and random
bytes.  Every operation of spec/crypto.md §C.8 is compared; for raising
operations the outcome compared is "same bytes" or "both raise
CryptoInputError".

py_ecc needs ~0.5 s per pairing check, so the pairing properties run a
quarter of the profile's examples (15 under ``ci``, 1250 under ``fuzz``).
Every named scenario (including each known pitfall: identity keys, keys
that cancel, swapped hash arguments) also runs as an explicit example, so
the pitfalls are checked on every run, not only when the random draw finds
them.  The mutant tests at the end inject known bugs into the blst backend
and require these very properties to fail.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from crypto_bls_inputs import (
    AGGREGATE_VERIFY_SCENARIOS,
    FAST_AGGREGATE_SCENARIOS,
    INFINITY_G1,
    INFINITY_G2,
    VERIFY_SCENARIOS,
    aggregate_verify_inputs,
    aggregate_verify_scenario,
    fast_aggregate_inputs,
    fast_aggregate_scenario,
    g1_encodings,
    g2_encodings,
    signature_lists,
    verify_inputs,
    verify_scenario,
    x_only_encodings,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from altledger.fast.crypto import bls_blst
from altledger.reference.crypto.bls import CURVE_ORDER, POP_DST, SIGN_DST, get_backend
from altledger.reference.errors import CryptoInputError, DecodeError

REF, FAST = get_backend("py_ecc"), get_backend("blst")
PAIRING_EXAMPLES = max(8, settings.default.max_examples // 4)
SLOW = settings(max_examples=PAIRING_EXAMPLES, suppress_health_check=list(HealthCheck))


def outcome(call: Callable[[], object]) -> object:
    """The value, or the *kind* of typed error (the messages differ by backend)."""
    try:
        return call()
    except (CryptoInputError, DecodeError) as err:
        return type(err).__name__


def same(operation: str, *args: object) -> None:
    ref = outcome(lambda: getattr(REF, operation)(*args))
    fast = outcome(lambda: getattr(FAST, operation)(*args))
    assert ref == fast, f"{operation} differs: py_ecc={ref!r} blst={fast!r} args={args!r}"


# -- decoding ------------------------------------------------------------------------------

@given(g1_encodings())
@settings(suppress_health_check=list(HealthCheck))
def test_g1_decoding_and_key_validate_agree(data):
    same("check_g1", data)
    same("KeyValidate", data)


@given(g2_encodings())
@settings(suppress_health_check=list(HealthCheck))
def test_g2_decoding_agrees(data):
    same("check_g2", data)


@given(st.one_of(x_only_encodings("G1"), x_only_encodings("G2")))
@settings(suppress_health_check=list(HealthCheck))
def test_backends_own_curve_and_subgroup_checks_agree(data):
    """Bypasses the shared byte rules: these inputs pass them, so only the
    backends' own on-curve and subgroup checks are compared."""
    decode = "_decode_g1" if len(data) == 48 else "_decode_g2"
    ref = outcome(lambda: getattr(REF, decode)(data) and True)
    fast = outcome(lambda: getattr(FAST, decode)(data) and True)
    assert (ref is True) == (fast is True), f"{decode}: py_ecc={ref} blst={fast} data={data.hex()}"


# -- signing and hashing -----------------------------------------------------------------

@given(st.one_of(st.integers(1, CURVE_ORDER - 1),
                 st.sampled_from([0, 1, CURVE_ORDER - 1, CURVE_ORDER, -1, 2**256])),
       st.binary(max_size=16))
@SLOW
def test_sk_to_pk_sign_and_pop_prove_agree(secret_key, message):
    same("SkToPk", secret_key)
    same("Sign", secret_key, message)
    same("PopProve", secret_key)


@given(st.binary(max_size=64),
       st.one_of(st.sampled_from([SIGN_DST, POP_DST]), st.binary(max_size=260)))
@example(b"abc", SIGN_DST)
@SLOW
def test_hash_to_g2_agrees(message, dst):
    same("hash_to_G2", message, dst)


# -- verification ------------------------------------------------------------------------

def with_scenarios(names, build):
    """Decorator: one explicit Hypothesis example per named scenario."""
    def decorate(test):
        for name in reversed(names):
            test = example(build(name))(test)
        return test
    return decorate


@given(verify_inputs())
@with_scenarios(VERIFY_SCENARIOS, verify_scenario)
@SLOW
def test_verify_agrees(args):
    same("Verify", *args)


@given(verify_inputs())
@example((INFINITY_G1, b"", INFINITY_G2))
@SLOW
def test_pop_verify_agrees(args):
    public_key, _, proof = args
    same("PopVerify", public_key, proof)


@given(fast_aggregate_inputs())
@with_scenarios(FAST_AGGREGATE_SCENARIOS, fast_aggregate_scenario)
@SLOW
def test_fast_aggregate_verify_agrees(args):
    same("FastAggregateVerify", *args)


@given(aggregate_verify_inputs())
@with_scenarios(AGGREGATE_VERIFY_SCENARIOS, aggregate_verify_scenario)
@SLOW
def test_aggregate_verify_agrees(args):
    same("AggregateVerify", *args)


@given(signature_lists())
@SLOW
def test_aggregate_agrees(signatures):
    same("Aggregate", signatures)


# -- the tests can fail: injected bugs must be caught ------------------------------------------

def _buggy_fast_aggregate_verify(self, public_keys, message, signature):
    """blspy's bug: identity keys are summed in without KeyValidate."""
    aggregate = bls_blst._G1_IDENTITY
    for public_key in public_keys:
        try:
            aggregate = aggregate + self._decode_g1(public_key)
        except DecodeError:
            return False
    sig_point = self._validated_signature(signature)
    if sig_point is None or aggregate == bls_blst._G1_IDENTITY:
        return False
    return self._pairing_check([(aggregate, bls_blst.BlstP2Element.hash_to_group(message, SIGN_DST))],
                               sig_point)


def _buggy_validated_key(self, public_key):
    """KeyValidate that forgets the identity check."""
    try:
        return self._decode_g1(public_key)
    except DecodeError:
        return None


def _buggy_hash_to_g2(self, message, dst):
    """Arguments swapped -- the easy mistake with pyblst's positional API."""
    return bls_blst.BlstP2Element.hash_to_group(dst, message).compress() if len(message) <= 255 else b""


MUTANTS = {
    "FastAggregateVerify without per-key KeyValidate": (
        "_fast_aggregate_verify", _buggy_fast_aggregate_verify, test_fast_aggregate_verify_agrees),
    "KeyValidate accepts the identity": ("_validated_key", _buggy_validated_key, test_verify_agrees),
    "hash_to_G2 with swapped arguments": ("_hash_to_g2", _buggy_hash_to_g2, test_hash_to_g2_agrees),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_differential_test_catches_mutant(monkeypatch, mutant):
    """The property exactly as `make test` runs it must fail on the mutant."""
    attribute, replacement, property_test = MUTANTS[mutant]
    monkeypatch.setattr(bls_blst.BlstBackend, attribute, replacement)
    with pytest.raises(AssertionError, match="differs"):
        property_test()

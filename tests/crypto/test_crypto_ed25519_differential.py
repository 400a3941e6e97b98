"""Differential test: our explicit Ed25519 policy == raw libsodium, on edge cases.

Three verdicts must agree on every generated triple:

* raw libsodium (``crypto_sign_open``, none of our checks);
* :func:`ed25519.verify` (our checks, then libsodium for the equation);
* ``rejection_reason(..., pure_python=True)`` (our checks, equation in Python).

The third is the one that can expose a missing rule: in the second, libsodium
would still catch it.  The generated triples (crypto_ed25519_edges) include
forgeries whose equation *holds*, so a missing or over-eager rule flips a
verdict.  The mutant tests below inject such bugs and require the property
to fail -- the evidence that this test can fail at all.
"""

from __future__ import annotations

import pytest
from crypto_ed25519_edges import (
    SMALL_ORDER_CANONICAL,
    TORSION,
    edge_triples,
    forge_identity_r,
    forge_with_torsion_key,
    libsodium_accepts,
    secret_scalar,
)
from hypothesis import HealthCheck, example, given, settings

from altledger.reference.crypto import ed25519
from altledger.reference.crypto.edwards25519 import (
    SMALL_ORDER_Y,
    L,
    PointDecodingError,
    decode_point,
    is_in_prime_order_subgroup,
)


def verdicts_agree(pk: bytes, msg: bytes, sig: bytes) -> None:
    raw = libsodium_accepts(pk, msg, sig)
    ours = ed25519.verify(pk, msg, sig)
    independent = ed25519.rejection_reason(pk, msg, sig, pure_python=True)
    assert raw == ours == (independent is None), (
        f"libsodium={raw} ours={ours} pure-python={independent} "
        f"pk={pk.hex()} msg={msg.hex()} sig={sig.hex()}")


def _first_forgery(a_prime: int, torsion_index: int, spelling: bytes | None) -> tuple[bytes, bytes, bytes]:
    """A deterministic forged triple (the torsion trick needs a lucky r; try a few)."""
    for r in range(1, 100):
        forged = forge_with_torsion_key(a_prime, TORSION[torsion_index], spelling, r, b"example")
        if forged is not None:
            return forged
    raise AssertionError("no forgery found")


SEED = bytes(range(32))
HONEST_PK = ed25519.keypair_from_seed(SEED).public_key
HONEST_SIG = ed25519.sign(SEED, b"example")
EXPLICIT = {
    "identity key, equation holds": _first_forgery(0, 0, SMALL_ORDER_CANONICAL[0]),
    "order-8 key, equation holds": _first_forgery(0, 4, SMALL_ORDER_CANONICAL[4]),
    "mixed-order key, equation holds": _first_forgery(secret_scalar(SEED), 4, None),
    "identity R, equation holds": forge_identity_r(SEED, b"example"),
    "S + L": (HONEST_PK, b"example",
              HONEST_SIG[:32] + (int.from_bytes(HONEST_SIG[32:], "little") + L).to_bytes(32, "little")),
}


def with_explicit_examples(test):
    for triple in EXPLICIT.values():
        test = example(triple)(test)
    return test


@given(edge_triples())
@with_explicit_examples
@settings(max_examples=4 * settings.default.max_examples, suppress_health_check=list(HealthCheck))
def test_policy_agrees_with_raw_libsodium(triple):
    verdicts_agree(*triple)


def _small_or_mixed_order_y(y: int) -> bool:
    if y in SMALL_ORDER_Y:
        return True
    try:
        point = decode_point(y.to_bytes(32, "little"), canonical=False)
    except PointDecodingError:
        return False
    return not is_in_prime_order_subgroup(point)


MUTANTS = {
    # The rule that stops forgeries under small-order keys and nonces, removed.
    "no small-order check": ("is_small_order_y", lambda y: False),
    # An over-eager rule: refusing mixed-order keys, which libsodium accepts.
    "rejects mixed-order A": ("is_small_order_y", _small_or_mixed_order_y),
    # S >= L allowed: S and S + L would both verify (malleability).
    "no S < L check": ("is_reduced_scalar", lambda s_bytes: True),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_differential_test_catches_mutant(monkeypatch, mutant):
    """The property exactly as `make test` runs it must fail on each mutant."""
    attribute, replacement = MUTANTS[mutant]
    monkeypatch.setattr(ed25519, attribute, replacement)
    ed25519.public_key_rejection.cache_clear()      # cached verdicts came from the real rules
    try:
        with pytest.raises(AssertionError, match="libsodium="):
            test_policy_agrees_with_raw_libsodium()
    finally:
        ed25519.public_key_rejection.cache_clear()


def test_explicit_examples_are_what_they_claim():
    for name, (pk, msg, sig) in EXPLICIT.items():
        assert ed25519.equation_holds_pure_python(pk, msg, sig), name


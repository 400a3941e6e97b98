"""Ed25519 (spec/crypto.md §C.2-§C.4): key formats, each rejection rule, the external vectors.

Every rule of §C.3 gets an input that breaks exactly that rule, and each
such input is also checked against raw libsodium: our policy is libsodium's,
made explicit, so the verdicts must agree.  The vector tests run in both
equation modes (libsodium, pure Python) so the verdict is shown not to
depend on libsodium's internals.
"""

from __future__ import annotations

import pytest
from crypto_ed25519_edges import (
    SMALL_ORDER_CANONICAL,
    SMALL_ORDER_NON_CANONICAL,
    forge_identity_r,
    libsodium_accepts,
)
from hypothesis import given
from hypothesis import strategies as st

from altledger.reference.crypto import ed25519, ed25519_vectors
from altledger.reference.crypto.ed25519 import Rejection
from altledger.reference.crypto.edwards25519 import (
    BASE,
    IDENTITY,
    L,
    P,
    PointDecodingError,
    decode_point,
    has_small_order,
    is_canonical_encoding,
    is_on_curve_y,
    is_small_order_y,
    parse_encoding,
)
from altledger.reference.errors import CryptoInputError

SEED = bytes(range(32))
MSG = b"altledger"


@pytest.fixture(scope="module")
def honest() -> tuple[bytes, bytes, bytes]:
    return ed25519.keypair_from_seed(SEED).public_key, MSG, ed25519.sign(SEED, MSG)


# -- §C.2 keys and signing ------------------------------------------------------------

def test_keypair_sign_verify_roundtrip(honest):
    pk, msg, sig = honest
    assert len(pk) == 32 and len(sig) == 64
    assert ed25519.verify(pk, msg, sig)
    assert ed25519.sign(SEED, MSG) == sig, "RFC 8032 signing is deterministic"
    assert "seed" not in repr(ed25519.keypair_from_seed(SEED)).replace("Ed25519KeyPair", "")


@pytest.mark.parametrize("seed", [b"", bytes(31), bytes(33), bytes(64)])
def test_wrong_seed_length_is_a_typed_error(seed):
    with pytest.raises(CryptoInputError, match="32 bytes"):
        ed25519.keypair_from_seed(seed)
    with pytest.raises(CryptoInputError, match="32 bytes"):
        ed25519.sign(seed, MSG)


@pytest.mark.parametrize("call", [
    lambda: ed25519.keypair_from_seed("0" * 32),
    lambda: ed25519.sign(SEED, "text"),
    lambda: ed25519.verify("pk", MSG, bytes(64)),
    lambda: ed25519.verify(bytes(32), None, bytes(64)),
    lambda: ed25519.rejection_reason(bytes(32), MSG, 64),
])
def test_non_bytes_arguments_are_typed_errors(call):
    with pytest.raises(CryptoInputError, match="expected bytes"):
        call()


# -- §C.3 one input per rule -----------------------------------------------------------

def _y_bytes(y: int, sign: int = 0) -> bytes:
    return (y | (sign << 255)).to_bytes(32, "little")


def _first_y(predicate) -> int:
    return next(y for y in range(2, 10_000) if predicate(y))


def _on_curve(y: int) -> bool:
    try:
        decode_point(_y_bytes(y))
    except PointDecodingError:
        return False
    return True


# A y in [2, 18] on the curve (not small order): y + p is then a non-canonical
# spelling of a large-order point, so only the canonicity rule can refuse it.
NON_CANONICAL_Y = next(y for y in range(2, 19) if _on_curve(y))
OFF_CURVE_Y = _first_y(lambda y: not _on_curve(y))


def _rule_cases(honest):
    pk, msg, sig = honest
    r, s = sig[:32], sig[32:]
    s_int = int.from_bytes(s, "little")
    a_forged = forge_identity_r(SEED, msg)
    return {
        Rejection.PUBLIC_KEY_LENGTH: (pk[:31], msg, sig),
        Rejection.SIGNATURE_LENGTH: (pk, msg, sig + b"\x00"),
        Rejection.S_NOT_REDUCED: (pk, msg, r + (s_int + L).to_bytes(32, "little")),
        Rejection.A_NON_CANONICAL: (_y_bytes(NON_CANONICAL_Y + P), msg, sig),
        Rejection.A_NOT_ON_CURVE: (_y_bytes(OFF_CURVE_Y), msg, sig),
        Rejection.A_SMALL_ORDER: (IDENTITY.encode(), msg, (BASE * 7).encode() + (7).to_bytes(32, "little")),
        Rejection.R_NON_CANONICAL: (pk, msg, _y_bytes(NON_CANONICAL_Y + P) + s),
        Rejection.R_NOT_ON_CURVE: (pk, msg, _y_bytes(OFF_CURVE_Y) + s),
        Rejection.R_SMALL_ORDER: a_forged,
        Rejection.EQUATION: (pk, msg + b"!", sig),
    }


def test_every_rule_has_a_case():
    assert {rule for rule in Rejection} == set(_rule_cases((bytes(32), MSG, bytes(64))).keys())


@pytest.mark.parametrize("rule", list(Rejection), ids=lambda r: r.name)
def test_each_rule_rejects_its_case_and_libsodium_agrees(honest, rule):
    pk, msg, sig = _rule_cases(honest)[rule]
    assert ed25519.rejection_reason(pk, msg, sig) is rule
    assert ed25519.rejection_reason(pk, msg, sig, pure_python=True) is rule
    assert not ed25519.verify(pk, msg, sig)
    assert not libsodium_accepts(pk, msg, sig), "our policy must never be stricter than libsodium's here"


def test_forgeries_that_only_the_policy_stops(honest):
    """The equation holds for these, so only §C.3.2/§C.3.4 refuse them."""
    pk, msg, sig = honest
    s_plus_l = sig[:32] + (int.from_bytes(sig[32:], "little") + L).to_bytes(32, "little")
    assert ed25519.equation_holds_pure_python(pk, msg, s_plus_l), "[S+L]B == [S]B"
    assert ed25519.rejection_reason(pk, msg, s_plus_l) is Rejection.S_NOT_REDUCED
    pk0, msg0, sig0 = _rule_cases(honest)[Rejection.A_SMALL_ORDER]
    assert ed25519.equation_holds_pure_python(pk0, msg0, sig0), "identity key: [S]B == R for any message"
    pk1, msg1, sig1 = _rule_cases(honest)[Rejection.R_SMALL_ORDER]
    assert ed25519.equation_holds_pure_python(pk1, msg1, sig1), "identity R: S = k a"


def test_non_canonical_small_order_spellings_are_refused_as_non_canonical():
    for spelling in SMALL_ORDER_NON_CANONICAL:
        with pytest.raises(PointDecodingError):
            decode_point(spelling)
        assert has_small_order(decode_point(spelling, canonical=False))


def test_small_order_by_y_equals_small_order_by_multiplication():
    """§C.3.4 is implemented on y alone (as libsodium's blacklist is); it must
    agree with the definition [8]P = O on the 8 torsion points and others."""
    torsion = [decode_point(e) for e in SMALL_ORDER_CANONICAL]
    assert all(has_small_order(t) and is_small_order_y(t.affine()[1]) for t in torsion)
    for k in range(1, 40):
        for point in (BASE * k, BASE * k + torsion[4], BASE * k + torsion[2]):
            assert is_small_order_y(point.affine()[1]) == has_small_order(point)


@given(st.one_of(st.binary(min_size=32, max_size=32),
                 st.sampled_from(SMALL_ORDER_CANONICAL + SMALL_ORDER_NON_CANONICAL),
                 st.integers(0, 40).map(lambda d: ((P + d) | (d % 2 << 255)).to_bytes(32, "little"))))
def test_cheap_canonicity_test_equals_decoding(data):
    """The square-root-free tests agree with the full RFC 8032 decoder."""
    try:
        decode_point(data)
        verdict = "ok"
    except PointDecodingError as err:
        verdict = err.reason
    y_on_curve = is_on_curve_y(parse_encoding(data)[0])
    if verdict == "ok":
        assert is_canonical_encoding(data) and y_on_curve
    elif verdict == PointDecodingError.NOT_ON_CURVE:
        assert is_canonical_encoding(data) and not y_on_curve
    else:
        assert not is_canonical_encoding(data)


def test_verify_returns_false_not_raises_on_wrong_lengths(honest):
    pk, msg, sig = honest
    for bad_pk, bad_sig in [(b"", sig), (pk + b"\x00", sig), (pk, b""), (pk, sig[:63])]:
        assert ed25519.verify(bad_pk, msg, bad_sig) is False


# -- external vectors ---------------------------------------------------------------------

@pytest.mark.parametrize("suite", ["rfc8032", "wycheproof", "speccheck"])
def test_external_ed25519_suite_passes_completely(external_vectors, suite):
    report = ed25519_vectors.RUNNERS[suite](external_vectors)
    assert report.ok, f"{report.figure()}; failures: {[(f.name, f.detail) for f in report.failures]}"


def test_wycheproof_counts_and_agreement_with_libsodium_in_both_modes(external_vectors):
    cases = ed25519_vectors.wycheproof_cases(external_vectors)
    assert len(cases) == 151
    assert sum(case[4] == "valid" for case in cases) == 88
    disagreements = []
    for name, pk, msg, sig, result, _ in cases:
        ours = ed25519.verify(pk, msg, sig)
        independent = ed25519.rejection_reason(pk, msg, sig, pure_python=True) is None
        raw = libsodium_accepts(pk, msg, sig)
        if not ours == independent == raw == (result == "valid"):
            disagreements.append((name, result, ours, independent, raw))
    assert not disagreements

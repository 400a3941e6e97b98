"""Ed25519 signatures with an explicit acceptance policy (spec/crypto.md §C.3).

Why the policy is spelled out here rather than left to PyNaCl: Ed25519
libraries disagree on which signatures are valid (small-order keys, non-
canonical encodings, the cofactor), and client teams in Go, Rust (Dalek) or
C++ (BoringSSL) must reproduce *our* verdicts exactly.  We adopt libsodium's
rules (PyNaCl 1.6.2) but check each one ourselves, in the order of the spec
clauses, so that

* every rejection has a named reason (:func:`rejection_reason`) that tests
  and conformance vectors can pin;
* the verdict does not move if a future libsodium adds or drops a check: by
  the time libsodium is asked, every policy rule has already passed and the
  only question left is the verification equation;
* the equation itself is cross-checked against a plain-Python evaluation
  (:func:`equation_holds_pure_python`) in the tests.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from nacl.bindings import crypto_sign_open, crypto_sign_seed_keypair
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey

from altledger.reference.crypto.edwards25519 import (
    BASE,
    L,
    decode_point,
    is_canonical_encoding,
    is_on_curve_y,
    is_small_order_y,
    parse_encoding,
)
from altledger.reference.errors import CryptoInputError

SEED_SIZE = 32        # spec/crypto.md §C.2.1: the secret key is the 32-byte RFC 8032 seed
PUBLIC_KEY_SIZE = 32  # the encoding of A
SIGNATURE_SIZE = 64   # R (32 bytes) || S (32 bytes, little-endian)


class Rejection(enum.Enum):
    """Why :func:`verify` said no, one member per rule of spec/crypto.md §C.3.

    The values are stable strings: conformance vectors and client test
    suites may compare against them.
    """

    PUBLIC_KEY_LENGTH = "public key is not 32 bytes"               # §C.3.1
    SIGNATURE_LENGTH = "signature is not 64 bytes"                 # §C.3.1
    S_NOT_REDUCED = "S >= L (non-canonical scalar)"                # §C.3.2
    A_NON_CANONICAL = "public key A is not a canonical encoding"   # §C.3.3
    A_NOT_ON_CURVE = "public key A is not a curve point"           # §C.3.3
    A_SMALL_ORDER = "public key A has small order"                 # §C.3.4
    R_NON_CANONICAL = "R is not a canonical encoding"              # §C.3.3
    R_NOT_ON_CURVE = "R is not a curve point"                      # §C.3.3
    R_SMALL_ORDER = "R has small order"                            # §C.3.4
    EQUATION = "[S]B != R + [k]A"                                  # §C.3.5


@dataclass(frozen=True)
class Ed25519KeyPair:
    """A 32-byte seed (the secret key) and its 32-byte public key."""

    seed: bytes = field(repr=False)
    public_key: bytes


def _require_bytes(what: str, value: object, size: int | None = None) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise CryptoInputError(what, f"expected bytes, got {type(value).__name__}")
    value = bytes(value)
    if size is not None and len(value) != size:
        raise CryptoInputError(what, f"expected {size} bytes, got {len(value)}")
    return value


def keypair_from_seed(seed: bytes) -> Ed25519KeyPair:
    """spec/crypto.md §C.2.1: the key pair of a 32-byte seed (RFC 8032 §5.1.5)."""
    seed = _require_bytes("Ed25519 seed", seed, SEED_SIZE)
    public_key, _ = crypto_sign_seed_keypair(seed)
    return Ed25519KeyPair(seed, public_key)


def sign(seed: bytes, message: bytes) -> bytes:
    """spec/crypto.md §C.2.2: the 64-byte RFC 8032 signature of ``message`` (deterministic)."""
    seed = _require_bytes("Ed25519 seed", seed, SEED_SIZE)
    message = _require_bytes("Ed25519 message", message)
    return SigningKey(seed).sign(message).signature


def is_reduced_scalar(s_bytes: bytes) -> bool:
    """§C.3.2: S, read little-endian, is below L (otherwise S and S + L both verify)."""
    return int.from_bytes(s_bytes, "little") < L


def _encoding_rejection(data: bytes, non_canonical: Rejection, small: Rejection) -> Rejection | None:
    """§C.3.3 (canonical) then §C.3.4 (not small order), by inspecting y alone."""
    if not is_canonical_encoding(data):
        return non_canonical
    y, _ = parse_encoding(data)
    return small if is_small_order_y(y) else None


@lru_cache(maxsize=4096)
def public_key_rejection(public_key: bytes) -> Rejection | None:
    """§C.3.3-§C.3.4 for A: canonical, on the curve, not of small order.

    Cached because public keys repeat (validators, accounts) while nonces R
    do not; the verdict is a pure function of the 32 bytes.
    """
    reason = _encoding_rejection(public_key, Rejection.A_NON_CANONICAL, Rejection.A_SMALL_ORDER)
    if reason is None and not is_on_curve_y(parse_encoding(public_key)[0]):
        # (Small-order y values are all on the curve, so the order of these
        # two tests cannot change which reason is reported.)
        return Rejection.A_NOT_ON_CURVE
    return reason


def rejection_reason(public_key: bytes, message: bytes, signature: bytes, *,
                     pure_python: bool = False) -> Rejection | None:
    """The first rule of spec/crypto.md §C.3 that the triple breaks, or None if valid.

    Wrong lengths are reasons, not errors: signatures arrive from the
    network.  Only a non-bytes argument (a caller bug) raises CryptoInputError.

    ``pure_python=True`` evaluates the final equation in plain Python instead
    of libsodium, giving a verdict that does not involve libsodium at all;
    the tests require both modes to agree with each other and with raw
    libsodium on every vector and on generated edge cases.
    """
    public_key = _require_bytes("Ed25519 public key", public_key)
    message = _require_bytes("Ed25519 message", message)
    signature = _require_bytes("Ed25519 signature", signature)
    # §C.3.1 lengths.
    if len(public_key) != PUBLIC_KEY_SIZE:
        return Rejection.PUBLIC_KEY_LENGTH
    if len(signature) != SIGNATURE_SIZE:
        return Rejection.SIGNATURE_LENGTH
    r_bytes, s_bytes = signature[:32], signature[32:]
    if not is_reduced_scalar(s_bytes):                              # §C.3.2
        return Rejection.S_NOT_REDUCED
    reason = public_key_rejection(public_key)                       # §C.3.3-4 for A
    if reason is None:                                              # §C.3.3-4 for R
        reason = _encoding_rejection(r_bytes, Rejection.R_NON_CANONICAL, Rejection.R_SMALL_ORDER)
    if reason is not None:
        return reason
    # §C.3.3 "R is on the curve" and §C.3.5 the cofactorless equation.  An
    # R off the curve can never satisfy the equation, so asking about the
    # curve only after a failed equation reports the same first rule while
    # sparing a square root on every valid signature.  Every
    # libsodium-specific rule has passed above, so libsodium's verdict here
    # is the equation alone.
    if pure_python:
        if not is_on_curve_y(parse_encoding(r_bytes)[0]):
            return Rejection.R_NOT_ON_CURVE
        return None if equation_holds_pure_python(public_key, message, signature) else Rejection.EQUATION
    if _libsodium_equation(public_key, message, signature):
        return None
    return Rejection.EQUATION if is_on_curve_y(parse_encoding(r_bytes)[0]) else Rejection.R_NOT_ON_CURVE


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """spec/crypto.md §C.3: True iff the signature is valid under our policy."""
    return rejection_reason(public_key, message, signature) is None


def _libsodium_equation(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        crypto_sign_open(signature + message, public_key)
    except BadSignatureError:
        return False
    return True


def challenge(r_bytes: bytes, public_key: bytes, message: bytes) -> int:
    """``k = SHA-512(R || A || M)`` read little-endian and reduced mod L (§C.3.5)."""
    return int.from_bytes(hashlib.sha512(r_bytes + public_key + message).digest(), "little") % L


def equation_holds_pure_python(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """``[S]B == R + [k]A`` evaluated in plain Python, for cross-checking libsodium.

    Assumes the encodings already passed §C.3.1-§C.3.4 (decoding is
    canonical here).  Slow (milliseconds); not used by :func:`verify`.
    """
    a_point = decode_point(public_key)
    r_point = decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    return BASE * s == r_point + a_point * challenge(signature[:32], public_key, message)

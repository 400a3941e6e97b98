"""Ed25519 edge-case triples for differential tests (not a test module).

Why hand-built forgeries: random bytes almost never exercise the policy
rules that matter, because a random signature fails the equation anyway.
The rules only change a verdict when the *equation holds* and a rule still
says no (small-order A, identity R, S >= L) or when a rule is too strict
(mixed-order A, which libsodium accepts).  These builders produce exactly
such triples, using the secret scalar or the torsion component, so that a
missing or over-eager check changes the verdict and a differential test
can see it.
"""

from __future__ import annotations

import hashlib

from hypothesis import strategies as st
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from altledger.reference.crypto import ed25519
from altledger.reference.crypto.edwards25519 import (
    BASE,
    IDENTITY,
    L,
    P,
    Point,
    decode_point,
)


def libsodium_accepts(pk: bytes, msg: bytes, sig: bytes) -> bool:
    """Raw PyNaCl/libsodium verdict, bypassing every check of ours."""
    try:
        crypto_sign_open(sig + msg, pk)
    except (BadSignatureError, ValueError):
        return False
    return True


def secret_scalar(seed: bytes) -> int:
    """RFC 8032 §5.1.5: the clamped scalar a with A = [a]B."""
    digest = bytearray(hashlib.sha512(seed).digest()[:32])
    digest[0] &= 248
    digest[31] &= 127
    digest[31] |= 64
    return int.from_bytes(digest, "little")


def _encode_y(y: int, sign: int) -> bytes:
    return (y | (sign << 255)).to_bytes(32, "little")


def _torsion_points() -> list[Point]:
    """The 8 points of order dividing 8, found from their y-coordinates."""
    points = []
    for encoding in SMALL_ORDER_CANONICAL:
        points.append(decode_point(encoding))
    return points


# Canonical encodings of the 8 small-order points: identity, (0,-1), the two
# of order 4 (y = 0) and four of order 8 (two y values, both signs).
_Y_ORDER8 = [
    int.from_bytes(bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"), "little"),
    int.from_bytes(bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"), "little"),
]
SMALL_ORDER_CANONICAL = [_encode_y(1, 0), _encode_y(P - 1, 0), _encode_y(0, 0), _encode_y(0, 1)] + [
    _encode_y(y, s) for y in _Y_ORDER8 for s in (0, 1)]
# Non-canonical spellings of small-order points: y + p for y in {0, 1}, and
# the "negative zero" x-sign on y = 1 and y = -1.
SMALL_ORDER_NON_CANONICAL = [_encode_y(P, 0), _encode_y(P, 1), _encode_y(P + 1, 0), _encode_y(P + 1, 1),
                             _encode_y(1, 1), _encode_y(P - 1, 1)]
TORSION = _torsion_points()


def forge_with_torsion_key(a_prime: int, torsion: Point, torsion_bytes: bytes | None,
                           r: int, msg: bytes) -> tuple[bytes, bytes, bytes] | None:
    """A triple with A = [a']B + T whose cofactorless equation holds, or None.

    ``R = [r]B - [c]T`` and ``S = r + k a'``: the equation holds iff
    ``[k]T == [c]T``, which we find by trying the 8 values of c.  With
    a' = 0 the key is the small-order point T itself (``torsion_bytes``
    allows a non-canonical spelling of it).
    """
    a_point = BASE * a_prime + torsion
    pk = torsion_bytes if (a_prime == 0 and torsion_bytes is not None) else a_point.encode()
    for c in range(8):
        r_point = BASE * r + -(torsion * c)
        r_bytes = r_point.encode()
        k = ed25519.challenge(r_bytes, pk, msg)
        if torsion * k == torsion * c:
            s = (r + k * a_prime) % L
            return pk, msg, r_bytes + s.to_bytes(32, "little")
    return None


def forge_identity_r(seed: bytes, msg: bytes) -> tuple[bytes, bytes, bytes]:
    """R = identity, S = k a: the equation holds; only the small-order-R rule refuses it."""
    pk = ed25519.keypair_from_seed(seed).public_key
    r_bytes = IDENTITY.encode()
    s = ed25519.challenge(r_bytes, pk, msg) * secret_scalar(seed) % L
    return pk, msg, r_bytes + s.to_bytes(32, "little")


@st.composite
def edge_triples(draw: st.DrawFn) -> tuple[bytes, bytes, bytes]:
    """(public key, message, signature) drawn from honest, mutated and forged families."""
    seed = draw(st.binary(min_size=32, max_size=32))
    msg = draw(st.binary(max_size=40))
    keypair = ed25519.keypair_from_seed(seed)
    honest = ed25519.sign(seed, msg)
    kind = draw(st.sampled_from(["honest", "tampered", "s_plus_l", "small_key", "mixed_key",
                                 "identity_r", "small_r_bytes", "random"]))
    if kind == "honest":
        return keypair.public_key, msg, honest
    if kind == "tampered":
        index = draw(st.integers(0, 63))
        flip = draw(st.integers(1, 255))
        sig = bytearray(honest)
        sig[index] ^= flip
        return keypair.public_key, msg, bytes(sig)
    if kind == "s_plus_l":
        # Same signature with S replaced by S + jL: the equation holds mod L.
        s = int.from_bytes(honest[32:], "little") + draw(st.integers(1, 15)) * L
        return keypair.public_key, msg, honest[:32] + s.to_bytes(32, "little")
    if kind in ("small_key", "mixed_key"):
        index = draw(st.integers(0, len(TORSION) - 1))
        torsion = TORSION[index]
        spelling = None
        if kind == "small_key":
            spelling = draw(st.sampled_from([SMALL_ORDER_CANONICAL[index]] + SMALL_ORDER_NON_CANONICAL))
            if spelling in SMALL_ORDER_NON_CANONICAL:
                torsion = decode_point(spelling, canonical=False)
        a_prime = 0 if kind == "small_key" else secret_scalar(seed)
        r = draw(st.integers(1, L - 1))
        forged = forge_with_torsion_key(a_prime, torsion, spelling, r, msg)
        return forged if forged is not None else (keypair.public_key, msg, honest)
    if kind == "identity_r":
        return forge_identity_r(seed, msg)
    if kind == "small_r_bytes":
        r_bytes = draw(st.sampled_from(SMALL_ORDER_CANONICAL + SMALL_ORDER_NON_CANONICAL))
        return keypair.public_key, msg, r_bytes + honest[32:]
    return (draw(st.binary(min_size=32, max_size=32)), msg,
            draw(st.one_of(st.binary(min_size=64, max_size=64), st.binary(max_size=70))))

"""The edwards25519 group, in plain Python, for *checking* Ed25519 inputs.

Why this exists when PyNaCl already does Ed25519: libsodium applies its
acceptance rules implicitly (some by decoding, some by a blacklist, some by
comparing bytes).  The rules we promise client teams (spec/crypto.md §C.3)
must be ours, visible and individually testable, so the point decoding,
canonicity and order tests are written out here in RFC 8032 §5.1 terms.

Everything here is variable-time: it only ever touches public data (public
keys, signatures, messages).  Signing, which touches secrets, is PyNaCl's job.
"""

from __future__ import annotations

from dataclasses import dataclass

# spec/crypto.md §C.2: the curve -x^2 + y^2 = 1 + d x^2 y^2 over GF(p).
P = 2**255 - 19
D = (-121665 * pow(121666, -1, P)) % P
# Order of the prime-order subgroup (the "L" of RFC 8032).
L = 2**252 + 27742317777372353535851937790883648493
# sqrt(-1) mod p, used when the first square-root candidate is off by a factor i.
SQRT_M1 = pow(2, (P - 1) // 4, P)


@dataclass(frozen=True)
class Point:
    """A point in extended coordinates (X : Y : Z : T) with x = X/Z, y = Y/Z, xy = T/Z."""

    X: int
    Y: int
    Z: int
    T: int

    @staticmethod
    def from_affine(x: int, y: int) -> Point:
        return Point(x % P, y % P, 1, (x * y) % P)

    def affine(self) -> tuple[int, int]:
        z_inv = pow(self.Z, -1, P)
        return (self.X * z_inv) % P, (self.Y * z_inv) % P

    def __add__(self, other: Point) -> Point:
        # RFC 8032 §5.1.4 addition; the formula is complete (also doubles).
        a = (self.Y - self.X) * (other.Y - other.X) % P
        b = (self.Y + self.X) * (other.Y + other.X) % P
        c = 2 * D * self.T * other.T % P
        d = 2 * self.Z * other.Z % P
        e, f, g, h = b - a, d - c, d + c, b + a
        return Point(e * f % P, g * h % P, f * g % P, e * h % P)

    def __neg__(self) -> Point:
        return Point(-self.X % P, self.Y, self.Z, -self.T % P)

    def __eq__(self, other: object) -> bool:
        # Projective equality: compare cross-multiplied coordinates.
        if not isinstance(other, Point):
            return NotImplemented
        return ((self.X * other.Z - other.X * self.Z) % P == 0
                and (self.Y * other.Z - other.Y * self.Z) % P == 0)

    def __hash__(self) -> int:
        return hash(self.affine())

    def __mul__(self, scalar: int) -> Point:
        """``[scalar]self`` by double-and-add (variable time, public data only)."""
        result, addend = IDENTITY, self
        n = scalar
        if n < 0:
            n, addend = -n, -addend
        while n:
            if n & 1:
                result = result + addend
            addend = addend + addend
            n >>= 1
        return result

    __rmul__ = __mul__

    def encode(self) -> bytes:
        """RFC 8032 §5.1.2: 255-bit little-endian y, sign of x in the top bit."""
        x, y = self.affine()
        return (y | ((x & 1) << 255)).to_bytes(32, "little")


IDENTITY = Point(0, 1, 1, 0)


def _base_point() -> Point:
    y = 4 * pow(5, -1, P) % P
    x = _recover_x(y, sign=0)
    assert x is not None
    return Point.from_affine(x, y)


class PointDecodingError(ValueError):
    """The 32 bytes are not an acceptable point encoding; ``reason`` says which rule failed."""

    NON_CANONICAL_Y = "y is not reduced (y >= p)"
    NOT_ON_CURVE = "no curve point has this y"
    NEGATIVE_ZERO = "x = 0 with the sign bit set"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _x_squared_root(y: int) -> int | None:
    """RFC 8032 §5.1.3 steps 2-3: some x with -x^2 + y^2 = 1 + d x^2 y^2, or None."""
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    # Candidate root x = u v^3 (u v^7)^((p-5)/8); then fix by sqrt(-1) if needed.
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    vx2 = v * x * x % P
    if vx2 == u:
        return x
    if vx2 == (-u) % P:
        return x * SQRT_M1 % P
    return None


def _recover_x(y: int, sign: int) -> int | None:
    """The root whose parity is ``sign`` (step 4), or None if y is not on the curve."""
    x = _x_squared_root(y)
    if x is None:
        return None
    return P - x if (x & 1) != sign and x != 0 else x


def decode_point(data: bytes, *, canonical: bool = True) -> Point:
    """Decode 32 bytes into a curve point (RFC 8032 §5.1.3).

    With ``canonical=True`` (our policy, spec/crypto.md §C.3.3) every
    encoding that is not the unique encoding of its point is refused:
    ``y >= p`` and the "negative zero" (x = 0 with the sign bit set).  With
    ``canonical=False`` the decoder behaves like the lenient ones in other
    libraries (y taken mod p, negative zero read as x = 0); it exists only so
    that tests can model those libraries' verdicts, never for verification.
    """
    if len(data) != 32:
        raise ValueError(f"a point encoding is 32 bytes, got {len(data)}")
    word = int.from_bytes(data, "little")
    sign = word >> 255
    y = word & ((1 << 255) - 1)
    if y >= P:
        if canonical:
            raise PointDecodingError(PointDecodingError.NON_CANONICAL_Y)
        y -= P
    x = _recover_x(y, sign)
    if x is None:
        raise PointDecodingError(PointDecodingError.NOT_ON_CURVE)
    if x == 0 and sign == 1 and canonical:
        # x = 0 has no negative: the sign bit must be 0 (RFC 8032 §5.1.3 step 4).
        raise PointDecodingError(PointDecodingError.NEGATIVE_ZERO)
    return Point.from_affine(x, y)


def parse_encoding(data: bytes) -> tuple[int, int]:
    """The raw (y, sign bit) of a 32-byte encoding, before any validity check."""
    word = int.from_bytes(data, "little")
    return word & ((1 << 255) - 1), word >> 255


def is_canonical_encoding(data: bytes) -> bool:
    """§C.3.3 without arithmetic: y < p, and no sign bit on x = 0.

    x = 0 exactly when y^2 = 1, i.e. y in {1, p - 1}, so the "negative zero"
    test needs no square root.
    """
    y, sign = parse_encoding(data)
    return y < P and not (sign and y in (1, P - 1))


def is_on_curve_y(y: int) -> bool:
    """Some x satisfies the curve equation for this (reduced) y."""
    return _x_squared_root(y % P) is not None


def has_small_order(point: Point) -> bool:
    """True if ``[8]point`` is the identity: the point lies in the 8-torsion.

    Such points carry no information about a secret (the cofactor is 8), so
    a key or nonce that is one of them proves nothing; spec/crypto.md §C.3.4.
    """
    return point * 8 == IDENTITY


def is_in_prime_order_subgroup(point: Point) -> bool:
    """True if ``[L]point`` is the identity.  Not part of our policy (libsodium
    does not require it); used to classify test cases as "mixed order"."""
    return point * L == IDENTITY


BASE = _base_point()


def _small_order_ys() -> frozenset[int]:
    """The y-coordinates of the 8 points of order dividing 8.

    [L]Q lies in the 8-torsion for every Q (the group has order 8L); for a Q
    with a full order-8 component its multiples are all 8 torsion points.
    Found, not hard-coded, and checked in tests against ``has_small_order``.
    """
    for y in range(2, 100):
        x = _recover_x(y, 0)
        if x is None:
            continue
        torsion = Point.from_affine(x, y) * L
        multiples = [torsion * k for k in range(8)]
        if len(set(multiples)) == 8:
            return frozenset(m.affine()[1] for m in multiples)
    raise AssertionError("no point with an order-8 component found")


SMALL_ORDER_Y = _small_order_ys()


def is_small_order_y(y: int) -> bool:
    """True if the curve points with this y (either sign) have order dividing 8.

    Equivalent to :func:`has_small_order` for curve points, and needs no
    scalar multiplication; this is the form libsodium's blacklist takes.
    """
    return y % P in SMALL_ORDER_Y

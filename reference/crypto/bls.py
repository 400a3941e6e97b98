"""BLS signatures on BLS12-381: one interface, two interchangeable backends.

Ciphersuite ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`` of
draft-irtf-cfrg-bls-signature-05 (public keys in G1, 48 bytes; signatures in
G2, 96 bytes; proof-of-possession scheme).  spec/crypto.md §C.5-§C.9.

Why an interface with a backend registry: the reference backend (py_ecc,
pure Python, ~0.5 s per Verify) is readable and independent, the fast one
(blst through pyblst) is what the protocols run.  Both must return the same
answer for every input, including malformed bytes, so everything that is
*policy* rather than arithmetic lives here, once:

* input types and lengths, list lengths, empty lists (§C.9);
* the canonical byte rules of compressed points (§C.6): flags, the single
  infinity encoding, coordinates below p -- checked before a backend sees
  the bytes, so a lenient decoder cannot widen what we accept;
* KeyGen (§C.7.1), which is hashing only and has no backend-specific part;
* PopProve / PopVerify / BatchVerify, defined from the core operations.

What stays in each backend (:class:`BlsBackend` hooks): curve membership,
the subgroup checks, hashing to G2, the pairings, and the KeyValidate that
every aggregate operation applies to every key.  The py_ecc backend calls
py_ecc's own scheme functions; the blst backend builds them from blst's
group operations, so the two are independent where it matters and the
differential tests (tests/crypto/) compare real work.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence

from altledger.reference.errors import CryptoInputError, DecodeError

# -- §C.5 ciphersuite constants -------------------------------------------------

CIPHERSUITE_ID = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"
SIGN_DST = CIPHERSUITE_ID                       # DST of Sign / Verify / aggregates
POP_DST = b"BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"  # DST of PopProve / PopVerify
# The DST of the RFC 9380 hash_to_curve test vectors (J.10.1), used by the
# bls12-381-tests hash_to_G2 cases; never used to sign.
RFC9380_TEST_DST = b"QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_"

FIELD_MODULUS = int(
    "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab", 16)
CURVE_ORDER = int("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001", 16)

PUBLIC_KEY_SIZE = 48   # compressed G1
SIGNATURE_SIZE = 96    # compressed G2
SECRET_KEY_SIZE = 32   # big-endian integer in [1, r-1]
MIN_IKM_SIZE = 32      # draft-05 §2.3: IKM MUST be at least 32 bytes

# Compressed encoding of the G1 generator (ZCash format), for SkToPk.
G1_GENERATOR = bytes.fromhex(
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb")

# Byte 0 flag bits of a compressed point (§C.6.1).
FLAG_COMPRESSED = 0x80
FLAG_INFINITY = 0x40
FLAG_SIGN = 0x20

# §C.7.1 KeyGen salt: draft-05 makes it a parameter; we fix it to
# SHA-256("BLS-SIG-KEYGEN-SALT-"), which reproduces draft-04 (and py_ecc, blst_keygen).
KEYGEN_SALT = hashlib.sha256(b"BLS-SIG-KEYGEN-SALT-").digest()
KEYGEN_OKM_SIZE = 48   # L = ceil(3 * ceil(log2(r)) / 16)


# -- §C.6 canonical encodings ----------------------------------------------------

def check_point_bytes(data: bytes, group: str) -> bool:
    """The byte-level rules of §C.6 for a compressed G1 or G2 point.

    Returns True if ``data`` is *the* encoding of the point at infinity.
    Raises DecodeError naming the broken rule.  Curve membership and the
    subgroup check need arithmetic and are left to the backend.
    """
    size = PUBLIC_KEY_SIZE if group == "G1" else SIGNATURE_SIZE
    type_name = f"{group}Point"
    if len(data) != size:
        raise DecodeError(type_name, "length", min(len(data), size),
                          f"a compressed {group} point is {size} bytes, got {len(data)}")
    head = data[0]
    if not head & FLAG_COMPRESSED:
        raise DecodeError(type_name, "flags", 0, "compression flag (0x80) must be set")
    if head & FLAG_INFINITY:
        # §C.6.2: exactly one encoding of infinity, 0xc0 then zeros.
        if head & FLAG_SIGN:
            raise DecodeError(type_name, "flags", 0, "infinity must not carry the sign flag")
        if head & 0x1F or any(data[1:]):
            raise DecodeError(type_name, "x", 0, "infinity encoding must be 0xc0 followed by zero bytes")
        return True
    # §C.6.3: every coordinate is reduced, x < p.
    if group == "G1":
        if int.from_bytes(data, "big") & ((1 << 381) - 1) >= FIELD_MODULUS:
            raise DecodeError(type_name, "x", 0, "x is not reduced (x >= p)")
    else:
        if int.from_bytes(data[:48], "big") & ((1 << 381) - 1) >= FIELD_MODULUS:
            raise DecodeError(type_name, "x_im", 0, "x_im is not reduced (x_im >= p)")
        if int.from_bytes(data[48:], "big") >= FIELD_MODULUS:
            raise DecodeError(type_name, "x_re", 48, "x_re is not reduced (x_re >= p)")
    return False


def _fp_sign(value: int) -> int:
    """The "sign" of a field element in the ZCash encoding: 1 if value > (p-1)/2."""
    return int(value > (FIELD_MODULUS - 1) // 2)


def encode_g2_affine(x: tuple[int, int], y: tuple[int, int]) -> bytes:
    """The canonical compressed encoding of the affine G2 point (x, y).

    ``x`` and ``y`` are (real, imaginary) pairs.  The sign flag is the sign
    of y_im, or of y_re when y_im = 0 (§C.6.1).  Used to compare backends'
    hash_to_G2 output with vectors that give affine coordinates; refuses a
    pair that is not on E2: y^2 = x^3 + 4(1 + i), so a sign-only comparison
    cannot hide a wrong y.
    """
    p = FIELD_MODULUS

    def mul(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
        return ((a[0] * b[0] - a[1] * b[1]) % p, (a[0] * b[1] + a[1] * b[0]) % p)

    x_cubed = mul(mul(x, x), x)
    if mul(y, y) != ((x_cubed[0] + 4) % p, (x_cubed[1] + 4) % p):
        raise CryptoInputError("G2 point", "(x, y) is not on the curve y^2 = x^3 + 4(1+i)")
    sign = _fp_sign(y[1]) if y[1] else _fp_sign(y[0])
    head = x[1] | (1 << 383) | (sign << 381)
    return head.to_bytes(48, "big") + x[0].to_bytes(48, "big")


# -- §C.7 keys -------------------------------------------------------------------

def _bytes(what: str, value: object) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise CryptoInputError(what, f"expected bytes, got {type(value).__name__}")
    return bytes(value)


def _hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def _hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def KeyGen(ikm: bytes, key_info: bytes = b"") -> int:  # noqa: N802 - spec name
    """§C.7.1 (draft-05 §2.3): a secret key in [1, r-1] from >= 32 bytes of key material."""
    ikm = _bytes("BLS IKM", ikm)
    key_info = _bytes("BLS key_info", key_info)
    if len(ikm) < MIN_IKM_SIZE:
        raise CryptoInputError("BLS IKM", f"must be at least {MIN_IKM_SIZE} bytes, got {len(ikm)}")
    salt = KEYGEN_SALT
    while True:
        prk = _hkdf_extract(salt, ikm + b"\x00")
        okm = _hkdf_expand(prk, key_info + KEYGEN_OKM_SIZE.to_bytes(2, "big"), KEYGEN_OKM_SIZE)
        secret = int.from_bytes(okm, "big") % CURVE_ORDER
        if secret:
            return secret
        salt = hashlib.sha256(salt).digest()


def check_secret_key(secret_key: object) -> int:
    """§C.7.2: a secret key is an int in [1, r-1]; anything else is a CryptoInputError."""
    if not isinstance(secret_key, int) or isinstance(secret_key, bool):
        raise CryptoInputError("BLS secret key", f"expected int, got {type(secret_key).__name__}")
    if not 0 < secret_key < CURVE_ORDER:
        raise CryptoInputError("BLS secret key", "must be in [1, r-1]")
    return secret_key


def secret_key_from_bytes(data: bytes) -> int:
    """§C.7.2: 32 bytes big-endian, value in [1, r-1]."""
    data = _bytes("BLS secret key", data)
    if len(data) != SECRET_KEY_SIZE:
        raise CryptoInputError("BLS secret key", f"expected {SECRET_KEY_SIZE} bytes, got {len(data)}")
    return check_secret_key(int.from_bytes(data, "big"))


def secret_key_to_bytes(secret_key: int) -> bytes:
    return check_secret_key(secret_key).to_bytes(SECRET_KEY_SIZE, "big")


def check_dst(dst: object) -> bytes:
    """§C.5.2: a domain separation tag is 1..255 bytes (RFC 9380 §3.1)."""
    dst = _bytes("hash_to_G2 DST", dst)
    if not 0 < len(dst) <= 255:
        raise CryptoInputError("hash_to_G2 DST", f"must be 1..255 bytes, got {len(dst)}")
    return dst


# -- §C.8 / §C.9 the scheme, over a backend ------------------------------------

def _passes_byte_rules(data: bytes, group: str) -> bool:
    try:
        check_point_bytes(data, group)
    except DecodeError:
        return False
    return True


def _byte_list(what: str, values: object) -> list[bytes]:
    if isinstance(values, (bytes, bytearray, str)) or not isinstance(values, Sequence):
        raise CryptoInputError(what, f"expected a list of byte strings, got {type(values).__name__}")
    return [_bytes(f"{what}[{i}]", v) for i, v in enumerate(values)]


class BlsBackend(ABC):
    """The BLS API of spec/crypto.md §C.8, with the shared policy applied.

    Public methods carry the draft-05 names and do the input checks of
    §C.9; subclasses implement only the ``_hooks``.  A hook receives
    byte strings that already passed the §C.6 byte rules (lengths, flags,
    x < p) and must itself do curve membership, subgroup checks and, where
    the hook's docstring says so, KeyValidate.
    """

    name: str = ""

    KeyGen = staticmethod(KeyGen)

    # ---- hooks ---------------------------------------------------------------

    @abstractmethod
    def _decode_g1(self, data: bytes) -> object:
        """The G1 point of ``data`` (infinity allowed); DecodeError if off-curve or not in G1."""

    @abstractmethod
    def _decode_g2(self, data: bytes) -> object:
        """The G2 point of ``data`` (infinity allowed); DecodeError if off-curve or not in G2."""

    @abstractmethod
    def _key_validate(self, public_key: bytes) -> bool:
        """draft-05 §2.5 KeyValidate: decodes, in G1, not the identity."""

    @abstractmethod
    def _sk_to_pk(self, secret_key: int) -> bytes:
        """[sk]G1, compressed; ``secret_key`` is already in [1, r-1]."""

    @abstractmethod
    def _core_sign(self, secret_key: int, message: bytes, dst: bytes) -> bytes:
        """draft-05 §2.6 CoreSign: [sk]hash_to_G2(message, dst), compressed."""

    @abstractmethod
    def _core_verify(self, public_key: bytes, message: bytes, signature: bytes, dst: bytes) -> bool:
        """draft-05 §2.7 CoreVerify, including KeyValidate(PK) and the signature subgroup check."""

    @abstractmethod
    def _aggregate(self, signatures: list[bytes]) -> bytes:
        """Sum of n >= 1 signatures; DecodeError if any is off-curve or outside G2."""

    @abstractmethod
    def _core_aggregate_verify(self, public_keys: list[bytes], messages: list[bytes],
                               signature: bytes, dst: bytes) -> bool:
        """draft-05 §2.9 CoreAggregateVerify (n >= 1, equal lengths), KeyValidate on every key."""

    @abstractmethod
    def _fast_aggregate_verify(self, public_keys: list[bytes], message: bytes, signature: bytes) -> bool:
        """draft-05 §3.3.4 with KeyValidate on every key (§C.8.7) and on the aggregate key."""

    @abstractmethod
    def _hash_to_g2(self, message: bytes, dst: bytes) -> bytes:
        """RFC 9380 hash_to_curve (BLS12381G2_XMD:SHA-256_SSWU_RO_), compressed."""

    # ---- §C.6 deserialisation ---------------------------------------------------

    def check_g1(self, data: bytes) -> None:
        """§C.6: accept exactly the canonical encodings of G1 points (infinity included)."""
        data = _bytes("G1 point", data)
        check_point_bytes(data, "G1")
        self._decode_g1(data)

    def check_g2(self, data: bytes) -> None:
        """§C.6: accept exactly the canonical encodings of G2 points (infinity included)."""
        data = _bytes("G2 point", data)
        check_point_bytes(data, "G2")
        self._decode_g2(data)

    # ---- §C.8 operations -------------------------------------------------------------

    def SkToPk(self, secret_key: int) -> bytes:  # noqa: N802
        """§C.8.1: the 48-byte public key of ``secret_key``."""
        return self._sk_to_pk(check_secret_key(secret_key))

    def KeyValidate(self, public_key: bytes) -> bool:  # noqa: N802
        """§C.8.2: True iff ``public_key`` is a canonical, non-identity G1 subgroup point."""
        public_key = _bytes("BLS public key", public_key)
        return _passes_byte_rules(public_key, "G1") and self._key_validate(public_key)

    def Sign(self, secret_key: int, message: bytes) -> bytes:  # noqa: N802
        """§C.8.3: the 96-byte signature of ``message`` under SIGN_DST."""
        return self._core_sign(check_secret_key(secret_key), _bytes("BLS message", message), SIGN_DST)

    def Verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:  # noqa: N802
        """§C.8.4: True iff ``signature`` is ``public_key``'s signature of ``message``."""
        public_key = _bytes("BLS public key", public_key)
        message = _bytes("BLS message", message)
        signature = _bytes("BLS signature", signature)
        if not (_passes_byte_rules(public_key, "G1") and _passes_byte_rules(signature, "G2")):
            return False
        return self._core_verify(public_key, message, signature, SIGN_DST)

    def Aggregate(self, signatures: Sequence[bytes]) -> bytes:  # noqa: N802
        """§C.8.5: the sum of n >= 1 canonical G2 subgroup signatures.

        Unlike the verify functions this *raises* CryptoInputError on bad
        input: there is no boolean to return, and an aggregate built from a
        bad signature must never be produced.
        """
        signatures = _byte_list("BLS signatures", signatures)
        if not signatures:
            raise CryptoInputError("BLS signatures", "Aggregate needs at least one signature")
        try:
            for signature in signatures:
                check_point_bytes(signature, "G2")
            return self._aggregate(signatures)
        except DecodeError as err:
            raise CryptoInputError("BLS signatures", f"not a valid signature: {err}") from err

    def AggregateVerify(self, public_keys: Sequence[bytes], messages: Sequence[bytes],  # noqa: N802
                        signature: bytes) -> bool:
        """§C.8.6: n >= 1 (key, message) pairs, one aggregate signature; messages need not differ."""
        public_keys = _byte_list("BLS public keys", public_keys)
        messages = _byte_list("BLS messages", messages)
        signature = _bytes("BLS signature", signature)
        if not public_keys or len(public_keys) != len(messages):
            return False
        if not (all(_passes_byte_rules(pk, "G1") for pk in public_keys)
                and _passes_byte_rules(signature, "G2")):
            return False
        return self._core_aggregate_verify(public_keys, messages, signature, SIGN_DST)

    def FastAggregateVerify(self, public_keys: Sequence[bytes], message: bytes,  # noqa: N802
                            signature: bytes) -> bool:
        """§C.8.7: n >= 1 PoP-checked keys, one message, one aggregate signature."""
        public_keys = _byte_list("BLS public keys", public_keys)
        message = _bytes("BLS message", message)
        signature = _bytes("BLS signature", signature)
        if not public_keys:
            return False
        if not (all(_passes_byte_rules(pk, "G1") for pk in public_keys)
                and _passes_byte_rules(signature, "G2")):
            return False
        return self._fast_aggregate_verify(public_keys, message, signature)

    def PopProve(self, secret_key: int) -> bytes:  # noqa: N802
        """§C.8.8: the proof of possession, a signature of SkToPk(sk) under POP_DST."""
        secret_key = check_secret_key(secret_key)
        return self._core_sign(secret_key, self._sk_to_pk(secret_key), POP_DST)

    def PopVerify(self, public_key: bytes, proof: bytes) -> bool:  # noqa: N802
        """§C.8.8: True iff ``proof`` is a valid proof of possession for ``public_key``."""
        public_key = _bytes("BLS public key", public_key)
        proof = _bytes("BLS proof", proof)
        if not (_passes_byte_rules(public_key, "G1") and _passes_byte_rules(proof, "G2")):
            return False
        return self._core_verify(public_key, public_key, proof, POP_DST)

    def BatchVerify(self, public_keys: Sequence[bytes], messages: Sequence[bytes],  # noqa: N802
                    signatures: Sequence[bytes]) -> bool:
        """§C.8.9: n >= 1 independent (key, message, signature) triples, all valid."""
        public_keys = _byte_list("BLS public keys", public_keys)
        messages = _byte_list("BLS messages", messages)
        signatures = _byte_list("BLS signatures", signatures)
        if not public_keys or not len(public_keys) == len(messages) == len(signatures):
            return False
        return all(self.Verify(pk, m, s) for pk, m, s in zip(public_keys, messages, signatures))

    def hash_to_G2(self, message: bytes, dst: bytes) -> bytes:  # noqa: N802
        """§C.5.2: RFC 9380 hash_to_curve into G2 with a caller-chosen DST, compressed."""
        return self._hash_to_g2(_bytes("hash_to_G2 message", message), check_dst(dst))


# -- backend registry --------------------------------------------------------------

# name -> (module, class).  Imported lazily: py_ecc and pyblst load only when used.
BACKENDS: dict[str, tuple[str, str]] = {
    "py_ecc": ("altledger.reference.crypto.bls_py_ecc", "PyEccBackend"),
    "blst": ("altledger.fast.crypto.bls_blst", "BlstBackend"),
}
REFERENCE_BACKEND = "py_ecc"
# The protocols' default: the backends are conformance-identical, blst is ~300x faster.
DEFAULT_BACKEND = "blst"
BACKEND_ENV = "ALTLEDGER_BLS_BACKEND"

_instances: dict[str, BlsBackend] = {}


def get_backend(name: str | None = None) -> BlsBackend:
    """The backend called ``name`` (default: $ALTLEDGER_BLS_BACKEND, else blst)."""
    name = name or os.environ.get(BACKEND_ENV) or DEFAULT_BACKEND
    if name not in BACKENDS:
        raise CryptoInputError("BLS backend", f"unknown backend {name!r}; choose one of {sorted(BACKENDS)}")
    if name not in _instances:
        module, cls = BACKENDS[name]
        _instances[name] = getattr(importlib.import_module(module), cls)()
    return _instances[name]

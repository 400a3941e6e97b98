"""Fast BLS backend: blst through pyblst 0.3.15 (spec/crypto.md §C.8).

pyblst exposes only group operations (it was written for Cardano's Plutus
built-ins), so the scheme is assembled here from them, one draft-05
procedure per method.  What pyblst gives us, as measured by
tests/crypto/test_crypto_blst_quirks.py:

* ``BlstPnElement.uncompress`` = ``blst_pn_uncompress`` followed by
  ``blst_pn_in_gn``: it rejects bad flags, x >= p, infinity with stray bits,
  off-curve x *and* points outside the prime-order subgroup.  The shared byte
  rules in :mod:`altledger.reference.crypto.bls` run first anyway, so our
  accepted set does not depend on that.
* ``scalar_mul(k)`` reduces k mod r first, so ``[r]P`` is always the
  identity and cannot serve as a subgroup test -- we rely on uncompress.
* ``hash_to_group(msg, dst)`` takes the *message first* (checked against the
  RFC 9380 vectors); it refuses DSTs over 255 bytes, as does our interface.
* ``miller_loop(P1, P2)`` then ``final_verify(a, b)`` tests
  ``e(a) == e(b)`` after the final exponentiation.  A Miller loop with the
  identity on either side yields 1, so e(O, H(m)) == e(G1, O) "verifies":
  the identity must be kept out by KeyValidate, which is done explicitly
  below for every key, including the aggregate key of FastAggregateVerify.
"""

from __future__ import annotations

from functools import lru_cache

from pyblst import BlstP1Element, BlstP2Element, final_verify, miller_loop

from altledger.reference.crypto.bls import G1_GENERATOR, SIGN_DST, BlsBackend
from altledger.reference.errors import DecodeError

_G1_GENERATOR = BlstP1Element.uncompress(G1_GENERATOR)
_G1_IDENTITY = BlstP1Element()   # pyblst's default element is the identity
_G2_IDENTITY = BlstP2Element()


# KeyValidate is a pure function of the 48 key bytes, and the same validator
# keys appear in every certificate, so validated points are memoised.  This
# changes no answer: a cached entry is exactly what _validated_key would
# compute again (None for an invalid key).
KEY_CACHE_SIZE = 8192


def _uncompress(element: type, data: bytes, group: str) -> object:
    """Decode with curve *and* subgroup check; pyblst raises ValueError("blst error ...")."""
    try:
        return element.uncompress(data)
    except ValueError as err:
        raise DecodeError(f"{group}Point", "point", 0, str(err)) from None


@lru_cache(maxsize=KEY_CACHE_SIZE)
def _validated_key_point(public_key: bytes) -> BlstP1Element | None:
    try:
        point = _uncompress(BlstP1Element, public_key, "G1")   # on curve and in G1
    except DecodeError:
        return None
    return None if point == _G1_IDENTITY else point


class BlstBackend(BlsBackend):
    """draft-05's POP scheme on blst's group operations."""

    name = "blst"

    def _decode_g1(self, data: bytes) -> BlstP1Element:
        return _uncompress(BlstP1Element, data, "G1")

    def _decode_g2(self, data: bytes) -> BlstP2Element:
        return _uncompress(BlstP2Element, data, "G2")

    def _validated_key(self, public_key: bytes) -> BlstP1Element | None:
        """KeyValidate (draft-05 §2.5) returning the point, or None if invalid."""
        return _validated_key_point(public_key)

    @staticmethod
    def clear_key_cache() -> None:
        """Forget memoised keys (benchmarks use it to time the cold path)."""
        _validated_key_point.cache_clear()

    def _validated_signature(self, signature: bytes) -> BlstP2Element | None:
        """signature_to_point + signature_subgroup_check (draft-05 §2.7 steps 1-3)."""
        try:
            return self._decode_g2(signature)
        except DecodeError:
            return None

    def _key_validate(self, public_key: bytes) -> bool:
        return self._validated_key(public_key) is not None

    def _sk_to_pk(self, secret_key: int) -> bytes:
        return _G1_GENERATOR.scalar_mul(secret_key).compress()

    def _core_sign(self, secret_key: int, message: bytes, dst: bytes) -> bytes:
        return BlstP2Element.hash_to_group(message, dst).scalar_mul(secret_key).compress()

    def _pairing_check(self, terms: list[tuple[BlstP1Element, BlstP2Element]],
                       signature: BlstP2Element) -> bool:
        """prod_i e(P_i, Q_i) == e(G1, signature), with one final exponentiation."""
        product = None
        for p1, p2 in terms:
            loop = miller_loop(p1, p2)
            product = loop if product is None else product * loop
        return final_verify(product, miller_loop(_G1_GENERATOR, signature))

    def _core_verify(self, public_key: bytes, message: bytes, signature: bytes, dst: bytes) -> bool:
        sig_point = self._validated_signature(signature)
        key_point = self._validated_key(public_key)
        if sig_point is None or key_point is None:
            return False
        return self._pairing_check([(key_point, BlstP2Element.hash_to_group(message, dst))], sig_point)

    def _aggregate(self, signatures: list[bytes]) -> bytes:
        total = _G2_IDENTITY
        for signature in signatures:
            total = total + self._decode_g2(signature)   # subgroup-checked by uncompress
        return total.compress()

    def _core_aggregate_verify(self, public_keys: list[bytes], messages: list[bytes],
                               signature: bytes, dst: bytes) -> bool:
        sig_point = self._validated_signature(signature)
        if sig_point is None:
            return False
        terms = []
        for public_key, message in zip(public_keys, messages):
            key_point = self._validated_key(public_key)
            if key_point is None:
                return False
            terms.append((key_point, BlstP2Element.hash_to_group(message, dst)))
        return self._pairing_check(terms, sig_point)

    def _fast_aggregate_verify(self, public_keys: list[bytes], message: bytes, signature: bytes) -> bool:
        # §C.8.7: every key is KeyValidated (an identity key would otherwise
        # be a free pass -- the blspy pitfall), then the sum is KeyValidated
        # again as CoreVerify requires (keys that cancel out are refused).
        aggregate = _G1_IDENTITY
        for public_key in public_keys:
            key_point = self._validated_key(public_key)
            if key_point is None:
                return False
            aggregate = aggregate + key_point
        if aggregate == _G1_IDENTITY:
            return False
        sig_point = self._validated_signature(signature)
        if sig_point is None:
            return False
        return self._pairing_check([(aggregate, BlstP2Element.hash_to_group(message, SIGN_DST))],
                                   sig_point)

    def _hash_to_g2(self, message: bytes, dst: bytes) -> bytes:
        return BlstP2Element.hash_to_group(message, dst).compress()

"""Reference BLS backend: py_ecc 8.0.0, pure Python (spec/crypto.md §C.8).

Why py_ecc: it is the readable implementation the Ethereum specs are
executed with, and its ``G2ProofOfPossession`` already implements the
draft's scheme functions, so this backend only adapts names and errors.
Slow (~0.5 s per Verify on a 2.1 GHz Xeon): ``altledger verify`` runs it on
every external vector, ``make test`` on a sample.

Where py_ecc's behaviour is *not* our policy we say so and fix it here:

* ``G2ProofOfPossession.Aggregate`` does not subgroup-check its inputs;
  §C.8.5 requires it, so :meth:`PyEccBackend._aggregate` decodes each
  signature with the check and adds the points itself.
* py_ecc signals bad encodings with ``ValueError``/``ValidationError``;
  they become :class:`DecodeError` here.
"""

from __future__ import annotations

from hashlib import sha256

from eth_utils import ValidationError
from py_ecc.bls import G2ProofOfPossession as Scheme
from py_ecc.bls.g2_primitives import (
    G2_to_signature,
    pubkey_to_G1,
    signature_to_G2,
    subgroup_check,
)
from py_ecc.bls.hash_to_curve import hash_to_G2
from py_ecc.optimized_bls12_381 import Z2, add

from altledger.reference.crypto.bls import BlsBackend
from altledger.reference.errors import DecodeError

_PY_ECC_ERRORS = (ValueError, ValidationError, AssertionError)


def _decode(data: bytes, group: str) -> object:
    """Decompress (flags, x < p, on the curve) then subgroup-check: draft-05 §2.5's checks."""
    decompress = pubkey_to_G1 if group == "G1" else signature_to_G2
    try:
        point = decompress(data)
    except _PY_ECC_ERRORS as err:
        raise DecodeError(f"{group}Point", "point", 0, f"py_ecc: {err}") from None
    if not subgroup_check(point):
        raise DecodeError(f"{group}Point", "point", 0, f"not in the prime-order subgroup {group}")
    return point


class PyEccBackend(BlsBackend):
    """py_ecc's G2ProofOfPossession behind the :class:`BlsBackend` interface."""

    name = "py_ecc"

    def _decode_g1(self, data: bytes) -> object:
        return _decode(data, "G1")

    def _decode_g2(self, data: bytes) -> object:
        return _decode(data, "G2")

    def _key_validate(self, public_key: bytes) -> bool:
        return Scheme.KeyValidate(public_key)

    def _sk_to_pk(self, secret_key: int) -> bytes:
        return Scheme.SkToPk(secret_key)

    def _core_sign(self, secret_key: int, message: bytes, dst: bytes) -> bytes:
        return Scheme._CoreSign(secret_key, message, dst)

    def _core_verify(self, public_key: bytes, message: bytes, signature: bytes, dst: bytes) -> bool:
        # py_ecc's _CoreVerify runs KeyValidate (through the PoP variant of
        # _is_valid_pubkey) and the signature subgroup check before pairing.
        return Scheme._CoreVerify(public_key, message, signature, dst)

    def _aggregate(self, signatures: list[bytes]) -> bytes:
        total = Z2
        for signature in signatures:
            total = add(total, _decode(signature, "G2"))
        return G2_to_signature(total)

    def _core_aggregate_verify(self, public_keys: list[bytes], messages: list[bytes],
                               signature: bytes, dst: bytes) -> bool:
        return Scheme._CoreAggregateVerify(public_keys, messages, signature, dst)

    def _fast_aggregate_verify(self, public_keys: list[bytes], message: bytes, signature: bytes) -> bool:
        # py_ecc KeyValidates every key (its PoP _is_valid_pubkey) and, through
        # Verify, the aggregate key: an all-cancelling set is rejected.
        return Scheme.FastAggregateVerify(public_keys, message, signature)

    def _hash_to_g2(self, message: bytes, dst: bytes) -> bytes:
        return G2_to_signature(hash_to_G2(message, dst, sha256))

"""altledger's crypto layer (spec/crypto.md): Ed25519, BLS12-381, tagged hashing.

Public API, by concern:

* Ed25519 with an explicit acceptance policy (§C.2-§C.4):
  :func:`ed25519_keypair`, :func:`ed25519_sign`, :func:`ed25519_verify`,
  :func:`ed25519_rejection_reason`.
* BLS signatures, ciphersuite ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_``
  (§C.5-§C.9): :func:`get_bls_backend` returns an object with the draft-05
  operations (``KeyGen``, ``SkToPk``, ``KeyValidate``, ``Sign``, ``Verify``,
  ``Aggregate``, ``AggregateVerify``, ``FastAggregateVerify``, ``PopProve``,
  ``PopVerify``, ``BatchVerify``, ``hash_to_G2``, ``check_g1``, ``check_g2``)
  from the reference (``"py_ecc"``) or fast (``"blst"``) backend.
* Domain-separated hashing (§C.10) lives in :mod:`altledger.reference.hashing`.

Submodules are imported lazily by the BLS registry, so importing this
package does not load py_ecc or pyblst.
"""

from altledger.reference.crypto.bls import (
    CIPHERSUITE_ID,
    POP_DST,
    SIGN_DST,
    BlsBackend,
    KeyGen as bls_key_gen,
    get_backend as get_bls_backend,
    secret_key_from_bytes as bls_secret_key_from_bytes,
    secret_key_to_bytes as bls_secret_key_to_bytes,
)
from altledger.reference.crypto.ed25519 import (
    Ed25519KeyPair,
    Rejection as Ed25519Rejection,
    keypair_from_seed as ed25519_keypair,
    rejection_reason as ed25519_rejection_reason,
    sign as ed25519_sign,
    verify as ed25519_verify,
)

__all__ = [
    "CIPHERSUITE_ID", "POP_DST", "SIGN_DST", "BlsBackend", "bls_key_gen", "get_bls_backend",
    "bls_secret_key_from_bytes", "bls_secret_key_to_bytes",
    "Ed25519KeyPair", "Ed25519Rejection", "ed25519_keypair", "ed25519_rejection_reason",
    "ed25519_sign", "ed25519_verify",
]

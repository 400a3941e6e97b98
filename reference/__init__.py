"""altledger reference implementations.

Minimal, readable Python that follows the normative prose in ``spec/``
clause by clause.  The shared foundations used by *both* the reference and the
fast implementations also live here, once: typed errors
(:mod:`altledger.reference.errors`), hashing (:mod:`~altledger.reference.hashing`),
the canonical encoding (:mod:`~altledger.reference.encoding`) and the crypto
interfaces (:mod:`~altledger.reference.crypto`).  The reference codec *is* the
canonical codec; ``altledger.fast`` imports it rather than re-implementing it.
"""

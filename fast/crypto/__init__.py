"""Fast crypto backends.  They implement interfaces defined once in
:mod:`altledger.reference.crypto` (e.g. :class:`~altledger.reference.crypto.bls.BlsBackend`)
and must give the reference backends' answers for every input."""

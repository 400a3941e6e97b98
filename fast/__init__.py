"""altledger fast implementations.

Optimised (Numba, NumPy, multiprocessing, native crypto) implementations that
must give exactly the reference's results.  Every trick carries a comment
saying what it computes in the reference's terms.  Types, codecs and crypto
interfaces are imported from :mod:`altledger.reference`, never duplicated.
"""

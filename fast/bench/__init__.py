"""``altledger bench``: speed measurements of reference vs fast implementations.

:mod:`altledger.fast.bench.timing` holds the helpers every benchmark shares
(repeat a callable, median/min/max, machine description, JSON/table
output); each area adds a sub-command to :mod:`altledger.fast.bench.cli`.
Speed targets live here, never in timed unit tests.
"""

"""ethereum/bls12-381-tests on both BLS backends (spec/crypto.md §C.5-§C.9).

blst runs every case of both suites.  py_ecc (~0.5 s per pairing check) runs
a deterministic sample here -- every case of the cheap handlers and every
third case (in name order) of the pairing-heavy ones -- and every case in
``altledger verify`` (check "BLS vectors bls-*, py_ecc").
"""

from __future__ import annotations

import pytest

from altledger.reference.crypto.bls_vectors import HANDLERS, BlsCase, load_cases, run_case
from altledger.reference.crypto.bls import get_backend
from altledger.reference.crypto.vectors import BLS_SUITES

SUITES = sorted(BLS_SUITES)
# Handlers whose cases each need one or more pairings or hash_to_G2 + a scalar
# multiplication in pure Python; sampled for py_ecc in `make test`.
PAIRING_HEAVY = {"verify", "fast_aggregate_verify", "batch_verify", "sign"}


def py_ecc_sample(cases: list[BlsCase]) -> list[BlsCase]:
    if not cases or cases[0].handler not in PAIRING_HEAVY:
        return cases
    return cases[::3]


def _failures(backend_name: str, cases: list[BlsCase]) -> list[str]:
    backend = get_backend(backend_name)
    results = [run_case(backend, case) for case in cases]
    return [f"{r.handler}/{r.name}: {r.detail}" for r in results if not r.passed]


@pytest.mark.parametrize("suite", SUITES)
def test_suite_holds_the_number_of_cases_the_index_lists(external_vectors, suite):
    cases = load_cases(suite, external_vectors)
    assert len(cases) == BLS_SUITES[suite][1]
    assert {c.handler for c in cases} == set(HANDLERS)


@pytest.mark.parametrize("handler", HANDLERS)
@pytest.mark.parametrize("suite", SUITES)
def test_blst_passes_every_case(external_vectors, suite, handler):
    cases = load_cases(suite, external_vectors, [handler])
    assert cases, f"no {handler} cases in {suite}"
    assert not _failures("blst", cases)


@pytest.mark.parametrize("handler", HANDLERS)
@pytest.mark.parametrize("suite", SUITES)
def test_py_ecc_passes_deterministic_sample(external_vectors, suite, handler):
    sample = py_ecc_sample(load_cases(suite, external_vectors, [handler]))
    assert sample
    assert not _failures("py_ecc", sample)


def test_sample_contains_accepting_and_rejecting_cases(external_vectors):
    """A sample of only failing cases would let a backend that says no to everything pass."""
    for suite in SUITES:
        for handler in PAIRING_HEAVY - {"sign"}:
            outputs = {c.output for c in py_ecc_sample(load_cases(suite, external_vectors, [handler]))}
            assert outputs == {True, False}, (suite, handler, outputs)

"""Differential test: our explicit Ed25519 policy == raw libsodium, on edge cases.

Three verdicts must agree on every generated triple:

* raw libsodium (``crypto_sign_open``, none of our checks);
* :func:`ed25519.verify` (our checks, then libsodium for the equation);
* ``rejection_reason(..., pure_python=True)`` (our checks, equation in Python).

The third is the one that can expose a missing rule: in the second, libsodium
would still catch it.  The generated triples (crypto_ed25519_edges) include
forgeries whose equation *holds*, so a missing or over-eager rule flips a
verdict.  The mutant tests below inject such bugs and require the property
to fail -- the evidence that this test can fail at all.
"""

from __future__ import annotations

import pytest
from crypto_ed25519_edges import edge_triples, libsodium_accepts
from hypothesis import HealthCheck, Phase, given, settings

from altledger.reference.crypto import ed25519
from altledger.reference.crypto.edwards25519 import is_in_prime_order_subgroup


def verdicts_agree(pk: bytes, msg: bytes, sig: bytes) -> None:
    raw = libsodium_accepts(pk, msg, sig)
    ours = ed25519.verify(pk, msg, sig)
    independent = ed25519.rejection_reason(pk, msg, sig, pure_python=True)
    assert raw == ours == (independent is None), (
        f"libsodium={raw} ours={ours} pure-python={independent} "
        f"pk={pk.hex()} msg={msg.hex()} sig={sig.hex()}")


@given(edge_triples())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_policy_agrees_with_raw_libsodium(triple):
    verdicts_agree(*triple)


def _search_for_disagreement(max_examples: int) -> None:
    """Run the property without shrinking (the mutants only need *a* failure)."""
    @settings(max_examples=max_examples, phases=[Phase.generate], derandomize=True, database=None,
              report_multiple_bugs=False, suppress_health_check=list(HealthCheck))
    @given(edge_triples())
    def run(triple):
        verdicts_agree(*triple)
    run()


MUTANTS = {
    # The rule that stops forgeries under small-order keys and nonces, removed.
    "no small-order check": ("has_small_order", lambda point: False),
    # An over-eager rule: refusing mixed-order keys, which libsodium accepts.
    "rejects mixed-order A": ("has_small_order", lambda point: not is_in_prime_order_subgroup(point)),
    # S >= L allowed: S and S + L would both verify (malleability).
    "no S < L check": ("is_reduced_scalar", lambda s_bytes: True),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_differential_test_catches_mutant(monkeypatch, mutant):
    attribute, replacement = MUTANTS[mutant]
    monkeypatch.setattr(ed25519, attribute, replacement)
    with pytest.raises(AssertionError, match="libsodium="):
        _search_for_disagreement(max_examples=300)

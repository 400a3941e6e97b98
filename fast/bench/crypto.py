"""``altledger bench crypto``: the cost of signature checks, reference vs fast.

Measured (seconds per call, median of ``--runs`` runs):

* Ed25519 verify under our policy (explicit checks + libsodium), raw
  libsodium verify (the price of making the policy explicit), Ed25519 sign;
* BLS Sign, Verify, FastAggregateVerify and Aggregate with ``--signers``
  keys, on each backend.  Verify and FastAggregateVerify are timed cold
  (every key decoded and subgroup-checked); blst's memoised-key path, which
  is what a validator set seen before costs, is reported separately.

Every benchmarked call is first run once and its answer checked (a Verify
that returned False would time the rejection path, not verification).
"""

from __future__ import annotations

from collections.abc import Callable

import click
from rich.console import Console

from altledger.fast.bench.timing import Timing, emit, machine_description, measure
from altledger.reference.errors import AltledgerError, ToolError

LIBRARIES = ["pynacl", "py_ecc", "pyblst"]
# Calls per timed run: enough to make a run last well over the timer resolution.
INNER = {"ed25519": 200, "blst": 20, "blst_aggregate": 3, "py_ecc": 1}


def _expect(value: object, wanted: object, what: str) -> None:
    if value != wanted:
        raise ToolError(f"benchmark set-up: {what} returned {value!r}, expected {wanted!r}")


def ed25519_timings(runs: int) -> list[Timing]:
    from nacl.bindings import crypto_sign_open

    from altledger.reference.crypto import ed25519

    seed, message = bytes(range(32)), b"altledger benchmark message"
    public_key = ed25519.keypair_from_seed(seed).public_key
    signature = ed25519.sign(seed, message)
    _expect(ed25519.verify(public_key, message, signature), True, "Ed25519 verify")
    n = INNER["ed25519"]
    return [
        measure("Ed25519 verify (policy §C.3)", "pynacl + explicit checks",
                lambda: ed25519.verify(public_key, message, signature), runs=runs, inner=n),
        measure("Ed25519 verify (raw libsodium)", "pynacl",
                lambda: crypto_sign_open(signature + message, public_key), runs=runs, inner=n),
        measure("Ed25519 sign", "pynacl", lambda: ed25519.sign(seed, message), runs=runs, inner=n),
    ]


def bls_timings(backend_name: str, runs: int, signers: int,
                progress: Callable[[str], None]) -> list[Timing]:
    from altledger.reference.crypto.bls import KeyGen, get_backend

    fast = get_backend("blst")   # set-up data is made quickly, then checked by the measured backend
    backend = get_backend(backend_name)
    secret_keys = [KeyGen(i.to_bytes(32, "big")) for i in range(1, signers + 1)]
    public_keys = [fast.SkToPk(sk) for sk in secret_keys]
    message = b"block 42"
    signatures = [fast.Sign(sk, message) for sk in secret_keys]
    aggregate = fast.Aggregate(signatures)
    progress(f"checking {backend_name} answers before timing")
    _expect(backend.Verify(public_keys[0], message, signatures[0]), True, f"{backend_name} Verify")
    _expect(backend.FastAggregateVerify(public_keys, message, aggregate), True,
            f"{backend_name} FastAggregateVerify")
    n = INNER["blst"] if backend_name == "blst" else INNER["py_ecc"]
    n_agg = INNER["blst_aggregate"] if backend_name == "blst" else INNER["py_ecc"]
    clear = getattr(backend, "clear_key_cache", None)

    def cold(call: Callable[[], object]) -> Callable[[], object]:
        """The call with the backend's key cache (if any) emptied first."""
        return (lambda: (clear(), call())) if clear else call

    def fav() -> object:
        return backend.FastAggregateVerify(public_keys, message, aggregate)

    cases = [
        ("BLS Sign", lambda: backend.Sign(secret_keys[0], message), n),
        ("BLS Verify", cold(lambda: backend.Verify(public_keys[0], message, signatures[0])), n),
        (f"BLS FastAggregateVerify ({signers} signers)", cold(fav), n_agg),
        (f"BLS Aggregate ({signers} signatures)", lambda: backend.Aggregate(signatures), n_agg),
    ]
    if clear:
        cases.insert(3, (f"BLS FastAggregateVerify ({signers} signers, keys cached)", fav, n_agg))
    timings = []
    for operation, call, inner in cases:
        progress(f"{operation} on {backend_name}")
        timings.append(measure(operation, backend_name, call, runs=runs, inner=inner,
                               notes={"signers": signers} if "signers" in operation or "signatures" in operation
                               else {}))
    return timings


@click.command("crypto")
@click.option("--runs", type=click.IntRange(1, 1000), default=5, show_default=True,
              help="Timed runs per operation; the median is reported.")
@click.option("--signers", type=click.IntRange(1, 10_000), default=100, show_default=True,
              help="Keys in FastAggregateVerify / signatures in Aggregate.")
@click.option("--backend", type=click.Choice(["py_ecc", "blst", "all"]), default="all", show_default=True,
              help="BLS backend(s); py_ecc needs about a minute at the defaults.")
@click.option("--json", "as_json", is_flag=True, help="Print results and machine description as JSON.")
def crypto_bench(runs: int, signers: int, backend: str, as_json: bool) -> None:
    """Time Ed25519 verify/sign and BLS Sign/Verify/FastAggregateVerify/Aggregate."""
    console = Console(stderr=True)
    status = console.status("") if console.is_terminal else None
    progress = status.update if status else (lambda message: None)
    if status:
        status.start()
    try:
        progress("Ed25519")
        timings = ed25519_timings(runs)
        for name in (["blst", "py_ecc"] if backend == "all" else [backend]):
            timings += bls_timings(name, runs, signers, progress)
    except AltledgerError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(2) from None
    finally:
        if status:
            status.stop()
    emit("crypto", timings, machine_description(LIBRARIES), as_json=as_json)

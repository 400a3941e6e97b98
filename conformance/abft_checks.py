"""``altledger verify`` provider for the hashgraph conformance suite and its TLC trace validation.

Checks:

* the suite checks every conformance suite gets
  (:mod:`altledger.conformance.suite_checks`): the vectors are valid and
  equal to a fresh generation; the reference and the fast implementation pass
  every vector through the subprocess runner; every broken client
  (:mod:`altledger.conformance.abft_broken`) fails on the vectors it must fail;
* seeded gossip runs, with and without forking members, projected onto
  ``tla/ABFT.tla`` by the reference's own projection
  (:func:`altledger.reference.abft.trace.write_trace`: every create and learn,
  and every fame decision and delivered event each member's reference
  consensus takes along the way) are accepted by TLC;
* the negative control: one of those traces with its first fame decision
  flipped is rejected by TLC at that line;
* a run that reaches a coin round (§6.3), which uniform gossip does not: the
  seeded adversarial DAG of the vector ``dag/adversarial/coin-steers-election``
  replayed as a run (:func:`altledger.reference.abft.simulate.run_of_dag`),
  accepted; and its negative control, the same trace with every event's coin
  inverted, rejected exactly at the first decision a coin steers (found by
  re-running the reference with the coin inverted: the first line where the
  two traces differ).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from altledger.conformance.checks import Check, Outcome, Progress, rejected_at
from altledger.conformance.suite_checks import suite_checks
from altledger.conformance.suites import suite

GROUP = "tlc-trace"
TLA_DIR = Path(__file__).resolve().parent.parent / "tla"
# (members, events, seed, forkers, stakes, coin_period): small enough for TLC (a few seconds each), big
# enough to decide fame and deliver events: seed 31 (no forker) and, each with a forker whose forks
# enter later events' ancestry (§10.1), seed 43 (two forks), seed 52 (unequal stakes) and seed 41 (coin
# period 3) all deliver events.  The seeds were picked by scanning for runs with both forks and deliveries.
SIMULATIONS: tuple[tuple[int, int, int, int, list[int] | None, int], ...] = (
    (4, 40, 31, 0, None, 10),
    (4, 40, 43, 1, None, 10),
    (5, 40, 52, 1, [1, 2, 1, 2, 1], 10),
    (4, 48, 41, 1, None, 3),
)
CORRUPTED = SIMULATIONS[0]


def _simulate(spec: tuple[int, int, int, int, list[int] | None, int]) -> Any:
    from altledger.reference.abft.simulate import simulate
    members, events, seed, forkers, stakes, coin_period = spec
    return simulate(members, events, seed, stakes, forkers=forkers, coin_period=coin_period)


def _simulation_traces(progress: Progress) -> Outcome:
    from altledger.reference.abft.trace import write_trace
    from altledger.tla.trace import validate_trace
    runs = []
    for spec in SIMULATIONS:
        members, events, seed, forkers, _, _ = spec
        progress(f"seed {seed}: simulating, projecting and validating with TLC")
        sim = _simulate(spec)
        with tempfile.TemporaryDirectory(prefix="altledger-abft-trace-") as tmp:
            path = Path(tmp) / "run.trace.jsonl"
            summary = write_trace(sim, path)
            verdict = validate_trace(path, TLA_DIR)
        runs.append({"seed": seed, "members": members, "events": events, "forkers": forkers, "forks": sim.forks,
                     "steps": summary.steps, "actions": summary.counts, "accepted": verdict.accepted,
                     "seconds": round(verdict.seconds, 2), "summary": verdict.summary()})
        if not verdict.accepted:
            return Outcome(False, f"seed {seed} rejected", verdict.summary(), {"runs": runs})
    if not all(r["actions"].get("Deliver") for r in runs) or not any(r["forks"] for r in runs):
        silent = [r["seed"] for r in runs if not r["actions"].get("Deliver")]
        return Outcome(False, "nothing delivered", f"every run must deliver events and one must fork, or the "
                                                   f"traces do not check consensus orders (no delivery: seeds "
                                                   f"{silent})", {"runs": runs})
    steps = sum(r["steps"] for r in runs)
    forked = sum(r["forks"] > 0 for r in runs)
    return Outcome(True, f"{len(runs)} runs ({forked} with forks), {steps} steps, accepted", "", {"runs": runs})


def flip_first_decision(path: Path) -> int:
    """Make the first ``Decide`` step claim the opposite fame (its parameter and the ``decided`` value it
    writes); return that line's number."""
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines[1:], start=2):
        step = json.loads(line)
        if step["action"] != "Decide":
            continue
        params = step["params"]
        params["v"] = not params["v"]
        for member, decisions in step["changed"]["decided"]["#map"]:
            if member == params["m"]:
                for pair in decisions["#map"]:
                    if pair[0] == params["w"]:
                        pair[1] = params["v"]
        lines[number - 1] = json.dumps(step)
        path.write_text("\n".join(lines) + "\n")
        return number
    raise AssertionError("the trace has no Decide step")


def _corrupted_trace(progress: Progress) -> Outcome:
    from altledger.reference.abft.trace import write_trace
    from altledger.tla.trace import validate_trace
    sim = _simulate(CORRUPTED)
    with tempfile.TemporaryDirectory(prefix="altledger-abft-bad-trace-") as tmp:
        path = Path(tmp) / "corrupted.trace.jsonl"
        write_trace(sim, path)
        line = flip_first_decision(path)
        progress(f"validating seed {CORRUPTED[2]} with the decision on line {line} flipped")
        verdict = validate_trace(path, TLA_DIR)
    return rejected_at(verdict, line)


COIN_VECTOR = "coin-steers-election"
"""The adversarial DAG whose trace reaches a coin round (``abft_vectors.ADVERSARIAL``)."""


def coin_run() -> Any:
    """``COIN_VECTOR``'s DAG as a run (``run_of_dag``): TLC then meets coin votes that steer decisions."""
    from altledger.conformance import abft_dags
    from altledger.conformance.abft_vectors import ADVERSARIAL
    from altledger.reference.abft.simulate import run_of_dag
    _, _, generator, kwargs = next(entry for entry in ADVERSARIAL if entry[0] == COIN_VECTOR)
    return run_of_dag(getattr(abft_dags, generator)(**kwargs), [f"m{i}" for i in range(kwargs.get("forkers", 0))])


def invert_coins(path: Path) -> None:
    """Flip the coin bit (§6.3: the least significant bit of the signature's middle byte) of every event
    in a trace, in the create steps' parameters and in the ``events`` they write.  (The projection keeps
    the coin byte in the middle, and orders never depend on it: ``reference.abft.trace``.)"""
    def flip(signature: list[int]) -> None:
        signature[len(signature) // 2] ^= 1

    lines = path.read_text().splitlines()
    for number in range(1, len(lines)):
        step = json.loads(lines[number])
        if "sig" in step["params"]:
            flip(step["params"]["sig"])
        for record in step["changed"].get("events", []):
            flip(record["sig"])
        lines[number] = json.dumps(step)
    path.write_text("\n".join(lines) + "\n")


def first_coin_steered_line(run: Any, path: Path) -> int:
    """Write ``run``'s trace to ``path``; return the first line of it that changes when the reference's
    coin is inverted (that trace goes beside it); ``AssertionError`` if none does (no coin is checked)."""
    from unittest import mock

    from altledger.reference.abft import hashgraph
    from altledger.reference.abft.trace import write_trace
    write_trace(run, path)
    right = path.read_text().splitlines()
    coin = hashgraph.coin
    beside = path.with_name(path.name + ".coin-inverted")
    with mock.patch.object(hashgraph, "coin", lambda g, y: not coin(g, y)):
        write_trace(run, beside)
    inverted = beside.read_text().splitlines()
    differing = [n for n, (a, b) in enumerate(zip(right, inverted), start=1) if a != b]
    if not differing and len(right) == len(inverted):
        raise AssertionError(f"no coin steers anything in {COIN_VECTOR}'s trace")
    return differing[0] if differing else min(len(right), len(inverted)) + 1


def _coin_trace(progress: Progress) -> Outcome:
    from altledger.reference.abft.trace import write_trace
    from altledger.tla.trace import validate_trace
    run = coin_run()
    with tempfile.TemporaryDirectory(prefix="altledger-abft-coin-trace-") as tmp:
        path = Path(tmp) / "coin.trace.jsonl"
        summary = write_trace(run, path)
        progress(f"validating {COIN_VECTOR} ({summary.steps} steps) with TLC")
        verdict = validate_trace(path, TLA_DIR)
    data = {"vector": COIN_VECTOR, "steps": summary.steps, "actions": summary.counts, **verdict.as_json()}
    if verdict.accepted:
        return Outcome(True, f"{COIN_VECTOR}: {summary.steps} steps accepted ({verdict.seconds:.1f} s)", "", data)
    return Outcome(False, "rejected", verdict.summary(), data)


def _coin_inverted_trace(progress: Progress) -> Outcome:
    from altledger.tla.trace import validate_trace
    run = coin_run()
    with tempfile.TemporaryDirectory(prefix="altledger-abft-coin-bad-") as tmp:
        path = Path(tmp) / "coin.trace.jsonl"
        line = first_coin_steered_line(run, path)
        invert_coins(path)
        progress(f"validating {COIN_VECTOR} with every coin inverted (first steered decision: line {line})")
        verdict = validate_trace(path, TLA_DIR)
    return rejected_at(verdict, line)


def checks() -> list[Check]:
    return suite_checks(suite("abft")) + [
        Check(GROUP, "ABFT: seeded gossip runs with and without forks accepted", _simulation_traces),
        Check(GROUP, "ABFT: trace with a flipped fame decision rejected at its line (negative control)",
              _corrupted_trace),
        Check(GROUP, "ABFT: a run reaching coin rounds (adversarial DAG) accepted", _coin_trace),
        Check(GROUP, "ABFT: that run with every coin inverted rejected at the first steered decision "
                     "(negative control)", _coin_inverted_trace),
    ]

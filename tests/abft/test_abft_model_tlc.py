"""TLC on tla/ABFT.tla: the CI config holds and the negative control
(forking stake > S/3) is refuted with honest members that disagree; the
gossip steered to a coin round reaches one, where the reference casts the
same coin vote, and Agreement holds over the steered family.  About 60 s
on an idle machine; `altledger verify` runs every other ABFT cfg (the
reachability witness ABFT.ci-reach.cfg among them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from altledger.conformance.abft_dags import Builder, sig
from altledger.reference.abft import hashgraph
from altledger.tla.config import parse_config
from altledger.tla.tlc import run_tlc
from altledger.tla.tlc_output import Outcome

TLA = Path(__file__).resolve().parents[2] / "tla"
SPEC = TLA / "ABFT.tla"

pytestmark = pytest.mark.timeout(300)


def run(cfg: str):
    return run_tlc(SPEC, TLA / cfg, workers=1, check_deadlock=False)


def test_ci_config_holds_exhaustively():
    result = run("ABFT.ci.cfg")
    assert result.outcome == Outcome.SUCCESS, result.headline()
    # every schedule of up to 7 events: thousands of states, all checked
    assert result.distinct and result.distinct > 1000


def test_forks_above_a_third_break_agreement():
    assert parse_config(TLA / "ABFT.forks-third.cfg").expect.violation == "Agreement"
    result = run("ABFT.forks-third.cfg")
    assert result.outcome == Outcome.INVARIANT and result.violated == "Agreement", result.headline()
    final = result.counterexample.states[-1].values
    view = final["view"]
    # two honest members whose views both hold the parentless witnesses A1
    # (id 1) and B1 (id 2), built on different sides of f's fork
    assert {1, 2} <= set(view["a"]) and {1, 2} <= set(view["b"])
    assert not (set(view["a"]) - {1, 2, 3}) & (set(view["b"]) - {1, 2, 3})


def reference_dag(events) -> tuple[Builder, list[str]]:
    """The model's events (ids 1, 2, …) as a reference DAG with coin period 3, labelled by id.  A
    model signature is 2 bytes, its coin in byte 1 (``len // 2``, §6.3); the reference's is 64
    bytes with the coin in byte 32, so each becomes ``sig(first=byte 0, middle=byte 1)``."""
    dag = Builder({name: 1 for name in "abcd"}, coin_period=3)
    for number, event in enumerate(events, 1):
        parent = (lambda k: str(k) if k else None)
        dag.ev(str(number), parent(event["sp"]), parent(event["op"]), ts=event["ts"],
               signature=sig(first=event["sig"][0], middle=event["sig"][1]), creator=event["creator"])
    return dag, [str(number) for number in range(1, len(events) + 1)]


def coin_votes(dag: Builder) -> list[tuple[str, str]]:
    """(voter, candidate) for every coin vote in the reference's DAG: d > 1 a multiple of the coin
    period and no > 2/3 majority behind the tally (§6.2, §6.3)."""
    g, label = dag.dag, {h: name for name, h in dag.hashes.items()}
    witnesses = [x for x in dag.hashes.values() if hashgraph.is_witness(g, x)]
    return [(label[y], label[x]) for y in witnesses for x in witnesses
            if (d := hashgraph.round_created(g, y) - hashgraph.round_created(g, x)) > 1
            and hashgraph.is_coin_round(g, d)
            and not hashgraph.more_than_two_thirds(g, hashgraph.tally(g, y, x)[1])]


def test_steered_gossip_reaches_the_coin_vote_the_reference_casts():
    """§6.3, §12.7: TLC's first state with a coin vote (ABFT.coin-reach.cfg), rebuilt in the
    reference: the same voter casts one there, and nobody casts one a step earlier."""
    result = run("ABFT.coin-reach.cfg")
    assert result.outcome == Outcome.INVARIANT and result.violated == "NeverCoin", result.headline()
    events = result.counterexample.states[-1].values["events"]
    # breadth-first: the first state with a coin vote; the event just created casts it (A5 of DAG 2)
    assert len(events) == 17
    dag, labels = reference_dag(events)
    votes = coin_votes(dag)
    assert votes and {voter for voter, _ in votes} == {"17"}, votes
    shorter, _ = reference_dag(events[:-1])
    assert coin_votes(shorter) == []


def test_agreement_holds_over_the_coin_round_family():
    """§11.3 past a coin round (§6.3): Agreement on every DAG within one event of the coin script."""
    result = run("ABFT.coin.cfg")
    assert result.outcome == Outcome.SUCCESS, result.headline()
    assert result.distinct and result.distinct > 400

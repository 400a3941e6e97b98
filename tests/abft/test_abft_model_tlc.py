"""TLC on tla/ABFT.tla: the CI config holds and the negative control
(forking stake > S/3) is refuted with honest members that disagree.  About
35 s on an idle machine; `altledger verify` runs every other ABFT cfg
(the reachability witness ABFT.ci-reach.cfg among them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

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

"""TLC on tla/TwoPhaseCommit.tla: small runs that show the checks can fail.

The full configs run in ``altledger verify``; here (``make test``, a few
seconds of TLC each) we check what makes those results believable:

* the spec §12.4 negative control: without the durable half of §8.1.1 TLC
  finds an Atomicity violation, and the shortest one needs no crash;
* the refinement property is really checked: a TCommitTx that forbids one
  of the transitions the protocol takes makes TLC report TCommitRefinement;
* a small correct config passes every invariant, the refinement and
  Termination, with a known state count (a changed count means the model's
  behaviour changed: update docs/twopc-model.md with it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from altledger.tla.tlc import run_tlc
from altledger.tla.tlc_output import Outcome

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.tlc
TLA = REPO / "tla"
MODULES = ("TwoPhaseCommit.tla", "TwoPhaseCommitScenarios.tla", "TCommitTx.tla")

SMALL = """
CONSTANTS
    Shards <- Live_Shards
    Agents <- Live_Agents
    Home <- Live_Home
    Tx = {"t1"}
    Legs <- Live_Legs
    Genesis <- Live_Genesis
    MaxCrash = 0
    MaxLoss = 0
    MaxDup = 0
    Variant = "correct"
SPECIFICATION FairSpec
INVARIANTS TypeOK Atomicity Validity Conservation LockExclusion LocksReleased BufferOnlyEnds
"""


def _copy_modules(tmp_path: Path) -> Path:
    for name in MODULES:
        shutil.copy(TLA / name, tmp_path / name)
    return tmp_path


def test_no_resubmit_guard_breaks_atomicity_without_any_crash():
    cfg = TLA / "TwoPhaseCommit.noResubmitGuard.cfg"
    assert "MaxCrash = 0" in cfg.read_text()
    result = run_tlc(TLA / "TwoPhaseCommit.tla", cfg, workers=1)
    assert result.outcome == Outcome.INVARIANT and result.violated == "Atomicity", result.headline()
    states = result.counterexample.states
    assert all(s.values["crashes"] == 0 for s in states)
    # The same transaction is accepted twice: two Submit steps.
    assert sum(1 for s in states if s.action == "Submit") == 2


def test_small_correct_config_passes_with_known_state_count(tmp_path):
    work = _copy_modules(tmp_path)
    cfg = work / "small.cfg"
    cfg.write_text(SMALL + "PROPERTIES Termination TCommitRefinement\n")
    result = run_tlc(work / "TwoPhaseCommit.tla", cfg, workers=1)
    assert result.outcome == Outcome.SUCCESS, result.headline()
    assert (result.distinct, result.depth) == (312, 16)


def test_refinement_is_really_checked(tmp_path):
    # Mutant abstract spec: a working participant may not abort.  The protocol
    # does exactly that (§7.4.1, §7.3.1), so TLC must refute the refinement.
    work = _copy_modules(tmp_path)
    abstract = work / "TCommitTx.tla"
    text = abstract.read_text()
    original = 'rmState[t][r] \\in {"working", "prepared"}\n                   /\\ NotCommitted(t)'
    assert original in text
    abstract.write_text(text.replace(original, 'rmState[t][r] = "prepared"\n                   /\\ NotCommitted(t)'))
    cfg = work / "small.cfg"
    cfg.write_text(SMALL.replace("FairSpec", "Spec") + "PROPERTIES TCommitRefinement\n")
    result = run_tlc(work / "TwoPhaseCommit.tla", cfg, workers=1)
    assert result.outcome == Outcome.ACTION_PROPERTY, result.headline()
    # TLC 2.15 names an action property by its location: the definition's line.
    lines = (work / "TwoPhaseCommit.tla").read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.startswith("TCommitRefinement =="))
    assert f"line {line}," in result.message

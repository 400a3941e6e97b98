"""``altledger verify`` provider: one TLC check per config in ``tla/``.

The naming convention (tla/README.md, docs/running-tlc.md): a config is
``tla/<Module>.<label>.cfg`` and checks ``tla/<Module>.tla``.  Every config
is run except ``*.deep.cfg`` (long runs, started by hand; the module header
records their size and time).  A config may declare a negative control with
a comment line ``\\* expect: violation <Name>``: the check then passes only if
TLC reports exactly that violation.

Besides, two checks exercise trace validation end to end on the demo spec:
a simulated run must be accepted and a corrupted copy rejected at the right
line (its negative control).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from altledger.conformance.checks import Check, Outcome, Progress
from altledger.reference.errors import AltledgerError
from altledger.tla.config import parse_config
from altledger.tla.tlc import run_tlc
from altledger.tla.tlc_output import Outcome as TlcOutcome
from altledger.tla.tlc_output import TlcResult

TLA_DIR = Path(__file__).resolve().parent
GROUP = "tlc"


def config_files(directory: Path = TLA_DIR) -> list[Path]:
    """The configs ``altledger verify`` runs: every ``*.cfg`` but ``*.deep.cfg``."""
    return sorted(p for p in directory.glob("*.cfg") if not p.name.endswith(".deep.cfg"))


def module_of(cfg: Path) -> Path:
    """``tla/Demo.ci.cfg`` → ``tla/Demo.tla``."""
    return cfg.with_name(cfg.name.split(".", 1)[0] + ".tla")


def figure_of(result: TlcResult) -> str:
    depth = f", depth {result.depth}" if result.depth is not None else ""
    if result.distinct is not None:
        return f"{result.distinct:,} distinct states{depth}"
    if result.generated is not None:
        return f"{result.generated:,} states generated{depth}"
    return result.outcome


def judge(cfg: Path, result: TlcResult) -> Outcome:
    """Compare a TLC result with what the cfg expects."""
    expect = parse_config(cfg).expect
    data = result.as_json()
    data.pop("counterexample", None)
    data["expected"] = expect.describe()
    if expect.violation is None:
        if result.outcome == TlcOutcome.SUCCESS:
            return Outcome(True, figure_of(result), "", data)
        return Outcome(False, result.outcome, f"expected success; TLC: {result.headline()}", data)
    if result.is_violation and result.violated == expect.violation:
        return Outcome(True, f"violation of {expect.violation} found (expected)", "", data)
    if result.outcome == TlcOutcome.SUCCESS:
        return Outcome(False, "no violation",
                       f"expected a violation of {expect.violation} (cfg line {expect.line}), "
                       f"but TLC found no error ({figure_of(result)})", data)
    hint = ""
    if result.outcome == TlcOutcome.PROPERTY and result.violated is None:
        hint = " (TLC 2.15 does not name refuted temporal properties: give the control a single PROPERTY)"
    return Outcome(False, result.outcome,
                   f"expected a violation of {expect.violation}; TLC: {result.headline()}{hint}", data)


def _tlc_check(cfg: Path) -> Check:
    def run(progress: Progress) -> Outcome:
        spec = module_of(cfg)
        if not spec.is_file():
            return Outcome(False, "no module", f"{cfg.name} names module {spec.stem}, but {spec} does not exist")
        try:
            parse_config(cfg)
            result = run_tlc(spec, cfg, on_progress=lambda p: progress(p.describe()), tick=1.0)
        except AltledgerError as exc:
            return Outcome(False, "TLC unavailable" if "java" in str(exc) else "error", str(exc))
        return judge(cfg, result)
    return Check(GROUP, cfg.name.removesuffix(".cfg"), run)


def _trace_checks() -> list[Check]:
    """A simulated demo run is accepted; a corrupted copy is rejected at the
    line we corrupted (the negative control of the trace validator)."""
    from altledger.tla.demo_trace import simulate
    from altledger.tla.trace import validate_trace

    def accepted(progress: Progress) -> Outcome:
        with tempfile.TemporaryDirectory(prefix="altledger-verify-") as tmp:
            path = Path(tmp) / "demo.jsonl"
            steps = simulate(path, max_items=50, seed=11)
            progress(f"validating {steps} steps")
            result = validate_trace(path, TLA_DIR)
        if result.accepted:
            return Outcome(True, f"accepted ({result.steps} steps, {result.seconds:.1f} s)", "", result.as_json())
        return Outcome(False, "rejected", result.summary(), result.as_json())

    def rejected(progress: Progress) -> Outcome:
        with tempfile.TemporaryDirectory(prefix="altledger-verify-") as tmp:
            path = Path(tmp) / "demo.jsonl"
            simulate(path, max_items=50, seed=11)
            lines = path.read_text().splitlines()
            target = 41  # file line: a step in the middle of the run
            step = json.loads(lines[target - 1])
            step["changed"].pop(sorted(step["changed"])[0])  # a change the trace "forgets"
            lines[target - 1] = json.dumps(step)
            path.write_text("\n".join(lines) + "\n")
            progress("validating a corrupted trace")
            result = validate_trace(path, TLA_DIR)
        if not result.accepted and result.line == target:
            return Outcome(True, f"rejected at line {target} (expected)", "", result.as_json())
        return Outcome(False, "not caught", f"expected a rejection at line {target}; got: {result.summary()}",
                       result.as_json())

    return [Check("tlc-trace", "Demo simulated run accepted", accepted),
            Check("tlc-trace", "Demo corrupted run rejected (negative control)", rejected)]


def checks() -> list[Check]:
    return [_tlc_check(cfg) for cfg in config_files()] + _trace_checks()


__all__ = ["checks", "config_files", "module_of", "judge"]

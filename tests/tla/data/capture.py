"""Regenerate the captured TLC outputs in this folder (not a test).

Run from the repository root:  .venv/bin/python tests/tla/data/capture.py

Each ``<name>.out`` is TLC 2.15's complete ``-tool`` output for one small
spec in ``specs/``; ``captured.json`` records the spec, config, flags and exit
status of each, so the parser tests read real TLC output without running TLC.
"""

from __future__ import annotations

import json
from pathlib import Path

from altledger.tla.tlc import run_tlc

HERE = Path(__file__).resolve().parent
SPECS = HERE / "specs"
REPO = HERE.parents[2]

RUNS = {
    "demo_success": (REPO / "tla" / "Demo.tla", REPO / "tla" / "Demo.ci.cfg", {}),
    "demo_invariant": (REPO / "tla" / "Demo.tla", REPO / "tla" / "Demo.broken.cfg", {}),
    "demo_simulation": (REPO / "tla" / "Demo.tla", REPO / "tla" / "Demo.ci.cfg",
                        {"simulate": True, "depth": 20, "num": 50, "seed": 7}),
    "demo_simulation_violation": (REPO / "tla" / "Demo.tla", REPO / "tla" / "Demo.broken.cfg",
                                  {"simulate": True, "depth": 20, "num": 50, "seed": 7}),
    "counter_invariant_long": (SPECS / "Counter.tla", SPECS / "Counter.small.cfg", {}),
    "lasso": (SPECS / "Cycle.tla", SPECS / "Cycle.lasso.cfg", {}),
    "stuttering": (SPECS / "Cycle.tla", SPECS / "Cycle.stutter.cfg", {}),
    "deadlock": (SPECS / "Counter.tla", SPECS / "Counter.deadlock.cfg", {}),
    "assumption": (SPECS / "Counter.tla", SPECS / "Counter.assume.cfg", {}),
    "config_undefined": (SPECS / "Counter.tla", SPECS / "Counter.undefined.cfg", {}),
    "config_syntax": (SPECS / "Counter.tla", SPECS / "Counter.syntax.cfg", {}),
    "parse_syntax": (SPECS / "Syntax.tla", SPECS / "Syntax.cfg", {}),
    "parse_semantic": (SPECS / "Semantic.tla", SPECS / "Semantic.cfg", {}),
    "eval_error": (SPECS / "OutOfDomain.tla", SPECS / "OutOfDomain.cfg", {}),
    "values_initial": (SPECS / "Values.tla", SPECS / "Values.cfg", {}),
}


def main() -> None:
    index = {}
    for name, (spec, cfg, options) in RUNS.items():
        result = run_tlc(spec, cfg, **options)
        (HERE / f"{name}.out").write_text(result.output)
        index[name] = {"spec": str(spec.relative_to(REPO)), "config": str(cfg.relative_to(REPO)),
                       "options": options, "exit_code": result.exit_code}
        print(f"{name}: exit {result.exit_code}, {result.headline()}")
    (HERE / "captured.json").write_text(json.dumps(index, indent=2) + "\n")


if __name__ == "__main__":
    main()

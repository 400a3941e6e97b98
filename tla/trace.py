"""Trace validation: does a recorded run of an implementation follow the spec?

Given an ``altledger-trace/1`` file (:mod:`altledger.tla.trace_format`), we
generate a TLA+ module ``<Spec>_TraceCheck`` that EXTENDS the spec and walks
the trace with an explicit cursor variable:

* ``Init`` is the spec's ``Init`` pinned to the header's ``init``;
* step ``k`` must be the named action with its parameters, must produce the
  ``changed`` values, and must leave every other variable unchanged;
* ``Next`` takes the next step only while steps remain.  The state graph is a
  single path, so TLC's search depth says how far the trace was matched:
  depth ``len(steps) + 1`` means *accepted*; less means the step after the
  last matched one is the culprit; no initial state at all means the
  header's ``init`` (or constants) is already wrong.

An invariant ``TC_cursor < Len(TC_Trace)`` whose violation signals
acceptance also works, but then TLC prints the whole trace back as a
counterexample, which dominates the run time for long traces.

Why an explicit cursor: ``TLCGet("level")`` would do, but TLC 2.15 crashes
with it once the trace is accepted.  Why the trace as a literal split in
chunks of :data:`CHUNK` steps: TLC 2.15 cannot read JSON, so the trace must be
TLA+ text; SANY parses even a single 20,000-step literal (measured), and
chunking made no consistent difference to the run time, but it keeps every
definition a size a person can open.  ``TC_Trace`` is a constant definition,
which TLC evaluates once, so concatenating the chunks costs nothing per step.

For a rejected step we say *why*: from the last matched state (rebuilt in
Python from init + changed) TLC runs only the failing action and dumps its
successors; none means "not enabled", else the closest successor is diffed
against what the trace claims.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from altledger.reference.errors import InputFileError, ToolError
from altledger.tla.tlc import QUICK_JAVA_OPTIONS, run_tlc
from altledger.tla.tlc_output import Outcome, TlcResult, parse_dump
from altledger.tla.trace_format import Trace, TraceStep, read_trace
from altledger.tla.values import normal_form, tla_equal, to_tla

CHUNK = 250
PREFIX = "TC_"


@dataclass
class TraceResult:
    """The verdict on one trace file."""

    accepted: bool
    steps: int                       # steps in the trace file
    line: int | None = None          # the rejected line (1 = header/init)
    action: str | None = None        # e.g. 'Consume(c = "c1")'
    diagnosis: str = ""
    seconds: float = 0.0
    matched: int = 0                 # steps matched before the rejection
    trace: str = ""
    workdir: str | None = None       # generated modules, when kept
    tlc_seconds: list[float] = field(default_factory=list)

    def summary(self) -> str:
        if self.accepted:
            return f"accepted ({self.steps} steps)"
        what = f": action {self.action}" if self.action else ""
        return f"rejected at line {self.line}{what} — {self.diagnosis}"

    def as_json(self) -> dict[str, Any]:
        return {"trace": self.trace, "accepted": self.accepted, "steps": self.steps,
                "matched": self.matched, "line": self.line, "action": self.action,
                "diagnosis": self.diagnosis, "seconds": round(self.seconds, 3),
                "workdir": self.workdir}


# --------------------------------------------------------------------------
# Reading the spec just enough to check the header against it.

def _strip_tla_comments(text: str) -> str:
    out, depth, i = [], 0, 0
    while i < len(text):
        two = text[i:i + 2]
        if two == "(*":
            depth, i = depth + 1, i + 2
        elif two == "*)" and depth:
            depth, i = depth - 1, i + 2
        elif depth:
            i += 1
        elif two == "\\*":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


_VARIABLES = re.compile(r"\bVARIABLES?\b\s+([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)")


def declared_variables(spec: Path) -> list[str]:
    """The VARIABLE(S) declared in the spec's own file (not in modules it
    extends), in order."""
    text = _strip_tla_comments(spec.read_text())
    names: list[str] = []
    for m in _VARIABLES.finditer(text):
        names += [n.strip() for n in m.group(1).split(",")]
    return names


def _check_header_against_spec(trace: Trace, spec: Path) -> None:
    declared = declared_variables(spec)
    where = f"{trace.path}:1"
    if declared and set(declared) != set(trace.header.variables):
        missing = sorted(set(declared) - set(trace.header.variables))
        extra = sorted(set(trace.header.variables) - set(declared))
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                ([f"not in the spec: {', '.join(extra)}"] if extra else [])
        raise InputFileError(where, "header", f"vars must be the VARIABLES of {spec.name} "
                                              f"({', '.join(declared)}); {'; '.join(parts)}")
    clash = [n for n in (*trace.header.variables, *trace.header.actions, *trace.header.constants)
             if n.startswith(PREFIX)]
    if clash:
        raise InputFileError(where, "header", f"names starting with {PREFIX} are reserved for the "
                                              f"generated check module: {', '.join(clash)}")


# --------------------------------------------------------------------------
# Generated modules.

def _tla(value: Any) -> str:
    """TLA+ text for the generated modules.  Functions on field names are
    written as records and functions on 1..n as sequences (TLA+ considers
    them equal): SANY parses and TLC builds those far faster than
    ``k :> v @@ ...`` chains, which matters for traces of thousands of steps."""
    return to_tla(normal_form(value))


def _record(values: dict[str, Any]) -> str:
    if not values:
        return "<<>>"
    return "[" + ", ".join(f"{k} |-> {_tla(v)}" for k, v in values.items()) + "]"


def _step_literal(step: TraceStep) -> str:
    params = "<<" + ", ".join(_tla(v) for v in step.params.values()) + ">>"
    return f'[a |-> "{step.action}", p |-> {params}, c |-> {_record(step.changed)}]'


def _constants_block(trace: Trace) -> tuple[str, str]:
    """(definitions in the module, the cfg's CONSTANTS section)."""
    defs = [f"{PREFIX}Const_{name} == {_tla(value)}" for name, value in trace.header.constants.items()]
    cfg = [f"    {name} <- {PREFIX}Const_{name}" for name in trace.header.constants]
    return "\n".join(defs), ("CONSTANTS\n" + "\n".join(cfg) if cfg else "")


def _call(action: str, params: list[str], args: str) -> str:
    if not params:
        return action
    return f"{action}(" + ", ".join(f"{args}[{i}]" for i in range(1, len(params) + 1)) + ")"


def check_module(trace: Trace) -> tuple[str, str, str]:
    """(module name, module text, cfg text) of the trace-check module."""
    h = trace.header
    name = f"{h.spec}_TraceCheck"
    consts, cfg_consts = _constants_block(trace)
    chunks = [trace.steps[i:i + CHUNK] for i in range(0, len(trace.steps), CHUNK)]
    parts = []
    for index, chunk in enumerate(chunks, 1):
        body = ",\n    ".join(_step_literal(s) for s in chunk)
        parts.append(f"{PREFIX}Part{index} ==\n  <<\n    {body}\n  >>")
    whole = " \\o ".join(f"{PREFIX}Part{i}" for i in range(1, len(chunks) + 1)) or "<<>>"
    dispatch = "\n       ".join(f'\\/ s.a = "{a}" /\\ {_call(a, ps, "s.p")}' for a, ps in h.actions.items())
    pins = "\n    ".join(f'/\\ IF "{v}" \\in DOMAIN s.c THEN {v}\' = s.c.{v} ELSE UNCHANGED {v}'
                         for v in h.variables)
    init_pins = "\n    ".join(f"/\\ {v} = {PREFIX}Init.{v}" for v in h.variables)
    text = f"""---- MODULE {name} ----
\\* Generated by altledger.tla.trace from {trace.path.name}; do not edit.
\\* Walks the trace step by step; see altledger/tla/trace.py.
EXTENDS {h.spec}, Integers, Sequences, TLC

VARIABLE {PREFIX}cursor  \\* how many steps of the trace have been matched

{consts}

{PREFIX}Init == {_record(h.init)}

{chr(10).join(parts)}

{PREFIX}Trace == {whole}

\\* The action the trace names, with its parameters; then its effect.
{PREFIX}Step(s) ==
    /\\ {dispatch}
    {pins}

{PREFIX}InitPred ==
    /\\ Init
    {init_pins}
    /\\ {PREFIX}cursor = 0

{PREFIX}Next ==
    /\\ {PREFIX}cursor < Len({PREFIX}Trace)
    /\\ {PREFIX}Step({PREFIX}Trace[{PREFIX}cursor + 1])
    /\\ {PREFIX}cursor' = {PREFIX}cursor + 1
====
"""
    cfg = f"INIT {PREFIX}InitPred\nNEXT {PREFIX}Next\n{cfg_consts}\n"
    return name, text, cfg


def diagnosis_module(trace: Trace, state: dict[str, Any] | None, step: TraceStep | None) -> tuple[str, str, str]:
    """A module whose initial state is ``state`` and whose only step is
    ``step``'s action with its parameters (unconstrained effect); with
    ``state=None`` its initial states are the spec's ``Init``."""
    h = trace.header
    name = f"{h.spec}_TraceDiagnosis"
    consts, cfg_consts = _constants_block(trace)
    if state is None:
        init = f"/\\ Init\n    /\\ {PREFIX}stepped = FALSE"
        nxt = f"FALSE /\\ UNCHANGED {PREFIX}stepped"
    else:
        init = "\n    ".join([f"/\\ {v} = {PREFIX}State.{v}" for v in h.variables]
                             + [f"/\\ {PREFIX}stepped = FALSE"])
        args = "<<" + ", ".join(_tla(v) for v in step.params.values()) + ">>"
        nxt = f"~{PREFIX}stepped /\\ {_call(step.action, list(step.params), PREFIX + 'Args')} /\\ {PREFIX}stepped' = TRUE"
        consts += f"\n{PREFIX}Args == {args}"
    text = f"""---- MODULE {name} ----
\\* Generated by altledger.tla.trace to explain a rejected step; do not edit.
EXTENDS {h.spec}, Integers, Sequences, TLC

VARIABLE {PREFIX}stepped

{consts}

{PREFIX}State == {_record(state) if state is not None else "<<>>"}

{PREFIX}InitPred ==
    {init}

{PREFIX}Next == {nxt}
====
"""
    cfg = f"INIT {PREFIX}InitPred\nNEXT {PREFIX}Next\n{cfg_consts}\n"
    return name, text, cfg


# --------------------------------------------------------------------------
# Running and judging.

def _run(workdir: Path, name: str, text: str, cfg: str, spec_dir: Path, result: TraceResult,
         **options: Any) -> TlcResult:
    (workdir / f"{name}.tla").write_text(text)
    (workdir / f"{name}.cfg").write_text(cfg)
    # Trace checks are short single-path runs: the quick JVM settings take
    # about 40 % less CPU than the default ones (measured on 1000 and 5000
    # step demo traces).
    tlc = run_tlc(workdir / f"{name}.tla", workdir / f"{name}.cfg", library=spec_dir,
                  check_deadlock=False, java_options=QUICK_JAVA_OPTIONS, **options)
    result.tlc_seconds.append(tlc.seconds or 0.0)
    return tlc


def _header_problem(trace: Trace, tlc: TlcResult) -> InputFileError:
    detail = tlc.headline()
    return InputFileError(f"{trace.path}:1", "header",
                          f"TLC rejected the generated check module (does the header match spec "
                          f"{trace.header.spec}: constants and its ASSUMEs, vars, action names and "
                          f"arity?): {detail}")


def validate_trace(trace_path: str | Path, spec_dir: str | Path = "tla", *, keep: bool = False,
                   workdir: str | Path | None = None) -> TraceResult:
    """Check a trace file against ``<spec_dir>/<Spec>.tla`` with TLC.

    Malformed trace files raise :class:`InputFileError` (``file:line``); a
    well-formed trace the spec does not allow returns ``accepted=False`` with
    the first offending line and a diagnosis.
    """
    start = time.perf_counter()
    trace = read_trace(trace_path)
    spec_dir = Path(spec_dir).resolve()
    spec = spec_dir / f"{trace.header.spec}.tla"
    if not spec.is_file():
        raise InputFileError(f"{trace.path}:1", "header", f"spec {trace.header.spec} not found: no {spec}")
    _check_header_against_spec(trace, spec)
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="altledger-trace-"))
    work.mkdir(parents=True, exist_ok=True)
    result = TraceResult(False, len(trace.steps), trace=str(trace.path))
    try:
        name, text, cfg = check_module(trace)
        tlc = _run(work, name, text, cfg, spec_dir, result)
        _judge(trace, tlc, result, work, spec_dir)
    finally:
        if keep or workdir:
            result.workdir = str(work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    result.seconds = time.perf_counter() - start
    return result


def _judge(trace: Trace, tlc: TlcResult, result: TraceResult, work: Path, spec_dir: Path) -> None:
    steps = trace.steps
    if tlc.outcome in (Outcome.PARSE_ERROR, Outcome.CONFIG_ERROR, Outcome.ASSUMPTION):
        raise _header_problem(trace, tlc)
    if tlc.outcome == Outcome.EVAL_ERROR:
        matched = _cursor_reached(tlc)
        if matched is None:  # failed in Init: the header's constants or init
            raise _header_problem(trace, tlc)
        _reject(trace, result, matched, f"TLC could not evaluate the step: {' '.join(tlc.message.split())}")
        return
    if tlc.outcome != Outcome.SUCCESS:
        raise ToolError(f"unexpected TLC result while checking {trace.path}: {tlc.headline()}")
    if not tlc.distinct:
        result.line, result.matched = 1, 0
        result.diagnosis = _diagnose_init(trace, work, spec_dir, result)
        return
    if tlc.depth is None:
        raise ToolError(f"TLC did not report the search depth while checking {trace.path}")
    matched = tlc.depth - 1  # depth 1 is the initial state, cursor 0
    if matched == len(steps):
        result.accepted, result.matched = True, matched
        return
    if matched > len(steps):
        raise ToolError(f"TLC went {matched} steps deep into a trace of {len(steps)} steps")
    _reject(trace, result, matched, "")
    result.diagnosis = _diagnose_step(trace, matched, work, spec_dir, result)


def _reject(trace: Trace, result: TraceResult, matched: int, diagnosis: str) -> None:
    step = trace.steps[matched]
    result.accepted, result.matched = False, matched
    result.line, result.action, result.diagnosis = step.line, step.call(), diagnosis


def _cursor_reached(tlc: TlcResult) -> int | None:
    if not tlc.counterexample or not tlc.counterexample.states:
        return None
    value = tlc.counterexample.states[-1].values.get(f"{PREFIX}cursor")
    return value if isinstance(value, int) else None


def _diff(allowed: dict[str, Any], claimed: dict[str, Any], variables: list[str]) -> list[str]:
    return [v for v in variables if not tla_equal(allowed.get(v), claimed.get(v))]


def _successors(trace: Trace, state: dict[str, Any] | None, step: TraceStep | None, work: Path,
                spec_dir: Path, result: TraceResult) -> list[dict[str, Any]] | str:
    name, text, cfg = diagnosis_module(trace, state, step)
    dump = work / "diagnosis"
    tlc = _run(work, name, text, cfg, spec_dir, result, dump=dump)
    if tlc.outcome == Outcome.EVAL_ERROR:
        return f"TLC could not evaluate the action here: {' '.join(tlc.message.split())}"
    if tlc.outcome != Outcome.SUCCESS:
        return f"the diagnosis run failed: {tlc.headline()}"
    dumped = Path(str(dump) + ".dump")
    states = parse_dump(dumped.read_text()) if dumped.is_file() else []
    want = state is not None  # successors are the stepped ones; Init states are not
    return [{k: v for k, v in s.items() if k != f"{PREFIX}stepped"}
            for s in states if s.get(f"{PREFIX}stepped") is want]


def show(value: Any) -> str:
    """A value as TLC would print it, so both sides of a diff look alike."""
    return to_tla(normal_form(value))


def _explain(candidates: list[dict[str, Any]], claimed: dict[str, Any], variables: list[str],
             previous: dict[str, Any] | None, subject: str) -> str:
    best = min(candidates, key=lambda s: len(_diff(s, claimed, variables)))
    diffs = _diff(best, claimed, variables)
    if not diffs:
        return f"{subject} allows exactly this state; TLC nevertheless rejected it (please report)"
    parts = []
    for v in diffs:
        unchanged = previous is not None and tla_equal(claimed[v], previous[v])
        note = " (unchanged: the trace does not list it in changed)" if unchanged else ""
        parts.append(f"{v} = {show(best[v])} where the trace has {show(claimed[v])}{note}")
    more = f" (closest of {len(candidates)} possible successors)" if len(candidates) > 1 else ""
    return f"{subject} allows " + "; and ".join(parts) + more


def _diagnose_step(trace: Trace, matched: int, work: Path, spec_dir: Path, result: TraceResult) -> str:
    states = trace.states()
    before, claimed, step = states[matched], states[matched + 1], trace.steps[matched]
    found = _successors(trace, before, step, work, spec_dir, result)
    if isinstance(found, str):
        return found
    if not found:
        return f"action {step.call()} is not enabled in this state"
    return _explain(found, claimed, trace.header.variables, before, "enabled, but the spec")


def _diagnose_init(trace: Trace, work: Path, spec_dir: Path, result: TraceResult) -> str:
    found = _successors(trace, None, None, work, spec_dir, result)
    if isinstance(found, str):
        return found
    if not found:
        return "the spec's Init has no initial state with these constants"
    return _explain(found, trace.header.init, trace.header.variables, None,
                    "the header's init is not an initial state: the spec's Init")

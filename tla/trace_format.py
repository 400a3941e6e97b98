"""The ``altledger-trace/1`` file format: read (strictly) and write.

An implementation records each run as JSON lines (docs/running-tlc.md):

line 1, the header::

    {"format": "altledger-trace/1", "spec": "Demo",
     "constants": {"Capacity": 2, "Producers": {"#set": ["p1", "p2"]}, ...},
     "vars": ["buffer", "sent", "delivered", "taken"],
     "init": {"buffer": [], "sent": {"#map": [["p1", 0], ["p2", 0]]}, ...},
     "actions": {"Produce": ["p"], "Consume": ["c"], "Done": []}}

then one line per action taken::

    {"action": "Produce", "params": {"p": "p1"},
     "changed": {"buffer": [{"from": "p1", "n": 1}], "sent": {"#map": [...]}}}

Variables not in ``changed`` are asserted unchanged.  Values are ITF JSON
(:mod:`altledger.tla.itf`).  Why so strict a reader: a trace that is
silently misread would be "validated" against something the implementation
never did; every defect is an :class:`InputFileError` at ``file:line``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from altledger.reference import jsontext
from altledger.reference.errors import InputFileError, read_text_file
from altledger.reference.jsontext import JsonTextError
from altledger.tla.itf import ItfError, from_itf, to_itf
from altledger.tla.values import IDENTIFIER, RESERVED, canonical, to_tla

FORMAT = "altledger-trace/1"
HEADER_KEYS = ("format", "spec", "constants", "vars", "init", "actions")
STEP_KEYS = ("action", "params", "changed")


@dataclass
class TraceHeader:
    spec: str
    constants: dict[str, Any]
    variables: list[str]
    init: dict[str, Any]
    actions: dict[str, list[str]]


@dataclass
class TraceStep:
    line: int                    # line number in the trace file (header = 1)
    action: str
    params: dict[str, Any]       # in the order of the header's actions table
    changed: dict[str, Any]

    def call(self) -> str:
        """``Produce(p = "p1")``, for messages."""
        args = ", ".join(f"{k} = {to_tla(v)}" for k, v in self.params.items())
        return f"{self.action}({args})"


@dataclass
class Trace:
    path: Path
    header: TraceHeader
    steps: list[TraceStep] = field(default_factory=list)

    def states(self) -> list[dict[str, Any]]:
        """Every full state of the run: init, then after each step."""
        state = dict(self.header.init)
        out = [dict(state)]
        for step in self.steps:
            state.update(step.changed)
            out.append(dict(state))
        return out


def _is_identifier(name: Any) -> bool:
    return isinstance(name, str) and IDENTIFIER.match(name) is not None and name not in RESERVED


def _value(data: Any, where: str, item: str, path: str) -> Any:
    try:
        value = from_itf(data, path)
    except ItfError as exc:
        raise InputFileError(where, item, f"bad ITF value at {exc.path}: {exc.reason}") from None
    if _has_model_value(value):
        raise InputFileError(where, item, f"{path}: model values (#unserializable) cannot appear in a trace; "
                                          "use strings for identities")
    try:                                # what TLA+ cannot write (a non-ASCII string) is refused here, at its line
        to_tla(value)
    except ValueError as exc:
        raise InputFileError(where, item, f"{path}: {exc}") from None
    return value


def _has_model_value(value: Any) -> bool:
    key = canonical(value)
    stack = [key]
    while stack:
        k = stack.pop()
        if k[0] == "model":
            return True
        if k[0] in ("set",):
            stack.extend(k[1])
        elif k[0] == "fn":
            for a, b in k[1]:
                stack.extend((a, b))
    return False


def _object(line: str, where: str, item: str) -> dict:
    try:
        data = jsontext.loads(line)
    except JsonTextError as exc:
        at = f" at column {exc.column}" if exc.column else ""
        raise InputFileError(where, item, f"not JSON: {exc.reason}{at}") from None
    if not isinstance(data, dict):
        raise InputFileError(where, item, f"expected a JSON object, found {type(data).__name__}")
    return data


def parse_header(line: str, where: str) -> TraceHeader:
    data = _object(line, where, "header")
    missing = [k for k in HEADER_KEYS if k not in data]
    extra = sorted(set(data) - set(HEADER_KEYS))
    if missing or extra:
        raise InputFileError(where, "header", f"the header needs exactly the keys {', '.join(HEADER_KEYS)}"
                             + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; unknown {', '.join(extra)}" if extra else ""))
    if data["format"] != FORMAT:
        raise InputFileError(where, "header", f"format is {data['format']!r}, expected {FORMAT!r}")
    if not _is_identifier(data["spec"]):
        raise InputFileError(where, "header", f"spec must be a TLA+ module name, got {data['spec']!r}")
    if not isinstance(data["constants"], dict):
        raise InputFileError(where, "header", "constants must be a JSON object")
    constants = {}
    for name, value in data["constants"].items():
        if not _is_identifier(name):
            raise InputFileError(where, "header", f"constant name {name!r} is not a TLA+ identifier")
        constants[name] = _value(value, where, "header", f"/constants/{name}")
    variables = data["vars"]
    if (not isinstance(variables, list) or not variables
            or not all(_is_identifier(v) for v in variables) or len(set(variables)) != len(variables)):
        raise InputFileError(where, "header", "vars must be a non-empty list of distinct TLA+ identifiers")
    if not isinstance(data["init"], dict) or set(data["init"]) != set(variables):
        got = sorted(data["init"]) if isinstance(data["init"], dict) else type(data["init"]).__name__
        raise InputFileError(where, "header", f"init must give a value to exactly the vars {variables}, got {got}")
    init = {v: _value(data["init"][v], where, "header", f"/init/{v}") for v in variables}
    actions = data["actions"]
    if not isinstance(actions, dict) or not actions:
        raise InputFileError(where, "header", "actions must be a non-empty object: action name -> [param names]")
    for name, params in actions.items():
        if not _is_identifier(name):
            raise InputFileError(where, "header", f"action name {name!r} is not a TLA+ identifier")
        if (not isinstance(params, list) or not all(_is_identifier(p) for p in params)
                or len(set(params)) != len(params)):
            raise InputFileError(where, "header", f"actions.{name} must be a list of distinct parameter names")
    return TraceHeader(data["spec"], constants, list(variables), init,
                       {k: list(v) for k, v in actions.items()})


def parse_step(line: str, where: str, number: int, header: TraceHeader) -> TraceStep:
    data = _object(line, where, "step")
    extra = sorted(set(data) - set(STEP_KEYS))
    if extra:
        raise InputFileError(where, "step", f"unknown key(s) {', '.join(extra)}; a step has action, params, changed")
    action = data.get("action")
    if not isinstance(action, str) or action not in header.actions:
        raise InputFileError(where, "step", f"action {action!r} is not in the header's actions table "
                                            f"({', '.join(header.actions)})")
    params = data.get("params", {})
    expected = header.actions[action]
    if not isinstance(params, dict) or set(params) != set(expected):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise InputFileError(where, action, f"params must be exactly {expected}, got {got}")
    changed = data.get("changed", {})
    if not isinstance(changed, dict):
        raise InputFileError(where, action, "changed must be a JSON object: variable -> new value")
    unknown = sorted(set(changed) - set(header.variables))
    if unknown:
        raise InputFileError(where, action, f"changed names {', '.join(unknown)}, not among the header's vars "
                                            f"({', '.join(header.variables)})")
    return TraceStep(number, action,
                     {p: _value(params[p], where, action, f"/params/{p}") for p in expected},
                     {v: _value(changed[v], where, action, f"/changed/{v}")
                      for v in header.variables if v in changed})


def read_trace(path: str | Path) -> Trace:
    """Read and validate a trace file; any defect raises
    :class:`InputFileError` located at ``file:line``."""
    path = Path(path)
    text = read_text_file(path, "the trace")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputFileError(f"{path}:1", "header", "the trace is empty; line 1 must be the header")
    header = parse_header(lines[0], f"{path}:1")
    trace = Trace(path, header)
    for number, line in enumerate(lines[1:], 2):
        if line.strip():
            trace.steps.append(parse_step(line, f"{path}:{number}", number, header))
    return trace


# --------------------------------------------------------------------------
# Writing.

def _line(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, separators=(", ", ": "), ensure_ascii=True)


class TraceWriter:
    """Write a run as an ``altledger-trace/1`` file.

    Implementations call :meth:`step` after every action with the new full
    state (or just the changed variables); the writer records only what
    changed, so the file states exactly what the run did and nothing more::

        with TraceWriter(path, "Demo", constants, variables, init, actions) as w:
            w.step("Produce", {"p": "p1"}, state=new_state)
    """

    def __init__(self, path: str | Path, spec: str, constants: Mapping[str, Any], variables: list[str],
                 init: Mapping[str, Any], actions: Mapping[str, list[str]]) -> None:
        self.path = Path(path)
        self.variables = list(variables)
        self.actions = {k: list(v) for k, v in actions.items()}
        if set(init) != set(self.variables):
            raise ValueError(f"init must give exactly the variables {self.variables}")
        self._state = {v: to_itf(init[v]) for v in self.variables}
        self._file = self.path.open("w", encoding="utf-8")
        self.steps = 0
        self._file.write(_line({"format": FORMAT, "spec": spec,
                                "constants": {k: to_itf(v) for k, v in constants.items()},
                                "vars": self.variables, "init": dict(self._state),
                                "actions": self.actions}) + "\n")

    def step(self, action: str, params: Mapping[str, Any] | None = None, *,
             state: Mapping[str, Any] | None = None, changed: Mapping[str, Any] | None = None) -> None:
        """Record one action.  Give the new full ``state`` (only differences
        are written) or the ``changed`` variables, not both."""
        params = dict(params or {})
        if action not in self.actions or set(params) != set(self.actions[action]):
            raise ValueError(f"{action} takes params {self.actions.get(action)}, got {sorted(params)}")
        if (state is None) == (changed is None):
            raise ValueError("give either state= or changed=")
        if state is not None:
            new = {v: to_itf(state[v]) for v in self.variables}
            delta = {v: new[v] for v in self.variables if new[v] != self._state[v]}
        else:
            unknown = set(changed) - set(self.variables)
            if unknown:
                raise ValueError(f"unknown variables {sorted(unknown)}")
            delta = {v: to_itf(changed[v]) for v in self.variables if v in changed}
        self._state.update(delta)
        self._file.write(_line({"action": action,
                                "params": {p: to_itf(params[p]) for p in self.actions[action]},
                                "changed": delta}) + "\n")
        self.steps += 1

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "TraceWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["FORMAT", "Trace", "TraceHeader", "TraceStep", "TraceWriter", "read_trace"]

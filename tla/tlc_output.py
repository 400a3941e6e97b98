"""Parse what TLC prints in ``-tool`` mode into a :class:`TlcResult`.

Why tool mode: every line TLC prints about the model comes wrapped in
``@!@!@STARTMSG <code>:<severity> @!@!@`` … ``@!@!@ENDMSG <code> @!@!@``, where
the code is a stable number (``tlc2.output.EC``).  Classifying by code is
robust where matching English sentences is not.  Only SANY (the parser) still
prints untagged text; :func:`parse_sany_errors` reads that.

Codes used here (TLC 2.15, checked by running it; docs/running-tlc.md):
2107/2110 invariant violated (initial state / behaviour), 2108 property
violated by the initial state, 2112 action property, 2116 temporal properties
violated, 2114 deadlock, 2104 assumption false, 2132 ``Assert`` failed,
2217 a state of a trace, 2218 stuttering, 2122 back to state, 2199 final
statistics, 2200/2209 progress, 2194 depth, 2186 finished, 2193 success,
3002 parse failure, 5001-5006 and 2222-2245/2280/2281 config errors,
1000 an unexpected exception (usually an error in the spec).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from altledger.tla.itf import to_itf
from altledger.tla.sany import ParseError, parse_sany_errors, parse_sany_warnings
from altledger.tla.value_parser import parse_value_lenient

# Severity levels of tool-mode messages (tlc2.output.MP).
ERROR, TLCBUG, WARNING, STATE = 1, 2, 3, 4

# What every TLC exit status means (tlc2.output.EC.ExitStatus in TLC 2.15).
EXIT_CODES: dict[int, str] = {
    0: "success: no error was found",
    10: "an assumption (ASSUME) is false",
    11: "a deadlock was reached",
    12: "a safety property (invariant or action property) is violated",
    13: "a liveness (temporal) property is violated",
    14: "an Assert in the spec failed",
    75: "TLC could not evaluate the spec (an error while computing states)",
    76: "TLC could not evaluate an invariant",
    77: "TLC could not evaluate a temporal property",
    150: "the spec does not parse (SANY reported errors)",
    151: "the config file names something the spec does not define, or is incomplete",
    152: "the state space is too large for TLC",
    153: "a system error (out of memory, disk full, I/O failure)",
    255: "TLC stopped with an error (a malformed config file, a bad option, or an internal error)",
}


def exit_meaning(code: int | None) -> str:
    if code is None:
        return "TLC did not exit by itself (stopped or timed out)"
    if code < 0:
        return f"TLC was killed by signal {-code}"
    return EXIT_CODES.get(code, f"unknown TLC exit status {code}")


class Outcome:
    """The outcomes a TLC run can have (strings, so JSON stays readable)."""

    SUCCESS = "success"
    INVARIANT = "invariant violated"
    PROPERTY = "property violated"
    ACTION_PROPERTY = "action property violated"
    DEADLOCK = "deadlock"
    ASSUMPTION = "assumption false"
    ASSERTION = "assertion failed"
    PARSE_ERROR = "parse error"
    CONFIG_ERROR = "config error"
    EVAL_ERROR = "evaluation error"
    OTHER = "other"

    VIOLATIONS = frozenset({INVARIANT, PROPERTY, ACTION_PROPERTY, DEADLOCK, ASSUMPTION, ASSERTION})


@dataclass
class Message:
    """One tool-mode message."""

    code: int
    severity: int
    text: str


@dataclass
class TraceState:
    """One state of a counterexample."""

    number: int
    action: str | None          # "Produce", None for the initial state
    location: str | None        # "line 54, col 15 to line 58, col 35 of module Demo"
    values: dict[str, Any]      # variable -> Python value (altledger.tla.values)
    text: dict[str, str]        # variable -> the value as TLC printed it (whitespace folded)

    def as_json(self) -> dict[str, Any]:
        def encode(value: Any) -> Any:
            try:
                return to_itf(value)
            except TypeError:
                return {"#tla": str(value)}  # Opaque text TLC printed
        return {"number": self.number, "action": self.action, "location": self.location,
                "values": {k: encode(v) for k, v in self.values.items()}}


@dataclass
class Counterexample:
    """A behaviour TLC found.  For a liveness violation it is a lasso: the
    last state either loops back to state ``loop_to`` or stutters forever."""

    states: list[TraceState] = field(default_factory=list)
    loop_to: int | None = None
    loop_action: str | None = None
    loop_location: str | None = None
    stuttering: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"states": [s.as_json() for s in self.states], "loop_to": self.loop_to,
                "loop_action": self.loop_action, "stuttering": self.stuttering}


@dataclass
class TlcResult:
    """Everything a TLC run reported, parsed."""

    outcome: str = Outcome.OTHER
    violated: str | None = None     # the invariant / property name, when known
    message: str = ""               # TLC's own error text
    exit_code: int | None = None
    mode: str = "model checking"
    generated: int | None = None
    distinct: int | None = None
    queue: int | None = None
    depth: int | None = None
    tlc_time: str | None = None     # as TLC printed it, e.g. "558ms" or "01min 05s"
    seconds: float | None = None    # wall time measured around the JVM
    warnings: list[str] = field(default_factory=list)
    counterexample: Counterexample | None = None
    parse_errors: list[ParseError] = field(default_factory=list)
    version: str | None = None
    output: str = ""

    @property
    def is_violation(self) -> bool:
        return self.outcome in Outcome.VIOLATIONS

    @property
    def exit_meaning(self) -> str:
        return exit_meaning(self.exit_code)

    def headline(self) -> str:
        """One line: the outcome, and what was violated."""
        if self.outcome == Outcome.SUCCESS:
            return "success: no error found"
        if self.outcome in (Outcome.INVARIANT, Outcome.PROPERTY, Outcome.ACTION_PROPERTY):
            kind = self.outcome.split()[0] if self.outcome != Outcome.ACTION_PROPERTY else "action property"
            return f"{kind} {self.violated or '(unnamed)'} is violated"
        if self.outcome == Outcome.PARSE_ERROR and self.parse_errors:
            return f"parse error: {self.parse_errors[0]}"
        first = self.message.strip().split("\n\n")[0] if self.message.strip() else self.exit_meaning
        first = " ".join(first.split())
        return f"{self.outcome}: {first if len(first) <= 240 else first[:237] + '...'}"

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome, "violated": self.violated, "message": self.message,
            "exit_code": self.exit_code, "exit_meaning": self.exit_meaning, "mode": self.mode,
            "states_generated": self.generated, "distinct_states": self.distinct,
            "states_left_on_queue": self.queue, "depth": self.depth,
            "tlc_time": self.tlc_time,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "warnings": self.warnings,
            "counterexample": self.counterexample.as_json() if self.counterexample else None,
            "parse_errors": [{"file": e.file, "line": e.line, "column": e.column, "message": e.message}
                             for e in self.parse_errors],
        }


# --------------------------------------------------------------------------
# Splitting the stream into messages.

_MARK = re.compile(r"@!@!@(?:STARTMSG (\d+):(\d+)|ENDMSG (\d+)) @!@!@")


def split_messages(output: str) -> tuple[list[Message], str]:
    """Tool-mode output → (messages in order of their start, untagged text).

    Messages nest (TLC prints a config error *inside* the message of the
    exception that carried it), so a stack is kept; the text of an inner
    message does not leak into the outer one.
    """
    messages: list[Message] = []
    stack: list[tuple[Message, list[str]]] = []
    loose: list[str] = []
    pos = 0
    for m in _MARK.finditer(output):
        chunk = output[pos:m.start()]
        (stack[-1][1] if stack else loose).append(chunk)
        pos = m.end()
        if m.group(1) is not None:
            msg = Message(int(m.group(1)), int(m.group(2)), "")
            messages.append(msg)
            stack.append((msg, []))
        else:
            code = int(m.group(3))
            # Close up to the matching start (robust to a missing ENDMSG).
            while stack:
                msg, parts = stack.pop()
                msg.text = "".join(parts).strip("\n")
                if msg.code == code:
                    break
    (stack[-1][1] if stack else loose).append(output[pos:])
    for msg, parts in reversed(stack):  # unterminated (TLC was killed)
        msg.text = "".join(parts).strip("\n")
    return messages, "".join(loose)


# --------------------------------------------------------------------------
# States.

_STATE_HEAD = re.compile(r"^(?P<num>\d+): (?:<(?P<head>[^>]*)>|(?P<stutter>Stuttering))?\s*$")
_ACTION_HEAD = re.compile(r"^(?:(?P<name>\S+) )?(?P<loc>line \d+, col \d+ to line \d+, col \d+ of module \S+)$")
_VAR_START = re.compile(r"^(?:/\\ )?([A-Za-z_][A-Za-z0-9_]*) = ", re.MULTILINE)


def parse_state_body(body: str) -> tuple[dict[str, Any], dict[str, str]]:
    """``/\\ x = 1\\n/\\ y = <<...>>`` (or a lone ``x = 1``) → values, texts.

    A value may span several lines; a new variable starts only at a line
    beginning ``/\\ name = `` (or ``name = `` for a one-variable spec).
    """
    lines = body.strip("\n").splitlines()
    multi = any(line.startswith("/\\ ") for line in lines)
    chunks: list[list[str]] = []
    for line in lines:
        starts = line.startswith("/\\ ") if multi else (not chunks and _VAR_START.match(line))
        if starts or not chunks:
            chunks.append([line[3:] if multi and line.startswith("/\\ ") else line])
        else:
            chunks[-1].append(line)
    values: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for chunk in chunks:
        joined = "\n".join(chunk)
        name, sep, rest = joined.partition(" = ")
        if not sep or not name.strip().isidentifier():
            continue
        text = " ".join(rest.split())
        texts[name.strip()] = text
        values[name.strip()] = parse_value_lenient(rest)
    return values, texts


def _parse_action_head(head: str | None) -> tuple[str | None, str | None]:
    if head is None or head == "Initial predicate":
        return None, None
    m = _ACTION_HEAD.match(head.strip())
    if not m:
        return head.strip(), None
    name = m.group("name")
    return (None if name in (None, "Action") else name), m.group("loc")


def parse_trace_state(text: str) -> TraceState | None:
    """A 2217 message: ``N: <Action line …>`` followed by the variables."""
    head, _, body = text.partition("\n")
    m = _STATE_HEAD.match(head.strip())
    if not m:
        return None
    action, location = _parse_action_head(m.group("head"))
    values, texts = parse_state_body(body)
    return TraceState(int(m.group("num")), action, location, values, texts)


def parse_dump(text: str) -> list[dict[str, Any]]:
    """The states of a ``-dump`` file (``State N:`` blocks), as value dicts."""
    blocks = re.split(r"^State \d+:\s*$", text, flags=re.MULTILINE)
    return [parse_state_body(block)[0] for block in blocks[1:]]


# --------------------------------------------------------------------------
# The whole result.

STATS_LINE = re.compile(r"([\d,]+) states generated(?: \([^)]*\))?, (-?[\d,]+) distinct states found"
                    r"(?: \([^)]*\))?, (-?[\d,]+) states left on queue")
_SIMU_STATS = re.compile(r"([\d,]+) states generated")
_DEPTH = re.compile(r"depth of the complete state graph search is (\d+)")
_FINISHED = re.compile(r"Finished in (.+?) at")
_NAMED = re.compile(r"(?:Invariant|Property|Action property) (\S+) is violated")

CONFIG_CODES = frozenset(range(5001, 5007)) | frozenset(range(2222, 2246)) | {2280, 2281, 3100}
PARSE_CODES = frozenset({3002, 4000, 4001, 4002})
EVAL_CODES = frozenset({1000, 2105, 2109, 2111, 2113, 2118, 2103, 2120, 2106})


def parse_count(text: str) -> int:
    return int(text.replace(",", ""))


def parse_output(output: str, exit_code: int | None = None) -> TlcResult:
    """Parse complete tool-mode output (and the exit status, if known)."""
    messages, loose = split_messages(output)
    result = TlcResult(exit_code=exit_code, output=output)
    codes = [m.code for m in messages]
    by_code: dict[int, list[Message]] = {}
    for msg in messages:
        by_code.setdefault(msg.code, []).append(msg)
        if msg.severity == WARNING:
            result.warnings.append(" ".join(msg.text.split()))
    if 2262 in by_code:
        result.version = by_code[2262][0].text.strip()
    if 2188 in by_code:
        result.mode = "simulation"
    _read_statistics(result, messages)
    result.counterexample = _read_counterexample(messages)
    result.parse_errors = parse_sany_errors(loose)
    result.warnings.extend(parse_sany_warnings(loose))
    _classify(result, by_code, codes, loose)
    return result


def _read_statistics(result: TlcResult, messages: Iterable[Message]) -> None:
    for msg in messages:
        if msg.code in (2199, 2200, 2209, 2190):
            m = STATS_LINE.search(msg.text)
            if m:
                result.generated, distinct, queue = (parse_count(g) for g in m.groups())
                result.distinct = distinct if distinct >= 0 else None
                result.queue = queue if queue >= 0 else None
            elif msg.code == 2209 or "states generated" in msg.text:
                m2 = _SIMU_STATS.search(msg.text)
                if m2:
                    result.generated = parse_count(m2.group(1))
        elif msg.code == 2194:
            m = _DEPTH.search(msg.text)
            if m:
                result.depth = int(m.group(1))
        elif msg.code == 2186:
            m = _FINISHED.search(msg.text)
            if m:
                result.tlc_time = m.group(1)


def _read_counterexample(messages: list[Message]) -> Counterexample | None:
    trace = Counterexample()
    found = False
    for msg in messages:
        if msg.code == 2217:
            state = parse_trace_state(msg.text)
            if state is not None:
                trace.states.append(state)
                found = True
        elif msg.code == 2218:
            trace.stuttering = True
        elif msg.code == 2122:
            m = re.match(r"\s*(\d+): Back to state(?:: <([^>]*)>)?", msg.text)
            if m:
                trace.loop_to = int(m.group(1))
                trace.loop_action, trace.loop_location = _parse_action_head(m.group(2))
        elif msg.code in (2107, 2108):
            # "Invariant X is violated by the initial state:" + the state.
            _, _, body = msg.text.partition("\n")
            values, texts = parse_state_body(body)
            if values:
                trace.states.append(TraceState(1, None, None, values, texts))
                found = True
    return trace if found else None


def _classify(result: TlcResult, by_code: dict[int, list[Message]], codes: list[int], loose: str) -> None:
    def text_of(*wanted: int) -> str:
        return "\n".join(m.text for c in wanted for m in by_code.get(c, []))

    def named(*wanted: int) -> str | None:
        m = _NAMED.search(text_of(*wanted))
        return m.group(1) if m else None

    code = result.exit_code
    if PARSE_CODES & set(codes) or code == 150 or result.parse_errors:
        result.outcome = Outcome.PARSE_ERROR
        result.message = "\n".join(str(e) for e in result.parse_errors) or text_of(*PARSE_CODES) or loose.strip()
    elif CONFIG_CODES & set(codes) or code == 151:
        result.outcome = Outcome.CONFIG_ERROR
        result.message = (text_of(*sorted(CONFIG_CODES & set(codes))) or _explain(text_of(1000))).strip()
    elif 2107 in by_code or 2110 in by_code:
        result.outcome = Outcome.INVARIANT
        result.violated = named(2107, 2110)
        result.message = text_of(2107, 2110).splitlines()[0]
    elif 2112 in by_code:
        result.outcome = Outcome.ACTION_PROPERTY
        result.violated = named(2112)
        result.message = text_of(2112).strip()
    elif 2108 in by_code or 2116 in by_code:
        result.outcome = Outcome.PROPERTY
        result.violated = named(2108)
        result.message = text_of(2108, 2116).splitlines()[0]
    elif 2114 in by_code:
        result.outcome = Outcome.DEADLOCK
        result.message = text_of(2114).strip()
    elif 2104 in by_code:
        result.outcome = Outcome.ASSUMPTION
        result.message = text_of(2104).strip()
    elif 2132 in by_code or code == 14:
        result.outcome = Outcome.ASSERTION
        result.message = _explain(text_of(2132, 1000))
    elif EVAL_CODES & set(codes) or code in (75, 76, 77):
        result.outcome = Outcome.EVAL_ERROR
        result.message = "\n".join(_explain(m.text) for c in dict.fromkeys(codes) if c in EVAL_CODES
                                   for m in by_code[c]).strip()
    elif code in (0, None) and (2193 in by_code or (result.mode == "simulation" and 2186 in by_code)):
        result.outcome = Outcome.SUCCESS if code == 0 else Outcome.OTHER
        if code is None:
            result.message = "TLC's exit status is unknown"
    else:
        result.outcome = Outcome.OTHER
        errors = [m.text for c in codes for m in by_code.get(c, []) if m.severity in (ERROR, TLCBUG)]
        result.message = "\n".join(dict.fromkeys(errors)) or loose.strip()[-2000:] or exit_meaning(code)


_BOILERPLATE = ("TLC threw an unexpected exception.", "This was probably caused by an error in the spec",
                "See the User Output or TLC Console")


def _explain(text: str) -> str:
    """Drop TLC's generic exception preamble, keep the cause."""
    lines = [line for line in text.strip().splitlines() if not line.startswith(_BOILERPLATE)]
    joined = "\n".join(lines)
    m = re.match(r"The exception was a (\S+)\s*\n?: ?(.*)", joined, re.DOTALL)
    if m:
        cause = m.group(2).strip()
        return cause if cause else f"{m.group(1)} (no message)"
    return joined


def render_counterexample(trace: Counterexample, *, changed_only: bool = True) -> str:
    """Readable counterexample: each state's header and, after the first state,
    only the variables whose value changed (as TLC's trace explorer shows)."""
    out: list[str] = []
    previous: dict[str, str] = {}
    for state in trace.states:
        if state.action:
            head = f"State {state.number}: {state.action}"
            if state.location:
                head += f"  ({state.location})"
        else:
            head = f"State {state.number}: initial state" if state.number == 1 else f"State {state.number}"
        out.append(head)
        shown = 0
        for name, text in state.text.items():
            if changed_only and previous and previous.get(name) == text:
                continue
            out.append(f"    {name} = {text}")
            shown += 1
        if previous and not shown:
            out.append("    (no variable changed)")
        previous = state.text
    if trace.loop_to is not None:
        action = f" via {trace.loop_action}" if trace.loop_action else ""
        out.append(f"Back to state {trace.loop_to}{action}: the behaviour loops forever from here.")
    if trace.stuttering:
        out.append("Stuttering: the behaviour stays in the last state forever.")
    return "\n".join(out)


__all__ = ["Outcome", "TlcResult", "TraceState", "Counterexample", "ParseError", "Message",
           "EXIT_CODES", "exit_meaning", "split_messages", "parse_output", "parse_dump",
           "parse_state_body", "parse_sany_errors", "render_counterexample"]

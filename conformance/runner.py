"""The conformance runner: run vectors through a client subprocess over the JSON-lines protocol.

conformance/README.md is the normative description of the protocol; this
module is its runner side.  In short: start the client command, exchange
``hello`` lines (unless ``hello=False``), send one request line per vector,
read exactly one response line per request, compare the response's output
with the vector's ``expected`` (only the members the suite names), close the
client's stdin and wait for it to exit.

A client that misbehaves — exits, prints a line that is not a JSON object
(or one over the protocol's length limit), answers another id, or says
nothing within the timeout — causes a
:class:`ProtocolError`: the vector is reported as a protocol failure with a
sentence saying what happened, the client is stopped and started again for
the next vector, and after ``max_restarts`` restarts the run stops.  Nothing
the client does produces a Python traceback in the runner.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from altledger.conformance.diff import ABSENT, Difference, diff, short_path, show
from altledger.conformance.suites import MAX_LINE_CHARS, PROTOCOL, Suite, line_too_long, request_input
from altledger.reference import jsontext
from altledger.reference.errors import AltledgerError
from altledger.reference.jsontext import JsonTextError

DEFAULT_TIMEOUT = 60.0
STARTUP_TIMEOUT = 60.0
EXIT_GRACE = 5.0
NOT_UTF8 = object()          # what the reader thread queues when the client's output stops being UTF-8
TOO_LONG = object()          # … when a line grows past MAX_LINE_CHARS (suites.py)
LINES_AHEAD = 16
"""Lines the reader thread takes from a client before the runner asks for them; then it waits, and the
client blocks on its full pipe, instead of the runner storing whatever a flooding client prints."""


class ProtocolError(AltledgerError):
    """The client broke the protocol (see the module docstring)."""


class RunnerError(AltledgerError):
    """The run could not be carried out: the client cannot be started or keeps breaking the protocol."""


def builtin_client(impl: str) -> list[str]:
    """The command of the built-in client for ``impl`` (run as a subprocess like any other client)."""
    return [sys.executable, "-m", "altledger", "conformance", "client", "--impl", impl]


def split_command(command: str) -> list[str]:
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise RunnerError(f"cannot parse the client command {command!r}: {error}") from None
    if not argv:
        raise RunnerError("the client command is empty")
    return argv


class ClientProcess:
    """One running client: write request lines, read response lines with a timeout."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.argv = argv
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None,
                                         text=True, encoding="utf-8", bufsize=1, env=env)
        except OSError as error:
            raise RunnerError(f"cannot start the client {shlex.join(argv)}: {error.strerror or error}") from None
        self.lines: queue.Queue[Any] = queue.Queue(LINES_AHEAD)     # lines, NOT_UTF8 or TOO_LONG, then None
        self.stopped = threading.Event()                              # kill() or close(): the reader stops
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        """Queue the client's lines (at most LINES_AHEAD ahead of the runner); a line longer than
        MAX_LINE_CHARS, or bytes that are not UTF-8, end the reading with a sentinel."""
        assert self.proc.stdout is not None
        try:
            while True:
                line = self.proc.stdout.readline(MAX_LINE_CHARS + 1)
                if not line:
                    break
                if line_too_long(line):
                    self._queue(TOO_LONG)
                    return
                if not self._queue(line):
                    return
        except UnicodeDecodeError:          # the rest of the output cannot be read as lines
            self._queue(NOT_UTF8)
        except (OSError, ValueError):       # closed under us
            pass
        finally:
            self._queue(None)

    def _queue(self, item: Any) -> bool:
        """Put ``item`` for the runner, waiting while the queue is full; False once the client is stopped
        (nobody will read it)."""
        while not self.stopped.is_set():
            try:
                self.lines.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _exit_status(self) -> str:
        try:
            code = self.proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            return "closed its output but is still running"
        return f"exited with status {code}"

    def send(self, message: dict[str, Any], timeout: float) -> None:
        """Write one request line.  A line longer than the pipe holds blocks until the client reads it,
        so the write runs in a thread of its own and is given ``timeout`` seconds: a client that stops
        reading its input is a protocol failure, not a runner that waits for ever."""
        assert self.proc.stdin is not None
        stdin, line = self.proc.stdin, json.dumps(message, separators=(",", ":"), ensure_ascii=False) + "\n"
        failed: list[BaseException] = []

        def write() -> None:
            try:
                stdin.write(line)
                stdin.flush()
            except (OSError, ValueError) as error:      # BrokenPipeError is an OSError
                failed.append(error)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        writer.join(timeout)
        if writer.is_alive():       # (kill() then ends the write: the pipe breaks)
            raise ProtocolError(f"the client did not read request id {message.get('id')} within {timeout:g} s "
                                f"(timeout)")
        if failed:
            raise ProtocolError(f"the client {self._exit_status()} before it could read request "
                                f"id {message.get('id')}")

    def receive(self, ident: int, timeout: float) -> dict[str, Any]:
        """The response to request ``ident``."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise ProtocolError(f"no answer to request id {ident} within {timeout:g} s (timeout)") from None
        if line is None:
            raise ProtocolError(f"the client {self._exit_status()} without answering request id {ident}")
        if line is NOT_UTF8:
            raise ProtocolError(f"the client printed bytes that are not UTF-8 instead of answering request id "
                                f"{ident}")
        if line is TOO_LONG:
            raise ProtocolError(f"the client printed a line longer than {MAX_LINE_CHARS:,} characters instead of "
                                f"answering request id {ident}")
        try:
            response = jsontext.loads(line)
        except JsonTextError as error:
            raise ProtocolError(f"the client printed a line that is not JSON instead of answering request id "
                                f"{ident} ({error.reason}): {show(line.rstrip(), 80)}") from None
        if not isinstance(response, dict):
            raise ProtocolError(f"the answer to request id {ident} is not a JSON object: {show(response, 80)}")
        if response.get("id") != ident:
            raise ProtocolError(f"the client answered id {show(response.get('id', ABSENT), 40)} to request id "
                                f"{ident}")
        return response

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        self.send(message, timeout)
        return self.receive(message["id"], timeout)

    def close(self) -> None:
        """Close stdin (the end of the session) and wait; kill a client that does not exit."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=EXIT_GRACE)
        except subprocess.TimeoutExpired:
            self.kill()
        self.stopped.set()

    def kill(self) -> None:
        self.stopped.set()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


@dataclass
class VectorResult:
    id: str
    status: str                           # pass | fail | error | protocol | not-run
    description: str = ""
    clauses: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    divergence: str = ""                  # where a run first diverged (digests)
    message: str = ""                     # the client's error, or the protocol problem
    seconds: float = 0.0
    names: dict[str, str] = field(default_factory=dict, repr=False)   # hex -> short name, for the text report

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def as_json(self, max_diffs: int = 50) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "status": self.status, "seconds": round(self.seconds, 4)}
        if not self.passed:
            out |= {"description": self.description, "clauses": self.clauses}
        if self.differences:
            out["differences"] = [d.as_json() for d in self.differences[:max_diffs]]
            out["difference_count"] = len(self.differences)
        if self.divergence:
            out["first_divergence"] = self.divergence
        if self.message:
            out["message"] = self.message
        return out


@dataclass
class RunReport:
    suite: str
    client: str
    results: list[VectorResult]
    seconds: float
    hello: dict[str, Any] | None = None
    aborted: str = ""
    restarts: int = 0

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def passed(self) -> bool:
        return not self.aborted and all(r.passed for r in self.results)

    def failed_ids(self) -> list[str]:
        return [r.id for r in self.results if not r.passed]

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(s)} {s}" for s in ("fail", "error", "protocol", "not-run") if self.count(s))
        head = f"{self.suite}: {self.count('pass')}/{len(self.results)} vectors pass"
        return head + (f" ({counts})" if counts else "") + (f"; run stopped: {self.aborted}" if self.aborted else "")

    def as_json(self, max_diffs: int = 50) -> dict[str, Any]:
        return {"suite": self.suite, "client": self.client, "passed": self.passed, "hello": self.hello,
                "counts": {s: self.count(s) for s in ("pass", "fail", "error", "protocol", "not-run")},
                "total": len(self.results), "seconds": round(self.seconds, 3), "restarts": self.restarts,
                "aborted": self.aborted or None,
                "vectors": [r.as_json(max_diffs) for r in self.results]}


def compare(chosen: Suite, vector: dict[str, Any], output: Any) -> tuple[list[Difference], str]:
    """Differences between the vector's expected output and ``output`` (the compared members only),
    and, for runs with digests, where the run first diverged."""
    expected = vector["expected"]
    if not isinstance(output, dict):
        return [Difference("/", expected, output)], ""
    members = chosen.compared[vector["kind"]]
    differences: list[Difference] = []
    divergence = ""
    for member in members:
        want, got = expected[member], output.get(member, ABSENT)
        if member == "digests" and isinstance(got, list):
            divergence = first_divergence(vector, want, got, chosen)
            if divergence:
                differences.append(Difference("/digests", f"{len(want)} digests", "differ: " + divergence))
            continue
        differences.extend(diff(want, got, f"/{member}"))
    return differences, divergence


def first_divergence(vector: dict[str, Any], want: list, got: list, chosen: Suite | None = None) -> str:
    """'after operation i OP' for the first digest that differs ('' when all agree).  A suite whose steps
    are not operations names them with its ``describe_step`` hook (``extra``)."""
    operations = vector.get("operations", [])
    describe = chosen.load(chosen.extra["describe_step"]) if chosen and "describe_step" in chosen.extra else None
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            if describe is not None:
                return describe(vector, i)
            op = json.dumps(operations[i]) if i < len(operations) else "?"
            return f"after operation {i} {op} (0-based)"
    if len(want) != len(got):
        return f"{len(got)} digests where {len(want)} operations were applied"
    return ""


def run_vectors(chosen: Suite, vectors: list[dict[str, Any]], argv: list[str], *, timeout: float = DEFAULT_TIMEOUT,
                hello: bool = True, max_restarts: int = 3, env: dict[str, str] | None = None,
                progress: Callable[[int, int, VectorResult], None] | None = None) -> RunReport:
    """Run every vector through the client command ``argv``; never raises for a misbehaving client
    (a client that cannot be started or greeted at all raises :class:`RunnerError`)."""
    started = time.perf_counter()
    report = RunReport(chosen.name, shlex.join(argv), [], 0.0)
    client: ClientProcess | None = None

    def start() -> ClientProcess:
        process = ClientProcess(argv, env)
        if hello:
            try:
                answer = process.request({"id": 0, "hello": {"protocol": PROTOCOL, "suite": chosen.name}},
                                         STARTUP_TIMEOUT)
            except ProtocolError as error:
                process.kill()
                raise RunnerError(f"the client did not complete the hello exchange: {error}") from None
            check_hello(answer, chosen.name, process)
            report.hello = answer.get("hello")
        return process

    try:
        for number, vector in enumerate(vectors, 1):
            if client is None:
                try:
                    client = start()
                except RunnerError as error:
                    if number == 1:
                        raise
                    report.aborted = f"the client could not be restarted: {error}"
                    report.results.extend(VectorResult(rest["id"], "not-run", rest.get("description", ""),
                                                       rest.get("clauses", [])) for rest in vectors[number - 1:])
                    break
            result = VectorResult(vector["id"], "pass", vector.get("description", ""), vector.get("clauses", []),
                                  names=names_of(vector))
            begin = time.perf_counter()
            request = {"id": number, "suite": chosen.name, "kind": vector["kind"], "input": request_input(vector)}
            try:
                response = client.request(request, timeout)
            except ProtocolError as error:
                result.status, result.message = "protocol", str(error)
                client.kill()
                client = None
                report.restarts += 1
            else:
                judge(chosen, vector, response, result)
            result.seconds = time.perf_counter() - begin
            report.results.append(result)
            if progress is not None:
                progress(number, len(vectors), result)
            if client is None and report.restarts > max_restarts and number < len(vectors):
                report.aborted = f"the client broke the protocol {report.restarts} times"
                for rest in vectors[number:]:
                    report.results.append(VectorResult(rest["id"], "not-run", rest.get("description", ""),
                                                       rest.get("clauses", [])))
                break
    finally:
        if client is not None:
            client.close()
    report.seconds = time.perf_counter() - started
    return report


def check_hello(answer: dict[str, Any], suite_name: str, process: ClientProcess) -> None:
    hello = answer.get("hello")
    problem = ""
    if not isinstance(hello, dict):
        problem = "the answer to hello has no 'hello' object"
    elif hello.get("protocol") != PROTOCOL:
        problem = f"protocol {hello.get('protocol')!r}, the runner speaks {PROTOCOL!r}"
    elif suite_name not in (hello.get("suites") or []):
        problem = f"the client does not support suite {suite_name!r} (it lists {hello.get('suites')})"
    if problem:
        process.kill()
        raise RunnerError(f"hello refused: {problem}")


def judge(chosen: Suite, vector: dict[str, Any], response: dict[str, Any], result: VectorResult) -> None:
    if "error" in vector["expected"]:
        judge_refusal(chosen, vector, response, result)
        return
    if "error" in response:
        error = response["error"]
        result.status = "error"
        if isinstance(error, dict):
            result.message = f"{error.get('type', '?')}: {error.get('message', '')}"
        else:
            result.message = show(error, 200)
        return
    if "output" not in response:
        result.status, result.message = "protocol", "the response has neither 'output' nor 'error'"
        return
    result.differences, result.divergence = compare(chosen, vector, response["output"])
    if result.differences:
        result.status = "fail"


def judge_refusal(chosen: Suite, vector: dict[str, Any], response: dict[str, Any], result: VectorResult) -> None:
    """A vector the client must refuse: compare the members ``compared[kind]`` of its error object."""
    expected = vector["expected"]["error"]
    error = response.get("error")
    if error is None:
        if "output" not in response:
            result.status, result.message = "protocol", "the response has neither 'output' nor 'error'"
            return
        result.status, result.message = "fail", "the client accepted input it must refuse"
        result.differences = [Difference("/error", expected, ABSENT)]
        return
    if not isinstance(error, dict):
        result.status, result.message = "fail", f"the error is not a JSON object: {show(error, 120)}"
        result.differences = [Difference("/error", expected, error)]
        return
    result.message = f"{error.get('type', '?')}: {error.get('message', '')}"
    for member in chosen.compared[vector["kind"]]:
        result.differences.extend(diff(expected[member], error.get(member, ABSENT), f"/error/{member}"))
    result.status = "fail" if result.differences else "pass"
    if result.passed:
        result.message = ""


# -- text report -----------------------------------------------------------------------------------

def names_of(vector: dict[str, Any]) -> dict[str, str]:
    """Short names for the long hex strings of a vector: txid -> 'tx LABEL', agent -> its name."""
    names = {}
    transactions = vector.get("transactions")
    if isinstance(transactions, dict):
        for label, entry in transactions.items():
            if isinstance(entry, dict) and isinstance(entry.get("txid"), str):
                names[entry["txid"]] = f"tx {label}"
    for entry in vector.get("genesis", []) if isinstance(vector.get("genesis"), list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("agent"), str):
            names[entry["agent"]] = str(entry.get("name"))
    return names


def describe_failure(result: VectorResult, max_diffs: int = 12) -> list[str]:
    """Lines for one non-passing vector: id, clauses, description, then what differs (JSON pointers;
    txids and agents shown by label and name, ``<tx t>``; --json gives the raw values)."""
    names = result.names
    lines = [f"{result.status.upper()} {result.id}  ({', '.join(result.clauses)})"]
    if result.description:
        lines.append(f"  {result.description}")
    if result.message:
        lines.append(f"  {result.message}")
    if result.divergence:
        lines.append(f"  first divergence: {result.divergence}")
    shown = [d for d in result.differences if not (d.path == "/digests" and result.divergence)]
    for d in shown[:max_diffs]:
        path = short_path(d.path, names)
        if d.actual is ABSENT:
            lines.append(f"  {path}: missing; expected {show(d.expected, names=names)}")
        elif d.expected is ABSENT:
            lines.append(f"  {path}: unexpected {show(d.actual, names=names)}")
        else:
            lines.append(f"  {path}: expected {show(d.expected, names=names)}")
            lines.append(f"  {' ' * len(path)}  actual   {show(d.actual, names=names)}")
    if len(shown) > max_diffs:
        lines.append(f"  ... and {len(shown) - max_diffs} more differences (--max-diffs, --json)")
    return lines


def environment_for_builtin() -> dict[str, str]:
    """The environment of a built-in client: ours, unbuffered."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env

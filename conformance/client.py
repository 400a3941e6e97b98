"""The built-in conformance client: the JSON-lines protocol of conformance/README.md on stdin/stdout.

``altledger conformance client --impl NAME`` is what ``altledger
conformance run --impl NAME`` starts as a subprocess, so our own
implementations are checked through exactly the path a Go or Rust client
takes.  It is also the worked example of the protocol: read one line, answer
one line, flush, until end of input.

Every request is answered, even a bad one: input the implementation rejects
becomes ``{"id": n, "error": {"type": ..., "message": ...}}`` (the typed
errors of :mod:`altledger.reference.errors` keep their class name); an
unexpected exception becomes type ``InternalError`` and its traceback goes
to stderr, which the runner passes through.
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import IO, Any

from altledger.conformance.suites import MAX_LINE_CHARS, PROTOCOL, SUITES, line_too_long, suite
from altledger.reference import jsontext
from altledger.reference.errors import AltledgerError
from altledger.reference.jsontext import JsonTextError


class Client:
    """Answers requests for one implementation name, across every suite that knows it."""

    def __init__(self, impl: str) -> None:
        self.impl = impl
        self.backends: dict[str, Any] = {}

    def hello(self, asked: Any = None) -> dict[str, Any]:
        """The hello answer.  Asked for one suite it supports, the client confirms that suite alone (what
        the runner checks); otherwise it lists every suite it knows."""
        suites = [asked] if asked in SUITES else sorted(SUITES)
        return {"protocol": PROTOCOL, "implementation": self.impl, "suites": suites}

    def backend(self, suite_name: str) -> Any:
        if suite_name not in self.backends:
            self.backends[suite_name] = suite(suite_name).load(suite(suite_name).backend)(self.impl)
        return self.backends[suite_name]

    def answer(self, request: Any) -> dict[str, Any]:
        """The response object for one parsed request line."""
        if not isinstance(request, dict) or "id" not in request:
            return {"id": None, "error": {"type": "ProtocolError",
                                          "message": "a request is a JSON object with an 'id' member"}}
        ident = request["id"]
        if "hello" in request:
            hello = request["hello"]
            return {"id": ident, "hello": self.hello(hello.get("suite") if isinstance(hello, dict) else None)}
        missing = [k for k in ("suite", "kind", "input") if k not in request]
        if missing:
            return {"id": ident, "error": {"type": "ProtocolError",
                                           "message": f"request lacks {', '.join(missing)}"}}
        try:
            chosen = suite(request["suite"])
            output = chosen.load(chosen.handler)(request["kind"], request["input"], self.backend(request["suite"]))
        except AltledgerError as error:
            # Typed rejections may carry machine-readable members (the hashgraph "class" and "item").
            details = getattr(error, "details", None)
            return {"id": ident, "error": {"type": type(error).__name__, "message": str(error),
                                           **(details if isinstance(details, dict) else {})}}
        except Exception as error:  # noqa: BLE001 - reported to the runner, traceback on stderr
            traceback.print_exc(file=sys.stderr)
            return {"id": ident, "error": {"type": "InternalError", "message": f"{type(error).__name__}: {error}"}}
        return {"id": ident, "output": output}


def request_lines(stdin: IO[str]):
    """The lines of ``stdin``; a line longer than the protocol's MAX_LINE_CHARS is read to its end in
    pieces, never held whole, and comes out as None."""
    while True:
        line = stdin.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if not line_too_long(line):
            yield line
            continue
        while line and not line.endswith("\n"):       # skip the rest of the over-long line
            line = stdin.readline(MAX_LINE_CHARS)
        yield None


def serve(impl: str, stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout) -> int:
    """Answer every request line until end of input; return the exit status (0)."""
    client = Client(impl)
    for line in request_lines(stdin):
        if line is None:
            response = {"id": None, "error": {"type": "ProtocolError",
                                              "message": f"a line longer than {MAX_LINE_CHARS:,} characters"}}
        elif not line.strip():
            continue
        else:
            try:
                request = jsontext.loads(line)
            except JsonTextError as error:
                response = {"id": None, "error": {"type": "ProtocolError", "message": f"not JSON: {error.reason}"}}
            else:
                response = client.answer(request)
        stdout.write(json.dumps(response, separators=(",", ":")) + "\n")
        stdout.flush()
    return 0

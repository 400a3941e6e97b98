"""Protocol robustness: a client that crashes, prints garbage, answers the wrong id, times out, refuses the
hello or cannot be started gives a clear runner message and exit status, never a traceback.

The misbehaving clients are tiny Python scripts that answer correctly (through
the built-in client) except where their mode says otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from altledger.conformance.runner import LINES_AHEAD, ClientProcess, ProtocolError, RunnerError, run_vectors
from altledger.conformance.suites import suite
from altledger.conformance.vectors import load_vectors

TWOPC = suite("twopc")
FEW = load_vectors(TWOPC, pattern="step/participant-prepare/*")[:3]
FILTER = [arg for v in FEW for arg in ("--filter", v["id"])]      # the same three, for the CLI

CLIENT = r'''
import json, sys, time
from altledger.conformance.client import Client
mode, bad = sys.argv[1], int(sys.argv[2])
client = Client("reference")
for line in sys.stdin:
    request = json.loads(line)
    if "hello" in request:
        if mode == "bad-hello":
            print(json.dumps({"id": 0, "hello": {"protocol": "other/9", "suites": ["twopc"]}}), flush=True)
            continue
        if mode == "no-hello-support":
            print("what is hello?", flush=True)
            continue
    n = request.get("id")
    if n == bad or (mode in ("always-crash",) and n):
        if mode in ("crash", "always-crash"):
            sys.exit(3)
        if mode == "garbage":
            print("<html>not json</html>", flush=True)
            continue
        if mode == "wrong-id":
            print(json.dumps({"id": n + 100, "output": {}}), flush=True)
            continue
        if mode == "hang":
            time.sleep(60)
        if mode == "error":
            print(json.dumps({"id": n, "error": {"type": "Unsupported", "message": "no Flush yet"}}), flush=True)
            continue
        if mode == "array":
            print("[1, 2]", flush=True)
            continue
        odd = {"huge-integer": "9" * 5000, "deep": "[" * 5000 + "]" * 5000, "nan": "NaN"}
        if mode in odd:
            print('{"id": %d, "output": %s}' % (n, odd[mode]), flush=True)
            continue
        if mode == "repeated-id":
            print('{"id": %d, "id": %d, "output": {}}' % (n + 1, n), flush=True)
            continue
        if mode == "endless-line":             # one line that never ends
            while True:
                sys.stdout.write("a" * (1 << 20))
        if mode == "not-utf8":
            sys.stdout.buffer.write(b'{"id": %d, "output": "\xff"}\n' % n)
            sys.stdout.flush()
            continue
    print(json.dumps(client.answer(request)), flush=True)
'''


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clients") / "client.py"
    path.write_text(CLIENT)
    return path


def argv(script: Path, mode: str, bad: int = 2) -> list[str]:
    return [sys.executable, str(script), mode, str(bad)]


def test_a_well_behaved_client_passes(script: Path) -> None:
    report = run_vectors(TWOPC, FEW, argv(script, "fine", 0))
    assert report.passed and report.count("pass") == 3


@pytest.mark.parametrize("mode, says", [
    ("crash", "exited with status 3 without answering request id 2"),
    ("garbage", "printed a line that is not JSON instead of answering request id 2"),
    ("wrong-id", "answered id 102 to request id 2"),
    ("array", "is not a JSON object"),
    # JSON that ``json.loads`` chokes on or reads ambiguously (reference.jsontext): once a traceback
    # in the runner, or the last of two ids taken silently
    ("huge-integer", "not JSON instead of answering request id 2 (an integer of more than 4300 digits)"),
    ("deep", "not JSON instead of answering request id 2 (arrays or objects nested more than 100 levels deep)"),
    ("nan", "not JSON instead of answering request id 2 (NaN is not a JSON number)"),
    ("repeated-id", "not JSON instead of answering request id 2 (duplicate key 'id' in an object)"),
    ("not-utf8", "printed bytes that are not UTF-8 instead of answering request id 2"),
    # once held in memory until the timeout: 11 GB in the 60 s the runner waited for a hello
    ("endless-line", "printed a line longer than 67,108,864 characters instead of answering request id 2"),
])
def test_misbehaviour_fails_one_vector_and_the_client_is_restarted(script: Path, mode: str, says: str) -> None:
    report = run_vectors(TWOPC, FEW, argv(script, mode))
    statuses = [r.status for r in report.results]
    assert statuses == ["pass", "protocol", "pass"]
    assert says in report.results[1].message
    assert report.restarts == 1 and not report.aborted


def test_a_flooding_client_is_not_read_ahead_without_bound() -> None:
    """A client printing lines nobody asked for fills at most LINES_AHEAD of the runner's queue, then
    blocks on its pipe; stopping the client stops the reader thread."""
    flood = "import sys, time\nfor _ in range(100000): print('{}')\nsys.stdout.flush()\ntime.sleep(30)\n"
    client = ClientProcess([sys.executable, "-c", flood])
    try:
        deadline = time.monotonic() + 10
        while client.lines.qsize() < LINES_AHEAD and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)                         # time to read on, were the queue unbounded
        assert client.lines.qsize() == LINES_AHEAD
    finally:
        client.kill()
    client.reader.join(timeout=5)
    assert not client.reader.is_alive()


def test_a_client_that_stops_reading_times_out_instead_of_blocking_the_runner() -> None:
    """A request longer than the pipe holds cannot be written to a client that never reads: the runner
    once waited for ever there, whatever --timeout said."""
    client = ClientProcess([sys.executable, "-c", "import time; time.sleep(60)"])
    started = time.monotonic()
    try:
        with pytest.raises(ProtocolError, match=r"did not read request id 1 within 1\.5 s \(timeout\)"):
            client.request({"id": 1, "input": "x" * (1 << 20)}, timeout=1.5)
        assert time.monotonic() - started < 30
    finally:
        client.kill()


def test_timeout(script: Path) -> None:
    report = run_vectors(TWOPC, FEW[:2], argv(script, "hang"), timeout=1.5)
    assert [r.status for r in report.results] == ["pass", "protocol"]
    assert "no answer to request id 2 within 1.5 s (timeout)" in report.results[1].message


def test_error_answers_are_reported_not_fatal(script: Path) -> None:
    report = run_vectors(TWOPC, FEW, argv(script, "error"))
    assert [r.status for r in report.results] == ["pass", "error", "pass"]
    assert report.results[1].message == "Unsupported: no Flush yet"
    assert report.restarts == 0


def test_repeated_crashes_stop_the_run(script: Path) -> None:
    vectors = load_vectors(TWOPC, pattern="step/participant-prepare/*")
    report = run_vectors(TWOPC, vectors, argv(script, "always-crash", 1), max_restarts=2)
    assert report.aborted == "the client broke the protocol 3 times"
    assert [r.status for r in report.results[:3]] == ["protocol"] * 3
    assert {r.status for r in report.results[3:]} == {"not-run"}


def test_refused_hello_is_a_runner_error(script: Path) -> None:
    with pytest.raises(RunnerError, match="hello refused: protocol 'other/9'"):
        run_vectors(TWOPC, FEW, argv(script, "bad-hello"))
    with pytest.raises(RunnerError, match="did not complete the hello exchange: .*not JSON"):
        run_vectors(TWOPC, FEW, argv(script, "no-hello-support"))


def test_no_hello_option_skips_the_exchange(script: Path) -> None:
    report = run_vectors(TWOPC, FEW, argv(script, "no-hello-support", 0), hello=False)
    assert report.passed and report.hello is None


def test_unstartable_client_is_a_runner_error(tmp_path: Path) -> None:
    with pytest.raises(RunnerError, match="cannot start the client"):
        run_vectors(TWOPC, FEW, [str(tmp_path / "no-such-client")])


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "altledger", "conformance", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("mode, restarts, code, says", [
    ("fine", 3, 0, "3/3 vectors pass"),
    ("crash", 3, 1, "PROTOCOL step/participant-prepare/"),
    ("garbage", 3, 1, "not JSON"),
    ("bad-hello", 3, 2, "altledger conformance: hello refused"),
    ("always-crash", 0, 2, "run stopped: the client broke the protocol 1 times"),
])
def test_cli_exit_status_and_clean_messages(script: Path, mode: str, restarts: int, code: int, says: str) -> None:
    result = cli("run", "--client", f"{sys.executable} {script} {mode} 2", *FILTER,
                 "--max-restarts", str(restarts))
    assert result.returncode == code, result.stdout + result.stderr
    assert says in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_cli_missing_command_is_a_clean_error(tmp_path: Path) -> None:
    result = cli("run", "--client", str(tmp_path / "nope"), *FILTER)
    assert result.returncode == 2
    assert result.stderr.startswith("altledger conformance: cannot start the client")
    assert "Traceback" not in result.stderr


def test_cli_json_report(script: Path) -> None:
    result = cli("run", "--client", f"{sys.executable} {script} error 2", *FILTER, "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["counts"] == {"pass": 2, "fail": 0, "error": 1, "protocol": 0, "not-run": 0}
    assert report["vectors"][1]["message"] == "Unsupported: no Flush yet"


def test_client_answers_bad_requests_with_errors() -> None:
    """The built-in client never dies on bad input: every line gets an answer."""
    lines = "\n".join([
        "not json",
        json.dumps({"no": "id"}),
        json.dumps({"id": 1, "suite": "twopc"}),
        json.dumps({"id": 2, "suite": "nope", "kind": "step", "input": {}}),
        json.dumps({"id": 3, "suite": "twopc", "kind": "step", "input": {"shard_count": 3}}),
        json.dumps({"id": 4, "suite": "twopc", "kind": "run", "input": {
            "shard_count": 3, "genesis": [], "transactions": {}, "operations": [["teleport", 1]]}}),
        json.dumps({"id": 5, "suite": "twopc", "kind": "walk", "input": {}}),
    ]) + "\n"
    result = subprocess.run([sys.executable, "-m", "altledger", "conformance", "client"], input=lines,
                            capture_output=True, text=True, timeout=120)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and len(answers) == 7
    assert [a["id"] for a in answers] == [None, None, 1, 2, 3, 4, 5]
    assert all("error" in a for a in answers)
    assert answers[3]["error"]["type"] == "ToolError" and "unknown conformance suite" in answers[3]["error"]["message"]
    assert answers[4]["error"]["type"] == "InputFileError" and "missing member(s)" in answers[4]["error"]["message"]
    assert "/operations/0" in answers[5]["error"]["message"]
    assert "Traceback" not in result.stderr


def test_unknown_implementation_is_reported_per_request() -> None:
    request = json.dumps({"id": 1, "suite": "twopc", "kind": "step", "input": FEW[0] | {}}) + "\n"
    result = subprocess.run([sys.executable, "-m", "altledger", "conformance", "client", "--impl", "broken:nope"],
                            input=request, capture_output=True, text=True, timeout=120)
    answer = json.loads(result.stdout)
    assert answer["error"]["type"] == "ToolError" and "unknown bug 'nope'" in answer["error"]["message"]


def test_client_refuses_an_over_long_line_and_serves_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    """The built-in client answers a request line over the protocol's limit with an error, without
    holding it whole, and goes on; a line exactly at the limit (newline not counted) is served."""
    import io

    from altledger.conformance import client, suites
    monkeypatch.setattr(suites, "MAX_LINE_CHARS", 1000)
    monkeypatch.setattr(client, "MAX_LINE_CHARS", 1000)
    hello = json.dumps({"id": 7, "hello": {"protocol": suites.PROTOCOL, "suite": "twopc"}})
    at_limit = hello + " " * (1000 - len(hello))          # trailing whitespace is still JSON
    lines = ["x" * 5000, hello, at_limit, at_limit + " ", hello]
    out = io.StringIO()
    client.serve("reference", io.StringIO("\n".join(lines) + "\n"), out)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a["id"] for a in answers] == [None, 7, 7, None, 7]
    assert answers[0]["error"] == answers[3]["error"] == {"type": "ProtocolError",
                                                          "message": "a line longer than 1,000 characters"}

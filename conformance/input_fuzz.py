"""Mutated input files through the commands that read them: a result or a typed error, never a traceback.

A client team or an auditor hands ``altledger`` files it did not write: operation lists
(``twopc replay``), DAG files (``abft order``), traces (``tlc trace``), and requests to the
conformance client.  The rule for bad input is one line on stderr naming what was wrong, exit
code 2, and never an exception from deep inside nor a silently wrong value.  Hand-written cases
test the errors we thought of; this machine tests the ones we did not.  Each rule takes a valid
file written by the tools themselves (a seeded ``twopc simulate`` with faults; an ``abft
simulate`` DAG with a forker, unequal stakes and a short coin period, which orders 13 of its 60
events, so that a mutation can change an order; a committed conformance vector), mutates it —
members deleted, list items duplicated or deleted, values replaced by values of other types,
strings and integers nudged, or the bytes themselves cut or made not UTF-8, or the text given
what ``json.dumps`` never writes: integers of thousands of digits, nesting hundreds of levels deep,
NaN, a key repeated — and runs the real command on it in this process (click's test runner).  It then checks:

* the command raised nothing but ``SystemExit`` (a traceback is the finding this looks for);
* exit 2 came with an ``error:`` line naming the file;
* ``twopc replay`` of a file that parses never reports a safety violation (exit 1): every
  operation an operations file can hold is something the environment may do, so the safety
  properties of spec/two_phase_commit.md must hold after any sequence of them;
* ``abft order`` gives the same exit code and byte-identical output with ``--impl reference``
  and ``--impl fast``: a DAG that parses is a DAG both must order alike, whether or not gossip
  could have produced it;
* a committed conformance vector's request, its input mutated, gets no ``InternalError`` from
  the built-in client of either implementation, and the same answer from both (the same output,
  or errors of the same type): what a client team sees when it feeds our client odd requests.

``tests/inputs/test_input_files.py`` runs it under the ``ci`` profile; ``altledger fuzz inputs`` runs it
for as long as you give it.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import re
import shutil
import tempfile
import traceback
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

# Values a mutation may put anywhere: other types, boundaries, near-misses of the formats used.
ODD_VALUES = st.sampled_from([
    0, 1, 2, 3, 7, -1, 2 ** 61, 2 ** 63, 2 ** 64, -(2 ** 63), 2 ** 200, None, True, False, 1.5,
    "", "x", "-5", " 7", "1e3", "0" * 64, "ff" * 33, "\u00e9", [], {}, [0], {"a": 1},
])
MUTATIONS_PER_FILE = st.integers(min_value=1, max_value=3)


@cache
def scratch_folder() -> Path:
    """One temporary folder per process for the seed files and the mutated ones (each mutated file
    overwrites the last), removed when the process exits."""
    folder = Path(tempfile.mkdtemp(prefix="altledger-input-fuzz-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@cache
def seed_files() -> dict[str, Path]:
    """Valid files written by the tools (once per process): the starting points of every mutation."""
    from click.testing import CliRunner

    from altledger.__main__ import cli
    folder = scratch_folder() / "seeds"
    folder.mkdir(exist_ok=True)     # (after a failed first call, the next one must show that failure again)
    files = {"ops": folder / "ops.json", "trace": folder / "trace.jsonl", "dag": folder / "dag.json"}
    runner = CliRunner()
    for args in (["twopc", "simulate", "--seed", "3", "--agents", "6", "--shards", "3", "--txs", "4",
                  "--faults", "mild", "--save-ops", str(files["ops"]), "--trace", str(files["trace"])],
                 ["abft", "simulate", "-n", "4", "-e", "60", "-k", "1", "--stakes", "1,2,1,3", "--coin-period", "4",
                  "--transactions", "2", "-s", "5", "-o", str(files["dag"])]):
        result = runner.invoke(cli, args)
        if result.exit_code != 0:
            raise RuntimeError(f"writing a seed file failed: altledger {' '.join(args)}: {result.output}")
    return files


@cache
def client(impl: str) -> Any:
    """The built-in conformance client of ``impl``, made once per process (it loads its backends once)."""
    from altledger.conformance.client import Client
    return Client(impl)


@cache
def vector_files() -> list[Path]:
    """The committed conformance vectors a client answers (every suite; reject vectors excluded: their
    input is a file's text, which ``corrupted_bytes`` already mutates as bytes)."""
    from altledger.conformance.suites import VECTOR_DIR
    return sorted(path for path in VECTOR_DIR.rglob("*.json")
                  if path.name != "index.json" and "reject" not in path.relative_to(VECTOR_DIR).parts)


def _place(data: Any, document: Any) -> tuple:
    """A member or item of ``document``, as a path of keys and indices: from the root, each step
    goes into a child drawn at random and then may stop or go on.  Every level is as likely as its
    depth allows, so ``params`` or a member's stake is mutated as often as an event's field, though
    a DAG file has far more of the latter.  The empty path means there was nowhere to go."""
    path: tuple = ()
    node = document
    while isinstance(node, (dict, list)) and node:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = keys[data.draw(st.integers(0, len(keys) - 1), label="child")]
        path, node = (*path, key), node[key]
        if not data.draw(st.booleans(), label="deeper"):
            break
    return path


def mutate(data: Any, document: Any) -> Any:
    """A copy of ``document`` with one to three mutations drawn from ``data`` (shrinks towards few, shallow)."""
    document = json.loads(json.dumps(document))
    for _ in range(data.draw(MUTATIONS_PER_FILE, label="mutations")):
        place = _place(data, document)
        if not place:
            break
        parent = document
        for step in place[:-1]:
            parent = parent[step]
        key, value = place[-1], parent[place[-1]]
        how = data.draw(st.sampled_from(["replace", "delete", "duplicate", "nudge"]), label="how")
        if how == "delete":
            del parent[key]
        elif how == "duplicate" and isinstance(parent, list):
            parent.insert(key, json.loads(json.dumps(value)))
        elif how == "nudge" and isinstance(value, str) and value:
            i = data.draw(st.integers(0, len(value) - 1), label="character")
            parent[key] = value[:i] + data.draw(st.sampled_from("0aF-. \x00\u00e9"), label="by") + value[i + 1:]
        elif how == "nudge" and isinstance(value, int) and not isinstance(value, bool):
            parent[key] = value + data.draw(st.sampled_from([1, -1, 2, -value - 1, 2 ** 64, -(2 ** 63)]), label="by")
        else:
            # a copy: a later mutation may change the value in place, and ODD_VALUES' lists and
            # objects must stay as they are for every example (else Hypothesis cannot replay one)
            parent[key] = json.loads(json.dumps(data.draw(ODD_VALUES, label="value")))
    return document


def corrupt_bytes(data: Any, raw: bytes) -> bytes:
    """``raw`` cut short, or with one byte replaced (0xff and 0xc3 make it not UTF-8)."""
    at = data.draw(st.integers(0, len(raw) - 1), label="offset")
    if data.draw(st.booleans(), label="cut"):
        return raw[:at]
    return raw[:at] + bytes([data.draw(st.sampled_from([0xFF, 0xC3, 0x00, 0x22, 0x7D]), label="byte")]) + raw[at + 1:]


# A scalar value after a key (a number, a string or a literal), and the first key of an object: where
# ``splice_odd_json`` puts what ``json.dumps`` cannot write.
SCALAR_VALUE = re.compile(r'(?<=:)\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"(?:[^"\\]|\\.)*"|true|false|null)')
FIRST_KEY = re.compile(r'\{\s*("(?:[^"\\]|\\.)*")\s*:')


def splice_odd_json(data: Any, text: str) -> str:
    """``text`` with one thing JSON parsers disagree on or choke on, which a mutation of the parsed
    document cannot produce (``json.dumps`` writes none of them): a scalar value replaced by an
    integer of thousands of digits, a value nested hundreds of levels deep, NaN or ±Infinity; or an
    object given its first key a second time (``reference.jsontext`` refuses all of these)."""
    if data.draw(st.booleans(), label="duplicate key") and FIRST_KEY.search(text):
        keys = list(FIRST_KEY.finditer(text))
        found = keys[data.draw(st.integers(0, len(keys) - 1), label="object")]
        return f"{text[:found.end()]} 0, {found.group(1)}:{text[found.end():]}"
    values = list(SCALAR_VALUE.finditer(text))
    if not values:
        return text
    found = values[data.draw(st.integers(0, len(values) - 1), label="value")]
    depth = data.draw(st.integers(95, 3000), label="depth")
    odd = data.draw(st.sampled_from(["9" * 4299, "9" * 4301, "-" + "1" * 6000, "[" * depth + "0" + "]" * depth,
                                     '{"a":' * depth + "0" + "}" * depth, "NaN", "Infinity", "-Infinity"]),
                    label="odd value")
    return text[:found.start(1)] + odd + text[found.end(1):]


class InputFileMachine(RuleBasedStateMachine):
    """Each rule: one mutated file through one reading command, and the checks of the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        from click.testing import CliRunner

        from altledger.__main__ import cli
        self.cli, self.runner = cli, CliRunner()
        self.seeds = seed_files()
        self.folder = scratch_folder()

    def _invoke(self, args: list[str], path: Path) -> Any:
        result = self.runner.invoke(self.cli, [*args, str(path)])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            shown = "".join(traceback.format_exception(*result.exc_info))
            raise AssertionError(f"altledger {' '.join(args)} raised on a malformed file "
                                 f"({path.read_bytes()[:300]!r}...):\n{shown}")
        if result.exit_code == 2:
            first = result.stderr.splitlines()[0] if result.stderr else ""
            assert first.startswith("error: ") and path.name in first, \
                f"altledger {' '.join(args)}: exit 2 without an 'error:' line naming the file: {result.stderr!r}"
        return result

    def _write(self, name: str, content: bytes | str) -> Path:
        path = self.folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    def _replay(self, path: Path) -> None:
        result = self._invoke(["twopc", "replay", "--json"], path)
        assert result.exit_code in (0, 2), \
            f"twopc replay of a well-formed operations file broke §11 (exit {result.exit_code}):\n{result.output}"

    def _order(self, path: Path, check_signatures: bool) -> None:
        flags = [] if check_signatures else ["--no-signature-check"]
        reference = self._invoke(["abft", "order", "--impl", "reference", *flags], path)
        fast = self._invoke(["abft", "order", "--impl", "fast", *flags], path)
        assert (reference.exit_code, reference.output) == (fast.exit_code, fast.output), \
            (f"abft order: reference and fast differ on {path.read_text()[:2000]}\n"
             f"reference (exit {reference.exit_code}): {reference.output[:1000]}{reference.stderr[:300]}\n"
             f"fast (exit {fast.exit_code}): {fast.output[:1000]}{fast.stderr[:300]}")
        assert reference.exit_code in (0, 2), f"abft order: exit {reference.exit_code}"

    @rule(data=st.data())
    def replay_mutated_operations(self, data: Any) -> None:
        document = json.loads(self.seeds["ops"].read_text())
        self._replay(self._write("ops.json", json.dumps(mutate(data, document))))

    @rule(data=st.data(), check_signatures=st.booleans())
    def order_mutated_dag(self, data: Any, check_signatures: bool) -> None:
        document = json.loads(self.seeds["dag"].read_text())
        self._order(self._write("dag.json", json.dumps(mutate(data, document))), check_signatures)

    def _read_trace(self, path: Path) -> None:
        """The trace reader and the TLA+ module built from what it accepts (running TLC on every
        mutant would take seconds each; what TLC then says is tests/tla's subject)."""
        from altledger.reference.errors import AltledgerError
        from altledger.tla.trace import check_module
        from altledger.tla.trace_format import read_trace
        try:
            check_module(read_trace(path))
        except AltledgerError as error:
            assert path.name in str(error), f"a trace error that does not name the file: {error}"

    @rule(data=st.data())
    def read_mutated_trace(self, data: Any) -> None:
        lines = self.seeds["trace"].read_text().splitlines()
        at = data.draw(st.integers(0, len(lines) - 1), label="line")
        lines[at] = json.dumps(mutate(data, json.loads(lines[at])))
        self._read_trace(self._write("trace.jsonl", "\n".join(lines) + "\n"))

    @rule(data=st.data())
    def mutated_vector_request(self, data: Any) -> None:
        """A conformance vector's request with a mutated input, answered by the built-in client for
        both implementations (``conformance.client``, what ``conformance client`` runs): neither may
        answer ``InternalError`` (an unexpected exception), and they answer alike — the same output,
        or errors of the same type (the messages may word the same defect differently)."""
        from altledger.conformance.suites import request_input
        vectors = vector_files()
        vector = json.loads(vectors[data.draw(st.integers(0, len(vectors) - 1), label="vector")].read_text())
        request = {"id": 1, "suite": vector["suite"], "kind": vector["kind"],
                   "input": mutate(data, request_input(vector))}
        answers = {}
        for impl in ("reference", "fast"):
            with contextlib.redirect_stderr(io.StringIO()) as stderr:
                answers[impl] = client(impl).answer(json.loads(json.dumps(request)))
            error = answers[impl].get("error", {})
            assert error.get("type") != "InternalError", \
                f"the {impl} client crashed on {json.dumps(request)[:3000]}:\n{stderr.getvalue()}"
        reference, fast = answers["reference"], answers["fast"]
        if "error" in reference or "error" in fast:
            assert reference.get("error", {}).get("type") == fast.get("error", {}).get("type"), \
                f"reference and fast clients differ on {json.dumps(request)[:3000]}:\n{reference}\n{fast}"
        else:
            assert reference == fast, \
                f"reference and fast clients differ on {json.dumps(request)[:3000]}:\n{reference}\n{fast}"

    @rule(data=st.data(), which=st.sampled_from(["ops", "dag", "trace"]))
    def corrupted_bytes(self, data: Any, which: str) -> None:
        self._read(which, self._write(self.seeds[which].name, corrupt_bytes(data, self.seeds[which].read_bytes())))

    @rule(data=st.data(), which=st.sampled_from(["ops", "dag", "trace"]))
    def odd_json_text(self, data: Any, which: str) -> None:
        text = self.seeds[which].read_text()
        if which == "trace":                        # one line: a trace is read line by line
            lines = text.splitlines()
            at = data.draw(st.integers(0, len(lines) - 1), label="line")
            lines[at] = splice_odd_json(data, lines[at])
            text = "\n".join(lines) + "\n"
        else:
            text = splice_odd_json(data, text)
        self._read(which, self._write(self.seeds[which].name, text))

    def _read(self, which: str, path: Path) -> None:
        if which == "ops":
            self._replay(path)
        elif which == "dag":
            self._order(path, check_signatures=True)
        else:
            self._read_trace(path)

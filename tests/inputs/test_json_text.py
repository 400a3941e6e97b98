"""JSON that ``json.loads`` chokes on or reads ambiguously, through ``reference.jsontext`` and every reader.

Before the shared parser each reader caught only ``JSONDecodeError``: an integer of thousands of
digits (``ValueError``) or deep nesting (``RecursionError``) was a traceback, and a repeated key
kept its last value silently (``twopc replay`` replayed such a file).  Found by feeding a client's
odd answers to the conformance runner; ``conformance.input_fuzz.splice_odd_json`` now puts these
into every file the input fuzzer mutates.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from altledger.conformance.suites import suite
from altledger.conformance.vectors import load_vectors
from altledger.reference.abft.dagfile import read_dag_file
from altledger.reference.crypto.vectors import read_json
from altledger.reference.errors import InputFileError
from altledger.reference.jsontext import MAX_DEPTH, JsonTextError, loads
from altledger.reference.twopc.scenario import load_scenario
from altledger.tla.trace_format import read_trace

DIGITS = sys.get_int_max_str_digits()

ODD = {
    "huge integer": ('{"a": %s}' % ("9" * (DIGITS + 1)), f"an integer of more than {DIGITS} digits"),
    "negative huge integer": ('{"a": -%s}' % ("1" * 10_000), f"an integer of more than {DIGITS} digits"),
    "nested past the limit": ('{"a": %s}' % ("[" * MAX_DEPTH + "]" * MAX_DEPTH),
                              f"nested more than {MAX_DEPTH} levels deep"),
    "nested past the recursion limit": ('{"a": %s}' % ('{"b":' * 50_000 + "0" + "}" * 50_000),
                                        f"nested more than {MAX_DEPTH} levels deep"),
    "NaN": ('{"a": NaN}', "NaN is not a JSON number"),
    "Infinity": ('{"a": [1, -Infinity]}', "-Infinity is not a JSON number"),
    "repeated key": ('{"a": 1, "b": {"c": 2, "c": 3}}', "duplicate key 'c' in an object"),
}


@pytest.mark.parametrize("name", ODD)
def test_loads_refuses_with_a_reason(name):
    text, reason = ODD[name]
    with pytest.raises(JsonTextError) as refused:
        loads(text)
    assert reason in refused.value.reason


def test_the_limits_themselves_are_accepted():
    assert loads("9" * DIGITS) == int("9" * DIGITS)
    deepest = "[" * MAX_DEPTH + "]" * MAX_DEPTH                  # MAX_DEPTH levels, the outer one included
    assert json.dumps(loads(deepest)) == deepest
    assert loads('{"a": [1, {"b": null}], "c": "NaN"}') == {"a": [1, {"b": None}], "c": "NaN"}


def test_syntax_errors_keep_line_and_column():
    with pytest.raises(JsonTextError) as refused:
        loads('{\n  "a": 1,\n  "b": }')
    assert (refused.value.line, refused.value.column) == (3, 8)
    assert refused.value.where("f.json") == "f.json:3"
    assert JsonTextError("x").where("f.json") == "f.json"


def _vectors(path: Path) -> None:
    load_vectors(suite("twopc"), directory=path.parent)


READERS = {
    "twopc replay (operations file)": load_scenario,
    "abft order (DAG file)": read_dag_file,
    "tlc trace (trace, line 1)": read_trace,
    "conformance run --vectors": _vectors,
    "external crypto vectors": read_json,
}


@pytest.mark.parametrize("name", ODD)
@pytest.mark.parametrize("reader", READERS)
def test_every_reader_refuses_naming_the_file(tmp_path, reader, name):
    text, reason = ODD[name]
    path = tmp_path / "odd.json"
    path.write_text(text)
    with pytest.raises(InputFileError) as refused:
        READERS[reader](path)
    assert str(path) in str(refused.value) and reason in str(refused.value)

"""TLA+ values in Python: the value model, canonical TLA+ text, and a parser
for the values TLC prints.

Why a value model of our own: TLC prints states as TLA+ expressions, traces
carry ITF JSON (see :mod:`altledger.tla.itf`), and the two must be compared.
Python's built-ins are close but not enough: TLA+ values must be hashable
(sets of records are everywhere), a model value ``p1`` is not the string
``"p1"``, and ``TRUE`` is not ``1``.  So:

=================  ========================================================
TLA+               Python
=================  ========================================================
``TRUE``           ``True``
``42``             ``int``
``"s"``            ``str``
model value ``p``  :class:`ModelValue` (never equal to the string ``"p"``)
``<<a, b>>``       ``tuple`` (:class:`Tup` when it came from an ITF ``#tup``)
``{a, b}``         ``frozenset``
``[f |-> v]``      :class:`Record` (immutable, hashable mapping)
``(k :> v @@ …)``  :class:`FnMap` (immutable, hashable mapping)
unparsable text    :class:`Opaque` (TLC printed something we do not model)
=================  ========================================================

One limit is Python's: ``True == 1``, so a Python set or mapping cannot hold
both ``TRUE`` and ``1`` as elements or keys.  TLC refuses to compare a
boolean with an integer, so no value of a TLC-checked spec needs that.

TLA+ itself does not distinguish a record from a function on strings, or a
sequence from a function on ``1..n``; :func:`tla_equal` compares with TLA+
semantics, while ``==`` compares the Python representation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Iterator

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Words that cannot be record fields or model values in TLA+ text.
RESERVED = frozenset("""ASSUME ASSUMPTION AXIOM CASE CHOOSE CONSTANT CONSTANTS DOMAIN
ELSE ENABLED EXCEPT EXTENDS IF IN INSTANCE LET LOCAL MODULE OTHER SF_ SUBSET THEN
THEOREM UNCHANGED UNION VARIABLE VARIABLES WF_ WITH TRUE FALSE BOOLEAN STRING""".split())


class ModelValue(str):
    """A TLC model value: printed bare (``p1``), equal only to itself."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelValue) and str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(("ModelValue", str(self)))

    def __repr__(self) -> str:
        return f"ModelValue({str.__repr__(self)})"


class Tup(tuple):
    """A tuple that was an ITF ``#tup`` (TLA+ does not distinguish it from a
    sequence; we keep the mark so that ITF round-trips are exact)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Tup({tuple.__repr__(self)})"


class _FrozenMapping(Mapping):
    """An immutable, hashable mapping that keeps its insertion order."""

    __slots__ = ("_items", "_hash")

    def __init__(self, items: Mapping | Any = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._items: dict = dict(pairs)
        self._hash: int | None = None

    def __getitem__(self, key: Any) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._items == other._items  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((type(self).__name__, frozenset(self._items.items())))
        return self._hash

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


class Record(_FrozenMapping):
    """A TLA+ record ``[field |-> value, ...]``; fields are strings."""

    __slots__ = ()


class FnMap(_FrozenMapping):
    """A TLA+ function given by its graph, ``(k1 :> v1 @@ k2 :> v2)``."""

    __slots__ = ()


class Opaque(str):
    """TLA+ text that is not a value we model (e.g. ``[x \\in S |-> x + 1]``
    or ``Nat`` as TLC prints them).  Kept verbatim so nothing is lost."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(("Opaque", str(self)))

    def __repr__(self) -> str:
        return f"Opaque({str.__repr__(self)})"


# --------------------------------------------------------------------------
# Conversions from plain Python (lists, dicts, sets) into the value model.

def from_python(value: Any) -> Any:
    """Freeze plain Python data into the value model: ``list`` → sequence,
    ``set`` → ``frozenset``, ``dict`` with string keys → :class:`Record`,
    other ``dict`` → :class:`FnMap`.  Raises ``TypeError`` on anything else."""
    if isinstance(value, (bool, int, str)):  # includes ModelValue, Opaque
        return value
    if isinstance(value, Tup):
        return Tup(from_python(v) for v in value)
    if isinstance(value, (list, tuple)):
        return tuple(from_python(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(from_python(v) for v in value)
    if isinstance(value, Record):
        return Record((k, from_python(v)) for k, v in value.items())
    if isinstance(value, FnMap):
        return FnMap((from_python(k), from_python(v)) for k, v in value.items())
    if isinstance(value, Mapping):
        if all(type(k) is str for k in value):
            return Record((k, from_python(v)) for k, v in value.items())
        return FnMap((from_python(k), from_python(v)) for k, v in value.items())
    raise TypeError(f"{type(value).__name__} is not a TLA+ value: {value!r}")


# --------------------------------------------------------------------------
# TLA+ semantics: equality and a canonical order.

def canonical(value: Any) -> Any:
    """A hashable key equal for exactly the values TLA+ considers equal.

    Every function-like value (sequence, tuple, record, FnMap) becomes its
    graph, so ``<<a, b>> = (1 :> a @@ 2 :> b)`` and ``[f |-> 1] = ("f" :> 1)``
    as in TLC.
    """
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, ModelValue):
        return ("model", str(value))
    if isinstance(value, Opaque):
        return ("opaque", str(value))
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, (set, frozenset)):
        return ("set", frozenset(canonical(v) for v in value))
    if isinstance(value, (tuple, list)):
        return ("fn", frozenset((("int", i), canonical(v)) for i, v in enumerate(value, 1)))
    if isinstance(value, Mapping):
        return ("fn", frozenset((canonical(k), canonical(v)) for k, v in value.items()))
    raise TypeError(f"{type(value).__name__} is not a TLA+ value: {value!r}")


def normal_form(value: Any) -> Any:
    """The representation TLC itself would print: a function on ``1..n`` as a
    sequence, a function on field names as a record, any other as
    :class:`FnMap`; recursively.  Used to show two values side by side."""
    if isinstance(value, (set, frozenset)):
        return frozenset(normal_form(v) for v in value)
    if isinstance(value, (tuple, list)):
        return tuple(normal_form(v) for v in value)
    if isinstance(value, Mapping):
        items = {normal_form(k): normal_form(v) for k, v in value.items()}
        keys = list(items)
        if keys and all(type(k) is int for k in keys) and sorted(keys) == list(range(1, len(keys) + 1)):
            return tuple(items[i] for i in range(1, len(keys) + 1))
        if not keys:
            return ()
        if all(is_field_name(k) for k in keys):
            return Record(items)
        return FnMap(items)
    return value


def tla_equal(a: Any, b: Any) -> bool:
    """Equality with TLA+ semantics (see :func:`canonical`)."""
    return canonical(a) == canonical(b)


_RANK = {"bool": 0, "int": 1, "str": 2, "model": 3}


def sort_key(value: Any) -> tuple:
    """A total order used to print sets and functions deterministically:
    booleans, then integers by value, strings, model values, then compound
    values by their canonical text."""
    if isinstance(value, bool):
        return (0, int(value), "")
    if isinstance(value, ModelValue):
        return (3, 0, str(value))
    if isinstance(value, Opaque):
        return (5, 0, str(value))
    if isinstance(value, int):
        return (1, value, "")
    if isinstance(value, str):
        return (2, 0, value)
    return (4, 0, to_tla(value))


# --------------------------------------------------------------------------
# Canonical TLA+ text.

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f"}


def tla_string(text: str) -> str:
    """A TLA+ string literal.  TLA+ strings are ASCII; anything else is
    refused rather than mangled."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            raise ValueError(f"character {ch!r} cannot appear in a TLA+ string: {text!r}")
    return '"' + "".join(out) + '"'


def is_field_name(key: Any) -> bool:
    """True when ``key`` can be written as a record field ``[key |-> ...]``."""
    return (type(key) is str and IDENTIFIER.match(key) is not None
            and key not in RESERVED and not key.startswith(("WF_", "SF_")))


def to_tla(value: Any) -> str:
    """Canonical TLA+ text of a value: sets sorted (:func:`sort_key`),
    records and functions sorted by key, so equal values print equally.

    ``FnMap`` needs ``EXTENDS TLC`` (for ``:>`` and ``@@``) and negative
    integers need ``EXTENDS Integers`` in the module that holds the text.
    """
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, ModelValue):
        return str(value)
    if isinstance(value, Opaque):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return tla_string(value)
    if isinstance(value, (tuple, list)):
        return "<<" + ", ".join(to_tla(v) for v in value) + ">>"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(to_tla(v) for v in sorted(value, key=sort_key)) + "}"
    if isinstance(value, Mapping):
        if not value:
            return "<<>>"  # the empty function, whatever its intended kind
        keys = sorted(value, key=sort_key)
        if isinstance(value, Record) or (not isinstance(value, FnMap) and all(map(is_field_name, keys))):
            bad = [k for k in keys if not is_field_name(k)]
            if not bad:
                return "[" + ", ".join(f"{k} |-> {to_tla(value[k])}" for k in keys) + "]"
        return "(" + " @@ ".join(f"{to_tla(k)} :> {to_tla(value[k])}" for k in keys) + ")"
    raise TypeError(f"{type(value).__name__} is not a TLA+ value: {value!r}")


# --------------------------------------------------------------------------
# Parsing the values TLC prints.

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<int>-?\d+)
  | (?P<op><<|>>|\|->|:>|@@|\.\.|->|\\in|[{}\[\](),])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>\S)
""", re.VERBOSE | re.DOTALL)

_UNESCAPE = {"\\": "\\", '"': '"', "n": "\n", "t": "\t", "r": "\r", "f": "\f"}


class ValueSyntaxError(ValueError):
    """The text is not a TLA+ value in the syntax TLC prints."""


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueSyntaxError(f"unexpected {text[pos:pos + 10]!r} at offset {pos}")
        kind = m.lastgroup
        if kind != "space":
            out.append((kind, m.group(), pos))
        pos = m.end()
    return out


def _unescape(literal: str) -> str:
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(_UNESCAPE.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, ahead: int = 0) -> str | None:
        j = self.i + ahead
        return self.toks[j][1] if j < len(self.toks) else None

    def kind(self) -> str | None:
        return self.toks[self.i][0] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        if self.i >= len(self.toks):
            raise ValueSyntaxError(f"unexpected end of value, expected {expected or 'more'}")
        tok = self.toks[self.i][1]
        if expected is not None and tok != expected:
            raise ValueSyntaxError(f"expected {expected!r}, found {tok!r} at offset {self.toks[self.i][2]}")
        self.i += 1
        return tok

    def offset(self) -> int:
        return self.toks[self.i][2] if self.i < len(self.toks) else len(self.text)

    def value(self) -> Any:
        start = self.offset()
        v = self.atom()
        if self.peek() == "..":
            self.take()
            hi = self.atom()
            if type(v) is not int or type(hi) is not int:
                raise ValueSyntaxError(f"interval bounds must be integers at offset {start}")
            return frozenset(range(v, hi + 1))
        return v

    def items(self, close: str) -> list:
        out = []
        if self.peek() == close:
            self.take()
            return out
        while True:
            out.append(self.value())
            tok = self.take()
            if tok == close:
                return out
            if tok != ",":
                raise ValueSyntaxError(f"expected ',' or {close!r}, found {tok!r}")

    def atom(self) -> Any:
        kind, tok = self.kind(), self.peek()
        if tok is None:
            raise ValueSyntaxError("unexpected end of value")
        if kind == "int":
            self.take()
            return int(tok)
        if kind == "string":
            self.take()
            return _unescape(tok)
        if kind == "ident":
            self.take()
            if tok in ("TRUE", "FALSE"):
                return tok == "TRUE"
            return ModelValue(tok)
        if tok == "<<":
            self.take()
            return tuple(self.items(">>"))
        if tok == "{":
            self.take()
            return frozenset(self.items("}"))
        if tok == "[":
            return self.bracket()
        if tok == "(":
            return self.paren()
        raise ValueSyntaxError(f"unexpected {tok!r} at offset {self.offset()}")

    def bracket(self) -> Any:
        start = self.offset()
        self.take("[")
        if self.kind() == "ident" and self.peek(1) == "|->":
            fields = []
            while True:
                name = self.take()
                self.take("|->")
                fields.append((name, self.value()))
                tok = self.take()
                if tok == "]":
                    return Record(fields)
                if tok != ",":
                    raise ValueSyntaxError(f"expected ',' or ']' in record, found {tok!r}")
        # [x \in S |-> e], [S -> T], [r EXCEPT ...]: kept verbatim.
        depth = 1
        while depth:
            tok = self.take()
            depth += tok == "["
            depth -= tok == "]"
        return Opaque(" ".join(self.text[start:self.offset()].split()))

    def paren(self) -> Any:
        self.take("(")
        first = self.value()
        if self.peek() == ")":
            self.take()
            return first
        pairs = []
        key = first
        while True:
            self.take(":>")
            pairs.append((key, self.value()))
            tok = self.take()
            if tok == ")":
                return FnMap(pairs)
            if tok != "@@":
                raise ValueSyntaxError(f"expected '@@' or ')' in function, found {tok!r}")
            key = self.value()


def parse_value(text: str) -> Any:
    """Parse one value as TLC prints it (raises :class:`ValueSyntaxError`)."""
    parser = _Parser(text)
    value = parser.value()
    if parser.i != len(parser.toks):
        raise ValueSyntaxError(f"unexpected {parser.peek()!r} after the value at offset {parser.offset()}")
    return value


def parse_value_lenient(text: str) -> Any:
    """Like :func:`parse_value`, but text we cannot parse comes back as
    :class:`Opaque` instead of failing: a counterexample stays readable even
    if TLC prints a form we do not model."""
    try:
        return parse_value(text)
    except ValueSyntaxError:
        return Opaque(" ".join(text.split()))

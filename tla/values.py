"""TLA+ values in Python: the value model, TLA+ equality, canonical TLA+ text.
(The parser of TLC's printed values is :mod:`altledger.tla.value_parser`.)

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

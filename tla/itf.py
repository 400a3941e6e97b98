"""ITF (Informal Trace Format) JSON values ↔ Python values ↔ TLA+ text.

Why ITF: it is the JSON encoding of TLA+ values used by Apalache and the
Informal Systems tools, so traces written by our implementations can be read
by those tools too, and client teams in other languages have a documented
encoding to produce.  The encoding (docs/running-tlc.md):

==========================  =================================================
ITF JSON                    TLA+ value (Python, see altledger.tla.values)
==========================  =================================================
``true`` / ``false``        ``TRUE`` / ``FALSE`` (``bool``)
``42``                      an integer (``int``); must be exact: no ``4.2``,
                            and beyond ±(2^53 - 1) use ``#bigint``
``{"#bigint": "-123"}``     an integer of any size (``int``)
``"abc"``                   a string (``str``)
``[a, b]``                  a sequence ``<<a, b>>`` (``tuple``)
``{"#tup": [a, b]}``        a tuple ``<<a, b>>`` (:class:`Tup`)
``{"#set": [a, b]}``        a set ``{a, b}`` (``frozenset``)
``{"#map": [[k, v], ...]}`` a function ``(k :> v @@ ...)`` (:class:`FnMap`)
``{"f": v, ...}``           a record ``[f |-> v, ...]`` (:class:`Record`)
``{"#unserializable": s}``  a TLC model value named ``s`` (:class:`ModelValue`)
==========================  =================================================

:func:`to_itf` is canonical: set elements and map entries are sorted with
:func:`altledger.tla.values.sort_key`, so equal values encode to equal JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from altledger.tla.values import (FnMap, ModelValue, Opaque, Record, Tup, from_python, sort_key,
                                  to_tla)

MAX_SAFE_INTEGER = 2**53 - 1
_TAGS = ("#bigint", "#tup", "#set", "#map", "#unserializable")


class ItfError(ValueError):
    """A JSON value is not a valid ITF encoding; ``path`` locates it
    (a JSON-pointer-like path such as ``/changed/buffer/2``)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path or '/'}: {reason}")
        self.path = path
        self.reason = reason


def from_itf(data: Any, path: str = "") -> Any:
    """Decode an ITF JSON value (already parsed by ``json``) to Python."""
    if isinstance(data, bool) or isinstance(data, str):
        return data
    if isinstance(data, int):
        return data
    if isinstance(data, float):
        if data.is_integer() and abs(data) <= MAX_SAFE_INTEGER:
            return int(data)
        raise ItfError(path, f"{data!r} is not an integer (TLA+ has no floats)")
    if data is None:
        raise ItfError(path, "null is not a TLA+ value")
    if isinstance(data, list):
        return tuple(from_itf(v, f"{path}/{i}") for i, v in enumerate(data))
    if isinstance(data, dict):
        tags = [k for k in data if k.startswith("#")]
        if not tags:
            return Record((k, from_itf(v, f"{path}/{k}")) for k, v in data.items())
        if len(data) != 1 or tags[0] not in _TAGS:
            raise ItfError(path, f"unknown ITF form with keys {sorted(data)}; expected one of {', '.join(_TAGS)} "
                                 "alone, or a record whose fields do not start with '#'")
        tag, body = tags[0], data[tags[0]]
        return _from_tagged(tag, body, f"{path}/{tag}")
    raise ItfError(path, f"{type(data).__name__} is not JSON")


def _from_tagged(tag: str, body: Any, path: str) -> Any:
    if tag == "#bigint":
        if not isinstance(body, str):
            raise ItfError(path, "#bigint must hold a decimal string")
        try:
            return int(body, 10)
        except ValueError:
            raise ItfError(path, f"#bigint {body!r} is not a decimal integer") from None
    if tag == "#unserializable":
        if not isinstance(body, str) or not body:
            raise ItfError(path, "#unserializable must hold the model value's name")
        return ModelValue(body)
    if not isinstance(body, list):
        raise ItfError(path, f"{tag} must hold a JSON array")
    if tag == "#tup":
        return Tup(from_itf(v, f"{path}/{i}") for i, v in enumerate(body))
    if tag == "#set":
        elements = [from_itf(v, f"{path}/{i}") for i, v in enumerate(body)]
        return frozenset(elements)
    entries = []
    for i, pair in enumerate(body):
        if not isinstance(pair, list) or len(pair) != 2:
            raise ItfError(f"{path}/{i}", "each #map entry must be a [key, value] pair")
        entries.append((from_itf(pair[0], f"{path}/{i}/0"), from_itf(pair[1], f"{path}/{i}/1")))
    keys = [k for k, _ in entries]
    if len(set(keys)) != len(keys):
        raise ItfError(path, "#map has the same key twice")
    return FnMap(entries)


def to_itf(value: Any) -> Any:
    """Encode a Python value (model or plain: lists, sets, dicts accepted) as
    canonical ITF JSON data, ready for ``json.dumps``."""
    value = from_python(value)
    return _to_itf(value)


def _to_itf(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, ModelValue):
        return {"#unserializable": str(value)}
    if isinstance(value, Opaque):
        raise TypeError(f"cannot encode unparsed TLA+ text {str(value)!r} as ITF")
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INTEGER else {"#bigint": str(value)}
    if isinstance(value, str):
        return value
    if isinstance(value, Tup):
        return {"#tup": [_to_itf(v) for v in value]}
    if isinstance(value, tuple):
        return [_to_itf(v) for v in value]
    if isinstance(value, frozenset):
        return {"#set": [_to_itf(v) for v in sorted(value, key=sort_key)]}
    if isinstance(value, Record):
        bad = [k for k in value if k.startswith("#")]
        if bad:
            raise TypeError(f"record field {bad[0]!r} starts with '#', which ITF reserves")
        return {k: _to_itf(value[k]) for k in sorted(value)}
    if isinstance(value, Mapping):
        return {"#map": [[_to_itf(k), _to_itf(value[k])] for k in sorted(value, key=sort_key)]}
    raise TypeError(f"{type(value).__name__} is not a TLA+ value: {value!r}")


def itf_to_tla(data: Any) -> str:
    """Canonical TLA+ text of an ITF JSON value."""
    return to_tla(from_itf(data))

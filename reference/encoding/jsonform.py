"""A JSON form of every value, for worked examples and vectors (spec/encoding.md §E.1.10).

Why: the worked examples in spec/encoding.md state their field values in a
form any language can read, and a test checks each example against the code.
A value is a JSON object ``{"type": <name>, <field>: <json>, ...}`` with the
fields in declaration order; integers up to 32 bits are numbers, u64 and u128
are decimal strings, byte strings are lowercase hex, options are ``null`` or
the value, enums are member names, signer sets are
``{"validator_count": N, "signers": [...]}``.
"""

from __future__ import annotations

from typing import Any

from altledger.reference.encoding.codec import InvalidValueError
from altledger.reference.encoding.values import VALUE_TYPES, Value, kind_of
from altledger.reference.errors import InputFileError


def value_to_json(value: Value) -> dict[str, Any]:
    """The JSON form of ``value``."""
    out: dict[str, Any] = {"type": type(value).__name__}
    for field in value.wire_fields():
        out[field.name] = kind_of(field).to_json(getattr(value, field.name))
    return out


def value_from_json(data: Any, location: str = "") -> Value:
    """Build a value from its JSON form; a malformed form raises :class:`InputFileError`."""
    try:
        return _from_json(data)
    except InputFileError:
        raise
    except (ValueError, TypeError, KeyError) as error:
        if isinstance(error, InvalidValueError):
            raise InputFileError(location, f"{error.type_name}.{error.field}", error.reason) from None
        raise InputFileError(location, "value", str(error)) from None


def _from_json(data: Any) -> Value:
    if not isinstance(data, dict) or "type" not in data:
        raise ValueError(f"a value is a JSON object with a 'type' member, got {data!r}")
    by_name = {cls.__name__: cls for cls in VALUE_TYPES.values()}
    cls = by_name.get(data["type"])
    if cls is None:
        raise ValueError(f"unknown type {data['type']!r}")
    names = [field.name for field in cls.wire_fields()]
    if set(data) != {"type", *names}:
        raise ValueError(f"{cls.__name__} has fields {names}, got {sorted(set(data) - {'type'})}")
    return cls(**{field.name: kind_of(field).from_json(data[field.name]) for field in cls.wire_fields()})

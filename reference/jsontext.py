"""One strict JSON parser for every text a user or a client hands to altledger.

Why not ``json.loads`` alone: it accepts texts that RFC 8259 does not call
JSON, or that no reader here can take exactly, and it fails on others with
exceptions that are not ``JSONDecodeError`` — so a reader that caught only that
printed a traceback:

* ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON numbers: RFC 8259, section 6);
* an object with the same key twice (RFC 8259, section 4: its meaning is not
  interoperable; ``json`` silently keeps the last value);
* an integer of more digits than Python converts (``sys.get_int_max_str_digits``,
  4,300 by default): a ``ValueError`` from inside the decoder;
* arrays or objects nested so deeply that the decoder, or a reader that walks
  the value recursively afterwards, exceeds Python's recursion limit
  (``RecursionError``).  No format here nests more than a dozen levels, so
  :data:`MAX_DEPTH` is far above any real document and far below that limit.

Each reader turns :class:`JsonTextError` into its own typed error (the file,
line and item it reads), so messages keep their reader's form.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from altledger.reference.errors import InputFileError, read_text_file

MAX_DEPTH = 100
"""Arrays and objects nested deeper than this are refused (see the module docstring)."""


class JsonTextError(ValueError):
    """Why a text is not JSON a reader takes; ``line`` and ``column`` (1-based) where the decoder knows."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column

    def where(self, source: str) -> str:
        """``source:line`` when the line is known, else ``source``."""
        return f"{source}:{self.line}" if self.line else source


class DuplicateKeyError(JsonTextError):
    """An object names ``key`` twice."""

    def __init__(self, key: str) -> None:
        super().__init__(f"duplicate key {key!r} in an object")
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result


def reject_constant(name: str) -> Any:
    """``parse_constant`` for ``json``: NaN, Infinity and -Infinity are refused."""
    raise JsonTextError(f"{name} is not a JSON number")


def loads(text: str) -> Any:
    """``text`` parsed, or :class:`JsonTextError` saying why it is not JSON a reader takes."""
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=reject_constant)
    except JsonTextError:
        raise
    except json.JSONDecodeError as error:
        raise JsonTextError(error.msg, error.lineno, error.colno) from None
    except RecursionError:
        raise JsonTextError(f"arrays or objects nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as error:      # the decoder's int() refused a number of too many digits
        if "integer string conversion" not in str(error):
            raise
        raise JsonTextError(f"an integer of more than {sys.get_int_max_str_digits()} digits") from None
    check_depth(value)
    return value


def check_depth(value: Any) -> None:
    """Refuse ``value`` when its arrays and objects nest more than :data:`MAX_DEPTH` levels deep (walked
    without recursion, so that a deep value cannot raise ``RecursionError`` here)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > MAX_DEPTH:
            raise JsonTextError(f"arrays or objects nested more than {MAX_DEPTH} levels deep")
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def read_json_file(path: str | Path, what: str = "") -> Any:
    """A user's JSON file parsed (``read_text_file``, then :func:`loads`); anything wrong is an
    :class:`~altledger.reference.errors.InputFileError` naming the file, and the line where known."""
    text = read_text_file(path, what)
    try:
        return loads(text)
    except JsonTextError as error:
        raise InputFileError(error.where(str(path)), "", f"not JSON: {error.reason}") from None

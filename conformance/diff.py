"""A readable, minimal diff of two JSON values, as JSON pointers with expected and actual values.

Why not a text diff: a client team wants to read "``/state/log/2``: expected
an ``OutcomeRecord`` ... actual (absent)", not two screens of pretty-printed
JSON.  Objects are compared member by member; arrays are aligned first
(longest matching blocks of equal elements), so one missing record in a log
is reported once, not as a shift of every later record.  Scalars compare
with their JSON type (``1``, ``true`` and ``"1"`` all differ).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Difference:
    path: str        # JSON pointer (RFC 6901) into the expected value (into the actual one for extra elements)
    expected: Any    # ABSENT when the actual value has something the expected one does not
    actual: Any      # ABSENT when missing

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        if self.expected is not ABSENT:
            out["expected"] = self.expected
        if self.actual is not ABSENT:
            out["actual"] = self.actual
        return out


def pointer_token(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _same_scalar(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def diff(expected: Any, actual: Any, path: str = "", limit: int = 1000) -> list[Difference]:
    """Every difference between ``expected`` and ``actual`` (at most ``limit``)."""
    out: list[Difference] = []
    _diff(expected, actual, path, out, limit)
    return out


def _diff(expected: Any, actual: Any, path: str, out: list[Difference], limit: int) -> None:
    if len(out) >= limit:
        return
    if isinstance(expected, dict) and isinstance(actual, dict):
        if "type" in expected and "type" in actual and expected["type"] != actual["type"]:
            out.append(Difference(path or "/", expected, actual))     # another kind of value: say so whole
            return
        for key in sorted(set(expected) | set(actual), key=str):
            at = f"{path}/{pointer_token(key)}"
            _diff(expected.get(key, ABSENT), actual.get(key, ABSENT), at, out, limit)
        return
    if isinstance(expected, list) and isinstance(actual, list):
        _diff_lists(expected, actual, path, out, limit)
        return
    if expected is ABSENT or actual is ABSENT or not _same_scalar(expected, actual):
        out.append(Difference(path or "/", expected, actual))


def _diff_lists(expected: list, actual: list, path: str, out: list[Difference], limit: int) -> None:
    keys_e = [canonical(x) for x in expected]
    keys_a = [canonical(x) for x in actual]
    matcher = difflib.SequenceMatcher(None, keys_e, keys_a, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            _diff(expected[i1 + k], actual[j1 + k], f"{path}/{i1 + k}", out, limit)
        for i in range(i1 + paired, i2):
            if len(out) < limit:
                out.append(Difference(f"{path}/{i}", expected[i], ABSENT))
        for j in range(j1 + paired, j2):
            if len(out) < limit:
                out.append(Difference(f"{path}/{j}", ABSENT, actual[j]))


def show(value: Any, width: int = 110, names: dict[str, str] | None = None) -> str:
    """A value on one line (member order as given), shortened in the middle when long.

    ``names`` maps strings (e.g. txids, agent ids) to short names shown as
    ``<name>`` inside compound values, so a line stays readable; a string
    shown on its own is never replaced.
    """
    if value is ABSENT:
        return "(absent)"
    if names and isinstance(value, (dict, list)):
        value = _named(value, names)
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if len(text) <= width:
        return text
    half = (width - 3) // 2
    return text[:half] + "..." + text[-half:]


def _named(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _named(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_named(v, names) for v in value]
    if isinstance(value, str) and value in names:
        return f"<{names[value]}>"
    return value


def short_path(path: str, names: dict[str, str] | None) -> str:
    """A JSON pointer with named tokens shown as <name>."""
    if not names:
        return path
    return "/".join(f"<{names[t]}>" if t in names else t for t in path.split("/"))

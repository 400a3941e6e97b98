"""Read the machine-checked parts of spec/encoding.md (used by test_encoding_spec_doc.py).

The spec marks what is checked: ``<!-- worked-example: T -->`` before a json
block and a text block, ``<!-- layout: T -->`` before a layout table,
``<!-- tag-table -->`` and ``<!-- rejection-table -->`` before those tables.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

SPEC = Path(__file__).resolve().parents[2] / "spec" / "encoding.md"

EXAMPLE = re.compile(
    r"<!-- worked-example: (?P<type>\w+) -->\n```json\n(?P<json>.*?)\n```\n\n```text\n(?P<hex>.*?)\n```",
    re.S)


@dataclass
class WorkedExample:
    type_name: str
    values: dict
    hex_block: str
    line: int


def spec_text() -> str:
    return SPEC.read_text(encoding="utf-8")


def worked_examples(text: str) -> list[WorkedExample]:
    return [WorkedExample(m["type"], json.loads(m["json"]), m["hex"], text.count("\n", 0, m.start()) + 1)
            for m in EXAMPLE.finditer(text)]


def table_after(text: str, marker: str) -> list[list[str]]:
    """The body rows (cells stripped) of the markdown table right after ``marker``."""
    start = text.index(marker) + len(marker)
    lines = text[start:].lstrip("\n").splitlines()
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[2:]  # header and separator


def layout_markers(text: str) -> list[str]:
    return re.findall(r"<!-- layout: (\w+) -->", text)


def unquote(cell: str) -> str:
    """The text inside the first pair of backticks of a cell."""
    found = re.search(r"`([^`]*)`", cell)
    return found.group(1) if found else cell


def apply_change(data: bytes, change: str) -> bytes:
    """Apply one change of the §E.7 language: truncate n | append h | set o h | zero o n | copy f n t."""
    op, *args = change.split()
    if op == "truncate":
        return data[:int(args[0])]
    if op == "append":
        return data + bytes.fromhex(args[0])
    if op == "set":
        offset, new = int(args[0]), bytes.fromhex(args[1])
        assert offset + len(new) <= len(data), change
        return data[:offset] + new + data[offset + len(new):]
    if op == "zero":
        return apply_change(data, f"set {args[0]} {bytes(int(args[1])).hex()}")
    if op == "copy":
        source, count, target = map(int, args)
        return apply_change(data, f"set {target} {data[source:source + count].hex()}")
    raise ValueError(f"unknown change {change!r}")

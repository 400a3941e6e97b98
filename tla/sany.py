"""SANY's parse and semantic errors, located as ``file:line:col``.

Why separate from :mod:`altledger.tla.tlc_output`: SANY (the TLA+ parser
inside TLC) is the one part of TLC that prints untagged text even in
``-tool`` mode, so its errors are read from their wording: the ``Parsing file
…`` lines say which file, ``at line L, column C`` (syntax and lexical errors)
or ``line L, col C to … of module M`` under ``*** Errors`` (semantic errors)
say where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class ParseError:
    """A SANY error, located as precisely as SANY says."""

    file: str
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"



_PARSING_FILE = re.compile(r"^Parsing file (.+)$", re.MULTILINE)
_AT_LINE = re.compile(r"at line (\d+), column (\d+)")
_SEMANTIC_LOC = re.compile(r"^line (\d+), col (\d+) to line \d+, col \d+ of module (\S+)\s*$")
_MISSING_MODULE = re.compile(r"Cannot find source file for module (\S+) imported in module (\S+?)\.?$")


def parse_sany_errors(text: str) -> list[ParseError]:
    """Errors SANY printed, each with ``file:line:col`` where SANY gives one."""
    files = {}
    for path in _PARSING_FILE.findall(text):
        files[path.rsplit("/", 1)[-1].removesuffix(".tla")] = path.strip()
    last_file = _PARSING_FILE.findall(text)[-1].strip() if _PARSING_FILE.search(text) else "?"
    errors: list[ParseError] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("***Parse Error***"):
            block = []
            i += 1
            while i < len(lines) and lines[i].strip() and not lines[i].startswith("Residual stack trace"):
                block.append(lines[i].strip())
                i += 1
            joined = " ".join(block)
            m = _AT_LINE.search(joined)
            errors.append(ParseError(last_file, int(m.group(1)) if m else None,
                                     int(m.group(2)) if m else None, joined))
            continue
        if line.startswith("Lexical error"):
            m = _AT_LINE.search(line)
            errors.append(ParseError(last_file, int(m.group(1)) if m else None,
                                     int(m.group(2)) if m else None, line))
        m = _SEMANTIC_LOC.match(line)
        if m and _in_error_section(lines, i):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            msg = []
            while j < len(lines) and lines[j].strip():
                msg.append(lines[j].strip())
                j += 1
            module = m.group(3)
            errors.append(ParseError(files.get(module, f"{module}.tla"), int(m.group(1)), int(m.group(2)),
                                     " ".join(msg)))
            i = j
            continue
        m = _MISSING_MODULE.search(line)
        if m:
            errors.append(ParseError(files.get(m.group(2), f"{m.group(2)}.tla"), None, None, line))
        i += 1
    return errors


def _in_error_section(lines: list[str], index: int) -> bool:
    """True when the located message at ``index`` follows ``*** Errors`` (not
    ``*** Warnings``)."""
    for j in range(index, -1, -1):
        s = lines[j].strip()
        if s.startswith("*** Errors"):
            return True
        if s.startswith("*** Warnings"):
            return False
    return False


def parse_sany_warnings(text: str) -> list[str]:
    out, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        m = _SEMANTIC_LOC.match(line.strip())
        if m and not _in_error_section(lines, i):
            msg = [s.strip() for s in lines[i + 1:i + 6] if s.strip()]
            out.append(f"{m.group(3)}:{m.group(1)}:{m.group(2)}: {msg[0] if msg else ''}")
    return out

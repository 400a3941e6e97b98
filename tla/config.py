"""TLC config files (``*.cfg``): the names they check and the outcome they expect.

Why we read cfgs at all: TLC 2.15 does not name the temporal property it
refutes ("Temporal properties were violated."), so a refuted property can be
named only from the cfg; and a cfg declares its expected outcome for
``altledger verify`` in a comment line (tla/README.md)::

    \\* expect: violation NeverFull

No expect line means "TLC must report success".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from altledger.reference.errors import InputFileError, read_text_file

# Keywords of the TLC config language (TLC 2.15).
KEYWORDS = frozenset("""CONSTANT CONSTANTS INIT NEXT SPECIFICATION INVARIANT INVARIANTS
PROPERTY PROPERTIES SYMMETRY VIEW CONSTRAINT CONSTRAINTS ACTION_CONSTRAINT
ACTION_CONSTRAINTS TYPE TYPE_CONSTRAINT CHECK_DEADLOCK POSTCONDITION ALIAS""".split())

_SECTION = {"CONSTANTS": "CONSTANT", "INVARIANTS": "INVARIANT", "PROPERTIES": "PROPERTY"}
_EXPECT = re.compile(r"^\s*\\\*\s*expect:\s*(?P<body>.*?)\s*$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_!]*")


@dataclass
class Expectation:
    """What ``altledger verify`` requires of a cfg's TLC run."""

    violation: str | None = None  # None: success expected
    line: int = 0                 # the cfg line that declared it (0: default)

    def describe(self) -> str:
        return f"violation of {self.violation}" if self.violation else "success"


@dataclass
class ConfigInfo:
    path: Path
    expect: Expectation = field(default_factory=Expectation)
    invariants: list[str] = field(default_factory=list)
    properties: list[str] = field(default_factory=list)
    constants: list[str] = field(default_factory=list)


def _strip_comments(text: str) -> str:
    text = re.sub(r"\(\*.*?\*\)", lambda m: " " * len(m.group()), text, flags=re.DOTALL)
    return "\n".join(line.split("\\*", 1)[0] for line in text.splitlines())


def parse_config(path: Path) -> ConfigInfo:
    """Read a cfg: its expect line, invariants, properties and constant names.

    Only what altledger needs is read; TLC itself remains the judge of the
    cfg's syntax.  A malformed expect line is an :class:`InputFileError`.
    """
    text = read_text_file(path, "the config")
    info = ConfigInfo(Path(path))
    for number, line in enumerate(text.splitlines(), 1):
        m = _EXPECT.match(line)
        if not m:
            continue
        if info.expect.line:
            raise InputFileError(f"{path}:{number}", "expect", f"a second expect line (the first is line {info.expect.line})")
        words = m.group("body").split()
        if words == ["success"]:
            info.expect = Expectation(None, number)
        elif len(words) == 2 and words[0] == "violation" and _WORD.fullmatch(words[1]):
            info.expect = Expectation(words[1], number)
        else:
            raise InputFileError(f"{path}:{number}", "expect",
                                 "write '\\* expect: violation <InvariantOrPropertyName>' or '\\* expect: success'")
    section = None
    tokens = _strip_comments(text).replace("<-", " <- ").replace("=", " = ").split()
    previous = ""
    for token in tokens:
        if token in KEYWORDS:
            section = _SECTION.get(token, token)
        elif section == "INVARIANT" and _WORD.fullmatch(token):
            info.invariants.append(token)
        elif section == "PROPERTY" and _WORD.fullmatch(token):
            info.properties.append(token)
        elif section == "CONSTANT" and token in ("=", "<-") and _WORD.fullmatch(previous):
            info.constants.append(previous)
        previous = token
    return info

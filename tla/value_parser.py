"""Parse TLA+ values as TLC prints them (states, counterexamples, ``-dump``
files) into the Python value model of :mod:`altledger.tla.values`.

Why a hand-written parser: TLC prints a small, regular subset of TLA+
(literals, ``<<>>``, ``{}``, records, ``k :> v @@ ...`` functions, ``a..b``
intervals), possibly spread over several indented lines.  Anything else (a
``[x \\in S |-> e]`` TLC could not normalise, ``[S -> T]``) is kept verbatim
as :class:`~altledger.tla.values.Opaque` instead of failing, so a
counterexample always stays readable.
"""

from __future__ import annotations

import re
from typing import Any

from altledger.tla.values import FnMap, ModelValue, Opaque, Record

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

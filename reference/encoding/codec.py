"""Byte-level reading and writing for the canonical encoding (spec/encoding.md §E.1).

Why a Reader object rather than slicing: every rejection must name the
outermost type, the dotted path of the field being read and the *absolute*
byte offset in the outermost input (§E.1.9).  Nested decoders therefore share
one Reader that knows where it is and what it is reading; they never see a
sub-slice whose offsets would start again at zero.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, NoReturn

from altledger.reference.errors import AltledgerError, DecodeError


@dataclass(eq=False)
class InvalidValueError(AltledgerError, ValueError):
    """A value that breaks a rule of spec/encoding.md was about to be constructed.

    Raised by the constructors of the value types (they validate in
    ``__post_init__``, so an invalid value never exists).  ``field`` is a
    dotted path relative to ``type_name`` (``legs[2].agent``).  Decoders turn
    it into a :class:`DecodeError` carrying the field's byte offset.
    """

    type_name: str
    field: str
    reason: str

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.type_name}.{self.field}: {self.reason}"


def join_path(prefix: str, name: str) -> str:
    """``payload`` + ``[3]`` -> ``payload[3]``; ``payload[3]`` + ``amount`` -> ``payload[3].amount``."""
    if not prefix:
        return name
    if not name:
        return prefix
    return prefix + name if name.startswith("[") else f"{prefix}.{name}"


@dataclass(frozen=True)
class Span:
    """One run of bytes read for one leaf of a value (used to annotate hex dumps)."""

    offset: int
    data: bytes
    path: str
    part: str  # "" for the field's value, else "tag", "flag", "length", "count", "bits"


class Reader:
    """A cursor over one outermost input that knows which field it is in.

    ``starts`` maps every field path entered so far to the offset where that
    field began, so that a rule broken by a whole value (``target`` equal to
    ``source``) can be reported at the offending field's first byte.
    """

    def __init__(self, data: bytes, type_name: str) -> None:
        self.data = data
        self.pos = 0
        self.type_name = type_name
        self.path = ""
        self.starts: dict[str, int] = {"": 0}
        self.spans: list[Span] = []

    @contextmanager
    def field(self, name: str) -> Iterator[None]:
        """Read inside field ``name`` (``"[i]"`` for list item i) of the current value."""
        outer = self.path
        self.path = join_path(outer, name)
        self.starts[self.path] = self.pos
        try:
            yield
        finally:
            self.path = outer

    def take(self, count: int, part: str = "") -> bytes:
        """The next ``count`` bytes; a short input is rejected as truncated (§E.1.8)."""
        left = len(self.data) - self.pos
        if count > left:
            what = self.path or "value"
            if part and not what.endswith(part):
                what += f" {part}"
            self.fail(f"truncated: {what} needs {count} byte(s), {left} left")
        chunk = self.data[self.pos:self.pos + count]
        self.spans.append(Span(self.pos, chunk, self.path, part))
        self.pos += count
        return chunk

    def fail(self, reason: str, offset: int | None = None) -> NoReturn:
        """Reject the input at the current field (and the current offset unless given)."""
        at = self.pos if offset is None else offset
        raise DecodeError(self.type_name, self.path or "value", at, reason)

    def reject_value(self, error: InvalidValueError) -> NoReturn:
        """Report a rule broken by a just-read value at the first byte of the named field."""
        full = join_path(self.path, error.field)
        raise DecodeError(self.type_name, full, self.offset_of(full), error.reason)

    def offset_of(self, path: str) -> int:
        """Where field ``path`` began; falls back to its nearest recorded ancestor."""
        while path not in self.starts:
            path = path[:max(path.rfind("."), path.rfind("["), 0)]
        return self.starts[path]

    def finish(self) -> None:
        """A complete value must end exactly at the end of the input (§E.1.8)."""
        extra = len(self.data) - self.pos
        if extra:
            raise DecodeError(self.type_name, "end", self.pos,
                              f"{extra} trailing byte(s) after a complete {self.type_name}")


class Writer:
    """Collects the bytes of one encoding."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def put(self, data: bytes) -> None:
        self.chunks.append(data)

    def getvalue(self) -> bytes:
        return b"".join(self.chunks)


def as_input_bytes(data: object) -> bytes:
    """Decoders accept ``bytes``, ``bytearray`` and ``memoryview``; anything else is a caller bug."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"decode expects bytes, got {type(data).__name__}")

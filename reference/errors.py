"""Typed errors: every rejection of bad input names what was wrong.

Why one module: callers (the CLI, the conformance runner, client teams reading
error strings in vectors) need a small, stable set of error types with
machine-readable fields, never a traceback from deep inside a library.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class AltledgerError(Exception):
    """Base class of every error altledger raises on purpose."""


@dataclass(eq=False)
class DecodeError(AltledgerError, ValueError):
    """A byte string is not the canonical encoding of a value (spec/encoding.md).

    ``type_name`` is the type being decoded, ``field`` the field (dotted path
    for nested values, e.g. ``QuorumCertificate.signers[3]``), ``offset`` the
    byte offset in the *outermost* input at which the problem was detected.
    """

    type_name: str
    field: str
    offset: int
    reason: str

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.type_name}.{self.field} at byte {self.offset}: {self.reason}"


@dataclass(eq=False)
class InputFileError(AltledgerError, ValueError):
    """A file given by the user (DAG, trace, schedule, vectors) is malformed.

    ``location`` is ``file:line`` where a line is known, else the file name;
    ``item`` names the record (an event id, a trace step, a JSON pointer).
    """

    location: str
    item: str
    reason: str

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        what = f"{self.item}: " if self.item else ""
        return f"{where}{what}{self.reason}"


def read_text_file(path: str | Path, what: str = "") -> str:
    """The text of a file a user gave (JSON, traces, configs are UTF-8): a missing or unreadable
    file, or bytes that are not UTF-8, is an :class:`InputFileError` naming the file, and for bad
    bytes the offset.  ``what`` names the file in the message ("the trace")."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputFileError(str(path), "", f"cannot read{' ' + what if what else ''}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise InputFileError(str(path), "", f"not UTF-8: {error.reason} at byte {error.start}") from None


@dataclass(eq=False)
class CryptoInputError(AltledgerError, ValueError):
    """Key, signature or message bytes that the crypto policy refuses to parse.

    Verification *failures* are not errors (``verify`` returns ``False``);
    this is raised when a caller passes something that is not even a
    candidate, e.g. a 31-byte public key to a signing routine.
    """

    what: str
    reason: str

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"


class ToolError(AltledgerError, RuntimeError):
    """An external tool (Java, TLC) is missing or failed in a way we can name."""

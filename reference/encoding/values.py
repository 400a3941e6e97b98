"""The common machinery of every value type: tags, fields, validation (spec/encoding.md §E.1).

A value type is a frozen dataclass whose fields are declared with
:func:`wire` (giving each field its kind) and whose class carries a one-byte
``TAG``.  The base class :class:`Value` then provides

* validation in ``__post_init__`` (each field's kind, then the type's own
  ``validate`` rules), so an invalid value cannot be constructed;
* ``encode()`` = tag byte followed by the fields in declaration order (§E.1.7);
* ``decode(data)`` which rejects every byte string that ``encode`` could not
  have produced, with a :class:`DecodeError` naming type, field and offset.

Why a single loop for all types: canonicality comes from symmetry (the decoder
reads exactly what the encoder writes, then re-checks every rule the
constructor checks), and a shared loop makes that symmetry hard to break.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, TypeVar

from altledger.reference.encoding.codec import InvalidValueError, Reader, Span, Writer, as_input_bytes
from altledger.reference.encoding.primitives import U8, Kind

V = TypeVar("V", bound="Value")

# tag byte -> value type; filled by Value.__init_subclass__ (§E.2.3 lists them).
VALUE_TYPES: dict[int, type["Value"]] = {}


def wire(kind: Kind) -> Any:
    """Declare a dataclass field together with its kind (how it is encoded)."""
    return dataclasses.field(metadata={"kind": kind})


def kind_of(field: dataclasses.Field) -> Kind:
    return field.metadata["kind"]


def require(condition: bool, type_name: str, field: str, reason: str) -> None:
    """Raise :class:`InvalidValueError` for ``field`` unless ``condition`` holds."""
    if not condition:
        raise InvalidValueError(type_name, field, reason)


class Value:
    """Base class of every tagged value type.  Subclasses are frozen dataclasses."""

    TAG: ClassVar[int]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        tag = cls.__dict__.get("TAG")
        if tag is None:
            return
        if not 0 <= tag <= 0xFF:
            raise ValueError(f"{cls.__name__}: tag {tag} is not one byte")
        if tag in VALUE_TYPES:
            raise ValueError(f"tag 0x{tag:02x} of {cls.__name__} already used by {VALUE_TYPES[tag].__name__}")
        VALUE_TYPES[tag] = cls

    # -- construction ---------------------------------------------------------

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            kind = kind_of(field)
            value = kind.coerce(getattr(self, field.name))
            reason = kind.check(value)
            if reason:
                raise InvalidValueError(type(self).__name__, field.name, reason)
            object.__setattr__(self, field.name, value)
        self.validate()

    def validate(self) -> None:
        """Rules beyond each field's kind (ranges, relations between fields).  Overridden per type."""

    def require(self, condition: bool, field: str, reason: str) -> None:
        require(condition, type(self).__name__, field, reason)

    # -- encoding ---------------------------------------------------------------

    @classmethod
    def wire_fields(cls) -> tuple[dataclasses.Field, ...]:
        return dataclasses.fields(cls)  # type: ignore[arg-type]

    def write(self, w: Writer, exclude: tuple[str, ...] = ()) -> None:
        """Tag byte, then every field not in ``exclude`` in declaration order (§E.1.7)."""
        U8.write(w, self.TAG)
        for field in self.wire_fields():
            if field.name not in exclude:
                kind_of(field).write(w, getattr(self, field.name))

    def encode(self) -> bytes:
        """The canonical encoding (the only byte string that decodes to this value)."""
        w = Writer()
        self.write(w)
        return w.getvalue()

    def encode_without(self, *names: str) -> bytes:
        """The encoding with some trailing fields left out: the signing bytes of signed types."""
        w = Writer()
        self.write(w, exclude=names)
        return w.getvalue()

    # -- decoding ---------------------------------------------------------------

    @classmethod
    def decode(cls: type[V], data: bytes) -> V:
        """Decode a complete encoding of exactly this type; anything else raises DecodeError."""
        r = Reader(as_input_bytes(data), cls.__name__)
        value = cls.read(r)
        r.finish()
        return value

    @classmethod
    def read(cls: type[V], r: Reader) -> V:
        """Read the tag and the fields of one value at the reader's position."""
        read_tag(r, expected=cls)
        return cls.read_body(r)

    @classmethod
    def read_body(cls: type[V], r: Reader) -> V:
        """Read the fields (the tag has been read), then apply the constructor's rules."""
        values = {}
        for field in cls.wire_fields():
            with r.field(field.name):
                values[field.name] = kind_of(field).read(r)
        try:
            return cls(**values)
        except InvalidValueError as error:
            r.reject_value(error)

    @classmethod
    def size_range(cls) -> tuple[int, int]:
        """Fewest and most bytes of an encoding of this type, tag included (§E.1.11)."""
        ranges = [kind_of(field).size_range() for field in cls.wire_fields()]
        return 1 + sum(low for low, _ in ranges), 1 + sum(high for _, high in ranges)


def type_label(tag: int) -> str:
    """``0x05 (QuorumCertificate)`` or ``0x99 (unknown)``, for error messages."""
    cls = VALUE_TYPES.get(tag)
    return f"0x{tag:02x} ({cls.__name__ if cls else 'unknown'})"


def read_tag(r: Reader, expected: type[Value] | None) -> type[Value]:
    """Read a type tag; it must be known and, when a type is expected, be that type's tag (§E.1.7)."""
    with r.field("tag"):
        start = r.pos
        tag = U8.read(r, "tag")
        cls = VALUE_TYPES.get(tag)
        if cls is None:
            r.fail(f"unknown type tag 0x{tag:02x}", start)
        if expected is not None and cls is not expected:
            r.fail(f"expected tag {type_label(expected.TAG)}, got {type_label(tag)}", start)
        return cls


def decode(data: bytes) -> Value:
    """Decode any tagged value, choosing its type by the leading tag (§E.1.7)."""
    return decode_spans(data)[0]


def decode_spans(data: bytes) -> tuple[Value, list[Span]]:
    """Like :func:`decode`, also returning which bytes were read for which field (for hex dumps)."""
    r = Reader(as_input_bytes(data), "Value")
    cls = read_tag(r, expected=None)
    r.type_name = cls.__name__
    value = cls.read_body(r)
    r.finish()
    return value, r.spans


def encode(value: Value) -> bytes:
    """The canonical encoding of any value (same as ``value.encode()``)."""
    if not isinstance(value, Value):
        raise TypeError(f"encode expects an altledger value, got {type(value).__name__}")
    return value.encode()


class Nested(Kind):
    """A value of type ``cls`` inside another value, written with its own tag (§E.1.7)."""

    def __init__(self, cls: type[Value]) -> None:
        self.cls = cls
        self.spec_name = cls.__name__

    def check(self, value: Any) -> str | None:
        if type(value) is not self.cls:
            return f"expected a {self.cls.__name__}, got {type(value).__name__}"
        return None

    def size_range(self) -> tuple[int, int]:
        return self.cls.size_range()

    def write(self, w: Writer, value: Value) -> None:
        value.write(w)

    def read(self, r: Reader) -> Value:
        return self.cls.read(r)

    def to_json(self, value: Value) -> dict:
        from altledger.reference.encoding.jsonform import value_to_json
        return value_to_json(value)

    def from_json(self, data: Any) -> Value:
        from altledger.reference.encoding.jsonform import value_from_json
        value = value_from_json(data)
        if type(value) is not self.cls:
            raise ValueError(f"expected a {self.cls.__name__}, got {type(value).__name__}")
        return value

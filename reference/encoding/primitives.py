"""Field kinds: how one field of a value is written, read, checked and shown (spec/encoding.md §E.1).

Why declarative kinds: each value type lists its fields with a kind
(``U64``, ``HASH32``, ``ListOf(...)``), and one loop encodes, decodes and
validates every type.  A rule about integers, options or lists is therefore
written once, here, and cannot be applied differently by two types.

Every kind offers
  ``write(w, v)``   append the canonical bytes of ``v``;
  ``read(r)``       read and return a value, rejecting non-canonical bytes;
  ``check(v)``      ``None`` if ``v`` is a valid Python value of the kind, else why not;
  ``coerce(v)``     normalise harmless Python spellings (list -> tuple, int -> enum);
  ``to_json(v)`` / ``from_json(j)``   the JSON form used by the worked examples.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from altledger.reference.encoding.codec import Reader, Writer, join_path


class Kind:
    """Base of all field kinds.  ``spec_name`` is the type as written in spec/encoding.md."""

    spec_name = "?"

    def coerce(self, value: Any) -> Any:
        return value

    def check(self, value: Any) -> str | None:
        raise NotImplementedError

    def write(self, w: Writer, value: Any) -> None:
        raise NotImplementedError

    def read(self, r: Reader) -> Any:
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        return value

    def from_json(self, data: Any) -> Any:
        return data

    def size_range(self) -> tuple[int, int]:
        """Fewest and most bytes an encoding of this kind can take (§E.1.11)."""
        raise NotImplementedError

    def fixed_size(self) -> int | None:
        low, high = self.size_range()
        return low if low == high else None


# -- integers (§E.1.1, §E.1.2) --------------------------------------------------

class UInt(Kind):
    """An unsigned integer of ``bits`` bits, big-endian, exactly ``bits / 8`` bytes.

    JSON: a number up to 32 bits; a decimal *string* for 64 and 128 bits, since
    many JSON readers lose precision above 2**53.
    """

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self.size = bits // 8
        self.spec_name = f"u{bits}"

    def check(self, value: Any) -> str | None:
        if type(value) is not int:
            return f"expected an int, got {type(value).__name__}"
        if not 0 <= value < 1 << self.bits:
            return f"{value} does not fit in {self.spec_name}"
        return None

    def size_range(self) -> tuple[int, int]:
        return self.size, self.size

    def write(self, w: Writer, value: int) -> None:
        w.put(int(value).to_bytes(self.size, "big"))

    def read(self, r: Reader, part: str = "") -> int:
        return int.from_bytes(r.take(self.size, part), "big")

    def to_json(self, value: int) -> int | str:
        return str(value) if self.bits > 32 else int(value)

    def from_json(self, data: Any) -> int:
        if self.bits > 32:
            if not isinstance(data, str) or not data.isdigit():
                raise ValueError(f"{self.spec_name} must be a decimal string, got {data!r}")
            return int(data)
        if type(data) is not int:
            raise ValueError(f"{self.spec_name} must be a JSON number, got {data!r}")
        return data


U8, U16, U32, U64, U128 = UInt(8), UInt(16), UInt(32), UInt(64), UInt(128)


class EnumU8(Kind):
    """A u8 that must be one of the members of ``enum`` (§E.1.7); JSON: the member's name."""

    def __init__(self, enum: type[IntEnum]) -> None:
        self.enum = enum
        self.spec_name = f"u8 ({enum.__name__})"

    def coerce(self, value: Any) -> Any:
        if type(value) is int and value in self.enum._value2member_map_:
            return self.enum(value)
        return value

    def check(self, value: Any) -> str | None:
        if not isinstance(value, self.enum):
            return f"{value!r} is not a value of {self.enum.__name__} ({self.members()})"
        return None

    def size_range(self) -> tuple[int, int]:
        return 1, 1

    def members(self) -> str:
        return ", ".join(f"{m.value} = {m.name}" for m in self.enum)

    def write(self, w: Writer, value: IntEnum) -> None:
        U8.write(w, value)

    def read(self, r: Reader) -> IntEnum:
        start = r.pos
        raw = U8.read(r)
        if raw not in self.enum._value2member_map_:
            r.fail(f"0x{raw:02x} is not a value of {self.enum.__name__} ({self.members()})", start)
        return self.enum(raw)

    def to_json(self, value: IntEnum) -> str:
        return value.name

    def from_json(self, data: Any) -> IntEnum:
        if not isinstance(data, str) or data not in self.enum.__members__:
            raise ValueError(f"{data!r} is not a {self.enum.__name__} name ({self.members()})")
        return self.enum[data]


# -- byte strings (§E.1.3) ----------------------------------------------------

class FixedBytes(Kind):
    """Exactly ``size`` raw bytes (hashes, agent ids, keys, signatures); JSON: lowercase hex."""

    def __init__(self, size: int, spec_name: str) -> None:
        self.size = size
        self.spec_name = spec_name

    def check(self, value: Any) -> str | None:
        if type(value) is not bytes:
            return f"expected bytes, got {type(value).__name__}"
        if len(value) != self.size:
            return f"{self.spec_name} is {self.size} bytes, got {len(value)}"
        return None

    def size_range(self) -> tuple[int, int]:
        return self.size, self.size

    def write(self, w: Writer, value: bytes) -> None:
        w.put(value)

    def read(self, r: Reader) -> bytes:
        return r.take(self.size)

    def to_json(self, value: bytes) -> str:
        return value.hex()

    def from_json(self, data: Any) -> bytes:
        return bytes_from_hex(data)


HASH32 = FixedBytes(32, "Hash32")
AGENT_ID = FixedBytes(32, "AgentId")
ED25519_PUBLIC_KEY = FixedBytes(32, "Ed25519PublicKey")
ED25519_SIGNATURE = FixedBytes(64, "Ed25519Signature")
BLS_SIGNATURE = FixedBytes(96, "BlsSignature")

ZERO_HASH = bytes(32)


class VarBytes(Kind):
    """A length prefix of ``length`` (a UInt kind), then that many bytes, at most ``max_len``."""

    def __init__(self, length: UInt, max_len: int) -> None:
        self.length = length
        self.max_len = max_len
        self.spec_name = f"bytes<{length.spec_name}, ≤ {max_len}>"

    def check(self, value: Any) -> str | None:
        if type(value) is not bytes:
            return f"expected bytes, got {type(value).__name__}"
        if len(value) > self.max_len:
            return f"{len(value)} bytes exceeds the maximum of {self.max_len}"
        return None

    def size_range(self) -> tuple[int, int]:
        return self.length.size, self.length.size + self.max_len

    def write(self, w: Writer, value: bytes) -> None:
        self.length.write(w, len(value))
        w.put(value)

    def read(self, r: Reader) -> bytes:
        start = r.pos
        size = self.length.read(r, "length")
        if size > self.max_len:
            r.fail(f"length prefix {size} exceeds the maximum of {self.max_len}", start)
        return r.take(size)

    def to_json(self, value: bytes) -> str:
        return value.hex()

    def from_json(self, data: Any) -> bytes:
        return bytes_from_hex(data)


def bytes_from_hex(data: Any) -> bytes:
    """Lowercase hex without ``0x`` (the JSON form of byte strings)."""
    if not isinstance(data, str) or data != data.lower() or data.startswith("0x"):
        raise ValueError(f"expected lowercase hex without 0x, got {data!r}")
    return bytes.fromhex(data)


# -- options (§E.1.4) ---------------------------------------------------------

class OptionOf(Kind):
    """``Option<T>``: flag byte 0 (absent, Python ``None``) or 1 followed by T; any other flag is rejected."""

    def __init__(self, inner: Kind) -> None:
        self.inner = inner
        self.spec_name = f"Option<{inner.spec_name}>"

    def check(self, value: Any) -> str | None:
        return None if value is None else self.inner.check(value)

    def size_range(self) -> tuple[int, int]:
        return 1, 1 + self.inner.size_range()[1]

    def write(self, w: Writer, value: Any) -> None:
        if value is None:
            U8.write(w, 0)
        else:
            U8.write(w, 1)
            self.inner.write(w, value)

    def read(self, r: Reader) -> Any:
        start = r.pos
        flag = U8.read(r, "flag")
        if flag == 0:
            return None
        if flag != 1:
            r.fail(f"non-canonical option flag 0x{flag:02x} (must be 0x00 absent or 0x01 present)", start)
        return self.inner.read(r)

    def to_json(self, value: Any) -> Any:
        return None if value is None else self.inner.to_json(value)

    def from_json(self, data: Any) -> Any:
        return None if data is None else self.inner.from_json(data)


# -- lists (§E.1.5) -----------------------------------------------------------

class ListOf(Kind):
    """A count prefix (a UInt kind) then that many items; ``min_count <= count <= max_count``.

    Python value: a tuple (a list is accepted and converted, since values are immutable).
    """

    def __init__(self, item: Kind, count: UInt, min_count: int, max_count: int) -> None:
        self.item = item
        self.count = count
        self.min_count = min_count
        self.max_count = max_count
        self.spec_name = f"list<{count.spec_name}, {item.spec_name}, {min_count}..{max_count}>"

    def coerce(self, value: Any) -> Any:
        if isinstance(value, list):
            value = tuple(value)
        if isinstance(value, tuple):
            return tuple(self.item.coerce(v) for v in value)
        return value

    def check(self, value: Any) -> str | None:
        if type(value) is not tuple:
            return f"expected a tuple, got {type(value).__name__}"
        if not self.min_count <= len(value) <= self.max_count:
            return f"{len(value)} items, must be {self.min_count}..{self.max_count}"
        for index, item in enumerate(value):
            reason = self.item.check(item)
            if reason:
                return f"item {index}: {reason}"
        return None

    def size_range(self) -> tuple[int, int]:
        low, high = self.item.size_range()
        return self.count.size + self.min_count * low, self.count.size + self.max_count * high

    def write(self, w: Writer, value: tuple) -> None:
        self.count.write(w, len(value))
        for item in value:
            self.item.write(w, item)

    def read(self, r: Reader) -> tuple:
        start = r.pos
        count = self.count.read(r, "count")
        if not self.min_count <= count <= self.max_count:
            r.fail(f"count {count} out of range {self.min_count}..{self.max_count}", start)
        items = []
        for index in range(count):
            with r.field(f"[{index}]"):
                items.append(self.item.read(r))
        return tuple(items)

    def to_json(self, value: tuple) -> list:
        return [self.item.to_json(v) for v in value]

    def from_json(self, data: Any) -> tuple:
        if not isinstance(data, list):
            raise ValueError(f"expected a JSON array, got {data!r}")
        return tuple(self.item.from_json(v) for v in data)


def item_path(field: str, index: int, sub: str = "") -> str:
    """``("legs", 2, "agent")`` -> ``legs[2].agent`` (paths named in errors)."""
    return join_path(f"{field}[{index}]", sub)

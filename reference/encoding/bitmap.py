"""Signer sets as validator bitmaps (spec/encoding.md §E.1.6).

Why a bitmap: a set of validator indices has to have exactly one encoding.
A bitmap has one by construction (no order to get wrong, no duplicates to
forbid), is compact for the large quorums of BLS aggregation, and makes the
validator count explicit so that a certificate cannot be reinterpreted against
a different validator set size.

Bit order: validator ``i`` is bit ``0x80 >> (i % 8)`` of byte ``i // 8``
(most significant bit first), so a hex dump lists validators left to right.
The ``8 * ceil(N / 8) - N`` padding bits at the end must be zero.  The empty
set is written with validator count 0 and no bitmap bytes; it is the only
encoding of an empty set, and only the genesis QuorumCertificate uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from altledger.reference.encoding.codec import InvalidValueError, Reader, Writer
from altledger.reference.encoding.primitives import U16, Kind

MAX_VALIDATORS = (1 << 16) - 1


@dataclass(frozen=True)
class SignerSet:
    """Which of ``validator_count`` validators signed (§E.1.6): ``members`` strictly ascending.

    ``validator_count == 0`` if and only if ``members`` is empty.
    """

    validator_count: int
    members: tuple[int, ...]

    def __post_init__(self) -> None:
        if isinstance(self.members, list):
            object.__setattr__(self, "members", tuple(self.members))
        count = self.validator_count
        if type(count) is not int or not 0 <= count <= MAX_VALIDATORS:
            raise InvalidValueError("SignerSet", "validator_count", f"must be an int in 0..{MAX_VALIDATORS}, got {count!r}")
        if type(self.members) is not tuple or any(type(m) is not int for m in self.members):
            raise InvalidValueError("SignerSet", "members", "must be a tuple of ints")
        for index, member in enumerate(self.members):
            if not 0 <= member < count:
                raise InvalidValueError("SignerSet", f"members[{index}]", f"validator {member} is not below the validator count {count}")
            if index and member <= self.members[index - 1]:
                raise InvalidValueError("SignerSet", f"members[{index}]", "members must be strictly ascending (no duplicates)")
        if count and not self.members:
            raise InvalidValueError("SignerSet", "members", "no signer; the empty set is written with validator count 0")

    @classmethod
    def of(cls, validator_count: int, members: Any) -> "SignerSet":
        """Build from any iterable of indices (sorted and de-duplicated here)."""
        return cls(validator_count, tuple(sorted(set(members))))

    def is_empty(self) -> bool:
        return not self.members

    def __contains__(self, validator: int) -> bool:
        return validator in self.members

    def __len__(self) -> int:
        return len(self.members)


EMPTY_SIGNER_SET = SignerSet(0, ())


def bitmap_size(validator_count: int) -> int:
    """Bytes of the bitmap for ``validator_count`` validators: ``ceil(N / 8)``."""
    return (validator_count + 7) // 8


def bit_mask(validator: int) -> int:
    """The bit of ``validator`` inside its byte (most significant bit first)."""
    return 0x80 >> (validator % 8)


def bitmap_bytes(signers: SignerSet) -> bytes:
    bits = bytearray(bitmap_size(signers.validator_count))
    for validator in signers.members:
        bits[validator // 8] |= bit_mask(validator)
    return bytes(bits)


def bitmap_members(bits: bytes) -> tuple[int, ...]:
    """The validators whose bits are set, ascending (zero bytes are skipped: quorum bitmaps can be long)."""
    return tuple(8 * index + offset for index, byte in enumerate(bits) if byte
                 for offset in range(8) if byte & bit_mask(offset))


class SignerBitmap(Kind):
    """u16 validator count N, then ``ceil(N/8)`` bitmap bytes; zero padding; N = 0 iff empty."""

    spec_name = "SignerSet"

    def check(self, value: Any) -> str | None:
        return None if isinstance(value, SignerSet) else f"expected a SignerSet, got {type(value).__name__}"

    def size_range(self) -> tuple[int, int]:
        return 2, 2 + bitmap_size(MAX_VALIDATORS)

    def write(self, w: Writer, value: SignerSet) -> None:
        U16.write(w, value.validator_count)
        w.put(bitmap_bytes(value))

    def read(self, r: Reader) -> SignerSet:
        start = r.pos
        count = U16.read(r, "count")
        bits_start = r.pos
        bits = r.take(bitmap_size(count), "bits")
        padding = 8 * len(bits) - count
        if padding and bits[-1] & ((1 << padding) - 1):
            r.fail(f"padding bit(s) set in the last bitmap byte 0x{bits[-1]:02x}", bits_start + len(bits) - 1)
        members = bitmap_members(bits)
        if count and not members:
            r.fail("no signer: a non-empty validator count with an all-zero bitmap "
                   "(the empty set is written with validator count 0)", start)
        return SignerSet(count, members)

    def to_json(self, value: SignerSet) -> dict:
        return {"validator_count": value.validator_count, "signers": list(value.members)}

    def from_json(self, data: Any) -> SignerSet:
        if not isinstance(data, dict) or set(data) != {"validator_count", "signers"}:
            raise ValueError(f"expected {{validator_count, signers}}, got {data!r}")
        return SignerSet(data["validator_count"], tuple(data["signers"]))


SIGNER_BITMAP = SignerBitmap()

"""Hashgraph events, the seed's "DAG vertex" corrected (spec/encoding.md §E.4).

An event records that ``creator`` learnt of ``other_parent`` (the latest event
it received by gossip) after its own previous event ``self_parent``, together
with the transactions it brings into the DAG.  Both parents are optional: a
creator's first event has no self-parent, and an event created before any
gossip arrived has no other-parent.  Everything except the signature is
signed, the timestamp included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from altledger.reference.encoding.primitives import (ED25519_PUBLIC_KEY, ED25519_SIGNATURE, HASH32, U16, U32,
                                                     U64, ListOf, OptionOf)
from altledger.reference.encoding.transactions import Transaction
from altledger.reference.encoding.values import Nested, Value, wire
from altledger.reference.hashing import TAG_EVENT, tagged_hash

MAX_EVENT_TRANSACTIONS = 1024


@dataclass(frozen=True)
class Event(Value):
    """One hashgraph event (spec/encoding.md §E.4).

    ``timestamp`` is the creator's claimed creation time in nanoseconds since
    the Unix epoch; the encoding does not interpret it (the consensus layer
    takes medians of it).
    """

    TAG: ClassVar[int] = 0x02

    creator: bytes = wire(ED25519_PUBLIC_KEY)
    self_parent: bytes | None = wire(OptionOf(HASH32))
    other_parent: bytes | None = wire(OptionOf(HASH32))
    timestamp: int = wire(U64)
    shard: int = wire(U32)
    transactions: tuple[Transaction, ...] = wire(ListOf(Nested(Transaction), U16, 0, MAX_EVENT_TRANSACTIONS))
    signature: bytes = wire(ED25519_SIGNATURE)

    def validate(self) -> None:
        # The two parents are made by different creators, so they are different events.
        both = self.self_parent is not None and self.other_parent is not None
        self.require(not (both and self.self_parent == self.other_parent), "other_parent",
                     "other_parent equals self_parent (the parents of an event are two different events)")

    def signing_bytes(self) -> bytes:
        """What ``signature`` signs: the encoding without the signature field (§E.4.2)."""
        return self.encode_without("signature")

    def hash(self) -> bytes:
        """``tagged_hash(TAG_EVENT, encoding)``, signature included (§E.2.2)."""
        return tagged_hash(TAG_EVENT, self.encode())

"""Single-agent value transfers (spec/encoding.md §E.3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from altledger.reference.encoding.primitives import AGENT_ID, U16, U64, U128, VarBytes
from altledger.reference.encoding.values import Value, wire
from altledger.reference.hashing import TAG_TRANSACTION, tagged_hash

MAX_USER_DATA = 1024
USER_DATA = VarBytes(U16, MAX_USER_DATA)


@dataclass(frozen=True)
class Transaction(Value):
    """A transfer of ``amount`` from ``source`` to ``target`` (spec/encoding.md §E.3).

    ``nonce`` is the source agent's operation counter: it starts at 1, so 0
    never names a real operation.  ``user_data`` is opaque to the ledger.
    """

    TAG: ClassVar[int] = 0x01

    source: bytes = wire(AGENT_ID)
    target: bytes = wire(AGENT_ID)
    amount: int = wire(U128)
    nonce: int = wire(U64)
    user_data: bytes = wire(USER_DATA)

    def validate(self) -> None:
        self.require(self.target != self.source, "target", "target must differ from source")
        self.require(self.amount >= 1, "amount", "amount must be at least 1")
        self.require(self.nonce >= 1, "nonce", "nonce must be at least 1")

    def txid(self) -> bytes:
        """``tagged_hash(TAG_TRANSACTION, encoding)`` (§E.2.2)."""
        return tagged_hash(TAG_TRANSACTION, self.encode())

"""HotStuff blocks, votes and certificates (spec/encoding.md §E.5).

The protocol itself arrives in a later issue; these types fix its wire format
now.  Key and signature fields are opaque fixed-length byte strings here:
whether 96 bytes are a valid compressed G2 point, or a signature verifies, is
decided by the crypto layer (altledger.reference.crypto), not by the decoder.

Views start at 1.  View 0 and the all-zero block hash belong to the virtual
genesis block, certified by the one genesis QuorumCertificate (§E.5.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from altledger.reference.encoding.bitmap import EMPTY_SIGNER_SET, SIGNER_BITMAP, SignerSet
from altledger.reference.encoding.primitives import (BLS_SIGNATURE, ED25519_SIGNATURE, HASH32, U32, U64,
                                                     ZERO_HASH, ListOf)
from altledger.reference.encoding.transactions import Transaction
from altledger.reference.encoding.values import Nested, Value, wire
from altledger.reference.hashing import TAG_BLOCK, TAG_TIMEOUT, TAG_VOTE, tagged_hash

MAX_BLOCK_TRANSACTIONS = 4096

# The compressed encoding of the point at infinity of G2 (flags: compressed, infinity).
G2_INFINITY = bytes([0xC0]) + bytes(95)


def u64_bytes(value: int) -> bytes:
    return value.to_bytes(8, "big")


@dataclass(frozen=True)
class QuorumCertificate(Value):
    """Proof that a quorum voted for ``block`` in ``view`` (spec/encoding.md §E.5.3).

    ``aggregate_signature`` aggregates the voters' BLS shares over
    :func:`qc_message`.  The genesis QC (view 0, all-zero block, no signers,
    the G2 point at infinity) is the only QC with view 0 and the only one
    with an empty signer set.
    """

    TAG: ClassVar[int] = 0x05

    block: bytes = wire(HASH32)
    view: int = wire(U64)
    signers: SignerSet = wire(SIGNER_BITMAP)
    aggregate_signature: bytes = wire(BLS_SIGNATURE)

    def validate(self) -> None:
        if self.view == 0:
            self.require(self.block == ZERO_HASH, "block", "a view-0 QC is the genesis QC: block must be all zero")
            self.require(self.signers.is_empty(), "signers", "the genesis QC has no signers (validator count 0)")
            self.require(self.aggregate_signature == G2_INFINITY, "aggregate_signature",
                         "the genesis QC's signature is the G2 point at infinity (0xc0 then 95 zero bytes)")
        else:
            self.require(self.block != ZERO_HASH, "block", "the all-zero block is certified only by the genesis QC")
            self.require(not self.signers.is_empty(), "signers", "only the genesis QC has an empty signer set")

    def is_genesis(self) -> bool:
        return self.view == 0

    def signing_message(self) -> bytes:
        """What every signer's BLS share signs (§E.5.3)."""
        return qc_message(self.block, self.view)


def qc_message(block: bytes, view: int) -> bytes:
    """The BLS message of a vote for ``block`` in ``view``: tag 0x05, block, view (§E.5.3)."""
    return bytes([QuorumCertificate.TAG]) + block + u64_bytes(view)


GENESIS_QC = QuorumCertificate(ZERO_HASH, 0, EMPTY_SIGNER_SET, G2_INFINITY)


@dataclass(frozen=True)
class Block(Value):
    """A HotStuff proposal (spec/encoding.md §E.5.1).

    Height 0 is the virtual genesis block (hash all zero), so a block's parent
    is all zero exactly when its height is 1.  A block carries the QC of an
    earlier view (``justify.view < view``).
    """

    TAG: ClassVar[int] = 0x03

    parent: bytes = wire(HASH32)
    view: int = wire(U64)
    height: int = wire(U64)
    proposer: int = wire(U32)
    justify: QuorumCertificate = wire(Nested(QuorumCertificate))
    payload: tuple[Transaction, ...] = wire(ListOf(Nested(Transaction), U32, 0, MAX_BLOCK_TRANSACTIONS))

    def validate(self) -> None:
        self.require(self.view >= 1, "view", "view must be at least 1 (view 0 is genesis)")
        self.require(self.height >= 1, "height", "height must be at least 1 (height 0 is genesis)")
        self.require((self.parent == ZERO_HASH) == (self.height == 1), "parent",
                     "the parent is the all-zero genesis hash exactly when height is 1")
        self.require(self.justify.view < self.view, "justify.view",
                     f"justify.view {self.justify.view} must be below the block's view {self.view}")

    def hash(self) -> bytes:
        """``tagged_hash(TAG_BLOCK, encoding)`` (§E.2.2)."""
        return tagged_hash(TAG_BLOCK, self.encode())


@dataclass(frozen=True)
class Vote(Value):
    """A validator's vote for ``block`` in ``view`` (spec/encoding.md §E.5.2).

    ``signature`` (Ed25519) authenticates the vote as a message;
    ``bls_share`` signs :func:`qc_message` and is aggregated into the QC.
    """

    TAG: ClassVar[int] = 0x04

    block: bytes = wire(HASH32)
    view: int = wire(U64)
    voter: int = wire(U32)
    signature: bytes = wire(ED25519_SIGNATURE)
    bls_share: bytes = wire(BLS_SIGNATURE)

    def validate(self) -> None:
        self.require(self.view >= 1, "view", "view must be at least 1 (view 0 is genesis)")
        self.require(self.block != ZERO_HASH, "block", "nobody votes for the all-zero genesis block")

    def signing_bytes(self) -> bytes:
        """What ``signature`` signs: tag, block, view, voter (§E.5.2)."""
        return self.encode_without("signature", "bls_share")

    def bls_message(self) -> bytes:
        return qc_message(self.block, self.view)

    def id(self) -> bytes:
        """``tagged_hash(TAG_VOTE, encoding)`` (§E.2.2)."""
        return tagged_hash(TAG_VOTE, self.encode())


def timeout_message(view: int) -> bytes:
    """The BLS message of a timeout in ``view``: tag 0x07, view (§E.5.4)."""
    return bytes([TimeoutCertificate.TAG]) + u64_bytes(view)


@dataclass(frozen=True)
class TimeoutVote(Value):
    """A validator gives up on ``view`` and reports its highest QC (spec/encoding.md §E.5.4)."""

    TAG: ClassVar[int] = 0x06

    view: int = wire(U64)
    voter: int = wire(U32)
    high_qc: QuorumCertificate = wire(Nested(QuorumCertificate))
    signature: bytes = wire(ED25519_SIGNATURE)
    bls_share: bytes = wire(BLS_SIGNATURE)

    def validate(self) -> None:
        self.require(self.view >= 1, "view", "view must be at least 1 (view 0 is genesis)")
        self.require(self.high_qc.view < self.view, "high_qc.view",
                     f"high_qc.view {self.high_qc.view} must be below the timeout's view {self.view}")

    def signing_bytes(self) -> bytes:
        """What ``signature`` signs: tag, view, voter, high_qc (§E.5.4)."""
        return self.encode_without("signature", "bls_share")

    def bls_message(self) -> bytes:
        return timeout_message(self.view)

    def id(self) -> bytes:
        """``tagged_hash(TAG_TIMEOUT, encoding)`` (§E.2.2)."""
        return tagged_hash(TAG_TIMEOUT, self.encode())


@dataclass(frozen=True)
class TimeoutCertificate(Value):
    """Proof that a quorum timed out in ``view``, with the highest QC among them (spec/encoding.md §E.5.5)."""

    TAG: ClassVar[int] = 0x07

    view: int = wire(U64)
    signers: SignerSet = wire(SIGNER_BITMAP)
    aggregate_signature: bytes = wire(BLS_SIGNATURE)
    high_qc: QuorumCertificate = wire(Nested(QuorumCertificate))

    def validate(self) -> None:
        self.require(self.view >= 1, "view", "view must be at least 1 (view 0 is genesis)")
        self.require(not self.signers.is_empty(), "signers", "a timeout certificate has at least one signer")
        self.require(self.high_qc.view < self.view, "high_qc.view",
                     f"high_qc.view {self.high_qc.view} must be below the certificate's view {self.view}")

    def signing_message(self) -> bytes:
        return timeout_message(self.view)

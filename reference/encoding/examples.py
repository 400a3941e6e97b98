"""The worked examples of spec/encoding.md, built from readable inputs.

Run ``python -m altledger.reference.encoding.examples [TypeName ...]`` to print
their markdown (JSON field values and annotated hex) for pasting into the
spec; tests/encoding checks that the spec shows exactly these.

Ed25519 signatures in the examples are real: signed (RFC 8032, pure Ed25519)
by keys whose 32-byte seeds are ``BLAKE2b-256("altledger example key <n>")``.
BLS fields hold the recognisable placeholder ``0xb1 0xb1 ...``; they are not
valid signatures, which the encoding does not check (§E.5), and the BLS
ciphersuite belongs to the crypto layer.
"""

from __future__ import annotations

import sys

from nacl.signing import SigningKey

from altledger.reference.encoding.agents import agent_id
from altledger.reference.encoding.bitmap import SignerSet
from altledger.reference.encoding.events import Event
from altledger.reference.encoding.explain import render_example
from altledger.reference.encoding.hotstuff import (GENESIS_QC, Block, QuorumCertificate, TimeoutCertificate,
                                                   TimeoutVote, Vote)
from altledger.reference.encoding.primitives import ZERO_HASH
from altledger.reference.encoding.transactions import Transaction
from altledger.reference.encoding.twopc import (Ack, CommitDecisionRecord, CrossAgentTx, Decision, EndRecord, Leg,
                                                LegKind, Outcome, OutcomeRecord, Prepare, PreparedRecord, Query,
                                                VoteMsg, VoteReason, VoteValue)
from altledger.reference.encoding.values import Value
from altledger.reference.hashing import blake2b_256

BLS_PLACEHOLDER = bytes([0xB1]) * 96
UNSIGNED = bytes(64)


def example_key(n: int) -> SigningKey:
    return SigningKey(blake2b_256(f"altledger example key {n}".encode()))


def ed25519_sign(n: int, message: bytes) -> bytes:
    return example_key(n).sign(message).signature


def example_transaction() -> Transaction:
    return Transaction(agent_id("alice.cns"), agent_id("bob.cns"), 250, 7, b"rent")


def example_event() -> Event:
    unsigned = Event(example_key(1).verify_key.encode(), blake2b_256(b"previous event of creator 1"), None,
                     1_767_225_600_000_000_000, 3, (example_transaction(),), UNSIGNED)
    return Event(**{**vars(unsigned), "signature": ed25519_sign(1, unsigned.signing_bytes())})


def example_qc() -> QuorumCertificate:
    return QuorumCertificate(blake2b_256(b"block of view 41"), 41, SignerSet.of(10, [0, 2, 3, 5, 6, 9]),
                             BLS_PLACEHOLDER)


def example_block() -> Block:
    return Block(example_qc().block, 42, 17, 2, example_qc(), (example_transaction(),))


def example_vote() -> Vote:
    unsigned = Vote(example_block().hash(), 42, 5, UNSIGNED, BLS_PLACEHOLDER)
    return Vote(**{**vars(unsigned), "signature": ed25519_sign(5, unsigned.signing_bytes())})


def example_timeout_vote() -> TimeoutVote:
    unsigned = TimeoutVote(43, 5, example_qc(), UNSIGNED, BLS_PLACEHOLDER)
    return TimeoutVote(**{**vars(unsigned), "signature": ed25519_sign(5, unsigned.signing_bytes())})


def example_timeout_certificate() -> TimeoutCertificate:
    return TimeoutCertificate(43, SignerSet.of(10, [1, 2, 4, 5, 7, 8, 9]), BLS_PLACEHOLDER, example_qc())


def example_cross_agent_tx() -> CrossAgentTx:
    legs = [Leg(agent_id("alice.cns"), LegKind.DEBIT, 100, 8),
            Leg(agent_id("bob.cns"), LegKind.CREDIT, 60, 0),
            Leg(agent_id("carol.cns"), LegKind.CREDIT, 40, 0)]
    return CrossAgentTx(tuple(sorted(legs, key=lambda leg: leg.agent)), b"split the bill")


EXAMPLE_SHARD_COUNT = 4  # the 2PC examples assume K = 4: participants (2, 3), coordinator 3


def examples() -> list[Value]:
    """One example per value type, in the order of spec/encoding.md."""
    tx = example_cross_agent_tx()
    txid = tx.txid()
    coordinator = tx.coordinator(EXAMPLE_SHARD_COUNT)
    other = [s for s in tx.participants(EXAMPLE_SHARD_COUNT) if s != coordinator][0]
    return [
        example_transaction(),
        example_event(),
        example_block(),
        example_vote(),
        example_qc(),
        GENESIS_QC,
        example_timeout_vote(),
        example_timeout_certificate(),
        tx.legs[0],
        tx,
        Prepare(tx),
        VoteMsg(txid, other, VoteValue.YES, VoteReason.NONE),
        Decision(txid, Outcome.COMMIT),
        Ack(txid, other),
        Query(txid, other),
        PreparedRecord(tx),
        OutcomeRecord(txid, Outcome.COMMIT),
        CommitDecisionRecord(txid, tx.participants(EXAMPLE_SHARD_COUNT)),
        EndRecord(txid),
    ]


def main(argv: list[str]) -> None:
    for value in examples():
        if not argv or type(value).__name__ in argv:
            print(render_example(value))


if __name__ == "__main__":
    main(sys.argv[1:])

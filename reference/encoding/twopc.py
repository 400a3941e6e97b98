"""Cross-agent transactions, two-phase commit messages and log records (spec/encoding.md §E.6).

The protocol is specified in spec/two_phase_commit.md; this module fixes the
bytes.  A cross-agent transaction is a set of legs, one per agent: debits take
value from agents, credits give it to agents, and the two sums are equal, so
value is neither created nor destroyed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from altledger.reference.encoding.agents import shard_of_agent
from altledger.reference.encoding.primitives import AGENT_ID, HASH32, U8, U32, U64, U128, EnumU8, ListOf, item_path
from altledger.reference.encoding.transactions import USER_DATA
from altledger.reference.encoding.values import Nested, Value, wire
from altledger.reference.hashing import TAG_TWOPC, tagged_hash

MIN_LEGS, MAX_LEGS = 2, 16
U128_MAX = (1 << 128) - 1


class LegKind(IntEnum):
    CREDIT = 0
    DEBIT = 1


class VoteValue(IntEnum):
    NO = 0
    YES = 1


class VoteReason(IntEnum):
    NONE = 0                  # only with YES
    LOCKED = 1                # only with NO, as are all below
    INSUFFICIENT_BALANCE = 2
    BAD_NONCE = 3
    ABORTED_LOCALLY = 4


class Outcome(IntEnum):
    ABORT = 0
    COMMIT = 1


@dataclass(frozen=True)
class Leg(Value):
    """One agent's part in a cross-agent transaction (spec/encoding.md §E.6.1).

    A debit carries the agent's next nonce (at least 1), which makes the
    transaction unreplayable; a credit needs no consent and carries nonce 0.
    """

    TAG: ClassVar[int] = 0x1F

    agent: bytes = wire(AGENT_ID)
    kind: LegKind = wire(EnumU8(LegKind))
    amount: int = wire(U128)
    nonce: int = wire(U64)

    def validate(self) -> None:
        self.require(self.amount >= 1, "amount", "amount must be at least 1")
        if self.kind is LegKind.DEBIT:
            self.require(self.nonce >= 1, "nonce", "a debit's nonce is the agent's next nonce, at least 1")
        else:
            self.require(self.nonce == 0, "nonce", "a credit's nonce must be 0")


@dataclass(frozen=True)
class CrossAgentTx(Value):
    """An atomic transfer among 2..16 agents (spec/encoding.md §E.6.2).

    Legs are strictly ascending by agent id (one leg per agent, one canonical
    order); at least one is a debit; the debits sum to the credits, and that
    sum fits in a u128.
    """

    TAG: ClassVar[int] = 0x10

    legs: tuple[Leg, ...] = wire(ListOf(Nested(Leg), U8, MIN_LEGS, MAX_LEGS))
    user_data: bytes = wire(USER_DATA)

    def validate(self) -> None:
        for index in range(1, len(self.legs)):
            self.require(self.legs[index - 1].agent < self.legs[index].agent, item_path("legs", index, "agent"),
                         "legs must be strictly ascending by agent (one leg per agent)")
        debited = sum(leg.amount for leg in self.debits())
        credited = sum(leg.amount for leg in self.credits())
        self.require(bool(self.debits()), "legs", "at least one leg must be a debit")
        self.require(debited == credited, "legs", f"debits sum to {debited} but credits sum to {credited}")
        self.require(debited <= U128_MAX, "legs", f"the transferred total {debited} does not fit in a u128")

    def txid(self) -> bytes:
        """``tagged_hash(TAG_TWOPC, encoding)`` (§E.2.2)."""
        return tagged_hash(TAG_TWOPC, self.encode())

    def debits(self) -> tuple[Leg, ...]:
        return tuple(leg for leg in self.legs if leg.kind is LegKind.DEBIT)

    def credits(self) -> tuple[Leg, ...]:
        return tuple(leg for leg in self.legs if leg.kind is LegKind.CREDIT)

    def agents(self) -> tuple[bytes, ...]:
        """The agents, in canonical (ascending) order."""
        return tuple(leg.agent for leg in self.legs)

    def legs_on_shard(self, shard: int, shard_count: int) -> tuple[Leg, ...]:
        """The legs whose agent lives on ``shard``: what that shard locks and applies."""
        return tuple(leg for leg in self.legs if shard_of_agent(leg.agent, shard_count) == shard)

    def participants(self, shard_count: int) -> tuple[int, ...]:
        """The shards holding at least one leg, ascending."""
        return tuple(sorted({shard_of_agent(leg.agent, shard_count) for leg in self.legs}))

    def coordinator(self, shard_count: int) -> int:
        """The shard of the first debit leg in canonical order (spec/two_phase_commit.md)."""
        return shard_of_agent(self.debits()[0].agent, shard_count)


# -- messages (§E.6.3) ---------------------------------------------------------

@dataclass(frozen=True)
class Prepare(Value):
    """Coordinator -> participant: lock your legs of ``tx`` and vote (spec/encoding.md §E.6.3)."""

    TAG: ClassVar[int] = 0x11

    tx: CrossAgentTx = wire(Nested(CrossAgentTx))


@dataclass(frozen=True)
class VoteMsg(Value):
    """Participant -> coordinator: YES (reason NONE) or NO with a reason (spec/encoding.md §E.6.3)."""

    TAG: ClassVar[int] = 0x12

    txid: bytes = wire(HASH32)
    shard: int = wire(U32)
    vote: VoteValue = wire(EnumU8(VoteValue))
    reason: VoteReason = wire(EnumU8(VoteReason))

    def validate(self) -> None:
        if self.vote is VoteValue.YES:
            self.require(self.reason is VoteReason.NONE, "reason", "a YES vote has reason NONE")
        else:
            self.require(self.reason is not VoteReason.NONE, "reason", "a NO vote names a reason other than NONE")


@dataclass(frozen=True)
class Decision(Value):
    """Coordinator -> participants: the outcome of ``txid`` (spec/encoding.md §E.6.3)."""

    TAG: ClassVar[int] = 0x13

    txid: bytes = wire(HASH32)
    outcome: Outcome = wire(EnumU8(Outcome))


@dataclass(frozen=True)
class Ack(Value):
    """Participant -> coordinator: ``shard`` has applied the decision on ``txid`` (spec/encoding.md §E.6.3)."""

    TAG: ClassVar[int] = 0x14

    txid: bytes = wire(HASH32)
    shard: int = wire(U32)


@dataclass(frozen=True)
class Query(Value):
    """Participant -> coordinator: ``shard`` asks for the outcome of ``txid`` (spec/encoding.md §E.6.3)."""

    TAG: ClassVar[int] = 0x15

    txid: bytes = wire(HASH32)
    shard: int = wire(U32)


# -- durable log records (§E.6.4) ------------------------------------------------

@dataclass(frozen=True)
class PreparedRecord(Value):
    """Participant log: voted YES on ``tx``; its locks are the tx's legs on its shard (spec/encoding.md §E.6.4)."""

    TAG: ClassVar[int] = 0x18

    tx: CrossAgentTx = wire(Nested(CrossAgentTx))


@dataclass(frozen=True)
class OutcomeRecord(Value):
    """Participant log: learnt the outcome of ``txid`` (spec/encoding.md §E.6.4)."""

    TAG: ClassVar[int] = 0x19

    txid: bytes = wire(HASH32)
    outcome: Outcome = wire(EnumU8(Outcome))


@dataclass(frozen=True)
class CommitDecisionRecord(Value):
    """Coordinator log: decided COMMIT for ``txid`` with these participant shards (spec/encoding.md §E.6.4)."""

    TAG: ClassVar[int] = 0x1A

    txid: bytes = wire(HASH32)
    participants: tuple[int, ...] = wire(ListOf(U32, U8, 1, MAX_LEGS))

    def validate(self) -> None:
        for index in range(1, len(self.participants)):
            self.require(self.participants[index - 1] < self.participants[index], item_path("participants", index),
                         "participants must be strictly ascending (no duplicates)")


@dataclass(frozen=True)
class EndRecord(Value):
    """Coordinator log: every participant acknowledged; ``txid`` may be forgotten (spec/encoding.md §E.6.4)."""

    TAG: ClassVar[int] = 0x1B

    txid: bytes = wire(HASH32)

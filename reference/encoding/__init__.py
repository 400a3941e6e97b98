"""The canonical encoding of every altledger value (spec/encoding.md).

Each value type is an immutable dataclass that validates itself on
construction and has exactly one byte encoding::

    tx = Transaction(agent_id("alice.cns"), agent_id("bob.cns"), 5, 1, b"")
    data = tx.encode()                  # or encode(tx)
    assert Transaction.decode(data) == tx == decode(data)

Decoders reject every other byte string with
:class:`~altledger.reference.errors.DecodeError` naming the outermost type,
the dotted field path and the byte offset.  Constructors reject invalid values
with :class:`InvalidValueError`.

Hypothesis strategies for every type live in
:mod:`altledger.reference.encoding.strategies` (imported on demand: Hypothesis
is a test dependency, not a runtime one).
"""

from altledger.reference.encoding.agents import agent_id, shard_index, shard_of_agent
from altledger.reference.encoding.bitmap import EMPTY_SIGNER_SET, SignerSet
from altledger.reference.encoding.codec import InvalidValueError
from altledger.reference.encoding.events import MAX_EVENT_TRANSACTIONS, Event
from altledger.reference.encoding.hotstuff import (G2_INFINITY, GENESIS_QC, MAX_BLOCK_TRANSACTIONS, Block,
                                                   QuorumCertificate, TimeoutCertificate, TimeoutVote, Vote,
                                                   qc_message, timeout_message)
from altledger.reference.encoding.jsonform import value_from_json, value_to_json
from altledger.reference.encoding.primitives import ZERO_HASH
from altledger.reference.encoding.transactions import MAX_USER_DATA, Transaction
from altledger.reference.encoding.twopc import (MAX_LEGS, MIN_LEGS, Ack, CommitDecisionRecord, CrossAgentTx,
                                                Decision, EndRecord, Leg, LegKind, Outcome, OutcomeRecord,
                                                Prepare, PreparedRecord, Query, VoteMsg, VoteReason, VoteValue)
from altledger.reference.encoding.values import VALUE_TYPES, Value, decode, encode

__all__ = [
    "Ack", "Block", "CommitDecisionRecord", "CrossAgentTx", "Decision", "EMPTY_SIGNER_SET", "EndRecord",
    "Event", "G2_INFINITY", "GENESIS_QC", "InvalidValueError", "Leg", "LegKind", "MAX_BLOCK_TRANSACTIONS",
    "MAX_EVENT_TRANSACTIONS", "MAX_LEGS", "MAX_USER_DATA", "MIN_LEGS", "Outcome", "OutcomeRecord", "Prepare",
    "PreparedRecord", "Query", "QuorumCertificate", "SignerSet", "TimeoutCertificate", "TimeoutVote",
    "Transaction", "VALUE_TYPES", "Value", "Vote", "VoteMsg", "VoteReason", "VoteValue", "ZERO_HASH",
    "agent_id", "decode", "encode", "qc_message", "shard_index", "shard_of_agent", "timeout_message",
    "value_from_json", "value_to_json",
]

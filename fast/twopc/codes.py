"""Integer codes for records, rmState values and messages, and their reference meaning.

The fast implementation never builds a record or message *object* on its hot
path.  Each is a small integer (records) or a tuple of integers (messages),
and this module is the one place that says which reference value every code
stands for (spec/two_phase_commit.md §5.1, §6; the values themselves are
``altledger.reference.encoding`` types).  Conversions to and from the
reference types (:func:`record_value`, :func:`record_code`,
:func:`message_value`, :func:`message_code`) are used only at the boundary:
snapshots, the per-shard JSON step and the cross-checks.

Records: ``code = t << 3 | kind`` where ``t`` is the transaction's index in a
:class:`~altledger.fast.twopc.txtable.TxTable`.

Messages: ``(code, t, shard_field)``; ``shard_field`` is the ``shard`` member
of ``VoteMsg``/``Ack``/``Query`` (0 for ``Prepare``/``Decision``, which have
none).  A vote's code carries its reason, and the vote value follows from it
(§6.2: YES iff reason NONE).
"""

from __future__ import annotations

from altledger.reference.encoding import (Ack, CommitDecisionRecord, Decision, EndRecord, Outcome, OutcomeRecord,
                                          Prepare, PreparedRecord, Query, VoteMsg, VoteReason, VoteValue)

# -- rmState (§4.3) -------------------------------------------------------------------
# Ordered so that the state after a record is max(state before, the record's state):
# committed beats aborted beats prepared beats working, exactly the precedence of the
# definition in §4.3 ("committed if ... COMMIT; else aborted if ... ABORT; else prepared ...").
WORKING, PREPARED, ABORTED, COMMITTED = 0, 1, 2, 3
RM_NAMES = ("working", "prepared", "aborted", "committed")

# -- record kinds (§5.1); kinds 1..3 equal the rmState the record implies ---------------
REC_PREPARED = 1          # PreparedRecord(tx)
REC_ABORT = 2             # OutcomeRecord(txid, ABORT)
REC_COMMIT = 3            # OutcomeRecord(txid, COMMIT)
REC_DECISION = 4          # CommitDecisionRecord(txid, participants(tx))
REC_END = 5               # EndRecord(txid)
KIND_BITS, KIND_MASK = 3, 7

# -- the first NO vote cast for a transaction, as one integer (batch mode's reports) ------
# Bit widths: reason 3, shard 12, round 16, batch 32; 63 bits in all, so the integers order
# exactly as the tuples (batch, round, shard, reason) do, and the earliest vote is the least key.
REASON_BITS, SHARD_BITS, ROUND_BITS, BATCH_BITS = 3, 12, 16, 32


def no_key(batch: int, round_: int, shard: int, reason: int) -> int:
    """``(batch, round, shard, reason)`` as one int64 that orders as the tuple does."""
    return ((batch << ROUND_BITS | round_) << SHARD_BITS | shard) << REASON_BITS | reason

# -- coordinator phases (§4.2); idle = no entry ---------------------------------------------
COLLECTING, COMMITTING = 1, 2
PHASE_NAMES = {COLLECTING: "collecting", COMMITTING: "committing"}

# -- message codes (§6) -------------------------------------------------------------------
MSG_PREPARE = 0
MSG_VOTE = 1              # 1 + VoteReason: 1 = YES/NONE, 2 = NO/LOCKED, ..., 5 = NO/ABORTED_LOCALLY
MSG_ABORT = 6             # Decision(txid, ABORT)
MSG_COMMIT = 7            # Decision(txid, COMMIT)
MSG_ACK = 8
MSG_QUERY = 9
MSG_NAMES = ("Prepare", "Vote(YES)", "Vote(NO,LOCKED)", "Vote(NO,INSUFFICIENT_BALANCE)", "Vote(NO,BAD_NONCE)",
             "Vote(NO,ABORTED_LOCALLY)", "Decision(ABORT)", "Decision(COMMIT)", "Ack", "Query")

# VoteReason values (§6.2, §7.1.4), as the reference's IntEnum numbers them.
NONE, LOCKED, INSUFFICIENT_BALANCE, BAD_NONCE, ABORTED_LOCALLY = (
    int(VoteReason.NONE), int(VoteReason.LOCKED), int(VoteReason.INSUFFICIENT_BALANCE),
    int(VoteReason.BAD_NONCE), int(VoteReason.ABORTED_LOCALLY))


def record_value(code: int, table):
    """The reference record a record code stands for (``table``: the TxTable it indexes)."""
    t, kind = code >> KIND_BITS, code & KIND_MASK
    if kind == REC_PREPARED:
        return PreparedRecord(table.txs[t])
    txid = table.txid(t)
    if kind == REC_ABORT:
        return OutcomeRecord(txid, Outcome.ABORT)
    if kind == REC_COMMIT:
        return OutcomeRecord(txid, Outcome.COMMIT)
    if kind == REC_DECISION:
        return CommitDecisionRecord(txid, table.participants[t])
    if kind == REC_END:
        return EndRecord(txid)
    raise ValueError(f"not a record code: {code}")


def record_code(record, t: int, table) -> int:
    """The code of a reference record about transaction index ``t``.

    A ``CommitDecisionRecord`` is stored without its participant list, which
    the protocol always sets to ``participants(t)`` (§8.2, §9.2); one that
    lists other shards cannot come from a run and is refused rather than
    silently changed.
    """
    if isinstance(record, PreparedRecord):
        return t << KIND_BITS | REC_PREPARED
    if isinstance(record, OutcomeRecord):
        return t << KIND_BITS | (REC_COMMIT if record.outcome is Outcome.COMMIT else REC_ABORT)
    if isinstance(record, CommitDecisionRecord):
        if tuple(record.participants) != table.participants[t]:
            raise ValueError(f"CommitDecisionRecord for {record.txid.hex()} lists participants "
                             f"{list(record.participants)}, but the transaction's participants are "
                             f"{list(table.participants[t])}")
        return t << KIND_BITS | REC_DECISION
    if isinstance(record, EndRecord):
        return t << KIND_BITS | REC_END
    raise ValueError(f"not a two-phase commit record: {type(record).__name__}")


def message_value(code: int, t: int, shard_field: int, table):
    """The reference message that ``(code, t, shard_field)`` stands for."""
    if code == MSG_PREPARE:
        return Prepare(table.txs[t])
    txid = table.txid(t)
    if MSG_VOTE <= code < MSG_ABORT:
        reason = VoteReason(code - MSG_VOTE)
        return VoteMsg(txid, shard_field, VoteValue.YES if reason is VoteReason.NONE else VoteValue.NO, reason)
    if code == MSG_ABORT:
        return Decision(txid, Outcome.ABORT)
    if code == MSG_COMMIT:
        return Decision(txid, Outcome.COMMIT)
    if code == MSG_ACK:
        return Ack(txid, shard_field)
    if code == MSG_QUERY:
        return Query(txid, shard_field)
    raise ValueError(f"not a message code: {code}")


def message_code(message) -> tuple[int, int]:
    """``(code, shard_field)`` of a reference message (its transaction is looked up by the caller)."""
    if isinstance(message, Prepare):
        return MSG_PREPARE, 0
    if isinstance(message, VoteMsg):
        return MSG_VOTE + int(message.reason), message.shard
    if isinstance(message, Decision):
        return (MSG_COMMIT if message.outcome is Outcome.COMMIT else MSG_ABORT), 0
    if isinstance(message, Ack):
        return MSG_ACK, message.shard
    if isinstance(message, Query):
        return MSG_QUERY, message.shard
    raise ValueError(f"not a two-phase commit message: {type(message).__name__}")

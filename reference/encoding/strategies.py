"""Hypothesis strategies for every value type of spec/encoding.md.

Why inside the package and not under tests/: other areas draw values from
these strategies too — the fast implementation's differential tests, the
conformance vector generator and ``altledger fuzz`` (a CLI command, so not
test code) — and test files are not importable modules (tests/ has no
``__init__.py`` and basenames are global).  Hypothesis is a test dependency,
so this module is *not* imported by ``altledger.reference.encoding``; import it
explicitly where Hypothesis is installed.

Every strategy generates only valid values (they pass construction), close
to the edges: small and maximal integers, empty and non-empty byte strings,
both option states, genesis and ordinary certificates.  List sizes are kept
small so that property tests stay fast; the bounds themselves are tested
directly in tests/encoding.
"""

from __future__ import annotations

from hypothesis import strategies as st

from altledger.reference.encoding.bitmap import SignerSet
from altledger.reference.encoding.events import Event
from altledger.reference.encoding.hotstuff import (GENESIS_QC, Block, QuorumCertificate, TimeoutCertificate,
                                                   TimeoutVote, Vote)
from altledger.reference.encoding.primitives import ZERO_HASH
from altledger.reference.encoding.transactions import MAX_USER_DATA, Transaction
from altledger.reference.encoding.twopc import (MAX_LEGS, U128_MAX, Ack, CommitDecisionRecord, CrossAgentTx,
                                                Decision, EndRecord, Leg, LegKind, Outcome, OutcomeRecord,
                                                Prepare, PreparedRecord, Query, VoteMsg, VoteReason, VoteValue)

# -- primitives ----------------------------------------------------------------


def uint(bits: int, min_value: int = 0) -> st.SearchStrategy[int]:
    """Integers of a width, biased to both ends (where off-by-one bugs live)."""
    top = (1 << bits) - 1
    return st.one_of(st.integers(min_value, min(min_value + 3, top)), st.integers(max(top - 3, min_value), top),
                     st.integers(min_value, top))


def fixed_bytes(size: int) -> st.SearchStrategy[bytes]:
    return st.binary(min_size=size, max_size=size)


hashes = fixed_bytes(32)
nonzero_hashes = hashes.filter(lambda h: h != ZERO_HASH)
agent_ids = fixed_bytes(32)
ed25519_public_keys = fixed_bytes(32)
ed25519_signatures = fixed_bytes(64)
bls_signatures = fixed_bytes(96)
user_data = st.one_of(st.binary(max_size=8), st.binary(min_size=MAX_USER_DATA - 1, max_size=MAX_USER_DATA))


@st.composite
def signer_sets(draw, min_validators: int = 1, max_validators: int = 70) -> SignerSet:
    """A non-empty signer set (the empty one belongs to the genesis QC only)."""
    # The largest validator set (8 KiB bitmap) now and then: its decoding is the slow case.
    count = 65535 if draw(st.integers(0, 9)) == 0 else draw(st.integers(min_validators, max_validators))
    first = draw(st.integers(0, count - 1))
    others = draw(st.lists(st.integers(0, count - 1), max_size=12))
    return SignerSet.of(count, [first, *others])


# -- transactions and events -------------------------------------------------------


@st.composite
def transactions(draw) -> Transaction:
    source = draw(agent_ids)
    target = draw(agent_ids.filter(lambda a: a != source))
    return Transaction(source, target, draw(uint(128, 1)), draw(uint(64, 1)), draw(user_data))


@st.composite
def events(draw, max_transactions: int = 3) -> Event:
    self_parent = draw(st.none() | hashes)
    other_parent = draw(st.none() | hashes.filter(lambda h: h != self_parent))
    return Event(draw(ed25519_public_keys), self_parent, other_parent, draw(uint(64)), draw(uint(32)),
                 tuple(draw(st.lists(transactions(), max_size=max_transactions))), draw(ed25519_signatures))


# -- HotStuff ------------------------------------------------------------------------


@st.composite
def quorum_certificates(draw, max_view: int = (1 << 64) - 1) -> QuorumCertificate:
    """The genesis QC or an ordinary one with view in 1..max_view."""
    if max_view < 1 or draw(st.integers(0, 4)) == 0:
        return GENESIS_QC
    view = draw(st.integers(1, max_view) | st.just(max_view))
    return QuorumCertificate(draw(nonzero_hashes), view, draw(signer_sets()), draw(bls_signatures))


@st.composite
def blocks(draw, max_transactions: int = 3) -> Block:
    view = draw(uint(64, 1))
    height = draw(uint(64, 1))
    parent = ZERO_HASH if height == 1 else draw(nonzero_hashes)
    return Block(parent, view, height, draw(uint(32)), draw(quorum_certificates(max_view=view - 1)),
                 tuple(draw(st.lists(transactions(), max_size=max_transactions))))


@st.composite
def votes(draw) -> Vote:
    return Vote(draw(nonzero_hashes), draw(uint(64, 1)), draw(uint(32)), draw(ed25519_signatures),
                draw(bls_signatures))


@st.composite
def timeout_votes(draw) -> TimeoutVote:
    view = draw(uint(64, 1))
    return TimeoutVote(view, draw(uint(32)), draw(quorum_certificates(max_view=view - 1)),
                       draw(ed25519_signatures), draw(bls_signatures))


@st.composite
def timeout_certificates(draw) -> TimeoutCertificate:
    view = draw(uint(64, 1))
    return TimeoutCertificate(view, draw(signer_sets()), draw(bls_signatures),
                              draw(quorum_certificates(max_view=view - 1)))


# -- two-phase commit ----------------------------------------------------------------


@st.composite
def split_amount(draw, total: int, parts: int) -> list[int]:
    """``parts`` amounts, each at least 1, summing to ``total`` (needs ``total >= parts``)."""
    if parts == 1:
        return [total]
    cuts = sorted(draw(st.lists(st.integers(1, total - 1), min_size=parts - 1, max_size=parts - 1,
                                unique=True)))
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(parts)]


@st.composite
def cross_agent_txs(draw, max_legs: int = 6) -> CrossAgentTx:
    """A balanced transaction: debits and credits split one total among distinct agents."""
    count = draw(st.integers(2, min(max_legs, MAX_LEGS)))
    agents = sorted(draw(st.lists(agent_ids, min_size=count, max_size=count, unique=True)))
    debit_count = draw(st.integers(1, count - 1))
    is_debit = draw(st.permutations([True] * debit_count + [False] * (count - debit_count)))
    total = draw(st.integers(max(debit_count, count - debit_count), U128_MAX)
                 | st.just(U128_MAX) | st.just(max(debit_count, count - debit_count)))
    debit_amounts = iter(draw(split_amount(total, debit_count)))
    credit_amounts = iter(draw(split_amount(total, count - debit_count)))
    legs = []
    for agent, debit in zip(agents, is_debit):
        if debit:
            legs.append(Leg(agent, LegKind.DEBIT, next(debit_amounts), draw(uint(64, 1))))
        else:
            legs.append(Leg(agent, LegKind.CREDIT, next(credit_amounts), 0))
    return CrossAgentTx(tuple(legs), draw(user_data))


@st.composite
def vote_msgs(draw) -> VoteMsg:
    vote = draw(st.sampled_from(VoteValue))
    reasons = [VoteReason.NONE] if vote is VoteValue.YES else [r for r in VoteReason if r is not VoteReason.NONE]
    return VoteMsg(draw(hashes), draw(uint(32)), vote, draw(st.sampled_from(reasons)))


@st.composite
def commit_decision_records(draw) -> CommitDecisionRecord:
    shards = draw(st.lists(uint(32), min_size=1, max_size=MAX_LEGS, unique=True))
    return CommitDecisionRecord(draw(hashes), tuple(sorted(shards)))


outcomes = st.sampled_from(Outcome)

# One strategy per value type, keyed by the type (a test checks none is missing).
STRATEGIES = {
    Transaction: transactions(),
    Event: events(),
    Block: blocks(),
    Vote: votes(),
    QuorumCertificate: quorum_certificates(),
    TimeoutVote: timeout_votes(),
    TimeoutCertificate: timeout_certificates(),
    Leg: cross_agent_txs().flatmap(lambda tx: st.sampled_from(tx.legs)),
    CrossAgentTx: cross_agent_txs(),
    Prepare: st.builds(Prepare, cross_agent_txs()),
    VoteMsg: vote_msgs(),
    Decision: st.builds(Decision, hashes, outcomes),
    Ack: st.builds(Ack, hashes, uint(32)),
    Query: st.builds(Query, hashes, uint(32)),
    PreparedRecord: st.builds(PreparedRecord, cross_agent_txs()),
    OutcomeRecord: st.builds(OutcomeRecord, hashes, outcomes),
    CommitDecisionRecord: commit_decision_records(),
    EndRecord: st.builds(EndRecord, hashes),
}

values = st.one_of(*STRATEGIES.values())
"""Any value of any type."""

"""Value construction, identifiers, helpers and the tag registry (spec/encoding.md §E.2–§E.6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from altledger.reference.encoding import (GENESIS_QC, VALUE_TYPES, Block, CommitDecisionRecord, CrossAgentTx, Event,
                                          InvalidValueError, Leg, LegKind, Outcome, OutcomeRecord,
                                          QuorumCertificate, SignerSet, TimeoutCertificate, TimeoutVote,
                                          Transaction, Value, Vote, VoteMsg, VoteReason, VoteValue, agent_id,
                                          qc_message, shard_of_agent, timeout_message, value_from_json)
from altledger.reference.encoding.strategies import cross_agent_txs
from altledger.reference.encoding.values import wire
from altledger.reference.encoding.primitives import U8
from altledger.reference.errors import InputFileError
from altledger.reference.hashing import (TAG_BLOCK, TAG_EVENT, TAG_TIMEOUT, TAG_TRANSACTION, TAG_TWOPC, TAG_VOTE,
                                         blake2b_256, shard_of, tagged_hash)

A, B, C = agent_id("alice.cns"), agent_id("bob.cns"), agent_id("carol.cns")
H1 = bytes([1]) * 32


# -- agents and shards (§E.2.4) --------------------------------------------------------------------

def test_agent_id_is_blake2b_of_the_normalised_name():
    assert agent_id("alice.cns") == blake2b_256(b"alice.cns")
    assert agent_id("Alice.CNS") == agent_id("alice.cns")
    # NFC: "é" precomposed and decomposed are one agent.
    assert agent_id("caf\u00e9.cns") == agent_id("cafe\u0301.cns")


@given(st.text(max_size=20), st.integers(1, 1 << 32))
def test_shard_of_agent_agrees_with_hashing_shard_of(name, shard_count):
    assert shard_of_agent(agent_id(name), shard_count) == shard_of(name, shard_count)
    assert shard_of(name, shard_count) == int.from_bytes(agent_id(name), "big") % shard_count


def test_spec_example_shards():
    assert [shard_of_agent(a, 4) for a in (A, B, C)] == [3, 2, 3]


@pytest.mark.parametrize("count", [0, -1, (1 << 32) + 1, True])
def test_shard_count_out_of_range(count):
    with pytest.raises(ValueError):
        shard_of_agent(A, count)


# -- construction rejects invalid values ----------------------------------------------------------------

@pytest.mark.parametrize("build, field", [
    (lambda: Transaction(A, A, 1, 1, b""), "target"),
    (lambda: Transaction(A, B, 0, 1, b""), "amount"),
    (lambda: Transaction(A, B, 1 << 128, 1, b""), "amount"),
    (lambda: Transaction(A, B, -1, 1, b""), "amount"),
    (lambda: Transaction(A, B, True, 1, b""), "amount"),
    (lambda: Transaction(A, B, 1, 0, b""), "nonce"),
    (lambda: Transaction(A[:31], B, 1, 1, b""), "source"),
    (lambda: Transaction(bytearray(A), B, 1, 1, b""), "source"),
    (lambda: Transaction(A, B, 1, 1, bytes(1025)), "user_data"),
    (lambda: Transaction(A, B, 1, 1, "text"), "user_data"),
    (lambda: Event(bytes(32), H1, H1, 0, 0, (), bytes(64)), "other_parent"),
    (lambda: Event(bytes(32), None, None, 0, 0, (Leg(A, 1, 1, 1),), bytes(64)), "transactions"),
    (lambda: Leg(A, 2, 1, 0), "kind"),
    (lambda: Leg(A, LegKind.CREDIT, 1, 1), "nonce"),
    (lambda: CrossAgentTx((Leg(A, 1, 1, 1),), b""), "legs"),
    (lambda: CrossAgentTx((Leg(B, 1, 1, 1), Leg(A, 0, 1, 0)), b""), "legs[1].agent"),
    (lambda: VoteMsg(H1, 0, VoteValue.NO, VoteReason.NONE), "reason"),
    (lambda: OutcomeRecord(H1, 2), "outcome"),
    (lambda: CommitDecisionRecord(H1, ()), "participants"),
    (lambda: CommitDecisionRecord(H1, (2, 1)), "participants[1]"),
    (lambda: QuorumCertificate(H1, 1, SignerSet(0, ()), bytes(96)), "signers"),
    (lambda: TimeoutCertificate(1, SignerSet(0, ()), bytes(96), GENESIS_QC), "signers"),
    (lambda: Block(H1, 1, 2, 0, QuorumCertificate(H1, 1, SignerSet.of(1, [0]), bytes(96)), ()), "justify.view"),
])
def test_constructor_rejects(build, field):
    with pytest.raises(InvalidValueError) as caught:
        build()
    assert caught.value.field == field


@pytest.mark.parametrize("count, members, field", [
    (3, (), "members"), (3, (3,), "members[0]"), (3, (1, 1), "members[1]"), (3, (2, 1), "members[1]"),
    (65536, (0,), "validator_count"), (-1, (), "validator_count"), (3, (True,), "members"),
])
def test_signer_set_rejects(count, members, field):
    with pytest.raises(InvalidValueError) as caught:
        SignerSet(count, members)
    assert caught.value.field == field


def test_constructors_normalise_lists_and_enum_ints():
    tx = CrossAgentTx([Leg(A, 1, 5, 1), Leg(C, 0, 5, 0)], b"")
    assert isinstance(tx.legs, tuple) and tx.legs[0].kind is LegKind.DEBIT
    assert VoteMsg(H1, 0, 1, 0).vote is VoteValue.YES
    assert SignerSet.of(8, [5, 1, 5]).members == (1, 5)


# -- identifiers and signed bytes (§E.2.2, §E.2.5) -------------------------------------------------------

def test_identifiers_are_tagged_hashes_of_the_encoding():
    tx = Transaction(A, B, 1, 1, b"")
    assert tx.txid() == tagged_hash(TAG_TRANSACTION, tx.encode())
    event = Event(bytes(32), None, None, 0, 0, (tx,), bytes(64))
    assert event.hash() == tagged_hash(TAG_EVENT, event.encode())
    block = Block(bytes(32), 1, 1, 0, GENESIS_QC, (tx,))
    assert block.hash() == tagged_hash(TAG_BLOCK, block.encode())
    vote = Vote(H1, 1, 0, bytes(64), bytes(96))
    assert vote.id() == tagged_hash(TAG_VOTE, vote.encode())
    timeout = TimeoutVote(1, 0, GENESIS_QC, bytes(64), bytes(96))
    assert timeout.id() == tagged_hash(TAG_TIMEOUT, timeout.encode())
    xtx = CrossAgentTx((Leg(A, 1, 5, 1), Leg(C, 0, 5, 0)), b"")
    assert xtx.txid() == tagged_hash(TAG_TWOPC, xtx.encode())


def test_signing_bytes():
    event = Event(bytes(32), None, H1, 5, 2, (), bytes([7]) * 64)
    assert event.signing_bytes() == event.encode()[:-64]
    vote = Vote(H1, 9, 4, bytes([7]) * 64, bytes([8]) * 96)
    assert vote.signing_bytes() == vote.encode()[:45]
    assert vote.bls_message() == qc_message(H1, 9) == bytes([0x05]) + H1 + (9).to_bytes(8, "big")
    timeout = TimeoutVote(3, 4, GENESIS_QC, bytes([7]) * 64, bytes([8]) * 96)
    assert timeout.signing_bytes() == timeout.encode()[:-160]
    assert timeout.bls_message() == timeout_message(3) == bytes([0x07]) + (3).to_bytes(8, "big")
    qc = QuorumCertificate(H1, 9, SignerSet.of(4, [0, 1, 2]), bytes(96))
    assert qc.signing_message() == vote.bls_message()
    tc = TimeoutCertificate(3, SignerSet.of(4, [0, 1, 2]), bytes(96), GENESIS_QC)
    assert tc.signing_message() == timeout.bls_message()


def test_signed_messages_start_with_distinct_tags():
    firsts = [Event(bytes(32), None, None, 0, 0, (), bytes(64)).signing_bytes()[0],
              Vote(H1, 1, 0, bytes(64), bytes(96)).signing_bytes()[0],
              TimeoutVote(1, 0, GENESIS_QC, bytes(64), bytes(96)).signing_bytes()[0],
              qc_message(H1, 1)[0], timeout_message(1)[0]]
    assert len(set(firsts)) == len(firsts)


# -- two-phase commit helpers ------------------------------------------------------------------------------

@given(cross_agent_txs(max_legs=16), st.integers(1, 64))
def test_cross_agent_tx_helpers(tx, shard_count):
    assert tx.agents() == tuple(sorted(tx.agents()))
    assert set(tx.debits()) | set(tx.credits()) == set(tx.legs)
    assert sum(leg.amount for leg in tx.debits()) == sum(leg.amount for leg in tx.credits())
    shards = tx.participants(shard_count)
    assert list(shards) == sorted(set(shards))
    assert sum(len(tx.legs_on_shard(s, shard_count)) for s in shards) == len(tx.legs)
    assert all(tx.legs_on_shard(s, shard_count) for s in shards)
    coordinator = tx.coordinator(shard_count)
    assert coordinator in shards
    assert coordinator == shard_of_agent(tx.debits()[0].agent, shard_count)


def test_coordinator_is_first_debit_in_canonical_order():
    legs = sorted([Leg(A, 0, 7, 0), Leg(B, 1, 3, 2), Leg(C, 1, 4, 5)], key=lambda leg: leg.agent)
    tx = CrossAgentTx(tuple(legs), b"")
    # Sorted: A (2a..., credit), C (51..., debit), B (a1..., debit): C is the first debit.
    assert [leg.agent for leg in tx.debits()] == [C, B]
    for k in (1, 2, 3, 4, 7, 1 << 32):
        assert tx.coordinator(k) == shard_of_agent(C, k)


# -- registry and JSON form ----------------------------------------------------------------------------------

def test_tags_are_unique_bytes_and_registered_once():
    assert len(set(VALUE_TYPES)) == len(VALUE_TYPES) == 18
    assert all(0 < tag <= 0xFF and cls.TAG == tag for tag, cls in VALUE_TYPES.items())


def test_a_second_type_with_a_used_tag_is_refused():
    with pytest.raises(ValueError, match="already used by Transaction"):
        @dataclass(frozen=True)
        class Impostor(Value):
            TAG: ClassVar[int] = 0x01
            x: int = wire(U8)
    assert VALUE_TYPES[0x01] is Transaction


@pytest.mark.parametrize("data, item", [
    ({"type": "Nope"}, "value"),
    ({"type": "Transaction"}, "value"),
    ([1, 2], "value"),
    ({"type": "OutcomeRecord", "txid": "00" * 32, "outcome": "MAYBE"}, "value"),
    ({"type": "OutcomeRecord", "txid": "0x" + "00" * 31, "outcome": "COMMIT"}, "value"),
    ({"type": "Transaction", "source": A.hex(), "target": A.hex(), "amount": "1", "nonce": "1",
      "user_data": ""}, "Transaction.target"),
    ({"type": "Transaction", "source": A.hex(), "target": B.hex(), "amount": 1, "nonce": "1",
      "user_data": ""}, "value"),
])
def test_json_form_errors_are_input_file_errors(data, item):
    with pytest.raises(InputFileError) as caught:
        value_from_json(data, "vectors.json")
    assert caught.value.item == item and caught.value.location == "vectors.json"


def test_outcome_record_json():
    record = OutcomeRecord(H1, Outcome.COMMIT)
    assert value_from_json({"type": "OutcomeRecord", "txid": H1.hex(), "outcome": "COMMIT"}) == record


# -- sizes (§E.1.11) ---------------------------------------------------------------------------------------------

def test_maximal_values_reach_the_stated_maximum():
    big_tx = Transaction(A, B, (1 << 128) - 1, (1 << 64) - 1, bytes(1024))
    assert len(big_tx.encode()) == Transaction.size_range()[1]
    full = SignerSet(65535, tuple(range(65535)))
    qc = QuorumCertificate(H1, 1, full, bytes(96))
    assert len(qc.encode()) == QuorumCertificate.size_range()[1]
    assert len(GENESIS_QC.encode()) == QuorumCertificate.size_range()[0]
    legs = tuple(Leg(bytes([i]) * 32, LegKind.DEBIT if i == 0 else LegKind.CREDIT, 15 if i == 0 else 1,
                     1 if i == 0 else 0) for i in range(16))
    xtx = CrossAgentTx(legs, bytes(1024))
    assert len(xtx.encode()) == CrossAgentTx.size_range()[1]

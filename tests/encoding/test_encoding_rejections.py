"""One test per rejection class of spec/encoding.md §E.1.8, each naming type, field and offset (§E.1.9)."""

from __future__ import annotations

import pytest
from encoding_forge import forge, forge_signers, forged_bytes, replace

from altledger.reference.encoding import (G2_INFINITY, GENESIS_QC, MAX_BLOCK_TRANSACTIONS, MAX_EVENT_TRANSACTIONS,
                                          ZERO_HASH, Block, CommitDecisionRecord, CrossAgentTx, Decision, Event,
                                          Leg, LegKind, OutcomeRecord, QuorumCertificate, SignerSet,
                                          TimeoutCertificate, TimeoutVote, Transaction, Vote, VoteMsg, agent_id,
                                          decode)
from altledger.reference.errors import DecodeError

A, B, C = agent_id("alice.cns"), agent_id("bob.cns"), agent_id("carol.cns")
H1, H2 = bytes([1]) * 32, bytes([2]) * 32
TX = Transaction(A, B, 5, 1, b"")
QC = QuorumCertificate(H1, 4, SignerSet.of(10, [1, 2, 3]), bytes(96))
QC_SIZE = 1 + 32 + 8 + 2 + 2 + 96  # 141: N = 10 needs two bitmap bytes
EVENT = Event(bytes(32), H1, H2, 7, 0, (), bytes(64))
BLOCK = Block(H1, 5, 2, 0, QC, ())
SORTED = sorted([A, B, C])
XTX = CrossAgentTx((Leg(SORTED[0], LegKind.DEBIT, 10, 1), Leg(SORTED[1], LegKind.CREDIT, 4, 0),
                    Leg(SORTED[2], LegKind.CREDIT, 6, 0)), b"")
LEG = 58  # bytes per leg


def rejected(data: bytes, decoder=decode) -> DecodeError:
    with pytest.raises(DecodeError) as caught:
        decoder(data)
    return caught.value


def assert_rejected(data: bytes, type_name: str, field: str, offset: int, reason: str, decoder=decode) -> None:
    error = rejected(data, decoder)
    assert (error.type_name, error.field, error.offset) == (type_name, field, offset), str(error)
    assert reason in error.reason, str(error)


# -- 1. truncated ----------------------------------------------------------------------------

def test_empty_input():
    assert_rejected(b"", "Value", "tag", 0, "truncated")
    assert_rejected(b"", "Transaction", "tag", 0, "truncated", Transaction.decode)


@pytest.mark.parametrize("end, field, offset", [
    (1, "source", 1), (20, "source", 1), (33, "target", 33), (40, "target", 33), (70, "amount", 65), (88, "nonce", 81),
    (89, "user_data", 89), (90, "user_data", 89)])
def test_truncated_transaction(end, field, offset):
    assert_rejected(TX.encode()[:end], "Transaction", field, offset, "truncated")


def test_truncated_inside_declared_length():
    data = Transaction(A, B, 5, 1, b"hello").encode()
    assert_rejected(data[:-1], "Transaction", "user_data", 91, "needs 5 byte(s), 4 left")


def test_truncated_nested_value_names_the_nested_field():
    data = BLOCK.encode()
    # Cut inside justify.signers' bitmap: the signer count is at 53 + 41 = 94, the bitmap at 96.
    assert_rejected(data[:97], "Block", "justify.signers", 96, "truncated")


# -- 2. trailing bytes ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", [TX, EVENT, BLOCK, GENESIS_QC, XTX], ids=lambda v: type(v).__name__)
def test_trailing_bytes(value):
    data = value.encode()
    assert_rejected(data + b"\x00", type(value).__name__, "end", len(data), "1 trailing byte")


# -- 3. tags -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("tag", [0x00, 0x08, 0x16, 0x1C, 0x20, 0xFF])
def test_unknown_tag(tag):
    assert_rejected(bytes([tag]) + TX.encode()[1:], "Value", "tag", 0, f"unknown type tag 0x{tag:02x}")


def test_per_type_decoder_rejects_another_type():
    assert_rejected(BLOCK.encode(), "Transaction", "tag", 0, "expected tag 0x01 (Transaction), got 0x03 (Block)",
                    Transaction.decode)


def test_nested_value_with_the_wrong_tag():
    data = bytearray(BLOCK.encode())
    data[53] = 0x01  # justify carries Transaction's tag
    assert_rejected(bytes(data), "Block", "justify.tag", 53, "expected tag 0x05 (QuorumCertificate)")


def test_list_item_with_the_wrong_tag():
    data = bytearray(Event(bytes(32), None, None, 0, 0, (TX,), bytes(64)).encode())
    item = 1 + 32 + 1 + 1 + 8 + 4 + 2
    data[item] = 0x05
    assert_rejected(bytes(data), "Event", "transactions[0].tag", item, "expected tag 0x01 (Transaction)")


# -- 4. length and count prefixes ------------------------------------------------------------------

def test_user_data_length_above_maximum():
    data = TX.encode()[:89] + (1025).to_bytes(2, "big") + bytes(1025)
    assert_rejected(data, "Transaction", "user_data", 89, "length prefix 1025 exceeds the maximum of 1024")


def test_user_data_at_maximum_is_accepted():
    tx = Transaction(A, B, 5, 1, bytes(1024))
    assert decode(tx.encode()) == tx


def test_event_transaction_count_bounds():
    at_bound = Event(bytes(32), None, None, 0, 0, (TX,) * MAX_EVENT_TRANSACTIONS, bytes(64))
    assert decode(at_bound.encode()) == at_bound
    count_at = 1 + 32 + 1 + 1 + 8 + 4
    data = bytearray(at_bound.encode())
    data[count_at:count_at + 2] = (MAX_EVENT_TRANSACTIONS + 1).to_bytes(2, "big")
    assert_rejected(bytes(data), "Event", "transactions", count_at, "count 1025 out of range 0..1024")


def test_block_payload_count_bounds():
    at_bound = Block(H1, 5, 2, 0, QC, (TX,) * MAX_BLOCK_TRANSACTIONS)
    assert decode(at_bound.encode()) == at_bound
    count_at = 53 + QC_SIZE
    data = bytearray(BLOCK.encode())
    data[count_at:count_at + 4] = (MAX_BLOCK_TRANSACTIONS + 1).to_bytes(4, "big")
    assert_rejected(bytes(data), "Block", "payload", count_at, "count 4097 out of range 0..4096")


@pytest.mark.parametrize("count", [0, 1, 17, 255])
def test_leg_count_out_of_range(count):
    data = bytes([0x10, count]) + b"".join(leg.encode() for leg in XTX.legs) + b"\x00\x00"
    assert_rejected(data, "CrossAgentTx", "legs", 1, f"count {count} out of range 2..16")


@pytest.mark.parametrize("count", [0, 17])
def test_participant_count_out_of_range(count):
    data = bytes([0x1A]) + H1 + bytes([count]) + b"".join(i.to_bytes(4, "big") for i in range(count))
    assert_rejected(data, "CommitDecisionRecord", "participants", 33, f"count {count} out of range 1..16")


def test_count_larger_than_the_input_is_truncation_not_allocation():
    data = bytes([0x03]) + BLOCK.encode()[1:53 + QC_SIZE] + (4096).to_bytes(4, "big")
    assert_rejected(data, "Block", "payload[0].tag", 53 + QC_SIZE + 4, "truncated")


# -- 5. options ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("flag", [0x02, 0x80, 0xFF])
def test_non_canonical_option_flag(flag):
    data = bytearray(EVENT.encode())
    data[33] = flag
    assert_rejected(bytes(data), "Event", "self_parent", 33, f"non-canonical option flag 0x{flag:02x}")


def test_second_option_flag_offset():
    data = bytearray(EVENT.encode())
    data[66] = 0x07
    assert_rejected(bytes(data), "Event", "other_parent", 66, "non-canonical option flag 0x07")


# -- 6. enumerations -----------------------------------------------------------------------------------

def test_bad_leg_kind():
    data = bytearray(XTX.encode())
    data[2 + 33] = 2
    assert_rejected(bytes(data), "CrossAgentTx", "legs[0].kind", 35, "0x02 is not a value of LegKind")


@pytest.mark.parametrize("offset, field, byte, enum", [
    (37, "vote", 2, "VoteValue"), (38, "reason", 5, "VoteReason")])
def test_bad_vote_enums(offset, field, byte, enum):
    data = bytearray(VoteMsg(H1, 3, 1, 0).encode())
    data[offset] = byte
    assert_rejected(bytes(data), "VoteMsg", field, offset, f"is not a value of {enum}")


@pytest.mark.parametrize("cls", [Decision, OutcomeRecord], ids=lambda c: c.__name__)
def test_bad_outcome(cls):
    data = bytearray(cls(H1, 1).encode())
    data[33] = 0xFF
    assert_rejected(bytes(data), cls.__name__, "outcome", 33, "0xff is not a value of Outcome")


# -- 7. sets ---------------------------------------------------------------------------------------------

def test_unsorted_legs():
    legs = (XTX.legs[1], XTX.legs[0], XTX.legs[2])
    data = forged_bytes(CrossAgentTx, legs=legs, user_data=b"")
    assert_rejected(data, "CrossAgentTx", "legs[1].agent", 2 + LEG + 1, "strictly ascending by agent")


def test_duplicate_leg_agent():
    legs = (XTX.legs[0], Leg(SORTED[0], LegKind.CREDIT, 10, 0))
    data = forged_bytes(CrossAgentTx, legs=legs, user_data=b"")
    assert_rejected(data, "CrossAgentTx", "legs[1].agent", 2 + LEG + 1, "strictly ascending by agent")


@pytest.mark.parametrize("participants, index", [((3, 3), 1), ((1, 5, 2), 2), ((9, 1), 1)])
def test_unsorted_or_duplicate_participants(participants, index):
    data = forged_bytes(CommitDecisionRecord, txid=H1, participants=participants)
    assert_rejected(data, "CommitDecisionRecord", f"participants[{index}]", 34 + 4 * index, "strictly ascending")


def test_bitmap_bit_order_is_msb_first():
    qc = QuorumCertificate(H1, 4, SignerSet.of(10, [0, 2, 9]), bytes(96))
    assert qc.encode()[41:45] == bytes.fromhex("000a a040")


@pytest.mark.parametrize("last_byte", [0x41, 0x60, 0x7F])
def test_bitmap_padding_bits(last_byte):
    data = bytearray(QC.encode())  # N = 10: the last 6 bits of byte 44 are padding
    data[44] = last_byte
    assert_rejected(bytes(data), "QuorumCertificate", "signers", 44, "padding bit(s) set")


def test_bitmap_without_signer():
    data = bytearray(QC.encode())
    data[43:45] = b"\x00\x00"
    assert_rejected(bytes(data), "QuorumCertificate", "signers", 41, "no signer")


def test_bitmap_truncated():
    data = QC.encode()[:41] + (65535).to_bytes(2, "big") + b"\xff" * 10
    assert_rejected(data, "QuorumCertificate", "signers", 43, "truncated")


# -- 8. constraints of values ------------------------------------------------------------------------

@pytest.mark.parametrize("changes, field, offset, reason", [
    ({"target": A}, "target", 33, "target must differ from source"),
    ({"amount": 0}, "amount", 65, "amount must be at least 1"),
    ({"nonce": 0}, "nonce", 81, "nonce must be at least 1"),
])
def test_transaction_constraints(changes, field, offset, reason):
    assert_rejected(forged_bytes(Transaction, **replace(TX, **changes)), "Transaction", field, offset, reason)


def test_event_parents_must_differ():
    data = forged_bytes(Event, **replace(EVENT, other_parent=H1))
    assert_rejected(data, "Event", "other_parent", 66, "other_parent equals self_parent")


@pytest.mark.parametrize("changes, field, offset, reason", [
    ({"view": 0}, "view", 33, "view must be at least 1"),
    ({"height": 0}, "height", 41, "height must be at least 1"),
    ({"parent": ZERO_HASH}, "parent", 1, "exactly when height is 1"),
    ({"height": 1}, "parent", 1, "exactly when height is 1"),
    ({"view": 4}, "justify.view", 53 + 33, "justify.view 4 must be below the block's view 4"),
])
def test_block_constraints(changes, field, offset, reason):
    assert_rejected(forged_bytes(Block, **replace(BLOCK, **changes)), "Block", field, offset, reason)


@pytest.mark.parametrize("changes, field, offset, reason", [
    ({"view": 0}, "block", 1, "genesis QC: block must be all zero"),
    ({"block": ZERO_HASH}, "block", 1, "only by the genesis QC"),
    ({"signers": forge_signers(0, ())}, "signers", 41, "only the genesis QC has an empty signer set"),
])
def test_quorum_certificate_constraints(changes, field, offset, reason):
    data = forged_bytes(QuorumCertificate, **replace(QC, **changes))
    assert_rejected(data, "QuorumCertificate", field, offset, reason)


@pytest.mark.parametrize("changes, field, offset, reason", [
    ({"signers": SignerSet.of(4, [0])}, "signers", 41, "genesis QC has no signers"),
    ({"aggregate_signature": bytes(96)}, "aggregate_signature", 43, "point at infinity"),
    ({"aggregate_signature": b"\xc0" + bytes(94) + b"\x01"}, "aggregate_signature", 43, "point at infinity"),
])
def test_genesis_qc_is_one_constant(changes, field, offset, reason):
    data = forged_bytes(QuorumCertificate, **replace(GENESIS_QC, **changes))
    assert_rejected(data, "QuorumCertificate", field, offset, reason)


def test_genesis_qc_bytes():
    assert GENESIS_QC.encode() == bytes([0x05]) + bytes(32) + bytes(8) + bytes(2) + G2_INFINITY
    assert len(GENESIS_QC.encode()) == 139 and G2_INFINITY[0] == 0xC0 and not any(G2_INFINITY[1:])


@pytest.mark.parametrize("changes, field, offset, reason", [
    ({"view": 0}, "view", 33, "view must be at least 1"),
    ({"block": ZERO_HASH}, "block", 1, "genesis block"),
])
def test_vote_constraints(changes, field, offset, reason):
    vote = Vote(H1, 3, 1, bytes(64), bytes(96))
    assert_rejected(forged_bytes(Vote, **replace(vote, **changes)), "Vote", field, offset, reason)


@pytest.mark.parametrize("changes, field, offset, reason", [
    ({"view": 0}, "view", 1, "view must be at least 1"),
    ({"view": 4}, "high_qc.view", 13 + 33, "high_qc.view 4 must be below"),
])
def test_timeout_vote_constraints(changes, field, offset, reason):
    timeout = TimeoutVote(9, 1, QC, bytes(64), bytes(96))
    assert_rejected(forged_bytes(TimeoutVote, **replace(timeout, **changes)), "TimeoutVote", field, offset, reason)


@pytest.mark.parametrize("changes, field, offset, reason", [
    ({"view": 0}, "view", 1, "view must be at least 1"),
    ({"signers": forge_signers(0, ())}, "signers", 9, "at least one signer"),
    ({"view": 3}, "high_qc.view", 9 + 2 + 1 + 96 + 33, "high_qc.view 4 must be below"),
])
def test_timeout_certificate_constraints(changes, field, offset, reason):
    tc = TimeoutCertificate(9, SignerSet.of(5, [0, 1, 2]), bytes(96), QC)
    data = forged_bytes(TimeoutCertificate, **replace(tc, **changes))
    assert_rejected(data, "TimeoutCertificate", field, offset, reason)


@pytest.mark.parametrize("leg, field, offset, reason", [
    ({"amount": 0}, "amount", 34, "amount must be at least 1"),
    ({"nonce": 0}, "nonce", 50, "a debit's nonce"),
    ({"kind": LegKind.CREDIT}, "nonce", 50, "a credit's nonce must be 0"),
])
def test_leg_constraints(leg, field, offset, reason):
    data = forged_bytes(Leg, **replace(XTX.legs[0], **leg))
    assert_rejected(data, "Leg", field, offset, reason)


def test_leg_constraint_inside_a_transaction_names_the_path():
    legs = (forge(Leg, **replace(XTX.legs[0], amount=0)),) + XTX.legs[1:]
    data = forged_bytes(CrossAgentTx, legs=legs, user_data=b"")
    assert_rejected(data, "CrossAgentTx", "legs[0].amount", 2 + 34, "amount must be at least 1")


def test_sum_mismatch():
    legs = (XTX.legs[0], XTX.legs[1], Leg(SORTED[2], LegKind.CREDIT, 7, 0))
    data = forged_bytes(CrossAgentTx, legs=legs, user_data=b"")
    assert_rejected(data, "CrossAgentTx", "legs", 1, "debits sum to 10 but credits sum to 11")


def test_no_debit():
    legs = (Leg(SORTED[0], LegKind.CREDIT, 1, 0), Leg(SORTED[1], LegKind.CREDIT, 1, 0))
    data = forged_bytes(CrossAgentTx, legs=legs, user_data=b"")
    assert_rejected(data, "CrossAgentTx", "legs", 1, "at least one leg must be a debit")


def test_sum_must_fit_in_u128():
    half = 1 << 127
    legs = (Leg(SORTED[0], LegKind.DEBIT, half, 1), Leg(SORTED[1], LegKind.DEBIT, half, 1),
            Leg(SORTED[2], LegKind.CREDIT, (1 << 128) - 1, 0), Leg(bytes([0xFF]) * 32, LegKind.CREDIT, 1, 0))
    data = forged_bytes(CrossAgentTx, legs=legs, user_data=b"")
    assert_rejected(data, "CrossAgentTx", "legs", 1, "does not fit in a u128")


@pytest.mark.parametrize("vote, reason, message", [(1, 1, "a YES vote has reason NONE"),
                                                   (0, 0, "a NO vote names a reason")])
def test_vote_reason_consistency(vote, reason, message):
    assert_rejected(bytes([0x12]) + H1 + bytes([0, 0, 0, 3, vote, reason]), "VoteMsg", "reason", 38, message)


# -- non-bytes input is a caller bug, not a decode error ------------------------------------------------------

def test_decode_rejects_non_bytes_with_type_error():
    with pytest.raises(TypeError):
        decode("01")  # type: ignore[arg-type]
    assert decode(bytearray(TX.encode())) == TX == decode(memoryview(TX.encode()))

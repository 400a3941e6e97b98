"""Batch input in wire form (``fast.twopc.wire``): the compiled check agrees with the reference decoder.

``EncodedBatch`` accepts a buffer only if every transaction in it is a valid
canonical encoding; the verdict comes from compiled code (``_check_tx``),
while the error for a refused transaction comes from the reference decoder.
So the one thing to establish is that the two *verdicts* agree: on
encodings of valid transactions, on those encodings mutated byte by byte,
and on transactions assembled field by field from edge values (zero and
maximal amounts, sums that overflow a u128, kinds beyond the enum, agents out
of order, over-long ``user_data``).  A mutant check that ignores the sums is
caught by the same comparison.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from altledger.fast.twopc import wire
from altledger.fast.twopc.wire import EncodedBatch
from altledger.reference.encoding import CrossAgentTx
from altledger.reference.encoding.strategies import cross_agent_txs
from altledger.reference.errors import DecodeError

EDGE_AMOUNTS = [0, 1, 2, 7, (1 << 60) - 1, 1 << 60, (1 << 64) - 1, 1 << 64, 1 << 127, (1 << 128) - 2, (1 << 128) - 1]
AGENTS = [bytes([b]) * 32 for b in (0, 1, 0x7F, 0x80, 0xFF)] + [bytes(31) + b"\x01", b"\x01" + bytes(31)]


def reference_accepts(data: bytes) -> bool:
    try:
        CrossAgentTx.decode(data)
    except DecodeError:
        return False
    return True


def compiled_accepts(data: bytes, check=None) -> bool:
    """One transaction filling ``data`` exactly, by the compiled check (or ``check``)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    if check is None:
        offsets, invalid = wire._frame(buf)
        return invalid < 0 and len(offsets) == 2
    return len(data) > 0 and check(buf, 0) == len(data)


@st.composite
def assembled(draw) -> bytes:
    """A transaction's bytes built field by field, valid or not (no constructor to refuse it)."""
    legs = draw(st.integers(0, 18))
    out = bytearray([draw(st.sampled_from([0x10, 0x10, 0x10, 0x11])), legs])
    for _ in range(legs):
        kind = draw(st.sampled_from([0, 1, 1, 2]))
        amount = draw(st.sampled_from(EDGE_AMOUNTS) | st.integers(1, 1000))
        nonce = draw(st.sampled_from([0, 0, 1, 5, (1 << 64) - 1]))
        out += bytes([draw(st.sampled_from([0x1F, 0x1F, 0x1F, 0x1E]))]) + draw(st.sampled_from(AGENTS))
        out += bytes([kind]) + (amount % (1 << 128)).to_bytes(16, "big") + nonce.to_bytes(8, "big")
    user = draw(st.sampled_from([0, 3, 1024, 1025]))
    out += user.to_bytes(2, "big") + bytes(user)
    cut = draw(st.sampled_from([0, 0, 0, 1, 5]))            # sometimes truncated
    return bytes(out[:len(out) - cut])


@st.composite
def balanced(draw) -> bytes:
    """Legs whose debits and credits balance, or overflow a u128 together: the sum rules' edges."""
    total = draw(st.sampled_from([3, (1 << 64) + 5, (1 << 128) - 1, 1 << 128, (1 << 129) + 3]))
    debits = draw(st.integers(1, 3))
    credits = draw(st.integers(1, 3))
    agents = sorted(draw(st.lists(st.binary(min_size=32, max_size=32), min_size=debits + credits,
                                  max_size=debits + credits, unique=True)))

    def split(parts: int) -> list[int]:
        cuts = sorted(draw(st.lists(st.integers(0, total), min_size=parts - 1, max_size=parts - 1)))
        return [b - a for a, b in zip([0, *cuts], [*cuts, total])]
    amounts = split(debits) + split(credits)
    kinds = [1] * debits + [0] * credits
    order = draw(st.permutations(range(debits + credits)))
    out = bytearray([0x10, debits + credits])
    for agent, k in zip(agents, order):
        amount = amounts[k] % (1 << 128) + draw(st.sampled_from([0, 0, 0, 1]))
        out += b"\x1f" + agent + bytes([kinds[k]]) + amount.to_bytes(17, "big")[1:]
        out += (1 if kinds[k] else 0).to_bytes(8, "big")
    return bytes(out) + b"\x00\x00"


@st.composite
def mutated(draw) -> bytes:
    """A valid encoding with a few bytes changed, cut off or added."""
    data = bytearray(draw(cross_agent_txs()).encode())
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["set", "set", "cut", "add"]))
        if action == "set" and data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        elif action == "cut" and len(data) > 1:
            del data[draw(st.integers(0, len(data) - 1)):]
        else:
            data += draw(st.binary(min_size=1, max_size=3))
    return bytes(data)


@given(cross_agent_txs())
def test_valid_encodings_are_accepted(tx):
    data = tx.encode()
    assert compiled_accepts(data)
    batch = EncodedBatch(data + data)
    assert len(batch) == 2 and batch.encoding(1) == data and batch[0] == tx and list(batch) == [tx, tx]


@settings(max_examples=400)
@given(st.one_of(assembled(), balanced(), mutated()))
def test_the_compiled_check_and_the_reference_decoder_agree(data):
    assert compiled_accepts(data) == reference_accepts(data)


def test_the_generators_reach_both_verdicts_and_every_sum_rule():
    """The property above is not vacuous: ``balanced`` and ``mutated`` yield valid and invalid
    transactions (``assembled`` yields invalid ones of every kind; its sums rarely balance), and
    ``balanced`` yields sums that fit a u128 and sums that do not."""
    for strategy in (balanced(), mutated()):
        find(strategy, reference_accepts)
    for strategy in (assembled(), balanced(), mutated()):
        find(strategy, lambda data: not reference_accepts(data))
    find(balanced(), lambda data: reference_accepts(data) and int.from_bytes(data[36:52], "big") > 1 << 64)


def test_a_check_that_ignores_the_sums_is_caught(monkeypatch):
    """Mutant: the pure-Python body of ``_check_tx`` with sums that never add up to anything (so
    debits always 'equal' credits); the comparison finds a transaction the two judge differently."""
    monkeypatch.setattr(wire, "_add_u192", lambda top, high, low, add_high, add_low: (top, high, low))
    mutant = wire._check_tx.py_func
    disagreeing = find(balanced(), lambda data: compiled_accepts(data, mutant) != reference_accepts(data))
    assert not reference_accepts(disagreeing)


def test_an_invalid_transaction_is_reported_by_the_reference_decoder_at_its_batch_offset():
    txs = find(st.lists(cross_agent_txs(), min_size=3, max_size=3), lambda txs: True)
    first, second, third = (tx.encode() for tx in txs)
    bad = bytearray(second)
    bad[2 + 33] = 7                                            # the first leg's kind: not a LegKind
    with pytest.raises(DecodeError) as caught:
        EncodedBatch(first + bytes(bad) + third)
    error = caught.value
    assert error.type_name == "CrossAgentTx" and error.field == "legs[0].kind"
    assert error.offset == len(first) + 2 + 33
    assert f"transaction 1 of the batch, from byte {len(first)}" in error.reason
    with pytest.raises(DecodeError, match="truncated"):
        EncodedBatch(first + second[:-1])
    with pytest.raises(TypeError, match="holds bytes, got list"):
        EncodedBatch([first])                                  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="transaction 1 of the batch is a bytes"):
        EncodedBatch.of([txs[0], first])                       # type: ignore[list-item]
    assert len(EncodedBatch(b"")) == 0 and EncodedBatch.of(txs).decoded() == txs

"""Hand-built DAGs whose expected outputs were worked out BY HAND from spec/abft.md.

Each test builds a small DAG event by event and states, in comments, the
reasoning from the spec clauses that gives every expected value.  Nothing
here was obtained by running the implementation.

Notation: ``B2 = (B1, A1)`` is B's event with self-parent B1 and
other-parent A1.  "latest(x)" is, per creator, the latest event among the
ancestors of x (§4.3); x strongly sees y iff the creators whose latest(x)
event has y as an ancestor form a stake supermajority (§4.2 via §4.3; x
itself counts, §12.2).  "Round-r witnesses seen by x" never include x
itself (x's round is what is being decided).
"""

from __future__ import annotations

import pytest
from abft_hand import HandDag

from altledger.reference.abft import hashgraph as hg

ZERO = bytes(64)


def sig(first: int = 0, last: int = 0, middle: int | None = None, fill: int = 0) -> bytes:
    """64 signature bytes: ``fill`` everywhere, then byte 0, byte 32 (the coin byte) and byte 63 set."""
    raw = bytearray([fill] * 64)
    raw[0], raw[32], raw[63] = first, fill if middle is None else middle, last
    return bytes(raw)


# ---------------------------------------------------------------------------------------------
# DAG 1: four equal-stake members gossiping in a ring until rounds 1 and 2 are decided.
#
# S = 4; supermajority = stake >= 3 (3·3 > 8, 3·2 = 6 is not > 8), i.e. 3 of the 4 members.
# Layer 0: A1 B1 C1 D1 (parentless: round 1 witnesses, §5.1/§12.4).
# Layer k: B(k+1) = (Bk, Ak), C(k+1) = (Ck, B(k+1)), D(k+1) = (Dk, C(k+1)), A(k+1) = (Ak, D(k+1)).
#
# Rounds:
#  B2 = (B1,A1): latest A1,B2.  A1 is below {A,B} only (2) -> strongly sees nothing -> round 1.
#  C2 = (C1,B2): latest A1,B2,C2.  A1 below {A,B,C} (3) yes; B1 below {B,C} no; C1 below {C} no.
#                One round-1 witness strongly seen -> round 1.
#  D2 = (D1,C2): A1 below all four; B1 below {B,C,D} yes; C1 {C,D} no; D1 {D} no -> round 1.
#  A2 = (A1,D2): A1 all; B1 {B,C,D,A}; C1 {C,D,A} (A2 itself is an intermediary, §12.2) yes;
#                D1 {D,A} no.  Strongly sees A1,B1,C1 (creators A,B,C: 3) -> round 2, witness.
#                (With strict intermediaries, §12.2's alternative, C1 has only {C,D}: A2 stays round 1.)
#  B3 = (B2,A2): parents' rounds 1,2 -> r = 2.  Round-2 witnesses seen: A2, below {A,B} only -> round 2;
#                its self-parent B2 is round 1 -> witness.
#  C3 = (C2,B3): r = 2; A2 below {A,B,C} yes; B3 below {B,C} no -> round 2, witness.
#  D3 = (D2,C3): A2 yes; B3 below {B,C,D} yes; C3 no -> 2 witnesses -> round 2, witness.
#  A3 = (A2,D3): A2, B3, C3 strongly seen (C3 below C3,D3,A3), D3 not -> round 3, witness.
#  Layer 3 repeats the pattern one round up: B4, C4, D4 round 3 witnesses, A4 round 4 witness.
#
# Fame of round 1 (A1 B1 C1 D1): every round-2 witness has all of layer 0 below it and no fork,
# so it sees (§6.2 d = 1) and votes TRUE for each.  A3 (round 3, d = 2) strongly sees A2, B3, C3:
# yes = 3, no = 0, 3·3 > 2·4 -> A3 decides TRUE (normal round: 2 mod 10 != 0).  Every other
# round-3 witness also sees only TRUE votes, so all round-1 witnesses are famous.
# Fame of round 2 (A2 B3 C3 D3): round-3 witnesses see all of them (TRUE); A4 strongly sees
# A3, B4, C4 -> yes = 3 -> decides TRUE.  Round 3 and 4 witnesses have no later deciders: undecided.
# Last decided round = 2 (§6.5).  UFW(1) = {A1,B1,C1,D1}, UFW(2) = {A2,B3,C3,D3} (§6.6).
#
# Round received (§7.1): no event is below all of A1..D1 (distinct parentless events).
# Below all of A2, B3, C3, D3: A2's ancestors {A1,B1,C1,D1,B2,C2,D2,A2} are below B3, C3, D3
# too (each has A2 below it), so these 8 events have round received 2.  Everything else: null.
#
# Timestamps: creation order 1..16 (A1=1 B1=2 C1=3 D1=4 B2=5 C2=6 D2=7 A2=8 B3=9 C3=10 D3=11 A3=12
# B4=13 C4=14 D4=15 A4=16).  For x, per UFW w of round 2, the earliest self-ancestor of w with x
# below it (§7.2), then the upper median = sorted[4 // 2] = the 3rd smallest:
#   A1: A1(1)  B2(5)  C2(6)  D2(7)   -> [1,5,6,7]    -> 6   (lower median 5, mean 5.5)
#   B1: A2(8)  B1(2)  C2(6)  D2(7)   -> [2,6,7,8]    -> 7
#   C1: A2(8)  B3(9)  C1(3)  D2(7)   -> [3,7,8,9]    -> 8
#   D1: A2(8)  B3(9)  C3(10) D1(4)   -> [4,8,9,10]   -> 9
#   B2: A2(8)  B2(5)  C2(6)  D2(7)   -> [5,6,7,8]    -> 7
#   C2: A2(8)  B3(9)  C2(6)  D2(7)   -> [6,7,8,9]    -> 8
#   D2: A2(8)  B3(9)  C3(10) D2(7)   -> [7,8,9,10]   -> 9
#   A2: A2(8)  B3(9)  C3(10) D3(11)  -> [8,9,10,11]  -> 10
#
# Order (§7.4): A1(6); B1,B2 (7); C1,C2 (8); D1,D2 (9); A2 (10).  Ties broken by the whitened
# signature (§7.3): U = sig(A2) ^ sig(B3) ^ sig(C3) ^ sig(D3) = 80 00..00 (we choose A2 = 80 00..,
# B3 = C3 = D3 = 00..).  sig(B1) = 00.. -> 80 00..; sig(B2) = 80 00.. -> 00..: B2 before B1
# (raw signatures would put B1 first).  sig(C1) = 01 00..00 -> 81 00..; sig(C2) = 00..00 ff ->
# 80 00..ff: read big-endian C2 < C1 (little-endian would put C1 first).  sig(D1) = sig(D2):
# equal whitened signatures -> the smaller event hash (big-endian) first.
# ---------------------------------------------------------------------------------------------


def ring_dag() -> HandDag:
    d = HandDag({"A": 1, "B": 1, "C": 1, "D": 1}, coin_period=10)
    same = sig(first=0x42, fill=0x42)
    d.ev("A1", ts=1, sig=sig(first=0x11, fill=0x11))
    d.ev("B1", ts=2, sig=ZERO)
    d.ev("C1", ts=3, sig=sig(first=0x01))
    d.ev("D1", ts=4, sig=same)
    d.ev("B2", "B1", "A1", ts=5, sig=sig(first=0x80))
    d.ev("C2", "C1", "B2", ts=6, sig=sig(last=0xFF))
    d.ev("D2", "D1", "C2", ts=7, sig=same)
    d.ev("A2", "A1", "D2", ts=8, sig=sig(first=0x80))
    d.ev("B3", "B2", "A2", ts=9, sig=ZERO)
    d.ev("C3", "C2", "B3", ts=10, sig=ZERO)
    d.ev("D3", "D2", "C3", ts=11, sig=ZERO)
    d.ev("A3", "A2", "D3", ts=12)
    d.ev("B4", "B3", "A3", ts=13)
    d.ev("C4", "C3", "B4", ts=14)
    d.ev("D4", "D3", "C4", ts=15)
    d.ev("A4", "A3", "D4", ts=16)
    return d


def test_ring_rounds_and_witnesses():
    d = ring_dag()
    assert not d.strongly_sees("B2", "A1")
    assert d.strongly_sees("C2", "A1") and not d.strongly_sees("C2", "B1")
    assert d.strongly_sees("A2", "C1") and not d.strongly_sees("A2", "D1")
    rounds = {"A1": 1, "B1": 1, "C1": 1, "D1": 1, "B2": 1, "C2": 1, "D2": 1, "A2": 2, "B3": 2, "C3": 2,
              "D3": 2, "A3": 3, "B4": 3, "C4": 3, "D4": 3, "A4": 4}
    assert {x: d.round(x) for x in rounds} == rounds
    assert {x for x in rounds if d.witness(x)} == set(rounds) - {"B2", "C2", "D2"}


def test_ring_fame_decided_by_round_3_and_4():
    d = ring_dag()
    for x in ["A1", "B1", "C1", "D1"]:
        assert d.vote("A2", x) is True                       # d = 1: A2 sees x
        assert d.tally("A3", x) == (True, 3)                 # W = {A2, B3, C3}
        assert d.decision("A3", x) is True
        assert d.fame(x) is True
    for x in ["A2", "B3", "C3", "D3"]:
        assert d.decision("A4", x) is True and d.fame(x) is True
    for x in ["A3", "B4", "C4", "D4", "A4"]:
        assert d.fame(x) is None
    assert hg.last_decided_round(d.g) == 2
    assert d.ufw(1) == {"A1", "B1", "C1", "D1"} and d.ufw(2) == {"A2", "B3", "C3", "D3"}


def test_ring_consensus_output():
    d = ring_dag()
    out = d.output()
    received = {"A1": 6, "B1": 7, "C1": 8, "D1": 9, "B2": 7, "C2": 8, "D2": 9, "A2": 10}
    for x, entry in out["events"].items():
        if x in received:
            assert (entry["round_received"], entry["consensus_timestamp"]) == (2, received[x]), x
        else:
            assert (entry["round_received"], entry["consensus_timestamp"]) == (None, None), x
    assert out["last_decided_round"] == 2
    famous = {x: e["famous"] for x, e in out["events"].items()}
    assert famous == {"A1": True, "B1": True, "C1": True, "D1": True, "B2": None, "C2": None, "D2": None,
                      "A2": True, "B3": True, "C3": True, "D3": True, "A3": None, "B4": None, "C4": None,
                      "D4": None, "A4": None}
    # D1 and D2 have equal whitened signatures: the smaller hash (big-endian) first (§7.4, §12.15).
    d1, d2 = d.h["D1"], d.h["D2"]
    ds = ["D1", "D2"] if int.from_bytes(d1, "big") < int.from_bytes(d2, "big") else ["D2", "D1"]
    assert out["order"] == ["A1", "B2", "B1", "C2", "C1", *ds, "A2"]


# ---------------------------------------------------------------------------------------------
# DAG 2: a tie votes TRUE (§6.2, §12.6), and a coin round (§6.3, §12.7).
#
# Four equal members (S = 4, supermajority = 3 members).  D1 reaches only C and D before the
# round-2 witnesses of A and B are created:
#   A1 B1 C1 D1; B2 = (B1,A1); C2 = (C1,B2); A2 = (A1,C2); B3 = (B2,A2); A3 = (A2,B3);
#   C3 = (C2,D1); C4 = (C3,A3); D2 = (D1,C4); A4 = (A3,D2); B4 = (B3,A4); C5 = (C4,B4);
#   D3 = (D2,C5); A5 = (A4,D3).
# Rounds:
#   B2, C2 round 1 (as in DAG 1).  A2 = (A1,C2): latest A2,B2,C2: A1 below {A,B,C} yes, B1 below
#     {B,C,A} yes, C1 below {C,A} no -> 2 witnesses -> round 1.
#   B3 = (B2,A2): A1, B1, C1 each below A2, B3, C2 -> 3 witnesses -> round 2, witness.
#   A3 = (A2,B3): r = 2 (B3); B3 below {B,A} only -> round 2; A2 is round 1 -> witness.
#   C3 = (C2,D1): latest A1,B2,C3,D1: only A1 strongly seen -> round 1.
#   C4 = (C3,A3): r = 2; B3 below A3,B3,C4 yes; A3 below A3,C4 no -> round 2, witness.
#   D2 = (D1,C4): B3 below all four; A3 below A3,C4,D2 yes; C4 below C4,D2 no -> round 2, witness.
#   A4 = (A3,D2): A3 {A4,C4,D2}, B3 all, C4 {C4,D2,A4} yes; D2 {D2,A4} no -> round 3, witness.
#   B4 = (B3,A4): r = 3; A4 below {A,B} only -> round 3, witness.
#   C5 = (C4,B4): A4 below A4,B4,C5 yes; B4 no -> round 3, witness.
#   D3 = (D2,C5): A4 yes, B4 below B4,C5,D3 yes, C5 no -> round 3, witness.
#   A5 = (A4,D3): A4, B4, C5 strongly seen, D3 not -> round 4, witness.
# Votes about D1 (round 1):
#   d = 1 (round 2): B3, A3 do not have D1 below them -> FALSE; C4 (via C3) and D2 see it -> TRUE.
#     (§12.5: C4 only *sees* D1 — D1 is below C4 and D1 alone — so "strongly sees" voting would say
#     FALSE and there would be no tie.)
#   d = 2 (round 3): A4 strongly sees A3, B3, C4 (not D2): yes 1, no 2 -> FALSE, t = 2, no decision.
#     B4 strongly sees all four round-2 witnesses (D2 is below A4, B4 and D2): yes 2, no 2:
#     a TIE -> TRUE (§12.6), t = 2 (3·2 = 6 is not > 8) -> no decision.
#     C5 and D3 also strongly see all four: ties -> TRUE.
#   d = 3 (round 4): A5 strongly sees A4 (FALSE), B4 (TRUE), C5 (TRUE): yes 2, no 1 -> v = TRUE,
#     t = 2, not a supermajority.  With coin_period = 10 (3 mod 10 != 0) the vote is v = TRUE.
#     With coin_period = 3, d = 3 is a coin round: the vote is A5's coin, the least significant bit
#     of its signature's byte 32 (§6.3), and never a decision.
# ---------------------------------------------------------------------------------------------


def tie_dag(coin_period: int = 10, a5_signature: bytes | None = None) -> HandDag:
    d = HandDag({"A": 1, "B": 1, "C": 1, "D": 1}, coin_period=coin_period)
    for x in ["A1", "B1", "C1", "D1"]:
        d.ev(x)
    for x, sp, op in [("B2", "B1", "A1"), ("C2", "C1", "B2"), ("A2", "A1", "C2"), ("B3", "B2", "A2"),
                      ("A3", "A2", "B3"), ("C3", "C2", "D1"), ("C4", "C3", "A3"), ("D2", "D1", "C4"),
                      ("A4", "A3", "D2"), ("B4", "B3", "A4"), ("C5", "C4", "B4"), ("D3", "D2", "C5")]:
        d.ev(x, sp, op)
    d.ev("A5", "A4", "D3", sig=a5_signature)
    return d


def test_tie_dag_rounds():
    d = tie_dag()
    rounds = {"A1": 1, "B1": 1, "C1": 1, "D1": 1, "B2": 1, "C2": 1, "A2": 1, "B3": 2, "A3": 2, "C3": 1,
              "C4": 2, "D2": 2, "A4": 3, "B4": 3, "C5": 3, "D3": 3, "A5": 4}
    assert {x: d.round(x) for x in rounds} == rounds
    assert {x for x in rounds if d.witness(x)} == {"A1", "B1", "C1", "D1", "B3", "A3", "C4", "D2", "A4",
                                                   "B4", "C5", "D3", "A5"}


def test_a_tie_votes_true():
    d = tie_dag()
    assert [d.vote(w, "D1") for w in ["B3", "A3", "C4", "D2"]] == [False, False, True, True]
    assert d.sees("C4", "D1") and not d.strongly_sees("C4", "D1")      # §12.5: sees is enough
    assert d.tally("A4", "D1") == (False, 2) and d.vote("A4", "D1") is False
    assert d.tally("B4", "D1") == (True, 2)                             # yes = no = 2
    assert d.vote("B4", "D1") is True and d.decision("B4", "D1") is None
    assert d.vote("C5", "D1") is True and d.vote("D3", "D1") is True


@pytest.mark.parametrize("coin_byte, expected", [(0x01, True), (0x00, False), (0x80, False), (0xFF, True)])
def test_coin_round_vote_is_the_coin(coin_byte, expected):
    # coin_period = 3: A5 votes about D1 at d = 3 without a supermajority -> its coin.  0x80 has the
    # most significant bit set and the least clear: the coin is the LEAST significant bit (§12.7).
    # The neighbouring bytes 31 and 33 get the opposite least significant bit.
    signature = sig(first=0xAA, middle=coin_byte, last=0x55, fill=0x00 if coin_byte & 1 else 0x01)
    d = tie_dag(coin_period=3, a5_signature=signature)
    assert signature[32] == coin_byte and (signature[31] & 1) != (coin_byte & 1)
    assert d.tally("A5", "D1") == (True, 2)
    assert d.vote("A5", "D1") is expected
    assert d.decision("A5", "D1") is None
    # The same DAG with coin_period 10: d = 3 is a normal round; the vote is the majority, TRUE.
    d10 = tie_dag(coin_period=10, a5_signature=signature)
    assert d10.vote("A5", "D1") is True and d10.decision("A5", "D1") is None


# ---------------------------------------------------------------------------------------------
# DAG 3: unequal stakes, where counting members gives another answer (§1.3, §12.3); the upper
# median of two timestamps (§7.2, §12.14).
#
# Stakes A = 1, B = 1, C = 2: S = 4, supermajority = stake >= 3 (so C with A or B suffices;
# a member count would need all 3 of 3 members, "> 2n/3" = "> 2").  B is silent after B1.
#   A1 (ts 1), B1 (2), C1 (3); C2 = (C1,A1) 4; A2 = (A1,C2) 5; C3 = (C2,A2) 6; A3 = (A2,C3) 7;
#   C4 = (C3,A3) 8; A4 = (A3,C4) 9.
# Rounds:
#   C2: A1 below {A (A1), C (C2)} = stake 3 -> strongly seen; C1 below {C} = 2 -> not -> round 1.
#   A2: A1 below {A,C} = 3 yes; C1 below {C (C2), A (A2)} = 3 yes -> creators A, C = 3 -> ROUND 2.
#       Counting members: A1 is below 2 of 3 members (not > 2) -> A2 would stay in round 1.
#   C3 = (C2,A2): r = 2; A2 below {A,C} = 3 -> strongly seen, but creator A alone = 1 -> round 2,
#       witness.  A3 = (A2,C3): A2 and C3 strongly seen -> round 3, witness.
#   C4: round 3 witness; A4: round 4 witness (same pattern).
# Fame: round-2 witnesses A2, C3 see A1, C1 (TRUE) and not B1 (FALSE).  A3 strongly sees A2, C3:
#   yes (A1) = stake 3 > 8/3 -> decides A1, C1 famous; B1: no = 3 -> decided NOT famous.
#   (A member count would ask for > 2 of 3 voters; only 2 vote -> no decision.)
#   Round 2: A3, C4 see A2, C3 -> TRUE; A4 strongly sees A3, C4 -> decides both famous.
# UFW(1) = {A1, C1}: nothing is below both.  UFW(2) = {A2, C3}: below both are A1, C1, C2, A2.
# Timestamps (2 UFW: upper median = sorted[1], the larger):
#   A1: A2-chain -> A1 (1); C3-chain -> C2 (4)   -> [1,4] -> 4   (lower median 1, mean 2.5)
#   C1: A2 (5); C1 (3)                           -> [3,5] -> 5
#   C2: A2 (5); C2 (4)                           -> [4,5] -> 5
#   A2: A2 (5); C3 (6)                           -> [5,6] -> 6
# Order: A1 (4); C1, C2 (5) by whitened signature: U = sig(A2) ^ sig(C3) = ff..ff (A2 = ff.., C3 =
# 00..), so whitened = complement: sig(C1) = 00.. -> ff..; sig(C2) = 01 00.. -> fe ff..: C2 first
# (raw signatures would put C1 first).  Then A2 (6).  B1 is below nothing: never ordered.
# ---------------------------------------------------------------------------------------------


def stake_dag() -> HandDag:
    d = HandDag({"A": 1, "B": 1, "C": 2})
    d.ev("A1", ts=1)
    d.ev("B1", ts=2)
    d.ev("C1", ts=3, sig=ZERO)
    d.ev("C2", "C1", "A1", ts=4, sig=sig(first=0x01))
    d.ev("A2", "A1", "C2", ts=5, sig=bytes([0xFF]) * 64)
    d.ev("C3", "C2", "A2", ts=6, sig=ZERO)
    d.ev("A3", "A2", "C3", ts=7)
    d.ev("C4", "C3", "A3", ts=8)
    d.ev("A4", "A3", "C4", ts=9)
    return d


def test_stake_not_member_count():
    d = stake_dag()
    assert d.strongly_sees("C2", "A1") and not d.strongly_sees("C2", "C1")
    assert d.round("C2") == 1
    assert d.strongly_sees("A2", "C1")            # creators C (stake 2) and A (1): 3 of 4
    assert d.round("A2") == 2                     # a member count (2 of 3) would say round 1
    assert [d.round(x) for x in ["C3", "A3", "C4", "A4"]] == [2, 3, 3, 4]
    assert d.tally("A3", "B1") == (False, 3) and d.decision("A3", "B1") is False
    assert d.fame("A1") is True and d.fame("C1") is True and d.fame("B1") is False
    assert d.fame("A2") is True and d.fame("C3") is True


def test_stake_dag_upper_median_and_order():
    out = stake_dag().output()
    got = {x: (e["round_received"], e["consensus_timestamp"]) for x, e in out["events"].items()}
    assert got == {"A1": (2, 4), "B1": (None, None), "C1": (2, 5), "C2": (2, 5), "A2": (2, 6),
                   "C3": (None, None), "A3": (None, None), "C4": (None, None), "A4": (None, None)}
    assert out["order"] == ["A1", "C2", "C1", "A2"]
    assert out["last_decided_round"] == 2


# ---------------------------------------------------------------------------------------------
# DAG 4: a fork; an event that does not see the forker's events (§4.1); two famous forked witnesses
# of one creator, so that creator has no unique famous witness (§6.6, §12.9).
#
# Stakes B = 2, C = 2, D = 1 (D forks; D's stake 1 < S/3): S = 5, supermajority = stake >= 4,
# i.e. B and C together.  D creates two parentless events D1a (ts 1) and D1b (ts 2): a fork (§3.3,
# neither is a self-ancestor of the other).  B learns D1a only, C learns D1b only:
#   B1 (10), C1 (20), D1a (1), D1b (2); B2 = (B1,C1) 30; C2 = (C1,B1) 40; B3 = (B2,D1a) 50;
#   C3 = (C2,D1b) 60; B4 = (B3,C2) 70; C4 = (C3,B2) 80; B5 = (B4,C4) 90; C5 = (C4,B5) 100;
#   B6 = (B5,C5) 110; C6 = (C5,B6) 120.
# Rounds:
#   B2: B1 below {B} only (C's latest is C1) -> no; C1 below {C,B} = 4 yes -> 1 creator -> round 1.
#   C2 symmetric: round 1.  B3, C3: still only one round-1 witness strongly seen -> round 1.
#   B4 = (B3,C2): B1 below B4 and C2 -> yes; C1 below B4, C2 -> yes -> B, C = 4 -> round 2, witness.
#   C4 = (C3,B2): symmetric -> round 2, witness.
#   B5 = (B4,C4): D1a (via B4) and D1b (via C4) are both below B5: a fork by D among its ancestors,
#       so B5 sees NO event of D (§4.1), though they are its ancestors; B's and C's it still sees.
#       r = 2; B4 below {B} only (C4 does not have it) -> no; C4 below {C,B} yes -> round 2.
#   C5 = (C4,B5): B4 and C4 below C5 and B5 -> round 3, witness.  B6 = (B5,C5): round 3, witness.
#   C6 = (C5,B6): C5, B6 strongly seen -> round 4, witness.
# Fame of round 1 (B1, C1, D1a, D1b):
#   d = 1: B4 sees B1, C1, D1a (no fork below B4), not D1b.  C4 sees B1, C1, D1b, not D1a.
#   d = 2: C5 and B6 each strongly see W = {B4, C4}.  B1, C1: yes = 4 -> decided famous.
#          D1a: yes 2 (B4), no 2 (C4): a tie -> TRUE, t = 2 (3·2 = 6, not > 10) -> undecided.
#          D1b likewise TRUE, undecided.
#   d = 3: C6 strongly sees C5 and B6, both TRUE for D1a and D1b: yes = 4, 3·4 > 10 -> decides
#          both famous (coin_period 10: 3 is not a coin round).
#   So D has two famous witnesses in round 1: neither is unique famous; UFW(1) = {B1, C1}.
#   With coin_period 3, d = 3 IS a coin round: C6 votes TRUE (its majority holds 4 > 10/3) but a
#   coin round never decides, so D1a, D1b stay undecided and round 1 is not decided: nothing is
#   ordered.
# Fame of round 2 (B4, C4; D has no round-2 event): C5 and B6 see both (B5's fork is by D, not by
#   B or C) -> TRUE; C6 decides both famous.  Last decided round 2; UFW(2) = {B4, C4}.
# Round received 2: ancestors common to B4 {B4,B3,B2,B1,C1,D1a,C2} and C4 {C4,C3,C2,C1,B1,D1b,B2}:
#   B1, B2, C1, C2.  D1a and D1b are below only one of them: not received.
# Timestamps (upper median of 2 = the larger):
#   B1: B4-chain -> B1 (10); C4-chain -> C2 (40)   -> 40
#   B2: B2 (30); C4 (80: C3 and C2 do not have B2) -> 80
#   C1: B2 (30); C1 (20)                           -> 30
#   C2: B4 (70: B3 does not have C2); C2 (40)      -> 70
# Order: C1 (30), B1 (40), C2 (70), B2 (80).
# ---------------------------------------------------------------------------------------------


def fork_dag(coin_period: int = 10) -> HandDag:
    d = HandDag({"B": 2, "C": 2, "D": 1}, coin_period=coin_period)
    d.ev("B1", ts=10)
    d.ev("C1", ts=20)
    d.ev("D1a", ts=1)
    d.ev("D1b", ts=2)
    for x, sp, op, ts in [("B2", "B1", "C1", 30), ("C2", "C1", "B1", 40), ("B3", "B2", "D1a", 50),
                          ("C3", "C2", "D1b", 60), ("B4", "B3", "C2", 70), ("C4", "C3", "B2", 80),
                          ("B5", "B4", "C4", 90), ("C5", "C4", "B5", 100), ("B6", "B5", "C5", 110),
                          ("C6", "C5", "B6", 120)]:
        d.ev(x, sp, op, ts=ts)
    return d


def test_fork_hides_the_forker():
    d = fork_dag()
    assert hg.is_fork(d.g, d.h["D1a"], d.h["D1b"])
    assert not hg.is_fork(d.g, d.h["B1"], d.h["B2"])
    assert d.sees("B4", "D1a") and not d.sees("B4", "D1b")
    assert hg.is_ancestor(d.g, d.h["D1a"], d.h["B5"]) and not d.sees("B5", "D1a")
    assert not d.sees("B5", "D1b") and d.sees("B5", "B1") and d.sees("B5", "C4")
    rounds = {"B1": 1, "C1": 1, "D1a": 1, "D1b": 1, "B2": 1, "C2": 1, "B3": 1, "C3": 1, "B4": 2, "C4": 2,
              "B5": 2, "C5": 3, "B6": 3, "C6": 4}
    assert {x: d.round(x) for x in rounds} == rounds


def test_two_famous_forked_witnesses_are_not_unique():
    d = fork_dag()
    assert d.tally("C5", "D1a") == (True, 2) and d.decision("C5", "D1a") is None
    assert d.tally("C5", "B1") == (True, 4) and d.decision("C5", "B1") is True
    assert d.decision("C6", "D1a") is True and d.decision("C6", "D1b") is True
    assert all(d.fame(x) is True for x in ["B1", "C1", "D1a", "D1b", "B4", "C4"])
    assert d.ufw(1) == {"B1", "C1"} and d.ufw(2) == {"B4", "C4"}
    out = d.output()
    got = {x: (e["round_received"], e["consensus_timestamp"]) for x, e in out["events"].items()
           if e["round_received"] is not None}
    assert got == {"B1": (2, 40), "B2": (2, 80), "C1": (2, 30), "C2": (2, 70)}
    assert out["order"] == ["C1", "B1", "C2", "B2"]


def test_fork_dag_with_a_coin_round_never_decides():
    d = fork_dag(coin_period=3)
    assert d.vote("C6", "D1a") is True and d.decision("C6", "D1a") is None
    assert d.fame("D1a") is None and d.fame("B1") is True
    out = d.output()
    assert out["last_decided_round"] == 0 and out["order"] == []


# ---------------------------------------------------------------------------------------------
# DAG 5: witnesses of one round decide differently (possible only with Byzantine stake >= S/3);
# the decider with the smallest event hash counts (§6.4, §12.16).
#
# Stakes B = 1, C = 1, D = 2 (D forks; 2 >= 4/3): S = 4, supermajority = stake >= 3.
#   B1, C1, D1a (ts 1), D1b (ts 2); D2a = (D1a,B1); B2 = (B1,D2a); D3a = (D2a,B2); B3 = (B2,D3a);
#   D2b = (D1b,C1); C2 = (C1,D2b); D3b = (D2b,C2); C3 = (C2,D3b).
# Rounds: D2a: B1 below {B,D} = 3 yes, D1a below {D} = 2 no -> round 1.  B2: B1 and D1a each below
#   {B,D} = 3 -> round 2, witness.  D3a: B2 below {B,D} but creator B alone = 1 -> round 2, witness
#   (D2a is round 1).  B3: B2 and D3a strongly seen (B, D = 3) -> round 3, witness.  Side b is the
#   mirror image with C: C2 round 2, D3b round 2 (witness), C3 round 3 (witness).
# Votes at d = 1: B2 and D3a see B1, D1a only; C2 and D3b see C1, D1b only.
# d = 2: B3 strongly sees B2, D3a (stake 3): decides B1, D1a famous and C1, D1b not famous.
#        C3 strongly sees C2, D3b: decides the opposite.  Both are round 3: the lowest deciding round
#        holds two deciders that disagree, so the one with the smaller hash decides everything.
# ---------------------------------------------------------------------------------------------


def conflict_dag(b3_signature: bytes) -> HandDag:
    d = HandDag({"B": 1, "C": 1, "D": 2})
    d.ev("B1")
    d.ev("C1")
    d.ev("D1a", ts=1)
    d.ev("D1b", ts=2)
    for x, sp, op in [("D2a", "D1a", "B1"), ("B2", "B1", "D2a"), ("D3a", "D2a", "B2"), ("D2b", "D1b", "C1"),
                      ("C2", "C1", "D2b"), ("D3b", "D2b", "C2"), ("C3", "C2", "D3b")]:
        d.ev(x, sp, op, creator=x[0])
    d.ev("B3", "B2", "D3a", sig=b3_signature)
    return d


def test_conflicting_deciders_smallest_hash_counts():
    seen_both_ways = set()
    for n in range(40):
        d = conflict_dag(bytes([n]) * 64)
        assert [d.round(x) for x in ["D2a", "B2", "D3a", "B3", "C2", "D3b", "C3"]] == [1, 2, 2, 3, 2, 2, 3]
        assert [d.decision("B3", x) for x in ["B1", "D1a", "C1", "D1b"]] == [True, True, False, False]
        assert [d.decision("C3", x) for x in ["B1", "D1a", "C1", "D1b"]] == [False, False, True, True]
        b_wins = d.h["B3"] < d.h["C3"]  # 32-byte strings compare like big-endian integers
        seen_both_ways.add(b_wins)
        expected = [True, True, False, False] if b_wins else [False, False, True, True]
        assert [d.fame(x) for x in ["B1", "D1a", "C1", "D1b"]] == expected
        if len(seen_both_ways) == 2:
            break
    assert seen_both_ways == {True, False}, "choose B3 signatures so that each side wins once"

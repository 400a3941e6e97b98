"""The DAGs behind the hashgraph conformance vectors: hand-built, adversarial, re-signed.

Three sources, each a function of its arguments only (the vectors must be
byte-stable):

* the **hand-built DAGs** of ``tests/abft/test_abft_handbuilt.py`` — the ring,
  the tie, the unequal stakes, the fork, the conflicting deciders — rebuilt
  here with the same labels, timestamps and signatures, because a package
  module cannot import a test file.  Their expected values were worked out by
  hand in that file; ``tests/conformance/test_conformance_abft_vectors.py``
  checks that every event here has the same hash as there, so the hand
  derivations apply to the vectors unchanged;
* **adversarial DAGs** (:func:`adversarial_dag`): random self-parents (forks,
  including parentless ones), lying timestamps, random signatures so coins and
  whitening go both ways, and a small coin period.  Gossip runs
  (:mod:`altledger.reference.abft.simulate`) rarely reach a coin round or a
  Byzantine third; these do;
* **re-signed copies** (:func:`with_synthetic_signatures`): a DAG whose
  signatures are replaced by synthetic ones, for the replay rule of
  spec/abft.md §9.3 (signature checking off).

Hand-built and adversarial DAGs carry synthetic signatures and keys that are
not Ed25519 keys: they are replayed with signature checking off (§9.3).
"""

from __future__ import annotations

import dataclasses
import hashlib
import random

from altledger.reference.abft.dag import Dag, Member
from altledger.reference.encoding import Event

ZERO = bytes(64)


def synthetic_signature(label: str) -> bytes:
    """64 bytes derived from a label (the hand-built DAGs' default signature)."""
    return hashlib.blake2b(label.encode(), digest_size=64).digest()


def sig(first: int = 0, last: int = 0, middle: int | None = None, fill: int = 0) -> bytes:
    """64 signature bytes: ``fill`` everywhere, then byte 0, byte 32 (the coin byte, §6.3) and byte 63."""
    raw = bytearray([fill] * 64)
    raw[0], raw[32], raw[63] = first, fill if middle is None else middle, last
    return bytes(raw)


class Builder:
    """``Builder({"A": 1, "B": 1})`` then ``ev("B2", "B1", "A1", ts=5)``: members by name, events by label.

    Member ``i`` (in the order given) has the synthetic key ``bytes([i + 1]) * 32``; an event's
    creator is its label's first letter unless given.
    """

    def __init__(self, stakes: dict[str, int], coin_period: int = 10) -> None:
        self.keys = {name: bytes([i + 1]) * 32 for i, name in enumerate(stakes)}
        self.dag = Dag([Member(name, self.keys[name], stake) for name, stake in stakes.items()], coin_period,
                       "hand-built")
        self.hashes: dict[str, bytes] = {}

    def ev(self, label: str, self_parent: str | None = None, other_parent: str | None = None, ts: int = 0,
           signature: bytes | None = None, creator: str | None = None) -> bytes:
        event = Event(creator=self.keys[creator or label[0]],
                      self_parent=self.hashes[self_parent] if self_parent else None,
                      other_parent=self.hashes[other_parent] if other_parent else None,
                      timestamp=ts, shard=0, transactions=(),
                      signature=synthetic_signature(label) if signature is None else signature)
        self.hashes[label] = self.dag.add(event, label, check_signature=False)
        return self.hashes[label]


# -- the hand-built DAGs (tests/abft/test_abft_handbuilt.py, where each value is derived) ---------------


def ring_dag() -> Dag:
    """DAG 1: four equal members in a ring until rounds 1 and 2 are decided; B2 is ordered before its
    self-parent B1 (§7.5), C2 before C1 only when whitened signatures are read big-endian, and D1/D2 have
    equal whitened signatures (the hash decides, §12.15)."""
    d = Builder({"A": 1, "B": 1, "C": 1, "D": 1}, coin_period=10)
    same = sig(first=0x42, fill=0x42)
    d.ev("A1", ts=1, signature=sig(first=0x11, fill=0x11))
    d.ev("B1", ts=2, signature=ZERO)
    d.ev("C1", ts=3, signature=sig(first=0x01))
    d.ev("D1", ts=4, signature=same)
    d.ev("B2", "B1", "A1", ts=5, signature=sig(first=0x80))
    d.ev("C2", "C1", "B2", ts=6, signature=sig(last=0xFF))
    d.ev("D2", "D1", "C2", ts=7, signature=same)
    d.ev("A2", "A1", "D2", ts=8, signature=sig(first=0x80))
    d.ev("B3", "B2", "A2", ts=9, signature=ZERO)
    d.ev("C3", "C2", "B3", ts=10, signature=ZERO)
    d.ev("D3", "D2", "C3", ts=11, signature=ZERO)
    for label, sp, op, ts in [("A3", "A2", "D3", 12), ("B4", "B3", "A3", 13), ("C4", "C3", "B4", 14),
                              ("D4", "D3", "C4", 15), ("A4", "A3", "D4", 16)]:
        d.ev(label, sp, op, ts=ts)
    return d.dag


def tie_dag(coin_period: int = 10, a5_signature: bytes | None = None) -> Dag:
    """DAG 2: B4, C5 and D3 see a 2-2 tie about D1 and vote TRUE (§12.6); C4 only *sees* D1 (§12.5).
    With coin_period 3, A5's vote about D1 (d = 3) is a coin vote."""
    d = Builder({"A": 1, "B": 1, "C": 1, "D": 1}, coin_period=coin_period)
    for label in ["A1", "B1", "C1", "D1"]:
        d.ev(label)
    for label, sp, op in [("B2", "B1", "A1"), ("C2", "C1", "B2"), ("A2", "A1", "C2"), ("B3", "B2", "A2"),
                          ("A3", "A2", "B3"), ("C3", "C2", "D1"), ("C4", "C3", "A3"), ("D2", "D1", "C4"),
                          ("A4", "A3", "D2"), ("B4", "B3", "A4"), ("C5", "C4", "B4"), ("D3", "D2", "C5")]:
        d.ev(label, sp, op)
    d.ev("A5", "A4", "D3", signature=a5_signature)
    return d.dag


def stake_dag() -> Dag:
    """DAG 3: stakes A = 1, B = 1, C = 2; A2 is in round 2 by stake (a member count says round 1, §12.3);
    two unique famous witnesses, so the upper median is the larger timestamp (§12.14)."""
    d = Builder({"A": 1, "B": 1, "C": 2})
    d.ev("A1", ts=1)
    d.ev("B1", ts=2)
    d.ev("C1", ts=3, signature=ZERO)
    d.ev("C2", "C1", "A1", ts=4, signature=sig(first=0x01))
    d.ev("A2", "A1", "C2", ts=5, signature=bytes([0xFF]) * 64)
    d.ev("C3", "C2", "A2", ts=6, signature=ZERO)
    for label, sp, op, ts in [("A3", "A2", "C3", 7), ("C4", "C3", "A3", 8), ("A4", "A3", "C4", 9)]:
        d.ev(label, sp, op, ts=ts)
    return d.dag


def fork_dag(coin_period: int = 10) -> Dag:
    """DAG 4: D (stake 1 of 5) forks D1a/D1b; B5 has both below it and sees neither (§4.1); both are
    famous, so D has no unique famous witness in round 1 (§12.9).  With coin_period 3 the deciding round
    is a coin round: nothing is decided, nothing ordered (§6.2, §12.8)."""
    d = Builder({"B": 2, "C": 2, "D": 1}, coin_period=coin_period)
    d.ev("B1", ts=10)
    d.ev("C1", ts=20)
    d.ev("D1a", ts=1)
    d.ev("D1b", ts=2)
    for label, sp, op, ts in [("B2", "B1", "C1", 30), ("C2", "C1", "B1", 40), ("B3", "B2", "D1a", 50),
                              ("C3", "C2", "D1b", 60), ("B4", "B3", "C2", 70), ("C4", "C3", "B2", 80),
                              ("B5", "B4", "C4", 90), ("C5", "C4", "B5", 100), ("B6", "B5", "C5", 110),
                              ("C6", "C5", "B6", 120)]:
        d.ev(label, sp, op, ts=ts)
    return d.dag


def fork_famous_both_sides_dag() -> Dag:
    """A fork whose two sides are both famous in a round that receives events (not in the tests' hand-built
    set; derived here the same way).

    Stakes B = 2, C = 2, D = 1 (S = 5, supermajority: stake >= 4, i.e. B and C).  D forks in round 2 and,
    being Byzantine, lies about the time (timestamps 1 and 2).
      B1 (10), C1 (20), D1 (5); B2 = (B1,C1) 30 and C2 = (C1,B1) 40 are round 1 (each strongly sees only
      the other's first event); B3 = (B2,C2) and C3 = (C2,B2) strongly see B1 and C1 through B and C:
      round-2 witnesses, neither below the other.  D2a = (D1,B3) and D2b = (D1,C3) strongly see B1, C1
      through B3's / C3's ancestry: both round-2 witnesses on D1 — a fork.
      B4 = (B3,C3), C4 = (C3,B3) stay round 2; B5 = (B4,D2a), C5 = (C4,D2b) round 2 (D's stake cannot help).
      B6 = (B5,C4) and C6 = (C5,B4) strongly see B3, C3: round-3 witnesses; B6 has D2a (not D2b) below it,
      C6 has D2b (not D2a).  B7 = (B6,C6) round 3 (both forks below: it sees no D event, §4.1); C7 =
      (C6,B7), B8 = (B7,C7) round 4; C8 = (C7,B8), B9 = (B8,C8) round 5; C9 = (C8,B9) round 6.
    Fame of D2a (D2b alike): d = 1, B6 TRUE, C6 FALSE; d = 2, C7 and B8 strongly see B6 and C6: yes 2,
    no 2, a tie votes TRUE (§12.6) without deciding (3·2 = 6 is not > 10); d = 3, C8 and B9 see TRUE
    from C7 and B8 (stake 4, 12 > 10): both D2a and D2b famous.  B3, C3 famous; D1 not famous (B3, C3
    do not have it).  So round 2's unique famous witnesses are B3 and C3 only (§6.6, §12.9); B1, C1, B2,
    C2 are received in round 2 with the larger of two timestamps (B1: B3 -> B1 10, C3 -> C2 40: 40).
    Keeping one of D's witnesses would add D's lying timestamp to each list (B1: [1, 10, 40] -> 10).
    """
    d = Builder({"B": 2, "C": 2, "D": 1})
    d.ev("B1", ts=10)
    d.ev("C1", ts=20)
    d.ev("D1", ts=5)
    for label, sp, op, ts in [("B2", "B1", "C1", 30), ("C2", "C1", "B1", 40), ("B3", "B2", "C2", 50),
                              ("C3", "C2", "B2", 60), ("D2a", "D1", "B3", 1), ("D2b", "D1", "C3", 2),
                              ("B4", "B3", "C3", 70), ("C4", "C3", "B3", 80), ("B5", "B4", "D2a", 90),
                              ("C5", "C4", "D2b", 100), ("B6", "B5", "C4", 110), ("C6", "C5", "B4", 120),
                              ("B7", "B6", "C6", 130), ("C7", "C6", "B7", 140), ("B8", "B7", "C7", 150),
                              ("C8", "C7", "B8", 160), ("B9", "B8", "C8", 170), ("C9", "C8", "B9", 180)]:
        d.ev(label, sp, op, ts=ts)
    return d.dag


def conflict_dag(b3_signature: bytes) -> Dag:
    """DAG 5: D (stake 2 of 4, Byzantine) forks; B3 and C3, both round 3, decide round 1 oppositely; the
    decider with the smaller hash counts (§6.4, §12.16).  B3's signature picks which one that is."""
    d = Builder({"B": 1, "C": 1, "D": 2})
    d.ev("B1")
    d.ev("C1")
    d.ev("D1a", ts=1)
    d.ev("D1b", ts=2)
    for label, sp, op in [("D2a", "D1a", "B1"), ("B2", "B1", "D2a"), ("D3a", "D2a", "B2"), ("D2b", "D1b", "C1"),
                          ("C2", "C1", "D2b"), ("D3b", "D2b", "C2"), ("C3", "C2", "D3b")]:
        d.ev(label, sp, op)
    d.ev("B3", "B2", "D3a", signature=b3_signature)
    return d.dag


def conflict_signature(b3_wins: bool) -> bytes:
    """The first B3 signature ``bytes([n]) * 64`` (n = 0, 1, …) for which B3's hash is below C3's
    (``b3_wins``) or above it: the DAG where each side of the conflict wins."""
    for n in range(256):
        signature = bytes([n]) * 64
        g = conflict_dag(signature)
        if (g.by_label["B3"] < g.by_label["C3"]) == b3_wins:
            return signature
    raise AssertionError("no B3 signature puts the deciders in the wanted order")


# -- adversarial DAGs ----------------------------------------------------------------------------------


def adversarial_dag(seed: int, members: int, events: int, *, stakes: list[int] | None = None,
                    coin_period: int = 3, forkers: int = 0, fork_rate: float = 0.0,
                    liar_rate: float = 0.1, activity: list[float] | None = None, window: int = 3) -> Dag:
    """A seeded random DAG built to reach what gossip rarely does.

    Member ``i`` is ``m<i>`` with key ``bytes([i + 1]) * 32``.  Every member
    starts with a parentless event; then each new event's creator is random
    (weighted by ``activity``: a member that rarely creates is seen late, so
    elections split and reach coin rounds), its self-parent is the creator's
    latest event, its other-parent a random event of another member among the
    last ``window · members`` events.  The first ``forkers`` members fork: with
    probability ``fork_rate`` the self-parent is an *older* event of theirs
    (or none: a second parentless event), and afterwards they continue on
    either side.  Timestamps follow a clock, except that with probability
    ``liar_rate`` an event lies (clock ± 8, floored at 0: timestamps may
    fall along a chain, §12.12).  Signatures are random bytes.
    """
    rng = random.Random(f"altledger abft adversarial/{seed}")
    stakes = stakes or [1] * members
    keys = [bytes([i + 1]) * 32 for i in range(members)]
    g = Dag([Member(f"m{i}", keys[i], stakes[i]) for i in range(members)], coin_period, "adversarial")
    mine: list[list[bytes]] = [[] for _ in range(members)]
    latest: list[bytes | None] = [None] * members
    recent: list[bytes] = []
    clock = 0
    for i in range(events):
        c = i if i < members else rng.choices(range(members), weights=activity)[0] if activity else \
            rng.randrange(members)
        clock += rng.randint(1, 4)
        timestamp = max(0, clock + rng.randint(-8, 8)) if rng.random() < liar_rate else clock
        others = [x for x in recent[-window * members:] if g.event(x).creator != keys[c]]
        if latest[c] is None or not others:
            sp = op = None
        elif c < forkers and rng.random() < fork_rate:
            sp = rng.choice(mine[c][:-1] + [None]) if len(mine[c]) > 1 else None
            op = rng.choice(others) if sp is not None else None
        else:
            sp, op = latest[c], rng.choice(others)
        x = g.add(Event(creator=keys[c], self_parent=sp, other_parent=op, timestamp=timestamp, shard=0,
                        transactions=(), signature=rng.randbytes(64)),
                  f"m{c}.{len(mine[c]) + 1}", check_signature=False)
        mine[c].append(x)
        recent.append(x)
        if sp == latest[c] or rng.random() < 0.5:
            latest[c] = x
    return g


def partition_dag(seed: int, members: int, events: int, *, forkers: int, stakes: list[int] | None = None,
                  coin_period: int = 3, bridge: float = 0.05, liar_rate: float = 0.1) -> Dag:
    """A seeded DAG of two halves bridged by forkers: Byzantine behaviour gossip rarely shows.

    The first ``forkers`` members are Byzantine; the others are split into
    two halves (even and odd positions) that gossip among themselves.  A
    forker keeps two chains, one per half: its first event is shared, and
    each chain's events are seen only by that half — so the halves'
    witnesses see one side of each fork and vote for it, elections split
    (ties vote TRUE, §12.6), and both sides of a fork can become famous
    (§6.6).  With probability ``bridge`` an event takes its other-parent from
    the other half, merging views (its creator then sees neither side of the
    forks below it, §4.1).  Signatures are random bytes; timestamps follow
    a clock, with occasional liars.
    """
    rng = random.Random(f"altledger abft partition/{seed}")
    stakes = stakes or [1] * members
    keys = [bytes([i + 1]) * 32 for i in range(members)]
    g = Dag([Member(f"m{i}", keys[i], stakes[i]) for i in range(members)], coin_period, "partition")
    half = {i: (i - forkers) % 2 for i in range(forkers, members)}
    count = [0] * members
    chains: dict[tuple[int, int], bytes] = {}          # (member, half) -> latest event on that chain
    seen_by: list[list[bytes]] = [[], []]               # events made for each half, oldest first
    clock = 0

    def add(c: int, side: int, sp: bytes | None, op: bytes | None) -> None:
        nonlocal clock
        clock += rng.randint(1, 4)
        timestamp = max(0, clock + rng.randint(-8, 8)) if rng.random() < liar_rate else clock
        count[c] += 1
        x = g.add(Event(creator=keys[c], self_parent=sp, other_parent=op, timestamp=timestamp, shard=0,
                        transactions=(), signature=rng.randbytes(64)), f"m{c}.{count[c]}", check_signature=False)
        sides = (0, 1) if sp is None and c < forkers else (side,)
        for s in sides:
            chains[(c, s)] = x
            seen_by[s].append(x)

    for c in range(members):
        add(c, half.get(c, 0), None, None)
    while len(g) < events:
        c = rng.randrange(members)
        side = half[c] if c in half else rng.randrange(2)
        source = 1 - side if rng.random() < bridge else side
        others = [x for x in seen_by[source][-3 * members:] if g.event(x).creator != keys[c]]
        if not others:
            continue
        add(c, side, chains[(c, side)], rng.choice(others))
    return g


def with_synthetic_signatures(g: Dag, source: str = "re-signed") -> Dag:
    """The same DAG (labels, members, parents, timestamps, transactions) with every signature replaced by
    :func:`synthetic_signature` of its label: the hashes change, the structure does not."""
    out = Dag(g.members, g.coin_period, source)
    renamed: dict[bytes, bytes] = {}
    for x in g:
        e = g.event(x)
        event = dataclasses.replace(e, self_parent=renamed.get(e.self_parent) if e.self_parent else None,
                                    other_parent=renamed.get(e.other_parent) if e.other_parent else None,
                                    signature=synthetic_signature(g.label(x)))
        renamed[x] = out.add(event, g.label(x), check_signature=False)
    return out

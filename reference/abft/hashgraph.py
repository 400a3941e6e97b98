"""The definitions of spec/abft.md §1-§7, one function each, named as in the spec.

Every function takes the DAG ``g`` first and events as their hashes.  Read
top to bottom, this module is the spec: ancestry and forks (§3), seeing
(§4), rounds and witnesses (§5), fame (§6), round received, timestamp and
order (§7).

Two representation choices, both for memory rather than speed:

* the ancestors (and self-ancestors) of an event are a *bit set* (a Python
  int, bit ``i`` = the event inserted ``i``-th).  It is the same set as the
  recursive definition of §3.1 builds, in n/8 bytes instead of a hash set of
  n entries (a 5,000-event DAG would otherwise hold ~12 million entries);
* where the spec quantifies over "a set Z" or "the round-r witnesses", the
  function says which equivalent it evaluates and why (§4.3 for strongly
  seeing; seen witnesses lie on one self-chain per creator, see
  :func:`seen_witnesses`).  ``tests/abft/test_abft_definitions.py`` checks
  each equivalent against a brute-force evaluation of the literal clause.

Memoisation: :func:`memo_of_ancestors` for values that depend only on the
ancestors of the arguments, :func:`memo_of_dag` for values that depend on
the whole DAG (see :mod:`altledger.reference.abft.dag`).  Recursive
definitions recurse through parents; before any of them runs, the events
not yet evaluated are evaluated parents-first (:func:`evaluate_in_order`),
so that the recursion finds its parents' values memoised and stays one
level deep however long the DAG (a cold call on the last of 5,000 events
would otherwise exceed Python's recursion limit).
"""

from __future__ import annotations

import functools
from typing import Callable, Iterable, TypeVar

from altledger.reference.abft.dag import Dag, memo_of_ancestors, memo_of_dag

T = TypeVar("T")


def of_ancestors(fn: Callable[..., T]) -> Callable[..., T]:
    """:func:`memo_of_ancestors`, after bringing the DAG's evaluation up to date (see the module docstring)."""
    memoised = memo_of_ancestors(fn)

    @functools.wraps(fn)
    def call(g: Dag, *args):
        if g.evaluated < len(g) and not g.evaluating:
            evaluate(g)
        return memoised(g, *args)
    return call


# -- §1.3 stake thresholds -----------------------------------------------------------


def stake_of(g: Dag, creators: Iterable[bytes]) -> int:
    """The stake of a set of members; a creator counts once however often it appears (§1.3)."""
    return sum(g.stake(c) for c in set(creators))


def supermajority(g: Dag, creators: Iterable[bytes]) -> bool:
    """``3 · stake(X) > 2 · S`` (spec/abft.md §1.3; stake, never a member count, §12.3)."""
    return 3 * stake_of(g, creators) > 2 * g.total_stake


def more_than_two_thirds(g: Dag, stake: int) -> bool:
    """``3 · t > 2 · S`` for a stake ``t`` (§6.2)."""
    return 3 * stake > 2 * g.total_stake


# -- §2 event fields -------------------------------------------------------------------


def creator(g: Dag, x: bytes) -> bytes:
    return g.event(x).creator


def self_parent(g: Dag, x: bytes) -> bytes | None:
    return g.event(x).self_parent


def other_parent(g: Dag, x: bytes) -> bytes | None:
    return g.event(x).other_parent


def parents(g: Dag, x: bytes) -> tuple[bytes, ...]:
    """Both parents, or none (§2.2.3)."""
    event = g.event(x)
    return tuple(p for p in (event.self_parent, event.other_parent) if p is not None)


def is_parentless(g: Dag, x: bytes) -> bool:
    return not parents(g, x)


def bit(g: Dag, x: bytes) -> int:
    return 1 << g.position[x]


# -- §3 ancestry and forks -------------------------------------------------------------


@of_ancestors
def ancestors(g: Dag, x: bytes) -> int:
    """spec/abft.md §3.1: x itself (§12.1) and the ancestors of its parents, as a bit set."""
    result = bit(g, x)
    for p in parents(g, x):
        result |= ancestors(g, p)
    return result


def is_ancestor(g: Dag, y: bytes, x: bytes) -> bool:
    """spec/abft.md §3.1: ``y ≤ x``."""
    return bool(ancestors(g, x) & bit(g, y))


@of_ancestors
def self_ancestors(g: Dag, x: bytes) -> int:
    """spec/abft.md §3.2: x itself and the self-ancestors of its self-parent, as a bit set."""
    sp = self_parent(g, x)
    return bit(g, x) | (self_ancestors(g, sp) if sp is not None else 0)


def is_self_ancestor(g: Dag, y: bytes, x: bytes) -> bool:
    """spec/abft.md §3.2."""
    return bool(self_ancestors(g, x) & bit(g, y))


def is_fork(g: Dag, a: bytes, b: bytes) -> bool:
    """spec/abft.md §3.3: distinct, same creator, neither a self-ancestor of the other."""
    return (a != b and creator(g, a) == creator(g, b)
            and not is_self_ancestor(g, a, b) and not is_self_ancestor(g, b, a))


FORKED = "forked"  # in latest_events: the creator has a fork among the ancestors


@of_ancestors
def latest_events(g: Dag, x: bytes) -> dict[bytes, bytes | str]:
    """For each creator c with events among the ancestors of x: the latest of them, or FORKED.

    §4.3 names "the latest event by c among the ancestors of x", defined when
    those events contain no fork by c (§3.3), i.e. when they form one
    self-ancestor chain; its top is the latest.  Computed from the parents:
    the events by c below x are those below each parent (plus x itself when c
    is x's creator).  Two chains with tops a and b merge into one chain iff a
    is a self-ancestor of b or b of a (every element of both is then a
    self-ancestor of the later top); otherwise a and b are a fork.
    """
    latest: dict[bytes, bytes | str] = {}
    for p in parents(g, x):
        for c, top in latest_events(g, p).items():
            latest[c] = merge_chain_tops(g, latest.get(c), top)
    me = creator(g, x)
    below = latest.get(me)
    # x joins its creator's chain iff every earlier event by it below x is a self-ancestor of x.
    latest[me] = x if below is None or (below != FORKED and is_self_ancestor(g, below, x)) else FORKED
    return latest


def merge_chain_tops(g: Dag, a: bytes | str | None, b: bytes | str) -> bytes | str:
    if a is None or a == b:
        return b
    if a == FORKED or b == FORKED:
        return FORKED
    if is_self_ancestor(g, a, b):
        return b
    if is_self_ancestor(g, b, a):
        return a
    return FORKED  # a and b are a fork (§3.3)


def has_fork_among_ancestors(g: Dag, x: bytes, c: bytes) -> bool:
    """Whether the ancestors of x contain a fork by creator c (§3.3, used by §4.1)."""
    return latest_events(g, x).get(c) == FORKED


# -- §4 seeing ---------------------------------------------------------------------------


def sees(g: Dag, x: bytes, y: bytes) -> bool:
    """spec/abft.md §4.1: y is an ancestor of x and no fork by creator(y) is among x's ancestors."""
    return is_ancestor(g, y, x) and not has_fork_among_ancestors(g, x, creator(g, y))


@of_ancestors
def strongly_sees(g: Dag, x: bytes, y: bytes) -> bool:
    """spec/abft.md §4.2, evaluated as §4.3 allows.

    §4.2 asks for a set Z of events with supermajority creators, all seen by
    x and all seeing y.  x sees events only of creators without a fork below
    x, and among those creators' events the latest below x sees y whenever
    any of them does (its ancestors include theirs).  So the best Z holds, for
    each such creator c, the latest event of c below x; x itself is one of
    them (§12.2: x may be in Z).
    """
    if not sees(g, x, y):
        return False
    intermediaries = [c for c, z in latest_events(g, x).items() if z != FORKED and is_ancestor(g, y, z)]
    return supermajority(g, intermediaries)


# -- §5 rounds and witnesses ------------------------------------------------------------


@of_ancestors
def round_created(g: Dag, x: bytes) -> int:
    """spec/abft.md §5.1: 1 if parentless (§12.4); else r or r + 1, r the larger parent round."""
    if is_parentless(g, x):
        return 1
    r = max(round_created(g, p) for p in parents(g, x))
    strongly_seen = [w for w in seen_witnesses(g, x, r) if strongly_sees(g, x, w)]
    return r + 1 if supermajority(g, [creator(g, w) for w in strongly_seen]) else r


@of_ancestors
def is_witness(g: Dag, x: bytes) -> bool:
    """spec/abft.md §5.2: parentless, or in a later round than its self-parent."""
    sp = self_parent(g, x)
    return sp is None or round_created(g, x) > round_created(g, sp)


@of_ancestors
def seen_witnesses(g: Dag, x: bytes, r: int) -> tuple[bytes, ...]:
    """The round-r witnesses among the strict ancestors of x that x sees.

    x sees an event only if it is an ancestor of x by a creator c with no
    fork below x; those events of c are the self-ancestors of c's latest
    event below x (§4.3), and a creator's witness of round r is the first
    event of round r on that chain (§5.2).  So each such creator contributes
    at most one candidate, found by walking down its chain.

    x itself is left out: §5.1 asks whether x strongly sees the round-r
    witnesses in order to *decide* x's round, so x cannot be one of them
    (counting it would make x's round depend on itself).  In §6.2 the voter
    y is in round j and the witnesses sought are of round j - 1, so leaving
    y out changes nothing there.
    """
    found = []
    for c, top in latest_events(g, x).items():
        if top == x:
            top = self_parent(g, x)
        if top is not None and top != FORKED:
            w = witness_on_chain(g, top, r)
            if w is not None:
                found.append(w)
    return tuple(found)


def witness_on_chain(g: Dag, top: bytes, r: int) -> bytes | None:
    """The round-r witness among the self-ancestors of ``top``, if any.

    Walks down the chain while the rounds are still >= r (rounds never fall
    from an event to its self-child, §5.1).  A loop, not a recursion, because
    a creator may have thousands of events in one round; it stops early at
    an event whose answer is already memoised, and memoises the answer for
    every event it walked past (they have the same round-r witness below).
    """
    if g.evaluated < len(g) and not g.evaluating:
        evaluate(g)
    table = g.ancestor_memo.setdefault("witness_on_chain", {})
    walked, found = [], None
    x: bytes | None = top
    while x is not None and round_created(g, x) >= r:
        if (x, r) in table:
            found = table[(x, r)]
            break
        walked.append(x)
        if round_created(g, x) == r and is_witness(g, x):
            found = x
            break
        x = self_parent(g, x)
    for y in walked:
        table[(y, r)] = found
    return found


@memo_of_dag
def witnesses_by_round(g: Dag) -> dict[int, tuple[bytes, ...]]:
    """Every witness of the DAG, by round (rounds 1 … max round, each non-empty)."""
    by_round: dict[int, list[bytes]] = {}
    for x in evaluate_in_order(g):
        if is_witness(g, x):
            by_round.setdefault(round_created(g, x), []).append(x)
    return {r: tuple(ws) for r, ws in sorted(by_round.items())}


def witnesses(g: Dag, r: int) -> tuple[bytes, ...]:
    return witnesses_by_round(g).get(r, ())


def evaluate(g: Dag) -> None:
    """Compute, parents-first, the ancestor-only values of the events not yet evaluated: each then
    finds its parents' values memoised, so the recursion stays shallow."""
    if g.evaluating:
        return
    g.evaluating = True
    try:
        for x in g.order[g.evaluated:]:
            ancestors(g, x)
            self_ancestors(g, x)
            latest_events(g, x)
            round_created(g, x)
            is_witness(g, x)
            g.evaluated += 1
    finally:
        g.evaluating = False


def evaluate_in_order(g: Dag) -> list[bytes]:
    """All events parents-first, evaluated (see :func:`evaluate`)."""
    evaluate(g)
    return list(g)


# -- §6 fame -----------------------------------------------------------------------------


def coin(g: Dag, y: bytes) -> bool:
    """spec/abft.md §6.3: the least significant bit of the signature's middle byte (§12.7)."""
    signature = g.event(y).signature
    return bool(signature[len(signature) // 2] & 1)


def is_coin_round(g: Dag, d: int) -> bool:
    """spec/abft.md §6.2: every coin_period-th round after the candidate's (§12.7)."""
    return d % g.coin_period == 0


@of_ancestors
def tally(g: Dag, y: bytes, x: bytes) -> tuple[bool, int]:
    """spec/abft.md §6.2, d ≥ 2: the majority vote ``v`` about x of the previous round's witnesses
    that y strongly sees, and the stake ``t`` behind it (a tie votes TRUE, §12.6)."""
    previous = round_created(g, y) - 1
    strongly_seen = [w for w in seen_witnesses(g, y, previous) if strongly_sees(g, y, w)]
    yes = stake_of(g, [creator(g, w) for w in strongly_seen if vote(g, w, x)])
    no = stake_of(g, [creator(g, w) for w in strongly_seen if not vote(g, w, x)])
    return yes >= no, max(yes, no)


@of_ancestors
def vote(g: Dag, y: bytes, x: bytes) -> bool:
    """spec/abft.md §6.2: the vote of witness y (round j) about witness x (round r < j)."""
    d = round_created(g, y) - round_created(g, x)
    assert d >= 1, "only witnesses of later rounds vote"
    if d == 1:
        return sees(g, y, x)  # sees, not strongly sees (§12.5)
    v, t = tally(g, y, x)
    if is_coin_round(g, d) and not more_than_two_thirds(g, t):
        return coin(g, y)
    return v


def decision(g: Dag, y: bytes, x: bytes) -> bool | None:
    """spec/abft.md §6.2: the value with which y decides x, or None (d = 1 and coin rounds never decide)."""
    d = round_created(g, y) - round_created(g, x)
    if d < 2 or is_coin_round(g, d):
        return None
    v, t = tally(g, y, x)
    return v if more_than_two_thirds(g, t) else None


@memo_of_dag
def fame(g: Dag, x: bytes) -> bool | None:
    """spec/abft.md §6.4: famous (True), not famous (False) or undecided (None).

    The lowest round holding a decider counts (§12.16); within it, if deciders
    disagree (only possible with Byzantine stake ≥ S/3), the decider with the
    smallest hash.  Hashes are 32 bytes, so comparing bytes is comparing them
    as big-endian integers.
    """
    r = round_created(g, x)
    for j in range(r + 2, max(witnesses_by_round(g), default=0) + 1):
        deciders = [(y, decision(g, y, x)) for y in witnesses(g, j)]
        deciders = [(y, value) for y, value in deciders if value is not None]
        if deciders:
            return min(deciders, key=lambda decider: decider[0])[1]
    return None


@memo_of_dag
def last_decided_round(g: Dag) -> int:
    """spec/abft.md §6.5: the largest r such that every witness of rounds 1 … r is decided (§12.8)."""
    by_round = witnesses_by_round(g)
    r = 0
    while r + 1 in by_round and all(fame(g, w) is not None for w in by_round[r + 1]):
        r += 1
    return r


@memo_of_dag
def unique_famous_witnesses(g: Dag, r: int) -> tuple[bytes, ...]:
    """spec/abft.md §6.6: famous witnesses of round r whose creator has no other famous one (§12.9)."""
    famous = [w for w in witnesses(g, r) if fame(g, w) is True]
    return tuple(sorted(w for w in famous if sum(creator(g, v) == creator(g, w) for v in famous) == 1))


# -- §7 round received, timestamp, order ---------------------------------------------------


@memo_of_dag
def round_received(g: Dag, x: bytes) -> int | None:
    """spec/abft.md §7.1: the first decided round whose unique famous witnesses all descend from x.

    Rounds below round_created(x) are skipped: rounds never fall from parent
    to child (§5.1), so x is not an ancestor of any event of an earlier round.
    """
    for r in range(round_created(g, x), last_decided_round(g) + 1):
        ufw = unique_famous_witnesses(g, r)
        if ufw and all(is_ancestor(g, x, w) for w in ufw):  # ufw non-empty: §12.13
            return r
    return None


def earliest_self_ancestor_reaching(g: Dag, w: bytes, x: bytes) -> bytes:
    """The earliest self-ancestor of w that has x as an ancestor (§7.2; x ≤ w).

    Walk down w's chain while the self-parent still has x below it: once an
    event of the chain has x as an ancestor, so do all its self-descendants.
    """
    s = w
    while (sp := self_parent(g, s)) is not None and is_ancestor(g, x, sp):
        s = sp
    return s


def upper_median(values: list[int]) -> int:
    """spec/abft.md §7.2: element ``len/2`` (0-based, integer division) after sorting (§12.14)."""
    return sorted(values)[len(values) // 2]


@memo_of_dag
def consensus_timestamp(g: Dag, x: bytes) -> int | None:
    """spec/abft.md §7.2."""
    r = round_received(g, x)
    if r is None:
        return None
    return upper_median([g.event(earliest_self_ancestor_reaching(g, w, x)).timestamp
                         for w in unique_famous_witnesses(g, r)])


def xor(a: bytes, b: bytes) -> bytes:
    """Bytewise XOR of two equally long byte strings."""
    if len(a) != len(b):
        raise ValueError("xor of byte strings of different lengths")
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


@memo_of_dag
def round_whitening(g: Dag, r: int) -> bytes:
    """spec/abft.md §7.3: U, the XOR of the signatures of round r's unique famous witnesses."""
    u = bytes(64)
    for w in unique_famous_witnesses(g, r):
        u = xor(u, g.event(w).signature)
    return u


def whitened_signature(g: Dag, x: bytes) -> int:
    """spec/abft.md §7.3: ``signature(x) XOR U`` as a big-endian integer (x must be ordered)."""
    return int.from_bytes(xor(g.event(x).signature, round_whitening(g, round_received(g, x))), "big")


def order_key(g: Dag, x: bytes) -> tuple[int, int, int, int]:
    """spec/abft.md §7.4: (round received, consensus timestamp, whitened signature, hash)."""
    return (round_received(g, x), consensus_timestamp(g, x), whitened_signature(g, x),
            int.from_bytes(x, "big"))


@memo_of_dag
def total_order(g: Dag) -> tuple[bytes, ...]:
    """spec/abft.md §7.4: the ordered events, ascending by :func:`order_key` (§12.15)."""
    ordered = [x for x in evaluate_in_order(g) if round_received(g, x) is not None]
    return tuple(sorted(ordered, key=lambda x: order_key(g, x)))

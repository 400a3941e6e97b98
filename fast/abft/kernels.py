"""Numba kernels of the fast hashgraph (spec/abft.md §3-§7) on integer arrays.

Why one long module: Numba's on-disk cache (``cache=True``) is invalidated
only when the file holding the cached function changes.  A kernel compiled
with a helper from another file would keep the helper's *old* machine code
after that file is edited.  So every jitted function, and every constant they
read (Numba freezes module globals at compile time), lives here.

The state is a set of arrays owned by :class:`altledger.fast.abft.state.FastState`
(layouts below).  Events are numbered 0, 1, … in insertion (parents-first)
order; members 0 … N-1 in the DAG's member order.  One call of
:func:`process` takes events ``start … end-1`` whose inputs (creator,
parents, timestamp, hash, signature) the caller has written, and computes
everything of §8.1 for the DAG of events ``0 … end-1``.

How each clause is computed
---------------------------
§3 ancestry, forks.  For every event ``x`` and member ``c``:
``LE[x, c]`` = the latest event by ``c`` among the ancestors of ``x``
(``NONE`` if there is none, ``FORKED`` if those events contain a fork, §3.3),
and ``LD[x, c]`` = its self-parent depth (``-1`` / ``FK``).  This is
``latest_events`` of the reference, kept as two integer rows.  Merging the
parents' rows is an element-wise max for a member that has never forked
anywhere in the DAG (its events form one chain, ordered by depth); for a
member with a fork somewhere (``CR[c, C_FORKED]``) the two tops are compared
exactly by self-ancestry (depth + jump pointers, :func:`is_self_ancestor`).
"y is an ancestor of x" for ``y`` by ``c`` with no fork by ``c`` below ``x``
is then "y is a self-ancestor of LE[x, c]", i.e. ``depth(y) <= LD[x, c]``
for a never-forked ``c``.  Forks therefore need no extra chain identities:
a forked member falls back to exact self-ancestry, and an event whose
ancestors hold a fork by ``c`` sees no event of ``c`` (§4.1) — which is all
§4-§6 ask.  §7 asks "is x an ancestor of w" also across forks; it is answered
by a graph search over the parents (exact, see :func:`receive_round`).

§4.2/§4.3 strongly seeing: :func:`strongly_seen`, per §4.3 (intermediaries =
the latest event of each member with no fork below ``x``, ``x`` itself
included, §12.2).

§5 rounds and witnesses: :func:`insert_event`.

§6 fame: the votes of every witness are computed once, when the later of
voter and candidate arrives (a vote depends only on the voter's ancestors,
so it never changes afterwards), and stored per candidate and round.  A
witness's fame is kept as (lowest round holding a decider, the smallest-hash
decider of that round, its value) — exactly §6.4 however the deciders
arrive.  See :func:`elect`.

§6.5-§7: rounds are processed into round received / timestamp / order in
sequence (:func:`advance_order`).  If fame changes in a round already
processed, or a processed round stops being decided — impossible while
Byzantine stake is below S/3 (§11), possible above — the processed rounds
from there on are undone and recomputed (:func:`roll_back`), so the output
stays the spec's function of the DAG on every DAG.

Deliberate bugs (``G[G_MUTANT]``): the cross-checks' self-tests
(``tests/abft/test_abft_fast_crosscheck.py``, and the coin bug in
``test_abft_fast_incremental.py``) switch one of the ``MUTANT_*`` bugs on to
show that the differential tests catch it.  0, the default, is the spec.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# -- sentinels -------------------------------------------------------------------------

NONE = -1                   # LE/LD: no event of that member among the ancestors
FORKED = -2                 # LE: a fork by that member among the ancestors (§3.3)
FK = 2 ** 31 - 2            # LD value for FORKED (above every depth)
NO_CANDIDATE = 2 ** 31 - 1  # strongly_seen: no candidate witness on that member's chain
UNDECIDED = 2 ** 62         # W_DEC_ROUND of a witness without a decider
NO_ROLLBACK = 2 ** 62

# -- EV: int64 [capacity, EV_FIELDS], one row per event ----------------------------------
E_CREATOR = 0      # member index
E_SP = 1           # self-parent event, or -1
E_OP = 2           # other-parent event, or -1
E_DEPTH = 3        # number of self-ancestors minus one
E_JUMP = 4         # jump pointer along the self-parent path (level-ancestor queries)
E_ROUND = 5        # round created (§5.1)
E_WIT = 6          # witness index, or -1 if not a witness (§5.2)
E_CHAINWIT = 7     # the latest witness among the event's self-ancestors (itself if a witness)
E_RR = 8           # round received (§7.1), 0 = not ordered
E_SELFCHILD = 9    # 1 once some event has this one as self-parent
EV_FIELDS = 10

# -- WI: int64 [capacity, W_FIELDS], one row per witness ---------------------------------
W_EVENT = 0        # the witness's event
W_K = 1            # its index among the witnesses of its round (vote slot)
W_DEC_ROUND = 2    # lowest round holding a decider (§6.4), UNDECIDED if none
W_DECIDER = 3      # the smallest-hash decider of that round (event)
W_FAME = 4         # -1 undecided, 0 not famous, 1 famous
W_OFF = 5          # its strongly-seen previous-round witnesses: WPOOL[W_OFF : W_OFF + W_LEN]
W_LEN = 6
W_NEXT = 7         # next witness of the same round (a linked list per round)
W_FIELDS = 8

# -- RD: int64 [capacity, R_FIELDS], one row per round (row 0 unused) ----------------------
R_HEAD = 0         # first witness of the round (-1: none yet)
R_TAIL = 1
R_COUNT = 2        # witnesses of the round
R_UNDECIDED = 3    # of which undecided
R_ORDER_START = 4  # where the round's received events start in ORDER (once processed)
R_FIELDS = 5

# -- CR: int64 [N, C_FIELDS], one row per member -----------------------------------------
C_STAKE = 0
C_FORKED = 1       # 1 once the member has a fork anywhere in the DAG
C_HAS_EVENT = 2
C_FIELDS = 3

# -- G: int64 [G_FIELDS], scalars ---------------------------------------------------------
G_EVENTS = 0           # events processed
G_WITNESSES = 1
G_MAX_ROUND = 2
G_LDR = 3              # last decided round (§6.5)
G_PROCESSED = 4        # rounds 1 … G_PROCESSED have had their events received (§7)
G_GAP = 5              # largest (decider round - candidate round) ever seen, >= 2
G_KCAP = 6             # vote slots per block (>= witnesses in any round)
G_BLOCKS = 7           # vote blocks in use
G_WPOOL_USED = 8
G_ORDER_LEN = 9
G_STAMP = 10           # graph-search visit stamp
G_ROLLBACK_TO = 11     # pending roll-back of §7 processing to this round, or NO_ROLLBACK
G_ROLLBACKS = 12       # roll-backs done (statistics)
G_UNDECIDED_LIST = 13  # entries in UNDEC
G_TOTAL_STAKE = 14     # S
G_COIN_PERIOD = 15
G_MEMBERS = 16         # N
G_FORKED_MEMBERS = 17
G_EPOCH = 18           # +1 whenever ORDER is cut back (the incremental output rebuilds its order)
G_ERROR = 19           # != 0: an internal invariant broke (see ERROR_*)
G_MUTANT = 20          # deliberate bug switched on (0: none)
G_COIN_VOTES = 21      # votes that were a coin (statistics: shows coin rounds are exercised)
G_FIELDS = 22

ERROR_MISSING_VOTE = 1

MUTANT_TIE_VOTES_FALSE = 1          # §6.2/§12.6 alternative
MUTANT_STRICT_INTERMEDIARIES = 2    # §4.2/§12.2 alternative
MUTANT_LOWER_MEDIAN = 3             # §7.2/§12.14 alternative
MUTANT_NO_WHITENING = 4             # §7.3/§12.15 alternative
MUTANT_COIN_HIGH_BIT = 5            # §6.3/§12.7 alternative


# == §3 ancestry ==========================================================================


@njit(cache=True)
def is_self_ancestor(EV, a, b):
    """§3.2: event ``a`` is a self-ancestor of event ``b`` (both by one member).

    ``a`` must be the event at depth(a) on b's self-parent path; that event is
    found in O(log depth) steps with skew-binary jump pointers (E_JUMP).
    """
    da = EV[a, E_DEPTH]
    if da > EV[b, E_DEPTH]:
        return False
    v = b
    while EV[v, E_DEPTH] > da:
        j = EV[v, E_JUMP]
        if EV[j, E_DEPTH] >= da:
            v = j
        else:
            v = EV[v, E_SP]
    return v == a


@njit(cache=True)
def set_depth_and_jump(EV, x):
    """Depth (self-ancestors - 1) and the jump pointer of x (Myers' skew-binary level ancestors): the
    index :func:`is_self_ancestor` searches to answer §3.2 in O(log depth)."""
    p = EV[x, E_SP]
    if p < 0:
        EV[x, E_DEPTH] = 0
        EV[x, E_JUMP] = x
        return
    EV[x, E_DEPTH] = EV[p, E_DEPTH] + 1
    j1 = EV[p, E_JUMP]
    j2 = EV[j1, E_JUMP]
    if EV[p, E_DEPTH] - EV[j1, E_DEPTH] == EV[j1, E_DEPTH] - EV[j2, E_DEPTH]:
        EV[x, E_JUMP] = j2
    else:
        EV[x, E_JUMP] = p


@njit(cache=True)
def note_fork(EV, CR, G, x):
    """§3.3: mark x's creator as forked (anywhere in the DAG) when x makes a fork.

    x forks iff it is a second parentless event of its creator, or its
    self-parent already has a self-child: the creator's events then stop
    forming one chain.  Before that, depths order them exactly.
    """
    c = EV[x, E_CREATOR]
    p = EV[x, E_SP]
    forks = False
    if p < 0:
        forks = CR[c, C_HAS_EVENT] == 1
    else:
        forks = EV[p, E_SELFCHILD] == 1
        EV[p, E_SELFCHILD] = 1
    CR[c, C_HAS_EVENT] = 1
    if forks and CR[c, C_FORKED] == 0:
        CR[c, C_FORKED] = 1
        G[G_FORKED_MEMBERS] += 1


@njit(cache=True)
def latest_events(EV, LD, LE, CR, G, x):
    """§4.3 "the latest event by c among the ancestors of x" for every member c (the reference's
    ``latest_events``), from the parents' rows.

    Two tops of one member merge into the later one if one is a self-ancestor
    of the other, else they are a fork (FORKED).  For a member that never
    forked, tops are always on its one chain: the deeper one wins (max).
    """
    n = LD.shape[1]
    c_x = EV[x, E_CREATOR]
    p = EV[x, E_SP]
    q = EV[x, E_OP]
    if p < 0:                                  # parentless: only x itself
        for c in range(n):
            LD[x, c] = NONE
            LE[x, c] = NONE
        LD[x, c_x] = EV[x, E_DEPTH]
        LE[x, c_x] = x
        return
    for c in range(n):
        a = LD[p, c]
        b = LD[q, c]
        if a >= b:
            LD[x, c] = a
            LE[x, c] = LE[p, c]
        else:
            LD[x, c] = b
            LE[x, c] = LE[q, c]
    if G[G_FORKED_MEMBERS] > 0:                # exact merge for members with a fork somewhere
        for c in range(n):
            if CR[c, C_FORKED] == 0 or c == c_x:
                continue
            top = merge_tops(EV, np.int64(LE[p, c]), np.int64(LE[q, c]))
            LE[x, c] = top
            LD[x, c] = FK if top == FORKED else (NONE if top == NONE else EV[top, E_DEPTH])
    # x's own creator: x extends the chain iff every earlier event of it below x is a self-ancestor of x.
    if CR[c_x, C_FORKED] == 1:
        below = merge_tops(EV, np.int64(LE[p, c_x]), np.int64(LE[q, c_x]))
    else:
        below = np.int64(LE[x, c_x])
    if below == FORKED or (below != NONE and CR[c_x, C_FORKED] == 1 and not is_self_ancestor(EV, below, p)):
        LE[x, c_x] = FORKED
        LD[x, c_x] = FK
    else:
        LE[x, c_x] = x
        LD[x, c_x] = EV[x, E_DEPTH]


@njit(cache=True)
def merge_tops(EV, a, b):
    """Merge two chain tops of one member (NONE / FORKED / an event), see :func:`latest_events`."""
    if a == FORKED or b == FORKED:
        return FORKED
    if a == NONE:
        return b
    if b == NONE or a == b:
        return a
    if is_self_ancestor(EV, a, b):
        return b
    if is_self_ancestor(EV, b, a):
        return a
    return FORKED


@njit(cache=True, inline="always")
def sees(EV, LD, LE, CR, x, y):
    """§4.1: x sees y — y is an ancestor of x and x's ancestors hold no fork by creator(y)."""
    c = EV[y, E_CREATOR]
    top = LD[x, c]
    if top < 0 or top >= FK:
        return False
    if CR[c, C_FORKED] == 0:
        return top >= EV[y, E_DEPTH]
    return is_self_ancestor(EV, y, np.int64(LE[x, c]))


# == §4.2 strongly seeing, §5 rounds ========================================================


@njit(cache=True)
def strongly_seen(EV, LD, LE, CR, G, x, r, candidate, depth_of, support, out):
    """The round-r witnesses that x strongly sees (§4.2, evaluated per §4.3); returns (count, stake).

    Candidates: x sees a round-r witness only on the chain of a member c with
    no fork below x, and there it is the round-r witness among the
    self-ancestors of c's latest event below x (x itself excluded when x is
    c's latest: x's own round is what §5.1 decides) — at most one per member.
    Intermediaries: for each member c2 with no fork below x, its latest event
    z below x (x itself for x's creator, §12.2); z supports candidate w iff w
    is an ancestor of z.  w is strongly seen iff its supporters hold more
    than 2S/3 of the stake.  The candidates' creators are distinct, so the
    returned stake is the stake of their creator set (§1.3).
    """
    n = LD.shape[1]
    p = EV[x, E_SP]
    total = G[G_TOTAL_STAKE]
    strict = G[G_MUTANT] == MUTANT_STRICT_INTERMEDIARIES
    found = 0
    forked_candidates = False
    for c in range(n):
        candidate[c] = -1
        depth_of[c] = NO_CANDIDATE
        support[c] = 0
        latest = LD[x, c]
        if latest < 0 or latest >= FK:
            continue
        top = np.int64(LE[x, c])
        if top == x:
            top = p
        if top < 0:
            continue
        w = EV[top, E_CHAINWIT]
        while w >= 0 and EV[w, E_ROUND] > r:          # step down to the previous witness of the chain
            s = EV[w, E_SP]
            w = EV[s, E_CHAINWIT] if s >= 0 else -1
        if w < 0 or EV[w, E_ROUND] != r:
            continue
        candidate[c] = w
        found += 1
        if CR[c, C_FORKED] == 0:
            depth_of[c] = EV[w, E_DEPTH]               # w <= z  iff  depth(w) <= LD[z, c]
        else:
            forked_candidates = True
    if found == 0:
        return 0, 0
    for c2 in range(n):
        latest = LD[x, c2]
        if latest < 0 or latest >= FK:
            continue
        z = np.int64(LE[x, c2])
        if strict and z == x:                          # deliberate bug: x is not its own intermediary
            z = p
            if z < 0 or LD[z, c2] < 0 or LD[z, c2] >= FK:
                continue
        stake = CR[c2, C_STAKE]
        for c in range(n):                             # vectorisable: one row of LD against the depths
            if LD[z, c] >= depth_of[c]:
                support[c] += stake
        if forked_candidates:
            for c in range(n):
                if candidate[c] >= 0 and CR[c, C_FORKED] == 1:
                    zz = np.int64(LE[z, c])
                    if zz >= 0 and is_self_ancestor(EV, candidate[c], zz):
                        support[c] += stake
    count = 0
    stake_seen = 0
    for c in range(n):
        if candidate[c] >= 0 and 3 * support[c] > 2 * total:
            out[count] = candidate[c]
            count += 1
            stake_seen += CR[c, C_STAKE]
    return count, stake_seen


@njit(cache=True)
def insert_event(EV, LD, LE, WI, RD, WPOOL, UNDEC, CR, G, x, candidate, depth_of, support, seen):
    """§3-§5 for a new event x: forks, latest events, round (§5.1), witness (§5.2).

    A new witness gets a witness index, a vote slot in its round, and the
    list of previous-round witnesses it strongly sees (its electorate for
    §6.2).  Returns (witness index or -1, WPOOL).
    """
    note_fork(EV, CR, G, x)
    set_depth_and_jump(EV, x)
    latest_events(EV, LD, LE, CR, G, x)
    p = EV[x, E_SP]
    q = EV[x, E_OP]
    total = G[G_TOTAL_STAKE]
    count = 0
    if p < 0:
        rnd = 1                                        # §5.1, §12.4
        witness = True
    else:
        r = max(EV[p, E_ROUND], EV[q, E_ROUND])
        count, stake = strongly_seen(EV, LD, LE, CR, G, x, r, candidate, depth_of, support, seen)
        if 3 * stake > 2 * total:
            rnd = r + 1
            witness = True
        else:
            rnd = r
            witness = EV[p, E_ROUND] < r
            if witness:                                # its electorate: strongly seen round r-1 witnesses
                count, stake = strongly_seen(EV, LD, LE, CR, G, x, r - 1, candidate, depth_of, support, seen)
    EV[x, E_ROUND] = rnd
    EV[x, E_RR] = 0
    if not witness:
        EV[x, E_WIT] = -1
        EV[x, E_CHAINWIT] = EV[p, E_CHAINWIT]
        return -1, WPOOL
    wi = G[G_WITNESSES]
    G[G_WITNESSES] = wi + 1
    EV[x, E_WIT] = wi
    EV[x, E_CHAINWIT] = x
    if rnd > G[G_MAX_ROUND]:
        G[G_MAX_ROUND] = rnd
    k = RD[rnd, R_COUNT]
    RD[rnd, R_COUNT] = k + 1
    RD[rnd, R_UNDECIDED] += 1
    if RD[rnd, R_TAIL] < 0:
        RD[rnd, R_HEAD] = wi
    else:
        WI[RD[rnd, R_TAIL], W_NEXT] = wi
    RD[rnd, R_TAIL] = wi
    WI[wi, W_EVENT] = x
    WI[wi, W_K] = k
    WI[wi, W_DEC_ROUND] = UNDECIDED
    WI[wi, W_DECIDER] = -1
    WI[wi, W_FAME] = -1
    WI[wi, W_NEXT] = -1
    used = G[G_WPOOL_USED]
    if used + count > WPOOL.shape[0]:
        bigger = np.empty(max(2 * WPOOL.shape[0], used + count), np.int64)
        bigger[:used] = WPOOL[:used]
        WPOOL = bigger
    for i in range(count):
        WPOOL[used + i] = EV[seen[i], E_WIT]
    WI[wi, W_OFF] = used
    WI[wi, W_LEN] = count
    G[G_WPOOL_USED] = used + count
    UNDEC[G[G_UNDECIDED_LIST]] = wi
    G[G_UNDECIDED_LIST] += 1
    return wi, WPOOL


# == §6 fame ================================================================================


@njit(cache=True, inline="always")
def hash_less(HS, a, b):
    """Event hash of a < that of b, as big-endian integers (4 big-endian 64-bit words each): the
    tie-breaks of §6.4 (smallest-hash decider) and §7.4 (last key of the order)."""
    for i in range(4):
        if HS[a, i] != HS[b, i]:
            return HS[a, i] < HS[b, i]
    return False


@njit(cache=True, inline="always")
def coin(SG, G, y):
    """§6.3: the least significant bit of signature byte 32 (§12.7) — the top byte of word 4."""
    byte32 = (SG[y, 4] >> np.uint64(56)) & np.uint64(0xFF)
    if G[G_MUTANT] == MUTANT_COIN_HIGH_BIT:
        return (byte32 >> np.uint64(7)) == np.uint64(1)
    return (byte32 & np.uint64(1)) == np.uint64(1)


@njit(cache=True)
def reserve_votes(VBLOCK, VPOOL, G, blocks, rounds_after):
    """Room for ``blocks`` more vote blocks and for blocks up to ``rounds_after`` rounds after a
    candidate's (amortised doubling).  Called once per new witness with upper bounds of what its
    votes can use, so that storing a vote (:func:`store_vote`) never reallocates.  Returns the arrays."""
    if rounds_after >= VBLOCK.shape[1]:
        wider = np.full((VBLOCK.shape[0], max(2 * VBLOCK.shape[1], rounds_after + 1)), -1, np.int64)
        wider[:, :VBLOCK.shape[1]] = VBLOCK
        VBLOCK = wider
    kcap = G[G_KCAP]
    used = G[G_BLOCKS] * kcap
    if used + blocks * kcap > VPOOL.shape[0]:
        bigger = np.empty(max(2 * VPOOL.shape[0], used + blocks * kcap), np.uint8)
        bigger[:used] = VPOOL[:used]
        VPOOL = bigger
    return VBLOCK, VPOOL


@njit(cache=True, inline="always")
def store_vote(VBLOCK, VPOOL, G, c, d, slot, vote):
    """Store the vote about candidate c of the voter in vote slot ``slot``, d rounds after c's round.

    A candidate's votes of one voter round form a block of G_KCAP bytes (255 = not computed),
    allocated on first use in the room :func:`reserve_votes` made."""
    kcap = G[G_KCAP]
    b = VBLOCK[c, d]
    if b < 0:
        b = G[G_BLOCKS]
        G[G_BLOCKS] = b + 1
        VPOOL[b * kcap:(b + 1) * kcap] = 255
        VBLOCK[c, d] = b
    VPOOL[b * kcap + slot] = 1 if vote else 0


@njit(cache=True)
def widen_vote_slots(VPOOL, G, needed):
    """Re-lay the vote blocks with room for ``needed`` witnesses in one round (forks can exceed N)."""
    old = G[G_KCAP]
    new = old
    while new < needed:
        new *= 2
    blocks = G[G_BLOCKS]
    bigger = np.full(max(blocks, 1) * new * 2, 255, np.uint8)
    for b in range(blocks):
        bigger[b * new:b * new + old] = VPOOL[b * old:(b + 1) * old]
    G[G_KCAP] = new
    return bigger


@njit(cache=True, inline="always")
def load_electorate(EV, WI, WPOOL, CR, y, slots, stakes):
    """The witnesses voter y strongly sees in the previous round (§6.2 "W"): their vote slots and
    stakes; returns (count, total stake)."""
    off = WI[y, W_OFF]
    count = WI[y, W_LEN]
    total = 0
    for i in range(count):
        w = WPOOL[off + i]
        slots[i] = WI[w, W_K]
        s = CR[EV[WI[w, W_EVENT], E_CREATOR], C_STAKE]
        stakes[i] = s
        total += s
    return count, total


@njit(cache=True, inline="always")
def decide(EV, HS, WI, RD, G, c, y, value, j):
    """§6.4: witness y (round j) decides candidate c with ``value``.

    The lowest round holding a decider counts; within it the decider with the
    smallest hash (§12.16).  A change of famous/not famous in a round whose
    events were already received schedules a roll-back (:func:`advance_order`).
    """
    r = EV[WI[c, W_EVENT], E_ROUND]
    old_round = WI[c, W_DEC_ROUND]
    old_fame = WI[c, W_FAME]
    fame = 1 if value else 0
    if j < old_round:
        if old_round == UNDECIDED:
            RD[r, R_UNDECIDED] -= 1
        WI[c, W_DEC_ROUND] = j
        WI[c, W_DECIDER] = y
        WI[c, W_FAME] = fame
        if j - r > G[G_GAP]:
            G[G_GAP] = j - r
    elif j == old_round and hash_less(HS, y, WI[c, W_DECIDER]):
        WI[c, W_DECIDER] = y
        WI[c, W_FAME] = fame
    if (old_fame == 1) != (WI[c, W_FAME] == 1) and r <= G[G_PROCESSED]:
        G[G_ROLLBACK_TO] = min(G[G_ROLLBACK_TO], r - 1)


@njit(cache=True, inline="always")
def cast_vote(EV, LD, LE, HS, SG, WI, RD, VBLOCK, VPOOL, CR, G, y, c, slots, stakes, count, total):
    """§6.2: the vote of witness y (voter index) about witness c (candidate index) of an earlier round,
    and y's decision (§6.4) if it makes one.  (slots, stakes, count, total) is y's electorate.

    The vote is stored only while a later voter may need it: voters of round
    j + 1 tally round-j votes, and only rounds up to the lowest deciding round
    can still change c's fame.
    """
    ye = WI[y, W_EVENT]
    ce = WI[c, W_EVENT]
    j = EV[ye, E_ROUND]
    d = j - EV[ce, E_ROUND]
    s_total = G[G_TOTAL_STAKE]
    if d == 1:
        vote = sees(EV, LD, LE, CR, ye, ce)            # sees, not strongly sees (§12.5)
    else:
        b = VBLOCK[c, d - 1]
        yes = 0
        if b < 0:
            G[G_ERROR] = ERROR_MISSING_VOTE
        else:
            base = b * G[G_KCAP]
            for i in range(count):
                v = VPOOL[base + slots[i]]
                if v == 1:
                    yes += stakes[i]
                elif v != 0:
                    G[G_ERROR] = ERROR_MISSING_VOTE
        no = total - yes
        if G[G_MUTANT] == MUTANT_TIE_VOTES_FALSE:
            majority = yes > no
        else:
            majority = yes >= no                       # a tie votes TRUE (§12.6)
        t = max(yes, no)
        if d % G[G_COIN_PERIOD] == 0:                  # coin round: never decides
            if 3 * t > 2 * s_total:
                vote = majority
            else:
                vote = coin(SG, G, ye)
                G[G_COIN_VOTES] += 1
        else:
            vote = majority
            if 3 * t > 2 * s_total:
                decide(EV, HS, WI, RD, G, c, ye, majority, j)
    if j < WI[c, W_DEC_ROUND]:
        store_vote(VBLOCK, VPOOL, G, c, d, WI[y, W_K], vote)


@njit(cache=True)
def elect(EV, LD, LE, HS, SG, WI, RD, WPOOL, VBLOCK, VPOOL, UNDEC, CR, G, wi, slots, stakes):
    """§6 for a new witness wi: its votes and decisions as a voter, and the votes about it as a candidate.

    As a candidate (it may arrive after witnesses of later rounds): every
    existing later witness votes about it, round by round, up to its lowest
    deciding round.  As a voter (round j): every earlier witness c whose
    lowest deciding round is still >= j.  Such a c is undecided, or decided
    at most G_GAP rounds after its own, so only rounds j - G_GAP … j - 1 and
    the list of undecided witnesses are scanned.
    """
    x = WI[wi, W_EVENT]
    j = EV[x, E_ROUND]
    top = G[G_MAX_ROUND]
    low = max(1, j - G[G_GAP])
    # Upper bounds of the vote blocks this witness's votes can allocate (one per vote at most) and of
    # their distance in rounds from the candidate's round; reserved once, so storing never reallocates.
    blocks = G[G_UNDECIDED_LIST]
    for r in range(low, top + 1):
        blocks += RD[r, R_COUNT]
    lowest = low
    for i in range(G[G_UNDECIDED_LIST]):
        lowest = min(lowest, EV[WI[UNDEC[i], W_EVENT], E_ROUND])
    VBLOCK, VPOOL = reserve_votes(VBLOCK, VPOOL, G, blocks, max(top - j, j - lowest) + 1)
    jj = j + 1
    while jj <= top and jj <= WI[wi, W_DEC_ROUND]:
        v = RD[jj, R_HEAD]
        while v >= 0:
            count, total = load_electorate(EV, WI, WPOOL, CR, v, slots, stakes)
            cast_vote(EV, LD, LE, HS, SG, WI, RD, VBLOCK, VPOOL, CR, G, v, wi, slots, stakes, count, total)
            v = WI[v, W_NEXT]
        jj += 1
    if j < 2:
        return VBLOCK, VPOOL
    count, total = load_electorate(EV, WI, WPOOL, CR, wi, slots, stakes)
    for r in range(low, j):
        c = RD[r, R_HEAD]
        while c >= 0:
            if WI[c, W_DEC_ROUND] >= j:
                cast_vote(EV, LD, LE, HS, SG, WI, RD, VBLOCK, VPOOL, CR, G, wi, c, slots, stakes, count, total)
            c = WI[c, W_NEXT]
    kept = 0                                           # undecided witnesses below the scanned rounds
    for i in range(G[G_UNDECIDED_LIST]):
        c = UNDEC[i]
        if WI[c, W_FAME] != -1:
            continue
        UNDEC[kept] = c
        kept += 1
        if EV[WI[c, W_EVENT], E_ROUND] < low:
            cast_vote(EV, LD, LE, HS, SG, WI, RD, VBLOCK, VPOOL, CR, G, wi, c, slots, stakes, count, total)
    G[G_UNDECIDED_LIST] = kept
    return VBLOCK, VPOOL


# == §6.5-§7 round received, timestamp, order ================================================


@njit(cache=True)
def unique_famous_witnesses(EV, WI, RD, r, per_member, out):
    """§6.6: the famous witnesses of round r whose creator has no other famous witness there."""
    v = RD[r, R_HEAD]
    while v >= 0:
        if WI[v, W_FAME] == 1:
            per_member[EV[WI[v, W_EVENT], E_CREATOR]] += 1
        v = WI[v, W_NEXT]
    count = 0
    v = RD[r, R_HEAD]
    while v >= 0:
        e = WI[v, W_EVENT]
        if WI[v, W_FAME] == 1 and per_member[EV[e, E_CREATOR]] == 1:
            out[count] = e
            count += 1
        v = WI[v, W_NEXT]
    v = RD[r, R_HEAD]
    while v >= 0:
        per_member[EV[WI[v, W_EVENT], E_CREATOR]] = 0
        v = WI[v, W_NEXT]
    return count


@njit(cache=True)
def upper_median(values, count, lower):
    """§7.2: element count/2 (0-based) of the sorted values (§12.14); insertion sort, count is small."""
    for i in range(1, count):
        v = values[i]
        k = i - 1
        while k >= 0 and values[k] > v:
            values[k + 1] = values[k]
            k -= 1
        values[k + 1] = v
    return values[(count - 1) // 2] if lower else values[count // 2]


@njit(cache=True)
def order_less(CTS, HS, SG, whitening, a, b):
    """§7.4: (consensus timestamp, whitened signature, hash) of a < that of b (same round received).

    Signatures and hashes are big-endian 64-bit words, so comparing the words
    in turn compares the big-endian integers (§12.15)."""
    if CTS[a] != CTS[b]:
        return CTS[a] < CTS[b]
    for i in range(8):
        wa = SG[a, i] ^ whitening[i]
        wb = SG[b, i] ^ whitening[i]
        if wa != wb:
            return wa < wb
    return hash_less(HS, a, b)


@njit(cache=True)
def sort_received(items, count, CTS, HS, SG, whitening):
    """Stable bottom-up merge sort of items[:count] by :func:`order_less`."""
    buffer = np.empty(count, np.int64)
    width = 1
    source = items
    target = buffer
    while width < count:
        for lo in range(0, count, 2 * width):
            mid = min(lo + width, count)
            hi = min(lo + 2 * width, count)
            i, k, o = lo, mid, lo
            while i < mid and k < hi:
                if order_less(CTS, HS, SG, whitening, source[k], source[i]):
                    target[o] = source[k]
                    k += 1
                else:
                    target[o] = source[i]
                    i += 1
                o += 1
            while i < mid:
                target[o] = source[i]
                i += 1
                o += 1
            while k < hi:
                target[o] = source[k]
                k += 1
                o += 1
        source, target = target, source
        width *= 2
    if source is not items:
        items[:count] = source[:count]


@njit(cache=True)
def receive_round(EV, TS, CTS, HS, SG, RD, ORDER, MARK, SLOT, CR, G, WI, r):
    """§7.1-§7.4 for round r, once rounds 1 … r are decided (§6.5) and rounds < r processed.

    The events received in round r are the not-yet-received events that are
    ancestors of every unique famous witness w of round r (none if there is
    no unique famous witness, §12.13).  For each w, a search over parents
    from w's self-ancestors, lowest first, visits each not-yet-received
    ancestor x once and records the timestamp of the first self-ancestor of
    w that reaches it — the earliest self-ancestor of w having x as an
    ancestor (§7.2).  The search stops at received events: their ancestors
    are received too (round received never decreases from child to parent),
    and everything below an already-visited event was visited with it.
    """
    RD[r, R_ORDER_START] = G[G_ORDER_LEN]
    n_members = CR.shape[0]
    per_member = np.zeros(n_members, np.int64)
    ufw = np.empty(RD[r, R_COUNT], np.int64)
    nu = unique_famous_witnesses(EV, WI, RD, r, per_member, ufw)
    if nu == 0:
        return
    capacity = EV.shape[0]
    stack = np.empty(capacity, np.int64)
    chain = np.empty(capacity, np.int64)
    touched = np.empty(capacity, np.int64)
    first_ts = np.empty(capacity, np.uint64)
    hits = np.empty(0, np.int64)
    stamps = np.empty((0, nu), np.uint64)
    ntouched = 0
    for t in range(nu):
        stamp = G[G_STAMP] + 1
        G[G_STAMP] = stamp
        m = 0
        s = ufw[t]
        while s >= 0 and EV[s, E_RR] == 0:
            chain[m] = s
            m += 1
            s = EV[s, E_SP]
        for i in range(m - 1, -1, -1):                 # w's self-ancestors, lowest first
            si = chain[i]
            ts = TS[si]
            MARK[si] = stamp
            stack[0] = si
            top = 1
            while top > 0:
                top -= 1
                v = stack[top]
                if t == 0:
                    SLOT[v] = ntouched
                    touched[ntouched] = v
                    first_ts[ntouched] = ts
                    ntouched += 1
                else:
                    slot = SLOT[v]
                    if slot >= 0 and hits[slot] == t:
                        hits[slot] = t + 1
                        stamps[slot, t] = ts
                for parent in (EV[v, E_SP], EV[v, E_OP]):
                    if parent >= 0 and EV[parent, E_RR] == 0 and MARK[parent] != stamp:
                        MARK[parent] = stamp
                        stack[top] = parent
                        top += 1
        if t == 0:
            hits = np.ones(ntouched, np.int64)
            stamps = np.empty((ntouched, nu), np.uint64)
            for slot in range(ntouched):
                stamps[slot, 0] = first_ts[slot]
    lower = G[G_MUTANT] == MUTANT_LOWER_MEDIAN
    received = np.empty(ntouched, np.int64)
    count = 0
    for slot in range(ntouched):
        v = touched[slot]
        SLOT[v] = -1
        if hits[slot] == nu:
            EV[v, E_RR] = r
            CTS[v] = upper_median(stamps[slot], nu, lower)
            received[count] = v
            count += 1
    whitening = np.zeros(8, np.uint64)                 # §7.3: XOR of the unique famous witnesses' signatures
    if G[G_MUTANT] != MUTANT_NO_WHITENING:
        for t in range(nu):
            for i in range(8):
                whitening[i] ^= SG[ufw[t], i]
    sort_received(received, np.int64(count), CTS, HS, SG, whitening)
    start = G[G_ORDER_LEN]
    ORDER[start:start + count] = received[:count]
    G[G_ORDER_LEN] = start + count


@njit(cache=True)
def roll_back(EV, CTS, RD, ORDER, G, q):
    """Undo §7 for rounds q+1 … G_PROCESSED: their events become unreceived again."""
    start = RD[q + 1, R_ORDER_START]
    for i in range(start, G[G_ORDER_LEN]):
        v = ORDER[i]
        EV[v, E_RR] = 0
        CTS[v] = 0
    G[G_ORDER_LEN] = start
    G[G_PROCESSED] = q
    G[G_ROLLBACKS] += 1
    G[G_EPOCH] += 1


@njit(cache=True)
def advance_order(EV, TS, CTS, HS, SG, WI, RD, ORDER, MARK, SLOT, CR, G):
    """§6.5: move the last decided round up; §7: process the decided rounds not yet processed.

    Roll back first if fame changed in a processed round (scheduled by
    :func:`decide` / :func:`process`) or if the last decided round fell below
    the processed rounds.
    """
    ldr = G[G_LDR]
    while ldr < G[G_MAX_ROUND] and RD[ldr + 1, R_UNDECIDED] == 0:
        ldr += 1
    G[G_LDR] = ldr
    target = min(G[G_ROLLBACK_TO], ldr)
    if target < G[G_PROCESSED]:
        roll_back(EV, CTS, RD, ORDER, G, target)
    G[G_ROLLBACK_TO] = NO_ROLLBACK
    while G[G_PROCESSED] < ldr:
        receive_round(EV, TS, CTS, HS, SG, RD, ORDER, MARK, SLOT, CR, G, WI, G[G_PROCESSED] + 1)
        G[G_PROCESSED] += 1


# == the entry point ==========================================================================


@njit(cache=True)
def process(EV, TS, CTS, HS, SG, LD, LE, WI, RD, VBLOCK, VPOOL, WPOOL, UNDEC, ORDER, MARK, SLOT, CR, G,
            start, end, order_each):
    """Add events start … end-1 (inputs already in EV/TS/HS/SG) and bring the §8.1 output up to date.

    ``order_each``: advance §7 after every event (incremental use; exercises
    the roll-back path) or once at the end (batch).  Returns the arrays that
    may have been reallocated: (VBLOCK, VPOOL, WPOOL).
    """
    n = LD.shape[1]
    candidate = np.empty(n, np.int64)
    depth_of = np.empty(n, np.int32)
    support = np.empty(n, np.int64)
    seen = np.empty(n, np.int64)
    slots = np.empty(n, np.int64)
    stakes = np.empty(n, np.int64)
    for x in range(start, end):
        wi, WPOOL = insert_event(EV, LD, LE, WI, RD, WPOOL, UNDEC, CR, G, x, candidate, depth_of, support, seen)
        if wi >= 0:
            rnd = EV[x, E_ROUND]
            if RD[rnd, R_COUNT] > G[G_KCAP]:
                VPOOL = widen_vote_slots(VPOOL, G, RD[rnd, R_COUNT])
            VBLOCK, VPOOL = elect(EV, LD, LE, HS, SG, WI, RD, WPOOL, VBLOCK, VPOOL, UNDEC, CR, G, wi,
                                  slots, stakes)
            if WI[wi, W_FAME] == -1 and rnd <= G[G_LDR]:
                G[G_LDR] = rnd - 1                     # a new undecided witness in a decided round
            if WI[wi, W_FAME] == 1 and rnd <= G[G_PROCESSED]:
                G[G_ROLLBACK_TO] = min(G[G_ROLLBACK_TO], rnd - 1)
        G[G_EVENTS] = x + 1
        if order_each:
            advance_order(EV, TS, CTS, HS, SG, WI, RD, ORDER, MARK, SLOT, CR, G)
    if not order_each:
        advance_order(EV, TS, CTS, HS, SG, WI, RD, ORDER, MARK, SLOT, CR, G)
    return VBLOCK, VPOOL, WPOOL

"""Reference vs fast hashgraph, one event at a time (a Hypothesis state machine), and §11.3 agreement.

Why a state machine rather than replaying simulator runs: Hypothesis picks
who syncs to whom, when a forker forks and to whom it shows the other side,
the timestamps (liars included) and the coin bits, and shrinks a difference
to a short gossip program.  After *every* event it checks that the fast
incremental output equals the reference incremental output (spec/abft.md
§8.2: the output of the DAG so far), and at the end that the fast *batch*
output of the final DAG equals both.

The gossip follows §10.1: member ``b`` learns everything member ``a`` knows,
then creates an event on its own latest event and ``a``'s latest event.
Stakes are unequal; the forking members hold less than a third of the
stake (the honest setting of §11; DAGs beyond it are covered by
``tests/abft/test_abft_fast_forks.py``).  A forker may create two events on
one self-parent and show the second to another member, continue on either
side, or start a new parentless branch.  Signatures are synthetic (the DAG
is built without signature checks, §9.3), with the coin bit (§6.3) drawn
separately so that coin rounds go both ways.

Hypothesis is a test dependency: import this module only from tests and
from ``altledger fuzz``.
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any, Mapping

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from altledger.fast.abft import backend as fast
from altledger.fast.abft import kernels
from altledger.reference.abft import consensus as reference
from altledger.reference.abft.dag import Member
from altledger.reference.encoding import Event

MAX_MEMBERS = 4
# Past this many events rules stop adding: the reference recomputes fame and order over the whole DAG at
# every comparison, so a longer program (``altledger fuzz`` runs 100 rules) would cost O(events²).
MAX_EVENTS = 250


# -- readable differences ----------------------------------------------------------------


def output_difference(expected: Mapping[str, Any], actual: Mapping[str, Any], limit: int = 8) -> str:
    """What differs between two §8.1 outputs (reference first), one line per difference."""
    lines = []
    if expected["last_decided_round"] != actual["last_decided_round"]:
        lines.append(f"last_decided_round: reference {expected['last_decided_round']}, "
                     f"fast {actual['last_decided_round']}")
    labels = list(expected["events"]) + [x for x in actual["events"] if x not in expected["events"]]
    for label in labels:
        want, got = expected["events"].get(label), actual["events"].get(label)
        if want == got:
            continue
        if want is None or got is None:
            lines.append(f"event {label}: only in {'fast' if want is None else 'reference'}")
            continue
        fields = [f"{key} reference {json.dumps(want[key])} fast {json.dumps(got.get(key))}"
                  for key in want if want[key] != got.get(key)]
        lines.append(f"event {label}: " + "; ".join(fields))
    if expected["order"] != actual["order"]:
        a, b = expected["order"], actual["order"]
        i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        lines.append(f"order differs from position {i}: reference {a[i:i + 5]} (of {len(a)}), "
                     f"fast {b[i:i + 5]} (of {len(b)})")
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(f"... and {len(lines) - limit} more differences")
    return "\n".join(shown)


# -- §11.3 agreement ---------------------------------------------------------------------


def agreement_problems(outputs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """spec/abft.md §11.3 between every pair of members' outputs (member -> §8.1 output of its view).

    A witness decided in both views has the same fame; an event ordered in
    both has the same round received and consensus timestamp; one total
    order is a prefix of the other.
    """
    problems = []
    names = sorted(outputs)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            oa, ob = outputs[a], outputs[b]
            shorter, longer = sorted((oa["order"], ob["order"]), key=len)
            if longer[:len(shorter)] != shorter:
                at = next(k for k, (x, y) in enumerate(zip(shorter, longer)) if x != y)
                problems.append(f"{a}/{b}: neither total order is a prefix of the other (they differ at "
                                f"position {at}: {oa['order'][at]} / {ob['order'][at]})")
            for x in oa["events"].keys() & ob["events"].keys():
                ea, eb = oa["events"][x], ob["events"][x]
                if ea["famous"] is not None and eb["famous"] is not None and ea["famous"] != eb["famous"]:
                    problems.append(f"{a}/{b}: {x} is {'famous' if ea['famous'] else 'not famous'} for {a}, "
                                    f"{'famous' if eb['famous'] else 'not famous'} for {b}")
                if ea["round_received"] is not None and eb["round_received"] is not None and \
                        (ea["round_received"], ea["consensus_timestamp"]) != \
                        (eb["round_received"], eb["consensus_timestamp"]):
                    problems.append(f"{a}/{b}: {x} received in round {ea['round_received']} at "
                                    f"{ea['consensus_timestamp']} for {a}, round {eb['round_received']} at "
                                    f"{eb['consensus_timestamp']} for {b}")
    return problems


# -- the state machine ---------------------------------------------------------------------


def synthetic_signature(seed: int, coin: bool, label: str) -> bytes:
    """64 pseudo-random bytes from ``seed`` and the event's label (so no two events are equal), with the
    coin bit (byte 32's lowest bit, §6.3) set to ``coin``."""
    raw = bytearray(hashlib.blake2b(seed.to_bytes(8, "big") + label.encode(), digest_size=64).digest())
    raw[32] = (raw[32] & 0xFE) | int(coin)
    return bytes(raw)


@st.composite
def memberships(draw: Any) -> tuple[list[int], list[int], int]:
    """(stakes, forkers, coin_period): 2-4 members (mostly 4), stakes 1-4, and usually one or two
    forkers — the members of least stake, as long as together they hold < S/3."""
    n = draw(st.sampled_from([2, 3, 4, 4, 4]), label="members")
    stakes = draw(st.lists(st.integers(1, 4), min_size=n, max_size=n), label="stakes")
    wanted = draw(st.sampled_from([0, 1, 1, 2]), label="forkers wanted")
    forkers, held = [], 0
    for i in sorted(range(n), key=stakes.__getitem__)[:wanted]:
        if 3 * (held + stakes[i]) < sum(stakes):
            forkers.append(i)
            held += stakes[i]
    coin_period = draw(st.sampled_from([3, 3, 4, 10]), label="coin_period")
    return stakes, sorted(forkers), coin_period


class GossipMachine(RuleBasedStateMachine):
    """Reference and fast incremental consensus fed the same gossip DAG (see the module docstring)."""

    runs = 0              # machines started in this process (`altledger fuzz` reports it)

    def __init__(self) -> None:
        super().__init__()
        type(self).runs += 1
        self.ref: reference.IncrementalConsensus | None = None
        self.fast: fast.IncrementalConsensus | None = None
        self.broken = False

    # -- set-up -------------------------------------------------------------------------

    @initialize(membership=memberships(), first_signatures=st.integers(0, 2 ** 32))
    def setup(self, membership: tuple[list[int], list[int], int], first_signatures: int) -> None:
        stakes, forkers, coin_period = membership
        self.members = [Member(f"m{i}", bytes([i + 1]) * 32, s) for i, s in enumerate(stakes)]
        self.forkers = forkers
        self.ref = reference.IncrementalConsensus(self.members, coin_period)
        self.fast = fast.IncrementalConsensus(self.members, coin_period)
        self.known: list[set[bytes]] = [set() for _ in self.members]
        self.latest: list[bytes | None] = [None] * len(self.members)
        self.created = [0] * len(self.members)
        self.clock = 0
        self.shown: dict[int, bytes] = {}      # member -> the fork side it was last shown (not yet built on)
        for i in range(len(self.members)):            # every member's parentless first event (§10.1)
            self.create(i, None, None, (first_signatures + i, bool(i % 2)))

    # -- helpers ------------------------------------------------------------------------

    def timestamp(self, member: int, lie: int) -> int:
        """Honest members read the clock; forkers add a lie (§12.12: timestamps are not validated)."""
        return max(0, self.clock + lie) if member in self.forkers else self.clock

    def full(self) -> bool:
        return len(self.ref.dag) >= MAX_EVENTS

    def create(self, member: int, self_parent: bytes | None, other_parent: bytes | None,
               signature: tuple[int, bool], lie: int = 0) -> bytes:
        """Add member's next event to both implementations; ``signature`` = (seed, coin bit)."""
        self.created[member] += 1
        label = f"m{member}.{self.created[member]}"
        event = Event(creator=self.members[member].public_key, self_parent=self_parent,
                      other_parent=other_parent, timestamp=self.timestamp(member, lie), shard=0,
                      transactions=(), signature=synthetic_signature(*signature, label))
        event_hash = self.ref.add(event, label, check_signature=False)
        assert self.fast.add(event, label, check_signature=False) == event_hash
        self.known[member].add(event_hash)
        if self.latest[member] is None:
            self.latest[member] = event_hash
        self.compare(f"after adding {label}")
        return event_hash

    def compare(self, when: str) -> None:
        expected, actual = self.ref.output(), self.fast.output()
        if expected != actual:
            self.broken = True          # teardown must not mask this failure with its own
            raise AssertionError(f"reference and fast differ {when}:\n" + output_difference(expected, actual))

    def show(self, member: int, event_hash: bytes) -> None:
        """``member`` learns ``event_hash`` and its ancestors (parents first, as gossip delivers)."""
        dag = self.ref.dag
        stack, seen = [event_hash], set()
        while stack:
            x = stack.pop()
            if x in seen or x in self.known[member]:
                continue
            seen.add(x)
            stack.extend(p for p in (dag.event(x).self_parent, dag.event(x).other_parent) if p is not None)
        self.known[member] |= seen
        self.shown[member] = event_hash

    # -- gossip (§10.1) ---------------------------------------------------------------------

    def other_parent_for(self, b: int, a: int, pick: int | None) -> bytes:
        """a's latest event, or (``pick``) any event b knows by another member: an older one, or the
        side of a fork b was shown — this is how forks end up below later events."""
        if pick is None:
            return self.latest[a]
        dag = self.ref.dag
        others = sorted((x for x in self.known[b] if dag.event(x).creator != self.members[b].public_key),
                        key=dag.position.__getitem__)
        return others[pick % len(others)]

    def pair(self, a: int, b: int) -> tuple[int, int]:
        n = len(self.members)
        a, b = a % n, b % n
        return (a, (b + 1) % n) if a == b else (a, b)

    @rule(a=st.integers(0, MAX_MEMBERS - 1), b=st.integers(0, MAX_MEMBERS - 1),
          pick=st.none() | st.integers(0, 2 ** 16), tick=st.integers(0, 5), lie=st.integers(-8, 8),
          signature=st.integers(0, 2 ** 32), coin=st.booleans())
    def sync(self, a: int, b: int, pick: int | None, tick: int, lie: int, signature: int, coin: bool) -> None:
        """a syncs to b (b learns all a knows); b creates an event on its latest event and an event of
        another member (§10.1)."""
        if self.full():
            return
        a, b = self.pair(a, b)
        self.known[b] |= self.known[a]
        self.clock += tick
        self.latest[b] = self.create(b, self.latest[b], self.other_parent_for(b, a, pick), (signature, coin), lie)

    @rule(which=st.integers(0, MAX_MEMBERS - 1), a=st.integers(0, MAX_MEMBERS - 1),
          shown_to=st.integers(0, MAX_MEMBERS - 1), switch=st.booleans(),
          lies=st.tuples(st.integers(-8, 8), st.integers(-8, 8)),
          signatures=st.tuples(st.integers(0, 2 ** 32), st.integers(0, 2 ** 32)),
          coins=st.tuples(st.booleans(), st.booleans()))
    def fork(self, which: int, a: int, shown_to: int, switch: bool, lies: tuple[int, int],
             signatures: tuple[int, int], coins: tuple[bool, bool]) -> None:
        """A forker b, synced by a, creates two events on one self-parent (§3.3) and shows the second to
        ``shown_to``; it goes on from the first, or from the second if ``switch``.  (Without forkers:
        an ordinary sync.)"""
        if not self.forkers or self.full():
            self.sync(a, which, None, 1, lies[0], signatures[0], coins[0])
            return
        b = self.forkers[which % len(self.forkers)]
        a, _ = self.pair(a, b)
        a = a if a != b else (a + 1) % len(self.members)
        self.known[b] |= self.known[a]
        self.clock += 1
        parents = (self.latest[b], self.latest[a])
        first = self.create(b, *parents, (signatures[0], coins[0]), lies[0])
        second = self.create(b, *parents, (signatures[1], coins[1]), lies[1])
        self.show(self.pair(shown_to, b)[0] if shown_to % len(self.members) != b else (b + 1) % len(self.members),
                  second)
        self.latest[b] = second if switch else first

    @rule(which=st.integers(0, MAX_MEMBERS - 1), shown_to=st.integers(0, MAX_MEMBERS - 1),
          signature=st.integers(0, 2 ** 32), coin=st.booleans())
    def parentless_fork(self, which: int, shown_to: int, signature: int, coin: bool) -> None:
        """A forker creates another parentless event (a fork with all its events) and shows it."""
        if not self.forkers or self.full():
            return
        b = self.forkers[which % len(self.forkers)]
        event_hash = self.create(b, None, None, (signature, coin))
        witness = shown_to % len(self.members)
        self.show(witness if witness != b else (witness + 1) % len(self.members), event_hash)

    @rule(seed=st.integers(0, 2 ** 32), syncs=st.integers(1, 16))
    def gossip_burst(self, seed: int, syncs: int) -> None:
        """Several random syncs at once (from ``seed``), so that rounds get decided within a short
        program; the other-parent is usually the sender's latest event, sometimes an older one or the
        fork side the creator was shown, and a forker sometimes forks as in :meth:`fork`."""
        rng = random.Random(seed)
        n = len(self.members)
        for _ in range(syncs):
            if self.full():
                return
            a, b = rng.sample(range(n), 2)
            self.known[b] |= self.known[a]
            if b in self.shown and rng.random() < 0.5:            # build on the fork side b was shown
                other = self.shown.pop(b)
            else:
                other = self.other_parent_for(b, a, rng.getrandbits(16) if rng.random() < 0.15 else None)
            self.clock += rng.randint(0, 4)
            parents = (self.latest[b], other)
            self.latest[b] = self.create(b, *parents, (rng.getrandbits(32), rng.random() < 0.5), rng.randint(-8, 8))
            if b in self.forkers and rng.random() < 0.3:          # the other side of a fork, shown to one member
                second = self.create(b, *parents, (rng.getrandbits(32), rng.random() < 0.5), rng.randint(-8, 8))
                self.show(rng.choice([m for m in range(n) if m != b]), second)
                if rng.random() < 0.3:
                    self.latest[b] = second

    # -- the end ------------------------------------------------------------------------

    def teardown(self) -> None:
        if self.ref is None or self.broken:
            return
        expected = reference.consensus_output(self.ref.dag)
        batch = fast.consensus_output(self.ref.dag)
        assert expected == batch, "fast batch differs from the reference:\n" + output_difference(expected, batch)
        incremental = self.fast.output()
        assert incremental == batch, ("fast incremental differs from fast batch:\n"
                                      + output_difference(batch, incremental))
        # What the run exercised (pytest --hypothesis-show-statistics).
        event(f"events ordered: {'some' if batch['order'] else 'none'}")
        event(f"DAG size: {'< 20' if len(self.ref.dag) < 20 else '20-59' if len(self.ref.dag) < 60 else '>= 60'}")
        event(f"coin votes: {'some' if self.fast.coin_votes else 'none'}")
        event(f"forked members: {self.fast.forked_members}")
        event(f"roll-backs of §7 (expected none below S/3): {self.fast.rollbacks}")
        state = self.fast.state
        event(f"an event has a fork below it: {bool((state.LD[:state.n] == kernels.FK).any())}")

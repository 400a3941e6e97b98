"""Seeded adversarial gossip: a network partition bridged by forking members (spec/abft.md §11.3).

Why: §11.3 promises agreement between honest members only while the
forking (Byzantine) members hold less than a third of the stake.  A checker
of agreement is only worth something if it *can* fail; the simulator's
forkers (:mod:`altledger.reference.abft.simulate`) show the second side of a
fork to one member and never build on it, which does not break agreement
even above a third.  This run does what a real attacker would:

* the honest members are split into two sides that never talk to each
  other (a partition) until ``heal_after`` syncs, if ever;
* every forking member runs one *persona* per side — one chain of events
  per side, forked from its first event — and gossips with that side only.

If forkers + one side hold a supermajority for *each* side (possible only
when the forkers hold at least S/3), both sides decide rounds and order
events without ever seeing the other side: their total orders disagree.
With forkers below S/3 at most one side can progress, and after the
partition heals the views must agree.

Events are real §E events with synthetic signatures (no signature checks,
§9.3); timestamps come from one forward-moving clock.  Everything is a
function of the arguments and ``seed``.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Sequence

from altledger.reference.abft.dag import Dag, Member
from altledger.reference.encoding import Event


@dataclass
class PartitionRun:
    """The whole DAG and, per honest member, the events it knew after each sync (parents first)."""

    dag: Dag
    honest: list[str]
    forkers: list[str]
    learnt: dict[str, list[bytes]]                 # honest member -> events in the order it learnt them
    known_after: dict[str, list[int]]              # honest member -> len(learnt) after each sync step

    def view(self, member: str, step: int | None = None) -> Dag:
        """The DAG ``member`` knew after sync ``step`` (the end if None); closed under parents."""
        count = len(self.learnt[member]) if step is None else self.known_after[member][step]
        return self.dag.reordered(self.learnt[member][:count])


def partition_run(stakes: Sequence[int], forkers: int, side_a: Sequence[int], syncs: int, seed: int,
                  heal_after: int | None = None, coin_period: int = 10) -> PartitionRun:
    """Members m0 … are given ``stakes``; m0 … m{forkers-1} fork; the honest members in ``side_a`` form
    one side, the other honest members the other side (see the module docstring)."""
    rng = random.Random(seed)
    n = len(stakes)
    names = [f"m{i}" for i in range(n)]
    keys = [hashlib.blake2b(f"partition member {i}".encode(), digest_size=32).digest() for i in range(n)]
    dag = Dag([Member(names[i], keys[i], stakes[i]) for i in range(n)], coin_period, "partition")
    honest = list(range(forkers, n))
    sides = [[m for m in honest if m in side_a], [m for m in honest if m not in side_a]]
    # Participants are (member, side): an honest member has one, a forker one persona per side.
    participants = [(m, s) for s in (0, 1) for m in range(forkers)] + [(m, s) for s in (0, 1) for m in sides[s]]
    known: dict[tuple[int, int], set[bytes]] = {p: set() for p in participants}
    latest: dict[tuple[int, int], bytes] = {}
    learnt: dict[int, list[bytes]] = {m: [] for m in honest}
    known_after: dict[int, list[int]] = {m: [] for m in honest}
    created = [0] * n
    clock = [0]

    def create(member: int, self_parent: bytes | None, other_parent: bytes | None) -> bytes:
        created[member] += 1
        label = f"{names[member]}.{created[member]}"
        clock[0] += rng.randint(1, 5)
        event = Event(creator=keys[member], self_parent=self_parent, other_parent=other_parent,
                      timestamp=clock[0], shard=0, transactions=(),
                      signature=hashlib.blake2b(f"{seed}/{label}".encode(), digest_size=64).digest())
        return dag.add(event, label, check_signature=False)

    def learn(p: tuple[int, int], events: set[bytes]) -> None:
        new = sorted(events - known[p], key=dag.position.__getitem__)
        known[p] |= set(new)
        if p[0] >= forkers:
            learnt[p[0]].extend(new)

    for m in range(n):                                  # first events; a forker's personas share theirs
        first = create(m, None, None)
        for s in (0, 1):
            if (m, s) in known:
                learn((m, s), {first})
                latest[(m, s)] = first
    for step in range(syncs):
        if heal_after is not None and step >= heal_after:
            # Healed: the honest members of both sides gossip together, and with either persona of a forker.
            pool = [p for p in participants if p[0] >= forkers] + [(f, rng.randrange(2)) for f in range(forkers)]
        else:
            side = rng.randrange(2)
            pool = [p for p in participants if p[1] == side]
        a, b = rng.sample(pool, 2)
        learn(b, known[a])                              # a syncs to b (§10.1)
        event = create(b[0], latest[b], latest[a])
        learn(b, {event})
        latest[b] = event
        for m in honest:
            known_after[m].append(len(learnt[m]))
    return PartitionRun(dag, [names[m] for m in honest], names[:forkers],
                        {names[m]: learnt[m] for m in honest}, {names[m]: known_after[m] for m in honest})

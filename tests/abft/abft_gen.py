"""Random DAGs for property tests, more adversarial than gossip runs.

``random_dag(seed)`` picks 2-5 members with stakes 1-3 and grows a DAG whose
events take as self-parent usually their creator's latest event but
sometimes an older one or none (forks, including forks between parentless
events), as other-parent a recent event of another creator, with random
timestamps (sometimes decreasing) and random signatures (so coins and
whitening vary).  Signatures are synthetic: the DAG is built without
signature checks (spec/abft.md §9.3).
"""

from __future__ import annotations

import random

from altledger.reference.abft.dag import Dag, Member
from altledger.reference.encoding import Event


def random_dag(seed: int, events: int | None = None, fork_rate: float | None = None,
               members: int | None = None, coin_period: int | None = None) -> Dag:
    rng = random.Random(seed)
    n = members or rng.randint(2, 5)
    stakes = [rng.randint(1, 3) for _ in range(n)]
    keys = [bytes([i + 1]) * 32 for i in range(n)]
    g = Dag([Member(f"m{i}", keys[i], stakes[i]) for i in range(n)], coin_period or rng.choice([3, 4, 10]))
    total = events or rng.randint(n, 40)
    fork_rate = rng.choice([0.0, 0.05, 0.15]) if fork_rate is None else fork_rate
    by_creator: list[list[bytes]] = [[] for _ in range(n)]
    latest: list[bytes | None] = [None] * n
    clock = 0
    order: list[bytes] = []
    for i in range(total):
        c = i if i < n else rng.randrange(n)
        clock += rng.randint(0, 5)
        timestamp = max(0, clock + (rng.randint(-8, 8) if rng.random() < 0.1 else 0))
        others = [x for x in order[-12:] if g.event(x).creator != keys[c]]
        if latest[c] is None or not others or rng.random() < fork_rate / 4:
            sp = op = None                                        # a (possibly forking) parentless event
        else:
            sp = latest[c] if rng.random() >= fork_rate else rng.choice(by_creator[c])
            op = rng.choice(others)
        event = Event(creator=keys[c], self_parent=sp, other_parent=op, timestamp=timestamp, shard=0,
                      transactions=(), signature=rng.randbytes(64))
        x = g.add(event, f"m{c}.{len(by_creator[c]) + 1}", check_signature=False)
        by_creator[c].append(x)
        order.append(x)
        if sp == latest[c] or latest[c] is None or rng.random() < 0.5:
            latest[c] = x                                          # a forker may continue on either side
    return g


def random_topological_order(g: Dag, seed: int) -> list[bytes]:
    """Another parents-first order of g's events (a random linear extension)."""
    rng = random.Random(seed)
    children: dict[bytes, list[bytes]] = {x: [] for x in g}
    waiting = {}
    for x in g:
        parents = [p for p in (g.event(x).self_parent, g.event(x).other_parent) if p is not None]
        waiting[x] = len(parents)
        for p in parents:
            children[p].append(x)
    ready = [x for x in g if waiting[x] == 0]
    out = []
    while ready:
        x = ready.pop(rng.randrange(len(ready)))
        out.append(x)
        for child in children[x]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    assert len(out) == len(g)
    return out

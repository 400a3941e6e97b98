"""A brute-force evaluation of spec/abft.md §3-§8, clause by clause, for cross-checking.

The reference (altledger.reference.abft.hashgraph) evaluates several clauses
through equivalent forms (§4.3 for strongly seeing, one candidate witness per
creator chain, ancestor bit sets).  This module evaluates the clauses as
literally as is computable, with networkx for ancestry and no shortcuts, so
that a mismatch points at a wrong equivalence.  Exponential care is not
needed: it is only run on DAGs of a few dozen events.

Literal readings used:
* §4.1 "the ancestors of x contain no fork by creator(y)": all pairs checked.
* §4.2 "there is a set Z ...": the union of all admissible z (x sees z, z sees
  y) is admissible whenever any set is (supermajority is monotone), so Z
  exists iff the creators of that union are a supermajority.
* §5.1 "round-r witnesses": every round-r witness of the DAG that is a strict
  ancestor of x (x strongly sees only its ancestors; x itself is excluded
  because its own round is being decided).
* §6.2 "W": every round-(j-1) witness of the DAG that y strongly sees.
"""

from __future__ import annotations

from functools import cache
from itertools import combinations

import networkx as nx

from altledger.reference.abft.dag import Dag


class Literal:
    def __init__(self, g: Dag) -> None:
        self.g = g
        self.graph = nx.DiGraph()
        for x in g:
            self.graph.add_node(x)
            for p in (g.event(x).self_parent, g.event(x).other_parent):
                if p is not None:
                    self.graph.add_edge(p, x)
        self.S = sum(m.stake for m in g.members)
        # per-instance caches
        self.ancestors = cache(self._ancestors)
        self.self_ancestors = cache(self._self_ancestors)
        self.sees = cache(self._sees)
        self.strongly_sees = cache(self._strongly_sees)
        self.round = cache(self._round)
        self.vote = cache(self._vote)
        self.fame = cache(self._fame)

    # §1.3
    def creator(self, x):
        return self.g.event(x).creator

    def supermajority(self, creators) -> bool:
        return 3 * sum(self.g.stake(c) for c in set(creators)) > 2 * self.S

    # §3
    def _ancestors(self, x) -> frozenset:
        return frozenset(nx.ancestors(self.graph, x)) | {x}

    def _self_ancestors(self, x) -> frozenset:
        chain = {x}
        while (x := self.g.event(x).self_parent) is not None:
            chain.add(x)
        return frozenset(chain)

    def is_fork(self, a, b) -> bool:
        return (a != b and self.creator(a) == self.creator(b)
                and a not in self.self_ancestors(b) and b not in self.self_ancestors(a))

    # §4
    def _sees(self, x, y) -> bool:
        if y not in self.ancestors(x):
            return False
        same = [z for z in self.ancestors(x) if self.creator(z) == self.creator(y)]
        return not any(self.is_fork(a, b) for a, b in combinations(same, 2))

    def _strongly_sees(self, x, y) -> bool:
        if not self.sees(x, y):
            return False
        z_all = [z for z in self.ancestors(x) if self.sees(x, z) and self.sees(z, y)]
        return self.supermajority(self.creator(z) for z in z_all)

    # §5
    def parents(self, x):
        e = self.g.event(x)
        return [p for p in (e.self_parent, e.other_parent) if p is not None]

    def _round(self, x) -> int:
        if not self.parents(x):
            return 1
        r = max(self.round(p) for p in self.parents(x))
        below = self.ancestors(x) - {x}
        seen = [w for w in below if self.round(w) == r and self.witness(w) and self.strongly_sees(x, w)]
        return r + 1 if self.supermajority(self.creator(w) for w in seen) else r

    def witness(self, x) -> bool:
        sp = self.g.event(x).self_parent
        return sp is None or self.round(x) > self.round(sp)

    def witnesses(self, r):
        return [w for w in self.g if self.witness(w) and self.round(w) == r]

    # §6
    def tally(self, y, x):
        j = self.round(y)
        W = [w for w in self.witnesses(j - 1) if self.strongly_sees(y, w)]
        yes = sum(self.g.stake(c) for c in {self.creator(w) for w in W if self.vote(w, x)})
        no = sum(self.g.stake(c) for c in {self.creator(w) for w in W if not self.vote(w, x)})
        return yes >= no, max(yes, no)

    def _vote(self, y, x) -> bool:
        d = self.round(y) - self.round(x)
        if d == 1:
            return self.sees(y, x)
        v, t = self.tally(y, x)
        if d % self.g.coin_period == 0 and not 3 * t > 2 * self.S:
            signature = self.g.event(y).signature
            return bool(signature[len(signature) // 2] & 1)
        return v

    def decision(self, y, x):
        d = self.round(y) - self.round(x)
        if d < 2 or d % self.g.coin_period == 0:
            return None
        v, t = self.tally(y, x)
        return v if 3 * t > 2 * self.S else None

    def _fame(self, x):
        deciders = [(self.round(y), y, self.decision(y, x)) for y in self.g
                    if self.witness(y) and self.round(y) > self.round(x)]
        deciders = [d for d in deciders if d[2] is not None]
        if not deciders:
            return None
        low = min(r for r, _, _ in deciders)
        return min((y, v) for r, y, v in deciders if r == low)[1]

    def last_decided_round(self) -> int:
        top = max((self.round(x) for x in self.g), default=0)
        r = 0
        while r + 1 <= top and all(self.fame(w) is not None for w in self.witnesses(r + 1)):
            r += 1
        return r

    def ufw(self, r):
        famous = [w for w in self.witnesses(r) if self.fame(w) is True]
        return [w for w in famous if [self.creator(v) for v in famous].count(self.creator(w)) == 1]

    # §7
    def round_received(self, x):
        for r in range(1, self.last_decided_round() + 1):
            u = self.ufw(r)
            if u and all(x in self.ancestors(w) for w in u):
                return r
        return None

    def consensus_timestamp(self, x):
        r = self.round_received(x)
        if r is None:
            return None
        stamps = []
        for w in self.ufw(r):
            candidates = [s for s in self.self_ancestors(w) if x in self.ancestors(s)]
            earliest = min(candidates, key=lambda s: len(self.self_ancestors(s)))
            stamps.append(self.g.event(earliest).timestamp)
        return sorted(stamps)[len(stamps) // 2]

    def whitened(self, x) -> int:
        u = 0
        for w in self.ufw(self.round_received(x)):
            u ^= int.from_bytes(self.g.event(w).signature, "big")
        return int.from_bytes(self.g.event(x).signature, "big") ^ u

    # §8.1
    def output(self) -> dict:
        events = {}
        for x in self.g:
            witness = self.witness(x)
            events[self.g.label(x)] = {
                "hash": x.hex(), "round": self.round(x), "witness": witness,
                "famous": self.fame(x) if witness else None,
                "round_received": self.round_received(x), "consensus_timestamp": self.consensus_timestamp(x),
            }
        ordered = [x for x in self.g if self.round_received(x) is not None]
        ordered.sort(key=lambda x: (self.round_received(x), self.consensus_timestamp(x), self.whitened(x),
                                    int.from_bytes(x, "big")))
        return {"format": "altledger-abft-consensus/1", "last_decided_round": self.last_decided_round(),
                "events": events, "order": [self.g.label(x) for x in ordered]}

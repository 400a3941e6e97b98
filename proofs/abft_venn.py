"""Stake sums of member sets, for every finite membership and every stake
assignment at once: the Venn-region encoding shared by the aBFT lemmas.

The claims of spec/abft.md §11 quantify over "any finite set of members
with any positive integer stakes" and over member sets named in the claim
(two supermajorities, the Byzantine members, ...).  First-order logic over an
uninterpreted sort cannot add stakes up, so the lemmas do not model members
one by one.  They model what the claims actually read: stake sums.

Take ``k`` named sets ``X1 … Xk`` of members.  They cut the membership into
``2**k`` Venn regions (a member's region is the pattern of sets it belongs
to).  Let ``r[p]`` be the total stake of the members in region ``p``.  Then

* every quantity a claim mentions is a sum of regions: ``S`` is the sum of
  all of them, ``stake(X1 ∩ X2)`` the sum of the regions inside both, and
  so on (a member lies in exactly one region, so nothing is counted twice);
* each ``r[p]`` is a non-negative integer, and ``r[p] ≥ 1`` exactly when the
  region holds a member (stakes are integers ``≥ 1``, spec/abft.md §1.2);
* conversely, **every** vector of non-negative integers is the region vector
  of some real configuration: put one member of stake ``r[p]`` in each
  region with ``r[p] > 0`` (:func:`realise`).

So the map "configuration ↦ region vector" sends every configuration (any
number of members, any stakes) to a vector of non-negative integers, and
reaches every such vector.  A claim about stake sums is therefore true of
every configuration iff it is true of every non-negative integer vector: an
UNSAT answer over the vector covers every membership and every stake
distribution, and a SAT answer is always realisable as a real one.  The
arithmetic is linear over the integers (Presburger), which z3 decides.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Mapping

import z3

Pattern = tuple[bool, ...]


def supermajority(stake: z3.ArithRef, total: z3.ArithRef, strict: bool = True) -> z3.BoolRef:
    """spec/abft.md §1.3: ``3 · stake(X) > 2 · S``.  ``strict=False`` is the
    ``≥ 2/3`` threshold some implementations use (§12.3), for negative controls."""
    return 3 * stake > 2 * total if strict else 3 * stake >= 2 * total


class Venn:
    """One integer per Venn region of the named member sets.

    ``Venn("q", ("A", "B", "F"))`` declares ``q.stake[A B F]``,
    ``q.stake[A B ¬F]``, …; ``venn.stake(lambda m: m["A"] and m["B"])`` is
    the stake of ``A ∩ B``.
    """

    def __init__(self, prefix: str, sets: tuple[str, ...]) -> None:
        self.sets = sets
        self.patterns: list[Pattern] = list(itertools.product((True, False), repeat=len(sets)))
        self.region = {p: z3.Int(f"{prefix}.stake[{self.label(p)}]") for p in self.patterns}

    def label(self, pattern: Pattern) -> str:
        return " ".join(name if inside else f"¬{name}" for name, inside in zip(self.sets, pattern))

    def member_view(self, pattern: Pattern) -> dict[str, bool]:
        return dict(zip(self.sets, pattern))

    def stake(self, inside: Callable[[Mapping[str, bool]], bool]) -> z3.ArithRef:
        """The stake of the members whose set memberships satisfy ``inside``."""
        chosen = [self.region[p] for p in self.patterns if inside(self.member_view(p))]
        return z3.Sum(chosen) if chosen else z3.IntVal(0)

    def of(self, name: str) -> z3.ArithRef:
        return self.stake(lambda m: m[name])

    @property
    def total(self) -> z3.ArithRef:
        """S, the total stake (§1.2)."""
        return self.stake(lambda m: True)

    def well_formed(self) -> z3.BoolRef:
        """Every region's stake is a non-negative integer, and ``S ≥ 1``: the
        membership is not empty (§9.1) and every stake is ``≥ 1`` (§1.2)."""
        return z3.And(*(r >= 0 for r in self.region.values()), self.total >= 1)

    def occupied_by(self, member: Mapping[str, z3.BoolRef]) -> z3.BoolRef:
        """A member whose memberships are the given predicates makes its region's stake ``≥ 1``."""
        return z3.And(*(z3.Implies(z3.And(*(member[n] == z3.BoolVal(b) for n, b in zip(self.sets, p))),
                                   self.region[p] >= 1)
                        for p in self.patterns))

    def values(self, model: z3.ModelRef) -> dict[Pattern, int]:
        return {p: model.eval(r, model_completion=True).as_long() for p, r in self.region.items()}

    def small(self, bound: int = 12) -> list[z3.BoolRef]:
        """Soft facts for a readable counter-model: few occupied regions, small ``S``."""
        return [r == 0 for r in self.region.values()] + [self.total <= k for k in range(1, bound + 1)]


@dataclass(frozen=True)
class RealMember:
    """A member of a realised configuration: one per occupied Venn region."""

    name: str
    stake: int
    sets: frozenset[str]


def realise(venn: Venn, values: Mapping[Pattern, int]) -> list[RealMember]:
    """A real membership with exactly these region stakes: one member per
    occupied region, holding the region's whole stake (see the module docstring)."""
    members = []
    for pattern in venn.patterns:
        if values[pattern] > 0:
            inside = frozenset(n for n, b in zip(venn.sets, pattern) if b)
            members.append(RealMember(f"m{len(members) + 1}", values[pattern], inside))
    return members


def stake_of(members: list[RealMember], inside: Callable[[RealMember], bool]) -> int:
    """Plain arithmetic over a realised membership (no z3): the check of a counter-model."""
    return sum(m.stake for m in members if inside(m))


def compare(left: int, right: int, left_name: str, right_name: str) -> str:
    """E.g. '(3·stake = 9) > (2·S = 8)', for counter-models a reader checks by hand."""
    sign = ">" if left > right else "=" if left == right else "<"
    return f"({left_name} = {left}) {sign} ({right_name} = {right})"

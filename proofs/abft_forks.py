"""Fork exclusion, for any membership, any stakes and any DAG.

Claim (spec/abft.md §11.2): let ``a``, ``b`` be a fork by one creator
(§3.3), and ``x``, ``x'`` events that strongly see ``a`` and ``b``
respectively (§4.2).  While the Byzantine stake is below ``S/3`` this is
impossible: no two events strongly see the two sides of a fork.

The argument of §11.2, and where each step is discharged:

1. *An event never sees both sides of a fork* (§4.1): pure ancestry.
2. *An honest member cannot have one event that sees ``a`` and another (or
   the same) that sees ``b``*: its events form one self-ancestor chain, so
   the later one has both sides among its ancestors and sees neither.  This
   is the fact §11.2 uses as an axiom; here it is its own obligation.
3. *Stake*: the creators ``C`` of the intermediaries ``Z`` of ``x`` and the
   creators ``C'`` of the intermediaries ``Z'`` of ``x'`` are
   supermajorities; by 2 every member of ``C ∩ C'`` is Byzantine; so the
   Byzantine stake is at least ``stake(C ∩ C') > S/3`` (§11.1).
4. *End to end*: all of the above in one query, from the definitions of
   §3-§4 and the Venn stakes, without step 2 or 3 as an axiom.

The model, and why it is sound for every membership, stake and DAG:

* Events and members are two uninterpreted sorts, so z3 covers every
  number of each; ``creator`` maps events to members; ``ancestor(y, x)``
  (``y ≤ x``) and ``self_ancestor(y, x)`` are relations; ``byzantine(m)``
  marks the members the adversary controls.  The events are all events
  ever created (ancestry is fixed by the hashes, so it is the same in every
  member's DAG; ``x`` and ``x'`` may live in different members' DAGs).
* The only facts assumed are true of every DAG of §2-§3: ancestry and
  self-ancestry are reflexive (§3.1, §3.2, §12.1) and transitive; a
  self-ancestor is an ancestor of the same creator (the self-parent is a
  parent with the same creator, §2.2.5); and an honest member's events are
  pairwise related by self-ancestry (§3.3: a member that creates a fork is
  Byzantine).  Fork (§3.3), see (§4.1) and strongly see (§4.2) are their
  definitions, written out, with the set ``Z`` an explicit predicate.
* Stakes are the Venn-region stakes of ``C``, ``C'`` and the Byzantine set
  ``F`` (:mod:`altledger.proofs.abft_venn`: exact for every membership and
  every stake assignment).  Regions and events are tied by facts true of
  every configuration: a member makes its region's stake ``≥ 1``; if the
  region "in ``C`` and ``C'``, honest" has positive stake, some member
  ``m0`` is in it, and (``C`` being the creators of ``Z``) ``m0`` created
  an event of ``Z`` and one of ``Z'``.

Every real configuration (a DAG, a fork, ``x``, ``x'``, their ``Z``, ``Z'``
and a Byzantine set) is a model of these facts, so UNSAT proves the claim for
all of them.  Every quantified formula is universal after negation, with
``creator`` the only function (from events to members, never back): the
many-sorted EPR fragment, plus linear integer arithmetic on ground terms, which
z3 decides.

Sharper than §11.2 states: the claim holds even at Byzantine stake exactly
``S/3``, because ``stake(C ∩ C')`` is *strictly* more than ``S/3``.  The
negative controls break it by Byzantine stake just above ``S/3``; by the
non-strict threshold ``3 · stake ≥ 2 · S`` (§12.3) at exactly ``S/3``; and
by dropping the fork condition of §4.1.  Each counter-model's stakes are
realised as a concrete DAG (:mod:`altledger.proofs.abft_fork_dag`) on which
the reference implementation confirms the counter-example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import z3

from altledger.proofs import abft_fork_dag as fork_dag
from altledger.proofs.abft_venn import Venn, realise, supermajority
from altledger.proofs.lemma import Lemma, NegativeControl, Obligation
from altledger.proofs.transition import SYMBOLIC, OverElements, Quantifiers

CLAUSE = "spec/abft.md §11.2"

Event = z3.DeclareSort("Event")
Member = z3.DeclareSort("Member")
B = z3.BoolSort()

creator = z3.Function("creator", Event, Member)
ancestor = z3.Function("ancestor", Event, Event, B)            # ancestor(y, x): y ≤ x (§3.1)
self_ancestor = z3.Function("self_ancestor", Event, Event, B)  # §3.2
byzantine = z3.Function("byzantine", Member, B)

# Member sets of the stake level: C and C' (creators of Z and Z') and F (Byzantine).
SETS = ("C", "C'", "F")


def _all(q: Quantifiers, body: Callable[..., z3.BoolRef], count: int) -> z3.BoolRef:
    """For all ``count`` events: a z3 quantifier (proofs), or a conjunction
    over the events of a finite instance (negative controls)."""
    return q.forall((Event,) * count, body)


# ---------------------------------------------------------------- §3 facts, true of every DAG


def dag_axioms(q: Quantifiers = SYMBOLIC) -> z3.BoolRef:
    return z3.And(
        _all(q, lambda x: ancestor(x, x), 1),                                            # §3.1, §12.1
        _all(q, lambda x, y, z: z3.Implies(z3.And(ancestor(x, y), ancestor(y, z)), ancestor(x, z)), 3),
        _all(q, lambda x: self_ancestor(x, x), 1),                                       # §3.2
        _all(q, lambda x, y, z: z3.Implies(z3.And(self_ancestor(x, y), self_ancestor(y, z)),
                                           self_ancestor(x, z)), 3),
        _all(q, lambda x, y: z3.Implies(self_ancestor(x, y),                             # §2.2.5
                                        z3.And(ancestor(x, y), creator(x) == creator(y))), 2),
    )


def honest_members_do_not_fork(q: Quantifiers = SYMBOLIC) -> z3.BoolRef:
    """§3.3: a member that creates a fork is Byzantine; so an honest member's
    events are one self-ancestor chain (any two are related)."""
    return _all(q, lambda u, v: z3.Implies(z3.And(z3.Not(byzantine(creator(u))), creator(u) == creator(v)),
                                           z3.Or(u == v, self_ancestor(u, v), self_ancestor(v, u))), 2)


def axioms(q: Quantifiers = SYMBOLIC) -> z3.BoolRef:
    return z3.And(dag_axioms(q), honest_members_do_not_fork(q))


# ---------------------------------------------------------------- §3.3-§4.2 definitions


def fork(u: z3.ExprRef, v: z3.ExprRef) -> z3.BoolRef:
    """§3.3: distinct, same creator, neither a self-ancestor of the other."""
    return z3.And(u != v, creator(u) == creator(v), z3.Not(self_ancestor(u, v)), z3.Not(self_ancestor(v, u)))


def sees(x: z3.ExprRef, y: z3.ExprRef, q: Quantifiers = SYMBOLIC) -> z3.BoolRef:
    """§4.1: y ≤ x, and the ancestors of x hold no fork by creator(y)."""
    return z3.And(ancestor(y, x), _all(q, lambda u, v: z3.Not(z3.And(
        ancestor(u, x), ancestor(v, x), creator(u) == creator(y), fork(u, v))), 2))


def sees_without_fork_condition(x: z3.ExprRef, y: z3.ExprRef, q: Quantifiers = SYMBOLIC) -> z3.BoolRef:
    """BROKEN §4.1, for a negative control: seeing is mere ancestry."""
    return ancestor(y, x)


@dataclass(frozen=True)
class Side:
    """One side of the claim: event ``x`` strongly sees ``y`` through the set
    ``Z`` (a predicate on events) whose creators are the member set ``C``;
    ``z0`` is the event of ``Z`` created by the member ``m0`` (see the module
    docstring)."""

    x: z3.ExprRef
    y: z3.ExprRef
    in_z: z3.FuncDeclRef
    in_c: z3.FuncDeclRef
    z0: z3.ExprRef


def side(tag: str, y: z3.ExprRef) -> Side:
    return Side(z3.Const(f"x{tag}", Event), y, z3.Function(f"Z{tag}", Event, B),
                z3.Function(f"C{tag}", Member, B), z3.Const(f"z0{tag}", Event))


def strongly_sees(s: Side, see=sees, q: Quantifiers = SYMBOLIC) -> z3.BoolRef:
    """§4.2, without the stake part: x sees y, x sees every event of Z, every
    event of Z sees y; and the creators of Z are in C."""
    return z3.And(see(s.x, s.y, q), _all(q, lambda e: z3.Implies(s.in_z(e), z3.And(
        see(s.x, e, q), see(e, s.y, q), s.in_c(creator(e)))), 1))


# ---------------------------------------------------------------- the configuration


@dataclass(frozen=True)
class Config:
    """The constants of one configuration: the fork, both sides, the stakes."""

    a: z3.ExprRef
    b: z3.ExprRef
    left: Side
    right: Side
    m0: z3.ExprRef
    venn: Venn

    @property
    def forker(self) -> z3.ExprRef:
        return creator(self.a)

    def memberships(self, m: z3.ExprRef) -> dict[str, z3.BoolRef]:
        return {"C": self.left.in_c(m), "C'": self.right.in_c(m), "F": byzantine(m)}


def config() -> Config:
    a, b = z3.Consts("a b", Event)
    return Config(a, b, side("", a), side("'", b), z3.Const("m0", Member), Venn("f", SETS))


def stakes_tied_to_events(k: Config) -> z3.BoolRef:
    """Facts true of every configuration linking the Venn stakes to the
    events (module docstring): occupied regions, and the member m0."""
    v = k.venn
    honest_in_both = v.stake(lambda m: m["C"] and m["C'"] and not m["F"])
    m0 = k.m0
    return z3.And(
        v.well_formed(), v.occupied_by(k.memberships(k.forker)), v.occupied_by(k.memberships(m0)),
        z3.Implies(honest_in_both >= 1,
                   z3.And(k.left.in_c(m0), k.right.in_c(m0), z3.Not(byzantine(m0)))),
        # C is the set of creators of Z: a member of C created some event of Z.
        z3.Implies(k.left.in_c(m0), z3.And(k.left.in_z(k.left.z0), creator(k.left.z0) == m0)),
        z3.Implies(k.right.in_c(m0), z3.And(k.right.in_z(k.right.z0), creator(k.right.z0) == m0)))


def both_sides_strongly_seen(k: Config, strict: bool = True, see=sees,
                             q: Quantifiers = SYMBOLIC) -> z3.BoolRef:
    """The negation of fork exclusion, before the bound on Byzantine stake."""
    v = k.venn
    return z3.And(axioms(q), fork(k.a, k.b),
                  strongly_sees(k.left, see, q), strongly_sees(k.right, see, q),
                  stakes_tied_to_events(k),
                  supermajority(v.of("C"), v.total, strict), supermajority(v.of("C'"), v.total, strict))


def byzantine_stake(k: Config) -> z3.ArithRef:
    return k.venn.of("F")


# ---------------------------------------------------------------- obligations


def never_sees_both_sides() -> z3.BoolRef:
    """§4.1: no event sees both a and b of a fork."""
    a, b, x = z3.Consts("a b x", Event)
    return z3.And(dag_axioms(), fork(a, b), sees(x, a), sees(x, b))


def honest_member_sees_one_side() -> z3.BoolRef:
    """The fact §11.2 assumes: an honest member m has no event z seeing a
    and event z' seeing b (z = z' allowed)."""
    a, b, z, z2 = z3.Consts("a b z z'", Event)
    m = z3.Const("m", Member)
    return z3.And(axioms(), fork(a, b), creator(z) == m, creator(z2) == m, z3.Not(byzantine(m)),
                  sees(z, a), sees(z2, b))


def stake_level(byzantine_at_most_third: bool) -> Callable[[], z3.BoolRef]:
    """Step 3 on the Venn stakes alone, with step 2 as its axiom: the honest
    part of C ∩ C' is empty."""
    def build() -> z3.BoolRef:
        v = Venn("f", SETS)
        byz, total = v.of("F"), v.total
        return z3.And(v.well_formed(), supermajority(v.of("C"), total), supermajority(v.of("C'"), total),
                      v.stake(lambda m: m["C"] and m["C'"] and not m["F"]) == 0,
                      3 * byz <= total if byzantine_at_most_third else 3 * byz < total)
    return build


def end_to_end(byzantine_at_most_third: bool) -> Callable[[], z3.BoolRef]:
    def build() -> z3.BoolRef:
        k = config()
        byz, total = byzantine_stake(k), k.venn.total
        return z3.And(both_sides_strongly_seen(k),
                      3 * byz <= total if byzantine_at_most_third else 3 * byz < total)
    return build


def _explain(model: z3.ModelRef) -> str:
    return str(model)


# ---------------------------------------------------------------- negative controls


def instance(k: Config, size: int) -> tuple[Quantifiers, z3.BoolRef]:
    """A finite instance: ``size`` distinct events and as many members, every
    constant and every creator among them.  Quantifier-free, so z3 decides it
    outright and can prefer a small model; a model of it is a model of the
    symbolic formula too (EPR has the finite-model property, so nothing is
    lost by looking for small ones first)."""
    events = [z3.Const(f"Event#{i}", Event) for i in range(size)]
    members = [z3.Const(f"Member#{i}", Member) for i in range(size)]
    q = OverElements({Event: events, Member: members})
    constants = [k.a, k.b, k.left.x, k.right.x, k.left.z0, k.right.z0, k.m0]
    facts = [q.member(c) for c in constants] + [q.member(creator(e)) for e in events]
    if size > 1:
        facts += [z3.Distinct(*events), z3.Distinct(*members)]
    return q, z3.And(facts)


CONTROL_SIZES = (2, 3, 4, 5)


def control_formula(kind: str, size: int | None = None) -> z3.BoolRef:
    """``kind``: "above" (Byzantine stake just above S/3, some member honest),
    "non-strict" (threshold 3·stake ≥ 2·S, Byzantine stake exactly S/3) or
    "no fork condition" (§4.1 as mere ancestry, Byzantine stake below S/3);
    on a finite instance of ``size`` events and members, or symbolic (None)."""
    k = config()
    q, facts = (SYMBOLIC, z3.BoolVal(True)) if size is None else instance(k, size)
    byz, total = byzantine_stake(k), k.venn.total
    if kind == "above":
        return z3.And(facts, both_sides_strongly_seen(k, q=q),
                      3 * byz > total, 3 * byz < total + 3, byz < total)
    if kind == "non-strict":
        return z3.And(facts, both_sides_strongly_seen(k, strict=False, q=q), 3 * byz == total)
    if kind == "no fork condition":
        return z3.And(facts, both_sides_strongly_seen(k, see=sees_without_fork_condition, q=q),
                      3 * byz < total)
    raise ValueError(kind)


def realised_dag(model: z3.ModelRef) -> fork_dag.ForkDag | str:
    """The counter-model's stakes as a concrete DAG, or why that is impossible."""
    k = config()
    members = realise(k.venn, k.venn.values(model))
    pattern = [z3.is_true(model.eval(p, model_completion=True)) for p in k.memberships(k.forker).values()]
    sets = frozenset(n for n, inside in zip(SETS, pattern) if inside)
    forker = next((m for m in members if m.sets == sets), None)
    if forker is None or "F" not in forker.sets:
        return "the creator of the fork is not a Byzantine member of an occupied region"
    return fork_dag.build(members, forker)


def regions_text(model: z3.ModelRef) -> str:
    v = config().venn
    return "z3's region stakes: " + ", ".join(
        f"[{v.label(p)}] = {n}" for p, n in v.values(model).items() if n)


def describer(kind: str) -> Callable[[z3.ModelRef], str]:
    def describe(model: z3.ModelRef) -> str:
        d = realised_dag(model)
        return regions_text(model) + "\n" + (d if isinstance(d, str) else fork_dag.render(d, kind))
    return describe


def checker(kind: str) -> Callable[[z3.ModelRef], str | None]:
    def check(model: z3.ModelRef) -> str | None:
        d = realised_dag(model)
        return d if isinstance(d, str) else fork_dag.problem(d, kind)
    return check


def _nc(name: str, kind: str) -> NegativeControl:
    return NegativeControl(name, lambda size: control_formula(kind, size), describer(kind),
                           checker(kind), CONTROL_SIZES, lambda _size: config().venn.small())


def lemma() -> Lemma:
    return Lemma(
        name="abft-fork-exclusion",
        clause=CLAUSE,
        statement=("For every membership, stake assignment and DAG: if events x and x' strongly see "
                   "the two sides a, b of a fork, the Byzantine stake exceeds S/3.  So no two events "
                   "strongly see both sides of a fork while the Byzantine stake is at most S/3 "
                   "(§11.2 asks for below S/3)."),
        obligations=(
            Obligation("§4.1: no event sees both sides of a fork", never_sees_both_sides, _explain),
            Obligation("§11.2's axiom: an honest member has no event seeing a and another seeing b",
                       honest_member_sees_one_side, _explain),
            Obligation("stake level (honest part of C∩C' empty): Byzantine stake below S/3 is impossible",
                       stake_level(False), _explain),
            Obligation("stake level: also impossible at Byzantine stake exactly S/3",
                       stake_level(True), _explain),
            Obligation("end to end (§3-§4 definitions, Venn stakes): Byzantine stake below S/3 excludes it",
                       end_to_end(False), _explain),
            Obligation("end to end: also excluded at Byzantine stake exactly S/3",
                       end_to_end(True), _explain),
        ),
        negative_controls=(
            _nc("Byzantine stake just above S/3: both sides of a fork strongly seen", "above"),
            _nc("non-strict threshold (3·stake ≥ 2·S, §12.3) and Byzantine stake exactly S/3: "
                "both sides strongly seen", "non-strict"),
            _nc("§4.1 without its fork condition (see = ancestor), Byzantine stake below S/3: "
                "both sides strongly seen", "no fork condition"),
        ),
        notes=__doc__ or "",
    )

"""Quorum intersection, for any membership and any stake distribution.

Claim (spec/abft.md §11.1): two member sets ``A`` and ``B`` that each hold
more than ``2S/3`` of the stake (supermajorities, §1.3:
``3 · stake(X) > 2 · S``) intersect in more than ``S/3``; hence, while the
Byzantine members ``F`` hold less than ``S/3``, the intersection holds an
honest member.

The encoding (why it covers every membership and every stake assignment):
the three sets ``A``, ``B``, ``F`` cut any finite membership into eight
Venn regions; every quantity in the claim (``S``, ``stake(A)``,
``stake(A ∩ B)``, ``stake(F)``, the honest stake of ``A ∩ B``) is a sum of
region stakes, and the region stakes range over *all* vectors of
non-negative integers as the membership and the stakes vary (one member per
occupied region realises any vector; see :mod:`altledger.proofs.abft_venn`).
So each obligation below, UNSAT over eight integer variables, holds for
every finite member set with every assignment of positive integer stakes;
and each counter-model of a negative control is realised as a real
membership, whose sets and stakes are then checked again by plain
arithmetic and by the reference's ``supermajority`` (§1.3).

"An honest member in the intersection" is read as "the honest part of
``A ∩ B`` has stake ``≥ 1``": a region's stake is positive exactly when the
region holds a member, because every stake is ``≥ 1``.

The bound is sharper than §11.1 states: the intersection keeps an honest
member even when the Byzantine stake is *exactly* ``S/3`` (the obligation
"… at exactly S/3"), because it holds strictly more than ``S/3``.  What
breaks it is Byzantine stake *above* ``S/3``, or a non-strict threshold
(``3 · stake ≥ 2 · S``, a §12.3 alternative) together with Byzantine stake
``S/3``: those are the negative controls.
"""

from __future__ import annotations

from typing import Callable

import z3

from altledger.proofs.abft_venn import RealMember, Venn, compare, realise, stake_of, supermajority
from altledger.proofs.lemma import Lemma, NegativeControl, Obligation

CLAUSE = "spec/abft.md §11.1"

SETS = ("A", "B", "F")
NAMES = {"A": "in A", "B": "in B", "F": "Byzantine"}


def venn() -> Venn:
    return Venn("q", SETS)


def _stakes(v: Venn):
    """(S, stake(A), stake(B), stake(A ∩ B), honest stake of A ∩ B, stake(F))."""
    return (v.total, v.of("A"), v.of("B"), v.stake(lambda m: m["A"] and m["B"]),
            v.stake(lambda m: m["A"] and m["B"] and not m["F"]), v.of("F"))


def _quorums(v: Venn, strict: bool = True) -> z3.BoolRef:
    total, a, b, _, _, _ = _stakes(v)
    return z3.And(v.well_formed(), supermajority(a, total, strict), supermajority(b, total, strict))


# ---------------------------------------------------------------- obligations


def inclusion_exclusion() -> z3.BoolRef:
    """Every configuration satisfies stake(A ∪ B) + stake(A ∩ B) = stake(A) + stake(B)
    and stake(A ∪ B) ≤ S: the two facts the textbook argument uses."""
    v = venn()
    total, a, b, both, _, _ = _stakes(v)
    union = v.stake(lambda m: m["A"] or m["B"])
    return z3.And(v.well_formed(), z3.Not(z3.And(union + both == a + b, union <= total)))


def intersection_from_inclusion_exclusion() -> z3.BoolRef:
    """The textbook argument, on four stakes tied only by the facts above:
    stake(A ∩ B) = stake(A) + stake(B) − stake(A ∪ B) > 4S/3 − S = S/3."""
    total, a, b, union, both = z3.Ints("S stake(A) stake(B) stake(A∪B) stake(A∩B)")
    return z3.And(union + both == a + b, union <= total,
                  supermajority(a, total), supermajority(b, total), z3.Not(3 * both > total))


def intersection_exceeds_third() -> z3.BoolRef:
    """§11.1, first half, on the exact Venn encoding: 3 · stake(A ∩ B) > S."""
    v = venn()
    total, _, _, both, _, _ = _stakes(v)
    return z3.And(_quorums(v), z3.Not(3 * both > total))


def honest_member_in_intersection(byzantine_at_most_third: bool) -> Callable[[], z3.BoolRef]:
    """§11.1, second half: Byzantine stake below S/3 (or, sharper, at most S/3)
    leaves a member of A ∩ B that is honest."""
    def build() -> z3.BoolRef:
        v = venn()
        total, _, _, _, honest, byz = _stakes(v)
        bound = 3 * byz <= total if byzantine_at_most_third else 3 * byz < total
        return z3.And(_quorums(v), bound, z3.Not(honest >= 1))
    return build


def honest_stake_margin() -> z3.BoolRef:
    """The quantitative form: the honest stake of A ∩ B exceeds S/3 − stake(F)."""
    v = venn()
    total, _, _, _, honest, byz = _stakes(v)
    return z3.And(_quorums(v), z3.Not(3 * honest > total - 3 * byz))


def _explain(model: z3.ModelRef) -> str:
    """A failed obligation: the region stakes z3 found (none exist if the claim holds)."""
    return "\n".join(f"{d.name()} = {model[d]}" for d in sorted(model.decls(), key=lambda d: d.name()))


# ---------------------------------------------------------------- negative controls


def _control(strict: bool, byzantine: str) -> Callable[[int | None], z3.BoolRef]:
    """Two quorums and a Byzantine set of the given size whose intersection
    is entirely Byzantine (``byzantine``: just "above" S/3 or "exactly" S/3), or
    (``byzantine == "none"``) two quorums intersecting in at most S/3."""
    def build(_size: int | None) -> z3.BoolRef:
        v = venn()
        total, _, _, both, honest, byz = _stakes(v)
        if byzantine == "none":  # no Byzantine member needed: the intersection alone is small
            return z3.And(_quorums(v, strict), byz == 0, z3.Not(3 * both > total))
        # "above": by less than one unit of stake, S/3 < stake(F) < S/3 + 1, with some
        # member honest (a membership that is all Byzantine would be a dull counter-model).
        bound = (z3.And(3 * byz > total, 3 * byz < total + 3, byz < total) if byzantine == "above"
                 else 3 * byz == total)
        return z3.And(_quorums(v, strict), bound, honest == 0)
    return build


def _soft(_size: int | None) -> list[z3.BoolRef]:
    return venn().small()


def members_of(model: z3.ModelRef) -> list[RealMember]:
    v = venn()
    return realise(v, v.values(model))


def _figures(members: list[RealMember]) -> dict[str, int]:
    return {"S": stake_of(members, lambda m: True),
            "A": stake_of(members, lambda m: "A" in m.sets),
            "B": stake_of(members, lambda m: "B" in m.sets),
            "A∩B": stake_of(members, lambda m: {"A", "B"} <= m.sets),
            "honest A∩B": stake_of(members, lambda m: {"A", "B"} <= m.sets and "F" not in m.sets),
            "F": stake_of(members, lambda m: "F" in m.sets)}


def describe(model: z3.ModelRef) -> str:
    """The counter-model as a membership a reader checks by hand."""
    members = members_of(model)
    f = _figures(members)
    total = f["S"]
    lines = [f"S = {total}; one member per non-empty Venn region of A, B and the Byzantine set F:"]
    for m in members:
        tags = [NAMES[s] for s in SETS if s in m.sets]
        lines.append(f"  {m.name}  stake {m.stake}  " + (", ".join(tags) if tags else "in neither, honest"))
    for name in ("A", "B"):
        lines.append(f"stake({name}) = {f[name]}: {compare(3 * f[name], 2 * total, '3·stake', '2·S')}")
    inter = [m.name for m in members if {"A", "B"} <= m.sets]
    byz = [m.name for m in members if "F" in m.sets]
    lines.append(f"A ∩ B = {{{', '.join(inter)}}}, stake {f['A∩B']}: "
                 f"{compare(3 * f['A∩B'], total, '3·stake', 'S')}; its honest stake: {f['honest A∩B']}")
    lines.append(f"Byzantine F = {{{', '.join(byz)}}}, stake {f['F']}: "
                 f"{compare(3 * f['F'], total, '3·stake', 'S')}")
    return "\n".join(lines)



def reference_supermajority(members: list[RealMember], inside: Callable[[RealMember], bool]) -> bool:
    """The reference implementation's §1.3 test, on a DAG holding just these members."""
    from altledger.reference.abft import hashgraph as hg
    from altledger.reference.abft.dag import Dag, Member

    keys = {m.name: bytes([i + 1]) * 32 for i, m in enumerate(members)}
    g = Dag([Member(m.name, keys[m.name], m.stake) for m in members], coin_period=3)
    return hg.supermajority(g, [keys[m.name] for m in members if inside(m)])


def check_counter_model(strict: bool, byzantine: str) -> Callable[[z3.ModelRef], str | None]:
    """None if the realised membership really is the counter-example the
    control claims (checked without z3), else what is wrong with it."""
    def check(model: z3.ModelRef) -> str | None:
        members = members_of(model)
        f = _figures(members)
        total = f["S"]
        for name in ("A", "B"):
            ok = (reference_supermajority(members, lambda m, n=name: n in m.sets) if strict
                  else 3 * f[name] >= 2 * total)
            if not ok:
                return f"{name} (stake {f[name]} of {total}) is not a quorum"
        if byzantine == "none":
            return None if 3 * f["A∩B"] <= total else "the intersection holds more than S/3"
        if f["honest A∩B"] != 0:
            return "the intersection holds an honest member"
        if byzantine == "above" and not total < 3 * f["F"] < total + 3:
            return "the Byzantine stake is not just above S/3"
        if byzantine == "exactly" and 3 * f["F"] != total:
            return "the Byzantine stake is not exactly S/3"
        return None
    return check


def _nc(name: str, strict: bool, byzantine: str) -> NegativeControl:
    return NegativeControl(name, _control(strict, byzantine), describe,
                           check_counter_model(strict, byzantine), (None,), _soft)


def lemma() -> Lemma:
    return Lemma(
        name="abft-quorum-intersection",
        clause=CLAUSE,
        statement=("For every finite membership and every assignment of positive integer stakes, "
                   "two member sets each holding more than 2S/3 intersect in more than S/3, and "
                   "the intersection holds an honest member while the Byzantine stake is at most "
                   "S/3 (§11.1 asks for below S/3)."),
        obligations=(
            Obligation("inclusion-exclusion: stake(A∪B) + stake(A∩B) = stake(A) + stake(B), "
                       "stake(A∪B) ≤ S", inclusion_exclusion, _explain),
            Obligation("from inclusion-exclusion alone: 3·stake(A∩B) > S",
                       intersection_from_inclusion_exclusion, _explain),
            Obligation("Venn regions (exact): two supermajorities intersect in more than S/3",
                       intersection_exceeds_third, _explain),
            Obligation("§11.1: Byzantine stake below S/3 leaves an honest member in A∩B",
                       honest_member_in_intersection(False), _explain),
            Obligation("sharper: still an honest member in A∩B at Byzantine stake exactly S/3",
                       honest_member_in_intersection(True), _explain),
            Obligation("margin: 3·(honest stake of A∩B) > S − 3·stake(F)",
                       honest_stake_margin, _explain),
        ),
        negative_controls=(
            _nc("Byzantine stake just above S/3: two supermajorities whose intersection is "
                "entirely Byzantine", True, "above"),
            _nc("non-strict threshold (3·stake ≥ 2·S, §12.3 alternative): two quorums meeting "
                "in only S/3", False, "none"),
            _nc("non-strict threshold and Byzantine stake exactly S/3: the intersection is "
                "entirely Byzantine", False, "exactly"),
        ),
        notes=__doc__ or "",
    )

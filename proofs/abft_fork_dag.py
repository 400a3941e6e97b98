"""A negative control's stakes, realised as a concrete DAG the reference checks.

z3's counter-model for a fork-exclusion control (:mod:`altledger.proofs.abft_forks`)
gives the stakes of the Venn regions of ``C`` (creators of the
intermediaries ``Z`` of ``x``), ``C'`` (of ``Z'``, for ``x'``) and the
Byzantine set ``F``, and the region of the forking creator.  Its events are
an abstract structure (relations that satisfy the axioms of §3), not a DAG
a reader can replay.  This module builds one, from the stakes alone, and
evaluates it with the reference implementation
(:mod:`altledger.reference.abft.hashgraph`), so a control passes only if the
counter-example is real:

* one member per occupied region (``abft_venn.realise``); the forker
  creates two parentless events ``a`` and ``b`` (a fork, §3.3);
* every other member of ``C`` or ``C'`` creates a parentless event, then an
  event on it with other-parent ``a`` (it sees ``a``, it is in ``Z``) if it
  is in ``C``, and one with other-parent ``b`` (in ``Z'``) if it is in
  ``C'``.  A Byzantine member in both makes the two on the same
  self-parent, a fork of its own; an honest member in both (possible only
  when §4.1 loses its fork condition) makes the second on top of the first;
* ``x`` is a chain of events by one member of ``C``, starting at its event
  in ``Z`` and taking the other events of ``Z`` as other-parents; ``x'``
  likewise for ``Z'`` (continuing ``x``'s chain if the collector is an
  honest member of both).

Events carry synthetic signatures and are added without signature checks,
as spec/abft.md §9.3 allows for replayed DAGs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable

from altledger.proofs.abft_venn import RealMember, compare
from altledger.reference.abft import hashgraph as hg
from altledger.reference.abft.dag import Dag, Member
from altledger.reference.encoding import Event


@dataclass
class ForkDag:
    members: list[RealMember]
    forker: RealMember
    g: Dag = field(init=False)
    keys: dict[str, bytes] = field(default_factory=dict)
    hashes: dict[str, bytes] = field(default_factory=dict)   # label -> event hash
    parents: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    creators: dict[str, str] = field(default_factory=dict)    # label -> member name
    z_left: dict[str, str] = field(default_factory=dict)      # member name -> its event in Z
    z_right: dict[str, str] = field(default_factory=dict)     # member name -> its event in Z'
    x: str = ""
    x_right: str = ""

    def __post_init__(self) -> None:
        self.keys = {m.name: bytes([i + 1]) * 32 for i, m in enumerate(self.members)}
        self.g = Dag([Member(m.name, self.keys[m.name], m.stake) for m in self.members], coin_period=3)

    def add(self, label: str, who: RealMember, self_parent: str | None = None,
            other_parent: str | None = None) -> str:
        event = Event(creator=self.keys[who.name],
                      self_parent=self.hashes[self_parent] if self_parent else None,
                      other_parent=self.hashes[other_parent] if other_parent else None,
                      timestamp=0, shard=0, transactions=(),
                      signature=hashlib.blake2b(label.encode(), digest_size=64).digest())
        self.hashes[label] = self.g.add(event, label, check_signature=False)
        self.parents[label] = (self_parent, other_parent) if self_parent else None
        self.creators[label] = who.name
        return label

    def chain(self, label: str, who: RealMember, start: str, others: list[str]) -> str:
        """Events by ``who`` on top of ``start``, one per other-parent; the last one's label."""
        top = start
        for i, other in enumerate(others, 1):
            top = self.add(f"{label}{i}" if i < len(others) else label, who, top, other)
        return top

    def h(self, label: str) -> bytes:
        return self.hashes[label]


def byzantine(m: RealMember) -> bool:
    return "F" in m.sets


def build(members: list[RealMember], forker: RealMember) -> ForkDag:
    """The DAG described in the module docstring."""
    d = ForkDag(members, forker)
    left = [m for m in members if "C" in m.sets]
    right = [m for m in members if "C'" in m.sets]
    d.add("a", forker)
    d.add("b", forker)
    for m in members:
        if m != forker and (m in left or m in right):
            d.add(f"{m.name}.0", m)
    for m in left:
        d.z_left[m.name] = "a" if m == forker else d.add(f"{m.name}.a", m, f"{m.name}.0", "a")
    for m in right:
        if m == forker:
            d.z_right[m.name] = "b"
        elif m in left and not byzantine(m):   # honest: one chain, the second event on the first
            d.z_right[m.name] = d.z_left[m.name] = d.add(f"{m.name}.ab", m, d.z_left[m.name], "b")
        else:
            d.z_right[m.name] = d.add(f"{m.name}.b", m, f"{m.name}.0", "b")
    if not left or not right:
        return d
    p = left[0]
    d.x = d.chain("x", p, d.z_left[p.name], [d.z_left[m.name] for m in left if m != p])
    p_right = p if p in right else right[0]
    if p_right == p and not byzantine(p):
        d.x_right = d.chain("x'", p, d.x, [d.z_right[m.name] for m in right if m != p])
    else:
        d.x_right = d.chain("x'", p_right, d.z_right[p_right.name],
                            [d.z_right[m.name] for m in right if m != p_right])
    return d


# ---------------------------------------------------------------- evaluating the DAG


def forkers(d: ForkDag) -> set[str]:
    """Members with a fork among their events in the DAG (§3.3)."""
    labels = list(d.hashes)
    return {d.creators[u] for i, u in enumerate(labels) for v in labels[i + 1:]
            if hg.is_fork(d.g, d.h(u), d.h(v))}


def stake(members: list[RealMember], names) -> int:
    return sum(m.stake for m in members if m.name in names)


def literally_strongly_sees(d: ForkDag, x: str, y: str, z: list[str], see: Callable[[str, str], bool],
                            strict: bool = True) -> bool:
    """§4.2 with the given set Z: x sees y, x sees every event of Z, every
    event of Z sees y, and the creators of Z hold more than (``strict``) or
    at least 2S/3."""
    total = sum(m.stake for m in d.members)
    weight = 3 * stake(d.members, {d.creators[e] for e in z})
    threshold = weight > 2 * total if strict else weight >= 2 * total
    return see(x, y) and all(see(x, e) and see(e, y) for e in z) and threshold


def reference_sees(d: ForkDag) -> Callable[[str, str], bool]:
    return lambda x, y: hg.sees(d.g, d.h(x), d.h(y))


def ancestry_only(d: ForkDag) -> Callable[[str, str], bool]:
    """The broken §4.1 of the "no fork condition" control: x sees y iff y ≤ x."""
    return lambda x, y: hg.is_ancestor(d.g, d.h(y), d.h(x))


@dataclass(frozen=True)
class Verdict:
    """What the reference says about the realised DAG."""

    fork: bool
    reference_left: bool     # hg.strongly_sees(x, a)
    reference_right: bool    # hg.strongly_sees(x', b)
    literal_left: bool       # §4.2 with Z, under the control's rules
    literal_right: bool
    forkers: frozenset[str]


def judge(d: ForkDag, kind: str) -> Verdict:
    if not d.x or not d.x_right:
        return Verdict(False, False, False, False, False, frozenset())
    see = ancestry_only(d) if kind == "no fork condition" else reference_sees(d)
    strict = kind != "non-strict"
    return Verdict(
        fork=hg.is_fork(d.g, d.h("a"), d.h("b")),
        reference_left=hg.strongly_sees(d.g, d.h(d.x), d.h("a")),
        reference_right=hg.strongly_sees(d.g, d.h(d.x_right), d.h("b")),
        literal_left=literally_strongly_sees(d, d.x, "a", list(d.z_left.values()), see, strict),
        literal_right=literally_strongly_sees(d, d.x_right, "b", list(d.z_right.values()), see, strict),
        forkers=frozenset(forkers(d)))


def problem(d: ForkDag, kind: str) -> str | None:
    """None if the DAG is the counter-example the control claims, else why not."""
    v = judge(d, kind)
    total = sum(m.stake for m in d.members)
    byz_names = {m.name for m in d.members if byzantine(m)}
    byz = stake(d.members, byz_names)
    if not v.fork:
        return "a and b are not a fork"
    if not v.forkers <= byz_names:
        return f"honest members fork in the realised DAG: {sorted(v.forkers - byz_names)}"
    if not (v.literal_left and v.literal_right):
        return "x does not strongly see a, or x' does not strongly see b (§4.2, with the control's rules)"
    if kind == "above":
        if not (v.reference_left and v.reference_right):
            return "the reference does not find both sides strongly seen"
        if not total < 3 * byz < total + 3:
            return f"Byzantine stake {byz} of {total} is not just above S/3"
    elif kind == "non-strict":
        if 3 * byz != total:
            return f"Byzantine stake {byz} of {total} is not exactly S/3"
    elif kind == "no fork condition":
        if v.reference_left and v.reference_right:
            return "the reference (with §4.1's fork condition) also finds both sides strongly seen"
        if not 3 * byz < total:
            return f"Byzantine stake {byz} of {total} is not below S/3"
    return None


# ---------------------------------------------------------------- rendering


def render(d: ForkDag, kind: str) -> str:
    members, total = d.members, sum(m.stake for m in d.members)
    byz_names = {m.name for m in members if byzantine(m)}
    byz = stake(members, byz_names)
    tags = {"C": "in C (creates an event of Z)", "C'": "in C' (creates an event of Z')", "F": "Byzantine"}
    lines = [f"S = {total}; one member per non-empty Venn region of C, C' and the Byzantine set F:"]
    for m in members:
        notes = [tags[s] for s in ("C", "C'", "F") if s in m.sets] or ["honest, in neither"]
        if m == d.forker:
            notes.append("creates the fork a, b")
        lines.append(f"  {m.name}  stake {m.stake}  " + ", ".join(notes))
    lines.append(f"Byzantine stake {byz}: {compare(3 * byz, total, '3·stake', 'S')}")
    lines.append("events, parents first (label = creator(self-parent, other-parent); "
                 "what each sees by §4.1, per the reference):")
    see = reference_sees(d)
    for label in d.hashes:
        ps = d.parents[label]
        text = f"{d.creators[label]}({ps[0]}, {ps[1]})" if ps else f"{d.creators[label]}()"
        seen = [y for y in ("a", "b") if see(label, y)]
        mark = f"   sees {' and '.join(seen)}" if seen else ""
        lines.append(f"  {label} = {text}{mark}")
    for name, x, z in (("x", d.x, d.z_left), ("x'", d.x_right, d.z_right)):
        creators = sorted({d.creators[e] for e in z.values()})
        weight = stake(members, set(creators))
        which = name if x == name else f"{name} is {x}"
        lines.append(f"{which} (by {d.creators[x]}): its {'Z' if name == 'x' else 'Z' + chr(39)} = "
                     f"{{{', '.join(z.values())}}}, created by {{{', '.join(creators)}}} of stake {weight}: "
                     f"{compare(3 * weight, 2 * total, '3·stake', '2·S')}")
    v = judge(d, kind)
    rules = {"above": "§4.2", "non-strict": "§4.2 with 3·stake ≥ 2·S",
             "no fork condition": "§4.2 with see = ancestor"}[kind]
    lines.append(f"{rules}: {d.x} strongly sees a: {v.literal_left}; {d.x_right} strongly sees b: "
                 f"{v.literal_right}")
    lines.append(f"reference hashgraph.strongly_sees: ({d.x}, a) {v.reference_left}, "
                 f"({d.x_right}, b) {v.reference_right}; is_fork(a, b) {v.fork}; "
                 f"members that fork: {{{', '.join(sorted(v.forkers))}}}")
    return "\n".join(lines)

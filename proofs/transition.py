"""Transition systems in z3: inductive invariants and bounded counter-examples.

Why a helper: a protocol lemma is almost always "this conjunction is an
inductive invariant of these actions".  Its obligations have a fixed shape
(initiation; consecution, once per action so a failure names the action;
the invariant implies the property), and so do its negative controls (a
broken action breaks the property from an invariant state; or a broken system
reaches a bad state in k steps).  Writing those shapes once keeps each lemma
module down to its model and its invariant.

Quantifiers.  Every formula is written against a :class:`Quantifiers` object.
In proofs it is :data:`SYMBOLIC` (real ``ForAll``/``Exists``); to read a
model back, :class:`OverModel` expands the same quantifiers over the finite
universe z3 chose, so that e.g. "atomicity fails in the post-state" is
*evaluated* to ``True``/``False`` rather than left as an unevaluated
quantifier.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Sequence

import z3

from altledger.proofs.lemma import NegativeControl, Obligation

# --------------------------------------------------------------------------
# Quantifiers


class Quantifiers:
    """Builds quantified formulas symbolically (a real z3 quantifier)."""

    def member(self, x: z3.ExprRef) -> z3.BoolRef:
        """``x`` is one of the elements quantified over (always, symbolically)."""
        return z3.BoolVal(True)

    def forall(self, sorts: Sequence[z3.SortRef], body: Callable[..., z3.BoolRef]) -> z3.BoolRef:
        xs = [z3.FreshConst(s, "x") for s in sorts]
        return z3.ForAll(xs, body(*xs))

    def exists(self, sorts: Sequence[z3.SortRef], body: Callable[..., z3.BoolRef]) -> z3.BoolRef:
        xs = [z3.FreshConst(s, "x") for s in sorts]
        return z3.Exists(xs, body(*xs))


SYMBOLIC = Quantifiers()


def universe(model: z3.ModelRef, sort: z3.SortRef) -> list[z3.ExprRef]:
    """The elements of ``sort`` in ``model``: enumeration constants; the
    elements of a finite instance (constants named ``Sort#i``, see
    :func:`instance`); else z3's universe for the sort."""
    if isinstance(sort, z3.DatatypeSortRef):
        return [sort.constructor(i)() for i in range(sort.num_constructors())]
    if sort == z3.BoolSort():
        return [z3.BoolVal(False), z3.BoolVal(True)]
    prefix = f"{sort.name()}#"
    marked = sorted((d for d in model.decls() if d.arity() == 0 and d.name().startswith(prefix)),
                    key=lambda d: int(d.name()[len(prefix):]))
    if marked:
        return [model.eval(d(), model_completion=True) for d in marked]
    found = model.get_universe(sort)
    if found is None:  # the sort does not occur in the model: any one element will do
        return [z3.Const(f"{sort.name()}!any", sort)]
    return list(found)


class OverModel(Quantifiers):
    """Expands quantifiers over the (finite) universes of one model."""

    def __init__(self, model: z3.ModelRef):
        self.model = model

    def _tuples(self, sorts: Sequence[z3.SortRef]):
        return itertools.product(*(universe(self.model, s) for s in sorts))

    def forall(self, sorts, body):
        return z3.And([body(*xs) for xs in self._tuples(sorts)] or [z3.BoolVal(True)])

    def exists(self, sorts, body):
        return z3.Or([body(*xs) for xs in self._tuples(sorts)] or [z3.BoolVal(False)])


class OverElements(Quantifiers):
    """Expands quantifiers over given elements: a finite instance of the system."""

    def __init__(self, elements: dict[z3.SortRef, list[z3.ExprRef]]):
        self.elements = elements

    def _of(self, sort: z3.SortRef) -> list[z3.ExprRef]:
        if sort in self.elements:
            return self.elements[sort]
        if isinstance(sort, z3.DatatypeSortRef):
            return [sort.constructor(i)() for i in range(sort.num_constructors())]
        raise ValueError(f"no elements given for sort {sort}")

    def member(self, x):
        if x.sort() not in self.elements:
            return z3.BoolVal(True)
        return z3.Or([x == e for e in self.elements[x.sort()]])

    def forall(self, sorts, body):
        return z3.And([body(*xs) for xs in itertools.product(*(self._of(s) for s in sorts))]
                      or [z3.BoolVal(True)])

    def exists(self, sorts, body):
        return z3.Or([body(*xs) for xs in itertools.product(*(self._of(s) for s in sorts))]
                     or [z3.BoolVal(False)])


def holds(model: z3.ModelRef, formula: z3.BoolRef) -> bool:
    """The truth value of a quantifier-free (expanded) formula in ``model``."""
    return z3.is_true(model.eval(formula, model_completion=True))


# --------------------------------------------------------------------------
# State vocabulary


@dataclass(frozen=True)
class Var:
    """A state variable: a constant (``domain == ()``) or a function.

    ``rigid`` variables (e.g. "the coordinator") are the same symbol in every
    state: they are parameters of the system, not state.
    """

    name: str
    domain: tuple[z3.SortRef, ...]
    range: z3.SortRef
    rigid: bool = False


class State:
    """One copy of the vocabulary: ``s.rm(p)``, ``s.decided``, ..."""

    def __init__(self, variables: Sequence[Var], tag: str):
        self.tag = tag
        self.variables = {v.name: v for v in variables}
        self.symbols: dict[str, z3.ExprRef] = {}
        for v in variables:
            name = v.name if v.rigid else f"{v.name}{tag}"
            self.symbols[v.name] = (z3.Const(name, v.range) if not v.domain
                                    else z3.Function(name, *v.domain, v.range))

    def __getattr__(self, name: str):
        try:
            return self.__dict__["symbols"][name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class Conjunct:
    """A named state predicate (a conjunct of an invariant, or a property)."""

    name: str
    formula: Callable[[State, Quantifiers], z3.BoolRef]


@dataclass(frozen=True)
class Action:
    """A named step.  ``params`` are existentially chosen (e.g. the
    participant that receives a message); ``relation(s, t, q, **params)`` is
    the step from pre-state ``s`` to post-state ``t``."""

    name: str
    clause: str
    relation: Callable[..., z3.BoolRef]
    params: tuple[tuple[str, z3.SortRef], ...] = ()

    def instantiate(self, s: State, t: State, q: Quantifiers = SYMBOLIC) -> tuple[z3.BoolRef, dict]:
        args = {n: z3.Const(f"{self.name}.{n}{t.tag}", sort) for n, sort in self.params}
        return z3.And(*(q.member(a) for a in args.values()), self.relation(s, t, q, **args)), args


@dataclass(frozen=True)
class TransitionSystem:
    name: str
    variables: tuple[Var, ...]
    init: Callable[[State, Quantifiers], z3.BoolRef]
    actions: tuple[Action, ...]

    def state(self, tag: str) -> State:
        return State(self.variables, tag)

    def with_action(self, name: str, replacement: Action) -> "TransitionSystem":
        """The same system with action ``name`` replaced (a broken variant)."""
        if name not in {a.name for a in self.actions}:
            raise KeyError(name)
        return TransitionSystem(f"{self.name} [{replacement.name}]", self.variables, self.init,
                                tuple(replacement if a.name == name else a for a in self.actions))


def unchanged(s: State, t: State, q: Quantifiers, *names: str) -> z3.BoolRef:
    """``t.v = s.v`` for each named variable (pointwise for functions)."""
    parts = []
    for n in names:
        v = s.variables[n]
        if v.rigid:
            continue
        if not v.domain:
            parts.append(getattr(t, n) == getattr(s, n))
        else:
            parts.append(q.forall(v.domain, lambda *xs, n=n: getattr(t, n)(*xs) == getattr(s, n)(*xs)))
    return z3.And(parts) if parts else z3.BoolVal(True)


def frame(s: State, t: State, q: Quantifiers, *changed: str) -> z3.BoolRef:
    """Every variable except ``changed`` keeps its value."""
    return unchanged(s, t, q, *(n for n in s.variables if n not in changed))


# --------------------------------------------------------------------------
# Rendering models


def _element_names(model: z3.ModelRef, system: TransitionSystem) -> dict[str, str]:
    """Short names ('p0', 'p1', ...) for the elements of uninterpreted sorts."""
    names: dict[str, str] = {}
    sorts = {d for v in system.variables for d in v.domain
             if d.kind() == z3.Z3_UNINTERPRETED_SORT}
    sorts |= {v.range for v in system.variables if v.range.kind() == z3.Z3_UNINTERPRETED_SORT}
    for sort in sorted(sorts, key=lambda x: x.name()):
        prefix = sort.name()[0].lower()
        for i, e in enumerate(universe(model, sort)):
            names[str(e)] = f"{prefix}{i}"
    return names


def _show(model: z3.ModelRef, expr: z3.ExprRef, names: dict[str, str]) -> str:
    text = str(model.eval(expr, model_completion=True))
    return names.get(text, text)


def render_states(model: z3.ModelRef, system: TransitionSystem, states: Sequence[State],
                  headings: Sequence[str]) -> str:
    """A table of the given states: scalars first, then one row per element."""
    names = _element_names(model, system)
    lines = []
    unary = [v for v in system.variables if len(v.domain) == 1
             and v.domain[0].kind() == z3.Z3_UNINTERPRETED_SORT]
    for sort in sorted({v.domain[0] for v in unary}, key=lambda x: x.name()):
        count = len(universe(model, sort))
        lines.append(f"{count} element{'s' if count != 1 else ''} of sort {sort.name()}: "
                     + ", ".join(names.get(str(e), str(e)) for e in universe(model, sort)))
    for v in system.variables:
        if v.domain:
            continue
        values = [_show(model, getattr(st, v.name), names) for st in states]
        lines.append(f"  {v.name}: " + (values[0] if v.rigid else " -> ".join(values)))
    for sort in sorted({v.domain[0] for v in unary}, key=lambda x: x.name()):
        for e in universe(model, sort):
            cells = []
            for v in unary:
                if v.domain[0] != sort:
                    continue
                values = [_show(model, getattr(st, v.name)(e), names) for st in states]
                if all(val == "False" for val in values):
                    continue  # quiet: only what is true somewhere
                cells.append(f"{v.name}=" + " -> ".join(values))
            lines.append(f"  {names.get(str(e), str(e))}: " + ("; ".join(cells) or "-"))
    if len(states) > 1:
        lines.insert(0, "states: " + " -> ".join(headings))
    return "\n".join(lines)


def changes(model: z3.ModelRef, system: TransitionSystem, s: State, t: State) -> list[str]:
    """What differs between two states, e.g. ['phase: idle -> collecting', 'p1.rm: working -> prepared']."""
    names = _element_names(model, system)
    out = []
    for v in system.variables:
        if v.rigid:
            continue
        if not v.domain:
            a, b = _show(model, getattr(s, v.name), names), _show(model, getattr(t, v.name), names)
            if a != b:
                out.append(f"{v.name}: {a} -> {b}")
        elif len(v.domain) == 1:
            for e in universe(model, v.domain[0]):
                a = _show(model, getattr(s, v.name)(e), names)
                b = _show(model, getattr(t, v.name)(e), names)
                if a != b:
                    who = names.get(str(e), str(e))
                    out.append(f"{who}.{v.name} {'+' if b == 'True' else '-'}" if v.range == z3.BoolSort()
                               else f"{who}.{v.name}: {a} -> {b}")
    return out or ["no change"]


def failing_conjuncts(model: z3.ModelRef, state: State, conjuncts: Sequence[Conjunct]) -> list[str]:
    q = OverModel(model)
    return [c.name for c in conjuncts if not holds(model, c.formula(state, q))]


def _params_text(model: z3.ModelRef, args: dict, names: dict[str, str]) -> str:
    return ", ".join(f"{k}={_show(model, v, names)}" for k, v in args.items())


# --------------------------------------------------------------------------
# Obligations of an inductive invariant


def conjoin(conjuncts: Sequence[Conjunct], s: State, q: Quantifiers = SYMBOLIC) -> z3.BoolRef:
    return z3.And([c.formula(s, q) for c in conjuncts])


def invariant_obligations(system: TransitionSystem, invariant: Sequence[Conjunct],
                          prop: Conjunct) -> list[Obligation]:
    """initiation; consecution for each action; the invariant implies ``prop``."""
    obligations = []

    def initiation() -> z3.BoolRef:
        s = system.state("0")
        return z3.And(system.init(s, SYMBOLIC), z3.Not(conjoin(invariant, s)))

    def explain_initiation(model: z3.ModelRef) -> str:
        s = system.state("0")
        return (f"initial state breaks: {', '.join(failing_conjuncts(model, s, invariant))}\n"
                + render_states(model, system, [s], ["init"]))

    obligations.append(Obligation("initiation", initiation, explain_initiation))
    for action in system.actions:
        obligations.append(consecution(system, invariant, action))

    def implies_prop() -> z3.BoolRef:
        s = system.state("")
        return z3.And(conjoin(invariant, s), z3.Not(prop.formula(s, SYMBOLIC)))

    def explain_prop(model: z3.ModelRef) -> str:
        s = system.state("")
        return f"an invariant state where {prop.name} fails:\n" + render_states(model, system, [s], ["s"])

    obligations.append(Obligation(f"invariant implies {prop.name}", implies_prop, explain_prop))
    return obligations


def consecution(system: TransitionSystem, invariant: Sequence[Conjunct], action: Action) -> Obligation:
    def build() -> z3.BoolRef:
        s, t = system.state(""), system.state("'")
        step, _ = action.instantiate(s, t)
        return z3.And(conjoin(invariant, s), step, z3.Not(conjoin(invariant, t)))

    def explain(model: z3.ModelRef) -> str:
        s, t = system.state(""), system.state("'")
        _, args = action.instantiate(s, t)
        names = _element_names(model, system)
        broken = failing_conjuncts(model, t, invariant)
        return (f"{action.name}({_params_text(model, args, names)}) [{action.clause}] "
                f"breaks: {', '.join(broken)}\n"
                + render_states(model, system, [s, t], ["before", "after"]))

    return Obligation(f"consecution: {action.name}", build, explain)


# --------------------------------------------------------------------------
# Negative controls


def _uninterpreted_sorts(system: TransitionSystem) -> list[z3.SortRef]:
    found = {d for v in system.variables for d in v.domain if d.kind() == z3.Z3_UNINTERPRETED_SORT}
    found |= {v.range for v in system.variables if v.range.kind() == z3.Z3_UNINTERPRETED_SORT}
    return sorted(found, key=lambda x: x.name())


def instance(system: TransitionSystem, size: int | None) -> tuple[Quantifiers, z3.BoolRef, list]:
    """Quantifiers for instances with ``size`` elements of each uninterpreted
    sort (symbolic if None), the axioms making them distinct, and the elements."""
    if size is None:
        return SYMBOLIC, z3.BoolVal(True), []
    elements = {sort: [z3.Const(f"{sort.name()}#{i}", sort) for i in range(size)]
                for sort in _uninterpreted_sorts(system)}
    # Distinct elements, and no quantifier left anywhere: the instance is
    # quantifier-free, so z3 decides it outright (and can optimise it).  The
    # model's universe then holds exactly these elements.
    axioms = [z3.Distinct(*es) for es in elements.values() if len(es) > 1]
    q = OverElements(elements)
    # Constants of these sorts (e.g. "the coordinator") are elements too.
    probe = system.state("")
    axioms += [q.member(probe.symbols[v.name]) for v in system.variables
               if v.rigid and not v.domain and v.range in elements]
    flat = [e for es in elements.values() for e in es]
    return q, z3.And(axioms), flat


def plain_facts(system: TransitionSystem, states: Sequence[State], elements: list) -> list[z3.BoolRef]:
    """Soft facts for a readable model: every unary predicate false."""
    facts = []
    for v in system.variables:
        if v.rigid or v.range != z3.BoolSort() or len(v.domain) != 1:
            continue
        for st in states:
            facts += [z3.Not(getattr(st, v.name)(e)) for e in elements if e.sort() == v.domain[0]]
    return facts


def _bad_in(model: z3.ModelRef, state: State, prop: Conjunct) -> str | None:
    """None if ``prop`` really fails in ``state`` of ``model``, else why not."""
    if holds(model, prop.formula(state, OverModel(model))):
        return f"the model does not violate {prop.name}"
    return None


def step_control(name: str, system: TransitionSystem, invariant: Sequence[Conjunct],
                 action: Action, prop: Conjunct,
                 sizes: tuple[int | None, ...] = (1, 2, 3, 4)) -> NegativeControl:
    """SAT expected: from a state satisfying the invariant, ``action`` (a
    broken rule) reaches a state where ``prop`` fails.  Tried on instances
    of increasing size, so the counter-model printed is a smallest one."""

    def build(size: int | None) -> z3.BoolRef:
        q, axioms, _ = instance(system, size)
        s, t = system.state(""), system.state("'")
        step, _ = action.instantiate(s, t, q)
        return z3.And(axioms, conjoin(invariant, s, q), step, z3.Not(prop.formula(t, q)))

    def soft(size: int | None) -> list[z3.BoolRef]:
        _, _, elements = instance(system, size)
        return plain_facts(system, [system.state(""), system.state("'")], elements)

    def describe(model: z3.ModelRef) -> str:
        s, t = system.state(""), system.state("'")
        _, args = action.instantiate(s, t)
        names = _element_names(model, system)
        return (f"{action.name}({_params_text(model, args, names)}) [{action.clause}] "
                f"from an invariant state breaks {prop.name}:\n"
                + render_states(model, system, [s, t], ["before", "after"]))

    def check(model: z3.ModelRef) -> str | None:
        return _bad_in(model, system.state("'"), prop)

    # No soft facts: from the fixed initial state every step but Lose is
    # deterministic, so the run's states hold nothing arbitrary to tidy up.
    return NegativeControl(name, build, describe, check, sizes)


def bounded_control(name: str, system: TransitionSystem, depth: int, prop: Conjunct,
                    sizes: tuple[int | None, ...] = (1, 2, 3, 4)) -> NegativeControl:
    """SAT expected: ``system`` reaches a state violating ``prop`` in at most
    ``depth`` steps from an initial state (a real counter-example run, not
    just a counter-example to induction).  Bounded model checking: the run
    is unrolled, on finite instances of increasing size."""

    def unroll(size: int | None = None):
        q, axioms, elements = instance(system, size)
        states = [system.state(f"@{i}") for i in range(depth + 1)]
        choices = []  # per step: list of (selector, action, args)
        parts = [axioms, system.init(states[0], q)]
        for i in range(depth):
            s, t = states[i], states[i + 1]
            options = []
            stutter = z3.Bool(f"step{i}.stutter")
            parts.append(z3.Implies(stutter, frame(s, t, q)))
            options.append((stutter, None, {}))
            for action in system.actions:
                sel = z3.Bool(f"step{i}.{action.name}")
                rel, args = action.instantiate(s, t, q)
                parts.append(z3.Implies(sel, rel))
                options.append((sel, action, args))
            parts.append(z3.Or([o[0] for o in options]))
            choices.append(options)
        parts.append(z3.Not(prop.formula(states[-1], q)))
        return states, choices, z3.And(parts), elements

    def build(size: int | None) -> z3.BoolRef:
        return unroll(size)[2]

    def describe(model: z3.ModelRef) -> str:
        states, choices, _, _ = unroll()
        names = _element_names(model, system)
        taken = []
        for options in choices:
            for sel, action, args in options:
                if z3.is_true(model.eval(sel, model_completion=True)):
                    taken.append("stutter" if action is None
                                 else f"{action.name}({_params_text(model, args, names)})")
                    break
        kept = [0] + [i + 1 for i, step in enumerate(taken) if step != "stutter"]
        steps = [step for step in taken if step != "stutter"]
        lines = [f"a run of {len(steps)} step{'s' if len(steps) != 1 else ''} that breaks {prop.name}, "
                 f"from the initial state:",
                 render_states(model, system, [states[0]], ["init"])]
        for n, (step, i) in enumerate(zip(steps, kept[1:]), 1):
            lines.append(f"  {n}. {step}: " + "; ".join(changes(model, system, states[i - 1], states[i])))
        return "\n".join(lines)

    def check(model: z3.ModelRef) -> str | None:
        return _bad_in(model, system.state(f"@{depth}"), prop)

    # No soft facts: from the fixed initial state every step but Lose is
    # deterministic, so the run's states hold nothing arbitrary to tidy up.
    return NegativeControl(name, build, describe, check, sizes)

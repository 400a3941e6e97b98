"""Deliberately broken hashgraph clients: the reference with one published alternative each.

spec/abft.md §12 lists, row by row, what "some published implementations"
do where this spec follows the paper.  Each bug here is one of those
alternatives (or a plain slip against a clause), injected into the
reference for the duration of one request: ``altledger conformance client
--impl broken:NAME`` answers with it, and the suite must fail it on the
vectors named in ``catches`` with a readable diff (tests and ``altledger
verify`` check that it does).  That is the evidence, per §12 row, that a
client taking the other side cannot pass.

Why patches of the reference and not copies: the bug is the few lines
below, next to its name; everything else is the reference's code.  The
patches replace functions of :mod:`altledger.reference.abft.hashgraph` (the
reference resolves them through the module at call time), or wrap the
reader, or post-process the output; they are active only inside a request
(:meth:`BrokenBackend.active`), so a process can run several bugs in turn.
"""

from __future__ import annotations

import dataclasses
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator
from unittest import mock

from altledger.conformance.abft_backends import ReferenceBackend
from altledger.reference.abft import dagfile
from altledger.reference.abft import hashgraph as hg
from altledger.reference.abft.dag import Dag, Member
from altledger.reference.crypto import ed25519_rejection_reason
from altledger.reference.errors import InputFileError, ToolError

Patch = tuple[object, str, object]
ORIGINAL = {name: getattr(hg, name) for name in (
    "is_ancestor", "vote", "tally", "decision", "unique_famous_witnesses", "round_received")}
ORIGINAL_READ_RECORD = dagfile.event_from_record
ORIGINAL_REJECTION_REASON = Dag.rejection_reason


@dataclass(frozen=True)
class Bug:
    description: str
    clauses: tuple[str, ...]
    catches: tuple[str, ...]                              # vector ids that must fail (tests and verify check)
    patches: Callable[[], list[Patch]] = lambda: []       # hashgraph functions replaced during a request
    transform: Callable[[Dag], Dag] | None = None         # applied to the DAG read, before consensus
    post: Callable[[dict], dict] | None = None            # applied to every output
    reader: Callable[[str, str, bool], Dag] | None = None  # replaces the reference reader


# -- §3, §4: ancestry and strongly seeing -----------------------------------------------------------


def strict_ancestry(g: Dag, y: bytes, x: bytes) -> bool:
    """§12.1 alternative: an event is not its own ancestor."""
    return y != x and ORIGINAL["is_ancestor"](g, y, x)


def strict_intermediaries(g: Dag, x: bytes, y: bytes) -> bool:
    """§12.2 alternative: x is not one of its own intermediaries (only strict ancestors of x count)."""
    if not hg.sees(g, x, y):
        return False
    middle = []
    for c, z in hg.latest_events(g, x).items():
        z = hg.self_parent(g, x) if z == x else z
        if z is not None and z != hg.FORKED and hg.is_ancestor(g, y, z):
            middle.append(c)
    return hg.supermajority(g, middle)


# -- §1.3 thresholds ---------------------------------------------------------------------------------


def unit_stakes(g: Dag) -> Dag:
    """§12.3 alternative: count members, not stake (every member weighs 1)."""
    out = Dag([Member(m.id, m.public_key, 1) for m in g.members], g.coin_period, g.source)
    for x in g:
        out.add(g.event(x), g.label(x), check_signature=False)
    return out


def supermajority_at_least(g: Dag, creators: Any) -> bool:
    """§12.3 alternative: ``≥ 2/3`` instead of ``> 2/3``."""
    return 3 * hg.stake_of(g, creators) >= 2 * g.total_stake


def at_least_two_thirds(g: Dag, stake: int) -> bool:
    return 3 * stake >= 2 * g.total_stake


# -- §6 votes, coins, decisions ----------------------------------------------------------------------


def yes_no(g: Dag, y: bytes, x: bytes) -> tuple[int, int]:
    """The stakes voting TRUE and FALSE about x among the previous round's witnesses y strongly sees."""
    previous = hg.round_created(g, y) - 1
    seen = [w for w in hg.seen_witnesses(g, y, previous) if hg.strongly_sees(g, y, w)]
    yes = hg.stake_of(g, [hg.creator(g, w) for w in seen if hg.vote(g, w, x)])
    no = hg.stake_of(g, [hg.creator(g, w) for w in seen if not hg.vote(g, w, x)])
    return yes, no


def votes_strongly_seen(g: Dag, y: bytes, x: bytes) -> bool:
    """§12.5 alternative: one round later, vote whether y *strongly* sees x."""
    if hg.round_created(g, y) - hg.round_created(g, x) == 1:
        return hg.strongly_sees(g, y, x)
    return ORIGINAL["vote"](g, y, x)


def tie_votes_false(g: Dag, y: bytes, x: bytes) -> tuple[bool, int]:
    """§12.6 alternative: a tie is a FALSE majority."""
    yes, no = yes_no(g, y, x)
    return yes > no, max(yes, no)


def threshold_on_voters(g: Dag, y: bytes, x: bytes) -> bool | None:
    """§12.6 alternative: decide when the majority holds > 2/3 of the stake of the voters seen."""
    d = hg.round_created(g, y) - hg.round_created(g, x)
    if d < 2 or hg.is_coin_round(g, d):
        return None
    yes, no = yes_no(g, y, x)
    return (yes >= no) if 3 * max(yes, no) > 2 * (yes + no) else None


def coin_high_bit(g: Dag, y: bytes) -> bool:
    """§12.7 alternative: the most significant bit of the middle byte."""
    signature = g.event(y).signature
    return bool(signature[len(signature) // 2] & 0x80)


def vote_coin_by_absolute_round(g: Dag, y: bytes, x: bytes) -> bool:
    """§12.7 alternative: coin rounds are the voter rounds that are multiples of coin_period."""
    if hg.round_created(g, y) - hg.round_created(g, x) == 1:
        return hg.sees(g, y, x)
    v, t = hg.tally(g, y, x)
    if hg.round_created(g, y) % g.coin_period == 0 and not hg.more_than_two_thirds(g, t):
        return hg.coin(g, y)
    return v


def decide_coin_by_absolute_round(g: Dag, y: bytes, x: bytes) -> bool | None:
    if hg.round_created(g, y) - hg.round_created(g, x) < 2 or hg.round_created(g, y) % g.coin_period == 0:
        return None
    v, t = hg.tally(g, y, x)
    return v if hg.more_than_two_thirds(g, t) else None


def first_decider_in_insertion_order(g: Dag, x: bytes) -> bool | None:
    """§12.16 alternative: the first decider met in DAG order, not the smallest hash of the lowest round."""
    for j in range(hg.round_created(g, x) + 2, max(hg.witnesses_by_round(g), default=0) + 1):
        for y in hg.witnesses(g, j):
            value = hg.decision(g, y, x)
            if value is not None:
                return value
    return None


# -- §6.6, §7.1 unique famous witnesses and round received ------------------------------------------------


def keep_one_of_forked_famous(g: Dag, r: int) -> tuple[bytes, ...]:
    """§12.9 alternative: of a creator's famous witnesses, keep the one with the lowest hash."""
    kept: dict[bytes, bytes] = {}
    for w in sorted(w for w in hg.witnesses(g, r) if hg.fame(g, w) is True):
        kept.setdefault(hg.creator(g, w), w)
    return tuple(sorted(kept.values()))


def keep_all_famous(g: Dag, r: int) -> tuple[bytes, ...]:
    """§12.9 alternative: keep every famous witness, forked or not."""
    return tuple(sorted(w for w in hg.witnesses(g, r) if hg.fame(g, w) is True))


def rounds_used_out_of_sequence(g: Dag, x: bytes) -> int | None:
    """§12.8 alternative: a round counts as soon as its own witnesses are decided."""
    for r in range(hg.round_created(g, x), max(hg.witnesses_by_round(g), default=0) + 1):
        if all(hg.fame(g, w) is not None for w in hg.witnesses(g, r)):
            ufw = hg.unique_famous_witnesses(g, r)
            if ufw and all(hg.is_ancestor(g, x, w) for w in ufw):
                return r
    return None


def vacuous_round_received(g: Dag, x: bytes) -> int | None:
    """§12.13 alternative: a decided round without unique famous witnesses receives everything below it."""
    for r in range(hg.round_created(g, x), hg.last_decided_round(g) + 1):
        if all(hg.is_ancestor(g, x, w) for w in hg.unique_famous_witnesses(g, r)):
            return r
    return None


# -- §7.2-§7.4 timestamps and order ----------------------------------------------------------------------


def witness_own_timestamp(g: Dag, w: bytes, x: bytes) -> bytes:
    """§12.14 alternative: the unique famous witness's own timestamp."""
    return w


def lower_median(values: list[int]) -> int:
    """§12.14 alternative: the lower median."""
    return sorted(values)[(len(values) - 1) // 2]


def mean_of_middle(values: list[int]) -> int:
    """§12.14 alternative: the mean of the two middle elements (rounded down) when there are two."""
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) // 2


def raw_signature(g: Dag, x: bytes) -> int:
    """§12.15 alternative: order ties by the raw signature, not whitened."""
    return int.from_bytes(g.event(x).signature, "big")


def little_endian_whitening(g: Dag, x: bytes) -> int:
    """§12.15 alternative: the whitened signature read little-endian."""
    return int.from_bytes(hg.xor(g.event(x).signature, hg.round_whitening(g, hg.round_received(g, x))), "little")


def little_endian_hash_key(g: Dag, x: bytes) -> tuple[int, int, int, int]:
    """§12.15 alternative: equal whitened signatures broken by the hash read little-endian."""
    return (hg.round_received(g, x), hg.consensus_timestamp(g, x), hg.whitened_signature(g, x),
            int.from_bytes(x, "little"))


def causal_order(g: Dag) -> tuple[bytes, ...]:
    """§12.17 alternative: among equal (round received, timestamp), ancestors first (by generation:
    0 for a parentless event, else 1 + the larger parent generation), then the whitened signature."""
    generation: dict[bytes, int] = {}
    for x in g:
        generation[x] = max((generation[p] + 1 for p in hg.parents(g, x)), default=0)
    ordered = [x for x in hg.evaluate_in_order(g) if hg.round_received(g, x) is not None]
    return tuple(sorted(ordered, key=lambda x: (hg.round_received(g, x), hg.consensus_timestamp(g, x),
                                                generation[x], hg.whitened_signature(g, x),
                                                int.from_bytes(x, "big"))))


def rounds_from_zero(output: dict[str, Any]) -> dict[str, Any]:
    """§12.4 alternative: parentless events are in round 0 (every round number one lower)."""
    events = {label: dict(e, round=e["round"] - 1,
                          round_received=None if e["round_received"] is None else e["round_received"] - 1)
              for label, e in output["events"].items()}
    return dict(output, events=events, last_decided_round=output["last_decided_round"] - 1)


# -- §2.2, §9.3: the reader --------------------------------------------------------------------------


def read_without_signatures(text: str, source: str, check_signatures: bool) -> Dag:
    """§9.3 slip: signatures are never checked."""
    return dagfile.parse_dag_text(text, source, check_signatures=False)


def read_requiring_increasing_timestamps(text: str, source: str, check_signatures: bool) -> Dag:
    """§12.12 alternative: an event's timestamp must exceed its self-parent's."""
    g = dagfile.parse_dag_text(text, source, check_signatures)
    for x in g:
        sp = hg.self_parent(g, x)
        if sp is not None and g.event(x).timestamp <= g.event(sp).timestamp:
            raise InputFileError(source, f"event {g.label(x)!r}", "timestamp is not above its self-parent's")
    return g


def lenient_about(rule: str) -> Callable[[], list[Patch]]:
    """Reader and DAG patches that skip one §2.2 rule: ``one-parent`` (§12.10: an event may have only
    one parent) or ``same-creator`` (§12.11: the other-parent may be by the same creator).  The event is
    checked as if parentless, then its parents are put back."""
    def breaks(creator_of: Callable[[Any], Any], creator: Any, sp: Any, op: Any) -> bool:
        if rule == "one-parent":
            return (sp is None) != (op is None)
        return sp is not None and op is not None and creator_of(op) == creator

    def read_record(record: dict, dag: Dag, creators: dict, all_ids: set) -> Any:
        sp, op = record["self_parent"], record["other_parent"]
        known = [label for label in (sp, op) if label is not None]
        if not all(label in dag.by_label for label in known) or not breaks(
                lambda label: dag.member_id(dag.event(dag.by_label[label]).creator), record["creator"], sp, op):
            return ORIGINAL_READ_RECORD(record, dag, creators, all_ids)
        event = ORIGINAL_READ_RECORD(dict(record, self_parent=None, other_parent=None), dag, creators, all_ids)
        return dataclasses.replace(event, self_parent=dag.by_label[sp] if sp else None,
                                   other_parent=dag.by_label[op] if op else None)

    def rejection_reason(self: Dag, event: Any, check_signature: bool = True,
                         event_hash: bytes | None = None) -> str | None:
        parents = [p for p in (event.self_parent, event.other_parent) if p is not None]
        if not all(p in self.events for p in parents) or not breaks(
                lambda p: self.events[p].creator, event.creator, event.self_parent, event.other_parent):
            return ORIGINAL_REJECTION_REASON(self, event, check_signature, event_hash)
        event_hash = event.hash() if event_hash is None else event_hash
        bare = dataclasses.replace(event, self_parent=None, other_parent=None)
        reason = ORIGINAL_REJECTION_REASON(self, bare, False, event_hash)
        if reason is None and check_signature:
            why = ed25519_rejection_reason(event.creator, event.signing_bytes(), event.signature)
            reason = None if why is None else f"signature does not verify ({why.value})"
        return reason

    return lambda: [(dagfile, "event_from_record", read_record), (Dag, "rejection_reason", rejection_reason)]


def patch(**replacements: Any) -> Callable[[], list[Patch]]:
    return lambda: [(hg, name, value) for name, value in replacements.items()]


BUGS: dict[str, Bug] = {
    "strict-ancestry": Bug(
        "an event is not its own ancestor", ("§3.1", "§12.1"), ("dag/hand/ring",),
        patch(is_ancestor=strict_ancestry)),
    "strict-intermediaries": Bug(
        "strongly seeing needs intermediaries strictly below the event", ("§4.2", "§12.2"), ("dag/hand/ring",),
        patch(strongly_sees=strict_intermediaries)),
    "count-members-not-stake": Bug(
        "thresholds count members instead of summing stake", ("§1.3", "§12.3"), (
            "dag/hand/stake-not-member-count",
            "dag/sim/n4-stakes-1-2-3-4",
            "dag/adversarial/byzantine-halves-conflicting-deciders",
        ), transform=unit_stakes),
    "at-least-two-thirds": Bug(
        "thresholds are >= 2/3 instead of > 2/3", ("§1.3", "§12.3"), ("dag/sim/n3-two-thirds-is-not-enough",),
        patch(supermajority=supermajority_at_least, more_than_two_thirds=at_least_two_thirds)),
    "rounds-from-zero": Bug(
        "parentless events are in round 0", ("§5.1", "§12.4"), ("dag/hand/ring",), post=rounds_from_zero),
    "votes-strongly-seen": Bug(
        "first-round voters vote whether they strongly see the candidate", ("§6.2", "§12.5"), (
            "dag/hand/tie-votes-true",
        ),
        patch(vote=votes_strongly_seen)),
    "tie-votes-false": Bug(
        "a tie in the election votes FALSE", ("§6.2", "§12.6"), (
            "dag/hand/tie-votes-true",
            "dag/hand/fork-hides-forker",
            "dag/hand/fork-both-sides-famous",
        ), patch(tally=tie_votes_false)),
    "threshold-on-voters": Bug(
        "a decision needs > 2/3 of the voters' stake, not of the total", ("§6.2", "§12.6"), (
            "dag/adversarial/decision-needs-two-thirds-of-total",
            "dag/adversarial/decision-needs-two-thirds-of-total-2",
        ),
        patch(decision=threshold_on_voters)),
    "coin-high-bit": Bug(
        "the coin is the most significant bit of the middle signature byte", ("§6.3", "§12.7"), (
            "dag/adversarial/coin-steers-election",
            "dag/adversarial/coin-steers-election-2",
            "incremental/adversarial/coin-steers-election",
        ),
        patch(coin=coin_high_bit)),
    "coin-by-absolute-round": Bug(
        "coin rounds are voter rounds that are multiples of coin_period", ("§6.2", "§12.7"), (
            "dag/hand/tie-coin-round",
            "dag/adversarial/coin-round-is-a-distance",
            "dag/adversarial/coin-round-is-a-distance-n5",
        ),
        patch(vote=vote_coin_by_absolute_round, decision=decide_coin_by_absolute_round)),
    "rounds-out-of-sequence": Bug(
        "a round is used for round received as soon as its own witnesses are decided", ("§6.5", "§12.8"), (
            "dag/hand/fork-coin-round-nothing-decided",
            "dag/hand/tie-votes-true",
        ),
        patch(round_received=rounds_used_out_of_sequence)),
    "keep-one-forked-famous": Bug(
        "a creator with two famous witnesses keeps the one with the lowest hash", ("§6.6", "§12.9"), (
            "dag/hand/fork-both-sides-famous",
            "incremental/hand/fork-both-sides-famous",
        ),
        patch(unique_famous_witnesses=keep_one_of_forked_famous)),
    "keep-all-famous": Bug(
        "every famous witness counts as unique famous, forked or not", ("§6.6", "§12.9"), (
            "dag/hand/fork-both-sides-famous",
            "incremental/hand/fork-both-sides-famous",
        ),
        patch(unique_famous_witnesses=keep_all_famous)),
    "accept-one-parent": Bug(
        "an event with only one parent is accepted", ("§2.2", "§12.10"), (
            "reject/structure/self-parent-only",
            "reject/structure/first-event-with-other-parent",
        ), patches=lenient_about("one-parent")),
    "accept-same-creator-other-parent": Bug(
        "an other-parent by the event's own creator is accepted", ("§2.2", "§12.11"), (
            "reject/structure/other-parent-by-same-creator",
            "reject/structure/other-parent-by-same-creator-unchecked",
        ),
        patches=lenient_about("same-creator")),
    "require-increasing-timestamps": Bug(
        "timestamps must increase along a creator's chain", ("§2.2", "§12.12"), ("dag/edge/timestamps-fall",),
        reader=read_requiring_increasing_timestamps),
    "witness-own-timestamp": Bug(
        "the consensus timestamp takes each unique famous witness's own timestamp", ("§7.2", "§12.14"), (
            "dag/hand/ring",
        ),
        patch(earliest_self_ancestor_reaching=witness_own_timestamp)),
    "lower-median": Bug(
        "the consensus timestamp is the lower median", ("§7.2", "§12.14"), (
            "dag/hand/ring",
            "dag/hand/stake-not-member-count",
        ), patch(upper_median=lower_median)),
    "mean-median": Bug(
        "the consensus timestamp is the mean of the two middle timestamps", ("§7.2", "§12.14"), (
            "dag/hand/ring",
            "dag/hand/stake-not-member-count",
        ),
        patch(upper_median=mean_of_middle)),
    "unwhitened-order": Bug(
        "ties are broken by the raw signature, not the whitened one", ("§7.3", "§12.15"), (
            "dag/hand/ring",
            "dag/hand/stake-not-member-count",
        ),
        patch(whitened_signature=raw_signature)),
    "little-endian-whitening": Bug(
        "the whitened signature is read little-endian", ("§7.3", "§12.15"), ("dag/hand/ring",),
        patch(whitened_signature=little_endian_whitening)),
    "little-endian-hash-tie-break": Bug(
        "equal whitened signatures are ordered by the event hash read little-endian", ("§7.4", "§12.15"),
        ("dag/hand/ring",), patch(order_key=little_endian_hash_key)),
    "first-decider-in-insertion-order": Bug(
        "fame is decided by the first decider in DAG order", ("§6.4", "§12.16"), (
            "dag/hand/conflicting-deciders-b3-wins",
            "dag/adversarial/byzantine-halves-conflicting-deciders",
        ),
        patch(fame=first_decider_in_insertion_order)),
    "causal-order": Bug(
        "ties are broken causally (ancestors first) before the whitened signature", ("§7.4", "§12.17"), (
            "dag/hand/ring",
        ),
        patch(total_order=causal_order)),
    "no-signature-check": Bug(
        "signatures are never verified", ("§2.2", "§9.3"), (
            "reject/signature/flipped-bit",
            "reject/signature/timestamp-changed",
            "reject/signature/signed-by-another-member",
            "reject/signature/s-not-reduced",
            "reject/signature/synthetic-with-checking-on",
        ), reader=read_without_signatures),
}


# Alternatives no vector separates yet.  §12.13 matters only for a *decided* round without a unique famous
# witness; no hand-built DAG, and no seeded adversarial or partition DAG tried (thousands of seeds, forking
# stake up to one half), has one — tests/abft/test_abft_spec_choices.py pins the choice by patching the
# reference instead.  The client can still be run (``--impl broken:vacuous-round-received``); the tests
# check that it passes every vector, so a vector that starts to catch it is noticed and the bug moves to BUGS.
UNCAUGHT: dict[str, Bug] = {
    "vacuous-round-received": Bug(
        "a decided round without unique famous witnesses receives every event below it", ("§7.1", "§12.13"), (),
        patch(round_received=vacuous_round_received)),
}


class BrokenBackend(ReferenceBackend):
    """The reference with :attr:`bug` active for every request."""

    def __init__(self, name: str, bug: Bug) -> None:
        self.name = f"broken:{name}"
        self.bug = bug

    @contextmanager
    def active(self) -> Iterator[None]:
        with ExitStack() as stack:
            for target, attribute, value in self.bug.patches():
                stack.enter_context(mock.patch.object(target, attribute, value))
            yield

    def read(self, text: str, source: str, check_signatures: bool) -> Dag:
        with self.active():
            if self.bug.reader is not None:
                return self.bug.reader(text, source, check_signatures)
            return super().read(text, source, check_signatures)

    def _prepare(self, dag: Dag) -> Dag:
        return self.bug.transform(dag) if self.bug.transform is not None else dag

    def _finish(self, output: dict[str, Any]) -> dict[str, Any]:
        return self.bug.post(output) if self.bug.post is not None else output

    def consensus_output(self, dag: Dag) -> dict[str, Any]:
        with self.active():
            return self._finish(super().consensus_output(self._prepare(dag)))

    def incremental_outputs(self, dag: Dag) -> Iterator[tuple[str, dict[str, Any]]]:
        with self.active():
            steps = [(label, self._finish(output))
                     for label, output in super().incremental_outputs(self._prepare(dag))]
        return iter(steps)


def broken_backend(name: str) -> BrokenBackend:
    bug = BUGS.get(name) or UNCAUGHT.get(name)
    if bug is None:
        raise ToolError(f"unknown bug {name!r}; known: {', '.join(sorted(BUGS | UNCAUGHT))}")
    return BrokenBackend(name, bug)

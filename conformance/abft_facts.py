"""What a DAG exercises: facts computed by the reference, and the spec clauses they put to work.

Why computed: a vector's ``clauses`` must say which parts of spec/abft.md a
client has to get right to pass it.  Some clauses are met by every DAG with
parents (rounds, seeing, fame); the interesting ones only when a situation
actually arises — a coin vote cast, a 2-2 tie, a fork hiding a creator, two
events with equal consensus timestamps, a child ordered before its parent.
This module looks for each situation with the reference's own functions
(:mod:`altledger.reference.abft.hashgraph`) and records how often it occurs
(the vector's ``facts``); :func:`clauses_of` turns the facts into clause
citations.  Nothing here decides an expected output.
"""

from __future__ import annotations

from typing import Any

from altledger.reference.abft import hashgraph as hg
from altledger.reference.abft.dag import Dag


def witness_pairs(g: Dag) -> list[tuple[bytes, bytes, int]]:
    """Every (voter y, candidate x, d = round(y) - round(x)) with d >= 1, both witnesses."""
    by_round = hg.witnesses_by_round(g)
    pairs = []
    for j, voters in by_round.items():
        for r, candidates in by_round.items():
            if r < j:
                pairs.extend((y, x, j - r) for y in voters for x in candidates)
    return pairs


def vote_facts(g: Dag) -> dict[str, int]:
    """Coin votes, ties, and first-round votes where seeing and strongly seeing differ (§6.2, §6.3)."""
    coin_votes = ties = tie_coin = sees_not_strongly = decisions = 0
    for y, x, d in witness_pairs(g):
        if d == 1:
            sees_not_strongly += hg.sees(g, y, x) and not hg.strongly_sees(g, y, x)
            continue
        v, t = hg.tally(g, y, x)
        previous = hg.round_created(g, y) - 1
        seen = [w for w in hg.seen_witnesses(g, y, previous) if hg.strongly_sees(g, y, w)]
        yes = hg.stake_of(g, [hg.creator(g, w) for w in seen if hg.vote(g, w, x)])
        no = hg.stake_of(g, [hg.creator(g, w) for w in seen if not hg.vote(g, w, x)])
        coin = hg.is_coin_round(g, d) and not hg.more_than_two_thirds(g, t)
        coin_votes += coin
        if yes == no and yes > 0:
            ties += 1
            tie_coin += coin
        decisions += hg.decision(g, y, x) is not None
    return {"coin_votes": coin_votes, "tie_votes": ties - tie_coin, "first_round_votes_seeing_not_strongly":
            sees_not_strongly, "decisions": decisions}


def fork_facts(g: Dag) -> dict[str, Any]:
    """Forking members (§3.3), events with an ancestor they do not see (§4.1), rounds whose famous
    witnesses include two by one creator (§6.6)."""
    forkers: set[str] = set()
    by_creator: dict[bytes, list[bytes]] = {}
    for x in g:
        by_creator.setdefault(hg.creator(g, x), []).append(x)
    for c, events in by_creator.items():
        if any(hg.is_fork(g, a, b) for i, a in enumerate(events) for b in events[i + 1:]):
            forkers.add(g.member_id(c))
    hidden = sum(any(v == hg.FORKED for v in hg.latest_events(g, x).values()) for x in g)
    doubled = 0
    for r, ws in hg.witnesses_by_round(g).items():
        famous = [hg.creator(g, w) for w in ws if hg.fame(g, w) is True]
        doubled += len(famous) != len(set(famous))
    return {"forking_members": sorted(forkers), "events_not_seeing_a_forker": hidden,
            "rounds_with_forked_famous_witnesses": doubled}


def decision_facts(g: Dag) -> dict[str, int]:
    """Rounds decided out of sequence (§6.5), lowest-round deciders that disagree (§6.4), decided rounds
    without a unique famous witness (§7.1.2)."""
    by_round = hg.witnesses_by_round(g)
    decided = [r for r, ws in by_round.items() if all(hg.fame(g, w) is not None for w in ws)]
    last = hg.last_decided_round(g)
    conflicts = 0
    for ws in by_round.values():
        for x in ws:
            r = hg.round_created(g, x)
            for j in range(r + 2, max(by_round, default=0) + 1):
                values = {hg.decision(g, y, x) for y in by_round.get(j, ())} - {None}
                if values:
                    conflicts += len(values) > 1
                    break
    return {"decided_rounds_after_an_undecided_one": sum(r > last for r in decided),
            "conflicting_lowest_round_deciders": conflicts,
            "decided_rounds_without_unique_famous_witness": sum(
                not hg.unique_famous_witnesses(g, r) for r in range(1, last + 1))}


def order_facts(g: Dag) -> dict[str, int]:
    """Ties the order must break (§7.3, §7.4), children ordered before an ancestor (§7.5), receiving
    rounds with an even number of unique famous witnesses (upper median, §7.2)."""
    order = hg.total_order(g)
    keys = [(hg.round_received(g, x), hg.consensus_timestamp(g, x)) for x in order]
    whitened = [hg.whitened_signature(g, x) for x in order]
    position = {x: i for i, x in enumerate(order)}
    before_ancestor = sum(1 for x in order for y in order
                          if x != y and position[x] < position[y] and hg.is_ancestor(g, y, x))
    receiving = {hg.round_received(g, x) for x in order}
    return {
        "ordered": len(order),
        "timestamp_ties": sum(a == b for a, b in zip(keys, keys[1:])),
        "equal_whitened_signatures": sum(a == b and wa == wb for a, b, wa, wb
                                         in zip(keys, keys[1:], whitened, whitened[1:])),
        "ordered_before_an_ancestor": before_ancestor,
        "receiving_rounds_with_even_unique_famous": sum(
            len(hg.unique_famous_witnesses(g, r)) % 2 == 0 for r in receiving),
    }


def timestamps_fall(g: Dag) -> int:
    """Events whose timestamp is below their self-parent's (allowed, §12.12)."""
    return sum(1 for x in g if (sp := hg.self_parent(g, x)) is not None
               and g.event(x).timestamp < g.event(sp).timestamp)


def facts_of(g: Dag, check_signatures: bool) -> dict[str, Any]:
    """Every fact, in a fixed key order (they are written into the vector)."""
    stakes = [m.stake for m in g.members]
    by_round = hg.witnesses_by_round(g)
    facts: dict[str, Any] = {
        "members": len(g.members), "total_stake": g.total_stake, "equal_stakes": len(set(stakes)) == 1,
        "coin_period": g.coin_period, "events": len(g), "signatures_checked": check_signatures,
        "rounds": max(by_round, default=0), "witnesses": sum(len(ws) for ws in by_round.values()),
        "last_decided_round": hg.last_decided_round(g),
        "events_with_transactions": sum(bool(g.event(x).transactions) for x in g),
        "timestamps_below_self_parent": timestamps_fall(g),
    }
    facts |= fork_facts(g) | vote_facts(g) | decision_facts(g) | order_facts(g)
    return facts


# Clauses every DAG with parented events puts to work (§3-§8), and the situations that add others.
BASE = ["§1.1", "§1.4", "§2.2", "§3.1", "§3.2", "§4.1", "§4.2", "§5.1", "§5.2", "§6.1", "§6.2", "§6.4", "§6.5",
        "§6.6", "§8.1", "§9.1", "§9.2", "§12.1", "§12.2", "§12.4"]
SITUATIONS: list[tuple[str, list[str]]] = [
    ("ordered", ["§7.1", "§7.2", "§7.3", "§7.4", "§12.15"]),
    ("forking_members", ["§3.3"]),
    ("events_not_seeing_a_forker", ["§4.1"]),
    ("rounds_with_forked_famous_witnesses", ["§12.9"]),
    ("coin_votes", ["§6.3", "§12.7"]),
    ("tie_votes", ["§12.6"]),
    ("first_round_votes_seeing_not_strongly", ["§12.5"]),
    ("decisions", ["§12.6"]),
    ("decided_rounds_after_an_undecided_one", ["§12.8"]),
    ("conflicting_lowest_round_deciders", ["§12.16"]),
    ("decided_rounds_without_unique_famous_witness", ["§7.1", "§12.13"]),
    ("timestamp_ties", ["§7.3", "§12.15"]),
    ("equal_whitened_signatures", ["§12.15"]),
    ("ordered_before_an_ancestor", ["§7.5", "§12.17"]),
    ("receiving_rounds_with_even_unique_famous", ["§12.14"]),
    ("timestamps_below_self_parent", ["§12.12"]),
    ("events_with_transactions", ["§2.1"]),
]


def clause_key(clause: str) -> tuple[int, ...]:
    return tuple(int(p) for p in clause.lstrip("§").split("."))


def clauses_of(facts: dict[str, Any], extra: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    """The clauses a DAG with these facts exercises, in spec order (plus ``extra``)."""
    found = set(BASE) | set(extra)
    if facts["events"] and not facts["rounds"] > 1:
        found -= {"§6.2", "§6.4"}
    if not facts["equal_stakes"]:
        found |= {"§1.2", "§1.3", "§12.3"}
    if facts["forking_members"]:
        found.add("§1.2")
    if facts["last_decided_round"] == 0:
        found.add("§6.5")
    if not facts["signatures_checked"]:
        found.add("§9.3")
    for name, clauses in SITUATIONS:
        if facts.get(name):
            found |= set(clauses)
    return sorted(found, key=clause_key)

"""Every hashgraph conformance vector, in a fixed order (the ``abft`` suite's ``generator``).

Three kinds (formats in conformance/README.md, "The hashgraph vectors"):

* ``dag/<group>/<name>`` — a DAG file document and its consensus output
  (spec/abft.md §8.1), computed here by the reference after reading the
  document back with the reference reader;
* ``incremental/<group>/<name>`` — the same for a DAG fed one event at a time
  (§8.2): a digest of the output after every addition and full outputs at a
  few steps (where the last decided round moves, and the end);
* ``reject/<group>/<name>`` — :mod:`altledger.conformance.abft_reject_vectors`.

Groups: ``hand`` (the hand-derived DAGs of tests/abft/test_abft_handbuilt.py),
``edge`` (reader and format edge cases that must be *accepted*), ``sim``
(seeded gossip, N = 4 and 7, real signatures checked), ``synthetic``
(gossip DAGs re-signed with synthetic signatures, replayed with checking
off, §9.3), ``adversarial`` (seeded random DAGs chosen because each one
separates the spec from a §12 alternative — the reason is in the
description and ``tests/conformance/test_conformance_abft_broken.py``
checks it), ``reordered`` (one DAG, another parents-first order: the same
final output, §8.2).

Each vector's ``clauses`` come from its ``facts`` (:mod:`altledger.conformance.abft_facts`):
what the DAG actually exercises, counted by the reference.
"""

from __future__ import annotations

import json
import random
from typing import Any

from altledger.conformance import abft_dags as dags
from altledger.conformance.abft_facts import clauses_of, facts_of
from altledger.conformance.abft_handler import digest, project
from altledger.conformance.abft_resign import resign_all
from altledger.reference.abft.consensus import consensus_output, incremental_outputs
from altledger.reference.abft.dag import Dag
from altledger.reference.abft.dagfile import dag_to_json, parse_dag_text
from altledger.reference.abft.simulate import parse_stakes, simulate

SUITE = "abft"
MAX_CHECKPOINTS = 5


def reread(document: dict[str, Any], check_signatures: bool) -> Dag:
    """The DAG a reader makes of ``document`` (the vector's input), by the reference reader."""
    return parse_dag_text(json.dumps(document), "vector", check_signatures)


def dag_vector(group: str, name: str, description: str, document: dict[str, Any], check_signatures: bool,
               extra: tuple[str, ...] = ()) -> dict[str, Any]:
    g = reread(document, check_signatures)
    facts = facts_of(g, check_signatures)
    return {"id": f"dag/{group}/{name}", "suite": SUITE, "kind": "dag", "description": description,
            "clauses": clauses_of(facts, list(extra)), "facts": facts, "check_signatures": check_signatures,
            "dag": document, "expected": project(consensus_output(g))}


def checkpoint_steps(outputs: list[dict[str, Any]]) -> list[int]:
    """Where the last decided round first takes each new value, and the last step (at most
    :data:`MAX_CHECKPOINTS`, the latest kept)."""
    steps = [i for i, out in enumerate(outputs)
             if i > 0 and out["last_decided_round"] != outputs[i - 1]["last_decided_round"]]
    steps = (steps + [len(outputs) - 1])[-MAX_CHECKPOINTS:]
    return sorted(set(steps))


def incremental_vector(group: str, name: str, description: str, document: dict[str, Any],
                       check_signatures: bool, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    g = reread(document, check_signatures)
    steps = list(incremental_outputs(g))
    outputs = [out for _, out in steps]
    chosen = checkpoint_steps(outputs)
    facts = facts_of(g, check_signatures)
    return {"id": f"incremental/{group}/{name}", "suite": SUITE, "kind": "incremental", "description": description,
            "clauses": clauses_of(facts, ["§8.2", *extra]), "facts": facts, "check_signatures": check_signatures,
            "dag": document, "checkpoints": chosen,
            "expected": {"digests": [digest(out) for out in outputs],
                         "checkpoints": [{"step": i, "added": steps[i][0], "output": project(outputs[i])}
                                         for i in chosen]}}


def reordered(document: dict[str, Any], seed: int) -> dict[str, Any]:
    """The same document with its events in another parents-first order (a seeded linear extension)."""
    rng = random.Random(f"altledger abft reorder/{seed}")
    events = document["events"]
    children: dict[str, list[str]] = {e["id"]: [] for e in events}
    waiting = {}
    for e in events:
        parents = [p for p in (e["self_parent"], e["other_parent"]) if p is not None]
        waiting[e["id"]] = len(parents)
        for p in parents:
            children[p].append(e["id"])
    by_id = {e["id"]: e for e in events}
    ready = [e["id"] for e in events if waiting[e["id"]] == 0]
    out = []
    while ready:
        label = ready.pop(rng.randrange(len(ready)))
        out.append(by_id[label])
        for child in children[label]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    return dict(document, events=out)


# -- hand-built (expected values derived by hand in tests/abft/test_abft_handbuilt.py) ---------------------


def hand_documents() -> dict[str, tuple[str, dict[str, Any], tuple[str, ...]]]:
    """name -> (description, document, extra clauses)."""
    b_wins, c_wins = dags.conflict_signature(True), dags.conflict_signature(False)
    return {
        "ring": ("Four equal members gossip in a ring (test_abft_handbuilt DAG 1): A2 reaches round 2 only "
                 "because it is one of its own intermediaries (§12.2); rounds 1 and 2 are decided by A3 and A4; "
                 "8 events are received in round 2 with upper-median timestamps 6..10 (§12.14). Ties: B2 before "
                 "its self-parent B1 (§7.5), C2 before C1 (big-endian whitening), D1/D2 with equal whitened "
                 "signatures ordered by hash (§12.15).", dag_to_json(dags.ring_dag()), ()),
        "tie-votes-true": ("DAG 2: round-3 witnesses B4, C5, D3 see a 2-2 tie about D1 and vote TRUE (§12.6); C4 "
                           "only sees D1 and votes TRUE (§12.5). Nothing is decided, nothing ordered.",
                           dag_to_json(dags.tie_dag()), ()),
        "tie-coin-round": ("DAG 2 with coin_period 3: A5's vote about D1 (d = 3, no supermajority) is a coin vote "
                           "(§6.3), and a coin round never decides.",
                           dag_to_json(dags.tie_dag(3, dags.sig(first=0xAA, middle=0x01, last=0x55))), ()),
        "stake-not-member-count": ("DAG 3, stakes 1, 1, 2: A2 is in round 2 because A and C hold 3 of 4 stake "
                                   "(a member count, 2 of 3, would say round 1, §12.3); B1 is decided not "
                                   "famous; two unique famous witnesses, so each timestamp is the larger of two "
                                   "(upper median, §12.14); C2 before C1 by whitened signature.",
                                   dag_to_json(dags.stake_dag()), ()),
        "fork-hides-forker": ("DAG 4: D (stake 1 of 5) forks D1a/D1b; B5 has both below it and sees neither "
                              "(§4.1); both are decided famous by C6, so D has no unique famous witness in round "
                              "1 (§6.6, §12.9); C1, B1, C2, B2 are received in round 2.",
                              dag_to_json(dags.fork_dag()), ()),
        "fork-coin-round-nothing-decided": ("DAG 4 with coin_period 3: the only deciding round for D1a/D1b is a "
                                            "coin round, which never decides (§6.2); round 1 stays undecided, so "
                                            "round 2 (decided) may not be used (§6.5, §12.8): nothing is ordered.",
                                            dag_to_json(dags.fork_dag(3)), ()),
        "fork-both-sides-famous": ("D (stake 1 of 5) forks its round-2 witness; B's round-3 witness sees one "
                                   "side, C's the other; the 2-2 tie votes TRUE and both sides become famous, so D "
                                   "has no unique famous witness in round 2, a round that receives B1, C1, B2, C2 "
                                   "(§6.6, §12.9; derivation in abft_dags.fork_famous_both_sides_dag).",
                                   dag_to_json(dags.fork_famous_both_sides_dag()), ()),
        "conflicting-deciders-b3-wins": ("DAG 5: D holds 2 of 4 stake (Byzantine, > S/3) and forks; B3 and C3, "
                                         "both round 3, decide round 1 oppositely; B3 has the smaller hash, so "
                                         "B1 and D1a are famous, C1 and D1b not (§6.4, §12.16).",
                                         dag_to_json(dags.conflict_dag(b_wins)), ()),
        "conflicting-deciders-c3-wins": ("DAG 5 with another B3 signature: C3 has the smaller hash, so C1 and "
                                         "D1b are famous, B1 and D1a not (§6.4, §12.16).",
                                         dag_to_json(dags.conflict_dag(c_wins)), ()),
    }


def hand_vectors() -> list[dict[str, Any]]:
    return [dag_vector("hand", name, description, document, False, extra)
            for name, (description, document, extra) in hand_documents().items()]


# -- edge cases of the reader and the format (all must be accepted) -------------------------------------


def small_signed_run() -> Any:
    return simulate(3, 12, seed=101, transactions=2)


def edge_vectors() -> list[dict[str, Any]]:
    run = small_signed_run()
    base = dag_to_json(run.dag)
    upper = json.loads(json.dumps(base))
    for m in upper["members"]:
        m["public_key"] = m["public_key"].upper()
    for e in upper["events"]:
        e["signature"] = e["signature"].upper()
        e["transactions"] = [t.upper() for t in e["transactions"]]
    no_shard = json.loads(json.dumps(base))
    for e in no_shard["events"]:
        del e["shard"]
    falling = json.loads(json.dumps(base))
    for e in falling["events"]:
        if e["self_parent"] is not None:
            e["timestamp"] = 1000 - e["timestamp"]                 # every chain runs backwards in time
    falling = resign_all(falling, run.key_seeds)
    huge = json.loads(json.dumps(base))
    for e in huge["events"]:
        e["timestamp"] = 2 ** 64 - 2 ** 20 + 7 * int(e["timestamp"])       # above 2^53: doubles lose digits
    huge = resign_all(huge, run.key_seeds)
    ring = dag_to_json(dags.ring_dag())
    rename = {e["id"]: f"{e['id'][0]}/{e['id'][1:]}~{i}" if i % 2 else f"event {e['id']}"
              for i, e in enumerate(ring["events"])}
    labelled = dict(ring, members=[dict(m, id=f"member {m['id']}") for m in ring["members"]],
                    events=[dict(e, id=rename[e["id"]], creator=f"member {e['creator']}",
                                 self_parent=rename.get(e["self_parent"]), other_parent=rename.get(e["other_parent"]))
                            for e in ring["events"]])
    one = dags.Builder({"A": 3})
    for label, ts in [("A1", 5), ("A1b", 6), ("A1c", 7)]:
        one.ev(label, ts=ts)
    return [
        dag_vector("edge", "empty", "A DAG with members and no events: nothing to order; last decided round 0.",
                   dict(base, events=[]), True),
        dag_vector("edge", "single-member-parentless-forks", "One member (stake 3) and three parentless events: "
                   "three round-1 witnesses of one creator (a fork, §3.3); no later round, nothing decided.",
                   dag_to_json(one.dag), False),
        dag_vector("edge", "transactions-and-signatures", "Seeded gossip, 3 members, 12 events carrying 0-2 "
                   "transactions each, real Ed25519 signatures checked: the event encoding of spec/encoding.md "
                   "(hashes, signatures) must be exact.", base, True),
        dag_vector("edge", "upper-case-hex", "The previous DAG with every hex digit upper case: readers accept "
                   "either case (§9.2); the output (lower-case hashes) is unchanged.", upper, True),
        dag_vector("edge", "shard-omitted", "The previous DAG without the optional 'shard' members: they default "
                   "to 0 (§9.1), so hashes and signatures are unchanged.", no_shard, True),
        dag_vector("edge", "timestamps-fall", "The previous DAG with every chain's timestamps running backwards, "
                   "re-signed: timestamps are not validated (§2.2, §12.12), the median absorbs them (§7.2).",
                   falling, True),
        dag_vector("edge", "timestamps-near-u64-max", "The previous DAG with timestamps just below 2^64 - 1, "
                   "re-signed: timestamps are u64 (§2.1); consensus timestamps must not overflow or lose "
                   "precision (a JSON reader that maps numbers to doubles fails here).", huge, True),
        dag_vector("edge", "ids-are-labels", "The ring DAG with member and event ids containing spaces, '/' and "
                   "'~' (JSON pointer escapes in diffs): ids are labels only (§9.2); same hashes and order.",
                   labelled, False),
    ]


# -- seeded gossip (real signatures) and re-signed copies -----------------------------------------------------

SIMULATIONS: list[tuple[str, dict[str, Any]]] = [
    ("n3-two-thirds-is-not-enough", dict(members=3, events=60, seed=10)),
    ("n4-seed1", dict(members=4, events=80, seed=1)),
    ("n4-forker", dict(members=4, events=80, seed=2, forkers=1)),
    ("n4-stakes-1-2-3-4", dict(members=4, events=80, seed=3, stakes=[1, 2, 3, 4])),
    ("n4-coin-period-3-forker", dict(members=4, events=100, seed=4, forkers=1, coin_period=3)),
    ("n7-seed6", dict(members=7, events=120, seed=6)),
    ("n7-forkers", dict(members=7, events=120, seed=7, forkers=2)),
    ("n7-uniform-stakes-forker", dict(members=7, events=120, seed=8, forkers=1, stakes="uniform:1-9")),
    ("n7-coin-period-3-forkers", dict(members=7, events=140, seed=9, forkers=2, coin_period=3)),
]


def run_simulation(spec: dict[str, Any]) -> Any:
    spec = dict(spec)
    stakes = spec.pop("stakes", None)
    if isinstance(stakes, str):
        stakes = parse_stakes(stakes, spec["members"], spec["seed"])
    return simulate(spec.pop("members"), spec.pop("events"), spec.pop("seed"), stakes, **spec)


def command_of(spec: dict[str, Any]) -> str:
    parts = [f"-n {spec['members']}", f"-e {spec['events']}", f"--seed {spec['seed']}"]
    if spec.get("forkers"):
        parts.append(f"--forkers {spec['forkers']}")
    if spec.get("coin_period"):
        parts.append(f"--coin-period {spec['coin_period']}")
    if spec.get("stakes") is not None:
        stakes = spec["stakes"]
        parts.append(f"--stakes {stakes if isinstance(stakes, str) else ','.join(map(str, stakes))}")
    return "altledger abft simulate " + " ".join(parts)


def sim_description(spec: dict[str, Any], run: Any, signatures: str) -> str:
    stakes = ",".join(str(m.stake) for m in run.dag.members)
    return (f"Seeded gossip ({command_of(spec)}): {len(run.dag)} events by {len(run.dag.members)} members, stakes "
            f"{stakes}, {len(run.forkers)} forker(s) with {run.forks} fork(s), coin_period {run.dag.coin_period}; "
            f"{signatures}.")


def sim_vectors() -> list[dict[str, Any]]:
    vectors = []
    notes = {"n3-two-thirds-is-not-enough": " Two of the three equal members hold exactly 2/3 of the stake, "
                                            "which is not a supermajority (§1.3: 3·stake > 2·S)."}
    for name, spec in SIMULATIONS:
        run = run_simulation(spec)
        vectors.append(dag_vector("sim", name, sim_description(spec, run, "real Ed25519 signatures, checked")
                                  + notes.get(name, ""), dag_to_json(run.dag), True, ("§10.1",)))
    for name, source in [("n4-forker-resigned", "n4-forker"), ("n7-forkers-resigned", "n7-forkers")]:
        spec = dict(SIMULATIONS)[source]
        run = run_simulation(spec)
        vectors.append(dag_vector(
            "synthetic", name, sim_description(spec, run, "signatures replaced by synthetic ones (so every hash "
                                                          "differs from the signed run), replayed with signature "
                                                          "checking off (§9.3)"),
            dag_to_json(dags.with_synthetic_signatures(run.dag)), False, ("§10.1",)))
    return vectors


# -- adversarial DAGs: each separates the spec from a §12 alternative -----------------------------------

# (name, why it is here, generator in abft_dags, its arguments).  The seeds were found by trying seeds 0, 1,
# 2, … until the named alternative changes the output; tests/conformance/test_conformance_abft_broken.py
# checks that the broken client for that alternative fails on the vector (abft_broken.BUGS[...].catches).
SLOW_MEMBER = dict(members=4, events=100, activity=[1, 1, 1, 0.25], window=1)
SLOW_MEMBER_N5 = dict(members=5, events=120, activity=[1, 1, 1, 1, 0.25], window=1)
ADVERSARIAL: list[tuple[str, str, str, dict[str, Any]]] = [
    ("coin-steers-election", "m3 creates rarely, so elections about its witnesses split and run into coin "
     "rounds (coin_period 3); the coins (least significant bit of signature byte 32, §6.3) steer a later "
     "decision, so reading another bit, or counting coin rounds from the voter's round number, changes fame "
     "and order (§12.7).", "adversarial_dag", dict(seed=19, **SLOW_MEMBER)),
    ("coin-steers-election-2", "Another seed of the same shape: coin votes decide an election (§6.3, §12.7).",
     "adversarial_dag", dict(seed=18, **SLOW_MEMBER)),
    ("coin-round-is-a-distance", "Coin rounds are those where d = round(voter) - round(candidate) is a "
     "multiple of coin_period (§6.2); a client counting them by the voter's own round number votes a coin where "
     "the spec takes the majority, and a decision moves (§12.7).", "adversarial_dag", dict(seed=1, **SLOW_MEMBER)),
    ("coin-round-is-a-distance-n5", "The same separation with five members and 69 events ordered (§6.2, §12.7).",
     "adversarial_dag", dict(seed=0, **SLOW_MEMBER_N5)),
    ("decision-needs-two-thirds-of-total", "A decider strongly sees voters holding 4 of 5 stake; 3 of them "
     "agree: more than 2/3 of the voters but not of the total stake, so no decision (§6.2, §12.6).",
     "adversarial_dag", dict(seed=12, **SLOW_MEMBER_N5)),
    ("decision-needs-two-thirds-of-total-2", "Another seed where a > 2/3 majority of the voters seen is not > 2/3 "
     "of the total stake (§6.2, §12.6).", "adversarial_dag", dict(seed=14, **SLOW_MEMBER_N5)),
    ("byzantine-halves-conflicting-deciders", "m0 holds half the stake and forks, feeding one side to m1 and "
     "the other to m2: witnesses of one round decide the same election differently; the decider with the "
     "smallest hash counts, not the first found (§6.4, §12.16); stake, not member count, decides rounds.",
     "partition_dag", dict(seed=0, members=3, events=60, forkers=1, stakes=[2, 1, 1], bridge=0.05)),
    ("forker-hidden", "m0 forks repeatedly (on older self-parents and new parentless events); 67 of 100 events "
     "have a fork by m0 below them and see none of its events (§4.1), yet six rounds are decided.",
     "adversarial_dag", dict(seed=2, members=4, events=100, forkers=1, fork_rate=0.15, window=1)),
    ("forks-ties-and-coins", "A forker, tie votes and coin votes in one DAG of nine rounds (§4.1, §6.2, §6.3).",
     "adversarial_dag", dict(seed=4, members=4, events=100, forkers=1, fork_rate=0.15, window=1)),
    ("n7-unequal-stakes-forker", "Seven members with stakes 1, 2, 3, 1, 2, 3, 4 (S = 16), a forker and a slow "
     "member: children ordered before their parents (§7.5) and an even number of unique famous witnesses "
     "(upper median, §7.2).", "adversarial_dag",
     dict(seed=4, members=7, events=160, stakes=[1, 2, 3, 1, 2, 3, 4], forkers=1, fork_rate=0.1,
          activity=[1, 1, 1, 1, 1, 1, 0.3], window=2)),
]


def adversarial_vectors() -> list[dict[str, Any]]:
    vectors = []
    for name, why, generator, kwargs in ADVERSARIAL:
        g = getattr(dags, generator)(**kwargs)
        described = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        vectors.append(dag_vector("adversarial", name, f"Seeded {generator}({described}), synthetic signatures "
                                  f"(checking off): {why}", dag_to_json(g), False))
    return vectors


# -- incremental -------------------------------------------------------------------------------------------


def incremental_vectors() -> list[dict[str, Any]]:
    hand = hand_documents()
    vectors = [incremental_vector("hand", name, hand[name][0] + " Fed one event at a time.", hand[name][1], False)
               for name in ("ring", "fork-hides-forker", "fork-both-sides-famous", "conflicting-deciders-b3-wins",
                            "tie-coin-round")]
    for name, why, generator, kwargs in ADVERSARIAL:
        if name in ("coin-steers-election", "byzantine-halves-conflicting-deciders"):
            described = ", ".join(f"{k}={v}" for k, v in kwargs.items())
            vectors.append(incremental_vector("adversarial", name, f"Seeded {generator}({described}), fed one "
                                              f"event at a time: {why}",
                                              dag_to_json(getattr(dags, generator)(**kwargs)), False))
    for name in ("n4-forker", "n7-seed6"):
        spec = dict(SIMULATIONS)[name]
        run = run_simulation(spec)
        vectors.append(incremental_vector("sim", name, sim_description(spec, run, "real signatures, checked") +
                                          " Fed one event at a time.", dag_to_json(run.dag), True, ("§10.1",)))
    ring = hand["ring"][1]
    vectors.append(incremental_vector(
        "reordered", "ring", "The ring DAG (dag/hand/ring) in another parents-first order: the output after the "
        "last addition equals the batch output of dag/hand/ring (§8.2: a function of the DAG, not of the "
        "order of additions).", reordered(ring, 1), False))
    run = run_simulation(dict(SIMULATIONS)["n4-forker"])
    vectors.append(incremental_vector(
        "reordered", "n4-forker", "dag/sim/n4-forker in another parents-first order: the final output equals the "
        "batch output of dag/sim/n4-forker (§8.2).", reordered(dag_to_json(run.dag), 2), True))
    return vectors


def all_vectors() -> list[dict[str, Any]]:
    from altledger.conformance.abft_reject_vectors import reject_vectors
    return (hand_vectors() + edge_vectors() + sim_vectors() + adversarial_vectors() + incremental_vectors()
            + reject_vectors())

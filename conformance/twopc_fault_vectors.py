"""Run vectors with faults: presumed abort, lost / duplicated / reordered messages, resubmissions,
single-participant transactions, round schedules, no-ops, unfinished runs and seeded random runs.

The building blocks (the cast, :func:`run_vector`, :func:`from_driver`) are in
:mod:`altledger.conformance.twopc_run_vectors`.
"""

from __future__ import annotations

import random
from typing import Any

from altledger.reference.encoding import CrossAgentTx
from altledger.reference.twopc import Workload, parse_faults, simulate, simulate_rounds
from altledger.reference.twopc.simulate import make_tx as random_tx
from altledger.conformance.twopc_fixtures import Driver, World, make_tx
from altledger.conformance.twopc_run_vectors import (A, A2, B, B2, C, C2, D, L, S, T, U, W3, X, from_driver,
                                                     run_vector)


def presumed_abort_vectors() -> list[dict[str, Any]]:
    d = Driver(W3, {"t": T})
    d.submit(T)
    d.deliver("Prepare", to=1)
    d.deliver("Prepare", to=2)
    d.crash(0)
    d.timeout(1, T)
    d.timeout(2, T)
    d.recover(0)
    d.deliver_all()
    d.timeout(0, T)
    d.deliver_all()
    d.submit(T)
    d.drain()
    return [from_driver(d, "presumed-abort/coordinator-crash-while-collecting",
                        "Both participants vote YES, then the coordinator crashes before counting the votes. The "
                        "prepared participants time out and query; recovery leaves t idle (no commit record), so "
                        "the votes are ignored and every query is answered ABORT; the coordinator's own prepared "
                        "participant queries itself and aborts too. A resubmission of t is then refused.",
                        ["§8.4.3", "§9.2", "§7.4.2", "§12.1", "§8.1.1", "§12.4", "§8.3"])]


def message_vectors() -> list[dict[str, Any]]:
    out = []

    d = Driver(W3, {"t": T})
    d.submit(T)
    d.drop("Prepare", to=2)
    d.deliver_all()
    d.timeout(0, T)
    d.deliver_all()
    d.drain()
    out.append(from_driver(d, "messages/prepare-lost",
                           "The Prepare to shard 2 is lost; the coordinator times out while collecting and decides "
                           "abort; shard 2, still working, records the ABORT it receives.",
                           ["§10.2", "§8.5.1", "§7.3.1", "§2.4"]))

    d = Driver(W3, {"t": T})
    d.submit(T)
    d.deliver("Prepare", to=1)
    d.deliver("Prepare", to=2)
    d.drop("VoteMsg", to=0, where=lambda m: m.shard == 2)
    d.deliver_all()
    d.drain()
    out.append(from_driver(d, "messages/vote-lost",
                           "Shard 2's YES vote is lost: the coordinator never completes its yes set, times out and "
                           "aborts; the prepared participants learn ABORT.", ["§10.2", "§8.5.1", "§7.3.1"]))

    d = Driver(W3, {"t": T})
    d.submit(T)
    for _ in range(4):                   # both Prepares, both votes: the coordinator decides commit
        d.apply(("deliver", d.deliverable()[0]))
    d.drop("Decision", to=2)
    d.deliver_all()
    d.timeout(2, T)
    d.deliver_all()
    d.timeout(0, T)
    d.deliver_all()
    d.drain()
    out.append(from_driver(d, "messages/commit-lost-participant-queries",
                           "COMMIT to shard 2 is lost. Shard 2, prepared, times out and queries; the coordinator "
                           "answers COMMIT from its log. The coordinator's own timeout then re-sends COMMIT to the "
                           "participant that has not acknowledged yet, whose duplicate commit is acknowledged again.",
                           ["§7.4.2", "§8.4.1", "§8.5.2", "§7.2.2", "§10.2"]))

    d = Driver(W3, {"t": T})
    d.submit(T)
    while not any(type(e.message).__name__ == "Ack" and e.message.shard == 1 for e in d.cluster.network.values()):
        d.apply(("deliver", d.deliverable()[0]))
    d.drop("Ack", where=lambda m: m.shard == 1)
    d.deliver_all()
    d.timeout(0, T)
    d.deliver_all()
    d.drain()
    out.append(from_driver(d, "messages/ack-lost-coordinator-resends",
                           "Shard 1's Ack is lost: the coordinator stays committing; its timeout re-sends COMMIT to "
                           "shard 1 only, which acknowledges again; then the EndRecord is buffered and flushed.",
                           ["§8.5.2", "§7.2.2", "§8.6", "§10.2", "§12.7"]))

    d = Driver(W3, {"t": T})
    d.submit(T)
    copies: set[int] = set()
    while d.deliverable():
        n = d.deliverable()[0]
        if n not in copies:              # duplicate each message once, not the copies again
            copies.update(number for number, _ in d.apply(("duplicate", n)).added)
        d.apply(("deliver", n))
    d.drain()
    out.append(from_driver(d, "messages/everything-duplicated",
                           "Every message is duplicated by the network before it is delivered, so each arrives "
                           "twice: repeated Prepare re-sends the vote, repeated votes and acks are absorbed, "
                           "repeated COMMIT re-sends the Ack.",
                           ["§10.1", "§2.4", "§7.1.1", "§7.2.2", "§8.2", "§8.6"]))

    d = Driver(W3, {"t": T, "x": X, "l": L})
    d.submit(T)
    d.submit(X)
    d.submit(L)
    d.deliver_all(newest_first=True)
    d.drain()
    out.append(from_driver(d, "messages/reordered-newest-first",
                           "Three transactions, every message delivered newest first (l and t compete for B).",
                           ["§10.1", "§2.4", "§10.3", "§7.1.4.a"]))

    d = Driver(W3, {"t": T})
    d.submit(T)
    d.deliver("Prepare", to=1)
    d.timeout(1, T)
    d.deliver("Query", to=0)
    d.drain()
    out.append(from_driver(d, "messages/early-query-ignored",
                           "Shard 1 votes YES and times out before the coordinator has all votes: its Query "
                           "reaches a coordinator that is still collecting and is ignored; t then commits.",
                           ["§8.4.2", "§7.4.2", "§8.2"]))

    d = Driver(W3, {"t": T})
    d.submit(T)
    d.timeout(2, T)
    d.drain()
    out.append(from_driver(d, "messages/participant-aborts-before-prepare",
                           "Shard 2 times out on t before its Prepare arrives: working, it aborts alone and forces "
                           "the ABORT record, so the Prepare is answered NO ABORTED_LOCALLY and the coordinator "
                           "aborts t.", ["§7.4.1", "§7.1.2", "§12.3", "§8.3"]))

    d = Driver(W3, {"t": T})
    d.submit(T)
    d.deliver("Prepare", to=1)
    d.timeout(0, T)
    d.deliver("Decision", to=2)
    d.deliver("Prepare", to=2)
    d.drain()
    out.append(from_driver(d, "messages/late-prepare-after-abort",
                           "The Prepare to shard 2 is delayed; the coordinator times out and aborts. Shard 2 gets "
                           "the ABORT first and records it although it is working; the late Prepare is then "
                           "answered NO ABORTED_LOCALLY, a vote the idle coordinator ignores.",
                           ["§7.3.1", "§7.1.2", "§8.3", "§8.5.1", "§12.3"]))

    d = Driver(W3, {"t": T})
    d.submit(T)
    d.deliver("Prepare", to=1)
    d.deliver("Prepare", to=2)
    d.timeout(0, T)
    d.crash(0)
    d.recover(0)
    d.submit(T)
    d.deliver_all(newest_first=True)
    d.drain()
    out.append(from_driver(d, "messages/stale-abort-vs-resubmission",
                           "The coordinator decides abort by timeout, then crashes before the ABORT messages "
                           "arrive, recovers, and t is submitted again. Its own PreparedRecord is durable, so the "
                           "resubmission is refused; were it accepted, a delayed ABORT could meet a new commit "
                           "(the scenario TLC finds when the durable half of §8.1.1 is removed).",
                           ["§8.1.1", "§12.4", "§9.2", "§8.5.1"]))
    return out


def resubmit_vectors() -> list[dict[str, Any]]:
    out = []
    d = Driver(W3, {"t": T})
    d.submit(T)
    d.submit(T)
    d.deliver_all()
    d.submit(T)
    d.drain()
    d.submit(T)
    out.append(from_driver(d, "resubmit/while-running-and-after-commit",
                           "t is submitted again while its coordinator collects, again while it commits, and again "
                           "after it ended: every duplicate is ignored and t commits once.",
                           ["§8.1.1", "§12.4", "§3.2"]))
    t_retry = make_tx([(A, 30, 1)], [(B, 20), (C, 10)], "t-retry")
    la = make_tx([(C2, 9, 1)], [(A, 9)], "la")
    d = Driver(W3, {"t": T, "la": la, "t_retry": t_retry}, overrides={A: 25})
    d.submit(T)
    d.submit(la)
    d.drain()
    d.submit(T)
    d.submit(t_retry)
    d.drain()
    out.append(from_driver(d, "resubmit/after-abort-needs-new-user-data",
                           "A holds 25: t (30) aborts at submission. la credits A with 9. Submitting t again is "
                           "refused (its ABORT record is durable); t_retry, the same legs with new user_data, is "
                           "a new transaction and commits.", ["§8.1.1", "§3.2", "§12.4", "§7.1.4.b"]))
    return out


def single_vectors() -> list[dict[str, Any]]:
    out = []
    d = Driver(W3, {"s": S})
    d.submit(S)
    d.crash(0)
    d.recover(0)
    d.deliver_all()
    d.drain()
    out.append(from_driver(d, "single/crash-after-submit",
                           "s (single participant) is decided in its submit step; the coordinator crashes before "
                           "its COMMIT to itself is delivered; recovery restores committing, the message still in "
                           "the network commits it, and the Ack ends it.", ["§8.1.2", "§9.2", "§2.3", "§7.2.1"]))
    d = Driver(W3, {"s": S})
    d.submit(S)
    d.drop("Decision", to=0)
    d.timeout(0, S)
    d.deliver_all()
    d.drain()
    out.append(from_driver(d, "single/commit-lost-timeout",
                           "The COMMIT s's coordinator sends itself is lost; its timeout re-sends COMMIT "
                           "(coordinator rule) and queries (participant rule, still prepared) in one step.",
                           ["§8.5.2", "§7.4.2", "§8.4.1", "§13.1"]))
    return out


def rounds_vectors() -> list[dict[str, Any]]:
    out = []
    batch = {"t": T, "l": L, "u": U, "x": X, "s": S,
             "vg": make_tx([(A2, 5, 1), (D, 15, 3)], [(C, 20)], "vg")}
    d = Driver(W3, batch)
    d.rounds(list(batch.values()))
    out.append(from_driver(d, "rounds/one-batch-with-conflicts",
                           "One round_schedule operation (§13.3) with six transactions: submissions in round 1 by "
                           "coordinator in ascending shard order, then every shard takes last round's messages in "
                           "send order. t and s both debit A, l and u both debit C2, l and t credit B, u and x credit B2; vg has a "
                           "bad nonce.",
                           ["§13.3", "§13.2", "§7.1.4.a", "§7.1.4.c", "§10.3"]))
    d = Driver(W3, {"t": T, "x": X})
    d.crash(2)
    d.rounds([T, X])
    d.recover(2)
    d.drain()
    out.append(from_driver(d, "rounds/down-shard",
                           "Shard 2 is down during the round schedule: the Prepare addressed to it stays in the "
                           "network and is not taken by a later round; x (no leg on shard 2) commits within the "
                           "schedule; after recovery t is finished by the drain.", ["§13.3", "§2.3", "§8.5.1"]))
    w4 = World(4)
    rng = random.Random(2024)
    names = w4.names()
    workload = Workload(agents=len(names), shards=4, txs=8, max_legs=4, max_amount=40, hot_share=0.3)
    probe = w4.cluster()
    txs: dict[str, CrossAgentTx] = {}
    batches = []
    for b in range(2):
        planned: list[CrossAgentTx] = []
        for _ in range(4):
            tx = random_tx(rng, workload, names, names[:3], probe, len(txs) + 1, planned=planned)
            planned.append(tx)
            txs[f"g{len(txs) + 1}"] = tx
        batches.append(planned)
    d = Driver(w4, txs)
    for planned in batches:
        d.rounds(planned)
    out.append(from_driver(d, "rounds/two-generated-batches",
                           "K = 4: two batches of four generated transactions (seeded), each run by the round "
                           "schedule; debits of one payer within a batch carry consecutive nonces, so some later "
                           "ones fail when earlier ones abort.", ["§13.3", "§13.2", "§10.3"]))
    return out


def noop_vectors() -> list[dict[str, Any]]:
    d = Driver(W3, {"t": T, "x": X})
    d.apply(("deliver", 99))
    d.apply(("drop", 99))
    d.apply(("duplicate", 99))
    d.timeout(1, X)
    d.recover(1)
    d.flush(2)
    d.crash(1)
    d.crash(1)
    d.crash(0)
    d.submit(T)
    d.timeout(0, T)
    d.recover(0)
    d.recover(1)
    d.submit(T)
    d.drain()
    return [from_driver(d, "noop/operations-that-do-not-apply",
                        "Operations that do not apply are no-ops: unknown message numbers (deliver, drop, "
                        "duplicate 99), a timeout for a never-submitted transaction, recovering an up shard, an "
                        "empty flush, crashing a down shard, a submission and a timeout at a down coordinator. The "
                        "submission that did not take effect leaves t working, so its later submission starts it.",
                        ["§13.1", "§2.3", "§8.1"])]


def partial_vectors() -> list[dict[str, Any]]:
    d = Driver(W3, {"t": T})
    d.submit(T)
    d.deliver("Prepare", to=1)
    d.deliver("Prepare", to=2)
    d.crash(0)
    d.timeout(1, T)
    d.timeout(2, T)
    return [from_driver(d, "partial/coordinator-stays-down",
                        "The coordinator crashes while collecting and stays down: the participants are prepared, "
                        "their queries wait in the network, and t is pending (a prepared participant never aborts "
                        "alone).", ["§7.4.2", "§2.3", "§4.3"])]


def random_vectors() -> list[dict[str, Any]]:
    out = []
    small = Workload(agents=8, shards=3, txs=8, max_legs=3, max_amount=30, hot_agents=2, hot_share=0.3,
                     bad_nonce=0.1, overdraft=0.1, resubmit=0.1)
    for faults, seeds in (("mild", (1, 2, 3)), ("harsh", (1, 2))):
        for seed in seeds:
            result = simulate(seed, small, parse_faults(faults))
            out.append(scenario_vector(result.scenario, f"random/{faults}-seed{seed}",
                                       f"A seeded simulation (seed {seed}, faults '{faults}': "
                                       f"{parse_faults(faults).describe()}) of 8 transactions over 3 shards, then a "
                                       "drain: loss, duplication, reordering, crashes and timeouts interleaved.",
                                       ["§10.1", "§10.2", "§2.3", "§2.4", "§11.6", "§13.1"]))
    result = simulate_rounds(7, Workload(agents=10, shards=4, txs=8, max_legs=4))
    out.append(scenario_vector(result.scenario, "random/rounds-seed7",
                               "A seeded round-schedule simulation (seed 7) of 8 transactions over 4 shards, "
                               "recorded as the individual operations the schedule took.", ["§13.3", "§13.1"]))
    return out


def scenario_vector(scenario: Any, vector_id: str, description: str, clauses: list[str]) -> dict[str, Any]:
    return run_vector(vector_id, description, clauses, scenario.shard_count, scenario.genesis,
                      dict(scenario.transactions), list(scenario.operations))

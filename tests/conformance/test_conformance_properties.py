"""Properties every vector must have, checked over all of them: the vectors are not only what the
reference did, they also satisfy the spec's structural rules.

* §2.1: genesis agents are the BLAKE2b ids of their names; the total is below 2^128.
* §2.6: a step is a deterministic function of (state, input) and leaves its input state unchanged.
* §5.1: each record is written by its role: participant records only at shards holding a leg,
  coordinator records only at the coordinator.
* §6.1: the coordinator is computed, never carried: votes, acks and queries go to coordinator(t);
  Prepare and decisions come from it.
* §11.5: projected to rmState, every run vector is a behaviour of TCommit (one instance per
  transaction): each change is Prepare (working -> prepared), commit (prepared -> committed when every
  participant is prepared or committed) or abort (working/prepared -> aborted while none committed).
"""

from __future__ import annotations

import copy
from typing import Any, Iterator

import pytest

from altledger.conformance.suites import suite
from altledger.conformance.twopc_handler import read_genesis, read_operation
from altledger.conformance.twopc_json import read_input, read_shard, read_transactions, shard_json
from altledger.conformance.vectors import load_vectors
from altledger.reference.encoding import agent_id
from altledger.reference.twopc.cluster import Cluster, run_round_schedule
from altledger.reference.twopc.shard import step

VECTORS = load_vectors(suite("twopc"), validate=False)
RUNS = [v for v in VECTORS if v["kind"] == "run"]
STEPS = [v for v in VECTORS if v["kind"] == "step"]


def facts(vector: dict[str, Any]) -> dict[str, tuple[set[int], int]]:
    """txid -> (participants, coordinator), computed from the legs (§3.3, §3.4)."""
    k = vector["shard_count"]
    out = {}
    for entry in vector["transactions"].values():
        legs = entry["tx"]["legs"]
        homes = [int(leg["agent"], 16) % k for leg in legs]
        coordinator = next(h for h, leg in zip(homes, legs) if leg["kind"] == "DEBIT")
        out[entry["txid"]] = (set(homes), coordinator)
    return out


def shard_states(vector: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if vector["kind"] == "step":
        yield vector["state"]
        yield vector["expected"]["state"]
    else:
        yield from vector["expected"]["snapshot"]["shards"]


def envelopes(vector: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if vector["kind"] == "step":
        yield from vector["expected"]["sent"]
        if vector["input"]["type"] == "Deliver":
            yield vector["input"]["envelope"]
    else:
        yield from vector["expected"]["snapshot"]["network"]


@pytest.mark.parametrize("vector", RUNS, ids=[v["id"] for v in RUNS])
def test_genesis_agents_are_ids_of_their_names(vector: dict[str, Any]) -> None:
    """§2.1"""
    total = 0
    for entry in vector["genesis"]:
        assert entry["agent"] == agent_id(entry["name"]).hex()
        total += int(entry["balance"])
    assert total < 1 << 128


@pytest.mark.parametrize("vector", STEPS, ids=[v["id"] for v in STEPS])
def test_step_is_a_function_of_state_and_input(vector: dict[str, Any]) -> None:
    """§2.6: the same (state, input) gives the same output twice; the input state is not modified."""
    k, txs = vector["shard_count"], read_transactions(vector["transactions"])
    state, event = read_shard(vector["state"], k, txs), read_input(vector["input"], txs, k)
    before = copy.deepcopy(shard_json(state))
    first, second = step(state, event), step(state, event)
    assert shard_json(state) == before == vector["state"]
    assert shard_json(first.state) == shard_json(second.state) and first.sent == second.sent
    assert first.log_writes == second.log_writes


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_records_are_written_by_their_role(vector: dict[str, Any]) -> None:
    """§5.1: PreparedRecord / OutcomeRecord at participants, CommitDecisionRecord / EndRecord at the coordinator."""
    known = facts(vector)
    for shard in shard_states(vector):
        for record in shard["log"] + shard["buffer"]:
            participants, coordinator = known[record["txid"]]
            if record["type"] in ("PreparedRecord", "OutcomeRecord"):
                assert shard["shard"] in participants, (record, shard["shard"])
            else:
                assert shard["shard"] == coordinator, (record, shard["shard"])
                if record["type"] == "CommitDecisionRecord":
                    assert set(record["participants"]) == participants
            assert record["type"] != "EndRecord" or shard["shard"] == coordinator


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_messages_go_to_and_from_the_computed_coordinator(vector: dict[str, Any]) -> None:
    """§6.1, §6: the coordinator is computed from the transaction, never carried in a message."""
    known = facts(vector)
    for envelope in envelopes(vector):
        message = envelope["message"]
        participants, coordinator = known[message["txid"]]
        if message["type"] in ("VoteMsg", "Ack", "Query"):
            assert envelope["to"] == coordinator and envelope["from"] == message["shard"]
            assert message["shard"] in participants
        else:                                    # Prepare, Decision
            assert envelope["from"] == coordinator and envelope["to"] in participants


def rm_states(cluster: Any) -> dict[tuple[bytes, int], str]:
    return {(txid, s): cluster.shards[s].rm_state(txid).value
            for txid, tx in cluster.transactions.items() for s in tx.participants(cluster.shard_count)}


def tcommit_violations(vector: dict[str, Any], cluster: Any) -> list[str]:
    """Replay ``vector`` on ``cluster`` (fresh); every rmState change that TCommit does not allow."""
    k, txs = vector["shard_count"], read_transactions(vector["transactions"])
    problems: list[str] = []
    previous: dict[tuple[bytes, int], str] = {}

    def check(_applied: Any = None) -> None:
        nonlocal previous
        now = rm_states(cluster)
        changed = [key for key in now if now[key] != previous.get(key, "working")]
        if len(changed) > 1:                                     # one participant of one transaction per step
            problems.append(f"{len(changed)} participants changed in one step")
        for txid, s in changed:
            old, new = previous.get((txid, s), "working"), now[(txid, s)]
            states = [previous.get((txid, r), "working") for r in cluster.transactions[txid].participants(k)]
            allowed = ((new == "prepared" and old == "working")
                       or (new == "committed" and old == "prepared"
                           and all(x in ("prepared", "committed") for x in states))
                       or (new == "aborted" and old in ("working", "prepared") and "committed" not in states))
            if not allowed:
                problems.append(f"{txid.hex()[:8]} at shard {s}: {old} -> {new} with participants {states}")
        previous = now

    for index, raw in enumerate(vector["operations"]):
        op = read_operation(raw, index, txs, k)
        if op[0] == "round_schedule":
            run_round_schedule(cluster, op[1], observe=check)
        else:
            cluster.apply(op)
            check()
    return problems


def fresh(vector: dict[str, Any], cls: type = Cluster) -> Any:
    genesis, names = read_genesis(vector["genesis"])
    return cls(vector["shard_count"], genesis, names)


@pytest.mark.parametrize("vector", RUNS, ids=[v["id"] for v in RUNS])
def test_rm_state_refines_tcommit(vector: dict[str, Any]) -> None:
    """§11.5, checked on the reference's replay of each run vector, after every single shard step."""
    assert tcommit_violations(vector, fresh(vector)) == []


def test_refinement_check_catches_a_broken_protocol() -> None:
    """Mutant: a coordinator that counts NO as YES commits while a participant aborted; the check says so."""
    from altledger.conformance.broken_clients import BUGS, BrokenCluster
    vector = next(v for v in RUNS if v["id"] == "run/funds/remote-insufficient")
    cluster = fresh(vector, BrokenCluster)
    cluster.bug_step = BUGS["commit-on-no"].step
    problems = tcommit_violations(vector, cluster)
    assert problems and "prepared -> committed" in problems[0] and "aborted" in problems[0]

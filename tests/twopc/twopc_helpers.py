"""Helpers for the two-phase commit tests: agents placed on chosen shards, transactions by name.

Why: unit tests of §7/§8 need, e.g., "a debit on shard 0 and credits on
shards 1 and 2".  Agent shards come from BLAKE2b, so we search names until
each requested shard has enough agents, once per shard count.
"""

from __future__ import annotations

from functools import lru_cache

from altledger.reference.encoding import CrossAgentTx, Leg, LegKind, agent_id, shard_of_agent
from altledger.reference.twopc import Cluster, check_all, check_quiescent
from altledger.reference.twopc.txfacts import coordinator_of, participants_of, txid_of
from altledger.reference.twopc.state import Phase
from altledger.reference.twopc.log import RmState


@lru_cache(maxsize=None)
def agents_by_shard(shard_count: int, per_shard: int = 6) -> tuple[tuple[str, ...], ...]:
    """``per_shard`` agent names on each shard, in ascending AgentId order within a shard."""
    found: list[list[str]] = [[] for _ in range(shard_count)]
    i = 0
    while min(len(f) for f in found) < per_shard:
        name = f"u{i}.cns"
        found[shard_of_agent(agent_id(name), shard_count)].append(name)
        i += 1
    return tuple(tuple(sorted(f[:per_shard], key=agent_id)) for f in found)


def agent(shard: int, index: int, shard_count: int) -> str:
    return agents_by_shard(shard_count)[shard][index]


def make_tx(debits: list[tuple[str, int, int]], credits: list[tuple[str, int]], tag: bytes = b"") -> CrossAgentTx:
    """``debits``: (name, amount, nonce); ``credits``: (name, amount).  Legs are put in canonical order."""
    legs = [Leg(agent_id(n), LegKind.DEBIT, a, k) for n, a, k in debits]
    legs += [Leg(agent_id(n), LegKind.CREDIT, a, 0) for n, a in credits]
    legs.sort(key=lambda leg: leg.agent)
    return CrossAgentTx(legs=tuple(legs), user_data=tag)


def new_cluster(shard_count: int, balances: dict[str, int] | None = None, default: int = 100) -> Cluster:
    """Every helper agent gets ``default`` (or its entry in ``balances``)."""
    names = [n for shard in agents_by_shard(shard_count) for n in shard]
    balances = balances or {}
    genesis = {agent_id(n): balances.get(n, default) for n in names}
    return Cluster(shard_count, genesis, {agent_id(n): n for n in names})


def deliver_all(cluster: Cluster, limit: int = 10_000) -> None:
    """Deliver oldest first until the network is empty (messages to down shards excepted)."""
    for _ in range(limit):
        numbers = [n for n, e in cluster.network.items() if cluster.shards[e.recipient].up]
        if not numbers:
            return
        cluster.deliver(numbers[0])
    raise AssertionError("the network did not drain")


def drain(cluster: Cluster, rounds: int = 50) -> None:
    """Recover everything; deliver; fire progress timeouts; until nothing is left (spec §11.6)."""
    for shard in cluster.shards:
        if not shard.up:
            cluster.recover(shard.shard)
    for _ in range(rounds):
        deliver_all(cluster)
        fired = False
        for txid, tx in cluster.transactions.items():
            c = coordinator_of(tx, cluster.shard_count)
            for s in participants_of(tx, cluster.shard_count):
                state = cluster.shards[s]
                if state.rm_state(txid) is RmState.PREPARED or (s == c and state.phase(txid) is not Phase.IDLE):
                    cluster.timeout(s, txid)
                    fired = True
        if not fired:
            return
    raise AssertionError("the run did not terminate")


def assert_sound(cluster: Cluster, terminated: bool = False) -> None:
    problems = check_all(cluster) + (check_quiescent(cluster) if terminated else [])
    assert not problems, "\n".join(map(str, problems))


def states(cluster: Cluster, tx: CrossAgentTx) -> dict[int, str]:
    txid = txid_of(tx)
    return {s: cluster.shards[s].rm_state(txid).value for s in participants_of(tx, cluster.shard_count)}


def kinds(applied) -> list[str]:
    """The sent messages of an Applied as 'Type->to' strings, in send order."""
    return [f"{type(e.message).__name__}->{e.recipient}" for _, e in applied.added]


# -- batch input in wire form (fast.twopc.wire) -----------------------------------------------------

def wire_form(batches):
    """The batches encoded, then framed from the bytes alone (no object shared with ``batches``)."""
    from altledger.fast.twopc.wire import EncodedBatch
    return [EncodedBatch(EncodedBatch.of(batch).data) for batch in batches]


def misread_nonces(monkeypatch):
    """Mutant: the wire reading (``wire.leg_columns``) takes every debit's nonce one too high."""
    from altledger.fast.twopc import wire
    original = wire.leg_columns

    def nonce_too_high(*args):
        sizes, code, debit, amount, nonce, user_hash, missing = original(*args)
        return sizes, code, debit, amount, nonce + debit, user_hash, missing
    monkeypatch.setattr(wire, "leg_columns", nonce_too_high)

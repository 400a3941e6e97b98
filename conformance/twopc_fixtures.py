"""Named agents placed on chosen shards, transactions by name, and a recording driver for runs.

Why: a vector must say, e.g., "the credit leg on shard 1 is locked".  Agent
shards come from BLAKE2b (spec/two_phase_commit.md §2.2), so for each shard
count we search names of the form ``ann.s0.cns`` (a word, an optional
counter, the shard it lands on) until every shard has enough; the name then
tells the reader where the agent lives.  Everything is deterministic: the
same names, transactions and vectors on every machine.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from altledger.reference.encoding import CrossAgentTx, Leg, LegKind, agent_id, shard_of_agent
from altledger.reference.twopc.cluster import Applied, Cluster, Operation, run_round_schedule
from altledger.reference.twopc.invariants import check_all, rm_states
from altledger.reference.twopc.log import RmState
from altledger.reference.twopc.state import Phase
from altledger.reference.twopc.txfacts import coordinator_of, participants_of, txid_of

WORDS = ("ann", "bob", "cyd", "dee", "eve", "fay", "gus", "hal", "ivy", "jon", "kim", "lea")


@lru_cache(maxsize=None)
def names_by_shard(shard_count: int, per_shard: int = 8) -> tuple[tuple[str, ...], ...]:
    """``per_shard`` names on each shard, ascending by AgentId within a shard."""
    found: list[list[str]] = [[] for _ in range(shard_count)]
    for word in WORDS:
        for shard in range(shard_count):
            counter = 0
            while True:
                name = f"{word}{counter or ''}.s{shard}.cns"
                if shard_of_agent(agent_id(name), shard_count) == shard:
                    found[shard].append(name)
                    break
                counter += 1
    if min(len(f) for f in found) < per_shard:
        raise ValueError("not enough words for the requested agents")
    return tuple(tuple(sorted(f[:per_shard], key=agent_id)) for f in found)


class World:
    """The agents of ``shard_count`` shards: ``agent(s, i)`` is the i-th lowest AgentId on shard s."""

    def __init__(self, shard_count: int, balance: int = 100) -> None:
        self.shard_count = shard_count
        self.by_shard = names_by_shard(shard_count)
        self.balance = balance

    def agent(self, shard: int, index: int = 0) -> str:
        return self.by_shard[shard][index]

    def names(self) -> list[str]:
        return [n for shard in self.by_shard for n in shard]

    def genesis(self, overrides: dict[str, int] | None = None) -> dict[bytes, int]:
        overrides = overrides or {}
        return {agent_id(n): overrides.get(n, self.balance) for n in self.names()}

    def agent_names(self) -> dict[bytes, str]:
        return {agent_id(n): n for n in self.names()}

    def cluster(self, overrides: dict[str, int] | None = None) -> Cluster:
        return Cluster(self.shard_count, self.genesis(overrides), self.agent_names())


def make_tx(debits: list[tuple[str, int, int]], credits: list[tuple[str, int]], tag: str = "") -> CrossAgentTx:
    """``debits``: (name, amount, nonce); ``credits``: (name, amount); legs put in canonical order (§3.1)."""
    legs = [Leg(agent_id(n), LegKind.DEBIT, a, k) for n, a, k in debits]
    legs += [Leg(agent_id(n), LegKind.CREDIT, a, 0) for n, a in credits]
    legs.sort(key=lambda leg: leg.agent)
    return CrossAgentTx(legs=tuple(legs), user_data=tag.encode())


def outcome_of(cluster: Cluster, tx: CrossAgentTx) -> str:
    """committed | pending | aborted, from the reference's objects (conformance/README.md, "Outcomes")."""
    states = rm_states(cluster, tx).values()
    if RmState.COMMITTED in states:
        return "committed"
    coordinator = cluster.shards[coordinator_of(tx, cluster.shard_count)]
    if coordinator.phase(txid_of(tx)) is not Phase.IDLE or RmState.PREPARED in states:
        return "pending"
    return "aborted"


class Driver:
    """A cluster plus the operations applied to it, chosen by looking at the state.

    Vectors are scripted ("deliver the Prepare addressed to shard 2"); the
    driver turns each such step into a plain operation of §13.1 and records
    it, so the vector holds only operations any implementation can replay.
    """

    def __init__(self, world: World, txs: dict[str, CrossAgentTx],
                 overrides: dict[str, int] | None = None) -> None:
        """``txs``: label -> transaction, every transaction the run may name; the genesis gives every
        agent of those transactions ``world.balance`` unless ``overrides`` says otherwise."""
        self.world = world
        self.txs = dict(txs)
        self.labels = {txid_of(tx): label for label, tx in self.txs.items()}
        named = {leg.agent for tx in self.txs.values() for leg in tx.legs}
        names = world.agent_names()
        overrides = overrides or {}
        self.genesis = {names[a]: overrides.get(names[a], world.balance) for a in sorted(named)}
        self.cluster = Cluster(world.shard_count, {agent_id(n): v for n, v in self.genesis.items()},
                               {agent_id(n): n for n in self.genesis})
        self.ops: list[Operation] = []

    def label(self, tx: CrossAgentTx) -> str:
        return self.labels[txid_of(tx)]

    # -- operations ------------------------------------------------------------------

    def apply(self, op: Operation) -> Applied:
        if op[0] == "submit":
            self.label(op[1])                        # every transaction must be in the table
        self.ops.append(op)
        return self.cluster.apply(op)

    def submit(self, tx: CrossAgentTx) -> Applied:
        return self.apply(("submit", tx))

    def timeout(self, shard: int, tx: CrossAgentTx) -> Applied:
        return self.apply(("timeout", shard, txid_of(tx)))

    def crash(self, shard: int) -> Applied:
        return self.apply(("crash", shard))

    def recover(self, shard: int) -> Applied:
        return self.apply(("recover", shard))

    def flush(self, shard: int) -> Applied:
        return self.apply(("flush", shard))

    def rounds(self, txs: list[CrossAgentTx]) -> None:
        for tx in txs:
            self.label(tx)
        self.ops.append(("round_schedule", list(txs)))
        run_round_schedule(self.cluster, txs)

    def find(self, kind: str, to: int | None = None, tx: CrossAgentTx | None = None,
             where: Callable[[Any], bool] | None = None, newest: bool = False) -> int:
        """The send number of the oldest (or newest) envelope matching the description."""
        txid = txid_of(tx) if tx is not None else None
        numbers = sorted(self.cluster.network, reverse=newest)
        for n in numbers:
            e = self.cluster.network[n]
            m = e.message
            if type(m).__name__ != kind or (to is not None and e.recipient != to):
                continue
            mid = txid_of(m.tx) if kind == "Prepare" else m.txid
            if txid is not None and mid != txid:
                continue
            if where is not None and not where(m):
                continue
            return n
        raise LookupError(f"no {kind} to {to} in the network")

    def deliver(self, kind: str, to: int | None = None, tx: CrossAgentTx | None = None, **kw: Any) -> Applied:
        return self.apply(("deliver", self.find(kind, to, tx, **kw)))

    def drop(self, kind: str, to: int | None = None, tx: CrossAgentTx | None = None, **kw: Any) -> Applied:
        return self.apply(("drop", self.find(kind, to, tx, **kw)))

    def duplicate(self, kind: str, to: int | None = None, tx: CrossAgentTx | None = None, **kw: Any) -> Applied:
        return self.apply(("duplicate", self.find(kind, to, tx, **kw)))

    def deliverable(self) -> list[int]:
        return [n for n, e in sorted(self.cluster.network.items()) if self.cluster.shards[e.recipient].up]

    def deliver_all(self, newest_first: bool = False, limit: int = 10_000) -> None:
        """Deliver until nothing addressed to an up shard is left (oldest first, or newest first)."""
        for _ in range(limit):
            numbers = self.deliverable()
            if not numbers:
                return
            self.apply(("deliver", numbers[-1] if newest_first else numbers[0]))
        raise RuntimeError("the network did not drain")

    def progress_timeouts(self) -> bool:
        """Fire every timeout that makes progress at an up shard: busy coordinators, prepared participants."""
        fired = False
        for tx in list(self.cluster.transactions.values()):
            txid = txid_of(tx)
            coordinator = coordinator_of(tx, self.cluster.shard_count)
            for s in participants_of(tx, self.cluster.shard_count):
                shard = self.cluster.shards[s]
                if not shard.up:
                    continue
                if shard.rm_state(txid) is RmState.PREPARED or (
                        s == coordinator and shard.phase(txid) is not Phase.IDLE):
                    self.apply(("timeout", s, txid))
                    fired = True
        return fired

    def drain(self, rounds: int = 50) -> None:
        """Faults stop (§11.6): recover every shard, deliver, fire progress timeouts; at the end flush buffers."""
        for shard in self.cluster.shards:
            if not shard.up:
                self.recover(shard.shard)
        for _ in range(rounds):
            self.deliver_all()
            if not self.progress_timeouts():
                break
        else:
            raise RuntimeError("the run did not terminate")
        for shard in self.cluster.shards:
            if shard.buffer:
                self.flush(shard.shard)

    def check(self) -> None:
        problems = check_all(self.cluster)
        if problems:
            raise AssertionError("the reference broke an invariant while generating a vector: "
                                 + "; ".join(map(str, problems)))

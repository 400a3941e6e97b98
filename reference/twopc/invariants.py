"""The properties of spec/two_phase_commit.md §11, checked on a :class:`Cluster`.

Two ways to check, with the same definitions:

* :func:`check_all` re-derives everything from the logs by a full scan and
  checks every property for every submitted transaction and every agent:
  Atomicity (§11.1), Validity (§11.2), Conservation (§11.3), LockExclusion
  and LocksReleased (§11.4), plus two consistency checks of the reference
  itself: ``StoreMatchesLog`` (§4.1: store = genesis + legs of the
  transactions committed in the log) and ``DerivedState`` (§4.3: the log's
  indexed ``rm_state``/``lock``/``decided`` equal a full scan).  Its cost
  grows with the run, so it is meant for tests and the end of a run.

* :class:`InvariantChecker` is called after every operation and checks the
  same properties for what the operation can have changed: the transactions
  whose records reached a log in that step (``rmState`` and ``decided`` are
  functions of the logs, which only grow), the agents of those transactions
  on the stepping shard, and Conservation in full (balance sums per shard
  are recomputed whenever a store changes).  It keeps its own lock table,
  built from the records as they reach the logs, independent of the log's
  index, and compares the two.

:func:`check_quiescent` is the Termination check (§11.6) for the end of a
drained run: every shard up, no participant prepared, every coordinator idle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from altledger.reference.encoding import (CommitDecisionRecord, CrossAgentTx, LegKind, Outcome, OutcomeRecord,
                                          PreparedRecord, shard_of_agent)
from altledger.reference.twopc.cluster import Applied, Cluster
from altledger.reference.twopc.log import Record, RmState, record_txid
from altledger.reference.twopc.state import Phase, ShardState
from altledger.reference.twopc.txfacts import coordinator_of, legs_on, participants_of, txid_of

INVARIANTS = ("Atomicity", "Validity", "Conservation", "LockExclusion", "LocksReleased",
              "StoreMatchesLog", "DerivedState")


@dataclass(frozen=True)
class Violation:
    """One property that does not hold, with a sentence saying where."""

    invariant: str
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant}: {self.detail}"


def short(txid: bytes) -> str:
    return txid.hex()[:16]


# -- the properties for one transaction (§11.1, §11.2, §11.4) --------------------------

def rm_states(cluster: Cluster, tx: CrossAgentTx) -> dict[int, RmState]:
    """``rmState[t][s]`` for every participant ``s`` of ``t`` (§4.3)."""
    txid = txid_of(tx)
    return {s: cluster.shards[s].rm_state(txid) for s in participants_of(tx, cluster.shard_count)}


def decided_commit(cluster: Cluster, tx: CrossAgentTx) -> bool:
    """``decided(t) = commit``: the coordinator's log holds ``CommitDecisionRecord(t)`` (§4.3)."""
    return cluster.shards[coordinator_of(tx, cluster.shard_count)].log.has_commit_decision(txid_of(tx))


def atomicity(tx: CrossAgentTx, states: dict[int, RmState]) -> Violation | None:
    """§11.1: never one participant committed and another aborted."""
    if RmState.COMMITTED in states.values() and RmState.ABORTED in states.values():
        return Violation("Atomicity", f"tx {short(txid_of(tx))}: participants in states "
                         + ", ".join(f"{s}={v.value}" for s, v in states.items()))
    return None


def validity(cluster: Cluster, tx: CrossAgentTx, states: dict[int, RmState]) -> Violation | None:
    """§11.2: if some participant committed, all are prepared or committed and ``decided(t) = commit``."""
    if RmState.COMMITTED not in states.values():
        return None
    if not all(v in (RmState.PREPARED, RmState.COMMITTED) for v in states.values()):
        return Violation("Validity", f"tx {short(txid_of(tx))} committed somewhere but participants are "
                         + ", ".join(f"{s}={v.value}" for s, v in states.items()))
    if not decided_commit(cluster, tx):
        return Violation("Validity", f"tx {short(txid_of(tx))} committed somewhere but its coordinator "
                         "has no CommitDecisionRecord")
    return None


def locks_released(cluster: Cluster, tx: CrossAgentTx, states: dict[int, RmState]) -> Violation | None:
    """§11.4: a participant that is committed or aborted holds no lock for ``t`` (by its ``lock`` function)."""
    txid = txid_of(tx)
    for s, state in states.items():
        if state in (RmState.COMMITTED, RmState.ABORTED):
            for leg in legs_on(tx, s, cluster.shard_count):
                if cluster.shards[s].lock(leg.agent) == txid:
                    return Violation("LocksReleased", f"tx {short(txid)} is {state.value} on shard {s} "
                                     f"but still locks agent {short(leg.agent)}")
    return None


def tx_violations(cluster: Cluster, tx: CrossAgentTx) -> tuple[list[Violation], int]:
    """Atomicity, Validity and LocksReleased for one transaction, and its pending amount (§11.3)."""
    states = rm_states(cluster, tx)
    found = [v for v in (atomicity(tx, states), validity(cluster, tx, states), locks_released(cluster, tx, states))
             if v is not None]
    pending = 0
    if RmState.PREPARED in states.values() and decided_commit(cluster, tx):
        pending = sum(signed_legs(tx, s, cluster.shard_count) for s, v in states.items() if v is RmState.PREPARED)
    return found, pending


def signed_legs(tx: CrossAgentTx, shard: int, shard_count: int) -> int:
    """Net effect on the balances of applying the legs of ``t`` on ``s``: credits − debits."""
    return sum(leg.amount if leg.kind is LegKind.CREDIT else -leg.amount
               for leg in legs_on(tx, shard, shard_count))


def pending_amount(cluster: Cluster, tx: CrossAgentTx) -> int:
    """§11.3's pending term for ``t``: the legs of participants still prepared after ``decided(t) = commit``."""
    return tx_violations(cluster, tx)[1]


# -- full checks -------------------------------------------------------------------------

@dataclass
class _Scan:
    """What a full scan of one log says, by the definitions of §4.3 (no index used)."""

    states: dict[bytes, RmState]
    prepared_txs: dict[bytes, CrossAgentTx]
    decisions: set[bytes]
    commit_order: list[bytes]        # txids of OutcomeRecord(COMMIT)s, in log order


def scan_log(log: Iterable[Record]) -> _Scan:
    prepared: dict[bytes, CrossAgentTx] = {}
    outcomes: dict[bytes, set[Outcome]] = {}
    decisions: set[bytes] = set()
    commit_order: list[bytes] = []
    seen: list[bytes] = []
    for record in log:
        txid = record_txid(record)
        seen.append(txid)
        if isinstance(record, PreparedRecord):
            prepared[txid] = record.tx
        elif isinstance(record, OutcomeRecord):
            outcomes.setdefault(txid, set()).add(record.outcome)
            if record.outcome is Outcome.COMMIT:
                commit_order.append(txid)
        elif isinstance(record, CommitDecisionRecord):
            decisions.add(txid)
    states = {}
    for txid in seen:
        found = outcomes.get(txid, set())
        states[txid] = (RmState.COMMITTED if Outcome.COMMIT in found else RmState.ABORTED if Outcome.ABORT in found
                        else RmState.PREPARED if txid in prepared else RmState.WORKING)
    return _Scan(states, prepared, decisions, commit_order)


def check_shard_against_scan(shard: ShardState, scan: _Scan, genesis: dict[bytes, int]) -> list[Violation]:
    """``DerivedState`` (index = scan), ``LockExclusion`` (by the definition) and ``StoreMatchesLog`` for one shard."""
    out: list[Violation] = []
    s, k = shard.shard, shard.shard_count
    for txid, state in scan.states.items():
        if shard.rm_state(txid) is not state:
            out.append(Violation("DerivedState", f"shard {s}: rm_state({short(txid)}) is "
                                 f"{shard.rm_state(txid).value}, the log says {state.value}"))
        if shard.log.has_commit_decision(txid) != (txid in scan.decisions):
            out.append(Violation("DerivedState", f"shard {s}: decided({short(txid)}) disagrees with the log"))
    holders: dict[bytes, list[bytes]] = {}
    for txid, tx in scan.prepared_txs.items():
        if scan.states[txid] is RmState.PREPARED:
            for leg in legs_on(tx, s, k):
                holders.setdefault(leg.agent, []).append(txid)
    agents = set(holders) | {leg.agent for tx in scan.prepared_txs.values() for leg in legs_on(tx, s, k)}
    for agent in sorted(agents):
        held = holders.get(agent, [])
        if len(held) > 1:
            out.append(Violation("LockExclusion", f"shard {s}: agent {short(agent)} locked by "
                                 + ", ".join(short(t) for t in held)))
        expected = held[0] if len(held) == 1 else None
        if len(held) <= 1 and shard.lock(agent) != expected:
            out.append(Violation("DerivedState", f"shard {s}: lock({short(agent)}) is "
                                 f"{short(shard.lock(agent)) if shard.lock(agent) else None}, the log says "
                                 f"{short(expected) if expected else None}"))
    balances = {a: v for a, v in genesis.items() if v and shard_of_agent(a, k) == s}
    nonces: dict[bytes, int] = {}
    for txid in scan.commit_order:
        tx = scan.prepared_txs.get(txid)
        if tx is None:
            out.append(Violation("StoreMatchesLog", f"shard {s}: COMMIT outcome for {short(txid)} "
                                 "without a PreparedRecord"))
            continue
        for leg in legs_on(tx, s, k):
            if leg.kind is LegKind.DEBIT:
                balances[leg.agent] = balances.get(leg.agent, 0) - leg.amount
                nonces[leg.agent] = leg.nonce
            else:
                balances[leg.agent] = balances.get(leg.agent, 0) + leg.amount
    actual_balances = {a: v for a, v in shard.balances.items() if v}
    actual_nonces = {a: v for a, v in shard.nonces.items() if v}
    if {a: v for a, v in balances.items() if v} != actual_balances or nonces != actual_nonces:
        out.append(Violation("StoreMatchesLog", f"shard {s}: the store differs from genesis plus the legs "
                             "committed in its log"))
    return out


def check_all(cluster: Cluster) -> list[Violation]:
    """Every property of §11 (but Termination) for the whole state, from the definitions."""
    out: list[Violation] = []
    scans = [scan_log(shard.log) for shard in cluster.shards]
    for shard, scan in zip(cluster.shards, scans):
        out.extend(check_shard_against_scan(shard, scan, cluster.genesis))
    pending = 0
    for tx in cluster.transactions.values():
        found, amount = tx_violations(cluster, tx)
        out.extend(found)
        pending += amount
    total = sum(sum(shard.balances.values()) for shard in cluster.shards)
    genesis = sum(cluster.genesis.values())
    if total + pending != genesis:
        out.append(Violation("Conservation", f"balances {total} + pending {pending} != genesis {genesis}"))
    return out


def check_quiescent(cluster: Cluster) -> list[Violation]:
    """Termination (§11.6) at the end of a drained run: all up, nobody prepared, every coordinator idle."""
    out = [Violation("Termination", f"shard {s.shard} is down") for s in cluster.shards if not s.up]
    for txid, tx in cluster.transactions.items():
        prepared = [s for s, v in rm_states(cluster, tx).items() if v is RmState.PREPARED]
        if prepared:
            out.append(Violation("Termination", f"tx {short(txid)} still prepared on shards {prepared}"))
        phase = cluster.shards[coordinator_of(tx, cluster.shard_count)].phase(txid)
        if phase is not Phase.IDLE:
            out.append(Violation("Termination", f"tx {short(txid)}: coordinator still {phase.value}"))
    return out


# -- incremental checks ---------------------------------------------------------------------

class InvariantChecker:
    """Checks §11.1–11.4 after each operation, looking only at what it can have changed."""

    def __init__(self, cluster: Cluster) -> None:
        self.genesis_total = sum(cluster.genesis.values())
        self.shard_totals = [sum(shard.balances.values()) for shard in cluster.shards]
        self.holders: dict[tuple[int, bytes], set[bytes]] = {}   # our own lock table, from the records
        self.pending: dict[bytes, int] = {}
        self.pending_total = 0
        for shard in cluster.shards:
            self._absorb(shard, shard.log.records())
        for txid, tx in cluster.transactions.items():
            self._set_pending(txid, pending_amount(cluster, tx))

    def _absorb(self, shard: ShardState, records: Iterable[Record]) -> set[bytes]:
        """Update our lock table with records that just reached ``shard``'s log; return their txids."""
        txids = set()
        for record in records:
            txid = record_txid(record)
            txids.add(txid)
            if isinstance(record, PreparedRecord):
                for leg in legs_on(record.tx, shard.shard, shard.shard_count):
                    self.holders.setdefault((shard.shard, leg.agent), set()).add(txid)
            elif isinstance(record, OutcomeRecord):
                tx = shard.log.prepared_tx(txid)
                for leg in legs_on(tx, shard.shard, shard.shard_count) if tx else ():
                    self.holders.get((shard.shard, leg.agent), set()).discard(txid)
        return txids

    def _set_pending(self, txid: bytes, amount: int) -> None:
        self.pending_total += amount - self.pending.pop(txid, 0)
        if amount:
            self.pending[txid] = amount

    def observe(self, cluster: Cluster, applied: Applied) -> list[Violation]:
        """The violations after ``applied`` (empty when every property holds)."""
        out: list[Violation] = []
        if applied.shard is not None and applied.took_effect:
            before, after = applied.before, cluster.shards[applied.shard]
            new_records = after.log.since(len(before.log))
            touched = self._absorb(after, new_records)
            if after.balances is not before.balances:
                self.shard_totals[applied.shard] = sum(after.balances.values())
            for txid in touched:
                tx = cluster.transactions.get(txid) or _tx_from_logs(cluster, txid)
                found, amount = tx_violations(cluster, tx)
                out.extend(found)
                self._set_pending(txid, amount)
                for leg in legs_on(tx, after.shard, after.shard_count):
                    out.extend(self._check_lock(after, leg.agent))
        total = sum(self.shard_totals) + self.pending_total
        if total != self.genesis_total:
            out.append(Violation("Conservation", f"balances {sum(self.shard_totals)} + pending "
                                 f"{self.pending_total} != genesis {self.genesis_total}"))
        return out

    def _check_lock(self, shard: ShardState, agent: bytes) -> list[Violation]:
        held = self.holders.get((shard.shard, agent), set())
        if len(held) > 1:
            return [Violation("LockExclusion", f"shard {shard.shard}: agent {short(agent)} locked by "
                              + ", ".join(sorted(short(t) for t in held)))]
        expected = next(iter(held)) if held else None
        if shard.lock(agent) != expected:
            return [Violation("DerivedState", f"shard {shard.shard}: lock({short(agent)}) disagrees with "
                              "the prepared records in the log")]
        return []


def _tx_from_logs(cluster: Cluster, txid: bytes) -> CrossAgentTx:
    """A transaction that was never submitted but has records (only a broken protocol gets here)."""
    for shard in cluster.shards:
        tx = shard.log.prepared_tx(txid)
        if tx is not None:
            return tx
    raise LookupError(f"records about unknown transaction {txid.hex()}")

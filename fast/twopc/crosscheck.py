"""The differential state machine: reference and fast clusters driven through the same random operations.

Why a state machine rather than replaying simulator runs: Hypothesis picks
*any* operation of spec/two_phase_commit.md §13.1 at each point — submitting
a transaction twice, delivering the newest message first, duplicating and
dropping, timing out a transaction nobody has seen or at a shard that is not
its participant, crashing a shard twice, flushing — and shrinks a difference
to a short program.  After every operation it checks that

* both implementations report the same ``Applied`` (took effect or not, the
  envelope removed, the envelopes added with their send numbers, the records
  written and whether forced, the votes cast), and
* their snapshots (``altledger-2pc-snapshot/1``) are byte-identical, and
* the state satisfies the properties of §11 (the reference's incremental
  :class:`~altledger.reference.twopc.InvariantChecker` after every step, the
  full ``check_all`` every few steps; both states are the same, so this checks
  the fast one too).

At the end (``teardown``) faults stop: both are drained with the same
operations (every shard recovers, messages are delivered oldest first,
progress timeouts fire) and must still agree, hold every invariant and be
terminated (§11.6).

The transaction pool is generated per run: few agents, so transactions
conflict on locks (§7.1.4.a); small genesis balances and amounts up to twice a
typical balance (§7.1.4.b); debit nonces drawn around the plausible ones
(§7.1.4.c); and equal transactions built as separate objects (§3.2).

Hypothesis is a test dependency: this module imports it, so import it only
from tests and from ``altledger fuzz`` (which reports a missing Hypothesis).
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from altledger.fast.twopc.cluster import Cluster as FastCluster
from altledger.fast.twopc.snapshot import applied_json, reference_applied_json
from altledger.fast.twopc.snapshot import snapshot_json as fast_snapshot_json
from altledger.reference.encoding import CrossAgentTx, Leg, LegKind, agent_id, shard_of_agent
from altledger.reference.twopc import Cluster as ReferenceCluster
from altledger.reference.twopc import InvariantChecker, check_all, check_quiescent
from altledger.reference.twopc.log import RmState
from altledger.reference.twopc.snapshot import snapshot_json as reference_snapshot_json
from altledger.reference.twopc.state import Phase
from altledger.reference.twopc.txfacts import coordinator_of, participants_of, txid_of

AGENT_NAMES = tuple(f"x{i}.cns" for i in range(7))
MAX_SHARDS = 4

# The `fuzz` profile of tests/conftest.py, for `altledger fuzz` (which cannot import the tests).
FUZZ_SETTINGS = settings(max_examples=5000, stateful_step_count=100, deadline=None, print_blob=True,
                         suppress_health_check=[HealthCheck.too_slow], database=None)


def split(draw: Any, total: int, parts: int) -> list[int]:
    """``total`` as ``parts`` amounts of at least 1 (needs ``total >= parts``)."""
    if parts == 1:
        return [total]
    cuts = sorted(draw(st.lists(st.integers(1, total - 1), min_size=parts - 1, max_size=parts - 1, unique=True)))
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(parts)]


@st.composite
def transactions(draw: Any, agents: tuple[bytes, ...]) -> CrossAgentTx:
    """A well-formed transaction over ``agents`` that may conflict, overdraw or carry a wrong nonce."""
    count = draw(st.integers(2, min(4, len(agents))))
    chosen = draw(st.lists(st.sampled_from(agents), min_size=count, max_size=count, unique=True))
    debits = draw(st.integers(1, count - 1))
    total = draw(st.integers(max(debits, count - debits), 40))
    legs = [Leg(agent, LegKind.DEBIT, amount, draw(st.sampled_from([1, 1, 1, 1, 1, 2, 2, 3])))
            for agent, amount in zip(chosen[:debits], split(draw, total, debits))]
    legs += [Leg(agent, LegKind.CREDIT, amount, 0)
             for agent, amount in zip(chosen[debits:], split(draw, total, count - debits))]
    legs.sort(key=lambda leg: leg.agent)
    return CrossAgentTx(legs=tuple(legs), user_data=draw(st.sampled_from([b"", b"a", b"b"])))


def check_order_probes(agents, genesis):
    """Three transactions that debit one payer: a valid one, one that overdraws, one with a nonce gap.

    While the first is prepared (it locks the payer), the others fail two
    checks of §7.1.4 at once (locked *and* underfunded, locked *and* bad
    nonce), so the order of the checks decides the reason (§6.2); random
    pools make such coincidences rare.
    """
    payer, first, second = agents
    overdraw = genesis[payer] + 1
    return [CrossAgentTx(legs=tuple(sorted((Leg(payer, LegKind.DEBIT, amount, nonce),
                                            Leg(payee, LegKind.CREDIT, amount, 0)), key=lambda leg: leg.agent)),
                         user_data=b"probe")
            for amount, nonce, payee in ((1, 1, first), (overdraw, 1, second), (1, 3, second))]


def describe_difference(expected: str, actual: str, limit: int = 40) -> str:
    """A readable diff of two canonical JSON texts (reference first), as indented JSON lines."""
    def lines(text: str) -> list[str]:
        return json.dumps(json.loads(text), indent=1, sort_keys=True).splitlines()
    diff = list(difflib.unified_diff(lines(expected), lines(actual), "reference", "fast", n=2, lineterm=""))
    shown = diff[:limit]
    if len(diff) > limit:
        shown.append(f"... ({len(diff) - limit} more diff lines)")
    return "\n".join(shown)


class DifferentialMachine(RuleBasedStateMachine):
    """Reference vs fast cluster under the same operations (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.ref: ReferenceCluster | None = None
        self.fast: FastCluster | None = None
        self.pool: list[CrossAgentTx] = []
        self.steps = 0

    # -- set-up ---------------------------------------------------------------------------

    @initialize(shard_count=st.integers(1, MAX_SHARDS), data=st.data())
    def setup(self, shard_count: int, data: Any) -> None:
        agents = tuple(agent_id(name) for name in AGENT_NAMES)
        genesis = {a: data.draw(st.integers(0, 60), label="genesis balance") for a in agents}
        names = dict(zip(agents, AGENT_NAMES))
        self.ref = ReferenceCluster(shard_count, genesis, names)
        self.fast = FastCluster(shard_count, genesis, names)
        self.checker = InvariantChecker(self.ref)
        self.pool = data.draw(st.lists(transactions(agents), min_size=2, max_size=6), label="pool")
        # an equal transaction as a separate object: the same txid, so the same transaction (§3.2)
        first = self.pool[0]
        self.pool.append(CrossAgentTx(legs=tuple(first.legs), user_data=bytes(first.user_data)))
        self.pool += check_order_probes(data.draw(st.permutations(agents), label="probe agents")[:3], genesis)


    # -- the comparison after every operation ------------------------------------------------------

    def apply(self, op: tuple) -> None:
        expected = self.ref.apply(op)
        actual = self.fast.apply(op)
        self.steps += 1
        want, got = reference_applied_json(expected), applied_json(self.fast, actual)
        assert want == got, (f"operation {op[0]}{op[1:] if op[0] != 'submit' else ''} differs:\n"
                             f"reference: {json.dumps(want, sort_keys=True)}\n"
                             f"fast:      {json.dumps(got, sort_keys=True)}")
        reference_text, fast_text = reference_snapshot_json(self.ref), fast_snapshot_json(self.fast)
        assert reference_text == fast_text, (f"snapshots differ after {op[0]}:\n"
                                             + describe_difference(reference_text, fast_text))
        want, got = reference_derived(self.ref), fast_derived(self.fast)
        assert want == got, (f"derived state (§4.3) differs after {op[0]}:\n"
                             + describe_difference(json.dumps(want), json.dumps(got)))
        problems = self.checker.observe(self.ref, expected)
        assert not problems, "invariants (§11) broken: " + "; ".join(map(str, problems))

    # -- the operations of §13.1 -----------------------------------------------------------------

    @rule(i=st.integers(0, 9))
    def submit(self, i: int) -> None:
        self.apply(("submit", self.pool[i % len(self.pool)]))

    @precondition(lambda self: self.ref is not None and self.ref.network)
    @rule(data=st.data())
    def deliver(self, data: Any) -> None:
        """Any message in the network, in any order (§2.4: reordering)."""
        self.apply(("deliver", data.draw(st.sampled_from(sorted(self.ref.network)), label="message number")))

    @precondition(lambda self: self.ref is not None and self.ref.network)
    @rule()
    def deliver_oldest(self) -> None:
        self.apply(("deliver", min(self.ref.network)))

    @precondition(lambda self: self.ref is not None and self.ref.network)
    @rule(data=st.data(), kind=st.sampled_from(["drop", "duplicate"]))
    def lose_or_copy(self, data: Any, kind: str) -> None:
        self.apply((kind, data.draw(st.sampled_from(sorted(self.ref.network)), label="message number")))

    @precondition(lambda self: self.ref is not None)
    @rule(kind=st.sampled_from(["deliver", "drop", "duplicate"]), number=st.integers(0, 60))
    def network_any_number(self, kind: str, number: int) -> None:
        """Also numbers that are gone or were never sent (no-ops, §13.1)."""
        self.apply((kind, number))

    @precondition(lambda self: self.ref is not None)
    @rule(i=st.integers(0, 9), shard=st.integers(0, MAX_SHARDS - 1))
    def timeout(self, i: int, shard: int) -> None:
        tx = self.pool[i % len(self.pool)]
        self.apply(("timeout", shard % self.ref.shard_count, txid_of(tx)))

    @precondition(lambda self: self.ref is not None)
    @rule(shard=st.integers(0, MAX_SHARDS - 1), kind=st.sampled_from(["crash", "recover", "flush"]))
    def shard_event(self, shard: int, kind: str) -> None:
        self.apply((kind, shard % self.ref.shard_count))

    @invariant()
    def full_check_now_and_then(self) -> None:
        if self.ref is not None and self.steps % 8 == 0:
            problems = check_all(self.ref)
            assert not problems, "invariants (§11, full scan) broken: " + "; ".join(map(str, problems))

    # -- the end: faults stop, both drain, both terminate -------------------------------------------

    def teardown(self) -> None:
        if self.ref is None:
            return
        for s in range(self.ref.shard_count):
            if not self.ref.shards[s].up:
                self.apply(("recover", s))
        for _ in range(40):
            while self.ref.network:
                self.apply(("deliver", min(self.ref.network)))
            progress = pending_timeouts(self.ref)
            if not progress:
                break
            for op in progress:
                self.apply(op)
        for s in range(self.ref.shard_count):
            self.apply(("flush", s))
        problems = check_all(self.ref) + check_quiescent(self.ref)
        assert not problems, "after draining: " + "; ".join(map(str, problems))


def reference_derived(cluster: ReferenceCluster) -> dict[str, Any]:
    """rmState, locks and decided (§4.3) of every shard, for every known transaction and agent.

    The snapshot holds only what these are derived from; comparing them too
    finds a fast index that drifted from its definition at once, instead of
    when a later vote happens to depend on it.
    """
    out = {}
    for shard in cluster.shards:
        # lock(a) is defined for the agents on the shard (§4.3); the reference's Log.lock also answers
        # for other agents of a prepared transaction, which no rule asks, so those are left out.
        agents = sorted(a for a in cluster.genesis if shard_of_agent(a, cluster.shard_count) == shard.shard)
        out[str(shard.shard)] = {
            "rm": {txid.hex(): shard.rm_state(txid).value for txid in cluster.transactions
                   if shard.rm_state(txid) is not RmState.WORKING},
            "locks": {a.hex(): shard.lock(a).hex() for a in agents if shard.lock(a) is not None},
            "decided": sorted(txid.hex() for txid in cluster.transactions if shard.log.has_commit_decision(txid)),
        }
    return out


def fast_derived(cluster: FastCluster) -> dict[str, Any]:
    """:func:`reference_derived` from the fast shards' indexes (``rm``, ``locks``, ``decided``)."""
    table = cluster.table
    names = ("working", "prepared", "aborted", "committed")
    out = {}
    for shard in cluster.shards:
        out[str(shard.shard)] = {
            "rm": {table.txid(t).hex(): names[state] for t, state in shard.rm.items() if state},
            "locks": {cluster.agents.ids[a].hex(): table.txid(t).hex() for a, t in shard.locks.items()},
            "decided": sorted(table.txid(t).hex() for t in shard.decided),
        }
    return out


def pending_timeouts(cluster: ReferenceCluster) -> list[tuple]:
    """Timeouts that make progress: at a busy coordinator, and at every prepared participant."""
    ops = []
    for txid, tx in cluster.transactions.items():
        coordinator = coordinator_of(tx, cluster.shard_count)
        for s in participants_of(tx, cluster.shard_count):
            shard = cluster.shards[s]
            if shard.rm_state(txid) is RmState.PREPARED or (s == coordinator and shard.phase(txid) is not Phase.IDLE):
                ops.append(("timeout", s, txid))
    return ops

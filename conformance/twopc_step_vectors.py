"""Step vectors: one input to one shard (spec/two_phase_commit.md §2.6), one vector per rule and branch.

Each vector is built from an explicit shard state (log, buffer, store,
coordinator table) and one input, and its ``expected`` is what the reference
``step`` returns.  The states are small and written out by hand so that a
reader sees at once which branch of which clause is exercised; the
generator checks that each state survives the JSON round trip and that the
step computed from the JSON form is the same.

The cast (3 shards, names from :mod:`altledger.conformance.twopc_fixtures`):
``A`` pays on shard 0 and so makes shard 0 the coordinator (§3.4); ``B``
receives on shard 1; ``C`` receives on shard 2; ``D``/``E`` pay on shard 1
(their AgentIds sort after ``A``'s, so shard 0 stays the coordinator).
"""

from __future__ import annotations

from typing import Any, Iterable

from altledger.reference.encoding import (Ack, CommitDecisionRecord, CrossAgentTx, Decision, EndRecord, Outcome,
                                          OutcomeRecord, Prepare, PreparedRecord, Query, VoteMsg, VoteReason,
                                          VoteValue, agent_id)
from altledger.reference.twopc.log import Log, Record
from altledger.reference.twopc.shard import Crash, Deliver, Flush, Input, Recover, Submit, Timeout, step
from altledger.reference.twopc.state import CoordEntry, Envelope, Phase, ShardState
from altledger.reference.twopc.txfacts import coordinator_of, participants_of, txid_of
from altledger.conformance.twopc_fixtures import World, make_tx
from altledger.conformance.twopc_json import (TxTable, envelope_json, input_json, log_writes_json, read_input,
                                              read_shard, shard_json, transactions_json)

K = 3
W = World(K)
A, A2 = W.agent(0, 0), W.agent(0, 1)          # shard 0; A has the lowest AgentId of the cast's payers
B, B2 = W.agent(1, 0), W.agent(1, 1)          # shard 1, credits
D, E = W.agent(1, 5), W.agent(1, 6)           # shard 1, debits (AgentId above A's)
C, C2 = W.agent(2, 0), W.agent(2, 7)          # shard 2

T = make_tx([(A, 30, 1)], [(B, 20), (C, 10)], "t")                    # 3 participants, coordinator 0
T2 = make_tx([(A, 30, 2)], [(B, 20), (C, 10)], "t2")                  # the same after e0 used A's nonce 1
X = make_tx([(A2, 5, 1)], [(B2, 5)], "x")                             # coordinator 0, another payer
V = make_tx([(A, 5, 1), (D, 15, 1)], [(C, 20)], "v")                  # a debit on shard 1
V2 = make_tx([(A, 5, 1), (D, 15, 2)], [(C, 20)], "v2")                # the same after e used D's nonce 1
VG = make_tx([(A, 5, 1), (D, 15, 3)], [(C, 20)], "vg")                # the same with a nonce gap on shard 1
W2 = make_tx([(A, 3, 1), (D, 4, 1), (E, 5, 1)], [(C, 12)], "w")       # two debits on shard 1
L = make_tx([(C2, 7, 1)], [(B, 7)], "l")                              # coordinator 2; holds B's lock
LD = make_tx([(C2, 7, 1)], [(D, 7)], "ld")                            # coordinator 2; holds D's lock
LE = make_tx([(C2, 7, 1)], [(E, 7)], "le")                            # coordinator 2; holds E's lock
LA = make_tx([(C2, 9, 1)], [(A, 9)], "la")                            # coordinator 2; holds A's lock
S = make_tx([(A, 8, 1)], [(A2, 8)], "s")                              # single participant: shard 0
E1 = make_tx([(D, 6, 1)], [(C, 6)], "e")                              # coordinator 1 (an earlier tx)
E0 = make_tx([(A, 4, 1)], [(B, 4)], "e0")                             # coordinator 0 (an earlier tx)
U = make_tx([(C2, 5, 1)], [(B2, 5)], "u")                             # participants 1, 2 only

for tx, coordinator in ((T, 0), (T2, 0), (X, 0), (V, 0), (V2, 0), (VG, 0), (W2, 0), (L, 2), (LD, 2), (LE, 2), (LA, 2), (S, 0), (E1, 1), (E0, 0),
                        (U, 2)):
    assert coordinator_of(tx, K) == coordinator, "the cast no longer places coordinators as documented"
assert participants_of(S, K) == (0,) and participants_of(U, K) == (1, 2)

LEGEND = {
    T: f"t (debit {A} 30 nonce 1; credits {B} 20, {C} 10; participants 0,1,2; coordinator 0)",
    V: f"v (debits {A} 5, {D} 15 nonce 1; credit {C} 20; coordinator 0)",
    T2: f"t2 (debit {A} 30 nonce 2; credits {B} 20, {C} 10; coordinator 0)",
    X: f"x (debit {A2} 5; credit {B2} 5; coordinator 0)",
    V2: f"v2 (debits {A} 5 nonce 1, {D} 15 nonce 2; credit {C} 20; coordinator 0)",
    VG: f"vg (debits {A} 5 nonce 1, {D} 15 nonce 3; credit {C} 20; coordinator 0)",
    W2: f"w (debits {A} 3, {D} 4, {E} 5, each nonce 1; credit {C} 12; coordinator 0)",
    L: f"l (debit {C2} 7; credit {B} 7; coordinator 2)",
    LD: f"ld (debit {C2} 7; credit {D} 7; coordinator 2)",
    LE: f"le (debit {C2} 7; credit {E} 7; coordinator 2)",
    LA: f"la (debit {C2} 9; credit {A} 9; coordinator 2)",
    S: f"s (debit {A} 8; credit {A2} 8; single participant 0)",
    E1: f"e (debit {D} 6; credit {C} 6; coordinator 1)",
    E0: f"e0 (debit {A} 4; credit {B} 4; coordinator 0)",
    U: f"u (debit {C2} 5; credit {B2} 5; participants 1,2; coordinator 2)",
}
LABELS = {T: "t", T2: "t2", X: "x", V: "v", V2: "v2", VG: "vg", W2: "w", L: "l", LD: "ld", LE: "le", LA: "la", S: "s", E1: "e", E0: "e0", U: "u"}


def tid(tx: CrossAgentTx) -> bytes:
    return txid_of(tx)


def prepared(tx: CrossAgentTx) -> Record:
    return PreparedRecord(tx)


def outcome(tx: CrossAgentTx, commit: bool) -> Record:
    return OutcomeRecord(tid(tx), Outcome.COMMIT if commit else Outcome.ABORT)


def decision_record(tx: CrossAgentTx) -> Record:
    return CommitDecisionRecord(tid(tx), participants_of(tx, K))


def end(tx: CrossAgentTx) -> Record:
    return EndRecord(tid(tx))


def shard(s: int, log: Iterable[Record] = (), buffer: Iterable[Record] = (),
          store: dict[str, tuple[int, int]] | None = None, coord: dict[CrossAgentTx, CoordEntry] | None = None,
          up: bool = True) -> ShardState:
    """A shard state; ``store`` maps agent name -> (balance, nonce)."""
    store = store or {}
    return ShardState(shard=s, shard_count=K, up=up, log=Log().append(list(log)), buffer=tuple(buffer),
                      balances={agent_id(n): b for n, (b, _) in store.items()},
                      nonces={agent_id(n): k for n, (_, k) in store.items()},
                      coord={tid(tx): entry for tx, entry in (coord or {}).items()})


def collecting(tx: CrossAgentTx, *yes: int) -> CoordEntry:
    return CoordEntry(Phase.COLLECTING, participants_of(tx, K), yes=frozenset(yes))


def committing(tx: CrossAgentTx, *acks: int) -> CoordEntry:
    return CoordEntry(Phase.COMMITTING, participants_of(tx, K), acks=frozenset(acks))


def deliver(sender: int, recipient: int, message: Any) -> Deliver:
    return Deliver(Envelope(sender, recipient, message))


def vote(tx: CrossAgentTx, s: int, yes: bool, reason: VoteReason = VoteReason.NONE) -> VoteMsg:
    return VoteMsg(tid(tx), s, VoteValue.YES if yes else VoteValue.NO, reason)


def commit_msg(tx: CrossAgentTx) -> Decision:
    return Decision(tid(tx), Outcome.COMMIT)


def abort_msg(tx: CrossAgentTx) -> Decision:
    return Decision(tid(tx), Outcome.ABORT)


def referenced(state: ShardState, event: Input, extra: Iterable[CrossAgentTx]) -> list[CrossAgentTx]:
    """The cast's transactions the vector needs in its table (state, input, and any ``extra``), cast order."""
    txids = {r.tx.txid() if isinstance(r, PreparedRecord) else r.txid for r in (*state.log, *state.buffer)}
    txids |= set(state.coord)
    if isinstance(event, (Submit, Timeout)):
        txids.add(tid(event.tx))
    if isinstance(event, Deliver):
        m = event.envelope.message
        txids.add(tid(m.tx) if isinstance(m, Prepare) else m.txid)
    txids |= {tid(tx) for tx in extra}
    return [tx for tx in LABELS if tid(tx) in txids]


def step_vector(vector_id: str, description: str, clauses: list[str], state: ShardState, event: Input,
                extra: Iterable[CrossAgentTx] = ()) -> dict[str, Any]:
    """Run the reference step and write the vector; check the JSON round trip gives the same step."""
    txs = referenced(state, event, extra)
    table = {LABELS[tx]: tx for tx in txs}
    result = step(state, event)
    expected = {"state": shard_json(result.state), "sent": [envelope_json(e) for e in result.sent],
                "log_writes": log_writes_json(result.log_writes)}
    vector = {
        "id": f"step/{vector_id}", "suite": "twopc", "kind": "step",
        "description": description + " Transactions: " + "; ".join(LEGEND[tx] for tx in txs) + ".",
        "clauses": clauses, "shard_count": K, "transactions": transactions_json(table),
        "state": shard_json(state), "input": input_json(event), "expected": expected,
    }
    loaded = TxTable(table)
    again = step(read_shard(vector["state"], K, loaded), read_input(vector["input"], loaded, K))
    if (shard_json(again.state), [envelope_json(e) for e in again.sent], log_writes_json(again.log_writes)) != \
            (expected["state"], expected["sent"], expected["log_writes"]):
        raise AssertionError(f"{vector_id}: the JSON form of the state does not reproduce the step")
    return vector



# -- participant rules, spec §7 ----------------------------------------------------------------

def prepare_vectors() -> list[dict[str, Any]]:
    """§7.1: every branch, every NO reason, and the order in which reasons are chosen (§6.2)."""
    g = "participant-prepare"
    to1 = lambda tx: deliver(0, 1, Prepare(tx))  # noqa: E731 - the coordinator of these is shard 0
    return [
        step_vector(f"{g}/working-credit-votes-yes",
                    "Shard 1 is working on t and its only leg there is a credit (no balance or nonce check "
                    "applies): it forces PreparedRecord(t) and then sends YES to the coordinator, shard 0.",
                    ["§7.1.4", "§5.2", "§6.2"], shard(1), to1(T)),
        step_vector(f"{g}/prepared-repeats-yes",
                    "A duplicate Prepare(t) at a prepared participant re-sends YES and writes nothing.",
                    ["§7.1.1", "§10.1"], shard(1, [prepared(T)]), to1(T)),
        step_vector(f"{g}/aborted-votes-no-aborted-locally",
                    "Prepare(t) at a participant that already aborted t (it timed out first, or learnt ABORT) is "
                    "answered NO with reason ABORTED_LOCALLY; nothing is written.",
                    ["§7.1.2", "§6.2"], shard(1, [outcome(T, False)]), to1(T)),
        step_vector(f"{g}/committed-sends-nothing",
                    "A late Prepare(t) at a participant that has committed t: nothing is sent or written.",
                    ["§7.1.3"], shard(1, [prepared(T), outcome(T, True)], store={B: (20, 0)}), to1(T)),
        step_vector(f"{g}/credit-leg-locked-votes-no",
                    "The credited agent is locked by l, prepared on shard 1. Credits lock like debits and a "
                    "participant never waits: it forces OutcomeRecord(t, ABORT) and votes NO LOCKED.",
                    ["§7.1.4.a", "§12.5", "§12.6", "§4.3", "§5.2"], shard(1, [prepared(L)]), to1(T)),
        step_vector(f"{g}/lock-released-by-commit",
                    "l prepared and then committed on shard 1, which released its lock: t votes YES.",
                    ["§7.1.4.a", "§4.3", "§11.4"], shard(1, [prepared(L), outcome(L, True)], store={B: (7, 0)}),
                    to1(T)),
        step_vector(f"{g}/lock-released-by-abort",
                    "l prepared and then aborted on shard 1, releasing its lock: t votes YES.",
                    ["§7.1.4.a", "§4.3", "§11.4"], shard(1, [prepared(L), outcome(L, False)]), to1(T)),
        step_vector(f"{g}/debit-exact-balance-votes-yes",
                    "The debit on shard 1 takes the agent's whole balance (15 of 15) with nonce store+1: both "
                    "checks pass (the balance check is balance < amount).",
                    ["§7.1.4.b", "§7.1.4.c", "§7.1.4"], shard(1, store={D: (15, 0)}), to1(V)),
        step_vector(f"{g}/debit-insufficient-balance",
                    "The debit on shard 1 needs 15 but the agent holds 14: ABORT forced, NO "
                    "INSUFFICIENT_BALANCE.", ["§7.1.4.b", "§6.2", "§5.2"], shard(1, store={D: (14, 0)}), to1(V)),
        step_vector(f"{g}/debit-nonce-replayed",
                    "The debit carries nonce 1 but the agent's store nonce is already 1 (a replay): NO "
                    "BAD_NONCE.", ["§7.1.4.c", "§3.1", "§6.2"], shard(1, store={D: (50, 1)}), to1(V)),
        step_vector(f"{g}/debit-nonce-gap",
                    "The debit carries nonce 3 but the agent's store nonce is 0 (the nonce must be exactly store "
                    "+ 1): NO BAD_NONCE.", ["§7.1.4.c", "§6.2"], shard(1, store={D: (50, 0)}), to1(VG)),
        step_vector(f"{g}/locked-checked-before-balance-and-nonce",
                    "The debited agent is locked by ld, has balance 0 and a wrong nonce: the first check, a "
                    "(LOCKED), decides the reason.",
                    ["§7.1.4.a", "§6.2"], shard(1, [prepared(LD)], store={D: (0, 7)}), to1(V)),
        step_vector(f"{g}/balance-checked-before-nonce",
                    "The debited agent has 14 (needs 15) and a wrong store nonce: check b (INSUFFICIENT_BALANCE) "
                    "comes before check c.", ["§7.1.4.b", "§7.1.4.c", "§6.2"], shard(1, store={D: (14, 3)}),
                    to1(V)),
        step_vector(f"{g}/legs-in-canonical-order-first-failure",
                    "Two legs on shard 1: the first in AgentId order has a bad nonce, the second is locked by le. "
                    "Legs are checked in canonical order, each with a, b, c, so the reason is BAD_NONCE.",
                    ["§7.1.4", "§6.2", "§3.1"], shard(1, [prepared(LE)], store={D: (50, 1), E: (50, 0)}),
                    to1(W2)),
        step_vector(f"{g}/second-leg-insufficient",
                    "Two legs on shard 1: the first passes, the second needs 5 and has 4: NO "
                    "INSUFFICIENT_BALANCE (the first failing leg decides).",
                    ["§7.1.4.b", "§6.2"], shard(1, store={D: (50, 0), E: (4, 0)}), to1(W2)),
        step_vector(f"{g}/prepared-transaction-locks-every-leg",
                    "w is prepared on shard 1 with legs on two agents; Prepare(le), whose credit is on the second "
                    "of them, is answered NO LOCKED.",
                    ["§7.1.4.a", "§4.3", "§11.4"], shard(1, [prepared(W2)], store={D: (50, 0), E: (50, 0)}),
                    deliver(2, 1, Prepare(LE))),
        step_vector(f"{g}/force-appends-buffer-first",
                    "Shard 1 (coordinator of e) holds e's EndRecord in its buffer. Forcing PreparedRecord(t) "
                    "appends the whole buffer, then the record, to the log; log_writes lists only the forced "
                    "record.", ["§5.2", "§5.3", "§7.1.4"],
                    shard(1, [prepared(E1), decision_record(E1), outcome(E1, True)], [end(E1)],
                          store={D: (94, 1)}), to1(T)),
    ]


def decision_vectors() -> list[dict[str, Any]]:
    """§7.2 and §7.3: a decision at each participant state."""
    g = "participant-decision"
    commit = lambda tx, to=1: deliver(0, to, commit_msg(tx))  # noqa: E731
    abort = lambda tx: deliver(0, 1, abort_msg(tx))  # noqa: E731
    return [
        step_vector(f"{g}/commit-when-prepared-applies-debit",
                    "COMMIT at a prepared participant: in one step it forces OutcomeRecord(v, COMMIT), applies "
                    "the debit (balance 15 -> 0, nonce := 1), releasing the lock, and sends Ack to shard 0.",
                    ["§7.2.1", "§5.2", "§4.1"], shard(1, [prepared(V)], store={D: (15, 0)}), commit(V)),
        step_vector(f"{g}/commit-when-prepared-applies-credit",
                    "COMMIT at a prepared participant whose leg is a credit: balance 5 -> 25, nonce unchanged.",
                    ["§7.2.1", "§4.1"], shard(1, [prepared(T)], store={B: (5, 2)}), commit(T)),
        step_vector(f"{g}/commit-at-coordinator-itself",
                    "The coordinator sends COMMIT to itself too (through the network, §2.4); its own prepared "
                    "participant commits its debit and acknowledges to itself.",
                    ["§7.2.1", "§8.2", "§2.4"],
                    shard(0, [prepared(T), decision_record(T)], store={A: (100, 0)}, coord={T: committing(T)}),
                    deliver(0, 0, commit_msg(T))),
        step_vector(f"{g}/commit-when-committed-acks-again",
                    "A duplicate COMMIT at a committed participant re-sends Ack (the coordinator may have lost "
                    "it); nothing is written.", ["§7.2.2", "§10.1"],
                    shard(1, [prepared(T), outcome(T, True)], store={B: (20, 0)}), commit(T)),
        step_vector(f"{g}/commit-when-working-ignored",
                    "COMMIT for a transaction this participant never prepared cannot happen (§11.2); it is "
                    "ignored.", ["§7.2.3", "§11.2"], shard(1), commit(T)),
        step_vector(f"{g}/commit-when-aborted-ignored",
                    "COMMIT at a participant that aborted cannot happen (§11.1); it is ignored.",
                    ["§7.2.3", "§11.1"], shard(1, [outcome(T, False)]), commit(T)),
        step_vector(f"{g}/commit-forces-buffer-first",
                    "Shard 1 holds e's EndRecord in its buffer; the forced COMMIT outcome of v2 carries it to the "
                    "log first.", ["§5.2", "§5.3", "§7.2.1"],
                    shard(1, [prepared(E1), decision_record(E1), outcome(E1, True), prepared(V2)], [end(E1)],
                          store={D: (44, 1)}),
                    commit(V2)),
        step_vector(f"{g}/abort-when-prepared",
                    "ABORT at a prepared participant: it forces OutcomeRecord(t, ABORT), which releases its "
                    "locks; no acknowledgement is sent (presumed abort).", ["§7.3.1", "§7.3.3", "§12.1"],
                    shard(1, [prepared(T)]), abort(T)),
        step_vector(f"{g}/abort-when-working",
                    "ABORT at a participant that never saw Prepare(t): it records the abort too, so that a late "
                    "Prepare(t) is answered NO.", ["§7.3.1", "§12.3"], shard(1), abort(T)),
        step_vector(f"{g}/abort-when-aborted-nothing",
                    "A duplicate ABORT at an aborted participant: nothing.", ["§7.3.2", "§10.1"],
                    shard(1, [outcome(T, False)]), abort(T)),
        step_vector(f"{g}/abort-when-committed-ignored",
                    "ABORT at a committed participant cannot happen (§11.1); ignored.", ["§7.3.2", "§11.1"],
                    shard(1, [prepared(T), outcome(T, True)], store={B: (20, 0)}), abort(T)),
    ]


def participant_timeout_vectors() -> list[dict[str, Any]]:
    """§7.4 at a participant that is not the coordinator."""
    g = "participant-timeout"
    return [
        step_vector(f"{g}/working-aborts-alone",
                    "A working participant that times out aborts alone (Lamport's RMChooseToAbort): it forces "
                    "OutcomeRecord(t, ABORT). It has never seen t: the timeout input carries the transaction.",
                    ["§7.4.1", "§2.5", "§13.1"], shard(1), Timeout(T)),
        step_vector(f"{g}/prepared-queries-coordinator",
                    "A prepared participant must not abort alone: on timeout it sends Query(t, 1) to shard 0 "
                    "and keeps waiting.", ["§7.4.2", "§10.2", "§12.7"], shard(1, [prepared(T)]), Timeout(T)),
        step_vector(f"{g}/committed-nothing", "Timeout at a committed participant: nothing.", ["§7.4.3"],
                    shard(1, [prepared(T), outcome(T, True)], store={B: (20, 0)}), Timeout(T)),
        step_vector(f"{g}/aborted-nothing", "Timeout at an aborted participant: nothing.", ["§7.4.3"],
                    shard(1, [outcome(T, False)]), Timeout(T)),
        step_vector(f"{g}/not-involved-nothing",
                    "Timeout(s) at shard 2, which neither coordinates s nor holds any of its legs: nothing.",
                    ["§13.1"], shard(2), Timeout(S)),
    ]


# -- coordinator rules, spec §8 ----------------------------------------------------------------------

def submit_vectors() -> list[dict[str, Any]]:
    g = "coordinator-submit"
    rich = {A: (100, 0)}
    return [
        step_vector(f"{g}/starts-collecting",
                    "Submit(t) at its coordinator: the coordinator's own participant votes first in the same "
                    "step (PreparedRecord(t) forced), then coord := collecting with yes = {0}, and Prepare(t) "
                    "goes to the other participants in ascending shard order.",
                    ["§8.1.2", "§12.4", "§13.2", "§5.2"], shard(0, store=rich), Submit(T)),
        step_vector(f"{g}/single-participant-commits-at-once",
                    "s has one participant, its coordinator: PreparedRecord and CommitDecisionRecord are forced "
                    "in the submit step, coord := committing, and COMMIT is sent to itself.",
                    ["§8.1.2", "§8.2", "§5.2"], shard(0, store=rich), Submit(S)),
        step_vector(f"{g}/own-vote-insufficient-balance",
                    "The coordinator's own leg fails (balance 10 < 30): the forced ABORT outcome is the only "
                    "trace; nothing is sent and the coordinator stays idle.", ["§8.1.2", "§7.1.4.b"],
                    shard(0, store={A: (10, 0)}), Submit(T)),
        step_vector(f"{g}/own-vote-bad-nonce",
                    "The coordinator's own debit has nonce 1 but the store nonce is 1: aborted at submission.",
                    ["§8.1.2", "§7.1.4.c"], shard(0, store={A: (100, 1)}), Submit(T)),
        step_vector(f"{g}/own-vote-locked",
                    "The coordinator's payer is locked by la (prepared on shard 0): aborted at submission.",
                    ["§8.1.2", "§7.1.4.a"], shard(0, [prepared(LA)], store=rich), Submit(T)),
        step_vector(f"{g}/duplicate-while-collecting-ignored",
                    "A second Submit(t) while the coordinator collects votes for t is a duplicate: ignored.",
                    ["§8.1.1"], shard(0, [prepared(T)], store=rich, coord={T: collecting(T, 0)}), Submit(T)),
        step_vector(f"{g}/duplicate-after-crash-refused",
                    "The coordinator crashed while collecting and recovered: coord is idle, but its own "
                    "PreparedRecord(t) is durable, so rmState is not working and t is never started again.",
                    ["§8.1.1", "§12.4", "§9.2"], shard(0, [prepared(T)], store=rich), Submit(T)),
        step_vector(f"{g}/duplicate-after-abort-refused",
                    "t was aborted here (its ABORT outcome is durable): a resubmission of the same content is "
                    "refused; a retry must change user_data.", ["§8.1.1", "§3.2", "§12.4"],
                    shard(0, [outcome(T, False)], store=rich), Submit(T)),
        step_vector(f"{g}/duplicate-after-commit-refused",
                    "t committed and ended here: a resubmission is ignored.", ["§8.1.1"],
                    shard(0, [prepared(T), decision_record(T), outcome(T, True), end(T)], store={A: (70, 1)}),
                    Submit(T)),
        step_vector(f"{g}/forces-buffer-first",
                    "The coordinator still buffers e0's EndRecord; the PreparedRecord(t2) forced at submission "
                    "carries it to the log first.", ["§5.2", "§5.3", "§8.1.2"],
                    shard(0, [prepared(E0), decision_record(E0), outcome(E0, True)], [end(E0)],
                          store={A: (96, 1)}),
                    Submit(T2)),
    ]


def vote_vectors() -> list[dict[str, Any]]:
    g = "coordinator-vote"
    base = [prepared(T)]
    yes = lambda s, tx=T: deliver(s, 0, vote(tx, s, True))  # noqa: E731
    no = lambda s, reason=VoteReason.LOCKED: deliver(s, 0, vote(T, s, False, reason))  # noqa: E731
    rich = {A: (100, 0)}
    return [
        step_vector(f"{g}/yes-collects", "A YES from shard 1 while collecting: yes := {0, 1}; nothing else.",
                    ["§8.2"], shard(0, base, store=rich, coord={T: collecting(T, 0)}), yes(1)),
        step_vector(f"{g}/last-yes-decides-commit",
                    "The last YES (shard 2) completes yes = participants: the coordinator forces "
                    "CommitDecisionRecord(t, [0,1,2]), enters committing with no acks and sends COMMIT to every "
                    "participant, itself included, in ascending order.", ["§8.2", "§5.2", "§13.2"],
                    shard(0, base, store=rich, coord={T: collecting(T, 0, 1)}), yes(2)),
        step_vector(f"{g}/duplicate-yes-absorbed",
                    "A repeated YES from shard 1 changes nothing (set semantics).", ["§8.2", "§10.1"],
                    shard(0, base, store=rich, coord={T: collecting(T, 0, 1)}), yes(1)),
        step_vector(f"{g}/decision-forces-buffer-first",
                    "The coordinator buffers e0's EndRecord; forcing t2's commit decision carries it to the log "
                    "first.", ["§8.2", "§5.2", "§5.3"],
                    shard(0, [prepared(E0), decision_record(E0), outcome(E0, True), prepared(T2)], [end(E0)],
                          store={A: (96, 1)}, coord={T2: collecting(T2, 0, 1)}),
                    yes(2, T2)),
        step_vector(f"{g}/no-decides-abort",
                    "NO (LOCKED) from shard 1 while collecting: decide abort. ABORT goes to every participant "
                    "except the NO voter; the coordinator goes idle and logs nothing (presumed abort).",
                    ["§8.3", "§12.1"], shard(0, base, store=rich, coord={T: collecting(T, 0)}), no(1)),
        step_vector(f"{g}/no-after-yes-decides-abort",
                    "NO (INSUFFICIENT_BALANCE) from shard 2 after shard 1's YES: ABORT to shards 0 and 1.",
                    ["§8.3"], shard(0, base, store=rich, coord={T: collecting(T, 0, 1)}),
                    no(2, VoteReason.INSUFFICIENT_BALANCE)),
        step_vector(f"{g}/late-yes-while-committing-ignored",
                    "A duplicate YES arriving after the decision (committing): ignored.", ["§8.3", "§10.1"],
                    shard(0, [prepared(T), decision_record(T)], store=rich, coord={T: committing(T)}), yes(1)),
        step_vector(f"{g}/late-no-while-idle-ignored",
                    "A NO arriving after the coordinator decided abort and went idle: ignored.", ["§8.3"],
                    shard(0, base, store=rich), no(2, VoteReason.ABORTED_LOCALLY)),
        step_vector(f"{g}/vote-for-unknown-transaction-ignored",
                    "A YES for a transaction the coordinator is not collecting (e.g. after a crash lost the "
                    "entry): ignored.", ["§8.3", "§9.1"], shard(0, store=rich), yes(1)),
    ]


def query_vectors() -> list[dict[str, Any]]:
    g = "coordinator-query"
    q = deliver(1, 0, Query(tid(T), 1))
    return [
        step_vector(f"{g}/committing-answers-commit",
                    "Query from shard 1 while committing: the log holds the commit decision, answer COMMIT.",
                    ["§8.4.1"], shard(0, [prepared(T), decision_record(T)], store={A: (100, 0)},
                                      coord={T: committing(T)}), q),
        step_vector(f"{g}/ended-answers-commit",
                    "Query after the coordinator ended t (idle, EndRecord logged): the durable decision still "
                    "answers COMMIT, whatever the volatile phase.", ["§8.4.1", "§4.3"],
                    shard(0, [prepared(T), decision_record(T), outcome(T, True), end(T)], store={A: (70, 1)}), q),
        step_vector(f"{g}/collecting-no-answer-yet",
                    "Query while collecting: no decision yet; the coordinator ignores it (its own timeout "
                    "guarantees a decision).", ["§8.4.2", "§8.5.1"],
                    shard(0, [prepared(T)], store={A: (100, 0)}, coord={T: collecting(T, 0)}), q),
        step_vector(f"{g}/presumed-abort-after-crash",
                    "The coordinator crashed while collecting and recovered (idle, no commit record): the query "
                    "is answered ABORT by presumption.", ["§8.4.3", "§9.2", "§12.1"],
                    shard(0, [prepared(T)], store={A: (100, 0)}), q),
        step_vector(f"{g}/presumed-abort-unknown-transaction",
                    "Query for a transaction the coordinator has no record of: ABORT (presumed abort).",
                    ["§8.4.3", "§12.1"], shard(0, store={A: (100, 0)}), q),
        step_vector(f"{g}/after-abort-answers-abort",
                    "Query after the coordinator decided abort (idle, its own ABORT outcome logged): ABORT.",
                    ["§8.4.3"], shard(0, [prepared(T), outcome(T, False)], store={A: (100, 0)}), q),
    ]


def coordinator_timeout_vectors() -> list[dict[str, Any]]:
    g = "coordinator-timeout"
    rich = {A: (100, 0)}
    return [
        step_vector(f"{g}/collecting-decides-abort-then-queries",
                    "Timeout(t) at the coordinator while collecting: decide abort, ABORT to every participant "
                    "(itself included) and idle; then, in the same step, the participant rule: shard 0 is "
                    "prepared, so it sends Query(t, 0) to the coordinator, itself.",
                    ["§8.5.1", "§7.4.2", "§13.1"], shard(0, [prepared(T)], store=rich,
                                                           coord={T: collecting(T, 0, 1)}), Timeout(T)),
        step_vector(f"{g}/committing-resends-to-unacknowledged",
                    "Timeout while committing with acks = {0}: COMMIT is sent again to shards 1 and 2 only; "
                    "shard 0 is committed, so its participant rule does nothing.", ["§8.5.2", "§7.4.3", "§12.7"],
                    shard(0, [prepared(T), decision_record(T), outcome(T, True)], store={A: (70, 1)},
                          coord={T: committing(T, 0)}), Timeout(T)),
        step_vector(f"{g}/committing-own-participant-still-prepared",
                    "Timeout while committing with no acks and shard 0 still prepared: COMMIT to 0, 1, 2, then "
                    "Query(t, 0) from the participant rule.", ["§8.5.2", "§7.4.2"],
                    shard(0, [prepared(T), decision_record(T)], store=rich, coord={T: committing(T)}),
                    Timeout(T)),
        step_vector(f"{g}/idle-aborted-nothing",
                    "Timeout at an idle coordinator whose participant aborted t: nothing.", ["§8.5.3", "§7.4.3"],
                    shard(0, [outcome(T, False)], store=rich), Timeout(T)),
        step_vector(f"{g}/idle-never-seen-aborts",
                    "Timeout at the coordinator of t that never received the submission: idle (nothing), then "
                    "its working participant aborts alone, forcing OutcomeRecord(t, ABORT).",
                    ["§8.5.3", "§7.4.1", "§13.1"], shard(0, store=rich), Timeout(T)),
    ]


def ack_vectors() -> list[dict[str, Any]]:
    g = "coordinator-ack"
    done = [prepared(T), decision_record(T), outcome(T, True)]
    rich = {A: (70, 1)}
    ack = lambda s: deliver(s, 0, Ack(tid(T), s))  # noqa: E731
    return [
        step_vector(f"{g}/ack-collects", "Ack from shard 1 while committing with acks = {0}: acks := {0, 1}.",
                    ["§8.6"], shard(0, done, store=rich, coord={T: committing(T, 0)}), ack(1)),
        step_vector(f"{g}/last-ack-buffers-end-record",
                    "The last Ack completes acks = participants: EndRecord(t) is appended to the buffer, not "
                    "forced (log_writes says forced: false), and the coordinator goes idle.",
                    ["§8.6", "§5.3"], shard(0, done, store=rich, coord={T: committing(T, 0, 1)}), ack(2)),
        step_vector(f"{g}/duplicate-ack-absorbed", "A repeated Ack from shard 1: nothing changes.",
                    ["§8.6", "§10.1"], shard(0, done, store=rich, coord={T: committing(T, 0, 1)}), ack(1)),
        step_vector(f"{g}/ack-while-idle-ignored",
                    "An Ack after the coordinator ended t (idle): ignored.", ["§8.6"],
                    shard(0, done + [end(T)], store=rich), ack(2)),
        step_vector(f"{g}/ack-while-collecting-ignored",
                    "An Ack while collecting (cannot be caused by this protocol): ignored.", ["§8.6"],
                    shard(0, [prepared(T)], store={A: (100, 0)}, coord={T: collecting(T, 0)}), ack(1)),
    ]


# -- crash, recovery, flush, down shards: spec §9, §5.4, §2.3 ---------------------------------------------

def crash_vectors() -> list[dict[str, Any]]:
    g = "crash-recover"
    busy = shard(0, [prepared(E0), decision_record(E0), outcome(E0, True), prepared(T2), decision_record(T2),
                     outcome(T2, True)], [end(E0)], store={A: (66, 2)}, coord={T2: committing(T2, 0)})
    mixed = [prepared(E0), decision_record(E0), outcome(E0, True), end(E0),   # ended
             prepared(T2), decision_record(T2),                               # decided, not ended
             prepared(X)]                                                     # was collecting
    down = lambda log, store=None: shard(0, log, store=store or {A: (96, 1), A2: (100, 0)}, up=False)  # noqa: E731
    return [
        step_vector(f"{g}/crash-loses-volatile-state",
                    "Crash: up := false; the buffer (e0's EndRecord) and the coordinator table are lost; the log "
                    "and the store are kept.", ["§9.1", "§2.3", "§4.1", "§4.2"], busy, Crash()),
        step_vector(f"{g}/recover-rebuilds-committing",
                    "Recover: coord := committing with no acks for every CommitDecisionRecord without an "
                    "EndRecord (t2); e0 (ended) and x (collecting when the shard crashed) are idle.",
                    ["§9.2", "§12.8", "§9.3"], down(mixed), Recover()),
        step_vector(f"{g}/recover-after-lost-end-record",
                    "The EndRecord of t was still in the buffer when the shard crashed, so it is lost: recovery "
                    "resumes committing t (the participants will acknowledge again).", ["§5.3", "§9.2"],
                    down([prepared(T), decision_record(T), outcome(T, True)], {A: (70, 1)}), Recover()),
        step_vector(f"{g}/recover-when-up-no-op", "Recover at an up shard: nothing changes.", ["§13.1"],
                    busy, Recover()),
        step_vector(f"{g}/crash-when-down-no-op", "Crash at a down shard: nothing changes.", ["§2.3", "§13.1"],
                    down(mixed), Crash()),
        step_vector(f"{g}/down-shard-takes-no-delivery",
                    "A down shard takes no step: a delivered Prepare changes nothing and sends nothing.",
                    ["§2.3"], shard(1, up=False), deliver(0, 1, Prepare(T))),
        step_vector(f"{g}/down-shard-takes-no-timeout", "A down shard ignores a timeout.", ["§2.3"],
                    shard(1, [prepared(T)], up=False), Timeout(T)),
        step_vector(f"{g}/down-shard-takes-no-submission", "A down coordinator ignores a submission.",
                    ["§2.3"], down([]), Submit(T)),
        step_vector(f"{g}/down-shard-takes-no-flush", "A down shard ignores Flush.", ["§2.3", "§5.4"],
                    down(mixed), Flush()),
        step_vector(f"{g}/flush-moves-buffer-to-log",
                    "Flush appends the buffer (e0's EndRecord) to the log and empties it; no record is written "
                    "anew, so log_writes is empty.", ["§5.4", "§5.3"],
                    shard(0, [prepared(E0), decision_record(E0), outcome(E0, True)], [end(E0)],
                          store={A: (96, 1)}), Flush()),
        step_vector(f"{g}/flush-empty-buffer-no-op", "Flush with an empty buffer: nothing changes.", ["§5.4"],
                    shard(0, mixed, store={A: (96, 1), A2: (100, 0)}), Flush()),
    ]


def all_step_vectors() -> list[dict[str, Any]]:
    return (prepare_vectors() + decision_vectors() + participant_timeout_vectors() + submit_vectors()
            + vote_vectors() + query_vectors() + coordinator_timeout_vectors() + ack_vectors() + crash_vectors())

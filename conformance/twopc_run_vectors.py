"""Run vectors: whole-cluster runs (spec/two_phase_commit.md §13.1), scripted and seeded.

A run vector holds a genesis, a transaction table and a list of operations;
its ``expected`` is what the reference makes of them: each submitted
transaction's outcome, the final snapshot and the snapshot digest after
every operation (so a client learns *where* it first diverged).  Scripts
are written with :class:`~altledger.conformance.twopc_fixtures.Driver`,
which picks operations by looking at the state ("deliver the vote of shard
2") and records them as plain operations.  Every vector is checked against
the invariants of §11 while it is generated.

Groups here: ``happy``, ``conflict``, ``funds`` and ``crash`` (a crash of
each shard after each operation of the happy path, then recovery and a
drain).  :mod:`twopc_fault_vectors` has ``presumed-abort``, ``messages``
(loss, duplication, reordering), ``resubmit`` (the duplicate-submission
guard), ``single``, ``rounds`` (§13.3), ``noop``, ``partial`` (runs that end
with work pending) and ``random`` (seeded simulations with faults).

No run has more than 8 transactions: each run vector's trace is validated
by TLC, and the model's start-up cost grows with the factorial of the
number of transactions (``TCommitTx``'s constant ``Symmetry`` enumerates
``Permutations(Tx)``; 12 transactions do not finish).
"""

from __future__ import annotations

from typing import Any

from altledger.reference.encoding import CrossAgentTx, agent_id
from altledger.reference.twopc.cluster import Cluster, Operation, run_round_schedule
from altledger.reference.twopc.invariants import check_all
from altledger.reference.twopc.snapshot import snapshot, snapshot_digest, snapshot_json
from altledger.reference.twopc.state import Phase
from altledger.reference.twopc.txfacts import coordinator_of, participants_of, txid_of
from altledger.conformance.twopc_fixtures import Driver, World, make_tx, outcome_of
from altledger.conformance.twopc_json import transactions_json

W3 = World(3)
A, A2 = W3.agent(0, 0), W3.agent(0, 1)
B, B2 = W3.agent(1, 0), W3.agent(1, 1)
D = W3.agent(1, 5)
C, C2 = W3.agent(2, 0), W3.agent(2, 7)

T = make_tx([(A, 30, 1)], [(B, 20), (C, 10)], "t")          # participants 0, 1, 2; coordinator 0
P2 = make_tx([(A, 10, 1)], [(B, 10)], "p2")                  # participants 0, 1
S = make_tx([(A, 8, 1)], [(A2, 8)], "s")                     # single participant 0
L = make_tx([(C2, 7, 1)], [(B, 7)], "l")                     # coordinator 2, credits B
U = make_tx([(C2, 5, 1)], [(B2, 5)], "u")                    # participants 1, 2; coordinator 2
X = make_tx([(A2, 5, 1)], [(B2, 5)], "x")                    # coordinator 0, payer A2
V = make_tx([(A, 5, 1), (D, 15, 1)], [(C, 20)], "v")         # a debit on shard 1
Q = make_tx([(C2, 6, 1)], [(B, 3), (C, 3)], "q")             # coordinator 2; locks B at 1, C and C2 at 2
assert [coordinator_of(tx, 3) for tx in (T, P2, S, L, U, X, V, Q)] == [0, 0, 0, 2, 2, 0, 0, 2]
assert participants_of(T, 3) == (0, 1, 2) and participants_of(S, 3) == (0,) and participants_of(U, 3) == (1, 2)


# -- building a vector ------------------------------------------------------------------------------

def operation_json(op: Operation, labels: dict[bytes, str]) -> list[Any]:
    name, *args = op
    if name == "submit":
        return ["submit", labels[txid_of(args[0])]]
    if name == "timeout":
        return ["timeout", args[0], labels[args[1]]]
    if name == "round_schedule":
        return ["round_schedule", [labels[txid_of(tx)] for tx in args[0]]]
    return [name, *args]


def apply(cluster: Cluster, op: Operation) -> None:
    if op[0] == "round_schedule":
        run_round_schedule(cluster, op[1])
    else:
        cluster.apply(op)


def run_vector(vector_id: str, description: str, clauses: list[str], shard_count: int, genesis: dict[str, int],
               txs: dict[str, CrossAgentTx], ops: list[Operation]) -> dict[str, Any]:
    """Replay ``ops`` on a fresh reference cluster and write the vector (invariants checked at the end)."""
    labels = {txid_of(tx): label for label, tx in txs.items()}
    ids = {agent_id(name): name for name in genesis}
    cluster = Cluster(shard_count, {a: genesis[n] for a, n in ids.items()}, ids)
    digests = []
    for op in ops:
        apply(cluster, op)
        digests.append(snapshot_digest(cluster))
    problems = check_all(cluster)
    if problems:
        raise AssertionError(f"{vector_id}: the reference broke an invariant: " + "; ".join(map(str, problems)))
    outcomes = {txid.hex(): outcome_of(cluster, tx) for txid, tx in cluster.transactions.items()}
    return {
        "id": f"run/{vector_id}", "suite": "twopc", "kind": "run", "description": description, "clauses": clauses,
        "shard_count": shard_count,
        "genesis": [{"agent": a.hex(), "name": ids[a], "balance": str(genesis[ids[a]])} for a in sorted(ids)],
        "transactions": transactions_json(txs),
        "operations": [operation_json(op, labels) for op in ops],
        "expected": {"outcomes": outcomes, "snapshot": snapshot(cluster), "digests": digests},
    }


def from_driver(d: Driver, vector_id: str, description: str, clauses: list[str]) -> dict[str, Any]:
    vector = run_vector(vector_id, description, clauses, d.world.shard_count, d.genesis, d.txs, d.ops)
    if snapshot_json(d.cluster) != snapshot_json_of(vector):
        raise AssertionError(f"{vector_id}: replaying the recorded operations did not give the scripted run")
    return vector


def snapshot_json_of(vector: dict[str, Any]) -> str:
    from altledger.reference.twopc.snapshot import canonical_json
    return canonical_json(vector["expected"]["snapshot"])


# -- happy paths, conflicts, funds and nonces --------------------------------------------------------------

def happy_vectors() -> list[dict[str, Any]]:
    out = []

    def simple(vid: str, world: World, txs: dict[str, CrossAgentTx], desc: str, clauses: list[str]) -> None:
        d = Driver(world, txs)
        for tx in txs.values():
            d.submit(tx)
        d.deliver_all()
        d.drain()
        out.append(from_driver(d, f"happy/{vid}", desc, clauses))

    simple("three-participants", W3, {"t": T},
           "t moves 30 from shard 0 to shards 1 and 2. Every message is delivered oldest first: Prepare, YES "
           "votes, the forced commit decision, COMMIT to all (the coordinator too), acknowledgements, the "
           "buffered EndRecord, then a flush.",
           ["§8.1", "§7.1.4", "§8.2", "§7.2.1", "§8.6", "§5.3", "§5.4", "§13.1", "§13.2"])
    simple("two-participants", W3, {"p2": P2}, "p2 pays 10 from shard 0 to shard 1; committed.",
           ["§8.1", "§8.2", "§7.2.1", "§8.6", "§3.3", "§3.4"])
    simple("single-participant", W3, {"s": S},
           "s moves value between two agents of shard 0: the coordinator decides commit in the submit step.",
           ["§8.1.2", "§8.2", "§7.2.1", "§8.6"])
    w1 = World(1)
    simple("one-shard-cluster", w1,
           {"k1": make_tx([(w1.agent(0, 0), 12, 1), (w1.agent(0, 1), 3, 1)], [(w1.agent(0, 2), 15)], "k1")},
           "With K = 1 every agent lives on shard 0: a two-payer transaction commits in one shard.",
           ["§2.2", "§3.3", "§3.4", "§8.1.2"])
    w2 = World(2)
    simple("two-shard-cluster", w2,
           {"k2": make_tx([(w2.agent(0, 0), 40, 1)], [(w2.agent(1, 0), 25), (w2.agent(1, 1), 15)], "k2")},
           "K = 2: one debit on shard 0, two credits on shard 1 (one participant holds two legs).",
           ["§2.2", "§3.3", "§7.2.1"])
    w4 = World(4)
    payers = sorted([w4.agent(1, 0), w4.agent(3, 1)], key=agent_id)
    k4 = make_tx([(payers[0], 20, 1), (payers[1], 30, 1)], [(w4.agent(0, 2), 35), (w4.agent(2, 3), 15)], "k4")
    simple("four-shards-two-payers", w4, {"k4": k4},
           "K = 4 with payers on two shards: the coordinator is the shard of the payer with the lower AgentId "
           f"(shard {coordinator_of(k4, 4)}); all four shards participate.", ["§3.4", "§12.2", "§3.3", "§8.2"])

    d = Driver(W3, {"t": T, "t_next": make_tx([(A, 25, 2)], [(C, 25)], "t-next")})
    d.submit(T)
    d.drain()
    d.submit(d.txs["t_next"])
    d.drain()
    out.append(from_driver(d, "happy/sequential-nonces",
                           "A pays twice: t with nonce 1, then t_next with nonce 2 once t has committed.",
                           ["§7.1.4.c", "§7.2.1", "§3.1"]))

    d = Driver(W3, {"t": T, "u": U})
    d.submit(T)
    d.submit(U)
    d.deliver_all(newest_first=True)
    d.drain()
    out.append(from_driver(d, "happy/concurrent-disjoint",
                           "t and u share no agent; they run at once, messages delivered newest first; both "
                           "commit.", ["§10.3", "§10.1", "§2.4"]))
    return out


def conflict_vectors() -> list[dict[str, Any]]:
    out = []
    d = Driver(W3, {"t": T, "l": L})
    d.submit(T)
    d.submit(L)
    d.deliver("Prepare", to=1, tx=T)
    d.deliver("Prepare", to=1, tx=L)
    d.drain()
    out.append(from_driver(d, "conflict/participant-lock",
                           "t and l both credit B on shard 1. t's Prepare arrives first and locks B; l's is answered "
                           "NO LOCKED and its coordinator (shard 2) aborts l; t commits.",
                           ["§7.1.4.a", "§12.5", "§12.6", "§8.3", "§7.3.1", "§10.3"]))

    t_twin = make_tx([(A, 30, 1)], [(B, 20), (C, 10)], "t-twin")
    t_retry = make_tx([(A, 30, 2)], [(B, 20), (C, 10)], "t-retry")
    d = Driver(W3, {"t": T, "t_twin": t_twin, "t_retry": t_retry})
    d.submit(T)
    d.submit(t_twin)
    d.drain()
    d.submit(t_retry)
    d.drain()
    out.append(from_driver(d, "conflict/coordinator-lock-then-retry",
                           "t and t_twin (same legs, other user_data) both debit A: t_twin is submitted while t "
                           "holds A's lock and aborts at once (its coordinator's own vote is NO LOCKED). After t "
                           "commits, t_retry with the next nonce commits.",
                           ["§8.1.2", "§7.1.4.a", "§3.2", "§12.6"]))

    d = Driver(W3, {"t": T, "q": Q})
    d.submit(T)
    d.submit(Q)
    d.deliver("Prepare", to=1, tx=T)
    d.deliver("Prepare", to=2, tx=T)
    d.deliver("Prepare", to=1, tx=Q)
    d.drain()
    out.append(from_driver(d, "conflict/crossing-both-abort",
                           "t locks B on shard 1 while q holds C on shard 2: each is refused where the other holds "
                           "a lock; both abort, nobody waits (no deadlock).",
                           ["§12.6", "§7.1.4.a", "§8.3", "§11.4"]))
    return out


def funds_vectors() -> list[dict[str, Any]]:
    out = []
    d = Driver(W3, {"v": V}, overrides={D: 10})
    d.submit(V)
    d.drain()
    out.append(from_driver(d, "funds/remote-insufficient",
                           "v's debit on shard 1 needs 15, the agent holds 10: shard 1 votes NO "
                           "INSUFFICIENT_BALANCE, the coordinator sends ABORT to shards 0 and 2.",
                           ["§7.1.4.b", "§8.3", "§7.3.1", "§12.1"]))
    d = Driver(W3, {"t": T}, overrides={A: 10})
    d.submit(T)
    d.drain()
    out.append(from_driver(d, "funds/coordinator-insufficient",
                           "t's payer on the coordinator's shard holds 10 of 30: aborted in the submit step, "
                           "nothing is sent.", ["§8.1.2", "§7.1.4.b"]))
    vg = make_tx([(A, 5, 1), (D, 15, 3)], [(C, 20)], "vg")
    d = Driver(W3, {"vg": vg})
    d.submit(vg)
    d.drain()
    out.append(from_driver(d, "funds/remote-bad-nonce",
                           "vg's debit on shard 1 carries nonce 3 for an agent at nonce 0: NO BAD_NONCE.",
                           ["§7.1.4.c", "§8.3"]))
    replay = make_tx([(A, 30, 1)], [(B, 20), (C, 10)], "t-replay")
    d = Driver(W3, {"t": T, "t_replay": replay})
    d.submit(T)
    d.drain()
    d.submit(replay)
    d.drain()
    out.append(from_driver(d, "funds/replayed-nonce",
                           "After t commits (A's nonce becomes 1), t_replay, the same legs with another user_data, "
                           "still carries nonce 1: aborted BAD_NONCE at its coordinator.",
                           ["§7.1.4.c", "§3.1", "§3.2"]))
    spend = make_tx([(B, 15, 1)], [(C, 15)], "spend")
    spend_again = make_tx([(B, 15, 1)], [(C, 15)], "spend-again")
    d = Driver(W3, {"spend": spend, "t": T, "spend_again": spend_again}, overrides={B: 0})
    d.submit(spend)
    d.drain()
    d.submit(T)
    d.drain()
    d.submit(spend_again)
    d.drain()
    out.append(from_driver(d, "funds/spend-received-credit",
                           "B starts with 0: spend (B pays 15) aborts; t credits B with 20 and commits; "
                           "spend_again (same legs, new user_data) then commits.",
                           ["§7.1.4.b", "§7.2.1", "§4.1", "§11.3"]))
    return out


# -- crashes at every point of the commit path -----------------------------------------------------------------

def happy_path() -> tuple[list[Operation], list[str]]:
    """The operations of t's happy path (oldest first) and a phrase for each."""
    d = Driver(W3, {"t": T})
    names = []
    d.submit(T)
    names.append("the submission")
    while d.deliverable():
        n = d.deliverable()[0]
        e = d.cluster.network[n]
        kind = type(e.message).__name__
        what = {"Prepare": f"Prepare to shard {e.recipient}", "VoteMsg": f"the vote of shard {e.sender}",
                "Decision": f"COMMIT to shard {e.recipient}", "Ack": f"the Ack of shard {e.sender}"}[kind]
        d.apply(("deliver", n))
        names.append(f"the delivery of {what}")
    d.flush(0)
    names.append("the flush of the coordinator's EndRecord")
    return d.ops, names


def crash_clauses(d: Driver, shard: int) -> list[str]:
    """The clauses a crash at this point exercises, read from the state just before it."""
    clauses = ["§9.1", "§9.2", "§2.3", "§11.6"]
    state = d.cluster.shards[shard]
    txid = txid_of(T)
    if shard == 0:
        phase = state.phase(txid)
        if phase is Phase.COLLECTING:
            clauses += ["§8.4.3", "§12.1", "§12.4"]
        elif phase is Phase.COMMITTING:
            clauses += ["§12.8", "§8.5.2"]
        elif state.buffer:
            clauses += ["§5.3"]
    if state.rm_state(txid).value == "prepared":
        clauses += ["§9.3", "§7.4.2"]
    return clauses


def crash_vectors() -> list[dict[str, Any]]:
    """Shard s crashes after operation i of the happy path; the others go on; s recovers; the run drains."""
    path, names = happy_path()
    out = []
    for i in range(1, len(path) + 1):
        for shard in range(3):
            d = Driver(W3, {"t": T})
            for op in path[:i]:
                d.apply(op)
            clauses = crash_clauses(d, shard)
            d.crash(shard)
            d.deliver_all()
            d.progress_timeouts()
            d.deliver_all()
            d.recover(shard)
            d.drain()
            role = "the coordinator" if shard == 0 else "a participant"
            description = (f"t's happy path (participants 0, 1, 2; coordinator 0): shard {shard} ({role}) crashes "
                           f"after operation {i}, {names[i - 1]}. While it is down the other shards deliver what "
                           f"they can and time out once; then it recovers and the run drains (faults stop, "
                           f"timeouts fire until every shard is idle). Outcome: {outcome_of(d.cluster, T)}.")
            out.append(from_driver(d, f"crash/shard{shard}-after-op{i:02d}", description, clauses))
    return out

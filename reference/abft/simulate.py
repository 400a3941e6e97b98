"""Seeded random gossip (spec/abft.md §10.1) producing a signed DAG and a gossip log.

The run
-------
Every member first creates a parentless event.  Then, repeatedly, a random
member ``a`` syncs to a random other member ``b``: ``b`` learns every event
``a`` knows and ``b`` does not, parents first; then ``b`` creates an event
whose self-parent is ``b``'s latest event and whose other-parent is ``a``'s
latest event.  A *forking* member (the first ``forkers`` members: ``m0``,
``m1``, …), when it is ``b``, sometimes creates two events on the same
self-parent instead: it keeps building on the first and syncs the second
(with its ancestors) to one random other member as if it were its latest
event; that member at once creates an event whose other-parent is the second
side, so the fork enters the ancestry of later events (and events above both
sides no longer see the forker, §4.1).  Forkers also lie about
timestamps (their clock reading plus noise); honest timestamps are readings
of one simulated clock that only moves forward, so each honest member's
timestamps increase.  The run stops when the DAG holds ``events`` events.

Everything is a function of the parameters and the seed: member keys are
Ed25519 key pairs whose 32-byte seeds are derived from the run seed
(:func:`member_key_seed`), and events carry real signatures.

The gossip log
--------------
:class:`GossipLog` records what every member knew and when, so that a run
can be projected into a trace (spec/abft.md §10.2).  ``operations`` is a
list, in execution order, of

* :class:`Create` ``(step, member, event, self_parent, other_parent, fork_of)``:
  ``member`` created ``event`` (labels; parents ``None`` for a parentless
  event).  ``fork_of`` is the label of the sibling when this is the second
  event of a fork.  A member knows the events it creates.
* :class:`Sync` ``(step, member, sender)``: ``sender`` (a) starts a sync
  to ``member`` (b); one per step ≥ 1, before that step's learns and creates,
  and a second one in a step where a forker syncs its fork's second side.
* :class:`Learn` ``(step, member, event, sender)``: ``member`` received
  ``event`` from ``sender`` (in the step's sync, or from a forker showing
  the second side of a fork, right after creating it).

``step`` numbers the sync rounds (0 = the parentless events).  Every member
learns an event at most once and only after its parents, so each member's
*view* (the events it knows, in the order it learnt them) is always closed
under parents: :meth:`GossipLog.views` replays the operations, and
:meth:`Simulation.view_dag` turns a view into a :class:`Dag` on which
consensus can be run (what that member would compute).  ``to_json()`` gives
the log as ``{"format": "altledger-abft-gossip/1", "members": [...],
"forkers": [...], "operations": [{"step", "op": "create"|"sync"|"learn", ...}]}``.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from typing import Any, Sequence

from altledger.reference.abft.dag import Dag, Member
from altledger.reference.abft.hashgraph import ancestors
from altledger.reference.crypto import ed25519_keypair, ed25519_sign
from altledger.reference.encoding import Event, Transaction
from altledger.reference.hashing import blake2b_256

LOG_FORMAT = "altledger-abft-gossip/1"
DEFAULT_COIN_PERIOD = 10
FORK_PROBABILITY = 0.3     # chance that a forker, when it creates, creates a fork
CLOCK_STEP = (1, 10)       # the simulated clock advances by a random amount in this range per sync
FORKER_CLOCK_NOISE = 25    # forkers report clock + uniform(-noise, +noise), floored at 0


@dataclass(frozen=True)
class Create:
    step: int
    member: str
    event: str
    self_parent: str | None
    other_parent: str | None
    fork_of: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "op": "create", "member": self.member, "event": self.event,
                "self_parent": self.self_parent, "other_parent": self.other_parent, "fork_of": self.fork_of}


@dataclass(frozen=True)
class Sync:
    step: int
    member: str     # b, who receives
    sender: str     # a, who sends

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "op": "sync", "member": self.member, "from": self.sender}


@dataclass(frozen=True)
class Learn:
    step: int
    member: str
    event: str
    sender: str

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "op": "learn", "member": self.member, "event": self.event, "from": self.sender}


@dataclass
class GossipLog:
    members: list[str]
    forkers: list[str]
    operations: list[Create | Sync | Learn] = field(default_factory=list)

    def views(self, upto: int | None = None) -> dict[str, list[str]]:
        """Each member's known events (labels, in the order learnt) after the first ``upto`` operations."""
        views: dict[str, list[str]] = {m: [] for m in self.members}
        for op in self.operations[:upto]:
            if not isinstance(op, Sync):
                views[op.member].append(op.event)
        return views

    def to_json(self) -> dict[str, Any]:
        return {"format": LOG_FORMAT, "members": list(self.members), "forkers": list(self.forkers),
                "operations": [op.to_json() for op in self.operations]}


@dataclass
class Simulation:
    """The result of :func:`simulate`: the whole DAG, the gossip log and what the run was asked for."""

    dag: Dag
    log: GossipLog
    forkers: list[str]
    key_seeds: dict[str, bytes] = field(repr=False)
    warnings: list[str]
    forks: int  # number of forks created (pairs of events on one self-parent)

    def view_dag(self, member: str, upto: int | None = None) -> Dag:
        """The DAG ``member`` knew after the first ``upto`` log operations (parents first)."""
        view = Dag(self.dag.members, self.dag.coin_period, self.dag.source)
        for label in self.log.views(upto)[member]:
            view.add(self.dag.event(self.dag.by_label[label]), label, check_signature=False)
        return view


def member_key_seed(seed: int, index: int) -> bytes:
    """The Ed25519 seed of member ``index`` in run ``seed``: a hash, so keys are reproducible."""
    return blake2b_256(b"altledger abft simulator member key" + seed.to_bytes(8, "big") + index.to_bytes(4, "big"))


def parse_stakes(text: str | None, members: int, seed: int) -> list[int]:
    """``None``/``equal`` -> all 1; ``1,1,2,5`` -> those (one per member); ``uniform:LO-HI`` -> seeded draws."""
    if text is None or text == "equal":
        return [1] * members
    if text.startswith("uniform:"):
        low, _, high = text[len("uniform:"):].partition("-")
        if not (low.isdigit() and high.isdigit()) or not 1 <= int(low) <= int(high):
            raise ValueError(f"stake distribution {text!r}: expected uniform:LO-HI with 1 <= LO <= HI")
        rng = random.Random(f"stakes/{seed}")
        return [rng.randint(int(low), int(high)) for _ in range(members)]
    parts = text.split(",")
    if not all(p.strip().isdigit() and int(p) >= 1 for p in parts):
        raise ValueError(f"stakes {text!r}: expected positive integers separated by commas, 'equal' or uniform:LO-HI")
    if len(parts) != members:
        raise ValueError(f"stakes {text!r}: {len(parts)} stakes given for {members} members")
    return [int(p) for p in parts]


def forker_warning(stakes: Sequence[int], forkers: int) -> str | None:
    """A warning when the forking members hold at least a third of the stake (§1.2, §11)."""
    forking, total = sum(stakes[:forkers]), sum(stakes)
    if forkers and 3 * forking >= total:
        return (f"forking members hold stake {forking} of {total} (>= S/3): the guarantees of "
                "spec/abft.md §11 do not hold for this run")
    return None


def simulate(members: int, events: int, seed: int, stakes: Sequence[int] | None = None, forkers: int = 0,
             coin_period: int = DEFAULT_COIN_PERIOD, transactions: int = 0,
             fork_probability: float = FORK_PROBABILITY) -> Simulation:
    """Run seeded gossip until the DAG holds ``events`` events (see the module docstring)."""
    stakes = list(stakes) if stakes is not None else [1] * members
    if members < 2:
        raise ValueError("gossip needs at least 2 members")
    if len(stakes) != members:
        raise ValueError(f"{len(stakes)} stakes given for {members} members")
    if events < members:
        raise ValueError(f"events ({events}) must be at least members ({members}): each member starts with one")
    if not 0 <= forkers <= members:
        raise ValueError(f"forkers ({forkers}) must be between 0 and members ({members})")
    if not 0 <= seed < 2 ** 64:
        raise ValueError("seed must be in 0 … 2**64 - 1")
    run = _Run(members, stakes, seed, forkers, coin_period, transactions)
    warning = forker_warning(stakes, forkers)
    run.start()
    while len(run.dag) < events:
        run.sync_and_create(fork_allowed=len(run.dag) + 3 <= events, fork_probability=fork_probability)
    return Simulation(run.dag, run.log, run.names[:forkers], dict(zip(run.names, run.seeds)),
                      [warning] if warning else [], run.forks)


class _Run:
    """The mutable state of one simulation."""

    def __init__(self, members: int, stakes: list[int], seed: int, forkers: int, coin_period: int,
                 transactions: int) -> None:
        self.rng = random.Random(seed)
        self.names = [f"m{i}" for i in range(members)]
        self.seeds = [member_key_seed(seed, i) for i in range(members)]
        keys = [ed25519_keypair(s).public_key for s in self.seeds]
        self.dag = Dag([Member(n, k, s) for n, k, s in zip(self.names, keys, stakes)], coin_period, "simulation")
        self.log = GossipLog(list(self.names), self.names[:forkers])
        self.forking = set(range(forkers))
        self.transactions = transactions
        self.known: list[set[bytes]] = [set() for _ in range(members)]
        self.latest: list[bytes | None] = [None] * members
        self.created = [0] * members
        self.clock = 0
        self.step = 0
        self.forks = 0

    def timestamp(self, member: int) -> int:
        if member in self.forking:
            return max(0, self.clock + self.rng.randint(-FORKER_CLOCK_NOISE, FORKER_CLOCK_NOISE))
        return self.clock

    def random_transactions(self) -> tuple[Transaction, ...]:
        count = self.rng.randint(0, self.transactions) if self.transactions else 0
        txs = []
        for _ in range(count):
            source = self.rng.randbytes(32)
            target = self.rng.randbytes(32)
            if target == source:  # astronomically unlikely; keep the value valid anyway
                target = bytes(b ^ 0xFF for b in source)
            txs.append(Transaction(source, target, self.rng.randint(1, 10 ** 6), self.rng.randint(1, 10 ** 6), b""))
        return tuple(txs)

    def create(self, member: int, self_parent: bytes | None, other_parent: bytes | None, timestamp: int,
               fork_of: bytes | None = None) -> bytes:
        unsigned = Event(creator=self.dag.members[member].public_key, self_parent=self_parent,
                         other_parent=other_parent, timestamp=timestamp, shard=0,
                         transactions=self.random_transactions(), signature=bytes(64))
        event = dataclasses.replace(unsigned, signature=ed25519_sign(self.seeds[member], unsigned.signing_bytes()))
        self.created[member] += 1
        label = f"{self.names[member]}.{self.created[member]}"
        event_hash = self.dag.add(event, label, check_signature=False)  # signed just above
        self.known[member].add(event_hash)
        self.log.operations.append(Create(
            self.step, self.names[member], label, self.label(self_parent), self.label(other_parent),
            self.label(fork_of)))
        return event_hash

    def label(self, event_hash: bytes | None) -> str | None:
        return None if event_hash is None else self.dag.label(event_hash)

    def learn(self, member: int, sender: int, wanted: set[bytes]) -> None:
        """``member`` learns the events of ``wanted`` it does not know, parents first."""
        for event_hash in sorted(wanted - self.known[member], key=self.dag.position.__getitem__):
            self.known[member].add(event_hash)
            self.log.operations.append(Learn(self.step, self.names[member], self.dag.label(event_hash),
                                             self.names[sender]))

    def start(self) -> None:
        for member in range(len(self.names)):
            self.latest[member] = self.create(member, None, None, self.timestamp(member))

    def sync_and_create(self, fork_allowed: bool, fork_probability: float) -> None:
        self.step += 1
        a, b = self.rng.sample(range(len(self.names)), 2)
        self.log.operations.append(Sync(self.step, self.names[b], self.names[a]))
        self.learn(b, a, self.known[a])                                  # a syncs to b
        self.clock += self.rng.randint(*CLOCK_STEP)
        self_parent, other_parent = self.latest[b], self.latest[a]
        first = self.create(b, self_parent, other_parent, self.timestamp(b))
        if b in self.forking and fork_allowed and self.rng.random() < fork_probability:
            # The second side of a fork: same parents, another timestamp, synced to one other member
            # as if it were b's latest event; that member builds on it (§10.1), so the fork enters the
            # ancestry of later events and really hides b's events from those that see both sides.
            second_time = self.dag.event(first).timestamp + self.rng.randint(1, 5)
            second = self.create(b, self_parent, other_parent, second_time, fork_of=first)
            witness = self.rng.choice([m for m in range(len(self.names)) if m != b])
            below = ancestors(self.dag, second)
            self.log.operations.append(Sync(self.step, self.names[witness], self.names[b]))
            self.learn(witness, b, {x for x in self.known[b] if below >> self.dag.position[x] & 1})
            self.latest[witness] = self.create(witness, self.latest[witness], second, self.timestamp(witness))
            self.forks += 1
        self.latest[b] = first


def run_of_dag(dag: Dag, forkers: Sequence[str] = ()) -> Simulation:
    """A DAG made without gossip (a conformance vector's, say) as a run whose log has only what each
    creator needed: before creating an event, its creator learns whatever of its parents' ancestry
    it did not know yet, parents first; nobody else learns anything.  ``step`` counts the events
    created before (there are no syncs).

    So the trace of this run (``trace.write_trace``) checks each creator's view as the DAG grows,
    through exactly the events the DAG has, in its order: a seeded adversarial DAG can bring TLC a
    coin round (§6.3) that uniform gossip never reaches.  ``forkers`` (member names) must name
    every member whose events are not each on its previous one (the model's ``Forking``).
    Signatures are left as the DAG has them (the trace carries no keys).
    """
    names = {member.public_key: member.id for member in dag.members}
    label = {x: dag.label(x) for x in dag}
    known: dict[str, set[bytes]] = {member.id: set() for member in dag.members}
    log = GossipLog([member.id for member in dag.members], list(forkers))
    children: dict[tuple[str, bytes | None], int] = {}       # (creator, self-parent) -> events on it

    def learn(member: str, step: int, x: bytes | None) -> None:
        """``member`` learns ``x`` and what it lacks of its ancestry, parents first (no recursion:
        a chain can be longer than Python's stack)."""
        pending = [(x, False)]
        while pending:
            y, parents_done = pending.pop()
            if y is None or y in known[member]:
                continue
            if parents_done:
                known[member].add(y)
                log.operations.append(Learn(step, member, label[y], "dag"))
            else:
                event = dag.event(y)
                pending += [(y, True), (event.other_parent, False), (event.self_parent, False)]

    for step, x in enumerate(dag):                   # insertion order: parents first (§2.2.4)
        event = dag.event(x)
        member = names[event.creator]
        learn(member, step, event.self_parent)
        learn(member, step, event.other_parent)
        known[member].add(x)
        log.operations.append(Create(step, member, label[x], label.get(event.self_parent),
                                     label.get(event.other_parent)))
        children[member, event.self_parent] = children.get((member, event.self_parent), 0) + 1
    forks = sum(count - 1 for count in children.values())     # a second parentless event is a fork too
    return Simulation(dag, log, list(forkers), {}, [], forks)

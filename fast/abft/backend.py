"""The fast backend's interface (see :mod:`altledger.reference.abft.backends`): batch and incremental.

Validation, hashing and labels stay with the reference: the batch entry
point takes a validated :class:`~altledger.reference.abft.dag.Dag`; the
incremental one keeps its own reference ``Dag`` to which every ``add`` is
delegated first (§2.2 checks, ``Event.hash()``, the same ``InputFileError``
messages).  The kernels then see only integers.

Stake sums are signed 64-bit integers in the kernels: spec/abft.md §9.1
bounds the total stake below 2^61, so every threshold test ``3·t > 2·S``
fits (the reference ``Dag`` rejects a larger total).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from altledger.fast.abft import kernels as k
from altledger.fast.abft.state import FastState
from altledger.reference.abft import consensus as reference
from altledger.reference.abft.dag import Dag, Member
from altledger.reference.encoding import Event

FORMAT = reference.FORMAT
FAME_VALUES = (None, False, True)    # indexed by W_FAME + 1

# A deliberate bug to switch on (kernels.MUTANT_*), for the cross-check's self-test only.
MUTANT = 0


def entry(event_hash: str, rnd: int, witness: bool, fame: int, received: int, timestamp: int) -> dict[str, Any]:
    """One event's entry of §8.1, in the reference's structure."""
    return {"hash": event_hash, "round": rnd, "witness": witness,
            "famous": FAME_VALUES[fame + 1] if witness else None,
            "round_received": received or None,
            "consensus_timestamp": timestamp if received else None}


def consensus_output(dag: Dag) -> dict[str, Any]:
    """spec/abft.md §8.1 for the whole validated DAG (batch: §7 processed once, at the end)."""
    state = FastState(dag.members, dag.coin_period, capacity=len(dag) + 1)
    order = dag.order
    state.load([dag.events[x] for x in order], order, dag.position)
    state.run(order_each=False, mutant=MUTANT)
    rounds, witness, fame, received, timestamps, ordered = state.columns()
    labels = [dag.labels[x] for x in order]
    events = {label: entry(x.hex(), r, w, f, q, t)
              for label, x, r, w, f, q, t in zip(labels, order, rounds, witness, fame, received, timestamps)}
    return {"format": FORMAT, "last_decided_round": int(state.G[k.G_LDR]), "events": events,
            "order": [labels[i] for i in ordered]}


class IncrementalConsensus:
    """Adds events one at a time; after each ``add`` the state is §8.1 for the DAG so far (§8.2).

    ``add`` runs the kernels on the new event and advances §7 at once (so a
    roll-back, if the DAG forces one, happens at the addition that causes
    it).  ``output`` only materialises the JSON structure: entries of events
    whose values did not change since the previous call are reused (they are
    never mutated once returned), so calling it after every addition costs
    a C-speed copy of the event mapping plus the changed entries.
    """

    def __init__(self, members: Sequence[Member], coin_period: int, source: str = "") -> None:
        self.dag = Dag(members, coin_period, source)
        self.state = FastState(self.dag.members, coin_period)
        self.labels: list[str] = []
        self.entries: dict[str, dict[str, Any]] = {}
        self.shown = 0                                   # events with an entry
        self.shown_fame = np.zeros(0, np.int64)
        self.shown_received = np.zeros(0, np.int64)
        self.shown_timestamp = np.zeros(0, np.uint64)
        self.order_labels: list[str] = []
        self.order_epoch = 0

    def add(self, event: Event, label: str | None = None, check_signature: bool = True) -> bytes:
        event_hash = self.dag.add(event, label, check_signature)
        self.labels.append(self.dag.labels[event_hash])
        self.state.load([event], [event_hash], self.dag.position)
        self.state.run(order_each=True, mutant=MUTANT)
        return event_hash

    def add_many(self, events: Sequence[Event], labels: Sequence[str | None] | None = None,
                 check_signature: bool = True) -> list[bytes]:
        """Add a batch: validated one by one, then processed by one kernel call (§7 after each event)."""
        labels = list(labels) if labels is not None else [None] * len(events)
        hashes = [self.dag.add(event, label, check_signature) for event, label in zip(events, labels)]
        self.labels.extend(self.dag.labels[h] for h in hashes)
        self.state.load(list(events), hashes, self.dag.position)
        self.state.run(order_each=True, mutant=MUTANT)
        return hashes

    @property
    def rollbacks(self) -> int:
        """How often §7 processing was undone and redone (only DAGs with Byzantine stake >= S/3)."""
        return int(self.state.G[k.G_ROLLBACKS])

    @property
    def coin_votes(self) -> int:
        """How many votes so far were a coin (§6.3): shows a test reached a coin round."""
        return int(self.state.G[k.G_COIN_VOTES])

    @property
    def forked_members(self) -> int:
        """Members with a fork somewhere in the DAG (§3.3)."""
        return int(self.state.G[k.G_FORKED_MEMBERS])

    def output(self) -> dict[str, Any]:
        state = self.state
        n = state.n
        ev = state.EV[:n]
        witness_index = ev[:, k.E_WIT]
        is_witness = witness_index >= 0
        fame = np.full(n, -1, np.int64)
        fame[is_witness] = state.WI[witness_index[is_witness], k.W_FAME]
        received = ev[:, k.E_RR].copy()
        timestamp = state.CTS[:n].copy()
        old = self.shown
        # Entries to (re)build: new events, and events whose fame, round received or timestamp changed
        # (after a roll-back an event can be received again in the same round with another timestamp).
        changed = np.nonzero((fame[:old] != self.shown_fame) | (received[:old] != self.shown_received)
                             | (timestamp[:old] != self.shown_timestamp))[0].tolist()
        for i in changed + list(range(old, n)):
            x = self.dag.order[i]
            self.entries[self.labels[i]] = entry(x.hex(), int(ev[i, k.E_ROUND]), bool(is_witness[i]),
                                                 int(fame[i]), int(received[i]), int(timestamp[i]))
        self.shown, self.shown_fame, self.shown_received, self.shown_timestamp = n, fame, received, timestamp
        order_length = int(state.G[k.G_ORDER_LEN])
        epoch = int(state.G[k.G_EPOCH])
        if epoch != self.order_epoch:
            self.order_labels = []
            self.order_epoch = epoch
        done = len(self.order_labels)
        self.order_labels.extend(self.labels[i] for i in state.ORDER[done:order_length].tolist())
        return {"format": FORMAT, "last_decided_round": int(state.G[k.G_LDR]), "events": dict(self.entries),
                "order": list(self.order_labels)}

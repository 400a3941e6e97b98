"""Build small DAGs by hand for tests: members by letter, events by label.

Signatures are synthetic (the DAGs are added without signature checks, as
spec/abft.md §9.3 allows for replayed DAGs): by default 64 bytes derived from
the label, or exactly the bytes a test chooses when the coin (§6.3) or the
whitening (§7.3) must be controlled.
"""

from __future__ import annotations

import hashlib

from altledger.reference.abft import hashgraph as hg
from altledger.reference.abft.consensus import consensus_output
from altledger.reference.abft.dag import Dag, Member
from altledger.reference.encoding import Event


def default_signature(label: str) -> bytes:
    return hashlib.blake2b(label.encode(), digest_size=64).digest()


class HandDag:
    """``HandDag({"A": 1, "B": 1}, coin_period=10)``, then ``ev("B2", "B1", "A1", ts=5)``."""

    def __init__(self, stakes: dict[str, int], coin_period: int = 10) -> None:
        self.keys = {name: bytes([i + 1]) * 32 for i, name in enumerate(stakes)}
        self.g = Dag([Member(name, self.keys[name], stake) for name, stake in stakes.items()], coin_period)
        self.h: dict[str, bytes] = {}

    def ev(self, label: str, self_parent: str | None = None, other_parent: str | None = None, ts: int = 0,
           sig: bytes | None = None, creator: str | None = None) -> bytes:
        """Add event ``label``; its creator is the label's leading letter unless given."""
        creator = creator or label[0]
        event = Event(creator=self.keys[creator],
                      self_parent=self.h[self_parent] if self_parent else None,
                      other_parent=self.h[other_parent] if other_parent else None,
                      timestamp=ts, shard=0, transactions=(),
                      signature=default_signature(label) if sig is None else sig)
        self.h[label] = self.g.add(event, label, check_signature=False)
        return self.h[label]

    # Spec functions by label, for readable assertions.
    def round(self, x: str) -> int:
        return hg.round_created(self.g, self.h[x])

    def witness(self, x: str) -> bool:
        return hg.is_witness(self.g, self.h[x])

    def sees(self, x: str, y: str) -> bool:
        return hg.sees(self.g, self.h[x], self.h[y])

    def strongly_sees(self, x: str, y: str) -> bool:
        return hg.strongly_sees(self.g, self.h[x], self.h[y])

    def vote(self, y: str, x: str) -> bool:
        return hg.vote(self.g, self.h[y], self.h[x])

    def decision(self, y: str, x: str) -> bool | None:
        return hg.decision(self.g, self.h[y], self.h[x])

    def tally(self, y: str, x: str) -> tuple[bool, int]:
        return hg.tally(self.g, self.h[y], self.h[x])

    def fame(self, x: str) -> bool | None:
        return hg.fame(self.g, self.h[x])

    def ufw(self, r: int) -> set[str]:
        return {self.g.label(w) for w in hg.unique_famous_witnesses(self.g, r)}

    def output(self) -> dict:
        return consensus_output(self.g)

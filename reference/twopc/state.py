"""The state of one shard and of the network envelopes (spec/two_phase_commit.md §4).

Every value here is immutable: a step (``shard.step``) builds a new
:class:`ShardState` and never changes the old one.  Mappings inside a state
(the store, the coordinator table) are plain dicts that are *never mutated
after the state is built*; a rule that changes one copies it first
(``StepBuilder`` in ``shard.py`` does this, and nothing else writes them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Mapping, Union

from altledger.reference.encoding import Ack, Decision, Prepare, Query, VoteMsg, shard_of_agent
from altledger.reference.twopc.log import Log, Record, RmState

Message = Union[Prepare, VoteMsg, Decision, Ack, Query]


class Phase(Enum):
    """The coordinator's phase for one transaction (§4.2).  ``idle`` is the absence of an entry."""

    IDLE = "idle"
    COLLECTING = "collecting"
    COMMITTING = "committing"


@dataclass(frozen=True)
class CoordEntry:
    """``coord[c][t]`` when not idle (§4.2): the phase, the participants, and ``yes`` or ``acks``."""

    phase: Phase
    participants: tuple[int, ...]
    yes: frozenset[int] = frozenset()
    acks: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Envelope:
    """``(from, to, message)`` (§2.4).  The cluster's network numbers envelopes (§13.1)."""

    sender: int
    recipient: int
    message: Message


@dataclass(frozen=True)
class ShardState:
    """Shard ``shard`` of ``shard_count``: durable ``log``/store, volatile ``up``/``buffer``/``coord`` (§4.1–4.2).

    The store is two mappings, ``balances`` and ``nonces``, from AgentId to
    int; an agent absent from them has balance 0 and nonce 0 (§2.1).
    """

    shard: int
    shard_count: int
    up: bool = True
    log: Log = field(default_factory=Log)
    buffer: tuple[Record, ...] = ()
    balances: Mapping[bytes, int] = field(default_factory=dict)
    nonces: Mapping[bytes, int] = field(default_factory=dict)
    coord: Mapping[bytes, CoordEntry] = field(default_factory=dict)

    # -- derived state, §4.3 ----------------------------------------------------------

    def rm_state(self, txid: bytes) -> RmState:
        """``rmState[t][s]`` (§4.3)."""
        return self.log.rm_state(txid)

    def lock(self, agent: bytes) -> bytes | None:
        """``lock(a)`` for an agent on this shard (§4.3)."""
        return self.log.lock(agent)

    def phase(self, txid: bytes) -> Phase:
        """The coordinator phase of ``txid`` here (idle when there is no entry)."""
        entry = self.coord.get(txid)
        return entry.phase if entry is not None else Phase.IDLE

    def balance(self, agent: bytes) -> int:
        return self.balances.get(agent, 0)

    def nonce(self, agent: bytes) -> int:
        return self.nonces.get(agent, 0)


def initial_shard_state(shard: int, shard_count: int, genesis: Mapping[bytes, int]) -> ShardState:
    """Shard ``shard`` at the start of a run: up, empty log, the genesis balances of its agents (§2.1)."""
    balances = {agent: amount for agent, amount in genesis.items()
                if amount and shard_of_agent(agent, shard_count) == shard}
    return ShardState(shard=shard, shard_count=shard_count, balances=balances)

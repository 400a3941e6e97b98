"""Seeded batches of cross-agent transfers for batch-mode tests and ``altledger bench twopc``.

Each batch is created from the store as it is after the previous batches
have run (like the reference's ``simulate_rounds``): a debit carries the
payer's next nonce, counting earlier debits of the same payer in the same
batch as if they commit.  So most transfers can commit, and the ones that
abort do so for the protocol's reasons: a lock held by another transfer of
the batch (§7.1.4.a, more often with hot agents), a payer that cannot pay
(§7.1.4.b, deliberate overdrafts and drained payers), a wrong nonce
(§7.1.4.c, deliberate, or a payer whose earlier debit in the batch aborted),
and re-submissions of earlier transfers (§8.1.1).

The store between batches is read from a fast in-process run that is
executed while generating; the batches are then fixed data, which any
implementation can run from genesis (the benchmark's timed runs do).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from altledger.fast.twopc.batch import InProcessGroup, drive
from altledger.reference.encoding import CrossAgentTx, Leg, LegKind, agent_id


@dataclass(frozen=True)
class TransferWorkload:
    """The shape of a generated workload (defaults: the benchmark's)."""

    transfers: int = 100_000
    shards: int = 16
    agents: int = 10_000
    batch: int = 1_000          # transfers per round-schedule batch
    max_legs: int = 4
    min_balance: int = 1_000
    max_balance: int = 10_000
    max_amount: int = 500
    hot_agents: int = 8
    hot_share: float = 0.02     # chance that a leg's agent is a hot one
    bad_nonce: float = 0.01
    overdraft: float = 0.01
    resubmit: float = 0.01


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(parts)]


def make_workload(seed: int, workload: TransferWorkload) -> tuple[dict[bytes, int], list[list[CrossAgentTx]]]:
    """``(genesis, batches)`` for ``workload``, determined by ``seed``."""
    if workload.agents < workload.max_legs or not 2 <= workload.max_legs <= 16:
        raise ValueError("need 2 <= max_legs <= 16 and at least max_legs agents")
    if not 0 <= workload.min_balance <= workload.max_balance or workload.batch < 1 or workload.shards < 1:
        raise ValueError("need 0 <= min_balance <= max_balance, batch >= 1 and shards >= 1")
    rng = random.Random(seed)
    ids = [agent_id(f"w{i}.cns") for i in range(workload.agents)]
    genesis = {a: rng.randint(workload.min_balance, workload.max_balance) for a in ids}
    hot = rng.sample(ids, min(workload.hot_agents, len(ids)))
    batches: list[list[CrossAgentTx]] = []
    shards = workload.shards
    runner = InProcessGroup(shards, range(shards), [0] * shards, genesis, batches, False)
    state = runner.group
    created: list[CrossAgentTx] = []

    def store_nonce(agent: bytes) -> int:
        a = state.agents.index.get(agent)
        return 0 if a is None else state.shards[state.agents.shard[a]].nonce.get(a, 0)

    while len(created) < workload.transfers:
        planned: dict[bytes, int] = {}
        batch: list[CrossAgentTx] = []
        while len(batch) < workload.batch and len(created) < workload.transfers:
            if created and rng.random() < workload.resubmit:
                batch.append(rng.choice(created))
                continue
            count = rng.randint(2, workload.max_legs)
            chosen: list[bytes] = []
            while len(chosen) < count:
                agent = rng.choice(hot if hot and rng.random() < workload.hot_share else ids)
                if agent not in chosen:
                    chosen.append(agent)
            debits = rng.randint(1, count - 1)
            total = rng.randint(count, max(count, workload.max_amount))
            if rng.random() < workload.overdraft:
                total = workload.max_balance * count + rng.randint(1, 100)
            debit_amounts, credit_amounts = _split(rng, total, debits), _split(rng, total, count - debits)
            legs = []
            for i, agent in enumerate(chosen):
                if i < debits:
                    nonce = max(store_nonce(agent), planned.get(agent, 0)) + 1
                    planned[agent] = nonce
                    if rng.random() < workload.bad_nonce:
                        nonce = rng.choice([n for n in (nonce - 1, nonce + 1, nonce + 2) if n >= 1])
                    legs.append(Leg(agent, LegKind.DEBIT, debit_amounts[i], nonce))
                else:
                    legs.append(Leg(agent, LegKind.CREDIT, credit_amounts[i - debits], 0))
            legs.sort(key=lambda leg: leg.agent)
            tx = CrossAgentTx(legs=tuple(legs), user_data=f"w{len(created) + 1}".encode())
            created.append(tx)
            batch.append(tx)
        batches.append(batch)
        drive([runner], [len(batches) - 1])                 # run it, so the next batch sees the store
    return genesis, batches

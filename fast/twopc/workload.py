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
from altledger.reference.encoding import CrossAgentTx, agent_id
from altledger.reference.twopc.simulate import draw_legs


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

    planned: dict[bytes, int] = {}

    def next_nonce(agent: bytes) -> int:
        """The payer's nonce after the store's and after its earlier debits in this batch (as if they
        commit; recorded before ``draw_legs`` may make it wrong)."""
        a = state.agents.index.get(agent)
        stored = 0 if a is None else state.shards[state.agents.shard[a]].nonce.get(a, 0)
        nonce = planned[agent] = max(stored, planned.get(agent, 0)) + 1
        return nonce

    while len(created) < workload.transfers:
        planned.clear()
        batch: list[CrossAgentTx] = []
        while len(batch) < workload.batch and len(created) < workload.transfers:
            if created and rng.random() < workload.resubmit:
                batch.append(rng.choice(created))
                continue
            legs = draw_legs(rng, workload, ids, hot, lambda agent: agent, next_nonce)     # agents by id
            tx = CrossAgentTx(legs=legs, user_data=f"w{len(created) + 1}".encode())
            created.append(tx)
            batch.append(tx)
        batches.append(batch)
        drive([runner], [len(batches) - 1])                 # run it, so the next batch sees the store
    return genesis, batches

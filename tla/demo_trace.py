"""A tiny Python implementation of ``tla/Demo.tla`` that records its runs as
``altledger-trace/1`` files.

Why: it is the model for how a protocol implementation feeds trace
validation (written independently of the spec, state in plain Python,
one :class:`TraceWriter` call per action), and it gives the trace validator
real traces of any length to be tested and timed on.
"""

from __future__ import annotations

import random
from pathlib import Path

from altledger.tla.trace_format import TraceWriter
from altledger.tla.values import FnMap, Record

ACTIONS = {"Produce": ["p"], "Consume": ["c"], "Done": []}
VARIABLES = ["buffer", "sent", "delivered", "taken"]


def simulate(path: str | Path, *, producers: int = 2, consumers: int = 2, capacity: int = 3,
             max_items: int = 10, seed: int = 0, stop_with_done: bool = True) -> int:
    """Run the bounded channel with random scheduling until every item has
    been sent and taken; write the trace to ``path``; return the step count.

    A run has ``2 * producers * max_items`` Produce/Consume steps, plus one
    final Done step when ``stop_with_done``.
    """
    rng = random.Random(seed)
    ps = [f"p{i}" for i in range(1, producers + 1)]
    cs = [f"c{i}" for i in range(1, consumers + 1)]
    buffer: list[Record] = []
    sent = {p: 0 for p in ps}
    delivered = {p: 0 for p in ps}
    taken = {c: 0 for c in cs}

    constants = {"Producers": set(ps), "Consumers": set(cs), "Capacity": capacity, "MaxItems": max_items}

    def state() -> dict:
        # sent/delivered/taken are functions on the identity sets, written as
        # ITF #map (a dict with string keys would be a record; TLA+ considers
        # the two equal anyway).
        return {"buffer": list(buffer), "sent": FnMap(sent), "delivered": FnMap(delivered),
                "taken": FnMap(taken)}

    with TraceWriter(path, "Demo", constants, VARIABLES, state(), ACTIONS) as writer:
        while True:
            choices = [("Produce", p) for p in ps if sent[p] < max_items and len(buffer) < capacity]
            choices += [("Consume", c) for c in cs if buffer]
            if not choices:
                break
            action, who = rng.choice(choices)
            if action == "Produce":
                sent[who] += 1
                buffer.append(Record({"from": who, "n": sent[who]}))
                writer.step("Produce", {"p": who}, state=state())
            else:
                item = buffer.pop(0)
                delivered[item["from"]] += 1
                taken[who] += 1
                writer.step("Consume", {"c": who}, state=state())
        if stop_with_done:
            writer.step("Done", {}, changed={})
        return writer.steps

"""Where a batch run's time goes, per shard group: the phases of ``workers._run_group``, timed.

The benchmark (``altledger bench twopc``) reports them so that a reader can see
why adding a worker gains what it gains, not only how much: which phases
shrink when the work is split between two groups, which stay as they were, and
which are new (forking, swapping parts, waiting for a peer each round).

Every phase is wall-clock time (``time.perf_counter``), because what the run
waits for is wall-clock time; on Linux it reads ``CLOCK_MONOTONIC``, one clock
for every process of the machine, so a forked worker's ``began`` is measured
from the moment the calling process started the run.  Timing costs two clock
reads per phase entered, about 1,000 per run at the benchmark's defaults.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass


@dataclass
class GroupPhases:
    """Seconds one shard group spent in each phase of its run.

    * ``began`` — from the run's start (``run_batches`` called) until the group began: the
      calling process's preparations (the compiled kernel loaded, genesis indexed), and for a
      forked worker also the forks before it and its own start-up; for a pool's worker
      (``pool``), the caller handing it the input and its mapping of it;
    * ``init`` — making the group's empty state (``ArrayShardGroup`` or ``ShardGroup``);
    * ``read`` — reading its chunks of the input into parts (``ingest.read_share``);
    * ``swap`` — handing parts to the other groups and receiving theirs, waiting included;
    * ``take`` — building its arrays from its parts (``ingest.take``);
    * ``compute`` — its rounds: the rules applied to its messages (``start_batch``, ``run_round``);
    * ``exchange`` — between rounds: sending its messages to the other groups and waiting for
      theirs (``workers._exchange``);
    * ``finish`` — collecting its final state (``finish``), and for a forked worker writing it to
      its in-memory file;
    * ``ended`` — from the run's start until the group had its final state.
    """

    began: float = 0.0
    init: float = 0.0
    read: float = 0.0
    swap: float = 0.0
    take: float = 0.0
    compute: float = 0.0
    exchange: float = 0.0
    finish: float = 0.0
    ended: float = 0.0

    def as_milliseconds(self) -> dict[str, float]:
        return {name: round(seconds * 1e3, 1) for name, seconds in asdict(self).items()}


class PhaseClock:
    """Adds the time spent inside ``timing(phase)`` blocks to one group's ``GroupPhases``."""

    def __init__(self, run_started: float) -> None:
        self.run_started = run_started
        self.phases = GroupPhases(began=time.perf_counter() - run_started)

    @contextmanager
    def timing(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            setattr(self.phases, phase, getattr(self.phases, phase) + time.perf_counter() - start)

    def end(self) -> GroupPhases:
        self.phases.ended = time.perf_counter() - self.run_started
        return self.phases

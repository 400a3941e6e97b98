"""Every run vector as an ``altledger-trace/1`` trace, validated by TLC against ``tla/TwoPhaseCommit.tla``.

Why: a run vector says what the reference does; its trace, checked by TLC,
says that this is a behaviour of the TLA+ model (spec §13.4).  Together the
vectors are then not merely "what our code happens to do" but runs the
model allows, step by step.

The trace is produced by the reference's :class:`TraceRecorder` while the
vector's operations are replayed on a fresh reference cluster; transactions
keep their vector labels (the model's ``Tx``), agents their genesis names.
The label -> txid table is the vector's own ``transactions`` member, so the
trace header needs nothing beyond its six keys.
"""

from __future__ import annotations

import concurrent.futures
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from altledger.conformance.twopc_handler import read_genesis, read_operation
from altledger.conformance.twopc_json import read_transactions
from altledger.reference.twopc.cluster import Cluster, run_round_schedule
from altledger.reference.twopc.trace import TraceRecorder

TLA_DIR = Path(__file__).resolve().parent.parent / "tla"


def record_trace(vector: dict[str, Any], path: Path) -> int:
    """Replay a run vector with the reference, write its trace to ``path``; return the number of steps."""
    shard_count = vector["shard_count"]
    txs = read_transactions(vector["transactions"])
    genesis, names = read_genesis(vector["genesis"])
    cluster = Cluster(shard_count, genesis, names)
    recorder = TraceRecorder(cluster, labels=txs.label_of)
    for index, raw in enumerate(vector["operations"]):
        op = read_operation(raw, index, txs, shard_count)
        if op[0] == "round_schedule":
            run_round_schedule(cluster, op[1], observe=lambda applied: recorder(cluster, applied))
        else:
            recorder(cluster, cluster.apply(op))
    return recorder.write(path)


@dataclass
class TraceVerdict:
    id: str
    accepted: bool
    steps: int
    summary: str
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "accepted": self.accepted, "steps": self.steps, "summary": self.summary,
                "seconds": round(self.seconds, 2)}


def validate_vector_trace(vector: dict[str, Any], spec_dir: Path = TLA_DIR) -> TraceVerdict:
    from altledger.tla.trace import validate_trace
    with tempfile.TemporaryDirectory(prefix="altledger-vector-trace-") as tmp:
        path = Path(tmp) / "run.trace.jsonl"
        started = time.perf_counter()
        record_trace(vector, path)
        result = validate_trace(path, spec_dir)
    return TraceVerdict(vector["id"], result.accepted, result.steps, result.summary(),
                        time.perf_counter() - started)


def validate_traces(vectors: list[dict[str, Any]], spec_dir: Path = TLA_DIR, workers: int = 2,
                    progress: Callable[[int, int, TraceVerdict], None] | None = None) -> list[TraceVerdict]:
    """Validate the traces of the run vectors, ``workers`` TLC processes at a time, in vector order."""
    runs = [v for v in vectors if v["kind"] == "run"]
    verdicts: dict[str, TraceVerdict] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(validate_vector_trace, v, spec_dir): v["id"] for v in runs}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            verdict = future.result()
            verdicts[verdict.id] = verdict
            if progress is not None:
                progress(done, len(runs), verdict)
    return [verdicts[v["id"]] for v in runs]

"""Persistent worker processes for batch mode: one :class:`~altledger.fast.twopc.batch.ShardGroup` each.

Each worker is forked once per run and owns a fixed contiguous block of
shards until the run ends.  The parent only routes: per round it sends each
worker the packed messages other workers addressed to its shards and
collects the worker's send counts and outgoing messages (``batch.drive``).
Messages between a worker's own shards never leave the worker.

Why fork: the input (lists of ``CrossAgentTx`` objects) is inherited by the
children without pickling, and every worker derives the compact form of the
transactions that touch its shards in parallel with the others.  A worker
that fails sends its traceback, and the parent raises it.
"""

from __future__ import annotations

import gc
import multiprocessing
import traceback
from typing import Any, Mapping

from altledger.fast.twopc.batch import BatchResult, NeedsPython, blocks, drive, group_class, merge
from altledger.reference.encoding import CrossAgentTx


def _serve(connection: Any, engine: str, args: tuple) -> None:
    """The worker's loop: build the group, then answer ``batch``/``round``/``finish`` commands."""
    gc.disable()                         # see batch.gc_paused
    try:
        group = group_class(engine)(*args)
        while True:
            command, payload = connection.recv()
            if command == "batch":
                reply = group.start_batch(payload)
            elif command == "round":
                reply = group.run_round(payload)
            elif command == "finish":
                connection.send(("ok", group.finish()))
                return
            else:
                raise ValueError(f"unknown command {command!r}")
            connection.send(("ok", reply))
    except EOFError:                     # the parent went away
        return
    except NeedsPython as reason:        # the parent reruns with the Python engine
        connection.send(("needs-python", str(reason)))
    except BaseException:                # report, do not hang the parent
        connection.send(("error", traceback.format_exc()))
    finally:
        connection.close()


class WorkerGroup:
    """The parent's handle on one worker process (``post`` a command, ``collect`` its reply)."""

    def __init__(self, context: Any, engine: str, args: tuple) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, engine, args), daemon=True)
        self.process.start()
        child.close()

    def post(self, command: str, payload: Any = None) -> None:
        self.connection.send((command, payload))

    def collect(self) -> Any:
        try:
            status, reply = self.connection.recv()
        except EOFError:
            raise RuntimeError(f"batch worker {self.process.pid} exited unexpectedly "
                               f"(exit code {self.process.exitcode})") from None
        if status == "needs-python":
            raise NeedsPython(reply)
        if status != "ok":
            raise RuntimeError(f"batch worker {self.process.pid} failed:\n{reply}")
        return reply

    def close(self) -> None:
        self.connection.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


def run_in_workers(shard_count: int, genesis: Mapping[bytes, int], batches: list[list[CrossAgentTx]],
                   workers: int, keep_history: bool = True, engine: str = "python") -> BatchResult:
    """Run the batches with ``workers`` worker processes (``workers = 1`` too: same code path)."""
    owned = blocks(shard_count, workers)
    owner = [g for g, block in enumerate(owned) for _ in block]
    if engine == "numba":
        from altledger.fast.twopc import kernel
        kernel.warm()                    # compiled once here; the forked workers inherit it
    context = multiprocessing.get_context("fork")
    members = []
    try:
        for block in owned:
            members.append(WorkerGroup(context, engine, (shard_count, block, owner, genesis, batches, keep_history)))
        round_counts = drive(members, range(len(batches)))
        for member in members:
            member.post("finish")
        finals = [member.collect() for member in members]
    finally:
        for member in members:
            member.close()
    return merge(shard_count, genesis, batches, finals, round_counts, workers)

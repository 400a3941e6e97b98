"""Batch workers that persist across runs and are not forked from the caller: ``BatchPool``.

``workers.run_in_workers`` forks its workers for each run, which is what lets
them inherit the input without pickling it; but after a fork every page of
both heaps is shared copy-on-write, so the first write to each page, in the
worker or in the caller, faults and copies it.  The benchmark's phase table
showed the cost: reading half of the input in each of two groups took as long
as reading all of it in one (2026-11-22, wire input: 55–60 ms in each against
58–61 ms; page faults in the read phase about 1,800 in one group and
3,500–4,000 in each of two), and starting the forked worker and making its
state cost another 15 ms before its first round.

A pool's workers are started once, each a fresh interpreter (``sys.executable
-c``, with its links passed as file descriptors: unlike ``multiprocessing``'s
*spawn*, this never re-runs the caller's main script).  A worker imports the
package and loads the compiled code at start-up (``pool.start_seconds``),
shares no page with the caller, and then serves run after run.  What a run
hands them instead of a forked heap:

* the input **in wire form** (``wire.EncodedBatch``), its bytes and offsets
  written to the caller's in-memory file of the run (``memfile``; one copy,
  a few milliseconds for the benchmark's 100,000 transfers) and mapped by
  each worker read-only (``EncodedBatch.checked_view``: checked once, when
  the caller's batch was made).  An input of objects is encoded first
  (``EncodedBatch.of``, which checks it);
* genesis as ``GenesisIndex`` arrays through the same file (indexed once, by
  the caller, as a forked run does);
* one small job message per worker, with the run's in-memory files passed as
  file descriptors (``multiprocessing.reduction``).

* which chunks of the input to read: tokens in a pipe shared by the groups
  (``ChunkTokens``; forked workers share a counter instead), with the
  chunks' bounds computed by the caller.

Everything else is the forked run's, shared with ``workers``: the round
schedule (``workers._run_group``), the exchanges over links made once for the
pool (every pair of groups, the caller running group 0), stowing a worker's
final state in its file, the merge, and how failures are reported and ranked.
A run leaves every link empty (each exchange and swap is received whole), so
the next run starts from clean links.  After a failed run that is no longer
known, so the pool stops its workers at once and starts new ones when it is
next used (``restarts`` counts that).

Only the Numba engine runs in a pool (the Python engine's groups read
objects); ``run_batches(…, pool=…)`` runs every other case the forked way,
with the same result.
"""

from __future__ import annotations

import gc
import os
import socket
import struct
import subprocess
import sys
import time
import weakref
from multiprocessing import reduction
from multiprocessing.connection import Connection
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np

from altledger.fast.twopc import wire
from altledger.fast.twopc.arraygroup import GenesisIndex, check_limits, index_genesis
from altledger.fast.twopc.batch import BatchResult, blocks, owners
from altledger.fast.twopc.ingest import chunk_bounds
from altledger.fast.twopc.workers import (Files, GroupAnswer, _failure, _memory_files, _run_group, _stow,
                                          await_answers, merge_answers, run_own_group)
from altledger.reference.encoding import CrossAgentTx

START_TIMEOUT_SECONDS = 300.0
"""How long a worker may take to start (a fresh interpreter, compiling on a cold Numba cache)."""


class Job(NamedTuple):
    """What a worker needs for one run besides its links (the run's files travel beside it)."""

    shard_count: int
    owned: range                        # the worker's block of shards
    owner: list[int]                    # every shard's group
    keep_history: bool
    batch_count: int
    genesis_where: Any                  # GenesisIndex's arrays in file 0 (``_publish_genesis``)
    genesis_total: int
    input_where: Any                    # each batch's buffer and offsets in file 0
    chunk_bounds: list[int]             # the input's chunks (``ChunkTokens``)
    run_started: float                  # when the caller started the run (``time.perf_counter``)


TOKEN = struct.Struct("=q")


class ChunkTokens:
    """Which chunk of the input a group reads next (``workers._ingest``), for a pool's groups: the
    caller writes every chunk number into a pipe they all read, then one "no chunk left" token per
    group.  A read of one token takes it whole (all are written before any group reads, and a pipe
    read of a few bytes is atomic), so each chunk goes to exactly one group; each group stops at
    its first "no chunk left", so the pipe is empty when every group has stopped."""

    def __init__(self, read_fd: int, bounds: list[int]) -> None:
        self.read_fd = read_fd
        self.chunk_bounds = bounds

    def bounds(self, input_size: int, groups: int) -> list[int]:
        if self.chunk_bounds[-1] != input_size:
            raise RuntimeError(f"the caller's chunks end at {self.chunk_bounds[-1]}, the input at {input_size}")
        return self.chunk_bounds

    def claim(self) -> int:
        token = os.read(self.read_fd, TOKEN.size)
        if len(token) != TOKEN.size:
            raise RuntimeError(f"read {len(token)} bytes of a chunk token")
        return TOKEN.unpack(token)[0]

    @staticmethod
    def fill(write_fd: int, chunks: int, groups: int) -> None:
        """Chunk numbers ``0 … chunks − 1``, then ``groups`` tokens ``chunks`` (none left)."""
        data = b"".join(TOKEN.pack(k) for k in [*range(chunks), *[chunks] * groups])
        if len(data) > 65536:                   # (a pipe holds 64 KiB: the caller would block)
            raise RuntimeError(f"{chunks} chunks are more than a pool's token pipe holds")
        written = os.write(write_fd, data)
        if written != len(data):
            raise RuntimeError(f"wrote {written} of {len(data)} bytes of chunk tokens")


def _send_fds(connection: Any, fds: Sequence[int]) -> None:
    """Pass ``fds`` to the process at the other end of ``connection`` (a Unix socket)."""
    with socket.socket(fileno=os.dup(connection.fileno())) as sock:
        reduction.sendfds(sock, list(fds))


def _receive_fds(connection: Any, count: int) -> list[int]:
    with socket.socket(fileno=os.dup(connection.fileno())) as sock:
        os.set_blocking(sock.fileno(), True)    # (the dup shares its file's flags with the link)
        return reduction.recvfds(sock, count)


def _publish_genesis(files: Files, prepared: GenesisIndex) -> Any:
    """Genesis as arrays in our file: ids joined with their ends, shards, amounts, the wire lookup."""
    ends = np.cumsum([len(agent) for agent in prepared.ids], dtype=np.int64)
    assert prepared.amounts is not None             # (check_limits refused None before)
    return files.publish([b"".join(prepared.ids), ends, prepared.shard, prepared.amounts, *prepared.lookup()])


def _read_genesis(files: Files, where: Any, total: int) -> GenesisIndex:
    """``_publish_genesis``'s arrays as the ``GenesisIndex`` the caller had."""
    joined, ends, shard, amounts, *lookup = files.read(0, where)
    data = joined.tobytes()
    starts = [0, *ends.tolist()]
    ids = [data[starts[a]:starts[a + 1]] for a in range(len(ends))]
    return GenesisIndex(ids, {agent: a for a, agent in enumerate(ids)}, shard, amounts, total, tuple(lookup))


def _run_job(job: Job, fds: list[int], peers: dict[int, Any], me: int, groups: int, tokens_fd: int) -> GroupAnswer:
    """A worker's part of one run: its group's round schedule over the mapped input, its final
    state stowed in its file (``workers._stow``)."""
    cpu_start = time.process_time()
    files = Files(fds, me)
    arrays = files.read(0, job.input_where)
    batches = [wire.EncodedBatch.checked_view(arrays[2 * b], arrays[2 * b + 1].copy())    # (writable offsets:
               for b in range(job.batch_count)]                     # the compiled reading's one signature)
    prepared = _read_genesis(files, job.genesis_where, job.genesis_total)
    args = (job.shard_count, job.owned, job.owner, {}, batches, job.keep_history, prepared)
    final, round_counts, clock = _run_group(me, groups, "numba", args, job.batch_count, peers, files,
                                            ChunkTokens(tokens_fd, job.chunk_bounds), job.run_started)
    with clock.timing("finish"):
        final = _stow(final, files)
    return GroupAnswer(final, round_counts, time.process_time() - cpu_start, clock.end())


def _warm() -> None:
    from altledger.fast.twopc import kernel
    kernel.warm()
    wire.warm()


def serve() -> None:
    """A pool worker's life (``python -c "…serve()" me groups parent tokens peer=fd …``): warm up,
    say ready, then serve jobs until told to stop (``None``) or until a run fails (its links may
    then hold half a message: the pool starts new workers)."""
    me, groups, parent_fd, tokens_fd = (int(value) for value in sys.argv[1:5])
    parent = Connection(parent_fd)
    peers = {int(g): Connection(int(fd)) for g, fd in (arg.split("=") for arg in sys.argv[5:])}
    gc.disable()                                 # see batch.gc_paused; collected between runs
    for connection in peers.values():
        os.set_blocking(connection.fileno(), False)
    try:
        _warm()
        parent.send(("ready", os.getpid()))
        while (job := parent.recv()) is not None:
            fds = _receive_fds(parent, groups)
            try:
                answer = _run_job(job, fds, peers, me, groups, tokens_fd)
            except BaseException as error:
                parent.send(_failure(error))
                return
            finally:
                for fd in fds:
                    os.close(fd)                 # (the mappings of our views keep what they need)
            parent.send(("ok", answer))
            parent.recv()                        # the caller has merged: free the run's memory now,
            del answer                           # not while it merges
            gc.collect()
            parent.send(("idle", None))
    except (EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        return                                   # the caller went away
    except BaseException as error:
        parent.send(_failure(error))
    finally:
        parent.close()
        for connection in peers.values():
            connection.close()


class _Worker:
    """A pool worker's process, as ``workers`` reports on processes (``pid``, ``exitcode``)."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.pid = process.pid

    @property
    def exitcode(self) -> int | None:
        return self.process.poll()

    def stop(self, wait_seconds: float) -> None:
        try:
            self.process.wait(wait_seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _link() -> tuple[Connection, Connection]:
    """A duplex link between two processes (a Unix socket pair, as ``multiprocessing.Pipe``)."""
    a, b = socket.socketpair()
    return Connection(a.detach()), Connection(b.detach())


class BatchPool:
    """``workers`` shard groups that serve batch runs: group 0 in this process, the others in
    persistent worker processes (module docstring).  Use it as a context manager, or ``close()``
    it; ``run_batches(…, pool=pool)`` runs with it.  One run at a time, from the process that made
    it."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"a batch pool needs at least 1 worker, got {workers}")
        self.workers = workers
        self.restarts = 0
        self.start_seconds = 0.0
        self.closed = False
        self._creator = os.getpid()
        self._processes: list[Any] = []
        self._parents: dict[int, Any] = {}          # group → our link to its worker
        self._own_peers: dict[int, Any] = {}        # group → group 0's link to it
        self._tokens: list[int] = []                 # the chunk tokens' pipe: read end, write end
        self._idle = True                           # no worker is still freeing a run
        self._healthy = False
        self._start()
        self._finalizer = weakref.finalize(self, _stop_if_ours, os.getpid(), self._processes, self._parents,
                                           self._own_peers, self._tokens)

    # -- life cycle -------------------------------------------------------------------------------

    def _start(self) -> None:
        started = time.perf_counter()
        _warm()
        read_fd, write_fd = os.pipe()
        self._tokens[:] = [read_fd, write_fd]
        links = {(a, b): _link() for a in range(self.workers) for b in range(a + 1, self.workers)}
        try:
            for g in range(1, self.workers):
                peers = {b if a == g else a: (end_a if a == g else end_b)
                         for (a, b), (end_a, end_b) in links.items() if g in (a, b)}
                parent_end, child_end = _link()
                fds = [child_end.fileno(), read_fd, *(connection.fileno() for connection in peers.values())]
                command = [sys.executable, "-c", "from altledger.fast.twopc.pool import serve; serve()",
                           str(g), str(self.workers), str(child_end.fileno()), str(read_fd),
                           *(f"{h}={connection.fileno()}" for h, connection in peers.items())]
                process = subprocess.Popen(command, pass_fds=fds, stdin=subprocess.DEVNULL)
                child_end.close()
                self._processes.append(_Worker(process))
                self._parents[g] = parent_end
            for (a, b), (end_a, end_b) in links.items():
                end_b.close()                               # the workers have their own copies
                if a == 0:
                    self._own_peers[b] = end_a
                else:
                    end_a.close()
            for g, connection in self._parents.items():
                if not connection.poll(START_TIMEOUT_SECONDS):
                    raise RuntimeError(f"batch pool worker {g} did not start within {START_TIMEOUT_SECONDS:.0f} s")
                try:
                    status, reply = connection.recv()
                except EOFError:
                    status, reply = "error", f"it exited (exit code {self._processes[g - 1].exitcode})"
                if status != "ready":
                    raise RuntimeError(f"batch pool worker {g} failed to start:\n{reply}")
        except BaseException:
            _stop(self._processes, self._parents, self._own_peers, self._tokens)
            raise
        self._healthy = True
        self._idle = True
        self._warm_run()
        self.start_seconds = time.perf_counter() - started

    def _warm_run(self) -> None:
        """One small run through every group, so that code compiled or loaded on first use (Numba's
        cache, NumPy's first calls) is loaded at start-up rather than in the caller's first run."""
        from altledger.fast.twopc.workload import TransferWorkload, make_workload
        genesis, batches = make_workload(0, TransferWorkload(transfers=64, shards=self.workers, agents=16, batch=16))
        self.run(self.workers, genesis, batches)
        self.settle()

    def _restart(self) -> None:
        _stop(self._processes, self._parents, self._own_peers, self._tokens)
        self.restarts += 1
        self._start()

    def settle(self) -> None:
        """Wait until every worker has freed its last run's memory (runs do not wait for that;
        benchmarks call this between timed runs so each starts on idle cores)."""
        if not self._idle:
            for connection in self._parents.values():
                status, _ = connection.recv()
                if status != "idle":
                    raise RuntimeError(f"a batch pool worker answered {status!r} instead of becoming idle")
            self._idle = True

    def close(self) -> None:
        """Stop the workers (idempotent)."""
        self.closed = True
        self._finalizer()

    def __enter__(self) -> BatchPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"pids {[p.pid for p in self._processes]}"
        return f"BatchPool({self.workers} workers, {state}, {self.restarts} restarts)"

    # -- a run ------------------------------------------------------------------------------------

    def run(self, shard_count: int, genesis: Mapping[bytes, int], batches: Sequence[Sequence[CrossAgentTx]],
            keep_history: bool = True) -> BatchResult:
        """Run ``batches`` with the Numba engine, as ``run_batches(…, workers=self.workers,
        engine="numba")`` does; raises ``NeedsPython`` for values beyond the kernel (the caller
        reruns: ``run_batches``)."""
        if self.closed:
            raise RuntimeError("this batch pool is closed")
        if os.getpid() != self._creator:
            raise RuntimeError("a batch pool runs only in the process that made it (its links are that process's)")
        if not wire.is_wire(batches):
            batches = [batch if type(batch) is wire.EncodedBatch else wire.EncodedBatch.of(batch)
                       for batch in batches]
        if not self._healthy or any(process.exitcode is not None for process in self._processes):
            self._restart()                     # after a failed run, or a worker that died since
        self.settle()
        run_started = time.perf_counter()
        owned = blocks(shard_count, self.workers)
        owner = owners(owned)
        prepared = index_genesis(genesis, shard_count)
        check_limits(prepared, shard_count, len(batches))
        prepared.lookup()
        args = (shard_count, owned[0], owner, genesis, batches, keep_history, prepared)
        files = _memory_files(self.workers) if self.workers > 1 else []
        if self.workers > 1 and not files:
            raise RuntimeError("a batch pool needs in-memory files (memfd_create), which this system lacks")
        self._healthy = False                   # until every group has answered well
        try:
            own = Files(files, 0) if files else None
            tokens = None
            if own is not None:
                genesis_where = _publish_genesis(own, prepared)
                input_where = own.publish([array for batch in batches for array in (batch.buffer, batch.offsets)])
                bounds = chunk_bounds(sum(len(batch) for batch in batches), self.workers)
                ChunkTokens.fill(self._tokens[1], len(bounds) - 1, self.workers)
                tokens = ChunkTokens(self._tokens[0], bounds)
                for g, connection in self._parents.items():
                    connection.send(Job(shard_count, owned[g], owner, keep_history, len(batches), genesis_where,
                                        prepared.total, input_where, bounds, run_started))
                    _send_fds(connection, files)
            replies = {0: run_own_group(self._own_peers, own, self.workers, "numba", args, len(batches),
                                        tokens, run_started)}
            await_answers(self._parents, self._processes, replies)
            result = merge_answers(shard_count, genesis, batches, replies, self._processes, files, run_started)
            for connection in self._parents.values():
                connection.send("merged")
            self._idle = not self._parents
            self._healthy = True
            return result
        finally:
            for fd in files:
                os.close(fd)
            if not self._healthy:                   # stopped now, so that no worker waits for a peer
                _stop(self._processes, self._parents, self._own_peers, self._tokens)    # that is gone; new ones
                #                                    are started when the pool is next used


def _stop_if_ours(creator: int, *state: Any) -> None:
    """``_stop``, unless this is a process forked from the pool's creator: the workers are the
    creator's, and a forked child that exits must not stop them."""
    if os.getpid() == creator:
        _stop(*state)


def _stop(processes: list[_Worker], parents: dict[int, Any], own_peers: dict[int, Any], tokens: list[int]) -> None:
    """Tell the workers to stop, close every link, and wait for them (killing any that hangs)."""
    for connection in parents.values():
        try:
            connection.send(None)
        except (OSError, ValueError):
            pass
    for connection in [*parents.values(), *own_peers.values()]:
        connection.close()
    for process in processes:
        process.stop(5.0)
    for fd in tokens:
        os.close(fd)
    processes.clear()
    parents.clear()
    own_peers.clear()
    tokens.clear()

"""Batch mode's shard groups side by side: this process runs group 0, forked workers the others.

(``pool.BatchPool`` runs the same groups in workers started once and kept, not forked per run;
it shares this module's round schedule, exchanges, stowing and failure reports.)

Each group (``batch.ShardGroup`` or ``arraygroup.ArrayShardGroup``) owns a
fixed contiguous block of shards for the whole run.  The calling process runs
group 0 itself; each other group runs in a worker process forked for the run.
Every group runs the round schedule itself (§13.3): after each round it sends
every other group its shards' send counts and the packed messages addressed to
that group's shards, and receives theirs.  All groups thus see the same global
counts, so each knows when a batch ends (a round in which no shard sent
anything) without asking anyone; messages between a group's own shards never
leave it.  Each round costs one exchange between the groups, and nothing else
crosses processes until the workers send their final states.  When every
message of a round was an ACK or an ABORT, whose handlers send nothing, every
group knows that the next round ends the batch and skips its exchange
(checked: a group whose round sent anything after all refuses the run).

Why this process runs a group rather than only waiting: a forked worker pays
for being one — the fork, a private copy of every page whose objects it reads
(reading changes reference counts), fresh pages for what it builds, and
sending its final state back.  Measured on the benchmark's 100,000 transfers
(2026-11-22): one forked worker 0.50 s, the same group in this process 0.36 s.
With one group nothing is forked; with two, one worker is.  Note that while a
worker lives, this process's pages are shared with it too, so this process
pays the page copies for what it reads as well (copy-on-write is symmetric).

Why fork at all: the input (lists of ``CrossAgentTx`` objects) is inherited by
the workers without pickling.  With the numba engine, each group reads chunks
of the input claimed from a shared counter (``_ingest``; the per-leg Python
work is split between the processes) and cuts what it read into one part per
group; parts travel through the groups' in-memory files (``Files``,
``memfile``), so each group gets what its shards need of the whole input.
Links between groups send both ways at once (``_duplex``): one hop per round,
raw int64s rather than pickles, polled for a moment before sleeping when every
group has a core.  A worker's message history, outcomes and logs, nearly all
of its final state's bytes, reach this process through its in-memory file too
(``_stow``).  A group that fails closes its links, so its peers stop too; a
worker reports its traceback to this process, which raises the root cause
(``_raise_root_cause``).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import select
import struct
import time
import traceback
from array import array
from multiprocessing.connection import wait
from typing import Any, Callable, Mapping, NamedTuple, Sequence

import numpy as np

from altledger.fast.twopc import memfile, wire
from altledger.fast.twopc.batch import (BatchResult, GroupFinal, NeedsPython, NotATransaction, blocks, group_class,
                                        merge, owners)
from altledger.fast.twopc.ingest import Part, chunk_bounds
from altledger.fast.twopc.phases import GroupPhases, PhaseClock
from altledger.reference.encoding import CrossAgentTx

PEER_STOPPED = "a peer worker stopped (see the other worker's report)"


SPIN_SECONDS = 0.0005
"""How long ``_duplex`` polls before sleeping in ``select`` (see there)."""


def _duplex(connection: Any, data: bytes, spin: float = 0.0) -> memoryview:
    """Send ``data`` to the other end of ``connection`` and receive what it sends, at the same time.

    Both ends send at once (length-prefixed), writing without blocking and reading whatever has
    arrived, until both directions are done; so neither waits for the other's send, whatever the
    sizes (no deadlock even when neither message fits the socket's buffer), and each round costs
    one hop instead of two.  End-of-file before the whole message arrived: ``EOFError``.

    ``spin``: for up to that many seconds, keep polling instead of sleeping in ``select``.  A peer
    usually answers within tens of microseconds, and waking a sleeping process costs about as much
    again, once per round; polling is only worth it when every worker has a core of its own
    (``schedule`` decides).  Returns the message (writable, without its length prefix).
    """
    fd = connection.fileno()
    outgoing = memoryview(struct.pack("!Q", len(data)) + data)
    sent = 0
    incoming = bytearray()
    wanted = 8                                  # the length prefix, then the message: never read past it
    deadline = None
    while True:
        moved = False
        if sent < len(outgoing):
            try:
                written = os.write(fd, outgoing[sent:])
                sent += written
                moved = written > 0
            except BlockingIOError:
                pass
        if len(incoming) < wanted:
            try:
                chunk = os.read(fd, wanted - len(incoming))
            except BlockingIOError:
                chunk = None
            if chunk is not None:
                if not chunk:
                    raise EOFError("the peer worker closed its link")
                incoming += chunk
                moved = True
                if wanted == 8 and len(incoming) == 8:
                    wanted += struct.unpack("!Q", incoming)[0]
        if sent == len(outgoing) and len(incoming) == wanted:
            return memoryview(incoming)[8:]
        if moved or not spin:
            deadline = None
        elif deadline is None:
            deadline = time.perf_counter() + spin
        if not moved and (deadline is None or time.perf_counter() > deadline):
            select.select([fd] if len(incoming) < wanted else [], [fd] if sent < len(outgoing) else [], [])


def _swap(peers: dict[int, Any], me: int, outgoing: Callable[[int], Any]) -> dict[int, Any]:
    """Send every peer ``g`` the value ``outgoing(g)``, receive each peer's value for us.

    Pair by pair in ascending peer order, both ends of a pair sending at once (``_duplex``).  Every
    worker walks its pairs in ascending (lower, higher) order, one global order, so the first pair
    not yet done always has both its workers at it: no deadlock, and no thread is needed.
    """
    received = {}
    for g in sorted(peers):
        data = pickle.dumps(outgoing(g), protocol=pickle.HIGHEST_PROTOCOL)
        received[g] = pickle.loads(_duplex(peers[g], data))
    return received


def _exchange(peers: dict[int, Any], me: int, sizes: Sequence[int], report: Any, spin: float = 0.0) -> tuple[
        dict[int, list[int]], list[memoryview | None], bool]:
    """Send every peer our round's send counts and the messages for its shards, receive theirs;
    also whether every group's round was quiet (``RoundReport.quiet``).

    Pair by pair as in ``_swap``, but raw, without pickling (once per round): a quiet flag and our
    ``sizes[me]`` counts as int64, then the packed message rows (``batch.pack``'s layout); a peer
    ``g``'s header is its first ``1 + sizes[g]`` int64s.
    """
    head = array("q", [int(report.quiet), *report.counts]).tobytes()
    all_counts = {me: report.counts}
    quiet = report.quiet
    incoming: list[memoryview | None] = [None] * len(sizes)
    for g in sorted(peers):
        rows = report.remote[g]
        data = head if rows is None else head + (rows.tobytes() if isinstance(rows, np.ndarray) else rows)
        received = _duplex(peers[g], data, spin)
        split = 8 * (1 + sizes[g])
        header = array("q")
        header.frombytes(received[:split])
        quiet = quiet and header[0] == 1
        all_counts[g], incoming[g] = header.tolist()[1:], received[split:]
    return all_counts, incoming, quiet


class ChunkCounter:
    """Which chunk of the input a group reads next (``_ingest``), shared by the forked workers of a
    run: a counter in shared memory.  (A batch pool's workers share ``pool.ChunkTokens`` instead,
    which has the same two methods.)"""

    def __init__(self, context: Any) -> None:
        self.next = context.Value("q", 0)

    def bounds(self, input_size: int, groups: int) -> list[int]:
        """The chunks (``chunk_bounds``; computed alike in every forked worker)."""
        return chunk_bounds(input_size, groups)

    def claim(self) -> int:
        """The next unclaimed chunk number; past the last chunk once all are claimed."""
        with self.next.get_lock():
            chunk = self.next.value
            self.next.value = chunk + 1
        return chunk


def _ingest(group: Any, me: int, groups: int, peers: dict[int, Any], counter: Any, files: Files | None,
            clock: PhaseClock) -> None:
    """Turn the input into the group's arrays before the first batch.

    A group that can read a share (``ArrayShardGroup.ingest_share``) reads chunks of consecutive
    input positions (``counter.bounds``), claiming the next unread chunk from ``counter`` until none
    is left, and cuts each into one part per group; the workers then swap parts, and each takes,
    in input order (chunk order), what its shards need of every chunk (``ingest``).  Claiming
    chunks instead of taking a fixed half balances the reading between workers that start at
    different times (they are forked one after the other) or read at different speeds (page
    copies after fork).  Which worker reads a chunk changes nothing in the result.  The parts'
    arrays travel through the in-memory files when there are some (``Files``), else pickled
    through the links.  A group with no peers reads the whole input itself (``read_input``).  (A
    group without ``ingest_share`` takes each batch in ``start_batch``.)  ``clock`` times reading,
    swapping and taking (``phases``).
    """
    if not hasattr(group, "ingest_share"):
        return
    if not peers:
        with clock.timing("read"):
            parts = group.read_input()
        with clock.timing("take"):
            group.ingest(parts)
        return
    bounds = counter.bounds(group.input_size, groups)
    read: list[tuple[int, Any]] = []
    with clock.timing("read"):
        while (chunk := counter.claim()) < len(bounds) - 1:
            read.append((chunk, group.ingest_share(bounds[chunk], bounds[chunk + 1])))
    with clock.timing("swap"):
        parts = _swap_parts(peers, me, read, files)
    with clock.timing("take"):
        group.ingest(parts)


def _swap_parts(peers: dict[int, Any], me: int, read: list[tuple[int, Any]],
                files: Files | None) -> list[tuple[list[bytes], Part]]:
    """Give each peer its parts of the shares we read and receive ours of theirs: our part of every
    share, in chunk order, with the share's fresh agents (``_ingest``)."""
    if files is None:
        received = _swap(peers, me, lambda g: [(chunk, share.fresh, share.parts[g]) for chunk, share in read])
    else:                            # the arrays into our file, once for all peers; the links carry where
        names = list(Part.__dataclass_fields__)
        where = {g: files.publish([getattr(share.parts[g], name) for _, share in read for name in names])
                 for g in peers}
        placed = _swap(peers, me, lambda g: ([(chunk, share.fresh) for chunk, share in read], where[g]))
        received = {}
        for g, (chunks, their_where) in placed.items():
            arrays = iter(files.read(g, their_where))
            received[g] = [(chunk, fresh, Part(**{name: next(arrays) for name in names})) for chunk, fresh in chunks]
    received[me] = [(chunk, share.fresh, share.parts[me]) for chunk, share in read]
    parts = sorted((item for items in received.values() for item in items), key=lambda item: item[0])
    if [chunk for chunk, _, _ in parts] != list(range(len(parts))):
        raise RuntimeError(f"the workers read chunks {[chunk for chunk, _, _ in parts]}, not each chunk once")
    return [(fresh, part) for _, fresh, part in parts]


def _spin_seconds(groups: int) -> float:
    """``SPIN_SECONDS`` when every group's process can have a core, else 0: a process that polls on a
    shared core would take time from the peer it is waiting for."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return SPIN_SECONDS if groups <= cores else 0.0


def schedule(group: Any, me: int, groups: int, peers: dict[int, Any], batch_count: int,
             counter: Any, files: Files | None, clock: PhaseClock) -> list[list[list[int]]]:
    """A worker's round schedule over all batches (the parallel form of ``batch.drive``).  Rounds are
    timed with bare clock reads (``clock`` collects ``compute`` and ``exchange``): a run has hundreds."""
    _ingest(group, me, groups, peers, counter, files, clock)
    sizes = [len(block) for block in blocks(len(group.owner), groups)]
    spin = _spin_seconds(groups)
    round_counts: list[list[list[int]]] = []
    now = time.perf_counter
    compute = exchange = 0.0
    for b in range(batch_count):
        began = now()
        report = group.start_batch(b)
        ended = now()
        compute += ended - began
        rounds = []
        while True:
            all_counts, incoming, quiet = _exchange(peers, me, sizes, report, spin)
            began = now()
            exchange += began - ended
            counts = [n for g in range(groups) for n in all_counts[g]]      # blocks are in shard order
            rounds.append(counts)
            if not any(counts):
                break
            report = group.run_round(incoming)
            ended = now()
            compute += ended - began
            if quiet:            # it took only ACKs and ABORTs, so it sent nothing anywhere: the batch
                if any(report.counts):      # is over, and no exchange is needed to learn that
                    raise RuntimeError("a round that took only ACK and ABORT messages sent messages")
                rounds.append([0] * len(counts))
                break
        rounds.pop()                                                          # the empty last round
        round_counts.append(rounds)
    clock.phases.compute += compute
    clock.phases.exchange += exchange
    return round_counts


class Files:
    """The run's in-memory files (one per worker, ``memfile``) as one worker sees them: it appends to
    its own, and reads its peers'.  ``None`` stands for no files (everything goes through pipes)."""

    def __init__(self, fds: Sequence[int], me: int) -> None:
        self.fds = list(fds)
        self.me = me
        self.end = 0                                   # where our next append starts

    def publish(self, arrays: Sequence[Any]) -> tuple[list[memfile.Layout], int]:
        layouts, self.end = memfile.append_arrays(self.fds[self.me], self.end, arrays)
        return layouts, self.end

    def read(self, g: int, where: tuple[list[memfile.Layout], int]) -> list[np.ndarray]:
        return memfile.view_arrays(self.fds[g], *where)


def _stow(final: GroupFinal, files: Files) -> GroupFinal:
    """Append the final state's bulk (message history, outcomes, logs, stores given as arrays) to our
    in-memory file, leaving where it is in ``sent``; ``_unstow`` reads it back.  The rest (buffers,
    coordinator tables, a store given as a dict) is pickled."""
    arrays = [final.sent, final.committed, final.unfinished, *final.first_no]
    for state in final.shards.values():
        arrays.append(state["log"])
        state["log"] = None
        if isinstance(state["store"], tuple):
            arrays += state["store"]
            state["store"] = None                              # in the file
    final.sent = files.publish(arrays)
    final.committed = final.unfinished = final.first_no = None         # type: ignore[assignment]
    return final


def _unstow(final: GroupFinal, fd: int) -> GroupFinal:
    """The final state as the worker had it before ``_stow``, its arrays as read-only views of the
    file (no copy; the mapping lives as long as they are referred to)."""
    arrays = iter(memfile.view_arrays(fd, *final.sent))
    final.sent, final.committed, final.unfinished = next(arrays), next(arrays), next(arrays)
    final.first_no = (next(arrays), next(arrays))
    for state in final.shards.values():
        state["log"] = next(arrays)
        if state["store"] is None:
            state["store"] = (next(arrays), next(arrays), next(arrays))
    return final


def _run_group(me: int, groups: int, engine: str, args: tuple, batch_count: int, peers: dict[int, Any],
               files: Files | None, counter: Any,
               run_started: float) -> tuple[GroupFinal, list[list[list[int]]], PhaseClock]:
    """Group ``me``'s whole run, in whichever process runs it (the parent runs group 0 itself):
    the round schedule over all batches, then its final state; with the clock of its phases
    (``run_started``: when the calling process started the run, ``time.perf_counter``)."""
    clock = PhaseClock(run_started)
    with clock.timing("init"):
        group = group_class(engine)(*args)
    round_counts = schedule(group, me, groups, peers, batch_count, counter, files, clock)
    with clock.timing("finish"):
        final = group.finish()
    return final, round_counts, clock


class GroupAnswer(NamedTuple):
    """What a group answers when its run went well (``("ok", answer)``; failures: ``_failure``)."""

    final: GroupFinal                          # its final state (a worker's bulk stowed: ``_stow``)
    round_counts: list[list[list[int]]]        # messages each shard sent per batch and round (alike in all)
    cpu_seconds: float                         # CPU time of the group's run
    phases: GroupPhases                        # where its time went


def _serve(parent: Any, peers: dict[int, Any], others: list[Any], me: int, groups: int, engine: str,
           args: tuple, batch_count: int, fds: Sequence[int], counter: Any, run_started: float) -> None:
    """A forked worker's life: run group ``me`` (``_run_group``), answer the parent, wait to exit."""
    gc.disable()                         # see batch.gc_paused
    for connection in others:            # link ends inherited by fork that belong to other workers:
        connection.close()               # closed, so a peer that dies is seen as end-of-file
    for connection in peers.values():    # _duplex writes what fits and reads what has arrived
        os.set_blocking(connection.fileno(), False)
    try:
        files = Files(fds, me) if fds else None
        final, round_counts, clock = _run_group(me, groups, engine, args, batch_count, peers, files, counter,
                                                run_started)
        if files is not None:
            with clock.timing("finish"):
                final = _stow(final, files)
        parent.send(("ok", GroupAnswer(final, round_counts, time.process_time(), clock.end())))
        parent.poll(None)                # exit only once the parent has merged the answers (it then
        #                                  closes the link): exiting unmaps all our memory, CPU work
        #                                  that would otherwise compete with the parent's merge
    except BaseException as error:       # report, do not hang the parent
        parent.send(_failure(error))
    finally:
        parent.close()
        for connection in peers.values():
            connection.close()


def _failure(error: BaseException) -> tuple[str, str]:
    """How a group's failure is reported (``_serve``) and ranked (``_raise_root_cause``)."""
    if isinstance(error, NeedsPython):               # the caller reruns with the Python engine
        return "needs-python", str(error)
    if isinstance(error, NotATransaction):           # raised as the caller's error
        return "not-a-transaction", str(error)
    if isinstance(error, (EOFError, BrokenPipeError, ConnectionResetError)):
        return "error", PEER_STOPPED
    return "error", "".join(traceback.format_exception(error))


def _memory_files(count: int) -> list[int]:
    """One in-memory file per worker (``Files``: the ingest's parts, the final state's bulk); none
    (the links and pipes carry everything) where the OS has no ``memfd_create``."""
    files: list[int] = []
    try:
        for g in range(count):
            files.append(os.memfd_create(f"altledger-batch-{g}"))
    except (AttributeError, OSError):
        for fd in files:
            os.close(fd)
        return []
    return files


_EXITING: list[Any] = []
"""Workers of earlier runs that had answered and were exiting when their run returned."""

# A process forked from ours does not inherit our workers: it cannot wait for them (``multiprocessing``
# refuses to test another process's child), and a run of its own would otherwise fail on them.
os.register_at_fork(after_in_child=_EXITING.clear)


def _reap(processes: Sequence[Any], wait_seconds: float) -> None:
    """Join ``processes``; any still alive after ``wait_seconds`` is terminated."""
    for process in processes:
        if process.is_alive():
            process.join(timeout=wait_seconds)
        if process.is_alive():
            process.terminate()
            process.join()


def settle(wait_seconds: float = 5.0) -> None:
    """Wait until the workers of earlier runs have exited (``run_in_workers`` returns before they
    have).  Benchmarks call it between timed runs, so that each run starts on idle cores."""
    _reap(_EXITING, wait_seconds)
    _EXITING.clear()


def run_in_workers(shard_count: int, genesis: Mapping[bytes, int], batches: list[list[CrossAgentTx]],
                   workers: int, keep_history: bool = True, engine: str = "python") -> BatchResult:
    """Run the batches with ``workers`` shard groups side by side: this process runs group 0 itself,
    and ``workers − 1`` forked worker processes run the others (``workers = 1``: no fork at all).

    Why this process takes a group instead of only waiting for the workers: see the module
    docstring (with one group nothing is forked, and a forked worker's costs are not paid).

    The workers exit once the answers are merged (the parent closes their links), not while it
    merges, and the run returns without waiting for them to exit (a forked worker takes
    milliseconds to give its memory back, and nothing waits on that); a later run
    reaps those that have exited meanwhile, and ``multiprocessing`` joins the rest when the
    interpreter exits.  A run that fails joins its workers before raising.
    """
    run_started = time.perf_counter()
    _EXITING[:] = [process for process in _EXITING if process.is_alive()]     # is_alive reaps the exited
    owned = blocks(shard_count, workers)
    owner = owners(owned)
    group_class(engine)                  # imported here, once, not in every worker
    shared: tuple = ()
    if engine == "numba":
        from altledger.fast.twopc import kernel
        from altledger.fast.twopc.arraygroup import index_genesis
        kernel.warm()                    # compiled once here; the forked workers inherit it
        shared = (index_genesis(genesis, shard_count),)      # likewise: genesis indexed once, shared
        if wire.is_wire(batches):
            wire.warm()
            shared[0].lookup()           # and its table for reading agent ids off the wire

    def arguments(block: range) -> tuple:
        return shard_count, block, owner, genesis, batches, keep_history, *shared

    context = multiprocessing.get_context("fork")
    files = _memory_files(workers) if workers > 1 else []
    counter = ChunkCounter(context) if workers > 1 else None      # the next input chunk to read (_ingest)
    links = {(a, b): context.Pipe() for a in range(workers) for b in range(a + 1, workers)}
    own_peers = {b: links[0, b][0] for b in range(1, workers)}        # group 0's link ends: ours
    processes, parents = [], []          # the workers (groups 1, 2, …) and our links to them
    answered = False
    try:
        for g in range(1, workers):
            peers, others = {}, list(parents)
            for (a, b), (end_a, end_b) in links.items():
                if a == g:
                    peers[b] = end_a
                    others.append(end_b)
                elif b == g:
                    peers[a] = end_b
                    others.append(end_a)
                else:
                    others += [end_a, end_b]
            parent_end, child_end = context.Pipe()
            process = context.Process(target=_serve, daemon=True, args=(
                child_end, peers, others + [parent_end], g, workers, engine, arguments(owned[g]), len(batches),
                files, counter, run_started))
            process.start()
            child_end.close()
            processes.append(process)
            parents.append(parent_end)
        for (a, _), (end_a, end_b) in links.items():   # the workers hold their own copies
            end_b.close()
            if a != 0:
                end_a.close()
        own_files = Files(files, 0) if files else None
        replies = {0: run_own_group(own_peers, own_files, workers, engine, arguments(owned[0]), len(batches),
                                    counter, run_started)}
        await_answers(dict(enumerate(parents, start=1)), processes, replies)
        result = merge_answers(shard_count, genesis, batches, replies, processes, files, run_started)
        answered = True
    finally:
        for connection in [*parents, *own_peers.values()]:    # the workers that answered wait for this
            connection.close()
        for fd in files:
            os.close(fd)
        if answered:                     # they only have to exit (see the docstring)
            _EXITING.extend(processes)
        else:
            _reap(processes, 0.5 if len(processes) > 1 else 5.0)
    return result


def run_own_group(own_peers: dict[int, Any], own_files: Files | None, workers: int, engine: str, args: tuple,
                  batch_count: int, counter: Any, run_started: float) -> tuple[str, Any]:
    """Run group 0 in this process (``_run_group``); its reply, as a worker's would be.  When it fails
    because of the input, the engine's limits or a peer that stopped, the reply says so and our
    links are closed, so our peers stop too and answer; any other failure propagates with its
    traceback (the caller then stops the workers)."""
    cpu_start = time.process_time()
    try:
        for connection in own_peers.values():
            os.set_blocking(connection.fileno(), False)
        final, round_counts, clock = _run_group(0, workers, engine, args, batch_count, own_peers, own_files,
                                                counter, run_started)
        return "ok", GroupAnswer(final, round_counts, time.process_time() - cpu_start, clock.end())
    except (NeedsPython, NotATransaction, EOFError, BrokenPipeError, ConnectionResetError) as error:
        for connection in own_peers.values():
            connection.close()
        return _failure(error)               # ranked with the workers' answers (``_raise_root_cause``)


def await_answers(pending: dict[int, Any], processes: Sequence[Any], replies: dict[int, tuple[str, Any]]) -> None:
    """Receive every worker's answer (``pending``: group → our link to its worker) into ``replies``,
    then raise the run's root cause if any group failed.  Every worker answers (a failure closes
    its links, so its peers stop and answer too); the root cause is looked for among all answers,
    not taken from whichever arrives first."""
    pending = dict(pending)
    while pending:
        for connection in wait(list(pending.values())):
            g = next(k for k, c in pending.items() if c is connection)
            try:
                replies[g] = connection.recv()
            except EOFError:
                replies[g] = ("error", f"exited unexpectedly (exit code {processes[g - 1].exitcode})")
            del pending[g]
    _raise_root_cause(replies, processes)


def merge_answers(shard_count: int, genesis: Mapping[bytes, int], batches: Sequence[Any],
                  replies: Mapping[int, tuple[str, Any]], processes: Sequence[Any], files: Sequence[int],
                  run_started: float) -> BatchResult:
    """The run's result from every group's answer (the workers' bulk read from their files)."""
    workers = len(replies)
    answers: list[GroupAnswer] = [replies[g][1] for g in range(workers)]
    finals = [answers[0].final] + [_unstow(answer.final, files[g]) if files else answer.final
                                   for g, answer in enumerate(answers) if g > 0]
    result = merge(shard_count, genesis, batches, finals, answers[0].round_counts, workers)
    result.worker_cpu = [answer.cpu_seconds for answer in answers]
    result.phases = [answer.phases for answer in answers]
    result.merged_at = time.perf_counter() - run_started
    return result


def _raise_root_cause(replies: Mapping[int, tuple[str, Any]], processes: Sequence[Any]) -> None:
    """Raise the run's failure, if any group failed: input that is not a transaction first (the
    caller's error), then values beyond the compiled engine (``NeedsPython``: rerun in Python), then
    the lowest group's own failure — not a peer's stopping because of it."""
    failures = {g: reply for g, (status, reply) in replies.items() if status != "ok"}
    for g, (status, reply) in sorted(replies.items()):
        if status == "not-a-transaction":
            raise NotATransaction(reply)
    for g, (status, reply) in replies.items():
        if status == "needs-python":
            raise NeedsPython(reply)
    causes = {g: r for g, r in failures.items() if r != PEER_STOPPED} or failures
    if causes:
        g, reply = min(causes.items())
        who = "this process (group 0)" if g == 0 else f"batch worker {processes[g - 1].pid}"
        raise RuntimeError(f"{who} failed:\n{reply}")

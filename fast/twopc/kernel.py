"""Numba kernels: the rules of spec/two_phase_commit.md §7-§8 on integer arrays, for batch mode.

:class:`~altledger.fast.twopc.shard.FastShard` is the fast implementation's
rule book, one Python method per clause; the stateful cross-check compares it
with the reference after every operation.  Batch mode (§13.3) spends almost
all its time in those methods, so it can instead run them here, compiled:
the same clauses, in the same order, each commented with the method it
mirrors, on the array state of :class:`~altledger.fast.twopc.arraygroup.ArrayShardGroup`.
Only what the fault-free round schedule uses is here — submission (§8.1),
Prepare (§7.1), votes (§8.2, §8.3), decisions (§7.2, §7.3) and Ack (§8.6);
no timeout, query, crash or flush is ever an input of the schedule.  The batch
tests compare the results of both engines with the reference's.

State (arrays; ``t`` = a transaction's input position, ``j`` = index of a
shard among t's participants, a *slot* = one (t, our shard) pair):

====================  ============================================================
``coord_of[t]``       coordinator(t) (§3.4)
``nparts, part_first`` participants(t), ascending (§3.3), for the t we coordinate:
``parts``             ``parts[part_first[t] + j]`` for j < ``nparts[t]``
``phase, mask``       coord[c][t] (§4.2): 0 idle, 1 collecting, 2 committing;
                      ``mask`` bit j = participant j in ``yes`` / ``acks``
``slot_first/count``  the slots of t; ``slot_shard``, ``rm`` (rmState, §4.3, the
                      codes of ``codes``), ``leg_first/count`` per slot
``leg_*``             the legs of a slot, canonical order: agent, debit, amount, nonce
``bal, nonce, lock``  the store (§4.1) and lock(a) (§4.3, -1 = none) per agent
``log``               (shard, record code) rows, appended in order (§4.1)
``end_*, buf_*``      each shard's buffer (§5.3) as a linked list of EndRecords

``first_no[t]``        the first NO vote cast for t in this group, as one ordered
                      integer ``codes.no_key(batch, round, shard, reason)`` (INT64_MAX: none)
====================  ============================================================

``counters``: [0] log rows, [1] end records, [2] out rows, [3] error (0 ok;
1 an int64 balance would overflow — the caller reruns with the Python engine;
2 a capacity or protocol assumption was broken).

After the steps of a round, ``route`` puts what was sent in the order the
sequential schedule numbers it (by sender, then send order: §13.3) and splits
it by the worker that owns each recipient — one compiled call where NumPy
would take a dozen, since a run has hundreds of rounds.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# the codes of records, messages, states and vote reasons: one definition (codes), which Numba
# reads as compile-time constants
from altledger.fast.twopc.codes import (ABORTED, ABORTED_LOCALLY, BAD_NONCE, COLLECTING, COMMITTED, COMMITTING,
                                        INSUFFICIENT_BALANCE, LOCKED, MSG_ABORT, MSG_ACK, MSG_COMMIT, MSG_PREPARE,
                                        MSG_VOTE, NONE, PREPARED, REASON_BITS, REC_ABORT, REC_COMMIT, REC_DECISION,
                                        REC_END, REC_PREPARED)

LOG_ROWS, END_ROWS, OUT_ROWS, ERROR = 0, 1, 2, 3
OVERFLOW, BROKEN = 1, 2
INT64_MAX = np.iinfo(np.int64).max


@njit(cache=True)
def _slot(t, shard, slot_first, slot_count, slot_shard):
    """The slot of (t, shard), or -1."""
    first = slot_first[t]
    for k in range(first, first + slot_count[t]):
        if slot_shard[k] == shard:
            return k
    return -1


@njit(cache=True)
def _part_index(t, shard, nparts, part_first, parts):
    for j in range(nparts[t]):
        if parts[part_first[t] + j] == shard:
            return j
    return -1


@njit(cache=True)
def _append_log(shard, code, log, counters):
    n = counters[LOG_ROWS]
    if n >= log.shape[0]:
        counters[ERROR] = BROKEN
        return
    log[n, 0] = shard
    log[n, 1] = code
    counters[LOG_ROWS] = n + 1


@njit(cache=True)
def _force(shard, local, code, log, counters, buf_head, buf_tail, end_code, end_next):
    """FastShard.force (§5.2): the shard's buffer, then the record, reach the log."""
    k = buf_head[local]
    while k >= 0:
        _append_log(shard, end_code[k], log, counters)
        k = end_next[k]
    buf_head[local] = -1
    buf_tail[local] = -1
    _append_log(shard, code, log, counters)


@njit(cache=True)
def _send(sender, recipient, code, t, field, out, counters):
    n = counters[OUT_ROWS]
    if n >= out.shape[0]:
        counters[ERROR] = BROKEN
        return
    out[n, 0] = sender
    out[n, 1] = recipient
    out[n, 2] = code
    out[n, 3] = t
    out[n, 4] = field
    counters[OUT_ROWS] = n + 1


@njit(cache=True)
def _vote(t, shard, local, slot, rm, leg_first, leg_count, leg_agent, leg_debit, leg_amount, leg_nonce,
          bal, nonce, lock, log, counters, buf_head, buf_tail, end_code, end_next, first_no, round_key):
    """FastShard.vote (§7.1): the vote's reason, forcing its record; -1 to send nothing."""
    state = rm[slot]
    if state == PREPARED:                                         # §7.1.1
        return NONE
    if state == ABORTED:                                          # §7.1.2
        reason = ABORTED_LOCALLY
    elif state == COMMITTED:                                      # §7.1.3
        return -1
    else:                                                         # §7.1.4 (working)
        reason = NONE
        for i in range(leg_first[slot], leg_first[slot] + leg_count[slot]):
            a = leg_agent[i]
            if lock[a] >= 0 and lock[a] != t:                     # §7.1.4.a
                reason = LOCKED
                break
            if leg_debit[i]:
                if bal[a] < leg_amount[i]:                        # §7.1.4.b
                    reason = INSUFFICIENT_BALANCE
                    break
                if leg_nonce[i] != nonce[a] + 1:                  # §7.1.4.c
                    reason = BAD_NONCE
                    break
        if reason == NONE:                                        # force PreparedRecord: locks taken
            _force(shard, local, t << 3 | REC_PREPARED, log, counters, buf_head, buf_tail, end_code, end_next)
            rm[slot] = PREPARED
            for i in range(leg_first[slot], leg_first[slot] + leg_count[slot]):
                lock[leg_agent[i]] = t
        else:                                                     # force OutcomeRecord(ABORT); held no lock
            _force(shard, local, t << 3 | REC_ABORT, log, counters, buf_head, buf_tail, end_code, end_next)
            rm[slot] = ABORTED
    if reason != NONE:                                            # NO votes are reported: the first one
        key = round_key | shard << REASON_BITS | reason           # cast, by (batch, round, shard) = no_key
        if key < first_no[t]:
            first_no[t] = key
    return reason


@njit(cache=True)
def _decide_commit(t, shard, local, nparts, part_first, parts, phase, mask, log, counters, buf_head, buf_tail, end_code,
                   end_next, out):
    """FastShard.decide_commit (§8.2): force the decision, committing, COMMIT to every participant."""
    _force(shard, local, t << 3 | REC_DECISION, log, counters, buf_head, buf_tail, end_code, end_next)
    phase[t] = COMMITTING
    mask[t] = 0
    for j in range(nparts[t]):
        _send(shard, parts[part_first[t] + j], MSG_COMMIT, t, 0, out, counters)


@njit(cache=True)
def _decide_abort(t, shard, except_shard, nparts, part_first, parts, phase, mask, out, counters):
    """FastShard.decide_abort (§8.3): ABORT to every participant but the NO voter; idle."""
    for j in range(nparts[t]):
        if parts[part_first[t] + j] != except_shard:
            _send(shard, parts[part_first[t] + j], MSG_ABORT, t, 0, out, counters)
    phase[t] = 0
    mask[t] = 0


@njit(cache=True)
def run_round(messages, first_owned, coord_of, nparts, part_first, parts, phase, mask, slot_first, slot_count,
              slot_shard, rm, leg_first, leg_count, leg_agent, leg_debit, leg_amount, leg_nonce, bal, nonce, lock, log,
              buf_head, buf_tail, end_code, end_next, out, first_no, round_key, counters):
    """One round's steps: ``messages`` rows are (recipient, code, t, shard_field), in send order.

    Code -1 is a submission (round 1, §8.1) of ``t`` to its coordinator
    ``recipient``.  Rows addressed to other blocks' shards are skipped.  What
    is sent goes to ``out`` as (sender, recipient, code, t, shard_field) in the
    order sent; each sender's rows keep their order (see ``arraygroup``).
    ``round_key`` is ``codes.no_key(batch, round, 0, 0)``.
    """
    for row in range(messages.shape[0]):
        if counters[ERROR] != 0:
            return
        shard = messages[row, 0]
        local = shard - first_owned
        if local < 0 or local >= buf_head.shape[0]:
            continue                                              # another block's shard
        code = messages[row, 1]
        t = messages[row, 2]
        field = messages[row, 3]
        if code == -1:                                            # FastShard.submit (§8.1)
            slot = _slot(t, shard, slot_first, slot_count, slot_shard)
            if phase[t] != 0 or slot < 0 or rm[slot] != 0:
                continue                                          # §8.1.1 duplicate (slot < 0: impossible)
            reason = _vote(t, shard, local, slot, rm, leg_first, leg_count, leg_agent, leg_debit, leg_amount,
                           leg_nonce, bal, nonce, lock, log, counters, buf_head, buf_tail, end_code, end_next,
                           first_no, round_key)
            if reason != NONE:
                continue                                          # NO: its ABORT record is the only trace
            phase[t] = COLLECTING
            mask[t] = 1 << _part_index(t, shard, nparts, part_first, parts)   # yes = {c}
            for j in range(nparts[t]):
                if parts[part_first[t] + j] != shard:
                    _send(shard, parts[part_first[t] + j], MSG_PREPARE, t, 0, out, counters)
            if nparts[t] == 1:
                _decide_commit(t, shard, local, nparts, part_first, parts, phase, mask, log, counters, buf_head,
                               buf_tail, end_code, end_next, out)
        elif code == MSG_PREPARE:                                 # FastShard.on_prepare (§7.1)
            slot = _slot(t, shard, slot_first, slot_count, slot_shard)
            if slot < 0:
                counters[ERROR] = BROKEN                          # Prepare only goes to participants
                return
            reason = _vote(t, shard, local, slot, rm, leg_first, leg_count, leg_agent, leg_debit, leg_amount,
                           leg_nonce, bal, nonce, lock, log, counters, buf_head, buf_tail, end_code, end_next,
                           first_no, round_key)
            if reason >= 0:
                _send(shard, coord_of[t], MSG_VOTE + reason, t, shard, out, counters)
        elif code < MSG_ABORT:                                    # votes: on_vote_yes / on_vote_no
            if phase[t] != COLLECTING:
                continue                                          # not collecting: ignored
            if code == MSG_VOTE + NONE:                           # §8.2
                j = _part_index(t, field, nparts, part_first, parts)
                if j < 0:
                    counters[ERROR] = BROKEN                      # votes only come from participants
                    return
                mask[t] |= 1 << j
                if mask[t] == (1 << nparts[t]) - 1:               # yes = participants
                    _decide_commit(t, shard, local, nparts, part_first, parts, phase, mask, log, counters, buf_head,
                                   buf_tail, end_code, end_next, out)
            else:                                                 # §8.3
                _decide_abort(t, shard, field, nparts, part_first, parts, phase, mask, out, counters)
        elif code == MSG_ABORT:                                   # FastShard.on_abort (§7.3)
            slot = _slot(t, shard, slot_first, slot_count, slot_shard)
            if slot < 0:
                counters[ERROR] = BROKEN
                return
            if rm[slot] <= PREPARED:                              # working or prepared: force ABORT
                if rm[slot] == PREPARED:                          # ... releasing the locks it holds
                    for i in range(leg_first[slot], leg_first[slot] + leg_count[slot]):
                        if lock[leg_agent[i]] == t:
                            lock[leg_agent[i]] = -1
                _force(shard, local, t << 3 | REC_ABORT, log, counters, buf_head, buf_tail, end_code, end_next)
                rm[slot] = ABORTED
        elif code == MSG_COMMIT:                                  # FastShard.on_commit (§7.2)
            slot = _slot(t, shard, slot_first, slot_count, slot_shard)
            if slot < 0:
                counters[ERROR] = BROKEN
                return
            if rm[slot] == PREPARED:                              # §7.2.1
                _force(shard, local, t << 3 | REC_COMMIT, log, counters, buf_head, buf_tail, end_code, end_next)
                rm[slot] = COMMITTED
                for i in range(leg_first[slot], leg_first[slot] + leg_count[slot]):
                    a = leg_agent[i]
                    if lock[a] == t:
                        lock[a] = -1
                    if leg_debit[i]:
                        bal[a] -= leg_amount[i]
                        nonce[a] = leg_nonce[i]
                    else:
                        if bal[a] > INT64_MAX - leg_amount[i]:
                            counters[ERROR] = OVERFLOW            # beyond int64: rerun in Python
                            return
                        bal[a] += leg_amount[i]
                _send(shard, coord_of[t], MSG_ACK, t, shard, out, counters)
            elif rm[slot] == COMMITTED:                           # §7.2.2
                _send(shard, coord_of[t], MSG_ACK, t, shard, out, counters)
        elif code == MSG_ACK:                                     # FastShard.on_ack (§8.6)
            if phase[t] != COMMITTING:
                continue
            j = _part_index(t, field, nparts, part_first, parts)
            if j < 0:
                counters[ERROR] = BROKEN
                return
            mask[t] |= 1 << j
            if mask[t] == (1 << nparts[t]) - 1:                   # acks = participants: buffer EndRecord
                k = counters[END_ROWS]
                if k >= end_code.shape[0]:
                    counters[ERROR] = BROKEN
                    return
                end_code[k] = t << 3 | REC_END
                end_next[k] = -1
                counters[END_ROWS] = k + 1
                if buf_tail[local] >= 0:
                    end_next[buf_tail[local]] = k
                else:
                    buf_head[local] = k
                buf_tail[local] = k
                phase[t] = 0
                mask[t] = 0
        else:
            counters[ERROR] = BROKEN                              # no queries in the round schedule
            return


@njit(cache=True)
def route(out, n, first_owned, owner, counts, dest_start, history, history_at, routed):
    """Put the round's ``n`` sent rows ``out[:n]`` (sender, recipient, code, t, field) in send-number
    order and split them by the group owning each recipient.

    Send numbers go round by round, then shard by shard, then in the order a shard sent (§13.3), so
    within a round the order is a stable sort by sender: a counting sort here.  ``counts[k]``: rows
    sent by owned shard ``first_owned + k``.  ``history[history_at:][:n]``: the rows (recipient, code,
    t, field) in that order, when ``history`` has room (else none are written).  ``routed``: the
    same rows grouped by the group that owns the recipient (``owner``), keeping that order inside
    each group; group ``g``'s rows are ``routed[dest_start[g]:dest_start[g + 1]]``.

    Returns 1 when every row is an ACK or an ABORT — messages whose handlers send nothing
    (``on_ack``: §8.6, ``on_abort``: §7.3) — so that the next round will send nothing; else 0.
    """
    owned = counts.shape[0]
    for k in range(owned):
        counts[k] = 0
    for i in range(n):
        counts[out[i, 0] - first_owned] += 1
    next_slot = np.empty(owned, dtype=np.int64)                 # next position of each sender's block
    total = 0
    for k in range(owned):
        next_slot[k] = total
        total += counts[k]
    order = np.empty(n, dtype=np.int64)                          # order[j]: row with send rank j
    for i in range(n):
        k = out[i, 0] - first_owned
        order[next_slot[k]] = i
        next_slot[k] += 1
    groups = dest_start.shape[0] - 1
    for g in range(groups + 1):
        dest_start[g] = 0
    for i in range(n):
        dest_start[owner[out[i, 1]] + 1] += 1
    for g in range(groups):
        dest_start[g + 1] += dest_start[g]
    fill = dest_start[:groups].copy()
    keep = history_at + n <= history.shape[0]
    quiet = 1
    for j in range(n):
        i = order[j]
        if out[i, 2] != MSG_ACK and out[i, 2] != MSG_ABORT:
            quiet = 0
        g = owner[out[i, 1]]
        at = fill[g]
        fill[g] = at + 1
        for c in range(4):
            routed[at, c] = out[i, c + 1]
            if keep:
                history[history_at + j, c] = out[i, c + 1]
    return quiet


def warm() -> None:
    """Compile ``run_round`` (or load it from Numba's cache) for the argument types batch mode uses.

    The parent calls this before forking workers, so that they inherit the
    compiled code instead of each compiling it.
    """
    i64, i8 = np.int64, np.int8

    def empty(*shape: int, dtype: type = i64) -> np.ndarray:
        return np.zeros(shape, dtype=dtype)
    run_round(empty(0, 4), 0, empty(1), empty(1), empty(1), empty(1), empty(1, dtype=i8), empty(1), empty(1), empty(1),
              empty(1), empty(1, dtype=i8), empty(1), empty(1), empty(1), empty(1, dtype=np.bool_), empty(1),
              empty(1), empty(1), empty(1), empty(1), empty(1, 2), empty(1), empty(1), empty(1), empty(1),
              empty(1, 5), empty(1), 0, empty(4))
    route(empty(1, 5), 0, 0, empty(1), empty(1), empty(2), empty(1, 4), 0, empty(1, 4))

"""One shard of the fast implementation: compact mutable state and the rules of §7-§9.

The reference (``reference.twopc.shard``) builds a new immutable
``ShardState`` per step and derives ``rmState``, locks and ``decided`` from
its log.  Here a :class:`FastShard` is changed in place, and the derived
state of spec/two_phase_commit.md §4.3 is kept in indexes that are updated
exactly when a record reaches the log (never by scanning it):

==============  =============================================================
``rm[t]``       ``rmState[t][s]``; absent = working.  Codes are ordered so a
                record moves it to ``max(old, record's state)`` (§4.3
                precedence: committed > aborted > prepared > working).
``locks[a]``    ``lock(a)`` (§4.3): set to ``t`` when ``PreparedRecord(t)``
                reaches the log, removed when an outcome of ``t`` does.  This
                equals the reference's "newest PreparedRecord on ``a``, if its
                transaction is still prepared" (``reference.twopc.log.Log.lock``).
``decided``     the ``t`` with a ``CommitDecisionRecord`` in the log (§4.3 ``decided``).
``ended``       the ``t`` with an ``EndRecord`` in the log (used by §9.2).
``decisions``   those ``CommitDecisionRecord`` s in log order (for §9.2).
==============  =============================================================

Records are integers and messages tuples of integers (``codes``); the
store is two dicts ``agent index -> int`` (Python ints: balances are u128,
beyond any NumPy integer type).  A step appends what it sends to ``out`` as
``(recipient, code, t, shard_field)`` in the order the rules send (§13.2),
appends its votes to ``votes`` as ``(t, reason)``, and, only when ``writes``
is a list (the step API, the cross-checks), records ``(record, forced)``
there.  Every rule cites the clause it implements; where a rule updates an
index directly instead of through :meth:`absorb`, a comment says why that
is the same.
"""

from __future__ import annotations

from altledger.fast.twopc.codes import (ABORTED, ABORTED_LOCALLY, BAD_NONCE, COLLECTING, COMMITTED, COMMITTING,
                                        INSUFFICIENT_BALANCE, KIND_BITS, KIND_MASK, LOCKED, MSG_ABORT, MSG_ACK,
                                        MSG_COMMIT, MSG_PREPARE, MSG_QUERY, MSG_VOTE, NONE, PREPARED, REC_ABORT,
                                        REC_COMMIT, REC_DECISION, REC_END, REC_PREPARED)
from altledger.fast.twopc.txtable import TxTable


class FastShard:
    """Shard ``shard`` of ``table.shard_count``: durable log/store, volatile up/buffer/coord (§4.1, §4.2)."""

    __slots__ = ("shard", "table", "legs", "coordinator", "participants", "up", "log", "buffer", "bal", "nonce",
                 "rm", "locks", "decided", "ended", "decisions", "coord", "out", "votes", "writes", "handlers")

    def __init__(self, shard: int, table: TxTable) -> None:
        self.shard = shard
        self.table = table
        # legs[t]: the legs of t on this shard (§3.3), for every t with legs here that the table holds
        # (filled by whoever adds t to the table); coordinator/participants: the table's lists.
        self.legs: dict[int, tuple] = {t: by_shard[shard] for t, by_shard in enumerate(table.legs)
                                       if by_shard and shard in by_shard}
        self.coordinator = table.coordinator
        self.participants = table.participants
        table.shards[shard] = self
        self.up = True
        self.log: list[int] = []             # durable (§4.1)
        self.buffer: list[int] = []          # volatile, unforced records (§5.3)
        self.bal: dict[int, int] = {}        # store (§4.1): balance by agent index
        self.nonce: dict[int, int] = {}      # store: nonce by agent index
        self.rm: dict[int, int] = {}         # derived (§4.3), see the module docstring
        self.locks: dict[int, int] = {}
        self.decided: set[int] = set()
        self.ended: set[int] = set()
        self.decisions: list[int] = []
        # coord[t] = [phase, participants, yes-or-acks set] while not idle (§4.2)
        self.coord: dict[int, list] = {}
        self.out: list[tuple[int, int, int, int]] = []
        self.votes: list[tuple[int, int]] = []
        self.writes: list[tuple[int, bool]] | None = None
        # handlers[code](t, shard_field): the rule for a delivered message of that code (see deliver)
        self.handlers = (self.on_prepare, self.on_vote_yes, self.on_vote_no, self.on_vote_no, self.on_vote_no,
                         self.on_vote_no, self.on_abort, self.on_commit, self.on_ack, self.on_query)

    # -- the log (§5) ----------------------------------------------------------------------

    def absorb(self, record: int) -> None:
        """Update the §4.3 indexes for one record that has just reached the log (any record)."""
        t, kind = record >> KIND_BITS, record & KIND_MASK
        if kind <= REC_COMMIT:                                  # a participant record: rmState moves up
            old = self.rm.get(t, 0)
            new = kind if kind > old else old
            self.rm[t] = new
            legs = self.legs.get(t, ())
            locks = self.locks
            if kind == REC_PREPARED:
                # The newest PreparedRecord on each agent is now this one: lock(a) = t if t is
                # prepared, and none otherwise (a record written for a decided t holds nothing).
                for leg in legs:
                    if new == PREPARED:
                        locks[leg[0]] = t
                    else:
                        locks.pop(leg[0], None)
            else:                                               # an outcome: t no longer holds locks
                for leg in legs:
                    if locks.get(leg[0]) == t:
                        del locks[leg[0]]
        elif kind == REC_DECISION:
            self.decided.add(t)
            self.decisions.append(t)
        else:
            self.ended.add(t)

    def flush_buffer(self) -> None:
        """Move the buffer to the log (part of a force, §5.2, and of ``Flush``, §5.4)."""
        for record in self.buffer:
            self.log.append(record)
            self.absorb(record)
        self.buffer = []

    def force(self, record: int) -> None:
        """§5.2 force: the whole buffer, then ``record``, reach the log in this step."""
        if self.buffer:
            self.flush_buffer()
        self.log.append(record)
        self.absorb(record)
        if self.writes is not None:
            self.writes.append((record, True))

    # -- participant (§7) ------------------------------------------------------------------------

    def vote(self, t: int) -> int:
        """§7.1: this participant's vote on ``t`` (forcing its record): the VoteReason, or -1 to send nothing.

        Shared by ``on_prepare`` and the coordinator's own vote in ``submit`` (§8.1.2).
        """
        state = self.rm.get(t, 0)
        if state == PREPARED:                                   # §7.1.1
            reason = NONE
        elif state == ABORTED:                                  # §7.1.2
            reason = ABORTED_LOCALLY
        elif state == COMMITTED:                                # §7.1.3
            return -1
        else:                                                   # §7.1.4 (working)
            reason = NONE
            legs = self.legs.get(t, ())
            locks, bal, nonce = self.locks, self.bal, self.nonce
            for a, debit, amount, leg_nonce in legs:            # canonical order; checks a, b, c per leg
                holder = locks.get(a)
                if holder is not None and holder != t:         # §7.1.4.a
                    reason = LOCKED
                    break
                if debit:
                    if bal.get(a, 0) < amount:                  # §7.1.4.b
                        reason = INSUFFICIENT_BALANCE
                        break
                    if leg_nonce != nonce.get(a, 0) + 1:        # §7.1.4.c
                        reason = BAD_NONCE
                        break
            if self.buffer:
                self.flush_buffer()
            if reason == NONE:
                # force PreparedRecord(t): t was working, so rmState becomes prepared and t takes
                # the lock of every agent of its legs here (what absorb() does for this record).
                self.log.append(t << KIND_BITS | REC_PREPARED)
                self.rm[t] = PREPARED
                for leg in legs:
                    locks[leg[0]] = t
                if self.writes is not None:
                    self.writes.append((t << KIND_BITS | REC_PREPARED, True))
            else:
                # force OutcomeRecord(t, ABORT): t was working, so it held no lock (locks are only
                # ever set to a prepared t); rmState becomes aborted.
                self.log.append(t << KIND_BITS | REC_ABORT)
                self.rm[t] = ABORTED
                if self.writes is not None:
                    self.writes.append((t << KIND_BITS | REC_ABORT, True))
        self.votes.append((t, reason))
        return reason

    def on_prepare(self, t: int, shard_field: int = 0) -> None:
        """§7.1: on ``Prepare(t)``, vote and send the vote to ``coordinator(t)``."""
        reason = self.vote(t)
        if reason >= 0:
            self.out.append((self.coordinator[t], MSG_VOTE + reason, t, self.shard))

    def on_commit(self, t: int, shard_field: int = 0) -> None:
        """§7.2: on ``Decision(t, COMMIT)``."""
        state = self.rm.get(t, 0)
        if state == PREPARED:                                   # §7.2.1
            if self.buffer:
                self.flush_buffer()
            # force OutcomeRecord(t, COMMIT): prepared -> committed, t's locks released (absorb()).
            self.log.append(t << KIND_BITS | REC_COMMIT)
            self.rm[t] = COMMITTED
            if self.writes is not None:
                self.writes.append((t << KIND_BITS | REC_COMMIT, True))
            locks, bal, nonce = self.locks, self.bal, self.nonce
            for a, debit, amount, leg_nonce in self.legs.get(t, ()):
                if locks.get(a) == t:
                    del locks[a]
                # apply the leg (§7.2.1): debit balance -= amount, nonce := leg nonce; credit +=
                if debit:
                    bal[a] = bal.get(a, 0) - amount
                    nonce[a] = leg_nonce
                else:
                    bal[a] = bal.get(a, 0) + amount
            self.out.append((self.coordinator[t], MSG_ACK, t, self.shard))
        elif state == COMMITTED:                                # §7.2.2
            self.out.append((self.coordinator[t], MSG_ACK, t, self.shard))
        # §7.2.3: working or aborted cannot happen; ignored.

    def on_abort(self, t: int, shard_field: int = 0) -> None:
        """§7.3: on ``Decision(t, ABORT)``: a prepared or working participant forces ABORT; no ack."""
        if self.rm.get(t, 0) <= PREPARED:                       # §7.3.1 (working = 0, prepared = 1)
            self.force(t << KIND_BITS | REC_ABORT)              # absorb() releases a prepared t's locks
        # §7.3.2: aborted: nothing; committed: ignored.

    def participant_timeout(self, t: int) -> None:
        """§7.4: on ``Timeout(t)`` at a participant."""
        state = self.rm.get(t, 0)
        if state == 0:                                          # §7.4.1 working: abort alone
            self.force(t << KIND_BITS | REC_ABORT)
        elif state == PREPARED:                                 # §7.4.2: ask the coordinator
            self.out.append((self.coordinator[t], MSG_QUERY, t, self.shard))
        # §7.4.3: committed or aborted: nothing.

    # -- coordinator (§8) ------------------------------------------------------------------------

    def submit(self, t: int) -> None:
        """§8.1: a client hands ``t`` to this shard, its coordinator."""
        if t in self.coord or self.rm.get(t, 0) != 0:
            return                                              # §8.1.1: a duplicate, ignored
        if self.vote(t) != NONE:                                # §8.1.2: own vote, same step, no message
            return                                              # NO: its ABORT record is the only trace
        participants = self.participants[t]
        me = self.shard
        self.coord[t] = [COLLECTING, participants, {me}]
        out = self.out
        for s in participants:
            if s != me:
                out.append((s, MSG_PREPARE, t, 0))
        if len(participants) == 1:                              # the only participant: commit at once
            self.decide_commit(t)

    def decide_commit(self, t: int) -> None:
        """§8.2 decide commit: force the decision, enter committing, COMMIT to every participant."""
        participants = self.coord[t][1]
        self.force(t << KIND_BITS | REC_DECISION)
        self.coord[t] = [COMMITTING, participants, set()]
        out = self.out
        for s in participants:
            out.append((s, MSG_COMMIT, t, 0))

    def decide_abort(self, t: int, except_shard: int = -1) -> None:
        """§8.3 decide abort: ABORT to every participant but the NO voter; idle; nothing logged."""
        out = self.out
        for s in self.coord.pop(t)[1]:
            if s != except_shard:
                out.append((s, MSG_ABORT, t, 0))

    def on_vote_yes(self, t: int, shard: int) -> None:
        """§8.2: a YES vote while collecting; in any other phase it is ignored."""
        entry = self.coord.get(t)
        if entry is None or entry[0] != COLLECTING:
            return
        yes = entry[2]
        yes.add(shard)
        participants = entry[1]
        # yes = participants as sets: equal sizes and yes covers every participant
        if len(yes) == len(participants) and yes.issuperset(participants):
            self.decide_commit(t)

    def on_vote_no(self, t: int, shard: int) -> None:
        """§8.3: a NO vote (any reason) while collecting decides abort; in any other phase it is ignored."""
        entry = self.coord.get(t)
        if entry is not None and entry[0] == COLLECTING:
            self.decide_abort(t, shard)

    def on_query(self, t: int, shard: int) -> None:
        """§8.4: answer a prepared participant; no commit record means ABORT (presumed abort)."""
        if t in self.decided:                                   # §8.4.1
            self.out.append((shard, MSG_COMMIT, t, 0))
        else:
            entry = self.coord.get(t)
            if entry is not None and entry[0] == COLLECTING:    # §8.4.2
                return
            self.out.append((shard, MSG_ABORT, t, 0))          # §8.4.3

    def coordinator_timeout(self, t: int) -> None:
        """§8.5: on ``Timeout(t)`` at the coordinator."""
        entry = self.coord.get(t)
        if entry is None:                                       # §8.5.3 idle
            return
        if entry[0] == COLLECTING:                              # §8.5.1
            self.decide_abort(t)
        else:                                                   # §8.5.2 re-send to the unacknowledged
            acks = entry[2]
            for s in entry[1]:
                if s not in acks:
                    self.out.append((s, MSG_COMMIT, t, 0))

    def on_ack(self, t: int, shard: int) -> None:
        """§8.6: collect acknowledgements; all in: buffer EndRecord (not forced) and go idle."""
        entry = self.coord.get(t)
        if entry is None or entry[0] != COMMITTING:
            return
        acks = entry[2]
        acks.add(shard)
        participants = entry[1]
        if len(acks) == len(participants) and acks.issuperset(participants):
            self.buffer.append(t << KIND_BITS | REC_END)        # §5.3: buffered
            if self.writes is not None:
                self.writes.append((t << KIND_BITS | REC_END, False))
            del self.coord[t]

    # -- one step per input (§2.6, §13.1) -----------------------------------------------------------

    def deliver(self, code: int, t: int, shard_field: int) -> None:
        """Run the rule for one delivered message: ``handlers[code]`` is §7.1 (Prepare), §8.2/§8.3
        (votes), §7.3/§7.2 (decisions), §8.6 (Ack) or §8.4 (Query)."""
        if not MSG_PREPARE <= code <= MSG_QUERY:
            raise ValueError(f"not a message code: {code}")
        self.handlers[code](t, shard_field)

    def timeout(self, t: int) -> None:
        """§13.1 ``timeout(s, txid)``: §8.5 if this shard coordinates ``t``, then §7.4 if a participant."""
        if self.coordinator[t] == self.shard:
            self.coordinator_timeout(t)
        if t in self.legs:
            self.participant_timeout(t)

    def flush(self) -> None:
        """§5.4 ``Flush(s)``."""
        if self.buffer:
            self.flush_buffer()

    def crash(self) -> None:
        """§9.1: down; buffer and coordinator table lost; log, store (and the indexes of the log) kept."""
        self.up = False
        self.buffer = []
        self.coord = {}

    def recover(self) -> None:
        """§9.2: up; committing with no acks for every commit decision without an end record; else idle."""
        self.up = True
        self.buffer = []
        participants = self.participants
        self.coord = {t: [COMMITTING, participants[t], set()] for t in self.decisions if t not in self.ended}

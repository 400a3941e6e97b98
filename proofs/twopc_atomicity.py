"""Atomicity of two-phase commit, for any number of participants.

Claim (spec/two_phase_commit.md §11.1): no transaction ever has one
participant ``committed`` and another ``aborted``.  TLC checks this for the
few shards of a config; here z3 proves it for every number of participants,
by showing that a strengthening ``Inv`` of atomicity is an inductive
invariant of the protocol's steps.

The model (one transaction ``t``; what it abstracts, and why that is sound):

* Participants form an uninterpreted sort ``Participant``: z3 must cover
  every finite (and infinite) number of them.  The coordinator ``c`` is one
  of them (§3.4: it is always a participant).
* State, as functions of the participant (no function maps into the sort,
  so every query is in the decidable EPR fragment):
  ``rm(p)`` - rmState[t][p] of §4.3 (durable); ``decided`` - the
  CommitDecisionRecord in c's log (durable, §4.3); ``phase``, ``yes(p)``,
  ``acks(p)`` - c's volatile entry (§4.2); and one predicate per message
  kind, ``prepare_msg(p)``, ``yes_msg(p)``, ``no_msg(p)``, ``commit_msg(p)``,
  ``abort_msg(p)``, ``ack_msg(p)``, ``query_msg(p)``: "some copy of that
  message to/from p is in transit" (§6).
* Other transactions touch ``t`` only through the checks of §7.1.4 (locks,
  balance, nonce; §10.3), so a working participant's vote is a free choice
  (PrepareYes / PrepareNo, SubmitYes / SubmitNo).
* Network (§2.4, §10): delivery never consumes a message (that covers any
  number of duplicates); ``Lose`` removes any set of messages; any message
  in transit may be delivered at any time (reordering).
* Crash (§9): participants' state is durable, so a participant crash is
  invisible here except at the coordinator, whose volatile entry is lost.
  ``CrashRecover`` does the crash and the recovery in one step (while c is
  down it takes no step, which only removes behaviours).  Recovery restores
  ``committing`` only if decided; because the EndRecord is not modelled,
  it may also choose ``idle`` then (the EndRecord reached the log).
* Two steps of the spec are split: deciding commit (§8.2) and ending the
  commit (§8.6) are separate actions after the last vote/ack is recorded.
  That adds intermediate states the spec skips, i.e. more behaviours.

Every abstraction above adds behaviours or removes none that matter, so an
invariant of this model is an invariant of the protocol's projection on one
transaction.
"""

from __future__ import annotations

import z3

from altledger.proofs.lemma import Lemma
from altledger.proofs.transition import (Action, Conjunct, TransitionSystem, Var,
                                         bounded_control, frame, invariant_obligations,
                                         step_control)

CLAUSE = "spec/two_phase_commit.md §11.1"

Participant = z3.DeclareSort("Participant")
RmState, (WORKING, PREPARED, COMMITTED, ABORTED) = z3.EnumSort(
    "RmState", ["working", "prepared", "committed", "aborted"])
Phase, (IDLE, COLLECTING, COMMITTING) = z3.EnumSort("Phase", ["idle", "collecting", "committing"])
B = z3.BoolSort()
P = (Participant,)

MESSAGES = ("prepare_msg", "yes_msg", "no_msg", "commit_msg", "abort_msg", "ack_msg", "query_msg")

VARIABLES = (
    Var("c", (), Participant, rigid=True),  # the coordinator (§3.4)
    Var("rm", P, RmState),                  # rmState[t][p] (§4.3)
    Var("decided", (), B),                  # CommitDecisionRecord(t) in c's log (§4.3)
    Var("phase", (), Phase),                # coord[c][t].phase (§4.2)
    Var("yes", P, B),                       # coord[c][t].yes
    Var("acks", P, B),                      # coord[c][t].acks
) + tuple(Var(m, P, B) for m in MESSAGES)


def _init(s, q):
    return z3.And(s.phase == IDLE, z3.Not(s.decided),
                  q.forall(P, lambda x: z3.And(s.rm(x) == WORKING, z3.Not(s.yes(x)), z3.Not(s.acks(x)),
                                               *(z3.Not(getattr(s, m)(x)) for m in MESSAGES))))


def _set(q, s, t, name, value):
    """t.name(x) == value(x) for every participant x."""
    return q.forall(P, lambda x: getattr(t, name)(x) == value(x))


def _add(q, s, t, name, who):
    """Add the participants satisfying who(x) to the set ``name``."""
    return _set(q, s, t, name, lambda x: z3.Or(getattr(s, name)(x), who(x)))


def _rm_to(q, s, t, p, state):
    """Participant p moves to ``state``; every other keeps its rmState."""
    return _set(q, s, t, "rm", lambda x: z3.If(x == p, state, s.rm(x)))


def _send(q, s, t, name, p):
    return _add(q, s, t, name, lambda x: x == p)


def _empty(q, t, name):
    return q.forall(P, lambda x: z3.Not(getattr(t, name)(x)))


# ---------------------------------------------------------------- the actions

def submit_yes(s, t, q):
    """§8.1: c accepts t (idle, and its own rmState still working: §8.1.1),
    its participant votes YES (§7.1.4), it collects, Prepare to the others."""
    return z3.And(s.phase == IDLE, s.rm(s.c) == WORKING,
                  _rm_to(q, s, t, s.c, PREPARED), t.phase == COLLECTING,
                  _set(q, s, t, "yes", lambda x: x == s.c),
                  _add(q, s, t, "prepare_msg", lambda x: x != s.c),
                  frame(s, t, q, "rm", "phase", "yes", "prepare_msg"))


def submit_no(s, t, q):
    """§8.1.2: c's participant votes NO: t is aborted at c, nothing is sent."""
    return z3.And(s.phase == IDLE, s.rm(s.c) == WORKING,
                  _rm_to(q, s, t, s.c, ABORTED), frame(s, t, q, "rm"))


def prepare_yes(s, t, q, p):
    """§7.1.4: a working participant passes its checks: prepared, votes YES."""
    return z3.And(s.prepare_msg(p), s.rm(p) == WORKING, _rm_to(q, s, t, p, PREPARED),
                  _send(q, s, t, "yes_msg", p), frame(s, t, q, "rm", "yes_msg"))


def prepare_no(s, t, q, p):
    """§7.1.4: a working participant fails a check: aborted, votes NO."""
    return z3.And(s.prepare_msg(p), s.rm(p) == WORKING, _rm_to(q, s, t, p, ABORTED),
                  _send(q, s, t, "no_msg", p), frame(s, t, q, "rm", "no_msg"))


def prepare_again(s, t, q, p):
    """§7.1.1-2: a repeated Prepare: prepared re-votes YES, aborted votes NO."""
    return z3.And(s.prepare_msg(p),
                  z3.Or(z3.And(s.rm(p) == PREPARED, _send(q, s, t, "yes_msg", p),
                               frame(s, t, q, "yes_msg")),
                        z3.And(s.rm(p) == ABORTED, _send(q, s, t, "no_msg", p),
                               frame(s, t, q, "no_msg"))))


def receive_yes(s, t, q, p):
    """§8.2: a YES vote while collecting joins yes[t]."""
    return z3.And(s.yes_msg(p), s.phase == COLLECTING, _send(q, s, t, "yes", p),
                  frame(s, t, q, "yes"))


def decide_commit(s, t, q):
    """§8.2: yes[t] = participants(t): force the decision, send COMMIT to all."""
    return z3.And(s.phase == COLLECTING, q.forall(P, lambda x: s.yes(x)),
                  t.decided, t.phase == COMMITTING, _empty(q, t, "yes"), _empty(q, t, "acks"),
                  _add(q, s, t, "commit_msg", lambda x: z3.BoolVal(True)),
                  frame(s, t, q, "decided", "phase", "yes", "acks", "commit_msg"))


def receive_no(s, t, q, p):
    """§8.3: a NO vote while collecting: idle, ABORT to every other participant."""
    return z3.And(s.no_msg(p), s.phase == COLLECTING, t.phase == IDLE, _empty(q, t, "yes"),
                  _add(q, s, t, "abort_msg", lambda x: x != p),
                  frame(s, t, q, "phase", "yes", "abort_msg"))


def timeout_collecting(s, t, q):
    """§8.5.1: the coordinator times out while collecting: decide abort."""
    return z3.And(s.phase == COLLECTING, t.phase == IDLE, _empty(q, t, "yes"),
                  _add(q, s, t, "abort_msg", lambda x: z3.BoolVal(True)),
                  frame(s, t, q, "phase", "yes", "abort_msg"))


def timeout_committing(s, t, q):
    """§8.5.2: the coordinator times out while committing: COMMIT again to
    every participant that has not acknowledged."""
    return z3.And(s.phase == COMMITTING, _add(q, s, t, "commit_msg", lambda x: z3.Not(s.acks(x))),
                  frame(s, t, q, "commit_msg"))


def receive_commit(s, t, q, p):
    """§7.2.1: a prepared participant commits (forced) and acknowledges."""
    return z3.And(s.commit_msg(p), s.rm(p) == PREPARED, _rm_to(q, s, t, p, COMMITTED),
                  _send(q, s, t, "ack_msg", p), frame(s, t, q, "rm", "ack_msg"))


def receive_commit_again(s, t, q, p):
    """§7.2.2: a committed participant acknowledges again."""
    return z3.And(s.commit_msg(p), s.rm(p) == COMMITTED, _send(q, s, t, "ack_msg", p),
                  frame(s, t, q, "ack_msg"))


def receive_abort(s, t, q, p):
    """§7.3.1: a working or prepared participant aborts (forced)."""
    return z3.And(s.abort_msg(p), z3.Or(s.rm(p) == WORKING, s.rm(p) == PREPARED),
                  _rm_to(q, s, t, p, ABORTED), frame(s, t, q, "rm"))


def timeout_working(s, t, q, p):
    """§7.4.1: a working participant times out and aborts alone."""
    return z3.And(s.rm(p) == WORKING, _rm_to(q, s, t, p, ABORTED), frame(s, t, q, "rm"))


def timeout_prepared(s, t, q, p):
    """§7.4.2: a prepared participant times out: it queries, and waits."""
    return z3.And(s.rm(p) == PREPARED, _send(q, s, t, "query_msg", p), frame(s, t, q, "query_msg"))


def query_commit(s, t, q, p):
    """§8.4.1: decided: answer COMMIT, whatever the volatile phase."""
    return z3.And(s.query_msg(p), s.decided, _send(q, s, t, "commit_msg", p),
                  frame(s, t, q, "commit_msg"))


def query_abort(s, t, q, p):
    """§8.4.3: undecided and not collecting: presumed abort."""
    return z3.And(s.query_msg(p), z3.Not(s.decided), s.phase != COLLECTING,
                  _send(q, s, t, "abort_msg", p), frame(s, t, q, "abort_msg"))


def receive_ack(s, t, q, p):
    """§8.6: an acknowledgement while committing joins acks[t]."""
    return z3.And(s.ack_msg(p), s.phase == COMMITTING, _send(q, s, t, "acks", p),
                  frame(s, t, q, "acks"))


def end_commit(s, t, q):
    """§8.6: acks[t] = participants(t): end record (buffered), idle."""
    return z3.And(s.phase == COMMITTING, q.forall(P, lambda x: s.acks(x)),
                  t.phase == IDLE, _empty(q, t, "acks"), frame(s, t, q, "phase", "acks"))


def crash_recover(s, t, q):
    """§9.1-9.2: c crashes (its entry is lost) and recovers: committing if its
    log holds the decision and (not modelled) no end record, else idle."""
    return z3.And(z3.Or(t.phase == IDLE, z3.And(s.decided, t.phase == COMMITTING)),
                  _empty(q, t, "yes"), _empty(q, t, "acks"), frame(s, t, q, "phase", "yes", "acks"))


def lose(s, t, q):
    """§2.4: the network loses any set of messages."""
    return z3.And(*(q.forall(P, lambda x, m=m: z3.Implies(getattr(t, m)(x), getattr(s, m)(x)))
                    for m in MESSAGES),
                  frame(s, t, q, *MESSAGES))


def _a(name, clause, fn, param=True):
    return Action(name, clause, fn, (("p", Participant),) if param else ())


ACTIONS = (
    _a("SubmitYes", "§8.1", submit_yes, param=False),
    _a("SubmitNo", "§8.1.2", submit_no, param=False),
    _a("PrepareYes", "§7.1.4", prepare_yes),
    _a("PrepareNo", "§7.1.4", prepare_no),
    _a("PrepareAgain", "§7.1.1-2", prepare_again),
    _a("ReceiveYes", "§8.2", receive_yes),
    _a("DecideCommit", "§8.2", decide_commit, param=False),
    _a("ReceiveNo", "§8.3", receive_no),
    _a("TimeoutCollecting", "§8.5.1", timeout_collecting, param=False),
    _a("TimeoutCommitting", "§8.5.2", timeout_committing, param=False),
    _a("ReceiveCommit", "§7.2.1", receive_commit),
    _a("ReceiveCommitAgain", "§7.2.2", receive_commit_again),
    _a("ReceiveAbort", "§7.3.1", receive_abort),
    _a("TimeoutWorking", "§7.4.1", timeout_working),
    _a("TimeoutPrepared", "§7.4.2", timeout_prepared),
    _a("QueryCommit", "§8.4.1", query_commit),
    _a("QueryAbort", "§8.4.3", query_abort),
    _a("ReceiveAck", "§8.6", receive_ack),
    _a("EndCommit", "§8.6", end_commit, param=False),
    _a("CrashRecover", "§9.1-9.2", crash_recover, param=False),
    _a("Lose", "§2.4", lose, param=False),
)

SYSTEM = TransitionSystem("two-phase commit, one transaction", VARIABLES, _init, ACTIONS)

# ---------------------------------------------------------------- the invariant


def _all(q, body):
    return q.forall(P, body)


ATOMICITY = Conjunct("Atomicity", lambda s, q: q.forall(
    P + P, lambda x, y: z3.Not(z3.And(s.rm(x) == COMMITTED, s.rm(y) == ABORTED))))

INVARIANT = (
    ATOMICITY,
    # Only a decision makes a participant commit, and only a decision sends COMMIT.
    Conjunct("committed => decided", lambda s, q: _all(
        q, lambda x: z3.Implies(s.rm(x) == COMMITTED, s.decided))),
    Conjunct("COMMIT in transit => decided", lambda s, q: _all(
        q, lambda x: z3.Implies(s.commit_msg(x), s.decided))),
    # §11.2 Validity: the decision needs everybody's YES, and YES is durable.
    Conjunct("decided => all prepared or committed", lambda s, q: z3.Implies(
        s.decided, _all(q, lambda x: z3.Or(s.rm(x) == PREPARED, s.rm(x) == COMMITTED)))),
    Conjunct("collecting => undecided, c prepared", lambda s, q: z3.Implies(
        s.phase == COLLECTING, z3.And(z3.Not(s.decided), s.rm(s.c) == PREPARED))),
    Conjunct("committing => decided", lambda s, q: z3.Implies(s.phase == COMMITTING, s.decided)),
    Conjunct("yes[p] => collecting, p prepared", lambda s, q: _all(
        q, lambda x: z3.Implies(s.yes(x), z3.And(s.phase == COLLECTING, s.rm(x) == PREPARED)))),
    Conjunct("YES in transit while collecting => sender prepared", lambda s, q: _all(
        q, lambda x: z3.Implies(z3.And(s.yes_msg(x), s.phase == COLLECTING), s.rm(x) == PREPARED))),
    # An ABORT is only ever sent for an attempt that is over for good: c no
    # longer collects, and cannot start again because its own participant
    # left `working` (the durable half of §8.1.1, §12.4).
    Conjunct("ABORT in transit => undecided, not collecting, c started", lambda s, q: _all(
        q, lambda x: z3.Implies(s.abort_msg(x), z3.And(z3.Not(s.decided), s.phase != COLLECTING,
                                                        s.rm(s.c) != WORKING)))),
    Conjunct("any trace of t at p => c started", lambda s, q: _all(
        q, lambda x: z3.Implies(z3.Or(s.rm(x) == PREPARED, s.rm(x) == COMMITTED, s.prepare_msg(x),
                                      s.yes_msg(x), s.query_msg(x)),
                                s.rm(s.c) != WORKING))),
)

# ---------------------------------------------------------------- broken variants


def timeout_prepared_aborts(s, t, q, p):
    """BROKEN §7.4.2: a prepared participant that times out aborts alone."""
    return z3.And(s.rm(p) == PREPARED, _rm_to(q, s, t, p, ABORTED), frame(s, t, q, "rm"))


def receive_no_as_yes(s, t, q, p):
    """BROKEN §8.3: the coordinator counts a NO vote as a YES."""
    return z3.And(s.no_msg(p), s.phase == COLLECTING, _send(q, s, t, "yes", p),
                  frame(s, t, q, "yes"))


def submit_without_durable_guard(s, t, q):
    """BROKEN §8.1.1: only the volatile half of the guard (c idle); a
    prepared c votes YES again (§7.1.1) and collects anew."""
    return z3.And(s.phase == IDLE, z3.Or(s.rm(s.c) == WORKING, s.rm(s.c) == PREPARED),
                  _rm_to(q, s, t, s.c, PREPARED), t.phase == COLLECTING,
                  _set(q, s, t, "yes", lambda x: x == s.c),
                  _add(q, s, t, "prepare_msg", lambda x: x != s.c),
                  frame(s, t, q, "rm", "phase", "yes", "prepare_msg"))


def forget_commit(s, t, q, p):
    """§5.2 relaxed: p had not forced its COMMIT outcome and crashed: it is
    prepared again (its store keeps the applied legs; not modelled here)."""
    return z3.And(s.rm(p) == COMMITTED, _rm_to(q, s, t, p, PREPARED), frame(s, t, q, "rm"))


def forget_prepared(s, t, q, p):
    """BROKEN §5.2: p had not forced its PreparedRecord and crashed after
    voting YES: it is working again, free to abort alone (§7.4.1)."""
    return z3.And(s.rm(p) == PREPARED, _rm_to(q, s, t, p, WORKING), frame(s, t, q, "rm"))


BROKEN_TIMEOUT = _a("TimeoutPreparedAborts", "§7.4.2 broken", timeout_prepared_aborts)
BROKEN_NO = _a("ReceiveNoAsYes", "§8.3 broken", receive_no_as_yes)
BROKEN_SUBMIT = _a("SubmitWithoutDurableGuard", "§8.1.1 broken", submit_without_durable_guard, param=False)


FORGET_COMMIT = _a("ForgetUnforcedCommit", "§5.2 relaxed", forget_commit)
FORGET_PREPARED = _a("ForgetUnforcedPrepared", "§5.2 broken", forget_prepared)
UNFORCED_COMMIT = TransitionSystem("two-phase commit, COMMIT outcome not forced", VARIABLES, _init,
                                   ACTIONS + (FORGET_COMMIT,))
UNFORCED_PREPARED = TransitionSystem("two-phase commit, PreparedRecord not forced", VARIABLES, _init,
                                     ACTIONS + (FORGET_PREPARED,))


def lemmas() -> list[Lemma]:
    return [lemma(), unforced_commit_lemma()]


def unforced_commit_lemma() -> Lemma:
    """Why §5.2's reason for forcing OutcomeRecord(COMMIT) does not hold.

    §5.2 says the COMMIT outcome must be forced, else the coordinator could
    forget the transaction and answer a recovered participant ABORT.  But
    the coordinator answers queries from its log, which keeps the decision
    (§8.4.1, no log garbage collection, §1.2).  This lemma adds a step in
    which a committed participant loses its (unforced) COMMIT outcome and is
    prepared again, and shows the same invariant stays inductive: atomicity
    does not need that record forced (the store and the refinement of
    TCommit do: TLC's noForceCommit control).  The negative control loses a
    PreparedRecord instead, which §5.2 rightly requires forced.
    """
    return Lemma(
        name="twopc-atomicity-unforced-commit",
        clause="spec/two_phase_commit.md §5.2, §11.1",
        statement=("Atomicity stays an inductive invariant, for any number of participants, "
                   "when a committed participant may lose an unforced COMMIT outcome record "
                   "in a crash (committed -> prepared); losing an unforced PreparedRecord "
                   "(prepared -> working) breaks it."),
        obligations=tuple(invariant_obligations(UNFORCED_COMMIT, INVARIANT, ATOMICITY)),
        negative_controls=(
            bounded_control("PreparedRecord not forced (§5.2 broken): "
                            "a run from the initial state breaks Atomicity",
                            UNFORCED_PREPARED, 7, ATOMICITY),
        ),
        notes=unforced_commit_lemma.__doc__ or "",
    )


def lemma() -> Lemma:
    return Lemma(
        name="twopc-atomicity",
        clause=CLAUSE,
        statement=("For any number of participants, no transaction has one participant "
                   "committed and another aborted: Atomicity and the auxiliary conjuncts "
                   "below form an inductive invariant of every step of §7-§9 over a lossy, "
                   "duplicating, reordering network with coordinator crashes."),
        obligations=tuple(invariant_obligations(SYSTEM, INVARIANT, ATOMICITY)),
        negative_controls=(
            step_control("prepared participant aborts alone on timeout (§7.4.2 broken): "
                         "one step from an invariant state breaks Atomicity",
                         SYSTEM, INVARIANT, BROKEN_TIMEOUT, ATOMICITY),
            bounded_control("coordinator counts a NO as a YES (§8.3 broken): "
                            "a run from the initial state breaks Atomicity",
                            SYSTEM.with_action("ReceiveNo", BROKEN_NO), 5, ATOMICITY),
            bounded_control("resubmission without the durable guard (§8.1.1 broken): "
                            "a run from the initial state breaks Atomicity",
                            SYSTEM.with_action("SubmitYes", BROKEN_SUBMIT), 8, ATOMICITY),
        ),
        notes=__doc__ or "",
    )

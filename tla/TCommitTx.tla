------------------------------ MODULE TCommitTx ------------------------------
(***************************************************************************)
(* The abstract transaction commit of spec/two_phase_commit.md §11.5:      *)
(* Lamport's TCommit (Gray and Lamport, "Consensus on Transaction Commit", *)
(* 2006) once per transaction, each over that transaction's own resource   *)
(* managers.  Nothing here knows about messages, logs, coordinators,       *)
(* crashes or locks: it says only which changes of the participants'       *)
(* states are allowed, and that they never disagree on the outcome.        *)
(*                                                                         *)
(* TwoPhaseCommit refines it: its rmState (derived from the shards' logs)  *)
(* is substituted for the variable below, and TLC checks                   *)
(* TwoPhaseCommit!TCommitRefinement (= this module's Spec) in              *)
(* TwoPhaseCommit.ci.cfg.                                                  *)
(*                                                                         *)
(* Transactions are independent here: a step changes one participant of   *)
(* one transaction.  (Competition for agents is the implementation's       *)
(* concern; from this level it only looks like some transactions abort.)   *)
(*                                                                         *)
(* Config TCommitTx.ci.cfg: RM = {r1, r2, r3}, Tx = {t1, t2}, every        *)
(* transaction over all three RMs, SYMMETRY over both sets of model        *)
(* values.  Sound: Part maps every t to the whole of RM, so permuting RMs  *)
(* or transactions maps Part to itself, and every property checked         *)
(* (TCTypeOK, TCConsistent) is invariant under both.  TLC 2.15, 2 workers: *)
(* 147 distinct states (811 generated, depth 13) with the symmetry; 1156   *)
(* (= 34 * 34: Lamport's TCommit has 34 states at 3 RMs) without it.      *)
(* The symmetry is NOT sound in TwoPhaseCommit's configs: there Home,      *)
(* Legs and Genesis tell shards, agents and transactions apart.            *)
(***************************************************************************)
EXTENDS FiniteSets, TLC

CONSTANTS
    RM,     \* every resource manager (in TwoPhaseCommit: the shards)
    Tx,     \* the transactions
    Part    \* Part[t] \subseteq RM: the participants of t

ASSUME Part \in [Tx -> SUBSET RM]

VARIABLE rmState   \* rmState[t][r], for r \in Part[t]

States == {"working", "prepared", "committed", "aborted"}

TCTypeOK == rmState \in [Tx -> UNION {[Part[t] -> States] : t \in Tx}]
            /\ \A t \in Tx : DOMAIN rmState[t] = Part[t]

TCInit == rmState = [t \in Tx |-> [r \in Part[t] |-> "working"]]

\* t may commit once every participant has promised to (prepared) or done so.
CanCommit(t) == \A r \in Part[t] : rmState[t][r] \in {"prepared", "committed"}
\* t may abort as long as no participant has committed it.
NotCommitted(t) == \A r \in Part[t] : rmState[t][r] # "committed"

\* r promises to commit t if told to.
Prepare(t, r) == /\ rmState[t][r] = "working"
                 /\ rmState' = [rmState EXCEPT ![t][r] = "prepared"]

\* r learns the outcome of t: commit (only if every participant prepared),
\* or abort (from working or prepared, only while nobody committed).
Decide(t, r) == \/ /\ rmState[t][r] = "prepared"
                   /\ CanCommit(t)
                   /\ rmState' = [rmState EXCEPT ![t][r] = "committed"]
                \/ /\ rmState[t][r] \in {"working", "prepared"}
                   /\ NotCommitted(t)
                   /\ rmState' = [rmState EXCEPT ![t][r] = "aborted"]

\* Every participant knows the outcome: nothing is left to do.  A stuttering
\* step, so that TLC does not report the end of every run as a deadlock.
Done == /\ \A t \in Tx : \A r \in Part[t] : rmState[t][r] \in {"committed", "aborted"}
        /\ UNCHANGED rmState

TCNext == \/ \E t \in Tx : \E r \in Part[t] : Prepare(t, r) \/ Decide(t, r)
          \/ Done

Spec == TCInit /\ [][TCNext]_rmState

\* No transaction has one participant committed and another aborted.
TCConsistent == \A t \in Tx : \A r1, r2 \in Part[t] :
                    ~ (rmState[t][r1] = "aborted" /\ rmState[t][r2] = "committed")

\* Every transaction over every RM (for the config with symmetry).
FullParticipation == [t \in Tx |-> RM]
\* The symmetry of that config: any permutation of RMs, of transactions.
Symmetry == Permutations(RM) \cup Permutations(Tx)
=============================================================================

-------------------------------- MODULE Demo --------------------------------
(***************************************************************************)
(* A bounded FIFO channel between producers and consumers.                 *)
(*                                                                         *)
(* Why it is here: it is the smallest real protocol that exercises every   *)
(* piece of the TLC tooling (tla/tlc.py, tla/trace.py): records, functions *)
(* and sequences in the state, parameterised actions, a type invariant, a  *)
(* safety invariant, a liveness property, and a refutable claim used as a  *)
(* negative control.  It is not part of the ledger.                        *)
(*                                                                         *)
(* Each producer p sends the items [from |-> p, n |-> 1], [from |-> p,     *)
(* n |-> 2], ... up to MaxItems, in that order, into one shared buffer of  *)
(* at most Capacity items.  Any consumer may take the item at the head of  *)
(* the buffer.  The state stays small however long a run is (counters, not *)
(* logs), so that implementation traces of thousands of steps stay small.  *)
(*                                                                         *)
(* Configs (tla/README.md explains the naming):                            *)
(*   Demo.ci.cfg        2 producers, 2 consumers, Capacity 2, MaxItems 2:  *)
(*                      TypeOK, Safety, Delivery all hold.                 *)
(*   Demo.broken.cfg    negative control: TLC refutes NeverFull.           *)
(*   Demo.deep.cfg      3 producers, 3 consumers, Capacity 3, MaxItems 6;  *)
(*                      run by hand.  TLC 2.15, 2 workers, 2 cores (shared *)
(*                      with other jobs), 2026-11-21: success, 1,660,007   *)
(*                      states generated, 435,877 distinct, depth 37,      *)
(*                      144 s.                                             *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS
    Producers,  \* the set of producer identities
    Consumers,  \* the set of consumer identities
    Capacity,   \* the most items the buffer holds at once
    MaxItems    \* how many items each producer sends in total

ASSUME /\ Capacity \in Nat \ {0}
       /\ MaxItems \in Nat

VARIABLES
    buffer,     \* the items in transit, oldest first
    sent,       \* sent[p]: how many items producer p has put into the buffer
    delivered,  \* delivered[p]: how many of p's items consumers have taken
    taken       \* taken[c]: how many items consumer c has taken

vars == <<buffer, sent, delivered, taken>>

\* The items a producer can ever send.
Item == [from : Producers, n : 1..MaxItems]

-----------------------------------------------------------------------------

\* Nothing in transit, nothing sent, nothing taken.
Init == /\ buffer = <<>>
        /\ sent = [p \in Producers |-> 0]
        /\ delivered = [p \in Producers |-> 0]
        /\ taken = [c \in Consumers |-> 0]

\* Producer p appends its next item to the buffer, if the buffer has room and
\* p has not sent all its items yet.
Produce(p) == /\ sent[p] < MaxItems
              /\ Len(buffer) < Capacity
              /\ buffer' = Append(buffer, [from |-> p, n |-> sent[p] + 1])
              /\ sent' = [sent EXCEPT ![p] = @ + 1]
              /\ UNCHANGED <<delivered, taken>>

\* Consumer c removes the oldest item from the buffer.
Consume(c) == /\ buffer /= <<>>
              /\ buffer' = Tail(buffer)
              /\ delivered' = [delivered EXCEPT ![Head(buffer).from] = @ + 1]
              /\ taken' = [taken EXCEPT ![c] = @ + 1]
              /\ UNCHANGED sent

\* Everything has been sent and taken: the system stops (a stuttering step,
\* so that the end of the run is not reported as a deadlock).
Done == /\ \A p \in Producers : sent[p] = MaxItems
        /\ buffer = <<>>
        /\ UNCHANGED vars

Next == \/ \E p \in Producers : Produce(p)
        \/ \E c \in Consumers : Consume(c)
        \/ Done

\* Weak fairness on every action: a producer that can send eventually does,
\* and a waiting item is eventually taken by someone.
Fairness == /\ \A p \in Producers : WF_vars(Produce(p))
            /\ WF_vars(\E c \in Consumers : Consume(c))

Spec == Init /\ [][Next]_vars /\ Fairness

-----------------------------------------------------------------------------

TypeOK == /\ buffer \in Seq(Item)
          /\ Len(buffer) <= Capacity
          /\ sent \in [Producers -> 0..MaxItems]
          /\ delivered \in [Producers -> 0..MaxItems]
          /\ taken \in [Consumers -> Nat]

\* The sum of f[x] over the x in S.
RECURSIVE Sum(_, _)
Sum(f, S) == IF S = {} THEN 0
             ELSE LET x == CHOOSE y \in S : TRUE IN f[x] + Sum(f, S \ {x})

\* The items of producer p that are still in the buffer, oldest first.
InTransit(p) == LET IsFromP(i) == i.from = p IN SelectSeq(buffer, IsFromP)

\* Safety, exactly once and in order: the buffer holds precisely the items p
\* has sent and nobody has taken yet, in sending order (nothing lost, nothing
\* duplicated, nothing invented, nothing overtaken); and every item taken was
\* taken by exactly one consumer.
ExactlyOnceInOrder ==
    \A p \in Producers :
        InTransit(p) = [k \in 1..(sent[p] - delivered[p]) |->
                            [from |-> p, n |-> delivered[p] + k]]

Conservation == Sum(taken, Consumers) = Sum(delivered, Producers)

Safety == ExactlyOnceInOrder /\ Conservation

\* Liveness: every item is eventually delivered.
Delivery == <>(/\ \A p \in Producers : sent[p] = MaxItems
               /\ buffer = <<>>)

\* A false claim, for the negative control: "producers never find the buffer
\* full".  TLC refutes it with a run of Capacity Produce steps.
NeverFull == Len(buffer) < Capacity

=============================================================================

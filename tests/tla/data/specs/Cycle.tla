---- MODULE Cycle ----
\* A counter modulo 3 and a flag: its state graph has cycles, so a refuted
\* liveness property yields a lasso ("Back to state") counterexample.
EXTENDS Naturals
VARIABLES x, y
Init == x = 0 /\ y = "a"
\* Count up modulo 3.
Inc == x' = (x + 1) % 3 /\ UNCHANGED y
\* Toggle the flag.
Flip == y' = (IF y = "a" THEN "b" ELSE "a") /\ UNCHANGED x
Next == Inc \/ Flip
\* Only Inc is fair, so a behaviour may never Flip.
Spec == Init /\ [][Next]_<<x, y>> /\ WF_<<x, y>>(Inc)
\* No fairness at all: a behaviour may stop.
Unfair == Init /\ [][Next]_<<x, y>>
EventuallyB == <>(y = "b")
====

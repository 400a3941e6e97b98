---- MODULE Counter ----
\* Counts to N and stops: a deadlock unless TLC is told not to check for one.
EXTENDS Naturals
CONSTANT N
ASSUME N > 0
VARIABLE x
Init == x = 0
\* Count up to N.
Next == x < N /\ x' = x + 1
\* Wrong on purpose: refuted once x reaches 4.
Small == x < 4
====

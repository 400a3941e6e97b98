---- MODULE Values ----
\* One variable of every kind of value TLC prints; Inv fails in the initial state.
EXTENDS Integers, Sequences, TLC, FiniteSets
CONSTANT M1, M2
VARIABLES a, b, c, d, e, f, g, h, i, j, k, l
Init == /\ a = "q\"uo\\te\nnl\ttab"
        /\ b = -5
        /\ c = {{1, 2}, {}, {M1}}
        /\ d = [r |-> <<1, "x">>, s |-> {TRUE, FALSE}]
        /\ e = (0 :> "z" @@ 1 :> "o")
        /\ f = [n \in 1..30 |-> [val |-> n * 1000000, name |-> "some long name here"]]
        /\ g = 2..5
        /\ h = [x \in {"a", "b"} |-> x]
        /\ i = [ {1,2} -> {3} ]
        /\ j = SUBSET {1, 2}
        /\ k = <<>>
        /\ l = ({1,2} :> M2 @@ {3} :> [q |-> 1])
Next == UNCHANGED <<a, b, c, d, e, f, g, h, i, j, k, l>>
Inv == b > 0
====

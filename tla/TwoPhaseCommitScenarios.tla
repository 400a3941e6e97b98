----------------------- MODULE TwoPhaseCommitScenarios -----------------------
(***************************************************************************)
(* The constant values of the TwoPhaseCommit configs.                      *)
(*                                                                         *)
(* Why a module: a TLC config file can write numbers, strings, model      *)
(* values and sets of them, but not functions or records, and Home, Legs   *)
(* and Genesis are functions.  A config substitutes them by name, e.g.     *)
(* `Home <- CI_Home`; TwoPhaseCommit EXTENDS this module only so that the  *)
(* names are in scope.  Nothing here is part of the protocol.              *)
(*                                                                         *)
(* The leg sequences are in canonical order by assumption (in the          *)
(* implementation: ascending AgentId, computed in Python).  Agent names    *)
(* are chosen so that alphabetical order is that order; the model relies   *)
(* only on the sequence order, never on the names.                         *)
(***************************************************************************)

Debit(a, amount, n) == [agent |-> a, kind |-> "debit", amount |-> amount, nonce |-> n]
Credit(a, amount) == [agent |-> a, kind |-> "credit", amount |-> amount, nonce |-> 0]

-----------------------------------------------------------------------------
(* CI: three shards, two transactions that compete for the lock on bob.   *)
(*   t1: alice (shard 0) pays bob (shard 1) 2;   coordinator 0            *)
(*   t2: carol (shard 2) pays bob 1;  its first leg is a credit, so its    *)
(*       coordinator is carol's shard 2, not the first leg's shard 1.      *)
CI_Shards == {0, 1, 2}
CI_Agents == {"alice", "bob", "carol"}
CI_Home == [a \in CI_Agents |-> CASE a = "alice" -> 0 [] a = "bob" -> 1 [] a = "carol" -> 2]
CI_Tx == {"t1", "t2"}
CI_Legs == [t \in CI_Tx |->
              IF t = "t1" THEN <<Debit("alice", 2, 1), Credit("bob", 2)>>
                          ELSE <<Credit("bob", 1), Debit("carol", 1, 1)>>]
CI_Genesis == [a \in CI_Agents |-> IF a = "bob" THEN 0 ELSE 2]

-----------------------------------------------------------------------------
(* Liveness: two shards.  t1: alice (shard 0) pays bob (shard 1) 1;       *)
(* t2: bob pays dave, both on shard 1, so t2 has one participant and its   *)
(* coordinator decides at once (§8.1.2).  They compete for bob's lock.    *)
Live_Shards == {0, 1}
Live_Agents == {"alice", "bob", "dave"}
Live_Home == [a \in Live_Agents |-> IF a = "alice" THEN 0 ELSE 1]
Live_Tx == {"t1", "t2"}
Live_Legs == [t \in Live_Tx |->
                IF t = "t1" THEN <<Debit("alice", 1, 1), Credit("bob", 1)>>
                            ELSE <<Debit("bob", 1, 1), Credit("dave", 1)>>]
Live_Genesis == [a \in Live_Agents |-> IF a = "dave" THEN 0 ELSE 1]

-----------------------------------------------------------------------------
(* Deep: five shards, one agent each (a0 on shard 0, ..., a4 on shard 4),  *)
(* three transactions, every shard a participant of at least one:          *)
(*   t1: a0 pays a1 1    participants 0, 1; coordinator 0                  *)
(*   t2: a2 pays a1 1    participants 1, 2; coordinator 2                  *)
(*   t3: a3 pays a4 1    participants 3, 4; coordinator 3                  *)
(* t1 and t2 compete for a1 (t2's first leg is a1's credit, so its         *)
(* coordinator is not its first leg's shard); t3 runs beside them.         *)
Deep_Shards == {0, 1, 2, 3, 4}
Deep_Agents == {"a0", "a1", "a2", "a3", "a4"}
Deep_Home == [a \in Deep_Agents |->
                CASE a = "a0" -> 0 [] a = "a1" -> 1 [] a = "a2" -> 2 [] a = "a3" -> 3 [] a = "a4" -> 4]
Deep_Tx == {"t1", "t2", "t3"}
Deep_Legs == [t \in Deep_Tx |->
                CASE t = "t1" -> <<Debit("a0", 1, 1), Credit("a1", 1)>>
                  [] t = "t2" -> <<Credit("a1", 1), Debit("a2", 1, 1)>>
                  [] t = "t3" -> <<Debit("a3", 1, 1), Credit("a4", 1)>>]
Deep_Genesis == [a \in Deep_Agents |-> 1]
Deep_Order == <<"t1", "t2", "t3">>   \* the order the deep config starts them in
=============================================================================

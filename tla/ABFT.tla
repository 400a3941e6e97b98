-------------------------------- MODULE ABFT --------------------------------
(***************************************************************************)
(* aBFT virtual voting over a gossip DAG: the Swirlds hashgraph in its     *)
(* stake-weighted form, as normative in spec/abft.md (clauses cited §N.M). *)
(*                                                                         *)
(* Members gossip events.  Honest members build one self-parent chain;     *)
(* forking members may build on any of their earlier events (§3.3).  Each  *)
(* member's VIEW is the set of events it knows, closed under parents       *)
(* (§2.2.4); every consensus quantity is evaluated on a view, as §1.1      *)
(* says: "from its own copy of the DAG and from nothing else".             *)
(*                                                                         *)
(* Abstractions (docs/abft-model.md explains each):                        *)
(* - An event is a record [creator, sp, op, ts, sig, hash]; its id is its  *)
(*   position in `events` (creation order, hence parents-first).  sp/op    *)
(*   are parent ids, 0 for a parentless event (§12.10).                    *)
(* - Signatures are not verified (§2.2.2 is the crypto layer's job): a     *)
(*   member cannot forge, which the model enforces by construction (only   *)
(*   m's actions create events whose creator is m).  What consensus READS  *)
(*   of a signature is kept exactly: `sig` is the signature's byte string  *)
(*   (SignatureLength bytes, 64 for Ed25519), the coin is the least        *)
(*   significant bit of byte Len(sig) \div 2 (0-based, §6.3), and the      *)
(*   whitened signature is the bytewise XOR (defined below) compared as a  *)
(*   big-endian integer, i.e. lexicographically (§7.3).  A trace carries   *)
(*   the real 64 bytes or a projection that keeps the coin and the order   *)
(*   (reference/abft/trace.py); model checking uses 2-byte signatures.     *)
(* - The event hash (§2.1) is an opaque byte string, distinct per event.   *)
(*   A trace carries the real 32 bytes or their shortest distinguishing    *)
(*   prefix (same order); model checking uses <<id>>.                      *)
(* - Timestamps are any naturals (§12.12: never validated).  TLC integers  *)
(*   are 32-bit, so a trace may carry an order-preserving projection of    *)
(*   the real timestamps (consensus only selects and compares them).       *)
(*                                                                         *)
(* Efficiency: §3-§6.3 depend only on an event's ancestors, never on the   *)
(* view that holds it, so they are computed once per evaluation, bottom-up *)
(* over ids (DagFacts, the method of §4.3), and passed as `T` to the       *)
(* view-level operators of §6.4-§7.4.  The literal, recursive definitions  *)
(* of §3-§6.2 are here too (Ancestor ... Vote); the invariant              *)
(* FactsMatchDefinitions checks that the tables equal them.  TLC idioms:  *)
(* TLCEval forces a function built by [x \in S |-> e] (TLC otherwise       *)
(* re-evaluates e at every application), and \E T \in {DagFacts} binds a   *)
(* value once (TLC re-evaluates a LET definition in Next at each use).     *)
(*                                                                         *)
(* Configs (TLC 2.15, 2 workers, idle 2-core machine, wall time):        *)
(*   ABFT.ci.cfg          GossipSpec; a, b honest (stake 3 each), f forking *)
(*                        (stake 1 < S/3); <= 7 events: 5,243 distinct     *)
(*                        states, depth 5, 14 s                             *)
(*   ABFT.ci-reach.cfg    same bounds; TLC refutes NeverDecided, 5 s        *)
(*   ABFT.defs.cfg        tables = literal definitions, <= 6 events: 459    *)
(*                        distinct states, 13 s                             *)
(*   ABFT.fine.cfg        Spec (one event learnt per step), <= 3 events:    *)
(*                        1,137 distinct states, depth 10, 9 s              *)
(*   ABFT.forks-third.cfg negative control: f holds 2 of 4 (> S/3),        *)
(*                        steered (Partitioned); TLC finds honest a and b   *)
(*                        disagreeing on fame at depth 26 (328 states), 11 s*)
(*   ABFT.forks-below.cfg the same steering, f holds 1 of 5 (< S/3):       *)
(*                        holds; 383 distinct states, depth 26, 15 s        *)
(*   ABFT.coin.cfg        GossipSpec steered to coin rounds (CoinSteered):  *)
(*                        4 equal members, 25 events, <= 1 event off the    *)
(*                        script's partners: 484 distinct states, depth    *)
(*                        22, 14 s                                          *)
(*   ABFT.coin-flipped.cfg the same with every coin flipped: 484, 14 s      *)
(*   ABFT.coin-reach.cfg  the script: TLC refutes NeverCoin, 2 s            *)
(*   ABFT.coin-decided-reach.cfg  flipped coins: TLC refutes               *)
(*                        NeverRecordedPastCoin, 3 s                        *)
(*   ABFT.coin-fork.cfg   the script with d forking at will (stake 1/4),   *)
(*                        23 events: 523 distinct states, depth 20, 26 s   *)
(*                        (machine busy)                                    *)
(*   ABFT.coin-fork-reach.cfg  TLC refutes NeverCoinAmidForks, 3 s         *)
(*   ABFT.defs.deep.cfg   tables = literal definitions, <= 7 events (with   *)
(*   (by hand)            decisions): 5,243 distinct states, 145 s          *)
(*   ABFT.coin.deep.cfg   ABFT.coin.cfg with <= 2 events off the script:   *)
(*   (by hand)            6,644 distinct states, depth 22, 3 min 6 s        *)
(*   ABFT.coin-fork.deep.cfg  ABFT.coin-fork.cfg at 25 events: 3,979       *)
(*   (by hand)            distinct states, depth 22, 113 s (1 worker, busy) *)
(*   ABFT.deep.cfg        GossipSpec as ci, <= 9 events (round 2 decided,   *)
(*   (by hand)            events ordered: NeverOrdered is refuted at these  *)
(*                        bounds): 1,273,243 distinct states, depth 7,      *)
(*                        23 min 18 s, no violation                         *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets, TLC

CONSTANTS
    Members,          \* the member identities (strings)
    Stake,            \* Stake[m] >= 1: m's stake (§1.2)
    Forking,          \* the members that may fork; the others are honest
    CoinPeriod,       \* §1.4, > 2
    SignatureLength,  \* bytes in a signature (64 for Ed25519)
    \* Used only by Next, i.e. by model checking (a trace names its values):
    Timestamps,       \* the timestamps a creator may choose
    Signatures,       \* the signatures an event may carry
    MaxEvents         \* the state constraint's bound on the DAG size

ASSUME /\ Stake \in [Members -> Nat \ {0}]
       /\ Forking \subseteq Members
       /\ CoinPeriod \in Nat /\ CoinPeriod > 2
       /\ SignatureLength \in Nat \ {0}

VARIABLES
    events,     \* events[i]: the i-th event created (ids are positions)
    view,       \* view[m]: the ids of the events m knows (its DAG, §2.3)
    decided,    \* decided[m]: witness id -> fame, the decisions m recorded
    delivered   \* delivered[m]: the consensus order m has output so far

vars == <<events, view, decided, delivered>>

Honest == Members \ Forking
None == 0                       \* "no parent"
Ids == 1 .. Len(events)
Creator(x) == events[x].creator
Parents(x) == IF events[x].sp = None THEN {} ELSE {events[x].sp, events[x].op}

-----------------------------------------------------------------------------
(* Arithmetic helpers (TLC 2.15 has no CommunityModules).                  *)

Max(S) == CHOOSE n \in S : \A k \in S : k <= n
Min(S) == CHOOSE n \in S : \A k \in S : n <= k

RECURSIVE SumStake(_)
SumStake(M) == IF M = {} THEN 0
               ELSE LET m == CHOOSE x \in M : TRUE IN Stake[m] + SumStake(M \ {m})

TotalStake == SumStake(Members)                                   \* S, §1.2

\* §1.3: integer arithmetic only.
Supermajority(M) == 3 * SumStake(M) > 2 * TotalStake
Creators(E) == {Creator(x) : x \in E}
\* §1.3: the stake of a set of events is the stake of their creators.
StakeOfEvents(E) == SumStake(Creators(E))

\* Byte strings: sequences of integers in 0..255.
IsBytes(s) == s \in [1 .. Len(s) -> 0 .. 255]

\* Bitwise XOR of two bytes, from their bits.
RECURSIVE XorBits(_, _)
XorBits(a, b) == IF a = 0 /\ b = 0 THEN 0
                 ELSE 2 * XorBits(a \div 2, b \div 2) + ((a + b) % 2)
NibbleXor == TLCEval([a \in 0 .. 15, b \in 0 .. 15 |-> XorBits(a, b)])
XorByte(a, b) == 16 * NibbleXor[a \div 16, b \div 16] + NibbleXor[a % 16, b % 16]
XorBytes(s, t) == TLCEval([i \in 1 .. Len(s) |-> XorByte(s[i], t[i])])

\* s < t as big-endian integers of equal length = lexicographically.
RECURSIVE LexLessFrom(_, _, _)
LexLessFrom(s, t, i) == IF i > Len(s) THEN FALSE
                        ELSE IF s[i] /= t[i] THEN s[i] < t[i]
                        ELSE LexLessFrom(s, t, i + 1)
BytesLess(s, t) == IF Len(s) /= Len(t) THEN Len(s) < Len(t) ELSE LexLessFrom(s, t, 1)

\* §6.3: the least significant bit of byte len/2 (0-based) of y's signature.
Coin(y) == events[y].sig[Len(events[y].sig) \div 2 + 1] % 2 = 1

HashLess(x, y) == BytesLess(events[x].hash, events[y].hash)

IsPrefixOf(s, t) == Len(s) <= Len(t) /\ \A i \in 1 .. Len(s) : s[i] = t[i]
Compatible(s, t) == IsPrefixOf(s, t) \/ IsPrefixOf(t, s)

-----------------------------------------------------------------------------
(* §3-§6.2, literally.  Recursive and slow: used to check DagFacts, never  *)
(* by the actions.                                                         *)

\* §3.1: y is an ancestor of x; every event is its own ancestor (§12.1).
RECURSIVE Ancestors(_)
Ancestors(x) == {x} \cup UNION {Ancestors(p) : p \in Parents(x)}
Ancestor(y, x) == y \in Ancestors(x)

\* §3.2: the self-ancestors of x (x included, §12.1).
RECURSIVE SelfAncestors(_)
SelfAncestors(x) == {x} \cup (IF events[x].sp = None THEN {} ELSE SelfAncestors(events[x].sp))
SelfAncestor(y, x) == y \in SelfAncestors(x)

\* §3.3: a fork.
Fork(a, b) == /\ a /= b
              /\ Creator(a) = Creator(b)
              /\ ~SelfAncestor(a, b)
              /\ ~SelfAncestor(b, a)

ForkBy(E, c) == \E a, b \in E : Creator(a) = c /\ Fork(a, b)

\* §4.1: x sees y.
Sees(x, y) == Ancestor(y, x) /\ ~ForkBy(Ancestors(x), Creator(y))

\* §4.2: x strongly sees y.  "There is a set Z" of events x sees that see y,
\* with supermajority creators: some such Z exists iff the largest one
\* qualifies (a superset has at least the same creators).  x may be in Z
\* (§12.2).
StronglySees(x, y) ==
    /\ Sees(x, y)
    /\ Supermajority(Creators({z \in Ancestors(x) : Sees(x, z) /\ Sees(z, y)}))

\* §5.1 and §5.2.  The round-r witnesses that decide x's round are among its
\* ancestors other than x itself: x is not in round r when it advances.
RECURSIVE Round(_), Witness(_)
Round(x) ==
    IF Parents(x) = {} THEN 1                                     \* §12.4
    ELSE LET r == Max({Round(p) : p \in Parents(x)})
             W == {w \in Ancestors(x) \ {x} : Witness(w) /\ Round(w) = r /\ StronglySees(x, w)}
         IN IF Supermajority(Creators(W)) THEN r + 1 ELSE r
Witness(x) == Parents(x) = {} \/ Round(x) > Round(events[x].sp)

\* §6.2: the vote of witness y about witness x (Round(y) > Round(x)), and
\* whether y decides x: the value decided, or {} when y does not decide.
RECURSIVE Vote(_, _)
Ballot(y, x) ==   \* [vote, decision] of y about x
    LET d == Round(y) - Round(x) IN
    IF d = 1 THEN [vote |-> Sees(y, x), decision |-> {}]          \* §12.5
    ELSE LET W   == {w \in Ancestors(y) : Witness(w) /\ Round(w) = Round(y) - 1
                                            /\ StronglySees(y, w)}
             yes == StakeOfEvents({w \in W : Vote(w, x)})
             no  == StakeOfEvents({w \in W : ~Vote(w, x)})
             v   == yes >= no                                     \* §12.6
             t   == IF yes >= no THEN yes ELSE no
             strong == 3 * t > 2 * TotalStake
         IN IF d % CoinPeriod /= 0
            THEN [vote |-> v, decision |-> IF strong THEN {v} ELSE {}]
            ELSE [vote |-> IF strong THEN v ELSE Coin(y), decision |-> {}]   \* §6.3
Vote(y, x) == Ballot(y, x).vote
Decides(y, x) == Ballot(y, x).decision

-----------------------------------------------------------------------------
(* The same facts, bottom-up over ids (§4.3).  Fact(F, k) needs F[i] for   *)
(* i < k only: parents have smaller ids.                                   *)
(*   anc     ancestors of k (§3.1)       self    self-ancestors (§3.2)     *)
(*   forked  creators with a fork among anc (§3.3)                         *)
(*   latest  latest[c]: the latest event by c in anc, when c has events    *)
(*           there and no fork; None otherwise (§4.3)                      *)
(*   round, witness  (§5.1, §5.2)                                          *)

SeesF(F, x, y) == y \in F[x].anc /\ Creator(y) \notin F[x].forked                  \* §4.1
StronglySeesF(F, x, y) ==                                                          \* §4.3
    /\ SeesF(F, x, y)
    /\ Supermajority({c \in Members : F[x].latest[c] /= None /\ y \in F[F[x].latest[c]].anc})

Fact(F, k) ==
  LET c == Creator(k) IN
  IF events[k].sp = None
  THEN [anc |-> {k}, self |-> {k}, forked |-> {},
        latest |-> TLCEval([m \in Members |-> IF m = c THEN k ELSE None]),
        round |-> 1, witness |-> TRUE]
  ELSE
  LET P == F[events[k].sp]
      Q == F[events[k].op]
      self == {k} \cup P.self
      Chain(a, b) == a = None \/ b = None \/ a \in F[b].self \/ b \in F[a].self
      Later(a, b) == IF a = None THEN b ELSE IF b = None THEN a
                     ELSE IF a \in F[b].self THEN b ELSE a
      \* c forks here if q's ancestors hold a c-event off k's self-chain.
      forked == P.forked \cup Q.forked
                \cup {m \in Members \ {c} : ~Chain(P.latest[m], Q.latest[m])}
                \cup (IF Q.latest[c] /= None /\ Q.latest[c] \notin self THEN {c} ELSE {})
      latest == TLCEval([m \in Members |-> IF m \in forked THEN None
                                           ELSE IF m = c THEN k
                                           ELSE Later(P.latest[m], Q.latest[m])])
      anc == {k} \cup P.anc \cup Q.anc
      AncOf(z) == IF z = k THEN anc ELSE F[z].anc
      StronglySeesK(y) ==
          /\ y \in anc /\ Creator(y) \notin forked
          /\ Supermajority({m \in Members : latest[m] /= None /\ y \in AncOf(latest[m])})
      r == IF P.round >= Q.round THEN P.round ELSE Q.round
      W == {w \in anc \ {k} : F[w].witness /\ F[w].round = r /\ StronglySeesK(w)}
      round == IF Supermajority(Creators(W)) THEN r + 1 ELSE r
  IN [anc |-> anc, self |-> self, forked |-> forked, latest |-> latest,
      round |-> round, witness |-> round > P.round]

RECURSIVE FactsUpTo(_)
FactsUpTo(k) == IF k = 0 THEN <<>>
                ELSE LET F == FactsUpTo(k - 1) IN Append(F, Fact(F, k))

\* The voters y tallies (§6.2): the previous round's witnesses it strongly
\* sees; and the stake of those voting v about x.
VotersOf(F, y) ==
    {w \in F[y].anc : F[w].witness /\ F[w].round = F[y].round - 1 /\ StronglySeesF(F, y, w)}
StakeVoting(B, W, x, v) == StakeOfEvents({w \in W : B[w][x].vote = v})

\* §6.2 bottom-up: B[y][x] = [vote, decision] of witness y about every
\* witness x of a lower round, in the whole DAG (x need not be an ancestor
\* of y: that is how a late witness is decided not famous).
BallotRow(F, B, y) ==
  IF ~F[y].witness THEN [x \in {} |-> [vote |-> FALSE, decision |-> {}]]
  ELSE
  LET j == F[y].round
      W == VotersOf(F, y)
      Lower == {x \in DOMAIN F : F[x].witness /\ F[x].round < j}
  IN TLCEval([x \in Lower |->
        IF j - F[x].round = 1 THEN [vote |-> SeesF(F, y, x), decision |-> {}]
        ELSE LET yes == StakeVoting(B, W, x, TRUE)
                 no  == StakeVoting(B, W, x, FALSE)
                 v   == yes >= no
                 t   == IF yes >= no THEN yes ELSE no
                 strong == 3 * t > 2 * TotalStake
             IN IF (j - F[x].round) % CoinPeriod /= 0
                THEN [vote |-> v, decision |-> IF strong THEN {v} ELSE {}]
                ELSE [vote |-> IF strong THEN v ELSE Coin(y), decision |-> {}]])

RECURSIVE BallotsUpTo(_, _)
BallotsUpTo(F, k) == IF k = 0 THEN <<>>
                     ELSE LET B == BallotsUpTo(F, k - 1) IN Append(B, BallotRow(F, B, k))

\* Everything §3-§6.2 says about the DAG of all events created so far.
DagFacts == LET F == FactsUpTo(Len(events)) IN [f |-> F, b |-> BallotsUpTo(F, Len(events))]

-----------------------------------------------------------------------------
(* §6.4-§7.4 on a view V (a set of ids closed under parents).  T is        *)
(* DagFacts.  A fame or decision is {} (undecided), {TRUE} or {FALSE}.     *)

WitnessesIn(T, V) == {w \in V : T.f[w].witness}

\* §6.4: the deciders of x in V; the lowest round counts, then the
\* smallest hash.
Fame(T, V, x) ==
  LET D == {y \in V : T.f[y].witness /\ T.f[y].round > T.f[x].round /\ T.b[y][x].decision /= {}}
  IN IF D = {} THEN {}
     ELSE LET r0 == Min({T.f[y].round : y \in D})
              first == CHOOSE y \in D : /\ T.f[y].round = r0
                                        /\ \A z \in D : T.f[z].round = r0 => ~HashLess(z, y)
          IN T.b[first][x].decision

\* §6.5: fame is the function witness -> Fame of V's witnesses.  Only rounds
\* that hold a witness of V count (a round with none would be "decided"
\* vacuously, but no round received can be one: §7.1.2).
RoundDecided(T, V, fame, r) == \A w \in DOMAIN fame : T.f[w].round = r => fame[w] /= {}
LastDecidedRound(T, V, fame) ==
  LET R == {T.f[w].round : w \in DOMAIN fame}
      Ok == {r \in R : \A q \in 1 .. r : RoundDecided(T, V, fame, q)}
  IN IF Ok = {} THEN 0 ELSE Max(Ok)

\* §6.6
UniqueFamousWitnesses(T, fame, r) ==
  LET Famous == {w \in DOMAIN fame : T.f[w].round = r /\ fame[w] = {TRUE}}
  IN {w \in Famous : \A u \in Famous \ {w} : Creator(u) /= Creator(w)}

\* §7.1: ufw[r] for r in 1..last; 0 stands for null.
RoundReceived(T, ufw, x) ==
  LET R == {r \in DOMAIN ufw : ufw[r] /= {} /\ \A w \in ufw[r] : x \in T.f[w].anc}
  IN IF R = {} THEN 0 ELSE Min(R)

\* §7.2: per unique famous witness w of round r, the earliest self-ancestor
\* of w that has x as an ancestor; the upper median of their timestamps.
EarliestReaching(T, w, x) ==
  LET S == {s \in T.f[w].self : x \in T.f[s].anc}
  IN CHOOSE s \in S : \A t \in S : s \in T.f[t].self     \* a self-ancestor of all the others
ConsensusTimestamp(T, ufw, r, x) ==
  LET U == ufw[r]
      ts == [w \in U |-> events[EarliestReaching(T, w, x)].ts]
      k == Cardinality(U) \div 2          \* 0-based index in the sorted list
      \* the k-th smallest: the least t with more than k entries <= t
      AtMost(t) == Cardinality({w \in U : ts[w] <= t})
  IN Min({t \in {ts[w] : w \in U} : AtMost(t) > k})

\* §7.3
\* XOR is associative and commutative: fold the set in any order.
RECURSIVE XorOfSignatures(_)
XorOfSignatures(U) ==
    LET w == CHOOSE u \in U : TRUE IN
    IF U = {w} THEN events[w].sig ELSE XorBytes(events[w].sig, XorOfSignatures(U \ {w}))
RoundWhitener(ufw, r) == XorOfSignatures(ufw[r])
WhitenedSignature(whitener, rr, x) == XorBytes(events[x].sig, whitener[rr[x]])

\* §7.4: (round received, consensus timestamp, whitened signature, hash).
OrderedBefore(x, y, rr, cts, ws) ==
  \/ rr[x] < rr[y]
  \/ rr[x] = rr[y] /\ cts[x] < cts[y]
  \/ rr[x] = rr[y] /\ cts[x] = cts[y] /\ BytesLess(ws[x], ws[y])
  \/ rr[x] = rr[y] /\ cts[x] = cts[y] /\ ws[x] = ws[y] /\ HashLess(x, y)

\* §8.1: the consensus output of view V.
Consensus(T, V) ==
  LET fame == TLCEval([w \in WitnessesIn(T, V) |-> Fame(T, V, w)])
      last == LastDecidedRound(T, V, fame)
      ufw  == TLCEval([r \in 1 .. last |-> UniqueFamousWitnesses(T, fame, r)])
      rr0  == TLCEval([x \in V |-> RoundReceived(T, ufw, x)])
      O    == {x \in V : rr0[x] /= 0}
      rr   == TLCEval([x \in O |-> rr0[x]])
      cts  == TLCEval([x \in O |-> ConsensusTimestamp(T, ufw, rr[x], x)])
      whitener == TLCEval([r \in {rr[x] : x \in O} |-> RoundWhitener(ufw, r)])
      ws   == TLCEval([x \in O |-> WhitenedSignature(whitener, rr, x)])
      pos  == TLCEval([x \in O |-> 1 + Cardinality({y \in O : OrderedBefore(y, x, rr, cts, ws)})])
  IN [fame |-> fame, last |-> last, rr |-> rr, cts |-> cts,
      order |-> [i \in 1 .. Cardinality(O) |-> CHOOSE x \in O : pos[x] = i]]

-----------------------------------------------------------------------------
(* Actions.                                                                *)

Init == /\ events = <<>>
        /\ view = [m \in Members |-> {}]
        /\ decided = [m \in Members |-> [w \in {} |-> FALSE]]
        /\ delivered = [m \in Members |-> <<>>]

EventsBy(m) == {i \in Ids : Creator(i) = m}

\* §2.1: the fields an event carries besides its parents.  Nothing is
\* required of a timestamp (§12.12); signatures have the scheme's length;
\* hashes are distinct (collision resistance).
ValidFields(ts, sig, h) ==
    /\ ts \in Nat
    /\ IsBytes(sig) /\ Len(sig) = SignatureLength
    /\ IsBytes(h) /\ Len(h) > 0 /\ \A i \in Ids : events[i].hash /= h

\* m creates the event (its creator knows it at once).
Add(m, sp, op, ts, sig, h) ==
    /\ events' = Append(events, [creator |-> m, sp |-> sp, op |-> op, ts |-> ts,
                                 sig |-> sig, hash |-> h])
    /\ view' = [view EXCEPT ![m] = @ \cup {Len(events) + 1}]
    /\ UNCHANGED <<decided, delivered>>

\* §2.2.3, §12.10: a parentless event.  An honest member creates exactly one,
\* its first (§10.1); a forking member may create more, each forking the
\* others (§3.3).
CreateFirst(m, ts, sig, h) ==
    /\ m \in Honest => EventsBy(m) = {}
    /\ ValidFields(ts, sig, h)
    /\ Add(m, None, None, ts, sig, h)

\* §10.1: an honest member's event: self-parent its latest event, so its
\* events form one chain and never a fork (§3.3); other-parent an event by
\* another member (§2.2.5, §12.11) that m knows (§2.2.4).
HonestCreate(m, op, ts, sig, h) ==
    /\ m \in Honest
    /\ EventsBy(m) /= {}
    /\ op \in view[m] /\ Creator(op) /= m
    /\ ValidFields(ts, sig, h)
    /\ Add(m, Max(EventsBy(m)), op, ts, sig, h)

\* §1.2, §3.3, §10.1: a forking member builds on ANY of its earlier events;
\* when sp is not its latest, the new event and sp's other descendants fork.
ForkingCreate(m, sp, op, ts, sig, h) ==
    /\ m \in Forking
    /\ sp \in view[m] /\ Creator(sp) = m
    /\ op \in view[m] /\ Creator(op) /= m
    /\ ValidFields(ts, sig, h)
    /\ Add(m, sp, op, ts, sig, h)

\* §10.1, §2.2.4: gossip; m adds an event once it knows both parents, so
\* every view stays closed under parents.
Learn(m, e) ==
    /\ e \in Ids \ view[m]
    /\ Parents(e) \subseteq view[m]
    /\ view' = [view EXCEPT ![m] = @ \cup {e}]
    /\ UNCHANGED <<events, decided, delivered>>

\* §6.4: m records the fame of witness w that its view implies.
DecideWith(T, m, w, v) ==
    /\ w \in view[m] /\ w \notin DOMAIN decided[m]
    /\ T.f[w].witness
    /\ Fame(T, view[m], w) = {v}
    /\ decided' = [decided EXCEPT ![m] = (w :> v) @@ @]
    /\ UNCHANGED <<events, view, delivered>>
Decide(m, w, v) == DecideWith(DagFacts, m, w, v)

\* §7.4, §8.2: m outputs x, the next event of its view's consensus order.
DeliverWith(T, m, x) ==
    LET order == Consensus(T, view[m]).order
        n == Len(delivered[m])
    IN /\ n < Len(order)
       /\ x = order[n + 1]
       /\ delivered' = [delivered EXCEPT ![m] = Append(@, x)]
       /\ UNCHANGED <<events, view, decided>>
Deliver(m, x) == DeliverWith(DagFacts, m, x)

\* Model checking: timestamps and signatures from the constants, the hash
\* <<id>>; DagFacts is computed once per state for all the decisions.
FreshHash == <<Len(events) + 1>>

Next ==
    \/ \E m \in Members, ts \in Timestamps, sig \in Signatures :
          CreateFirst(m, ts, sig, FreshHash)
    \/ \E m \in Honest, op \in Ids, ts \in Timestamps, sig \in Signatures :
          HonestCreate(m, op, ts, sig, FreshHash)
    \/ \E m \in Forking, sp, op \in Ids, ts \in Timestamps, sig \in Signatures :
          ForkingCreate(m, sp, op, ts, sig, FreshHash)
    \/ \E m \in Members, e \in Ids : Learn(m, e)
    \/ \E T \in {DagFacts} :     \* binds DagFacts once per state (a LET is re-evaluated)
       \E m \in Members :
          \/ \E w \in view[m], v \in BOOLEAN : DecideWith(T, m, w, v)
          \/ LET order == Consensus(T, view[m]).order
                 n == Len(delivered[m])
             IN n < Len(order) /\ DeliverWith(T, m, order[n + 1])

\* The bound of model checking, and the stuttering step at the bound (so
\* that TLC does not report the end of a bounded run as a deadlock).
Bounded == Len(events) <= MaxEvents
Done == Len(events) >= MaxEvents /\ UNCHANGED vars

Spec == Init /\ [][Next \/ Done]_vars

-----------------------------------------------------------------------------
(* The simulator's gossip (§10.1) as ONE step, for exhaustive model        *)
(* checking: per-event Learn steps interleave in so many orders that no    *)
(* DAG with a decided round is reachable exhaustively.  A GossipStep is a  *)
(* sequence of steps of Next (so every GossipSpec behaviour is, up to the  *)
(* states in between, a Spec behaviour):                                   *)
(*   1. b records every decision its view implies, and delivers its whole  *)
(*      current order (Decide and Deliver steps);                          *)
(*   2. b learns (Learn steps, parents first) every event a knows when a  *)
(*      is honest, with x = a's latest event; when a forks, x is any of    *)
(*      a's events and b learns only x's ancestors (a shows each branch    *)
(*      to whom it likes);                                                 *)
(*   3. b creates an event with other-parent x and self-parent its latest  *)
(*      event (HonestCreate), or any of its events if b forks              *)
(*      (ForkingCreate).                                                   *)
(* Timestamps: honest clocks are the event count (a global clock, any      *)
(* monotone choice would do); a forking creator picks any of Timestamps.   *)
(* Signatures: DerivedSignature(id), a fixed pseudo-random pair of bytes,  *)
(* so that coins and whitening vary without branching.                     *)

MemberSeq == CHOOSE s \in [1 .. Cardinality(Members) -> Members] :
                 \A i, j \in 1 .. Cardinality(Members) : i /= j => s[i] /= s[j]
DerivedSignature(i) == <<(37 * i + 11) % 256, (101 * i + 7) % 256>>

\* Every member has created its parentless first event (§10.1).
GossipInit ==
    /\ events = [i \in 1 .. Cardinality(Members) |->
                   [creator |-> MemberSeq[i], sp |-> None, op |-> None, ts |-> i,
                    sig |-> DerivedSignature(i), hash |-> <<i>>]]
    /\ view = [m \in Members |-> {i \in 1 .. Cardinality(Members) : MemberSeq[i] = m}]
    /\ decided = [m \in Members |-> [w \in {} |-> FALSE]]
    /\ delivered = [m \in Members |-> <<>>]

RecordAll(T, m) ==
    LET fame == [w \in WitnessesIn(T, view[m]) |-> Fame(T, view[m], w)]
        new == {w \in DOMAIN fame : fame[w] /= {} /\ w \notin DOMAIN decided[m]}
        order == Consensus(T, view[m]).order
    IN [decided |-> [w \in DOMAIN decided[m] \cup new |->
                       IF w \in new THEN CHOOSE v \in fame[w] : TRUE ELSE decided[m][w]],
        delivered |-> IF IsPrefixOf(delivered[m], order) THEN order ELSE delivered[m]]

GossipStep(T, rec, a, b, x, sp, ts) ==
    LET id == Len(events) + 1 IN
    /\ a /= b
    /\ x \in view[a] /\ Creator(x) = a
    /\ a \in Honest => x = Max(EventsBy(a))
    /\ sp \in view[b] /\ Creator(sp) = b
    /\ b \in Honest => sp = Max(EventsBy(b))
    /\ events' = Append(events, [creator |-> b, sp |-> sp, op |-> x, ts |-> ts,
                                 sig |-> DerivedSignature(id), hash |-> <<id>>])
    /\ view' = [view EXCEPT ![b] = @ \cup (IF a \in Honest THEN view[a] ELSE T.f[x].anc) \cup {id}]
    /\ decided' = [decided EXCEPT ![b] = rec.decided]
    /\ delivered' = [delivered EXCEPT ![b] = rec.delivered]

GossipNext ==
    /\ Len(events) < MaxEvents            \* the bound, as a guard: no pruned successors
    /\ \E T \in {DagFacts} :
       \E b \in Members :
       \E rec \in {RecordAll(T, b)} :
       \E a \in Members, x, sp \in Ids :
       \E ts \in (IF b \in Honest THEN {Len(events) + 1} ELSE Timestamps) :
          GossipStep(T, rec, a, b, x, sp, ts)

GossipNextOrDone == GossipNext \/ Done
GossipSpec == GossipInit /\ [][GossipNextOrDone]_vars

-----------------------------------------------------------------------------
(* Invariants.                                                             *)

TypeOK ==
    /\ \A i \in Ids :
          /\ events[i].creator \in Members
          /\ events[i].sp \in 0 .. (i - 1) /\ events[i].op \in 0 .. (i - 1)
          /\ events[i].ts \in Nat
          /\ IsBytes(events[i].sig) /\ IsBytes(events[i].hash)
    /\ view \in [Members -> SUBSET Ids]
    /\ \A m \in Members : /\ DOMAIN decided[m] \subseteq view[m]
                          /\ decided[m] \in [DOMAIN decided[m] -> BOOLEAN]
                          /\ delivered[m] \in [1 .. Len(delivered[m]) -> view[m]]

\* §2.2, §2.3: every DAG is valid and closed under parents.
DagValid ==
    /\ \A i \in Ids :
          \/ events[i].sp = None /\ events[i].op = None
          \/ /\ events[i].sp /= None /\ events[i].op /= None
             /\ Creator(events[i].sp) = Creator(i) /\ Creator(events[i].op) /= Creator(i)
    /\ \A m \in Members : \A x \in view[m] : Parents(x) \subseteq view[m]

\* §3.3, §5: sanity of the derived facts on the whole DAG.
Sanity == \A F \in {FactsUpTo(Len(events))} :
    /\ \A i \in Ids : Creator(i) \in Honest => Creator(i) \notin F[i].forked   \* honest never fork
    /\ \A i \in Ids : events[i].sp /= None =>                                \* rounds never drop
          /\ F[i].round >= F[events[i].sp].round
          /\ F[i].round >= F[events[i].op].round
          /\ F[i].round <= Max({F[events[i].sp].round, F[events[i].op].round}) + 1
    /\ \A i, j \in Ids :                                        \* one witness per honest creator and round
          (/\ i /= j /\ Creator(i) = Creator(j) /\ Creator(i) \in Honest
           /\ F[i].witness /\ F[j].witness) => F[i].round /= F[j].round

\* The tables compute the literal definitions (slow: tiny configs only).
FactsMatchDefinitions == \A T \in {DagFacts} :
    \A x \in Ids :
       /\ T.f[x].anc = Ancestors(x)
       /\ T.f[x].self = SelfAncestors(x)
       /\ T.f[x].round = Round(x)
       /\ T.f[x].witness = Witness(x)
       /\ \A y \in Ids : /\ SeesF(T.f, x, y) = Sees(x, y)
                         /\ StronglySeesF(T.f, x, y) = StronglySees(x, y)
       /\ T.f[x].witness =>
             \A y \in DOMAIN T.b[x] : T.b[x][y] = Ballot(x, y)


\* §11.3, between the views (and recorded outputs) of any two honest
\* members: a witness decided in both has the same fame; an event ordered in
\* both has the same round received and consensus timestamp; one total order
\* is a prefix of the other.  C[m] is Consensus(T, view[m]).
MembersAgree(C) ==
    \A m, n \in Honest :
       /\ \A w \in DOMAIN C[m].fame \cap DOMAIN C[n].fame :
             C[m].fame[w] /= {} /\ C[n].fame[w] /= {} => C[m].fame[w] = C[n].fame[w]
       /\ \A x \in DOMAIN C[m].rr \cap DOMAIN C[n].rr :
             C[m].rr[x] = C[n].rr[x] /\ C[m].cts[x] = C[n].cts[x]
       /\ Compatible(C[m].order, C[n].order)
       /\ \A w \in DOMAIN decided[m] \cap DOMAIN decided[n] : decided[m][w] = decided[n][w]
       /\ Compatible(delivered[m], delivered[n])

\* §6.4, §8.2 for one honest member over time: what it recorded stays
\* implied by its view as the view grows (a decision is final; the order
\* only grows).
MembersStable(C) ==
    \A m \in Honest :
       /\ \A w \in DOMAIN decided[m] : C[m].fame[w] = {decided[m][w]}
       /\ IsPrefixOf(delivered[m], C[m].order)

\* The agreement invariant of the configs: every honest member agrees with
\* every other one and with its own earlier output.  (\A T \in {DagFacts}
\* binds the tables once: TLC re-evaluates a LET at each use.)
Agreement ==
    \A T \in {DagFacts} :
    \A C \in {[m \in Honest |-> Consensus(T, view[m])]} :
       MembersAgree(C) /\ MembersStable(C)

\* Reachability witnesses (cfgs expect TLC to REFUTE them, proving that the
\* bounded state space reaches what the agreement check is about).
NeverDecided == \A T \in {DagFacts} : \A m \in Honest : Consensus(T, view[m]).last = 0
NeverOrdered == \A T \in {DagFacts} : \A m \in Honest : Consensus(T, view[m]).order = <<>>
NeverForked  == \A T \in {DagFacts} : \A m \in Honest : \A x \in view[m] : T.f[x].forked = {}

\* A coin vote is cast (§6.3): a witness y at a coin-round distance d from x
\* (d > 1, d mod CoinPeriod = 0) without a > 2/3 majority, so y's vote
\* about x is its coin (BallotRow's tally).
CastsCoinVote(T, y, x) ==
    LET d == T.f[y].round - T.f[x].round
        W == VotersOf(T.f, y)
        yes == StakeVoting(T.b, W, x, TRUE)
        no  == StakeVoting(T.b, W, x, FALSE)
    IN /\ d > 1 /\ d % CoinPeriod = 0
       /\ ~(3 * yes > 2 * TotalStake) /\ ~(3 * no > 2 * TotalStake)
NeverCoin == \A T \in {DagFacts} : \A y \in Ids : T.f[y].witness => \A x \in DOMAIN T.b[y] : ~CastsCoinVote(T, y, x)
\* A coin vote is cast while an honest member sees a fork (§3.3).
NeverCoinAmidForks == NeverCoin \/ NeverForked
\* An honest member has recorded the fame of a witness that no voter before
\* its first coin round decides (§6.2): only votes past a coin round did.
DecidedOnlyPastCoin(T, w) ==
    LET Deciders == {y \in Ids : w \in DOMAIN T.b[y] /\ T.b[y][w].decision /= {}}
    IN Deciders /= {} /\ \A y \in Deciders : T.f[y].round - T.f[w].round > CoinPeriod
NeverRecordedPastCoin == \A T \in {DagFacts} : \A m \in Honest : \A w \in DOMAIN decided[m] :
    ~DecidedOnlyPastCoin(T, w)

-----------------------------------------------------------------------------
(* Steering for the negative control (ABFT.forks-third.cfg) and its twin   *)
(* (ABFT.forks-below.cfg): a network partition and a two-faced forker.     *)
(* The invariant stays Agreement; only the explored behaviours shrink.     *)
(* Each honest member m talks only to the forking members, and each of     *)
(* their events built on m's events lies on "m's side"; a forker keeps its *)
(* sides apart (a fork per side).  Honest members also learn every         *)
(* parentless event.  Everybody learns what it may hear before the next   *)
(* event is created.                                                       *)
(* Nobody records outputs (Agreement still compares the views' consensus). *)

\* Who creates the i-th event: genesis a, b, f; then a and f build a's side
\* (A2, F2a, A3, F3a) while b and f build b's side, interleaved.
CreatorScript == <<"a", "b", "f", "a", "f", "b", "f", "a", "f", "b", "f">>

Genesis == {x \in Ids : events[x].sp = None}
Side(x) == IF Creator(x) \in Honest \/ x \in Genesis THEN Creator(x) ELSE Creator(events[x].op)
Partitioned ==
    /\ Len(events) <= Len(CreatorScript)
    /\ \A x \in Ids : Creator(x) = CreatorScript[x]
    /\ \A x, y \in Genesis : Creator(x) = Creator(y) => x = y
    /\ \A x \in Ids \ Genesis :
          LET op == events[x].op IN
          IF Creator(x) \in Honest      \* builds on the latest forker event of its side
          THEN op = Max({y \in 1 .. (x - 1) : Creator(y) \in Forking
                                             /\ (y \in Genesis \/ Side(y) = Creator(x))})
          ELSE /\ op = Max({y \in 1 .. (x - 1) : Creator(y) = Creator(op)})   \* latest of that side
               /\ (events[x].sp \in Genesis \/ Side(events[x].sp) = Side(x))
    /\ \A m \in Members :
          LET Hears == IF m \in Honest THEN {x \in Ids : x \in Genesis \/ Side(x) = m} ELSE Ids
          IN /\ view[m] \subseteq Hears
             /\ Hears \ view[m] \subseteq {Len(events)}   \* only the newest event may be unknown
    /\ \A m \in Members : DOMAIN decided[m] = {} /\ delivered[m] = <<>>

-----------------------------------------------------------------------------
(* Steering to a coin round (ABFT.coin.cfg, ABFT.coin-reach.cfg).  Random  *)
(* gossip decides every election in its first normal round, and the       *)
(* exhaustive bounds (<= 9 events) end before a coin round, which needs    *)
(* three rounds of split votes.  So the gossip here follows a script: the  *)
(* hand-built DAG 2 of the conformance vectors (conformance/abft_dags.py,  *)
(* tie_dag: four equal members, A5's vote about D1 is a coin vote), then   *)
(* one round-robin of four more events, after which D1 is decided famous   *)
(* when A5's coin is 1 and undecided when it is 0.  The event at position  *)
(* k is created by CoinCreators[k] and has other-parent the latest event   *)
(* of CoinPartners[k] -- except at up to CoinDeviations positions, where   *)
(* the partner is any other member.  Each deviation gives another DAG:     *)
(* TLC checks Agreement over all of them and over the decisions every      *)
(* member records along the way.  Genesis (4 events) comes first, in       *)
(* MemberSeq order.  With d forking (ABFT.coin-fork.cfg), d's events and  *)
(* the ones it shows are free too (GossipStep), so forks meet coin votes.  *)
(* Only the explored behaviours shrink; GossipSpec and the invariants are  *)
(* unchanged.                                                              *)

CoinCreators == <<"b", "c", "a", "b", "a", "c", "c", "d", "a", "b", "c", "d", "a",
                  "b", "c", "d", "a", "b", "c", "d", "a">>
CoinPartners == <<"a", "b", "c", "a", "b", "d", "a", "c", "d", "a", "b", "c", "d",
                  "a", "b", "c", "d", "a", "b", "c", "d">>
CoinSteered(deviations) ==
    LET g == Cardinality(Members)
        Scripted == {k \in 1 .. Len(events) - g : TRUE}
    IN /\ Len(events) <= g + Len(CoinCreators)
       /\ \A k \in Scripted : Creator(g + k) = CoinCreators[k]
       /\ Cardinality({k \in Scripted : Creator(events[g + k].op) /= CoinPartners[k]}) <= deviations
CoinSteeredExact == CoinSteered(0)
CoinSteeredOne == CoinSteered(1)
CoinSteeredTwo == CoinSteered(2)

\* Signatures with every coin flipped (the low bit of byte 2 of 2): the
\* coin configs run with DerivedSignature and with this (a cfg override),
\* so each coin vote is explored with both values.
FlippedSignature(i) == LET b == (101 * i + 7) % 256   \* DerivedSignature(i)[2]
                       IN <<(37 * i + 11) % 256, IF b % 2 = 0 THEN b + 1 ELSE b - 1>>

-----------------------------------------------------------------------------
(* Values for the configs (a TLC config cannot write a function or a       *)
(* sequence).  Members are strings: "a", "b", ... honest, "f", "g" forking. *)

Sigs1 == {<<0, 0>>}
Sigs2 == {<<1, 0>>, <<2, 1>>}      \* coins 0 and 1; whitening reorders them
StakeEqual == [m \in Members |-> 1]
StakeA3B3F1 == [m \in Members |-> IF m = "f" THEN 1 ELSE 3]
StakeA1B1F2 == [m \in Members |-> IF m = "f" THEN 2 ELSE 1]   \* forking 1/2 > 1/3
StakeA2B2F1 == [m \in Members |-> IF m = "f" THEN 1 ELSE 2]   \* forking 1/5 < 1/3
=============================================================================

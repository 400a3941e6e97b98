"""The arrays the kernels work on, their growth, and the loading of events from reference objects.

Why a separate Python class: the kernels (:mod:`altledger.fast.abft.kernels`)
take plain NumPy arrays, which Numba cannot grow in place.  This class owns
them, doubles every per-event array when the DAG outgrows it (amortised
O(1) per event), and keeps the few arrays a kernel call may reallocate
(vote storage, electorates) from the call's return value.

Every input the kernels see comes from the reference's validated objects:
the event's creator (its member index), its parents (their insertion
positions), timestamp, hash (``Event.hash()``, computed once by the
reference ``Dag``) and signature.  Hashes and signatures are stored as
big-endian 64-bit words so that comparing words compares the big-endian
integers of §7.3-§7.4.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from altledger.fast.abft import kernels as k
from altledger.reference.abft.dag import Member
from altledger.reference.encoding import Event
from altledger.reference.errors import ToolError

INITIAL_CAPACITY = 256
INITIAL_VOTE_COLUMNS = 8     # vote blocks per candidate: rounds after the candidate's (grown by the kernel)


_compiled = False


def compile_kernels() -> None:
    """Compile (or load from Numba's on-disk cache) the kernels once per process, under a file lock.

    Why the lock: several processes starting together on a fresh checkout
    (``pytest -n 2``, parallel CLI calls) would each spend ~25 CPU-seconds
    compiling the same kernels.  Under the lock the first one compiles and
    writes the cache; the others then find it and only load it.
    """
    global _compiled
    if _compiled:
        return
    try:
        import fcntl
    except ImportError:                  # not POSIX: no lock, each process compiles or loads on its own
        fcntl = None
    tag = hashlib.sha256(str(Path(k.__file__).resolve()).encode()).hexdigest()[:16]
    lock = Path(tempfile.gettempdir()) / f"altledger-abft-kernels-{tag}.lock"
    with open(lock, "a") as handle:
        if fcntl:
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            state = FastState([Member("a", bytes(32), 1), Member("b", bytes([1]) * 32, 1)], 3)
            state._call(0, 0, True)      # no event: compiles/loads the one signature the kernels are used with
        finally:
            if fcntl:
                fcntl.flock(handle, fcntl.LOCK_UN)
    _compiled = True


class FastState:
    """All arrays of one DAG under construction (layouts: :mod:`altledger.fast.abft.kernels`)."""

    def __init__(self, members: Sequence[Member], coin_period: int, capacity: int = INITIAL_CAPACITY) -> None:
        n = len(members)
        self.members = tuple(members)
        self.member_index = {m.public_key: i for i, m in enumerate(members)}
        self.n = 0                        # events loaded (inputs written)
        capacity = max(capacity, 16)
        self.EV = np.zeros((capacity, k.EV_FIELDS), np.int64)
        self.TS = np.zeros(capacity, np.uint64)
        self.CTS = np.zeros(capacity, np.uint64)
        self.HS = np.zeros((capacity, 4), np.uint64)
        self.SG = np.zeros((capacity, 8), np.uint64)
        self.LD = np.zeros((capacity, n), np.int32)
        self.LE = np.zeros((capacity, n), np.int32)
        self.WI = np.zeros((capacity, k.W_FIELDS), np.int64)
        self.RD = self._new_rounds(capacity + 2)
        self.VBLOCK = np.full((capacity, INITIAL_VOTE_COLUMNS), -1, np.int64)
        kcap = max(8, 2 * n)
        self.VPOOL = np.full(kcap * 64, 255, np.uint8)
        self.WPOOL = np.zeros(max(64, capacity * min(n, 8)), np.int64)
        self.UNDEC = np.zeros(capacity, np.int64)
        self.ORDER = np.zeros(capacity, np.int64)
        self.MARK = np.zeros(capacity, np.int64)
        self.SLOT = np.full(capacity, -1, np.int32)
        self.CR = np.zeros((n, k.C_FIELDS), np.int64)
        self.CR[:, k.C_STAKE] = [m.stake for m in members]
        self.G = np.zeros(k.G_FIELDS, np.int64)
        self.G[k.G_GAP] = 2
        self.G[k.G_KCAP] = kcap
        self.G[k.G_ROLLBACK_TO] = k.NO_ROLLBACK
        total = sum(m.stake for m in members)
        if 3 * total >= 2 ** 63:          # the reference Dag already refuses S >= 2^61 (spec/abft.md §9.1)
            raise ToolError(f"total stake {total} is too large for the fast kernels (spec/abft.md §9.1: S < 2^61)")
        self.G[k.G_TOTAL_STAKE] = total
        self.G[k.G_COIN_PERIOD] = coin_period
        self.G[k.G_MEMBERS] = n

    @staticmethod
    def _new_rounds(rows: int) -> np.ndarray:
        rounds = np.zeros((rows, k.R_FIELDS), np.int64)
        rounds[:, k.R_HEAD] = -1
        rounds[:, k.R_TAIL] = -1
        return rounds

    # -- capacity ---------------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        return self.EV.shape[0]

    def reserve(self, events: int) -> None:
        """Make room for ``events`` events in every per-event, per-witness and per-round array."""
        old = self.capacity
        if events <= old:
            return
        new = max(events, 2 * old)

        def grown(array: np.ndarray, fill: int = 0) -> np.ndarray:
            bigger = np.full((new,) + array.shape[1:], fill, array.dtype)
            bigger[:old] = array
            return bigger

        for name in ("EV", "TS", "CTS", "HS", "SG", "LD", "LE", "WI", "UNDEC", "ORDER", "MARK"):
            setattr(self, name, grown(getattr(self, name)))
        self.SLOT = grown(self.SLOT, -1)
        self.VBLOCK = grown(self.VBLOCK, -1)
        rounds = self._new_rounds(new + 2)
        rounds[:self.RD.shape[0]] = self.RD
        self.RD = rounds

    # -- loading -------------------------------------------------------------------------

    def load(self, events: Sequence[Event], hashes: Sequence[bytes], position: dict[bytes, int]) -> None:
        """Write the inputs of ``events`` (already validated, §2.2) at positions n, n+1, …

        ``position`` maps every event hash of the DAG (these included) to its
        insertion index.
        """
        count = len(events)
        if count == 0:
            return
        if count == 1:
            self._load_one(events[0], hashes[0], position)
            return
        start = self.n
        self.reserve(start + count)
        index = self.member_index
        rows = self.EV[start:start + count]
        rows[:, k.E_CREATOR] = [index[e.creator] for e in events]
        rows[:, k.E_SP] = [-1 if e.self_parent is None else position[e.self_parent] for e in events]
        rows[:, k.E_OP] = [-1 if e.other_parent is None else position[e.other_parent] for e in events]
        self.TS[start:start + count] = [e.timestamp for e in events]
        self.HS[start:start + count] = np.frombuffer(b"".join(hashes), dtype=">u8").reshape(count, 4)
        self.SG[start:start + count] = np.frombuffer(b"".join(e.signature for e in events),
                                                     dtype=">u8").reshape(count, 8)
        self.n = start + count

    def _load_one(self, event: Event, event_hash: bytes, position: dict[bytes, int]) -> None:
        """:meth:`load` for one event (the incremental path): scalar writes, no intermediate lists."""
        i = self.n
        if i >= self.capacity:
            self.reserve(i + 1)
        row = self.EV[i]
        row[k.E_CREATOR] = self.member_index[event.creator]
        row[k.E_SP] = -1 if event.self_parent is None else position[event.self_parent]
        row[k.E_OP] = -1 if event.other_parent is None else position[event.other_parent]
        self.TS[i] = event.timestamp
        self.HS[i] = np.frombuffer(event_hash, dtype=">u8")
        self.SG[i] = np.frombuffer(event.signature, dtype=">u8")
        self.n = i + 1

    # -- running the kernels ---------------------------------------------------------------------

    def run(self, order_each: bool, mutant: int = 0) -> None:
        """Process every loaded event not yet processed (see :func:`kernels.process`)."""
        start = int(self.G[k.G_EVENTS])
        if start == self.n:
            return
        compile_kernels()
        self.G[k.G_MUTANT] = mutant
        self._call(start, self.n, order_each)
        if self.G[k.G_ERROR]:
            raise AssertionError(f"fast aBFT kernel invariant broken (error code {int(self.G[k.G_ERROR])})")

    def _call(self, start: int, end: int, order_each: bool) -> None:
        self.VBLOCK, self.VPOOL, self.WPOOL = k.process(
            self.EV, self.TS, self.CTS, self.HS, self.SG, self.LD, self.LE, self.WI, self.RD, self.VBLOCK,
            self.VPOOL, self.WPOOL, self.UNDEC, self.ORDER, self.MARK, self.SLOT, self.CR, self.G,
            start, end, order_each)

    # -- reading the results ---------------------------------------------------------------------

    def columns(self) -> tuple[list, list, list, list, list, list]:
        """Per event: round, witness?, fame (-1/0/1, -1 also for non-witnesses), round received
        (0 = none), consensus timestamp, as Python lists; and the order (event indices)."""
        n = self.n
        ev = self.EV[:n]
        wit = ev[:, k.E_WIT]
        is_witness = wit >= 0
        fame = np.full(n, -1, np.int64)
        fame[is_witness] = self.WI[wit[is_witness], k.W_FAME]
        order = self.ORDER[:int(self.G[k.G_ORDER_LEN])]
        return (ev[:, k.E_ROUND].tolist(), is_witness.tolist(), fame.tolist(), ev[:, k.E_RR].tolist(),
                self.CTS[:n].tolist(), order.tolist())

"""Batch mode's input in wire form: a batch as its transactions' canonical encodings, back to back.

A node receives transactions as bytes (spec/encoding.md §E.6.2), not as
Python objects.  :class:`EncodedBatch` holds one batch that way and is a
``Sequence[CrossAgentTx]``, so anything that runs batches of objects — the
reference, the Python engine, the result's comparisons — runs it unchanged
(it decodes with the reference's decoder, once, when first asked).  The Numba
engine instead reads the bytes themselves, in compiled code (``leg_columns``).

Why it matters for workers: reading Python objects changes their reference
counts, so a forked worker that reads its share of the input copies every
page those objects live on (and so does the parent, for its share); measured,
that makes reading half the input in each of two processes cost about as much
as reading all of it in one.  Reading bytes writes nothing, and compiled code
reads a transaction in about 0.2 µs instead of about 1.6 µs.

Validity.  An ``EncodedBatch`` is valid on construction, as a ``CrossAgentTx``
is: ``_frame`` walks the buffer in compiled code and checks every rule the
reference decoder checks (``_check_tx``: the tags, 2–16 legs, leg kinds,
amounts at least 1, nonces, strictly ascending agents, at least one debit,
debits summing to the credits within a u128, ``user_data`` at most 1,024
bytes, nothing left over).  The first transaction it refuses is decoded by the
reference decoder, whose ``DecodeError`` (field, byte offset in the batch) is
raised; so the compiled check only decides *whether*, never *what* is
reported.  The tests compare the two verdicts on mutated encodings.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Sequence, overload

import numpy as np
from numba import njit

from altledger.reference.encoding import MAX_LEGS, MAX_USER_DATA, MIN_LEGS, CrossAgentTx, Leg
from altledger.reference.encoding.codec import Reader
from altledger.reference.errors import DecodeError

TX_TAG = CrossAgentTx.TAG
LEG_TAG = Leg.TAG
LEG_SIZE = Leg.size_range()[0]                  # tag, agent (32), kind, amount (u128), nonce (u64)
AGENT_AT, KIND_AT, AMOUNT_AT, NONCE_AT = 1, 33, 34, 50      # offsets in a leg (§E.6.1)
MIN_TX_SIZE = CrossAgentTx.size_range()[0]
assert LEG_SIZE == 58 and MIN_TX_SIZE == 2 + MIN_LEGS * LEG_SIZE + 2


# -- compiled reading --------------------------------------------------------------------------

@njit(cache=True)
def _u64(buf, p):
    """The big-endian u64 at ``buf[p:p + 8]``."""
    value = np.uint64(0)
    for i in range(8):
        value = (value << np.uint64(8)) | np.uint64(buf[p + i])
    return value


@njit(cache=True)
def _add_u192(top, high, low, add_high, add_low):
    """``(top, high, low) + (add_high, add_low)`` in three 64-bit limbs (sums of up to 16 u128s)."""
    low2 = low + add_low
    carry = np.uint64(1) if low2 < low else np.uint64(0)
    high1 = high + add_high
    top += np.uint64(1) if high1 < high else np.uint64(0)
    high2 = high1 + carry
    top += np.uint64(1) if high2 < high1 else np.uint64(0)
    return top, high2, low2


@njit(cache=True)
def _check_tx(buf, p):
    """Where the transaction encoded at ``buf[p:]`` ends, or -1 if it is not a valid encoding.

    The rules of ``CrossAgentTx.decode`` (§E.6.1, §E.6.2), in one pass: tag, leg count, per leg its
    tag, kind (``LegKind``), amount ≥ 1 and nonce (debit ≥ 1, credit 0), agents strictly ascending
    (bytes compared as the reference compares ``bytes``), ``user_data`` length, at least one debit,
    and the debits' sum equal to the credits' and within a u128.
    """
    size = len(buf)
    if p + 2 > size or buf[p] != TX_TAG:
        return -1
    legs = np.int64(buf[p + 1])
    if legs < MIN_LEGS or legs > MAX_LEGS:
        return -1
    q = p + 2 + legs * LEG_SIZE
    if q + 2 > size:
        return -1
    debit_top, debit_high, debit_low = np.uint64(0), np.uint64(0), np.uint64(0)
    credit_top, credit_high, credit_low = np.uint64(0), np.uint64(0), np.uint64(0)
    debits = 0
    for i in range(legs):
        r = p + 2 + i * LEG_SIZE
        if buf[r] != LEG_TAG:
            return -1
        kind = buf[r + KIND_AT]
        amount_high, amount_low = _u64(buf, r + AMOUNT_AT), _u64(buf, r + AMOUNT_AT + 8)
        nonce = _u64(buf, r + NONCE_AT)
        if kind > 1 or (amount_high == 0 and amount_low == 0):
            return -1
        if (kind == 1 and nonce == 0) or (kind == 0 and nonce != 0):
            return -1
        if i > 0:                                   # strictly above the previous leg's agent
            previous = r - LEG_SIZE
            k = 0
            while k < 32 and buf[r + AGENT_AT + k] == buf[previous + AGENT_AT + k]:
                k += 1
            if k == 32 or buf[r + AGENT_AT + k] < buf[previous + AGENT_AT + k]:
                return -1
        if kind == 1:
            debits += 1
            debit_top, debit_high, debit_low = _add_u192(debit_top, debit_high, debit_low, amount_high, amount_low)
        else:
            credit_top, credit_high, credit_low = _add_u192(credit_top, credit_high, credit_low, amount_high,
                                                            amount_low)
    user_length = (np.int64(buf[q]) << 8) | np.int64(buf[q + 1])
    end = q + 2 + user_length
    if user_length > MAX_USER_DATA or end > size:
        return -1
    if debits == 0 or debit_top != 0:
        return -1
    if debit_high != credit_high or debit_low != credit_low or credit_top != 0:
        return -1
    return end


@njit(cache=True)
def _frame(buf):
    """Where each transaction of the buffer starts (and, last, where the last one ends); and the
    index of the first invalid one, or -1 when all are valid and fill the buffer exactly."""
    offsets = np.empty(len(buf) // MIN_TX_SIZE + 2, dtype=np.int64)
    n = 0
    p = 0
    while p < len(buf):
        offsets[n] = p
        end = _check_tx(buf, p)
        if end < 0:
            return offsets[:n + 1].copy(), n
        n += 1
        p = end
    offsets[n] = p
    return offsets[:n + 1].copy(), -1


@njit(cache=True)
def _agent_table(words):
    """An open-addressing table over agent ids given as rows of four big-endian u64 words: slot →
    row, or -1.  Ids are BLAKE2b outputs, so their first word is a uniform hash already."""
    capacity = 2
    while capacity < 2 * len(words):
        capacity *= 2
    table = np.full(capacity, -1, dtype=np.int64)
    mask = np.uint64(capacity - 1)
    for row in range(len(words)):
        slot = np.int64(words[row, 0] & mask)
        while table[slot] >= 0:
            slot = (slot + 1) & (capacity - 1)
        table[slot] = row
    return table


@njit(cache=True)
def _find_agent(buf, at, table, words, rows):
    """The genesis index of the agent id at ``buf[at:at + 32]``, or -1 when it is not in genesis."""
    w0, w1, w2, w3 = _u64(buf, at), _u64(buf, at + 8), _u64(buf, at + 16), _u64(buf, at + 24)
    capacity = len(table)
    slot = np.int64(w0 & np.uint64(capacity - 1))
    while table[slot] >= 0:
        row = table[slot]
        if words[row, 0] == w0 and words[row, 1] == w1 and words[row, 2] == w2 and words[row, 3] == w3:
            return rows[row]
        slot = (slot + 1) & (capacity - 1)
    return -1


@njit(cache=True)
def _leg_columns(buf, offsets, lo, hi, table, words, rows, amount_limit, nonce_limit):
    """Transactions ``lo … hi − 1`` of a valid buffer as columns: per transaction its leg count and a
    hash of its ``user_data`` (FNV-1a, 63 bits; a hint only, like the object path's ``hash``); per
    leg its agent's genesis index (-1 when not in genesis) and where its id starts, debit or not,
    amount and nonce, each clipped to its limit (``ingest._int64_column``)."""
    n = hi - lo
    sizes = np.empty(n, dtype=np.int64)
    total = 0
    for i in range(n):
        sizes[i] = buf[offsets[lo + i] + 1]
        total += sizes[i]
    code = np.empty(total, dtype=np.int64)
    agent_at = np.empty(total, dtype=np.int64)
    debit = np.empty(total, dtype=np.bool_)
    amount = np.empty(total, dtype=np.int64)
    nonce = np.empty(total, dtype=np.int64)
    user_hash = np.empty(n, dtype=np.int64)
    j = 0
    for i in range(n):
        r = offsets[lo + i] + 2
        for _ in range(sizes[i]):
            agent_at[j] = r + AGENT_AT
            code[j] = _find_agent(buf, r + AGENT_AT, table, words, rows)
            debit[j] = buf[r + KIND_AT] == 1
            high, low = _u64(buf, r + AMOUNT_AT), _u64(buf, r + AMOUNT_AT + 8)
            amount[j] = amount_limit if high != 0 or low >= np.uint64(amount_limit) else np.int64(low)
            value = _u64(buf, r + NONCE_AT)
            nonce[j] = nonce_limit if value >= np.uint64(nonce_limit) else np.int64(value)
            j += 1
            r += LEG_SIZE
        length = (np.int64(buf[r]) << 8) | np.int64(buf[r + 1])
        digest = np.uint64(0xCBF29CE484222325)
        for k in range(length):
            digest = (digest ^ np.uint64(buf[r + 2 + k])) * np.uint64(0x100000001B3)
        user_hash[i] = np.int64(digest >> np.uint64(1))
    return sizes, code, agent_at, debit, amount, nonce, user_hash


# -- the batch -------------------------------------------------------------------------------

class EncodedBatch(Sequence[CrossAgentTx]):
    """One batch of transactions as their canonical encodings back to back (§E.6.2).

    ``EncodedBatch(data)`` checks every transaction (module docstring) and raises the reference
    decoder's ``DecodeError`` for the first invalid one; ``EncodedBatch.of(txs)`` encodes
    transactions.  As a sequence its items are ``CrossAgentTx`` values (decoded once, when first
    asked; ``of`` keeps the values it was given).
    """

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"an EncodedBatch holds bytes, got {type(data).__name__}")
        self.data = bytes(data)
        self.buffer = np.frombuffer(self.data, dtype=np.uint8)
        self.offsets, invalid = _frame(self.buffer)
        self._decoded: list[CrossAgentTx] | None = None
        if invalid >= 0:
            _raise_invalid(self.data, int(self.offsets[invalid]), invalid)

    @classmethod
    def checked_view(cls, buffer: np.ndarray, offsets: np.ndarray) -> EncodedBatch:
        """A batch over bytes an ``EncodedBatch`` has already checked: ``buffer`` and ``offsets`` as
        that batch's ``buffer`` and ``offsets``, neither checked again nor copied.  A batch pool's
        worker (``fast.twopc.pool``) maps them from the caller's in-memory file: the caller's batch
        was checked when it was made, and the worker reads the same bytes."""
        if buffer.dtype != np.uint8 or buffer.ndim != 1 or offsets.dtype != np.int64 or offsets.ndim != 1:
            raise TypeError("checked_view takes a 1-D uint8 buffer and 1-D int64 offsets")
        if len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(buffer):
            raise ValueError("the offsets do not frame the buffer (an EncodedBatch's offsets do)")
        batch = cls.__new__(cls)
        batch.data = batch.buffer = buffer
        batch.offsets = offsets
        batch._decoded = None
        return batch

    @classmethod
    def of(cls, txs: Iterable[CrossAgentTx]) -> EncodedBatch:
        txs = list(txs)
        for i, tx in enumerate(txs):
            if not isinstance(tx, CrossAgentTx):
                raise TypeError(f"transaction {i} of the batch is a {type(tx).__name__}, not a CrossAgentTx")
        batch = cls(b"".join(tx.encode() for tx in txs))
        batch._decoded = txs
        return batch

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, i: int) -> CrossAgentTx: ...
    @overload
    def __getitem__(self, i: slice) -> list[CrossAgentTx]: ...

    def __getitem__(self, i: Any) -> Any:
        return self.decoded()[i]

    def __iter__(self) -> Iterator[CrossAgentTx]:
        return iter(self.decoded())

    def decoded(self) -> list[CrossAgentTx]:
        """The transactions as values, decoded by the reference's decoder (once)."""
        if self._decoded is None:
            self._decoded = [CrossAgentTx.decode(self.encoding(i)) for i in range(len(self))]
        return self._decoded

    def encoding(self, i: int) -> bytes:
        """Transaction ``i``'s encoding (canonical: equal encodings, equal transactions)."""
        return bytes(self.data[self.offsets[i]:self.offsets[i + 1]])      # (bytes of bytes: no copy)

    def __repr__(self) -> str:
        return f"EncodedBatch({len(self)} transactions, {len(self.data)} bytes)"


def _raise_invalid(data: bytes, at: int, index: int) -> None:
    """Raise the reference decoder's error for the transaction at byte ``at`` (the batch's
    ``index``-th), its offset counted in the whole batch."""
    reader = Reader(data, CrossAgentTx.__name__)
    reader.pos = reader.starts[""] = at
    try:
        CrossAgentTx.read(reader)
    except DecodeError as error:
        raise DecodeError(error.type_name, error.field, error.offset,
                          f"{error.reason} (transaction {index} of the batch, from byte {at})") from None
    raise AssertionError(f"the compiled check refused transaction {index} (byte {at}), which the reference "
                         "decoder accepts: the two disagree")


def is_wire(batches: Sequence[Any]) -> bool:
    """Whether the run's input is wholly in wire form (the Numba engine then reads the bytes)."""
    return bool(batches) and all(type(batch) is EncodedBatch for batch in batches)


# -- the genesis lookup ----------------------------------------------------------------------------

def genesis_table(ids: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(table, words, rows)`` for ``_find_agent``: the 32-byte genesis ids (others can never be
    named on the wire) as words, their genesis indices, and the table over them."""
    rows = np.array([a for a, agent in enumerate(ids) if len(agent) == 32], dtype=np.int64)
    joined = b"".join(ids[a] for a in rows.tolist())
    words = np.frombuffer(joined, dtype=">u8").reshape(-1, 4).astype(np.uint64)
    return _agent_table(words), words, rows


def leg_columns(batches: Sequence[EncodedBatch], batch_starts: Sequence[int], lo: int, hi: int,
                lookup: tuple[np.ndarray, np.ndarray, np.ndarray], amount_limit: int,
                nonce_limit: int) -> tuple[np.ndarray, ...]:
    """``_leg_columns`` of input positions ``lo … hi − 1`` (which may span batches), with each leg's
    agent id where it is not in genesis: ``(sizes, code, debit, amount, nonce, user_hash, missing)``,
    ``missing`` the ids of the legs whose ``code`` is -1, in leg order."""
    pieces = []
    missing: list[bytes] = []
    for start, batch in zip(batch_starts, batches):
        if start < hi and start + len(batch) > lo:
            a, z = max(lo - start, 0), min(hi - start, len(batch))
            sizes, code, agent_at, debit, amount, nonce, user_hash = _leg_columns(
                batch.buffer, batch.offsets, a, z, *lookup, amount_limit, nonce_limit)
            data = batch.data
            missing += [bytes(data[at:at + 32]) for at in agent_at[code < 0].tolist()]
            pieces.append((sizes, code, debit, amount, nonce, user_hash))
    if not pieces:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.bool_), empty, empty, empty, missing
    if len(pieces) == 1:
        return (*pieces[0], missing)
    return (*(np.concatenate(column) for column in zip(*pieces)), missing)


def warm() -> None:
    """Compile (or load from the cache) the functions above, once, before workers are forked."""
    batch = EncodedBatch(b"")                   # (its buffer is read-only, as every batch's: one signature)
    _leg_columns(batch.buffer, batch.offsets, 0, 0, *genesis_table([bytes(32)]), 1, 1)

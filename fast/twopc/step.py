"""One fast shard step on reference values: the conformance adapter's ``load_shard`` / ``step`` / ``shard_json``.

The conformance runner (``conformance/twopc_backends.py``, ``FastBackend``)
drives an implementation shard by shard: load a shard from the snapshot's
per-shard JSON plus the vector's transactions, apply one spec §2.6 input
(the reference's ``Submit``/``Deliver``/``Timeout``/``Flush``/``Crash``/``Recover``
values), and read back the new per-shard JSON, the envelopes sent and the
records written.  This module converts at that boundary only; the step itself
is :class:`~altledger.fast.twopc.shard.FastShard`'s rule, as in the cluster.

Unlike the reference's ``step``, which returns a new state, the fast step
changes the loaded shard in place and returns it as ``result.state``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from altledger.fast.twopc.codes import message_code, message_value, record_value
from altledger.fast.twopc.shard import FastShard
from altledger.fast.twopc.snapshot import shard_from_json
from altledger.fast.twopc.snapshot import shard_json as _shard_json
from altledger.fast.twopc.txtable import AgentTable, TxTable
from altledger.reference.encoding import CrossAgentTx, Prepare
from altledger.reference.encoding.agents import check_shard_count
from altledger.reference.twopc.shard import Crash, Deliver, Flush, Recover, Submit, Timeout
from altledger.reference.twopc.state import Envelope
from altledger.reference.twopc.txfacts import txid_of


@dataclass(frozen=True)
class StepResult:
    """As ``reference.twopc.StepResult``: the shard after the step, what it sent and wrote, its votes."""

    state: FastShard
    sent: tuple[Envelope, ...] = ()
    log_writes: tuple[tuple[Any, bool], ...] = ()
    votes: tuple[Any, ...] = ()


def load_shard(data: Any, shard_count: int, transactions: Mapping[bytes, CrossAgentTx],
               location: str = "") -> FastShard:
    """A :class:`FastShard` from the snapshot's per-shard form; ``transactions``: txid -> transaction."""
    check_shard_count(shard_count)
    table = TxTable(AgentTable(shard_count))
    by_txid: dict[str, int] = {}
    for txid, tx in transactions.items():
        t = table.add(tx)
        table._txids[t] = txid
        by_txid[txid.hex()] = t
    return shard_from_json(data, table, by_txid, location)


def shard_json(shard: FastShard) -> dict[str, Any]:
    """The snapshot's per-shard form of ``shard`` (byte-identical to the reference's)."""
    return _shard_json(shard)


def _index(shard: FastShard, tx: CrossAgentTx) -> int:
    """The table index of ``tx``, adding it if the shard has not seen it (by txid, §3.2)."""
    table = shard.table
    txid = txid_of(tx)
    for t, known in table._txids.items():
        if known == txid:
            return t
    t = table.add(tx)
    table._txids[t] = txid
    return t


def _index_of_txid(shard: FastShard, txid: bytes) -> int:
    """The index of a transaction named only by txid; one the table lacks gets a txid-only entry
    (no legs, no coordinator): the rules then treat it as the reference does an unknown txid —
    working here, no coordinator entry, no commit decision."""
    for t, known in shard.table._txids.items():
        if known == txid:
            return t
    return shard.table.add_txid_only(txid)


def step(shard: FastShard, event: Any) -> StepResult:
    """One atomic step of ``shard`` (spec §2.6) on a reference input value (see the module docstring)."""
    if isinstance(event, Recover):
        if shard.up:
            return StepResult(shard)                           # §13.1: recovering an up shard is a no-op
    elif not shard.up:
        return StepResult(shard)                               # a down shard takes no step (§2.3)
    shard.out, shard.votes, shard.writes = [], [], []
    if isinstance(event, Submit):
        t = _index(shard, event.tx)
        if shard.coordinator[t] != shard.shard:
            raise ValueError(f"shard {shard.shard} does not coordinate this transaction")
        shard.submit(t)
    elif isinstance(event, Deliver):
        envelope = event.envelope
        if envelope.recipient != shard.shard:
            raise ValueError(f"envelope for shard {envelope.recipient} delivered to shard {shard.shard}")
        message = envelope.message
        code, shard_field = message_code(message)
        t = _index(shard, message.tx) if isinstance(message, Prepare) else _index_of_txid(shard, message.txid)
        shard.deliver(code, t, shard_field)
    elif isinstance(event, Timeout):
        shard.timeout(_index(shard, event.tx))
    elif isinstance(event, Flush):
        shard.flush()
    elif isinstance(event, Crash):
        shard.crash()
    elif isinstance(event, Recover):
        shard.recover()
    else:
        raise TypeError(f"not a shard input: {type(event).__name__}")
    table = shard.table
    sent = tuple(Envelope(shard.shard, recipient, message_value(code, t, shard_field, table))
                 for recipient, code, t, shard_field in shard.out)
    writes = tuple((record_value(code, table), forced) for code, forced in shard.writes)
    votes = tuple(message_value(1 + reason, t, shard.shard, table) for t, reason in shard.votes)
    shard.out, shard.votes, shard.writes = [], [], None
    return StepResult(shard, sent, writes, votes)

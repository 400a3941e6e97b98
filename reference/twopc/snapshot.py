"""A canonical JSON snapshot of a cluster's whole observable state.

The reference and the fast implementation are compared through exactly this
snapshot, and the conformance vectors store it, so it must be complete (two
clusters with equal snapshots behave identically under every future
operation), deterministic, and readable in any language.  Format
``altledger-2pc-snapshot/1``::

    {
      "format": "altledger-2pc-snapshot/1",
      "shard_count": K,
      "next_send_number": N,                  # the number the next envelope gets (§13.1)
      "genesis": [{"agent": HEX, "balance": "DEC"}, ...],   # non-zero allocations, sorted by AgentId
      "transactions": [                       # every submitted tx, in order of first submission
        {"txid": HEX, "encoding": HEX}, ...   # encoding = canonical bytes (spec/encoding.md §E.6.2)
      ],
      "shards": [                             # shard 0 .. K-1
        {
          "shard": s,
          "up": true | false,
          "log":    [RECORD, ...],            # oldest first
          "buffer": [RECORD, ...],            # oldest first
          "store":  [{"agent": HEX, "balance": "DEC", "nonce": "DEC"}, ...],
          "coord":  [{"txid": HEX, "phase": "collecting" | "committing",
                      "participants": [s, ...], "yes": [s, ...], "acks": [s, ...]}, ...]
        }, ...
      ],
      "network": [{"n": N, "from": s, "to": s, "message": MESSAGE}, ...]   # ascending n
    }

``store`` lists, sorted by AgentId, exactly the agents of that shard whose
balance or nonce is not 0 (every other agent implicitly has 0 and 0, §2.1).
``coord`` lists the non-idle entries sorted by txid (idle = no entry, §4.2);
``yes`` and ``acks`` are sorted.  Balances and nonces are decimal strings
(u128 and u64 exceed the integers many JSON readers keep exactly).

RECORD and MESSAGE are the JSON forms of spec/encoding.md §E.1.10
(``altledger.reference.encoding.value_to_json``: ``{"type": NAME, field:
value, ...}``, byte strings in lowercase hex, enums by member name), except
that ``PreparedRecord`` and ``Prepare``, which carry a whole transaction,
show ``{"type": "PreparedRecord" | "Prepare", "txid": HEX}``; the
transaction is in ``transactions``.

:func:`snapshot_json` is the canonical text (keys sorted, no spaces) and
:func:`snapshot_digest` its SHA-256, for quick comparison.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from altledger.reference.encoding import Prepare, PreparedRecord, value_to_json
from altledger.reference.twopc.cluster import Cluster
from altledger.reference.twopc.log import Record
from altledger.reference.twopc.state import Message, ShardState
from altledger.reference.twopc.txfacts import txid_of

SNAPSHOT_FORMAT = "altledger-2pc-snapshot/1"


def record_json(record: Record) -> dict[str, Any]:
    """The snapshot form of a log record."""
    if isinstance(record, PreparedRecord):
        return {"type": "PreparedRecord", "txid": txid_of(record.tx).hex()}
    return value_to_json(record)


def message_json(message: Message) -> dict[str, Any]:
    """The snapshot form of a message."""
    if isinstance(message, Prepare):
        return {"type": "Prepare", "txid": txid_of(message.tx).hex()}
    return value_to_json(message)


def shard_json(shard: ShardState) -> dict[str, Any]:
    agents = sorted({a for a, v in shard.balances.items() if v} | {a for a, v in shard.nonces.items() if v})
    return {
        "shard": shard.shard,
        "up": shard.up,
        "log": [record_json(r) for r in shard.log],
        "buffer": [record_json(r) for r in shard.buffer],
        "store": [{"agent": a.hex(), "balance": str(shard.balance(a)), "nonce": str(shard.nonce(a))}
                  for a in agents],
        "coord": [{"txid": txid.hex(), "phase": entry.phase.value, "participants": list(entry.participants),
                   "yes": sorted(entry.yes), "acks": sorted(entry.acks)}
                  for txid, entry in sorted(shard.coord.items())],
    }


def snapshot(cluster: Cluster) -> dict[str, Any]:
    """The whole observable state of ``cluster`` as JSON-ready data (format in the module docstring)."""
    return {
        "format": SNAPSHOT_FORMAT,
        "shard_count": cluster.shard_count,
        "next_send_number": cluster.next_number,
        "genesis": [{"agent": a.hex(), "balance": str(v)} for a, v in sorted(cluster.genesis.items()) if v],
        "transactions": [{"txid": txid.hex(), "encoding": tx.encode().hex()}
                         for txid, tx in cluster.transactions.items()],
        "shards": [shard_json(shard) for shard in cluster.shards],
        "network": [{"n": n, "from": e.sender, "to": e.recipient, "message": message_json(e.message)}
                    for n, e in sorted(cluster.network.items())],
    }


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def snapshot_json(cluster: Cluster) -> str:
    """The canonical text of :func:`snapshot`."""
    return canonical_json(snapshot(cluster))


def snapshot_digest(cluster: Cluster) -> str:
    """SHA-256 (hex) of :func:`snapshot_json`."""
    return hashlib.sha256(snapshot_json(cluster).encode("ascii")).hexdigest()

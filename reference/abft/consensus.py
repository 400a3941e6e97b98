"""The consensus output of a DAG (spec/abft.md §8), batch and incremental.

The output is plain JSON data (``json.dumps`` takes it as is)::

    {
      "format": "altledger-abft-consensus/1",
      "last_decided_round": 3,                      # §6.5 (0: none decided)
      "events": {                                   # every event, keyed by its id (label), DAG order
        "m0.1": {"hash": "<64 hex>",                # Event.hash() (§2.1)
                 "round": 1,                        # §5.1
                 "witness": true,                   # §5.2
                 "famous": true,                    # §6.4: true / false / null (not a witness or undecided)
                 "round_received": 2,               # §7.1, null while unordered
                 "consensus_timestamp": 17},        # §7.2, null while unordered
        ...
      },
      "order": ["m1.1", "m0.1", ...]                # §7.4, ids of the ordered events
    }

``events`` is a JSON object, so two outputs compare equal (in Python, ``==``)
whatever order the events were added in; it is *written* in DAG order for
the reader.  The output depends on the DAG only (§8.2).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator, Sequence

from altledger.reference.abft import hashgraph as hg
from altledger.reference.abft.dag import Dag, Member
from altledger.reference.encoding import Event

FORMAT = "altledger-abft-consensus/1"


def event_output(g: Dag, x: bytes) -> dict[str, Any]:
    """One event's entry of §8.1."""
    witness = hg.is_witness(g, x)
    return {
        "hash": x.hex(),
        "round": hg.round_created(g, x),
        "witness": witness,
        "famous": hg.fame(g, x) if witness else None,
        "round_received": hg.round_received(g, x),
        "consensus_timestamp": hg.consensus_timestamp(g, x),
    }


def consensus_output(g: Dag) -> dict[str, Any]:
    """spec/abft.md §8.1 for the whole DAG ``g``."""
    events = {g.label(x): event_output(g, x) for x in hg.evaluate_in_order(g)}
    return {
        "format": FORMAT,
        "last_decided_round": hg.last_decided_round(g),
        "events": events,
        "order": [g.label(x) for x in hg.total_order(g)],
    }


class IncrementalConsensus:
    """Adds events one at a time; :meth:`output` is always §8.1 for the DAG so far (§8.2).

    The reference keeps one growing DAG: values that depend only on an
    event's ancestors (rounds, seeing, votes) stay memoised across additions,
    values of the whole DAG (fame, order) are recomputed.  The tests check
    that every output equals :func:`consensus_output` of a fresh DAG holding
    the same events.
    """

    def __init__(self, members: Sequence[Member], coin_period: int, source: str = "") -> None:
        self.dag = Dag(members, coin_period, source)

    def add(self, event: Event, label: str | None = None, check_signature: bool = True) -> bytes:
        return self.dag.add(event, label, check_signature)

    def output(self) -> dict[str, Any]:
        return consensus_output(self.dag)


def incremental_outputs(dag: Dag, session_class: Callable[..., Any] = IncrementalConsensus
                        ) -> Iterator[tuple[str, dict[str, Any]]]:
    """Add ``dag``'s events one at a time to a new session; yield (label added, output so far) after each.

    ``session_class`` is this module's :class:`IncrementalConsensus` or another
    backend's (see :mod:`altledger.reference.abft.backends`).
    """
    session = session_class(dag.members, dag.coin_period, dag.source)
    for x in dag:
        session.add(dag.event(x), dag.label(x), check_signature=False)
        yield dag.label(x), session.output()


def dump_output_text(output: dict[str, Any]) -> str:
    """The output as JSON text with one event per line (what ``altledger abft order`` prints)."""
    lines = ["{",
             f'  "format": {json.dumps(output["format"])},',
             f'  "last_decided_round": {json.dumps(output["last_decided_round"])},',
             '  "events": {']
    events = list(output["events"].items())
    for i, (label, entry) in enumerate(events):
        comma = "," if i + 1 < len(events) else ""
        lines.append(f"    {json.dumps(label)}: {json.dumps(entry, separators=(', ', ': '))}{comma}")
    lines.append("  },")
    lines.append(f'  "order": {json.dumps(output["order"])}')
    lines.append("}")
    return "\n".join(lines) + "\n"

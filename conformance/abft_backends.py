"""Implementation backends of the built-in hashgraph client (``--impl reference|fast|broken:BUG``).

The built-in client reads every DAG with the reference's strict reader
(spec/abft.md §9; the fast implementation has no reader of its own, it takes
the reference's validated :class:`~altledger.reference.abft.dag.Dag`), then
asks a backend for the consensus output.  A backend is::

    read(text, source, check_signatures) -> Dag            # §9.3 rejections raise InputFileError
    consensus_output(dag) -> dict                          # §8.1, altledger-abft-consensus/1
    incremental_outputs(dag) -> Iterator[(label, dict)]    # §8.2: the output after each addition

The reference backend is :mod:`altledger.reference.abft.consensus`; the fast
one is whatever :func:`altledger.reference.abft.backends.get_backend` returns
for ``"fast"`` (batch ``consensus_output`` and ``IncrementalConsensus``);
the broken ones (:mod:`altledger.conformance.abft_broken`) are the reference
with one bug.
"""

from __future__ import annotations

from typing import Any, Iterator

from altledger.reference.abft import consensus
from altledger.reference.abft.dag import Dag
from altledger.reference.errors import ToolError


class ReferenceBackend:
    """The readable reference: the definition every vector was generated from."""

    name = "reference"

    def read(self, text: str, source: str, check_signatures: bool) -> Dag:
        from altledger.reference.abft.dagfile import parse_dag_text
        return parse_dag_text(text, source, check_signatures)

    def consensus_output(self, dag: Dag) -> dict[str, Any]:
        return consensus.consensus_output(dag)

    def incremental_outputs(self, dag: Dag) -> Iterator[tuple[str, dict[str, Any]]]:
        return consensus.incremental_outputs(dag)


class FastBackend(ReferenceBackend):
    """``altledger.fast.abft`` (Numba): batch and incremental; reading stays the reference's."""

    name = "fast"

    def __init__(self) -> None:
        from altledger.reference.abft.backends import get_backend
        self.module = get_backend("fast")

    def consensus_output(self, dag: Dag) -> dict[str, Any]:
        return self.module.consensus_output(dag)

    def incremental_outputs(self, dag: Dag) -> Iterator[tuple[str, dict[str, Any]]]:
        return consensus.incremental_outputs(dag, self.module.IncrementalConsensus)


def backend(name: str) -> ReferenceBackend:
    """``reference``, ``fast`` or ``broken:BUG`` (``altledger conformance bugs --suite abft``)."""
    if name == "reference":
        return ReferenceBackend()
    if name == "fast":
        return FastBackend()
    if name.startswith("broken:"):
        from altledger.conformance.abft_broken import broken_backend
        return broken_backend(name.removeprefix("broken:"))
    raise ToolError(f"unknown implementation {name!r}: expected reference, fast or broken:BUG")

"""Implementations of the consensus output, chosen by name (``altledger abft order --impl``).

Why a registry: the fast implementation (Numba, ``altledger.fast.abft``) is
written separately and must give exactly the reference's output; the CLI,
the benchmarks and the differential tests pick either by name and never
import Numba unless asked.

The backend interface
---------------------
A backend is a module (or any object) with two attributes:

``consensus_output(dag: Dag) -> dict``
    Batch: the output of spec/abft.md §8.1 for a validated
    :class:`~altledger.reference.abft.dag.Dag`, in the JSON structure
    documented in :mod:`altledger.reference.abft.consensus` (same keys, same
    types, ``order`` as a list of labels).  Must not modify ``dag``.

``IncrementalConsensus(members: Sequence[Member], coin_period: int, source: str = "")``
    A class whose instances accept events one at a time:

    * ``add(event: Event, label: str | None = None, check_signature: bool = True) -> bytes``
      adds a parents-first event (raising
      :class:`~altledger.reference.errors.InputFileError` for one that breaks
      §2.2; the backend may delegate validation to a reference ``Dag``) and
      returns its hash;
    * ``output() -> dict`` returns the §8.1 output for the events added so
      far, which must equal ``consensus_output`` of a DAG holding them (§8.2).

The fast backend may take its inputs from the ``Dag`` as it likes: members
(``dag.members``: id, public key, stake), ``dag.coin_period``,
``dag.total_stake``, the events in parents-first order (``for x in dag``,
``dag.event(x)``, ``dag.label(x)``, ``dag.position[x]``).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Iterator

from altledger.reference.abft import consensus
from altledger.reference.abft.dag import Dag
from altledger.reference.errors import ToolError

BACKENDS: dict[str, str] = {
    "reference": "altledger.reference.abft.consensus",
    "fast": "altledger.fast.abft",
}
REQUIRED = ("consensus_output", "IncrementalConsensus")


def get_backend(name: str) -> ModuleType:
    """The backend module called ``name``; a missing or incomplete one raises ToolError."""
    if name not in BACKENDS:
        raise ToolError(f"unknown aBFT implementation {name!r}; choose one of {', '.join(BACKENDS)}")
    if name == "reference":
        return consensus
    module_name = BACKENDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise ToolError(f"the {name} aBFT implementation ({module_name}) is not available in this "
                            f"checkout; use --impl reference") from None
        raise
    missing = [attr for attr in REQUIRED if not hasattr(module, attr)]
    if missing:
        raise ToolError(f"{module_name} does not implement the backend interface: missing "
                        f"{', '.join(missing)} (see altledger.reference.abft.backends)")
    return module


def incremental_steps(backend: Any, dag: Dag) -> Iterator[tuple[str, dict[str, Any]]]:
    """Add ``dag``'s events one at a time to ``backend``; yield (label added, output so far) after each."""
    return consensus.incremental_outputs(dag, backend.IncrementalConsensus)

"""The fast hashgraph (spec/abft.md): Numba kernels that give exactly the reference's output.

``altledger abft order --impl fast`` picks this package through
:mod:`altledger.reference.abft.backends`; it provides the backend interface
documented there.

Modules, in reading order:

* :mod:`~altledger.fast.abft.kernels` – §3-§7 on integer arrays (Numba,
  compiled once and cached on disk); its docstring explains the data
  structures, how forks are handled, and the incremental strategy with its
  roll-back;
* :mod:`~altledger.fast.abft.state` – the arrays, their growth, loading
  events from the reference's validated objects;
* :mod:`~altledger.fast.abft.backend` – ``consensus_output`` (batch) and
  ``IncrementalConsensus``;
* :mod:`~altledger.fast.abft.crosscheck` – the differential state machine
  (reference vs fast, one event at a time) and the agreement checker, shared
  by the tests and ``altledger fuzz abft``;
* :mod:`~altledger.fast.abft.scenarios` – seeded adversarial gossip
  (a partition bridged by forkers) for the agreement checker's negative
  control.
"""

from altledger.fast.abft.backend import IncrementalConsensus, consensus_output

__all__ = ["IncrementalConsensus", "consensus_output"]

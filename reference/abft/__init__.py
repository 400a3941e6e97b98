"""Hashgraph aBFT virtual voting: the reference implementation (spec/abft.md).

Modules, in reading order:

* :mod:`~altledger.reference.abft.dag` – members, the DAG, validity (§1, §2);
* :mod:`~altledger.reference.abft.hashgraph` – the definitions of §3-§7, one
  function each, named as in the spec;
* :mod:`~altledger.reference.abft.consensus` – the consensus output (§8),
  batch and incremental;
* :mod:`~altledger.reference.abft.dagfile` – the DAG file (§9);
* :mod:`~altledger.reference.abft.simulate` – seeded gossip with forkers and
  a gossip log (§10.1);
* :mod:`~altledger.reference.abft.backends` – choose the reference or the
  fast implementation by name; documents the interface the fast one meets;
* :mod:`~altledger.reference.abft.cli` – ``altledger abft``.
"""

"""The conformance suites: which vectors, schemas, generator and client handler each suite uses.

Why a registry: the runner, the protocol and the built-in client are
suite-generic; a request's ``suite`` member selects everything
suite-specific through this table.  A new protocol (e.g. the hashgraph)
adds one :class:`Suite` here and its own modules; nothing else changes.

A suite names, as ``module:attribute`` strings imported on use:

* ``generator`` — ``() -> list[dict]``: every vector, built from the
  reference (each has ``id``, ``kind``-specific members and ``expected``);
* ``handler`` — ``(kind, input, backend) -> output``: the built-in
  client's answer to one request;
* ``backend`` — ``(impl_name) -> backend``: what ``--impl NAME`` means;
* ``kinds`` — vector kind -> JSON Schema file in ``conformance/schemas``.

A vector whose ``expected`` is ``{"error": {...}}`` must be *refused*: the
runner then compares the members ``compared[kind]`` of the client's error
object instead of its output (the hashgraph ``reject`` vectors).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from altledger.reference.errors import ToolError

CONFORMANCE_DIR = Path(__file__).resolve().parent
SCHEMA_DIR = CONFORMANCE_DIR / "schemas"
VECTOR_DIR = CONFORMANCE_DIR / "vectors"
PROTOCOL = "altledger-conformance/1"
MAX_LINE_CHARS = 64 << 20
"""The longest line either side of the protocol may print (conformance/README.md): over 600 times the
largest committed vector file, and a bound on what one misbehaving peer can make the other hold."""

# Members of a vector that describe it rather than being input for the client.
DESCRIPTIVE = ("id", "suite", "kind", "description", "clauses", "facts", "expected")


def line_too_long(piece: str) -> bool:
    """Whether ``piece``, what ``readline(MAX_LINE_CHARS + 1)`` returned, is the start of a line of more
    than MAX_LINE_CHARS characters (the newline not counted)."""
    return len(piece) > MAX_LINE_CHARS and not piece.endswith("\n")


@dataclass(frozen=True)
class Suite:
    name: str
    kinds: dict[str, str]                       # kind -> schema file name
    shared_schemas: tuple[str, ...]             # schema files the kind schemas refer to
    generator: str
    handler: str
    backend: str
    compared: dict[str, tuple[str, ...]]        # kind -> the output members the runner compares
    impls: tuple[str, ...] = ("reference", "fast")
    broken: str = ""                            # module:attribute -> {bug name: (description, clauses)}
    extra: dict[str, Any] = field(default_factory=dict)

    def vectors_dir(self, root: Path = VECTOR_DIR) -> Path:
        return root / self.name

    def load(self, attribute: str) -> Callable[..., Any]:
        module, _, name = attribute.partition(":")
        return getattr(importlib.import_module(module), name)


SUITES: dict[str, Suite] = {
    "twopc": Suite(
        name="twopc",
        kinds={"step": "twopc-step.schema.json", "run": "twopc-run.schema.json"},
        shared_schemas=("twopc-defs.schema.json",),
        generator="altledger.conformance.twopc_vectors:all_vectors",
        handler="altledger.conformance.twopc_handler:handle",
        backend="altledger.conformance.twopc_backends:backend",
        compared={"step": ("state", "sent", "log_writes"), "run": ("outcomes", "snapshot", "digests")},
        broken="altledger.conformance.broken_clients:BUGS",
    ),
    "abft": Suite(
        name="abft",
        kinds={"dag": "abft-dag-vector.schema.json", "incremental": "abft-incremental-vector.schema.json",
               "reject": "abft-reject-vector.schema.json"},
        shared_schemas=("abft-defs.schema.json", "abft-dag.schema.json"),
        generator="altledger.conformance.abft_vectors:all_vectors",
        handler="altledger.conformance.abft_handler:handle",
        backend="altledger.conformance.abft_backends:backend",
        compared={"dag": ("last_decided_round", "events", "order"), "incremental": ("digests", "checkpoints"),
                  "reject": ("class", "item")},
        broken="altledger.conformance.abft_broken:BUGS",
        # Where a vector's digests first differ is named by the event added at that step; the fast
        # implementation's first answer may include compiling its Numba kernels (a minute on a cold cache).
        extra={"describe_step": "altledger.conformance.abft_handler:describe_step", "answer_timeout": 600.0},
    ),
}


def suite(name: str) -> Suite:
    found = SUITES.get(name)
    if found is None:
        raise ToolError(f"unknown conformance suite {name!r}; known: {', '.join(sorted(SUITES))}")
    return found


def request_input(vector: dict[str, Any]) -> dict[str, Any]:
    """What the client receives for a vector: the vector without its descriptive members."""
    return {k: v for k, v in vector.items() if k not in DESCRIPTIVE}

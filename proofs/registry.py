"""Where the lemmas live.

Each entry of :data:`LEMMA_MODULES` is a module with a ``lemma()`` function
returning a :class:`~altledger.proofs.lemma.Lemma` (or ``lemmas()`` returning
several).  Modules are imported only when asked for, so listing lemmas stays
cheap and one broken module cannot hide the others' results.  To add a lemma,
add its module here.
"""

from __future__ import annotations

import importlib

from altledger.proofs.lemma import Lemma
from altledger.reference.errors import ToolError

LEMMA_MODULES: list[str] = [
    "altledger.proofs.twopc_atomicity",
    "altledger.proofs.abft_quorum",
    "altledger.proofs.abft_forks",
]


def lemmas_of(module_name: str) -> list[Lemma]:
    module = importlib.import_module(module_name)
    if hasattr(module, "lemmas"):
        return list(module.lemmas())
    if hasattr(module, "lemma"):
        return [module.lemma()]
    raise ToolError(f"{module_name} defines neither lemma() nor lemmas()")


def all_lemmas() -> list[Lemma]:
    return [lem for name in LEMMA_MODULES for lem in lemmas_of(name)]


def find(name: str) -> Lemma:
    found = [lem for lem in all_lemmas() if lem.name == name]
    if not found:
        known = ", ".join(lem.name for lem in all_lemmas())
        raise ToolError(f"no lemma named {name!r} (known: {known})")
    return found[0]

"""Agent identifiers and their shards (spec/encoding.md §E.2.4).

An agent is named by a CNS name such as ``alice.cns``; on the wire it is its
``AgentId``: the 32-byte BLAKE2b-256 digest of the UTF-8 bytes of the
normalised name.  Names have variable length and several spellings of the same
name (case, Unicode composition) compare equal; the digest has neither problem.
The shard of an agent depends only on its id, so a shard can be computed from
any value on the wire without knowing the name.
"""

from __future__ import annotations

from altledger.reference.hashing import blake2b_256, normalise_agent_name, shard_index


def agent_id(name: str) -> bytes:
    """``AgentId`` of a CNS name: ``BLAKE2b-256(utf8(normalise_agent_name(name)))``."""
    return blake2b_256(normalise_agent_name(name).encode("utf-8"))


MAX_SHARDS = 1 << 32
"""The most shards placement is defined for (spec/encoding.md: ``1 ≤ K ≤ 2^32``)."""


def check_shard_count(shard_count: object, most: int = MAX_SHARDS, what: str = "") -> None:
    """ValueError unless ``shard_count`` is an int in ``1 … most``; ``what`` qualifies the bound in the
    message (a run's own limit, for instance)."""
    if type(shard_count) is not int or not 1 <= shard_count <= most:
        bound = "2**32" if most == MAX_SHARDS else str(most)
        raise ValueError(f"shard_count must be an int in 1..{bound}{what}, got {shard_count!r}")


def shard_of_agent(agent: bytes, shard_count: int) -> int:
    """Shard of an agent id: the id read as a big-endian integer, modulo ``shard_count``.

    Agrees with :func:`altledger.reference.hashing.shard_of` on names
    (``shard_of(n, K) == shard_of_agent(agent_id(n), K)``; tested).
    """
    check_shard_count(shard_count)
    if type(agent) is not bytes or len(agent) != 32:
        raise ValueError("an AgentId is 32 bytes")
    return shard_index(agent, shard_count)

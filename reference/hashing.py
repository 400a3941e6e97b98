"""BLAKE2b-256 hashing with domain separation (spec/encoding.md §E.2).

Why a length-prefixed ASCII tag rather than BLAKE2b's ``person`` parameter:
several widely used BLAKE2b libraries (Go's x/crypto among them) do not expose
personalisation, and client teams in other languages must be able to compute
every identifier.  ``H(tag, m) = BLAKE2b-256(len(tag) || tag || m)`` with
``len(tag)`` one byte is expressible everywhere and unambiguous.
"""

from __future__ import annotations

import hashlib
import unicodedata

DIGEST_SIZE = 32

# Domain tags, one per kind of object that gets an identifier.  Adding a tag
# is a spec change (spec/encoding.md §E.2 lists them).
TAG_TRANSACTION = "altledger/tx/v1"
TAG_EVENT = "altledger/event/v1"
TAG_BLOCK = "altledger/block/v1"
TAG_VOTE = "altledger/vote/v1"
TAG_TIMEOUT = "altledger/timeout/v1"
TAG_TWOPC = "altledger/2pc/v1"


def blake2b_256(data: bytes) -> bytes:
    """Plain BLAKE2b with a 32-byte digest (no key, no personalisation)."""
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE).digest()


def tagged_hash(tag: str, data: bytes) -> bytes:
    """``BLAKE2b-256(len(tag) || tag || data)``: the identifier of ``data`` in domain ``tag``."""
    raw = tag.encode("ascii")
    if not 0 < len(raw) < 256:
        raise ValueError(f"domain tag must be 1..255 ASCII bytes, got {len(raw)}")
    return blake2b_256(bytes([len(raw)]) + raw + data)


def normalise_agent_name(name: str) -> str:
    """Agent names (``alice.cns``) compare after NFC and case folding (spec/two_phase_commit.md §1)."""
    return unicodedata.normalize("NFC", name).casefold()


def shard_of(name: str, shard_count: int) -> int:
    """Shard holding an agent: ``BLAKE2b-256(utf8(normalised name))`` as a big-endian integer mod ``shard_count``.

    Seed 000 §3.3 gives ``blake2b(cnsName) % activeShardCount``; the digest is
    read big-endian so that every language computes the same number.
    """
    if shard_count <= 0:
        raise ValueError(f"shard_count must be positive, got {shard_count}")
    return shard_index(blake2b_256(normalise_agent_name(name).encode("utf-8")), shard_count)


def shard_index(agent: bytes, shard_count: int) -> int:
    """The shard formula alone: ``agent`` (an ``AgentId``, the digest above) read as a big-endian
    integer, mod ``shard_count`` — without the checks of ``shard_of`` and
    ``encoding.shard_of_agent``, which call it.

    For callers whose ids and shard count were checked where they entered (the fast
    implementations, once per agent met, and the conformance handler): the formula is written here
    once, not at each of them.
    """
    return int.from_bytes(agent, "big") % shard_count

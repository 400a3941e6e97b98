"""Write encodings of *invalid* values, which the constructors refuse to build.

Why: the rejection tests need byte strings that break exactly one rule.
Building them by writing the fields with the same kinds the codec uses (but
skipping validation) keeps each test to the rule it is about, instead of
hand-assembling hex.
"""

from __future__ import annotations

from typing import Any

from altledger.reference.encoding import SignerSet, Value


def forge(cls: type[Value], **fields: Any) -> Value:
    """An instance of ``cls`` with the given fields and no validation at all."""
    value = object.__new__(cls)
    for name, item in fields.items():
        object.__setattr__(value, name, item)
    return value


def forge_signers(validator_count: int, members: tuple[int, ...]) -> SignerSet:
    value = object.__new__(SignerSet)
    object.__setattr__(value, "validator_count", validator_count)
    object.__setattr__(value, "members", members)
    return value


def forged_bytes(cls: type[Value], **fields: Any) -> bytes:
    return forge(cls, **fields).encode()


def replace(value: Value, **changes: Any) -> dict[str, Any]:
    """The fields of ``value`` with some changed (for :func:`forge`)."""
    fields = {name: getattr(value, name) for name in value.__dataclass_fields__}
    fields.update(changes)
    return fields

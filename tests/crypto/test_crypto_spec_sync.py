"""spec/crypto.md and the code say the same thing.

The tables an auditor reads (the speccheck verdicts of §C.4, the small-order
y values of §C.3.4, the DSTs of §C.5.2, the domain tags of §C.10.1, the rule
names of §C.3) are parsed from the spec and compared with the constants and
behaviour of the code, so neither can drift alone.
"""

from __future__ import annotations

import re
from pathlib import Path

from altledger.reference import hashing
from altledger.reference.crypto import bls, ed25519
from altledger.reference.crypto.ed25519_vectors import (
    LENIENT_SPECCHECK_ROW,
    LIBSODIUM_SPECCHECK_ROW,
    speccheck_cases,
)
from altledger.reference.crypto.edwards25519 import SMALL_ORDER_Y

REPO = Path(__file__).resolve().parents[2]

SPEC = (REPO / "spec" / "crypto.md").read_text(encoding="utf-8")


def section(number: str) -> str:
    start = SPEC.index(f"## {number} ")
    end = SPEC.find("\n## ", start + 1)
    return SPEC[start:end if end != -1 else None]


def table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:]   # without the header


def test_speccheck_table_matches_the_code(external_vectors):
    rows = table_rows(section("C.4"))
    assert [int(r[0]) for r in rows] == list(range(12))
    for row, case in zip(rows, speccheck_cases(external_vectors)):
        reason = ed25519.rejection_reason(*case)
        written = row[6]
        if reason is None:
            assert "accept" in written, row
        else:
            assert f"`{reason.name}`" in written, row
    assert "".join(r[7] for r in rows) == LIBSODIUM_SPECCHECK_ROW
    assert "".join(r[8] for r in rows) == LENIENT_SPECCHECK_ROW


def test_small_order_table_matches_the_code():
    encodings = set(re.findall(r"`([0-9a-f]{64})`", section("C.3")))
    short = {"0000…0000": 0, "0100…0000": 1, "ecff…ff7f": (2**255 - 19) - 1}
    listed = {int.from_bytes(bytes.fromhex(e), "little") for e in encodings}
    listed |= {y for text, y in short.items() if f"`{text}`" in section("C.3")}
    assert listed == set(SMALL_ORDER_Y)


def test_every_rejection_rule_is_named_in_c3():
    for rule in ed25519.Rejection:
        assert f"`{rule.name}`" in section("C.3"), rule


def test_dst_table_matches_the_constants():
    dsts = set(re.findall(r"`([A-Za-z0-9_:\-]+_)`", section("C.5")))
    assert {bls.SIGN_DST.decode(), bls.POP_DST.decode(), bls.RFC9380_TEST_DST.decode()} <= dsts
    assert bls.CIPHERSUITE_ID.decode() in section("C.5")


def test_tag_table_matches_hashing():
    rows = {r[0].strip("`"): r[1].strip("`") for r in table_rows(section("C.10"))}
    constants = {name: getattr(hashing, name) for name in dir(hashing) if name.startswith("TAG_")}
    assert rows == constants


def test_constants_quoted_in_the_spec_are_the_code_constants():
    c5 = section("C.5")
    assert f"{bls.FIELD_MODULUS:#x}"[:10] in c5 and f"{bls.FIELD_MODULUS:#x}"[-8:] in c5
    assert f"{bls.CURVE_ORDER:#x}"[:10] in c5
    assert bls.G1_GENERATOR.hex()[:8] in c5 and bls.G1_GENERATOR.hex()[-8:] in c5

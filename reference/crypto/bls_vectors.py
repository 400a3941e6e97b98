"""Running the ethereum/bls12-381-tests vectors against a BLS backend.

Format (see vectors/external/INDEX.md): ``<suite>/<handler>/<case>.json``
holding ``{"input": ..., "output": ...}``; an output of ``null`` means the
call must fail (here: raise CryptoInputError).  hash_to_G2 cases use the
RFC 9380 test DST and give affine coordinates as ``"0x<re>,0x<im>"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from altledger.reference.crypto.bls import (
    RFC9380_TEST_DST,
    BlsBackend,
    encode_g2_affine,
    get_backend,
    secret_key_from_bytes,
)
from altledger.reference.crypto.vectors import (
    BLS_SUITES,
    CaseResult,
    SuiteReport,
    external_vectors_dir,
    parse_hex,
    read_json,
)
from altledger.reference.errors import CryptoInputError, DecodeError, InputFileError

HANDLERS = ("aggregate", "aggregate_verify", "batch_verify", "deserialization_G1",
            "deserialization_G2", "fast_aggregate_verify", "hash_to_G2", "sign", "verify")


@dataclass(frozen=True)
class BlsCase:
    handler: str
    name: str
    path: Path
    input: Any
    output: Any

    def hex(self, value: object, item: str) -> bytes:
        return parse_hex(value, str(self.path), item)

    def hex_list(self, values: object, item: str) -> list[bytes]:
        if not isinstance(values, list):
            raise InputFileError(str(self.path), item, "expected a list")
        return [self.hex(v, f"{item}[{i}]") for i, v in enumerate(values)]


def suite_dir(suite: str, root: Path | None = None) -> Path:
    if suite not in BLS_SUITES:
        raise InputFileError("", suite, f"unknown BLS suite; choose one of {sorted(BLS_SUITES)}")
    return (root or external_vectors_dir()) / BLS_SUITES[suite][0]


def load_cases(suite: str, root: Path | None = None,
               handlers: Iterable[str] = HANDLERS) -> list[BlsCase]:
    """Every case of ``suite`` for ``handlers``, sorted by handler then name."""
    base = suite_dir(suite, root)
    if not base.is_dir():
        raise InputFileError(str(base), "", "BLS vector suite not found")
    cases = []
    for handler in handlers:
        for path in sorted((base / handler).glob("*.json")):
            data = read_json(path)
            if not isinstance(data, dict) or "input" not in data or "output" not in data:
                raise InputFileError(str(path), "", "expected an object with 'input' and 'output'")
            cases.append(BlsCase(handler, path.stem, path, data["input"], data["output"]))
    return cases


def _expect_bool(case: BlsCase, got: bool) -> CaseResult:
    ok = got is case.output
    return CaseResult(case.handler, case.name, ok, "" if ok else f"expected {case.output}, got {got}")


def _expect_bytes_or_failure(case: BlsCase, compute: Callable[[], bytes]) -> CaseResult:
    """Compare with a hex output, or require CryptoInputError when the output is null."""
    try:
        got = compute()
    except CryptoInputError as err:
        if case.output is None:
            return CaseResult(case.handler, case.name, True, f"rejected: {err}")
        return CaseResult(case.handler, case.name, False, f"unexpected rejection: {err}")
    if case.output is None:
        return CaseResult(case.handler, case.name, False, f"expected failure, got 0x{got.hex()}")
    want = case.hex(case.output, "output")
    ok = got == want
    return CaseResult(case.handler, case.name, ok, "" if ok else f"expected 0x{want.hex()}, got 0x{got.hex()}")


def _deserializes(check: Callable[[bytes], None], data: bytes) -> bool:
    try:
        check(data)
    except DecodeError:
        return False
    return True


def _affine_pair(case: BlsCase, item: str) -> tuple[int, int]:
    text = case.output.get(item) if isinstance(case.output, dict) else None
    parts = text.split(",") if isinstance(text, str) else []
    if len(parts) != 2:
        raise InputFileError(str(case.path), f"output.{item}", "expected '0x<re>,0x<im>'")
    re_part, im_part = (int.from_bytes(case.hex(p, f"output.{item}"), "big") for p in parts)
    return re_part, im_part


def run_case(backend: BlsBackend, case: BlsCase) -> CaseResult:
    """Evaluate one case; an unexpected exception is a failed case, never a crash."""
    i = case.input
    try:
        if case.handler == "aggregate":
            return _expect_bytes_or_failure(case, lambda: backend.Aggregate(case.hex_list(i, "input")))
        if case.handler == "sign":
            return _expect_bytes_or_failure(case, lambda: backend.Sign(
                secret_key_from_bytes(case.hex(i["privkey"], "privkey")), case.hex(i["message"], "message")))
        if case.handler == "verify":
            return _expect_bool(case, backend.Verify(case.hex(i["pubkey"], "pubkey"),
                                                     case.hex(i["message"], "message"),
                                                     case.hex(i["signature"], "signature")))
        if case.handler == "aggregate_verify":
            return _expect_bool(case, backend.AggregateVerify(case.hex_list(i["pubkeys"], "pubkeys"),
                                                              case.hex_list(i["messages"], "messages"),
                                                              case.hex(i["signature"], "signature")))
        if case.handler == "fast_aggregate_verify":
            return _expect_bool(case, backend.FastAggregateVerify(case.hex_list(i["pubkeys"], "pubkeys"),
                                                                  case.hex(i["message"], "message"),
                                                                  case.hex(i["signature"], "signature")))
        if case.handler == "batch_verify":
            return _expect_bool(case, backend.BatchVerify(case.hex_list(i["pubkeys"], "pubkeys"),
                                                          case.hex_list(i["messages"], "messages"),
                                                          case.hex_list(i["signatures"], "signatures")))
        if case.handler == "deserialization_G1":
            return _expect_bool(case, _deserializes(backend.check_g1, case.hex(i["pubkey"], "pubkey")))
        if case.handler == "deserialization_G2":
            return _expect_bool(case, _deserializes(backend.check_g2, case.hex(i["signature"], "signature")))
        if case.handler == "hash_to_G2":
            want = encode_g2_affine(_affine_pair(case, "x"), _affine_pair(case, "y"))
            got = backend.hash_to_G2(i["msg"].encode("utf-8"), RFC9380_TEST_DST)
            ok = got == want
            return CaseResult(case.handler, case.name, ok,
                              "" if ok else f"expected 0x{want.hex()}, got 0x{got.hex()}")
    except (KeyError, TypeError, AttributeError) as err:
        raise InputFileError(str(case.path), "input", f"unexpected shape: {err!r}") from None
    except InputFileError:
        raise
    except Exception as err:  # noqa: BLE001 - a crash on a vector is a failed case, reported
        return CaseResult(case.handler, case.name, False, f"{type(err).__name__}: {err}")
    raise InputFileError(str(case.path), "", f"unknown handler {case.handler!r}")


def run_suite(suite: str, backend_name: str, root: Path | None = None,
              cases: list[BlsCase] | None = None,
              progress: Callable[[str], None] | None = None) -> SuiteReport:
    """Run a whole suite (or the given subset of its cases) on one backend."""
    backend = get_backend(backend_name)
    # A full run is judged against the INDEX count (a missing file fails);
    # a deliberate sample is judged on its own size.
    expected = len(cases) if cases is not None else BLS_SUITES[suite][1]
    if cases is None:
        cases = load_cases(suite, root)
    report = SuiteReport(suite, backend_name, expected)
    for index, case in enumerate(cases, 1):
        if progress:
            progress(f"{suite} on {backend_name}: {index}/{len(cases)} {case.handler}/{case.name}")
        report.results.append(run_case(backend, case))
    return report

"""The crypto layer's command line, verify checks, bench command and vector lookup."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from altledger.conformance.checks import run_check
from altledger.fast.bench import timing
from altledger.fast.bench.cli import bench_command
from altledger.fast.crypto import bls_blst
from altledger.reference.crypto import checks as crypto_checks
from altledger.reference.crypto.cli import crypto_command
from altledger.reference.crypto.vectors import SHARED_ENV, external_vectors_dir
from altledger.reference.errors import InputFileError


def invoke(command, *args: str):
    return CliRunner().invoke(command, list(args), catch_exceptions=False)


# -- where the vectors are ------------------------------------------------------------------------

def test_vector_lookup_agrees_with_the_test_fixture(external_vectors):
    assert external_vectors_dir() == external_vectors


def test_vector_lookup_honours_the_environment(monkeypatch, tmp_path):
    (tmp_path / "vectors" / "external").mkdir(parents=True)
    monkeypatch.setenv(SHARED_ENV, str(tmp_path))
    assert external_vectors_dir() == tmp_path / "vectors" / "external"
    monkeypatch.setenv(SHARED_ENV, str(tmp_path / "missing"))
    with pytest.raises(InputFileError, match="ALTLEDGER_SHARED"):
        external_vectors_dir()


# -- altledger crypto ----------------------------------------------------------------------------

def test_vectors_command_ed25519_json(external_vectors):
    result = invoke(crypto_command, "vectors", "--suite", "ed25519", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["passed"] is True
    assert {r["suite"]: r["passed_cases"] for r in data["reports"]} == {
        "rfc8032": 5, "wycheproof": 151, "speccheck": 12}


def test_vectors_command_bls_blst_table(external_vectors):
    result = invoke(crypto_command, "vectors", "--suite", "bls-head", "--backend", "blst")
    assert result.exit_code == 0
    assert "bls-head on blst: 104/104 cases" in result.stdout
    assert "deserialization_G1" in result.stdout


def test_vectors_command_reports_failing_cases_with_exit_1(external_vectors, monkeypatch):
    monkeypatch.setattr(bls_blst.BlstBackend, "_hash_to_g2", lambda self, message, dst: b"\xc0" + bytes(95))
    result = invoke(crypto_command, "vectors", "--suite", "bls-v0.1.2", "--backend", "blst")
    assert result.exit_code == 1
    assert "94/98 cases" in result.stdout
    assert result.stdout.count("failed hash_to_G2/") == 4


def test_vectors_command_without_vectors_exits_2_with_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv(SHARED_ENV, str(tmp_path))
    result = CliRunner().invoke(crypto_command, ["vectors", "--suite", "ed25519"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error:")


def test_ed25519_verify_command_names_the_rule():
    bad_key = "ec" + "ff" * 31
    result = invoke(crypto_command, "ed25519-verify", "--public-key", bad_key, "--message", "",
                    "--signature", "00" * 64, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"valid": False, "rule": "A_NON_CANONICAL",
                                         "reason": "public key A is not a canonical encoding"}
    assert CliRunner().invoke(crypto_command, ["ed25519-verify", "--public-key", "zz", "--message", "",
                                               "--signature", "00"]).exit_code == 2


# -- altledger verify checks -----------------------------------------------------------------------

def test_checks_cover_every_suite_and_backend():
    names = [c.name for c in crypto_checks.checks()]
    assert len(names) == len(set(names)) == 7
    assert {c.group for c in crypto_checks.checks()} == {"crypto"}
    for suite in ("bls-v0.1.2", "bls-head"):
        for backend in ("blst", "py_ecc"):
            assert f"BLS vectors {suite}, {backend}" in names


def test_fast_checks_pass_with_their_key_figures(external_vectors):
    figures = {}
    for check in crypto_checks.checks():
        if "py_ecc" in check.name:
            continue   # ~20 s each: exercised by `altledger verify`, sampled in test_crypto_bls_vectors
        result = run_check(check, lambda message: None)
        assert result.outcome.passed, (check.name, result.outcome.detail)
        figures[check.name] = result.outcome.figure
    assert figures["BLS vectors bls-head, blst"] == "104/104 cases"
    assert figures["Ed25519 Wycheproof vectors"] == "151/151 cases"


def test_a_check_without_vectors_fails_and_says_why(monkeypatch, tmp_path):
    monkeypatch.setenv(SHARED_ENV, str(tmp_path))
    check = next(c for c in crypto_checks.checks() if c.name == "BLS vectors bls-head, py_ecc")
    result = run_check(check, lambda message: None)
    assert not result.outcome.passed
    assert "ALTLEDGER_SHARED" in result.outcome.detail


# -- altledger bench ---------------------------------------------------------------------------------

def test_measure_calls_warmup_plus_runs_times_inner():
    calls = []
    t = timing.measure("op", "impl", lambda: calls.append(1), runs=3, inner=4, warmup=2)
    assert len(calls) == 2 + 3 * 4
    assert t.min_s <= t.median_s <= t.max_s
    with pytest.raises(ValueError):
        timing.measure("op", "impl", lambda: None, runs=0)


def test_machine_description_names_cpu_python_and_libraries():
    machine = timing.machine_description(["pyblst", "no-such-distribution"])
    assert machine["cores"] >= 1 and machine["python"]
    assert machine["libraries"] == {"pyblst": "0.3.15", "no-such-distribution": "not installed"}


def test_bench_crypto_json_small_run():
    result = invoke(bench_command, "crypto", "--runs", "1", "--signers", "3", "--backend", "blst", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    operations = {(r["operation"], r["implementation"]) for r in data["results"]}
    assert ("BLS FastAggregateVerify (3 signers)", "blst") in operations
    assert ("Ed25519 verify (policy §C.3)", "pynacl + explicit checks") in operations
    assert all(r["median_s"] > 0 for r in data["results"])
    assert data["machine"]["libraries"]["pynacl"] == "1.6.2"

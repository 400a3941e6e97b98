"""``altledger abft order --impl fast``, ``altledger bench abft`` and the ``abft`` fuzz target."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from altledger.__main__ import cli
from altledger.conformance.fuzz import TARGETS, load_machine
from altledger.fast.abft.crosscheck import GossipMachine


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def dag_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("abft-fast") / "dag.json"
    result = run("abft", "simulate", "-n", "5", "-e", "150", "--stakes", "1,2,1,3,1", "-k", "1",
                 "--coin-period", "3", "--seed", "11", "--out", str(path))
    assert result.exit_code == 0, result.output
    return path


def test_order_fast_batch_incremental_and_stream_equal_the_reference(dag_file):
    expected = run("abft", "order", str(dag_file)).stdout
    assert json.loads(expected)["order"]
    assert run("abft", "order", str(dag_file), "--impl", "fast").stdout == expected
    assert run("abft", "order", str(dag_file), "--impl", "fast", "--incremental").stdout == expected
    reference_stream = run("abft", "order", str(dag_file), "--incremental", "--stream").stdout
    assert run("abft", "order", str(dag_file), "--impl", "fast", "--incremental", "--stream").stdout == \
        reference_stream


def test_order_fast_summary_names_the_implementation(dag_file):
    result = run("abft", "order", str(dag_file), "--impl", "fast", "--summary")
    assert result.exit_code == 0
    assert "computed by the fast implementation" in result.stdout


def test_order_fast_in_a_fresh_process_rejects_a_bad_file_cleanly(dag_file, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "altledger", "abft", "order", "--impl", "fast", str(dag_file)],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and json.loads(proc.stdout)["events"]
    bad = tmp_path / "bad.json"
    document = json.loads(dag_file.read_text())
    document["events"][20]["other_parent"] = document["events"][20]["self_parent"]
    bad.write_text(json.dumps(document))
    proc = subprocess.run([sys.executable, "-m", "altledger", "abft", "order", "--impl", "fast", str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"error: {bad}") and len(proc.stderr.splitlines()) == 1


def test_bench_abft_tiny_run_reports_and_checks(tmp_path):
    result = run("bench", "abft", "-n", "3", "-e", "60", "--runs", "1", "--reference-events", "40", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["failures"] == []
    rows = {(r["implementation"], r["notes"]["mode"], r["notes"]["events"]): r for r in report["results"]}
    assert set(rows) == {("fast", "batch", 60), ("fast", "incremental", 60), ("fast", "incremental-kernels", 60),
                         ("reference", "batch", 40), ("reference", "incremental", 40), ("fast", "batch", 40)}
    assert all(r["notes"]["events_per_s"] > 0 and r["notes"]["max_rss_mib"] > 0 for r in rows.values())
    assert "load_average_1_5_15_min" in report["machine"]


def test_fuzz_target_is_registered():
    assert "abft" in TARGETS
    assert load_machine("abft") is GossipMachine

"""``altledger abft simulate`` and ``altledger abft order``: outputs, determinism, clean errors."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from altledger.__main__ import cli
from altledger.reference.abft.consensus import consensus_output
from altledger.reference.abft.dagfile import read_dag_file


def run(*args: str):
    return CliRunner().invoke(cli, ["abft", *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def dag_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("abft") / "dag.json"
    result = run("simulate", "--members", "4", "--events", "80", "--forkers", "1", "--seed", "7",
                 "--transactions", "1", "--out", str(path))
    assert result.exit_code == 0, result.output
    return path


def test_simulate_then_order(dag_file):
    result = run("order", str(dag_file))
    assert result.exit_code == 0, result.stderr
    output = json.loads(result.stdout)
    assert output == consensus_output(read_dag_file(dag_file))
    assert len(output["events"]) == 80 and output["order"]
    assert set(output) == {"format", "last_decided_round", "events", "order"}
    entry = next(iter(output["events"].values()))
    assert set(entry) == {"hash", "round", "witness", "famous", "round_received", "consensus_timestamp"}


def test_simulate_is_deterministic_by_seed(tmp_path):
    paths = []
    for name, seed in [("a", "3"), ("b", "3"), ("c", "4")]:
        out, log = tmp_path / f"{name}.json", tmp_path / f"{name}.log.json"
        result = run("simulate", "-n", "5", "-e", "60", "--stakes", "1,1,2,5,1", "-k", "1", "--seed", seed,
                     "--out", str(out), "--gossip-log", str(log))
        assert result.exit_code == 0, result.output
        paths.append((out.read_bytes(), log.read_bytes()))
    assert paths[0] == paths[1]
    assert paths[0][0] != paths[2][0]


def test_simulate_summary_json_and_stakes(tmp_path):
    result = run("simulate", "-n", "4", "-e", "30", "--stakes", "uniform:1-9", "--seed", "1", "--json",
                 "--out", str(tmp_path / "d.json"))
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["events"] == 30 and len(summary["members"]) == 4
    assert summary["total_stake"] == sum(m["stake"] for m in summary["members"])
    assert all(1 <= m["stake"] <= 9 for m in summary["members"])


def test_forkers_with_a_third_of_the_stake_are_warned_about(tmp_path):
    result = run("simulate", "-n", "4", "-e", "20", "-k", "2", "--seed", "1", "--out", str(tmp_path / "d.json"))
    assert result.exit_code == 0
    assert "warning: forking members hold stake 2 of 4 (>= S/3)" in result.stderr
    result = run("simulate", "-n", "4", "-e", "20", "-k", "1", "--seed", "1", "--out", str(tmp_path / "d.json"))
    assert "warning" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["-n", "4", "-e", "3"], "must be at least --members (4)"),
    (["-n", "4", "-e", "9", "--stakes", "1,2"], "2 stakes given for 4 members"),
    (["-n", "4", "-e", "9", "--stakes", "1,x,1,1"], "expected positive integers"),
    (["-n", "4", "-e", "9", "-k", "5"], "cannot exceed --members (4)"),
    (["-n", "4", "-e", "9", "--coin-period", "2"], "coin-period"),
])
def test_simulate_rejects_bad_options(tmp_path, args, message):
    result = run("simulate", *args, "--seed", "1", "--out", str(tmp_path / "d.json"))
    assert result.exit_code == 2
    assert message in result.stderr


def test_order_summary(dag_file):
    result = run("order", str(dag_file), "--summary")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"{dag_file}: 80 events, 4 members (S = 4), coin_period 10"
    assert lines[2].startswith("last decided round ")


def test_order_incremental_equals_batch(dag_file):
    batch = json.loads(run("order", str(dag_file)).stdout)
    assert json.loads(run("order", str(dag_file), "--incremental").stdout) == batch
    stream = [json.loads(line) for line in run("order", str(dag_file), "--incremental", "--stream").stdout.splitlines()]
    assert len(stream) == 80 and stream[-1]["output"] == batch
    assert [s["added"] for s in stream] == list(batch["events"])


def test_malformed_dag_file_exits_2_with_one_line(dag_file, tmp_path):
    bad = tmp_path / "bad.json"
    lines = dag_file.read_text().splitlines()
    victim = next(i for i, line in enumerate(lines) if '"self_parent": "' in line)
    record = json.loads(lines[victim].rstrip(","))
    record["self_parent"] = "ghost"
    lines[victim] = "    " + json.dumps(record) + ","
    bad.write_text("\n".join(lines) + "\n")
    result = run("order", str(bad))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"error: {bad}:{victim + 1}: event {record['id']!r}: self_parent 'ghost' is not an "
                             "event of this file\n")


def test_bad_signature_exits_2_unless_unchecked(dag_file, tmp_path):
    bad = tmp_path / "badsig.json"
    text = dag_file.read_text()
    signature = json.loads(text)["events"][10]["signature"]
    bad.write_text(text.replace(signature, signature[::-1]))
    result = run("order", str(bad))
    assert result.exit_code == 2 and "signature does not verify" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert run("order", str(bad), "--no-signature-check").exit_code == 0


def test_fast_implementation(dag_file):
    result = run("order", str(dag_file), "--impl", "fast")
    if importlib.util.find_spec("altledger.fast.abft") is None:
        assert result.exit_code == 2
        assert result.stderr == ("error: the fast aBFT implementation (altledger.fast.abft) is not available in "
                                 "this checkout; use --impl reference\n")
    else:
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout) == json.loads(run("order", str(dag_file)).stdout)


def test_real_process_exit_code_and_stderr(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"params": {"coin_period": 10}, "members": [], "events": []}')
    proc = subprocess.run([sys.executable, "-m", "altledger", "abft", "order", str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"error: {bad}: members: [] should be non-empty (schema)\n"

"""``altledger twopc simulate | replay``: text and JSON output, exit codes, determinism."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from altledger.reference.twopc.cli import twopc_command


def run(*args: str) -> object:
    return CliRunner().invoke(twopc_command, list(args), catch_exceptions=False)


SMALL = ["simulate", "--seed", "4", "--agents", "8", "--shards", "3", "--txs", "10"]


def test_simulate_text_report():
    result = run(*SMALL, "--faults", "mild,crash=0.02")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "simulate: seed 4, 8 agents, 3 shards, 10 transactions" in out
    assert "invariants: all held" in out and "termination: every transaction ended" in out
    assert out.count("committed") + out.count("aborted") >= 10
    assert "a1.cns" in out and "operations:" in out and "snapshot digest:" in out


def test_simulate_json_report_is_consistent():
    result = run(*SMALL, "--faults", "harsh", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and report["terminated"] and report["invariants"] == {"checked": True, "held": True,
                                                                              "violations": []}
    assert [t["label"] for t in report["transactions"]] == [f"t{i}" for i in range(1, 11)]
    assert {t["status"] for t in report["transactions"]} <= {"committed", "aborted"}
    assert all(t["reason"] is None for t in report["transactions"] if t["status"] == "committed")
    assert len(report["balances"]) == 8
    took = report["operations"]["took_effect"]
    assert took["submit"] >= 1 and report["operations"]["total"] >= sum(took.values())


def test_many_agents_get_a_balance_summary_and_rounds_schedule_works():
    result = run("simulate", "--seed", "1", "--agents", "60", "--shards", "4", "--txs", "50",
                 "--schedule", "rounds")
    assert result.exit_code == 0, result.output
    assert "balances: 60 agents, total" in result.output and "schedule rounds" in result.output


def test_same_seed_gives_identical_snapshot_and_trace_bytes(tmp_path):
    outputs = []
    for name in ("a", "b", "c"):
        seed = "8" if name != "c" else "9"
        result = run("simulate", "--seed", seed, "--agents", "6", "--shards", "3", "--txs", "6", "--faults",
                     "harsh", "--trace", str(tmp_path / f"{name}.trace"), "--snapshot", str(tmp_path / f"{name}.json"),
                     "--save-ops", str(tmp_path / f"{name}.ops.json"))
        assert result.exit_code == 0, result.output
        outputs.append(tuple((tmp_path / f"{name}{ext}").read_bytes() for ext in (".trace", ".json", ".ops.json")))
    assert outputs[0] == outputs[1]
    assert all(x != y for x, y in zip(outputs[0], outputs[2]))


def test_replay_reproduces_the_simulated_run(tmp_path):
    ops = tmp_path / "ops.json"
    simulated = json.loads(run(*SMALL, "--faults", "mild", "--save-ops", str(ops), "--json").output)
    replayed = run("replay", str(ops), "--json", "--snapshot", str(tmp_path / "snap.json"))
    assert replayed.exit_code == 0, replayed.output
    report = json.loads(replayed.output)
    assert report["snapshot_digest"] == simulated["snapshot_digest"]
    assert report["transactions"] == simulated["transactions"]
    assert json.loads((tmp_path / "snap.json").read_text())["format"] == "altledger-2pc-snapshot/1"


def test_replay_of_an_unfinished_run_reports_transactions_in_progress(tmp_path):
    ops = tmp_path / "ops.json"
    run(*SMALL, "--save-ops", str(ops))
    from altledger.reference.twopc import load_scenario
    from altledger.reference.twopc.simulate import unfinished
    scenario = load_scenario(ops)
    cluster = scenario.new_cluster()
    for cut, op in enumerate(scenario.operations, 1):          # stop while a transaction is running
        cluster.apply(op)
        if any(unfinished(cluster, tx) for tx in cluster.transactions.values()):
            break
    data = json.loads(ops.read_text())
    data["operations"] = data["operations"][:cut]
    ops.write_text(json.dumps(data))
    result = run("replay", str(ops))
    assert result.exit_code == 0, result.output          # termination is not required of a replay
    assert "in progress" in result.output and "termination: NOT reached (not required)" in result.output


def test_bad_input_is_one_line_and_exit_code_two(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "altledger-2pc-ops/1"}')
    result = run("replay", str(bad))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ") and "bad.json" in result.stderr
    assert run("replay", str(tmp_path / "missing.json")).exit_code == 2
    result = run(*SMALL, "--faults", "loss=2")
    assert result.exit_code == 2 and "out of [0, 1]" in result.output
    assert run(*SMALL, "--faults", "gremlins=0.1").exit_code == 2
    assert run(*SMALL, "--schedule", "rounds", "--faults", "mild").exit_code == 2


def test_a_violation_gives_exit_code_one(monkeypatch):
    from altledger.reference.encoding import VoteMsg, VoteReason, VoteValue
    from altledger.reference.twopc import coordinator as coordinator_rules
    from altledger.reference.twopc import shard as shard_module
    original = coordinator_rules.on_vote

    def commit_on_no(b, vote):
        if vote.vote is VoteValue.NO:
            vote = VoteMsg(vote.txid, vote.shard, VoteValue.YES, VoteReason.NONE)
        original(b, vote)
    monkeypatch.setattr(shard_module, "on_vote", commit_on_no)
    result = run("simulate", "--seed", "1", "--agents", "8", "--shards", "3", "--txs", "25")
    assert result.exit_code == 1 and "invariants: VIOLATED" in result.output


def test_the_command_is_registered_with_the_altledger_cli():
    out = subprocess.run([sys.executable, "-m", "altledger", "twopc", "simulate", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "--faults" in out and "--trace" in out and "--check-invariants" in out

"""`altledger tlc` end to end, as a user runs it (a subprocess, real TLC).

Exit codes: 0 success / accepted, 1 violation / rejected, 2 usage, parse or
tool error with one line on stderr.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from altledger.tla.demo_trace import simulate

pytestmark = pytest.mark.tlc

REPO = Path(__file__).resolve().parents[2]


def altledger(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "altledger", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env=env)


def test_tlc_spec_config_form_from_the_issue():
    run = altledger("tlc", "tla/Demo.tla", "--config", "tla/Demo.ci.cfg")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "outcome: success: no error found" in out
    assert "states: " in out and " distinct, depth " in out and "time: " in out


def test_violation_exits_1_with_readable_states_and_json():
    run = altledger("tlc", "check", "tla/Demo.tla", "--config", "broken", "--json")
    assert run.returncode == 1, run.stderr
    data = json.loads(run.stdout)
    assert data["outcome"] == "invariant violated" and data["violated"] == "NeverFull"
    assert data["config"].endswith("Demo.broken.cfg") and data["exit_code"] == 12
    states = data["counterexample"]["states"]
    assert [s["action"] for s in states] == [None, "Produce", "Produce"]
    text = altledger("tlc", "tla/Demo.tla", "--config", "broken")
    assert text.returncode == 1
    assert "invariant NeverFull is violated" in text.stdout and "State 3: Produce" in text.stdout


def test_parse_error_exits_2_with_file_line_column(tmp_path):
    shutil.copy(REPO / "tests/tla/data/specs/Syntax.tla", tmp_path)
    shutil.copy(REPO / "tests/tla/data/specs/Syntax.cfg", tmp_path)
    run = altledger("tlc", str(tmp_path / "Syntax.tla"))
    assert run.returncode == 2
    assert f"{tmp_path / 'Syntax.tla'}:5:20:" in run.stdout


def test_usage_errors_exit_2_without_running_tlc():
    no_config = altledger("tlc", "tla/Demo.tla")
    assert no_config.returncode == 2 and "Demo.ci.cfg" in no_config.stderr
    assert altledger("tlc", "tla/Demo.tla", "--config", "ci", "--depth", "5").returncode == 2
    assert altledger("tlc", "tla/NoSuch.tla", "--config", "ci").returncode == 2
    assert altledger("tlc", "--help").returncode == 0
    assert "trace" in altledger("tlc", "--help").stdout


def test_missing_java_is_one_clean_line():
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = ""
    run = altledger("tlc", "tla/Demo.tla", "--config", "ci", env=env)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "altledger tlc: java not found on PATH: install a Java runtime, e.g. apt-get install default-jre-headless"]


@pytest.mark.parametrize("content, named", [
    (b"INIT Init\n\\* \xff\xfe\nNEXT Next\n", "not UTF-8: invalid start byte at byte 13"),
    (b"\\* expect: violation\nINIT Init\nNEXT Next\n", ":1: expect: write"),
])
def test_a_config_altledger_cannot_read_is_refused_before_tlc_runs(tmp_path, content, named):
    """The cfg is read before TLC is started (PATH is empty, so TLC could not have run): an unreadable
    cfg or a malformed expect line is one typed line naming the file, not TLC's own config error."""
    cfg = tmp_path / "Demo.bad.cfg"
    cfg.write_bytes(content)
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = ""
    run = altledger("tlc", "check", "tla/Demo.tla", "--config", str(cfg), env=env)
    assert run.returncode == 2, run.stdout
    [line] = run.stderr.strip().splitlines()
    assert str(cfg) in line and named in line, line


def test_trace_subcommand(tmp_path):
    good = tmp_path / "good.jsonl"
    simulate(good, max_items=4, seed=2)
    run = altledger("tlc", "trace", str(good), "--spec-dir", "tla")
    assert run.returncode == 0, run.stderr
    assert "accepted (17 steps)" in run.stdout

    lines = good.read_text().splitlines()
    bad = tmp_path / "bad.jsonl"
    step = json.loads(lines[1])
    step["params"] = {"p": "p2" if step["params"]["p"] == "p1" else "p1"}
    bad.write_text("\n".join([lines[0], json.dumps(step), *lines[2:]]) + "\n")
    rejected = altledger("tlc", "trace", str(bad), "--json")
    assert rejected.returncode == 1
    data = json.loads(rejected.stdout)
    assert data["accepted"] is False and data["line"] == 2 and data["action"].startswith("Produce(")

    malformed = tmp_path / "malformed.jsonl"
    malformed.write_text(lines[0] + "\n{not json\n")
    broken = altledger("tlc", "trace", str(malformed))
    assert broken.returncode == 2
    assert broken.stderr.strip().startswith(f"altledger tlc: {malformed}:2: step: not JSON")
    assert len(broken.stderr.strip().splitlines()) == 1

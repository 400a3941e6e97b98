"""``altledger fuzz``: runs the differential machine for a time, reports examples and any difference.

Short runs only (the command is for long ones): a clean run exits 0 and
counts examples; with a bug injected into the fast implementation it exits 1
and prints the shrunk failing program with its ``@reproduce_failure`` blob;
without Hypothesis it says what to install and exits 2.
"""

from __future__ import annotations

import importlib
import json

from click.testing import CliRunner

from altledger.conformance import fuzz
from altledger.conformance.fuzz import fuzz_command
from altledger.fast.twopc.cluster import Cluster


def test_a_short_clean_run_reports_its_examples_as_json():
    result = CliRunner().invoke(fuzz_command, ["twopc", "--minutes", "0.02", "--seed", "3", "--json"])
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)["reports"]
    assert report["target"] == "twopc" and report["passed"] and report["examples"] >= 1 and report["seed"] == 3


def test_an_injected_bug_is_reported_with_a_reproduction(monkeypatch):
    original = Cluster.duplicate

    def duplicate_skips_a_number(self, number):
        if number in self.network:
            self.next_number += 1
        return original(self, number)
    monkeypatch.setattr(Cluster, "duplicate", duplicate_skips_a_number)
    result = CliRunner().invoke(fuzz_command, ["twopc", "--minutes", "1", "--shrink-seconds", "1"])
    assert result.exit_code == 1, result.output
    assert "twopc: DIFFERENCE FOUND" in result.output and "differ" in result.output
    assert "@reproduce_failure(" in result.output and "state.teardown()" in result.output


def test_without_hypothesis_the_command_says_what_to_install(monkeypatch):
    real_import = importlib.import_module

    def no_hypothesis(name, *args):
        if name == "hypothesis":
            raise ModuleNotFoundError("No module named 'hypothesis'", name="hypothesis")
        return real_import(name, *args)
    monkeypatch.setattr(fuzz.importlib, "import_module", no_hypothesis)
    result = CliRunner().invoke(fuzz_command, ["twopc", "--minutes", "0.02"])
    assert result.exit_code == 2
    assert "error: Hypothesis is not installed" in result.output and "altledger[test]" in result.output


def test_targets_are_a_registry_and_unknown_ones_are_usage_errors():
    assert "twopc" in fuzz.TARGETS and all(":" in module for module, _ in fuzz.TARGETS.values())
    result = CliRunner().invoke(fuzz_command, ["nonsense"])
    assert result.exit_code == 2 and "Invalid value" in result.output

"""``altledger bench twopc`` on a tiny workload: it reports, and it refuses to report a wrong fast result.

No speed is asserted here (speed targets live in the benchmark itself); the
tests check the command's output shape and that a fast implementation whose
result differs from the reference's makes the benchmark fail instead of
printing a number.
"""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from altledger.fast.bench.twopc import twopc_bench
from altledger.fast.twopc import codes
from altledger.fast.twopc.shard import FastShard
from twopc_helpers import misread_nonces

TINY = ["--transfers", "150", "--shards", "4", "--agents", "40", "--batch", "50", "--runs", "1"]


def test_the_benchmark_reports_every_implementation_with_rates_and_targets():
    result = CliRunner().invoke(twopc_bench, [*TINY, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    names = [r["implementation"] for r in report["results"]]
    assert names == ["reference", "fast, 1 worker", "fast, 2 workers", "fast, 1 worker, 2 runs at once"]
    assert [r["notes"].get("engine") for r in report["results"]] == [None, "numba", "numba", "numba"]
    for timing in report["results"]:
        assert timing["median_s"] > 0 and timing["notes"]["transfers"] == (300 if "at once" in
                                                                           timing["implementation"] else 150)
        assert len(timing["notes"]["load_1min_before_after"]) == 2
    summary = report["machine"]["summary"]
    assert {"fast_1_vs_reference", "workers_2_vs_1", "met_fast_vs_reference", "met_workers_2_vs_1",
            "projected_workers_2_vs_1_from_cpu", "independent_pair_vs_1"} <= set(summary)
    # the pair's time is the slower of its two runs, and its gain is twice the 1-worker median over it
    one, pair = report["results"][1], report["results"][3]
    assert pair["median_s"] == pytest.approx(max(pair["notes"]["each_run_s"][0]), abs=1e-3)      # (one run)
    assert summary["independent_pair_vs_1"] == round(2 * one["median_s"] / pair["median_s"], 2)
    assert report["machine"]["benchmark_setup"]["transfers"] == 150
    for timing, groups in zip(report["results"][1:], (1, 2)):    # where each fast configuration's time went
        medians = timing["notes"]["phases_ms_median"]
        assert list(medians) == [f"group {g}" for g in range(groups)] + ["merged"]
        for g in range(groups):
            phases = medians[f"group {g}"]
            assert list(phases) == ["began", "init", "read", "swap", "take", "compute", "exchange", "finish", "ended"]
            assert phases["read"] > 0 and phases["compute"] > 0 and phases["ended"] <= medians["merged"]


def test_the_benchmark_runs_the_fast_configurations_on_wire_input(monkeypatch):
    result = CliRunner().invoke(twopc_bench, [*TINY, "--input", "wire", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    setup = report["machine"]["benchmark_setup"]
    assert setup["input"] == "wire" and setup["wire_check_ms"] >= 0
    assert [r["notes"].get("engine") for r in report["results"]] == [None, "numba", "numba", "numba"]
    # and the wire runs' results are checked too: a misreading of the bytes fails the benchmark
    misread_nonces(monkeypatch)
    result = CliRunner().invoke(twopc_bench, [*TINY, "--input", "wire"])
    assert result.exit_code == 1 and "FAILED: fast, 1 worker, run 1: differs from the reference" in result.output
    for k in (1, 2):                     # both runs of the pair are checked too
        assert f"FAILED: fast, 1 worker, 2 runs at once, run 1 ({k} of 2): differs from the reference" in result.output


def test_the_pair_can_be_left_out_and_needs_a_1_worker_configuration():
    for extra in (["--no-pair"], ["--workers", "2"]):
        result = CliRunner().invoke(twopc_bench, [*TINY, *extra, "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert "fast, 1 worker, 2 runs at once" not in [r["implementation"] for r in report["results"]]
        assert "independent_pair_vs_1" not in report["machine"]["summary"]


def test_the_text_report_ends_with_where_the_time_went():
    result = CliRunner().invoke(twopc_bench, TINY)
    assert result.exit_code == 0, result.output
    table = result.output[result.output.index("where the time went"):].splitlines()
    assert table[1].split() == ["began", "init", "read", "swap", "take", "compute", "exchange", "finish", "ended",
                                "merged"]
    assert [line.split(", group")[0].strip() for line in table[2:]] == ["fast, 1 worker", "fast, 2 workers",
                                                                       "fast, 2 workers"]


def test_a_fast_result_that_differs_is_a_failure_not_a_number(monkeypatch):
    original = FastShard.on_ack

    def never_ends(self, t, shard):            # bug: the EndRecord is never buffered (§8.6)
        entry = self.coord.get(t)
        if entry is not None and entry[0] == codes.COMMITTING:
            entry[2].add(shard)
            if entry[2].issuperset(entry[1]):
                del self.coord[t]
            return
        original(self, t, shard)
    monkeypatch.setattr(FastShard, "on_ack", never_ends)    # forked workers inherit it
    result = CliRunner().invoke(twopc_bench, [*TINY, "--engine", "python"])
    assert result.exit_code == 1
    assert "FAILED: fast, 1 worker, run 1: differs from the reference in" in result.output
    assert "no speed is reported" in result.output and "transfers/s" not in result.output


def test_the_benchmark_runs_the_fast_configurations_through_a_pool(monkeypatch):
    result = CliRunner().invoke(twopc_bench, [*TINY, "--input", "wire", "--pool", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["machine"]["benchmark_setup"]["workers_from"] == "pool"
    fast = report["results"][1:3]                    # (the pair's runs start a 1-worker pool each too)
    assert [r["notes"]["engine"] for r in report["results"][1:]] == ["numba", "numba", "numba"]
    assert all(r["notes"]["pool_start_s_median"] > 0 and r["cpu_median_s"] > 0 for r in fast)
    # the pool's results are checked like the others: a misreading in the calling process's group
    # (group 0 runs there in every pool run) fails the benchmark
    misread_nonces(monkeypatch)
    result = CliRunner().invoke(twopc_bench, [*TINY, "--input", "wire", "--pool"])
    assert result.exit_code == 1 and "FAILED: fast, 1 worker, run 1: differs from the reference" in result.output


def test_a_pair_whose_one_run_fails_stops_at_once_and_names_the_failure(monkeypatch, tmp_path):
    """The other run of the pair waits at a barrier for its partner; a failure before it must break
    the barrier (not leave the benchmark waiting) and be reported, not only the broken barrier."""
    import altledger.fast.twopc as fast_twopc
    from altledger.fast.bench import twopc as bench_twopc
    from altledger.fast.twopc.workload import TransferWorkload, make_workload
    from altledger.reference.errors import AltledgerError
    original, flag = fast_twopc.run_batches, tmp_path / "first"

    def first_caller_fails(*args, **kwargs):       # forked children share the file system, not memory
        try:
            flag.touch(exist_ok=False)
        except FileExistsError:
            return original(*args, **kwargs)
        raise ValueError("deliberate failure in one run of the pair")
    monkeypatch.setattr(fast_twopc, "run_batches", first_caller_fails)
    monkeypatch.setattr(bench_twopc, "PAIR_WAIT_SECONDS", 20.0)    # without the break, the partner waits this long
    genesis, batches = make_workload(1, TransferWorkload(transfers=150, shards=4, agents=40, batch=50))
    started = time.perf_counter()
    with pytest.raises(AltledgerError, match="deliberate failure in one run of the pair"):
        bench_twopc._pair_run(4, genesis, batches, "auto", False)
    assert time.perf_counter() - started < 20.0

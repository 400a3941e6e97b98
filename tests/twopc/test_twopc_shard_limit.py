"""§13.1: a run takes at most MAX_CLUSTER_SHARDS shards.  Every shard's state is held and snapshotted,
so the run's cost grows with K whatever the workload: a replay of a 16-operation file with the 2^32
shards that placement (§2.2) allows once ran for minutes and took gigabytes before it could finish.
Every entry point refuses such a run as input instead; a single shard's step still takes any K."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from altledger.conformance.client import Client
from altledger.fast.twopc.batch import run_batches
from altledger.fast.twopc.cluster import Cluster as FastCluster
from altledger.reference.twopc.cli import twopc_command
from altledger.reference.twopc.cluster import MAX_CLUSTER_SHARDS, Cluster

pytestmark = pytest.mark.timeout(120)
TOO_MANY = (MAX_CLUSTER_SHARDS + 1, 1 << 32)
SAYS = f"shard_count must be an int in 1..{MAX_CLUSTER_SHARDS} for a run (§13.1)"


def test_the_limit_itself_is_a_run():
    assert len(Cluster(MAX_CLUSTER_SHARDS, {}).shards) == MAX_CLUSTER_SHARDS


@pytest.mark.parametrize("count", TOO_MANY)
def test_reference_fast_and_batch_runs_refuse_more_shards(count):
    for make in (lambda: Cluster(count, {}), lambda: FastCluster(count, {}),
                 lambda: run_batches(count, {}, [[]])):
        with pytest.raises(ValueError, match=re.escape(f"{SAYS}, got {count}")):
            make()


@pytest.mark.parametrize("count", TOO_MANY)
def test_replay_refuses_the_file(tmp_path, count):
    saved = tmp_path / "ops.json"
    made = CliRunner().invoke(twopc_command, ["simulate", "--seed", "1", "--agents", "4", "--shards", "2",
                                              "--txs", "2", "--save-ops", str(saved)])
    assert made.exit_code == 0, made.output
    ops = json.loads(saved.read_text())
    ops["shard_count"] = count
    saved.write_text(json.dumps(ops))
    result = CliRunner().invoke(twopc_command, ["replay", str(saved)])
    assert result.exit_code == 2
    assert SAYS in result.output and str(count) in result.output


@pytest.mark.parametrize("impl", ["reference", "fast"])
def test_conformance_run_requests_are_refused_and_steps_are_not(impl):
    client = Client(impl)
    run = {"shard_count": MAX_CLUSTER_SHARDS + 1, "genesis": [], "transactions": {}, "operations": []}
    answer = client.answer({"id": 1, "suite": "twopc", "kind": "run", "input": run})
    assert answer["error"]["type"] == "InputFileError"
    assert f"/shard_count: expected an integer in 1..{MAX_CLUSTER_SHARDS} for a run (§13.1)" \
        in answer["error"]["message"]

"""Step requests whose state or input no shard can have are refused by both clients alike.

``conformance.input_fuzz`` found the reference client answering ``InternalError`` on some of
these (a Submit to a shard that does not coordinate, an envelope for another shard, an input
named by a list) and the two clients answering differently on others (the reference accepted
coordinator entries and log records that the fast reader refused).  Each case below starts from
a committed step vector and breaks one thing; both implementations must refuse it with an
``InputFileError`` at the same place.
"""

from __future__ import annotations

import copy
import json

import pytest

from altledger.conformance.client import Client
from altledger.conformance.suites import VECTOR_DIR, request_input


def vector(name: str) -> dict:
    return request_input(json.loads((VECTOR_DIR / "twopc" / "step" / f"{name}.json").read_text()))


def answers(data: dict) -> dict[str, dict]:
    request = {"id": 1, "suite": "twopc", "kind": "step", "input": data}
    return {impl: Client(impl).answer(copy.deepcopy(request)) for impl in ("reference", "fast")}


def other_shard(data: dict) -> int:
    return (data["state"]["shard"] + 1) % data["shard_count"]


def moved(data: dict) -> dict:
    data["state"]["shard"] = other_shard(data)
    return data


CASES = {
    "submit-to-a-shard-that-does-not-coordinate": (
        "coordinator-submit/duplicate-while-collecting-ignored",
        lambda d: (d["state"].update(coord=[], log=[], store=[]), moved(d)), "/input/txid"),
    "envelope-for-another-shard": (
        "participant-decision/abort-when-working",
        lambda d: d["input"]["envelope"].update(to=other_shard(d)), "/input/envelope/recipient"),
    "input-named-by-a-list": (
        "participant-decision/abort-when-working", lambda d: d["input"].update(type=["Flush"]), "/input/type"),
    "store-agent-of-another-shard": (
        "coordinator-ack/ack-while-idle-ignored",
        lambda d: (d["state"].update(log=[], buffer=[]), d.update(input={"type": "Flush"}), moved(d)),
        "store/0/agent"),
    "coordinator-entry-with-other-participants": (
        "coordinator-vote/yes-collects",
        lambda d: d["state"]["coord"][0].update(participants=d["state"]["coord"][0]["participants"][:1]),
        "coord/0/participants"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_clients_refuse_at_the_same_place(name: str) -> None:
    source, breaks, where = CASES[name]
    data = vector(source)
    assert all("output" in answer for answer in answers(data).values())     # the vector itself is fine
    breaks(data)
    for impl, answer in answers(data).items():
        assert answer.get("error", {}).get("type") == "InputFileError", (impl, answer)
        assert where in answer["error"]["message"], (impl, answer["error"]["message"])

"""The soak for real but small: PostgreSQL, a private redis-server, one real worker, a fault every 5 s cycling
through every kind, the periodic resume; then its own audit must find nothing lost or duplicated (~30 s). The
long soak is ``cspms bench soak``; this one only has to take every fault's path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.soak import FAULT_KINDS, SoakConfig, parse_fault_kinds, run_soak
from geometry.errors import InputError


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_a_small_soak_under_every_fault_loses_and_duplicates_nothing(
    postgres_server_url: str, find_template_path: Path, tmp_path: Path
) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    config = SoakConfig(
        template_path=find_template_path,
        work_dir=tmp_path,
        orders=3,  # enough to outlast two faults: a pool process killed, then a whole worker
        workers=1,
        broker="redis",
        fault_every_s=5.0,
        resume_every_s=2.0,
        resume_idle_s=8.0,  # the slowest stage takes ~2-3 s here, its first retry waits 2 s more
        postgres_url=postgres_server_url,
        timeout_s=600.0,  # a deadline, not a measure: the soak ends when every order has finished
    )
    lines: list[str] = []
    report = run_soak(config, log=lines.append)

    assert report["stop_reason"] == "all finished", lines
    assert report["orders"] == config.orders and report["orders_not_placed"] == 0
    assert report["lost"] == 0, report
    assert report["succeeded"] + report["failed"] == config.orders
    assert sum(report["failed_by_error_code"].values()) == report["failed"]
    assert report["duplicate_stage_runs"] == report["duplicate_work_orders"] == report["duplicate_artifacts"] == 0
    assert report["blobs_missing"] == report["blobs_corrupt"] == 0
    assert report["work_orders"] == report["succeeded"]
    assert report["ok"] is True
    injected = [fault for fault in report["faults"] if "error" not in fault and "skipped" not in fault]
    assert len(injected) >= 2, report["faults"]
    # In turn, from the first kind: the first two faults are a pool process and a whole worker killed.
    assert [fault["kind"] for fault in report["faults"][:2]] == list(FAULT_KINDS[:2])
    assert sum(report["faults_by_kind"].values()) == len(report["faults"])
    assert all(f"fault {fault['kind']}" in "\n".join(lines) for fault in report["faults"])  # logged as they happen
    latency = report["latency_seconds"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["max"]
    assert report["throughput_orders_per_min"] > 0


def test_fault_kinds_are_parsed_and_unknown_ones_named() -> None:
    assert parse_fault_kinds("all") == FAULT_KINDS
    assert parse_fault_kinds("none") == ()
    assert parse_fault_kinds(" db-drop,kill-stage,db-drop ") == ("db-drop", "kill-stage")
    with pytest.raises(InputError, match=r"unknown fault kind.*power-cut"):
        parse_fault_kinds("kill-stage,power-cut")


def test_a_soak_config_names_every_problem(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        SoakConfig(template_path=tmp_path, work_dir=tmp_path, workers=0, broker="kafka", fault_every_s=0)
    problems = caught.value.details["problems"]
    assert len(problems) == 3
    assert any("kafka" in problem for problem in problems)

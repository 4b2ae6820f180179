"""``cspms bench`` as a user runs it, for the cheap parts: bad soak options are refused, naming the problem,
before any database, broker or worker is started (the soak itself: tests/benchmarks/test_soak.py); a small
schedule benchmark; the pattern benchmark through typer's runner."""

import json
import os
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from benchmarks.cli import bench_patterns
from tests.conftest import REPO_ROOT

runner = CliRunner()


def cspms(*args: str, var_dir: Path, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSPMS_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args], capture_output=True, text=True, env=env, cwd=REPO_ROOT,
        timeout=timeout_s,
    )  # fmt: skip


def test_bench_soak_refuses_an_unknown_fault_kind(tmp_path: Path) -> None:
    result = cspms("bench", "soak", "--orders", "2", "--faults", "kill-stage,power-cut", var_dir=tmp_path)
    assert result.returncode == 2
    assert "input_error: unknown fault kind(s) power-cut" in result.stderr
    assert result.stdout == ""


def test_bench_soak_refuses_an_unknown_broker_and_names_it(tmp_path: Path) -> None:
    result = cspms("bench", "soak", "--broker", "kafka", "--workers", "1", var_dir=tmp_path)
    assert result.returncode == 2
    assert "broker 'kafka' is not one of redis, rabbitmq" in result.stderr


def test_bench_schedule_small(tmp_path: Path) -> None:
    result = cspms("bench", "schedule", "--pairs", "30", "--seconds", "3", "--json", var_dir=tmp_path, timeout_s=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["operations_per_pair"] == [8] and report["valid"] is True
    wt = report["weighted_tardiness"]
    assert wt["cp_sat"] <= wt["edd"] and wt["cp_sat_bound"] <= wt["cp_sat"]


def test_bench_patterns_meets_its_targets_and_reports_sizes(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(bench_patterns)
    report_path = tmp_path / "bench.json"
    result = runner.invoke(app, ["--json", "--repeats", "1", "--out", str(report_path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert json.loads(report_path.read_text()) == report
    assert (report["sizes"], report["pieces_per_size"], report["blocks"]) == (9, 8, 72)
    # Its times are figures the benchmark reports (docs/benchmarks.md), not a test's pass mark.
    assert report["write_seconds"] > 0 and report["read_seconds"] > 0
    assert report["round_trip_max_error_mm"] <= 0.01
    assert report["audit_errors"] == 0
    assert report["cutter_travel_mm"] < report["cutter_travel_unplanned_mm"]
    assert all(size > 0 for size in report["file_bytes"].values())

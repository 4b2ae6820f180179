"""``cspms schedule`` as a user runs it: a real process, JSON, a Gantt SVG."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def cspms(*args: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSPMS_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120
    )


def test_schedule_prints_a_valid_plan_with_etas_and_draws_the_gantt(tmp_path: Path) -> None:
    svg = tmp_path / "gantt.svg"
    result = cspms("schedule", "--orders", "12", "--seed", "3", "--seconds", "2", "--json", "--out", str(svg),
                   var_dir=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["pairs"] == 12 and report["valid"] is True
    assert report["weighted_tardiness"] <= min(report["baselines"].values())
    assert len(report["pair_eta_min"]) == 12 and report["order_eta_min"]
    assert max(report["pair_eta_min"].values()) == report["makespan_min"]
    assert len(report["placements"]) == report["operations"]
    text = svg.read_text()
    assert text.startswith("<svg") and text.count("<rect") > report["operations"]


def test_schedule_is_repeatable_for_a_seed(tmp_path: Path) -> None:
    runs = [
        cspms("schedule", "--orders", "6", "--seed", "9", "--seconds", "2", "--json", var_dir=tmp_path)
        for _ in range(2)
    ]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    first, second = (json.loads(r.stdout) for r in runs)
    assert first["weighted_tardiness"] == second["weighted_tardiness"]
    assert first["due_min"] == second["due_min"]

"""``cspms bench soak`` as a user runs it, for the cheap part: bad options are refused, naming the problem,
before any database, broker or worker is started (the soak itself: tests/manufacturing/pipeline/test_soak.py)."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def cspms(*args: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSPMS_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=60
    )


def test_bench_soak_refuses_an_unknown_fault_kind(tmp_path: Path) -> None:
    result = cspms("bench", "soak", "--orders", "2", "--faults", "kill-stage,power-cut", var_dir=tmp_path)
    assert result.returncode == 2
    assert "input_error: unknown fault kind(s) power-cut" in result.stderr
    assert result.stdout == ""


def test_bench_soak_refuses_an_unknown_broker_and_names_it(tmp_path: Path) -> None:
    result = cspms("bench", "soak", "--broker", "kafka", "--workers", "1", var_dir=tmp_path)
    assert result.returncode == 2
    assert "broker 'kafka' is not one of redis, rabbitmq" in result.stderr

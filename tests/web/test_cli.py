"""The ``cspms`` command as a user runs it: a real process, real files, one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def cspms(*args: str, var_dir: Path, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSPMS_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize("command", [[], ["db"], ["db", "upgrade"], ["order"], ["order", "run"], ["serve"], ["worker"]])
def test_every_command_has_help(command: list[str], tmp_path: Path) -> None:
    result = cspms(*command, "--help", var_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_order_run_writes_every_artifact(tmp_path: Path, find_template_path: Path) -> None:
    out = tmp_path / "out"
    result = cspms(
        "order", "run", "--scan", str(find_template_path), "--options", "examples/options-derby.json",
        "--out", str(out), "--json", var_dir=tmp_path / "var",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    assert manifest["state"] == "succeeded"
    assert manifest == json.loads((out / "manifest.json").read_text())
    files = set(manifest["files"])
    assert {"foot-measurements.json", "measurement-sheet.svg", "foot-oriented.ply"} <= files
    assert {"last.stl", "last.glb", "last.json", "last.fit-report.svg"} <= files
    assert {"derby-custom-left.dxf", "derby-custom-right.plt", "derby-custom.patterns.json"} <= files
    assert {"bom.json", "work-order.json"} <= files
    bom = json.loads((out / "bom.json").read_text())
    assert bom["quote"]["per_pair"] and bom["routing_inputs"]["style"] == "derby"
    patterns = json.loads((out / "derby-custom.patterns.json").read_text())
    assert patterns["mirrored"] and patterns["style"] == "derby"
    record = json.loads((out / "foot-measurements.json").read_text())
    assert record["side"] == "left"
    assert record["units_detected"] == "m"
    assert record["scan"]["vertex_count"] == 44_395
    assert (out / "measurement-sheet.svg").read_text().startswith("<svg")


def test_db_upgrade_then_current(tmp_path: Path) -> None:
    assert cspms("db", "upgrade", var_dir=tmp_path).returncode == 0
    current = cspms("db", "current", var_dir=tmp_path)
    assert current.returncode == 0
    from manufacturing.db.migrate import head_revision

    assert f"current: {head_revision()}  head: {head_revision()}" in current.stdout


@pytest.mark.parametrize(
    ("scan", "options", "expected"),
    [
        ("missing.obj", "examples/options-derby.json", "missing.obj does not exist"),
        ("pyproject.toml", "examples/options-derby.json", "unsupported_format"),
        ("{scan}", "pyproject.toml", "invalid_options"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_a_nonzero_exit(
    scan: str, options: str, expected: str, tmp_path: Path, find_template_path: Path
) -> None:
    result = cspms(
        "order", "run", "--scan", scan.format(scan=find_template_path), "--options", options,
        "--out", str(tmp_path / "out"), var_dir=tmp_path / "var",
    )  # fmt: skip
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_bad_setting_is_reported_by_name(tmp_path: Path) -> None:
    env = {**os.environ, "CSPMS_VAR_DIR": str(tmp_path), "CSPMS_BROKER_URL": "kafka://nowhere"}
    result = subprocess.run(
        [sys.executable, "-m", "web.cli", "db", "upgrade"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )
    assert result.returncode != 0
    assert "CSPMS_BROKER_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_scan_measure_prints_the_json_keys_the_issue_names(tmp_path: Path, find_template_path: Path) -> None:
    sheet = tmp_path / "sheet.svg"
    result = cspms("scan", "measure", str(find_template_path), "--json", "--sheet", str(sheet), var_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    for key in (
        "side", "units_detected", "foot_length_mm", "ball_girth_mm", "ball_width_mm", "ball_length_mm",
        "instep_girth_mm", "waist_girth_mm", "long_heel_girth_mm", "short_heel_girth_mm", "heel_width_mm",
        "arch_height_mm", "toe_height_mm", "landmarks",
    ):  # fmt: skip
        assert key in record, key
    assert record["side"] == "left" and record["units_detected"] == "m"
    assert set(record["landmarks"]) >= {"pternion", "toe_tip", "mtp1", "mtp5", "instep", "arch"}
    assert sheet.read_text().startswith("<svg")


def test_scan_measure_with_wrong_units_is_one_line(tmp_path: Path, find_template_path: Path) -> None:
    result = cspms("scan", "measure", str(find_template_path), "--units", "mm", var_dir=tmp_path)
    assert result.returncode == 2
    assert "implausible_foot_size" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

"""Estimates and scale where scans leave the system: the API's scan and ``cspms scan measure``."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.hostile import scaled_obj
from lasts.errors import ScaleNeededError
from lasts.measurements import Estimate, EstimateMethod, EstimateReason, Measurements
from lasts.side import Side
from manufacturing.db.models import FootScan
from web.api.schemas.scans import ScanOut
from web.cli.main import app

runner = CliRunner()


def test_the_api_flags_each_estimate_beside_null_measurements() -> None:
    estimate = Estimate(331.24, 15.08, EstimateMethod.ANSUR_REGRESSION, EstimateReason.NOT_IN_SCAN)
    measured = Measurements(Side.LEFT, {"foot_length_mm": 262.0, "ball_girth_mm": 246.5},
                            {"long_heel_girth_mm": estimate})  # fmt: skip
    scan = FootScan(id=7, original_filename="foot.stl", sha256="0" * 64, size_bytes=10, summary={},
                    units_detected="m")  # fmt: skip
    body = json.loads(ScanOut.of(scan, measured).model_dump_json())
    assert body["measurements"]["long_heel_girth_mm"] is None and "estimated" not in body["measurements"]
    assert body["estimated"] == {
        "long_heel_girth_mm": {
            "value_mm": 331.2, "uncertainty_95_mm": 15.1, "method": "ansur_ii_regression", "reason": "not_in_scan",
        }
    }  # fmt: skip
    assert ScanOut.of(scan, None).estimated == {}


def test_scan_measure_takes_the_known_length_of_an_unscaled_scan(
    tmp_path: Path, find_template_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSPMS_VAR_DIR", str(tmp_path))
    scan = tmp_path / "photogrammetry.obj"
    scan.write_bytes(scaled_obj(find_template_bytes, 5.0))  # no unit makes it a foot
    asked = runner.invoke(app, ["scan", "measure", str(scan)])
    assert isinstance(asked.exception, ScaleNeededError) and "--known-length-mm" in asked.exception.message
    result = runner.invoke(app, ["scan", "measure", str(scan), "--known-length-mm", "262", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    # Measured to the length given (pternion to toe tip), not just scaled by the scan's rough length.
    assert record["foot_length_mm"] == pytest.approx(262.0, abs=0.3) and record["units_detected"] == "user"
    assert record["estimated"]["ankle_girth_mm"]["method"] == "ansur_ii_regression"

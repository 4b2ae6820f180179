"""``cspms last`` as a user runs it: a real process, the real FIND scan, one-line errors."""

import json
from pathlib import Path
from typing import Any

import pytest
import trimesh

from tests.conftest import shared_file
from tests.web.test_cli_sizes import assert_one_line_error, cspms


@pytest.fixture(scope="module")
def find_fit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("last")
    scan = shared_file("feet/find_template.obj")
    result = cspms(
        "last", "fit", "--scan", str(scan), "--style", "oxford", "--out", str(out), "--json",
        var_dir=tmp_path_factory.mktemp("var"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out, json.loads(result.stdout)


def test_last_fit_from_a_scan_writes_every_file_and_hits_its_targets(find_fit: tuple) -> None:
    out, record = find_fit
    assert record["side"] == "left" and record["style"] == "oxford" and record["toe_shape"] == "almond"
    # shaped to the scanned foot: every girth within 0.5 mm, the widths the rule map's (lasts.shaping)
    assert record["max_error_mm"] <= 0.5
    assert set(record["shaping"]["widths_mm"]) == {"ball_width_mm", "heel_width_mm"}
    assert set(record["targets"]) <= set(record["achieved"])
    for name in record["files"]:
        assert (out / name).stat().st_size > 0
    assert {"last.stl", "last.obj", "last.3mf", "last.glb", "last.params.json", "last.drawing.svg",
            "last.fit-report.svg", "last.json"} <= set(record["files"])  # fmt: skip
    mesh = trimesh.load(out / "last.stl")
    assert mesh.is_watertight and mesh.volume > 0
    # posed on the oxford's 25 mm heel: the heel end of the bottom is off the ground
    assert mesh.bounds[0][2] == pytest.approx(0.0, abs=0.5)
    assert record["fit_report"]["toe_room_mm"] == pytest.approx(18.0, abs=0.6)


def test_last_fit_from_measurements_needs_a_side(tmp_path: Path, find_fit: tuple) -> None:
    _, record = find_fit
    foot = {k: v for k, v in record["targets"].items()}
    foot["foot_length_mm"] -= 18.0
    measurements = tmp_path / "foot.json"
    measurements.write_text(json.dumps(foot))
    no_side = cspms("last", "fit", "--measurements", str(measurements), "--out", str(tmp_path / "a"), var_dir=tmp_path)
    assert_one_line_error(no_side, "--side")
    ok = cspms(
        "last", "fit", "--measurements", str(measurements), "--side", "right", "--out", str(tmp_path / "b"),
        "--json", var_dir=tmp_path,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    fitted = json.loads(ok.stdout)
    assert fitted["side"] == "right" and fitted["fit_report"] is None
    assert fitted["max_error_mm"] <= 0.1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not json", "is not JSON"),
        ('{"foot_length_mm": "long", "side": "left"}', "not a number of mm"),
        ('{"foot_length_mm": 270, "side": "left"}', "no ball length"),
    ],
)
def test_bad_measurements_get_one_line(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(content)
    result = cspms("last", "fit", "--measurements", str(path), "--out", str(tmp_path / "o"), var_dir=tmp_path)
    assert_one_line_error(result, expected)


def test_last_fit_needs_exactly_one_source(tmp_path: Path) -> None:
    assert_one_line_error(cspms("last", "fit", "--out", str(tmp_path), var_dir=tmp_path), "exactly one of")


def test_last_grade_writes_a_checked_size_run(tmp_path: Path, find_fit: tuple) -> None:
    out, _ = find_fit
    result = cspms(
        "last", "grade", str(out / "last.json"), "--sizes", "40,42", "--system", "eu", "--out",
        str(tmp_path / "run"), "--json", var_dir=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["all_within_tolerance"]
    small, big = run["sizes"]
    assert big["achieved"]["foot_length_mm"] - small["achieved"]["foot_length_mm"] == pytest.approx(13.33, abs=0.05)
    assert big["achieved"]["ball_girth_mm"] - small["achieved"]["ball_girth_mm"] == pytest.approx(10.0, abs=0.5)
    assert (tmp_path / "run" / f"{small['stem']}.stl").is_file()
    assert json.loads((tmp_path / "run" / "grade.json").read_text()) == run


def test_last_grade_refuses_a_file_without_parameters(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"colour": "red"}')
    result = cspms("last", "grade", str(path), "--sizes", "40", "--out", str(tmp_path / "o"), var_dir=tmp_path)
    assert_one_line_error(result, "unknown last parameter")

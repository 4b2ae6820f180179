"""``cspms size`` as a user runs it: a real process, the real FIND scan, one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lasts.sizes import SIZE_SYSTEMS, convert_size, foot_length_mm, nearest_stock_size
from tests.conftest import REPO_ROOT, shared_file


def cspms(*args: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSPMS_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for text in expected:
        assert text in result.stderr


@pytest.fixture(scope="module")
def find_sizes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    scan = shared_file("feet/find_template.obj")
    result = cspms("size", "for", "--scan", str(scan), "--json", var_dir=tmp_path_factory.mktemp("var"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("command", [["size"], ["size", "convert"], ["size", "for"]])
def test_every_size_command_has_help(command: list[str], tmp_path: Path) -> None:
    result = cspms(*command, "--help", var_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_convert_prints_the_chart_size_and_the_foot_length(tmp_path: Path) -> None:
    result = cspms("size", "convert", "42", "--from", "eu", "--to", "uk", var_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["EU 42 = UK 8", "foot length 265.0 mm"]


def test_convert_json(tmp_path: Path) -> None:
    result = cspms("size", "convert", "42", "--from", "eu", "--to", "uk", "--json", var_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"size": 42, "from": "eu", "to": {"uk": 8.0}, "foot_length_mm": 265.0}


def test_convert_to_all(tmp_path: Path) -> None:
    result = cspms("size", "convert", "8.5", "--from", "UK", "--to", "all", "--json", var_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    others = [name for name in SIZE_SYSTEMS if name != "uk"]
    assert record["to"] == {name: convert_size(8.5, "uk", name) for name in others}
    assert record["to"]["us_men"] == 9.5
    assert record["foot_length_mm"] == pytest.approx(foot_length_mm(8.5, "uk"), abs=0.01)
    text = cspms("size", "convert", "8.5", "--from", "uk", "--to", "all", var_dir=tmp_path).stdout.splitlines()
    assert text[:2] == ["UK 8.5 = EU 42.5", "UK 8.5 = US men 9.5"]
    assert len(text) == len(others) + 1


def test_size_for_a_scan_gives_every_system(find_sizes: dict[str, Any]) -> None:
    assert find_sizes["side"] == "left"
    assert find_sizes["foot_length_mm"] == pytest.approx(256.8, abs=0.5)
    assert set(find_sizes["sizes"]) == set(SIZE_SYSTEMS)
    for name, stock in find_sizes["sizes"].items():
        expected = nearest_stock_size(
            find_sizes["foot_length_mm"], find_sizes["ball_girth_mm"], name, ball_width_mm=find_sizes["ball_width_mm"]
        )
        assert stock == expected.to_dict()
        assert stock["length_difference_mm"] >= 0.0
    assert find_sizes["sizes"]["eu"]["label"] == "EU 41 F"
    assert find_sizes["sizes"]["mondopoint"]["width"] == "96"


def test_size_for_measurements_matches_the_scan(find_sizes: dict[str, Any], tmp_path: Path) -> None:
    # The same shape `cspms scan measure --json` prints: extra keys are ignored.
    record = {key: find_sizes[key] for key in ("side", "foot_length_mm", "ball_girth_mm", "ball_width_mm")}
    path = tmp_path / "foot.json"
    path.write_text(json.dumps({**record, "instep_girth_mm": 247.0, "landmarks": {}}))
    result = cspms("size", "for", "--measurements", str(path), "--json", var_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sizes"] == find_sizes["sizes"]
    one = cspms("size", "for", "--measurements", str(path), "--system", "uk", var_dir=tmp_path)
    assert one.returncode == 0, one.stderr
    assert one.stdout.splitlines()[1].split()[:3] == ["UK", "7.5", "E"]
    assert len(one.stdout.splitlines()) == 2


def test_size_for_scan_text(tmp_path: Path) -> None:
    result = cspms(
        "size", "for", "--scan", str(shared_file("feet/find_template.obj")), "--system", "us_men", var_dir=tmp_path
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("find_template.obj: left foot, length 256.8 mm")
    assert lines[1].split()[:4] == ["US", "men", "8.5", "D"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["convert", "42", "--from", "eu", "--to", "martian"], ["size_error", "'martian'", "eu, uk, us_men"]),
        (["convert", "42", "--from", "fr", "--to", "uk"], ["size_error", "'fr'"]),
        (["convert", "99", "--from", "eu", "--to", "uk"], ["size_error", "EU size 99", "EU 15.75 to 74.25"]),
        (["convert", "nan", "--from", "eu"], ["size_error", "nan"]),
        (["for", "--measurements", "{foot}", "--system", "xx"], ["size_error", "'xx'"]),
        (["for"], ["input_error", "exactly one of --scan FILE or --measurements"]),
        (["for", "--scan", "{scan}", "--measurements", "{foot}"], ["exactly one"]),
        (["for", "--measurements", "{missing}"], ["missing.json does not exist"]),
        (["for", "--measurements", "{short}"], ["lacks ball_girth_mm"]),
        (["for", "--measurements", "{strings}"], ["foot_length_mm must be a number", "'long'"]),
        (["for", "--measurements", "{huge}"], ["size_error", "foot length 900 mm", "90–480 mm"]),
        (["for", "--measurements", "{negative}"], ["size_error", "ball girth -240 mm"]),
        (["for", "--measurements", "{not_json}"], ["is not JSON"]),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(args: list[str], expected: list[str], tmp_path: Path) -> None:
    files = {
        "foot": {"foot_length_mm": 256.8, "ball_girth_mm": 241.7},
        "short": {"foot_length_mm": 256.8},
        "strings": {"foot_length_mm": "long", "ball_girth_mm": 241.7},
        "huge": {"foot_length_mm": 900, "ball_girth_mm": 241.7},
        "negative": {"foot_length_mm": 256.8, "ball_girth_mm": -240},
    }
    paths = {"scan": str(shared_file("feet/find_template.obj")), "missing": str(tmp_path / "missing.json")}
    for name, content in files.items():
        paths[name] = str(tmp_path / f"{name}.json")
        Path(paths[name]).write_text(json.dumps(content))
    paths["not_json"] = str(tmp_path / "not.json")
    Path(paths["not_json"]).write_text("foot length 256.8")
    result = cspms("size", *(arg.format(**paths) for arg in args), var_dir=tmp_path)
    assert_one_line_error(result, *expected)

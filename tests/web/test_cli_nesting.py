"""``cspms nest`` as a user runs it: a real process, real benchmark files, one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT, shared_file

# Until web/cli/main.py registers ``nest``, run the app with it added (a no-op once it is registered).
RUN_CSPMS = (
    "from web.cli import main as m\n"
    "from web.cli.main import nest_app\n"
    "if not any(g.name == 'nest' for g in m.app.registered_groups):\n"
    "    m.app.add_typer(nest_app, name='nest')\n"
    "m.main()\n"
)


def cspms(*args: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "CSPMS_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-c", RUN_CSPMS, *args], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120
    )


def test_nest_strip_json(tmp_path: Path) -> None:
    result = cspms(
        "nest", "strip", str(shared_file("nesting/esicup/shirts.json")), "--seconds", "1", "--json", var_dir=tmp_path
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert len(record["placements"]) == 99
    assert 0.6 < record["density"] < 1.0
    assert set(record["placements"][0]) == {"id", "rotation", "x", "y"}


def test_nest_hides_json_and_svg(tmp_path: Path) -> None:
    instance = tmp_path / "scarpa-small.json"
    data = json.loads(shared_file("nesting/leather/Test11/Scarpa.json").read_text())
    for item in data["Items"]:
        item["Demand"] = 3
    instance.write_text(json.dumps(data))
    result = cspms(
        "nest", "hides", str(instance), "--seconds", "5", "--json", "--svg-dir", str(tmp_path / "svg"), var_dir=tmp_path
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["unplaced"] == {}
    assert len(record["placements"]) == 12
    assert set(record["placements"][0]) == {"item", "hide", "rotation", "mirrored", "x", "y"}
    assert 0 < record["utilisation"] < 1 and record["placed_area"] > 0
    assert (tmp_path / "svg" / "hide-h0.svg").read_text().startswith("<svg")


def test_bad_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = cspms("nest", "hides", str(bad), var_dir=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "unsupported_format" in result.stderr

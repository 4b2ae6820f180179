"""``cspms bom`` as a user runs it: a real process, a real last, one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.lasts.last_samples import FIND_LIKE

RUNNER = (
    "import sys, typer\n"
    "from web.cli.main import main, app\n"
    "from web.cli.bom import bom_command\n"
    "if not any(c.name == 'bom' for c in app.registered_commands):\n"
    "    app.command('bom')(bom_command)\n"
    "sys.argv = ['cspms', *sys.argv[1:]]\n"
    "main()\n"
)  # until `cspms bom` is registered in web/cli/main.py, the test registers it the same way


def cspms(*args: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSPMS_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-c", RUNNER, *args], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=180
    )


@pytest.fixture(scope="module")
def last_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("last") / "find.params.json"
    path.write_text(json.dumps(FIND_LIKE.to_dict()))
    return path


def test_bom_json_from_a_last(last_file: Path, tmp_path: Path) -> None:
    result = cspms("bom", "examples/options-derby.json", "--last", str(last_file), "--json", var_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    bom, priced = report["bom"], report["quote"]
    assert bom["style"] == "derby" and bom["size_eu"] == 41.0  # 272.8 mm stick ÷ 6.67 mm
    assert {line["group"] for line in bom["lines"]} >= {"upper", "lining", "bottom", "lacing", "packaging"}
    assert all(line["how"] for line in bom["lines"])
    assert priced["per_pair"]["price_eur"] > priced["per_pair"]["cost_eur"] > bom["materials_eur_per_pair"] > 0


def test_bom_text_with_a_size(last_file: Path, tmp_path: Path) -> None:
    result = cspms("bom", "examples/options-chelsea-boot.json", "--last", str(last_file), "--size", "43",
                   var_dir=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("chelsea_boot, EU 43: bill of materials per pair (EUR)")
    assert "elastic-goring" in result.stdout and "price" in result.stdout.splitlines()[-1]


def test_a_design_with_an_unknown_piece_is_one_line_naming_it(tmp_path: Path, last_file: Path) -> None:
    design = tmp_path / "bad.json"
    design.write_text(
        json.dumps(
            {"style": "derby", "pieces": {"medial_quarter": {"material": "suede-cowhide-a", "colour": "#000000"}}}
        )
    )
    result = cspms("bom", str(design), "--last", str(last_file), var_dir=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "'medial_quarter' is not a piece" in result.stderr and "quarter_medial" in result.stderr

"""``cspms style`` as a user runs it: a real process, real files, one-line errors."""

import json
from pathlib import Path

import ezdxf

from tests.lasts.last_samples import FIND_LIKE
from tests.web.test_cli_sizes import assert_one_line_error, cspms


def test_style_list_names_every_style_and_its_pieces(tmp_path: Path) -> None:
    result = cspms("style", "list", "--json", var_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    styles = {s["name"]: s for s in json.loads(result.stdout)}
    assert set(styles) == {"oxford", "derby", "penny_loafer", "low_top_sneaker", "chelsea_boot"}
    assert "gusset_medial" in {p["name"] for p in styles["chelsea_boot"]["pieces"]}


def test_style_flatten_from_one_last_writes_both_feet(tmp_path: Path) -> None:
    last = tmp_path / "last.params.json"
    last.write_text(json.dumps(FIND_LIKE.to_dict()))
    out = tmp_path / "patterns"
    result = cspms(
        "style", "flatten", "--last", str(last), "--style", "derby", "--size", "41", "--out", str(out), "--json",
        var_dir=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["mirrored"] and report["style"] == "derby"
    for name in report["files"]:
        assert (out / name).stat().st_size > 0
    for side in ("left", "right"):
        doc = ezdxf.readfile(out / f"derby-41-{side}.dxf")
        auditor = doc.audit()
        assert not auditor.has_errors
        assert len([b for b in doc.blocks if not b.name.startswith("*")]) == len(report[side]["pieces"])
        assert max(s["mismatch_mm"] for s in report[side]["seams"]) <= 0.3


def test_style_flatten_refuses_ambiguous_sources(tmp_path: Path) -> None:
    result = cspms("style", "flatten", "--out", str(tmp_path), var_dir=tmp_path)
    assert_one_line_error(result, "--scan", "--last")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert_one_line_error(
        cspms("style", "flatten", "--last", str(bad), "--out", str(tmp_path), var_dir=tmp_path), "no last parameters"
    )

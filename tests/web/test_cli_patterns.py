"""``cspms pattern`` through typer's runner (the commands as users call them)."""

from __future__ import annotations

import json
from pathlib import Path

import ezdxf
import pytest
from typer.testing import CliRunner

from benchmarks.pattern_samples import SIZE_RUN, graded_set, sample_rules
from geometry.errors import PatternError, UnsupportedFormatError
from geometry.exchange.astm_dxf import read_astm_dxf, write_astm_dxf
from web.cli.main import pattern_app

runner = CliRunner()


@pytest.fixture(scope="module")
def derby_dxf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("patterns") / "derby.dxf"
    path.write_bytes(write_astm_dxf(graded_set(), sample_rules()))
    return path


def test_check_prints_every_piece_of_every_size_as_json(derby_dxf: Path) -> None:
    result = runner.invoke(pattern_app, ["check", str(derby_dxf), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["style"] == "DERBY-TEST"
    assert record["sizes"] == list(SIZE_RUN)
    assert len(record["pieces"]) == 27
    vamp = next(p for p in record["pieces"] if p["name"] == "VAMP" and p["size"] == "40")
    assert vamp["area_mm2"] == pytest.approx(graded_set().piece("VAMP", "40").area_mm2, abs=0.05)
    assert vamp["notches"] == 3 and vamp["internal_cutouts"] == 1
    assert record["repairs"] == [] and record["warnings"] == []


def test_check_summary_is_readable(derby_dxf: Path) -> None:
    result = runner.invoke(pattern_app, ["check", str(derby_dxf)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("derby.dxf: style DERBY-TEST, 3 pieces × 9 sizes")


@pytest.mark.parametrize(("target", "magic"), [("plt", b"IN;PA;"), ("dxf-cutter", b"  0\r\nSECTION"),
                                               ("svg", b"<?xml"), ("pdf", b"%PDF")])  # fmt: skip
def test_convert_writes_each_format(derby_dxf: Path, tmp_path: Path, target: str, magic: bytes) -> None:
    out = tmp_path / f"out.{target}"
    result = runner.invoke(pattern_app, ["convert", str(derby_dxf), "--to", target, "--out", str(out), "--size", "40"])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(magic) or data.replace(b"\r\n", b"\n").startswith(magic.replace(b"\r\n", b"\n"))
    if target == "dxf-cutter":
        doc = ezdxf.readfile(out)
        assert len([e for e in doc.modelspace() if e.dxf.layer == "CUT"]) == 3 + 1  # 3 outlines, 1 window


def test_convert_refuses_a_missing_size_and_a_file_that_is_not_dxf(derby_dxf: Path, tmp_path: Path) -> None:
    result = runner.invoke(pattern_app, ["convert", str(derby_dxf), "--to", "svg", "--out", str(tmp_path / "x.svg"),
                                         "--size", "50"])  # fmt: skip
    assert isinstance(result.exception, PatternError)
    assert "no size 50" in result.exception.message
    not_dxf = tmp_path / "foot.stl"
    not_dxf.write_bytes(b"solid foot\nendsolid\n")
    result = runner.invoke(pattern_app, ["check", str(not_dxf)])
    assert isinstance(result.exception, UnsupportedFormatError)


def test_converted_plt_and_read_back_agree_on_the_piece_count(derby_dxf: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.plt"
    result = runner.invoke(pattern_app, ["convert", str(derby_dxf), "--to", "plt", "--out", str(out)])
    assert result.exit_code == 0, result.output
    pieces = len(read_astm_dxf(derby_dxf.read_bytes()).pattern.pieces)
    assert out.read_text().count("SP4;") == 1
    assert f"{pieces} pieces as plt" in result.output

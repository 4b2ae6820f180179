"""Cutter files: tool order, inner before outer, short travel; HPGL that hp2xx renders, plain DXF that ezdxf
audits clean and LibreCAD prints."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import ezdxf
import numpy as np
import pytest
from PIL import Image

from benchmarks.pattern_samples import graded_set
from geometry.exchange.cutter import (
    PLOTTER_UNITS_PER_MM,
    TOOL_ORDER,
    cutter_paths,
    hpgl_extent_mm,
    naive_travel_mm,
    shelf_layout,
    travel_mm,
    write_cutter_dxf,
    write_hpgl,
)
from tests.geometry.exchange.test_astm_dxf import librecad_pdf


@pytest.fixture(scope="module")
def placed() -> list:
    graded = graded_set()
    return shelf_layout(graded.of_size("40") + graded.of_size("44"), width_mm=600.0)


def test_layout_puts_pieces_side_by_side_without_overlap(placed: list) -> None:
    outlines = [p.outline for p in placed]
    for i, a in enumerate(outlines):
        for b in outlines[i + 1 :]:
            assert a.intersection(b).area == 0.0
    assert min(p.bounds_mm[0] for p in placed) == pytest.approx(0.0)
    assert max(p.bounds_mm[2] for p in placed) <= 600.0


def test_tools_run_in_order_and_inner_contours_before_their_outline(placed: list) -> None:
    paths = cutter_paths(placed)
    tools = [p.tool for p in paths]
    assert tools == sorted(tools, key=TOOL_ORDER.index)
    assert len(paths) == sum(
        len(p.stitch_lines) + len(p.internal_lines) + len(p.drill_holes) + len(p.notches) + len(p.internal_cutouts) + 1
        for p in placed
    )
    position = {id(p): i for i, p in enumerate(paths)}
    for path in paths:
        if path.tool == "cut" and not path.outer:
            outer = next(p for p in paths if p.outer and p.piece == path.piece)
            assert position[id(path)] < position[id(outer)]


def test_each_closed_contour_starts_at_the_vertex_nearest_the_head(placed: list) -> None:
    paths = cutter_paths(placed)
    at = np.zeros(2)
    for path in paths:
        if path.closed:
            distances = np.linalg.norm(path.points - at, axis=1)
            assert distances[0] == pytest.approx(distances.min())
        at = path.points[0] if path.closed else path.points[-1]


def test_planned_travel_is_much_shorter_than_file_order(placed: list) -> None:
    planned = travel_mm(cutter_paths(placed))
    assert planned < 0.75 * naive_travel_mm(placed)


def test_hpgl_uses_40_units_per_mm_one_pen_per_tool(placed: list) -> None:
    paths = cutter_paths(placed)
    plt = write_hpgl(paths)
    text = plt.decode("ascii")
    assert text.startswith("IN;PA;SP1;PU")
    assert re.findall(r"SP(\d)", text) == ["1", "3", "2", "4", "0"]
    x0, y0, x1, y1 = hpgl_extent_mm(plt)
    lo = np.min([p.bounds_mm[:2] for p in placed], axis=0)
    hi = np.max([p.feature_points_mm().max(axis=0) for p in placed], axis=0)
    assert (x0, y0) == pytest.approx(tuple(lo), abs=1 / PLOTTER_UNITS_PER_MM)
    assert (x1, y1) == pytest.approx(tuple(hi), abs=1 / PLOTTER_UNITS_PER_MM)
    first_cut = next(p for p in paths if p.tool == "pen")
    x, y = np.rint(first_cut.points[0] * PLOTTER_UNITS_PER_MM).astype(int)
    assert f"PU{x},{y};" in text


def test_hp2xx_renders_the_plt_to_a_png_with_ink(placed: list, tmp_path: Path) -> None:
    plt = tmp_path / "set.plt"
    plt.write_bytes(write_hpgl(cutter_paths(placed)))
    png = tmp_path / "set.png"
    result = subprocess.run(
        ["hp2xx", "-m", "png", "-f", str(png), str(plt)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    image = np.asarray(Image.open(png).convert("L"))
    assert image.shape[0] > 100 and image.shape[1] > 100
    ink = (image < 128).mean()
    assert 0.002 < ink < 0.2  # outlines drawn, not a blank or a filled page


def test_plain_dxf_is_r2010_mm_lwpolylines_on_tool_layers(placed: list, tmp_path: Path) -> None:
    paths = cutter_paths(placed)
    data = write_cutter_dxf(paths)
    doc = ezdxf.read(io.StringIO(data.decode("utf-8")))
    assert doc.dxfversion == "AC1024"
    assert doc.header["$INSUNITS"] == 4
    assert len(doc.audit().errors) == 0
    counts: dict[tuple[str, str], int] = {}
    for entity in doc.modelspace():
        key = (entity.dxf.layer, entity.dxftype())
        counts[key] = counts.get(key, 0) + 1
    assert counts[("CUT", "LWPOLYLINE")] == sum(1 + len(p.internal_cutouts) for p in placed)
    assert counts[("DRILL", "CIRCLE")] == sum(len(p.drill_holes) for p in placed)
    assert counts[("NOTCH", "LWPOLYLINE")] == sum(len(p.notches) for p in placed)
    assert counts[("PEN", "LWPOLYLINE")] == sum(len(p.stitch_lines) + len(p.internal_lines) for p in placed)
    outer = [e for e in doc.modelspace() if e.dxf.layer == "CUT" and e.closed]
    assert len(outer) == counts[("CUT", "LWPOLYLINE")]
    dxf = tmp_path / "cutter.dxf"
    dxf.write_bytes(data)
    pdf = librecad_pdf(dxf, tmp_path / "out")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1

"""SVG previews: 1:1 in mm, every marking drawn, nests with their container and utilisation."""

from __future__ import annotations

import numpy as np
import pytest
from lxml import etree

from benchmarks.pattern_samples import sample_set, vamp
from geometry.errors import PatternError
from geometry.exchange.cutter import shelf_layout
from geometry.exchange.pattern_svg import nest_svg, pattern_svg, piece_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_a_piece_is_drawn_1_to_1_in_mm_with_every_marking() -> None:
    piece = vamp()
    root = etree.fromstring(piece_svg(piece, margin_mm=10.0).encode())
    x0, y0, x1, y1 = (
        np.concatenate([piece.feature_points_mm()]).min(axis=0).tolist()
        + piece.feature_points_mm().max(axis=0).tolist()
    )
    assert root.get("width") == f"{x1 - x0 + 20:.2f}mm"
    assert root.get("height") == f"{y1 - y0 + 20:.2f}mm"
    view = [float(v) for v in root.get("viewBox").split()]
    assert view[2:] == pytest.approx([x1 - x0 + 20, y1 - y0 + 20], abs=1e-3)
    cut = root.find(f".//{SVG}path[@class='cut']")
    assert cut.get("d").count("M") == 1 + len(piece.internal_cutouts)
    assert len(root.findall(f".//{SVG}line[@class='notch']")) == len(piece.notches)
    assert len(root.findall(f".//{SVG}circle[@class='drill']")) == len(piece.drill_holes)
    assert len(root.findall(f".//{SVG}path[@class='sew']")) == len(piece.stitch_lines)
    assert root.find(f".//{SVG}line[@class='mirror']") is not None
    # The drill hole keeps its diameter and lands where y is flipped inside the margin.
    hole = root.find(f".//{SVG}circle[@class='drill']")
    assert float(hole.get("r")) == pytest.approx(piece.drill_holes[0].diameter_mm / 2)
    assert float(hole.get("cx")) == pytest.approx(piece.drill_holes[0].x_mm - x0 + 10, abs=1e-3)
    assert float(hole.get("cy")) == pytest.approx(y1 - piece.drill_holes[0].y_mm + 10, abs=1e-3)


def test_a_nest_shows_the_container_and_the_utilisation() -> None:
    placed = shelf_layout(sample_set().pieces * 2, width_mm=480.0, gap_mm=5.0)
    container = np.array([[-5.0, -5.0], [500.0, -5.0], [500.0, 400.0], [-5.0, 400.0]])
    svg = nest_svg(placed, container, "hide 1")
    root = etree.fromstring(svg.encode())
    assert root.find(f".//{SVG}path[@class='container']") is not None
    assert len(root.findall(f".//{SVG}g[@class='piece']")) == 6
    used = sum(p.area_mm2 for p in placed) / (505.0 * 405.0)
    assert f"utilisation {100 * used:.1f} %" in svg
    with pytest.raises(PatternError, match="container outline"):
        nest_svg(placed, np.array([[0.0, 0.0], [1.0, 1.0]]))


def test_a_set_preview_labels_each_piece() -> None:
    svg = pattern_svg(shelf_layout(sample_set().pieces), "DERBY")
    root = etree.fromstring(svg.encode())
    labels = [t.text for t in root.findall(f".//{SVG}text")]
    assert labels == ["VAMP · 40 ×2", "QUARTER · 40 ×2", "TOE CAP · 40 ×2"]

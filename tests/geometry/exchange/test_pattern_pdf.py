"""The printable 1:1 PDF: A4 tiles with overlap, the page count that the drawing needs, a 50 mm check square."""

from __future__ import annotations

import re

import pytest

from benchmarks.pattern_samples import graded_set, sample_set
from geometry.errors import PatternError
from geometry.exchange.cutter import shelf_layout
from geometry.exchange.pattern_pdf import PT_PER_MM, pattern_pdf, tile_grid


def pages(pdf: bytes) -> list[bytes]:
    """Content streams of the pages, in order (the file is written uncompressed)."""
    return re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S)


def test_tile_grid_counts_pages_with_the_overlap() -> None:
    assert tile_grid((190.0, 277.0)).pages == 1  # exactly one printable area
    grid = tile_grid((191.0, 100.0))
    assert (grid.columns, grid.rows) == (2, 1)
    assert tile_grid((190.0 + 180.0, 277.0 + 267.0)).pages == 4
    assert tile_grid((190.0 + 180.0 + 0.5, 10.0)).columns == 3
    with pytest.raises(PatternError, match="no room"):
        tile_grid((10.0, 10.0), margin_mm=100.0)


def test_pdf_has_one_a4_page_per_tile_and_a_true_size_check_square() -> None:
    placed = shelf_layout(sample_set().pieces, width_mm=500.0)
    pdf = pattern_pdf(placed, "DERBY 40")
    assert pdf.startswith(b"%PDF")
    page_objects = re.findall(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", pdf)
    assert page_objects and all(
        (float(w), float(h)) == pytest.approx((210 * PT_PER_MM, 297 * PT_PER_MM), abs=0.01) for w, h in page_objects
    )
    lo = min(p.bounds_mm[0] for p in placed)
    hi = max(p.feature_points_mm()[:, 0].max() for p in placed)
    low_y = min(p.bounds_mm[1] for p in placed)
    high_y = max(p.feature_points_mm()[:, 1].max() for p in placed) + 10 + 50 + 8
    grid = tile_grid((hi - lo, high_y - low_y))
    streams = pages(pdf)
    assert len(page_objects) == len(streams) == grid.pages == 3
    first = streams[0].decode("latin-1")
    # Drawn in mm after scaling points to mm: the square is 50 × 50 user units at 72/25.4 pt each.
    scales = re.findall(r"([-\d.]+) 0 0 ([-\d.]+) 0 0 cm", first)
    assert any(float(a) == float(b) == pytest.approx(PT_PER_MM, rel=1e-4) for a, b in scales)
    assert re.search(r"[-\d.]+ [-\d.]+ 50 50 re", first)
    assert "check square: 50 x 50 mm" in first
    assert "page 1 of 3" in first and "page 3 of 3" in streams[2].decode("latin-1")


def test_a_graded_run_needs_more_pages_than_one_size() -> None:
    graded = graded_set()
    one = pattern_pdf(shelf_layout(graded.of_size("40"), width_mm=500.0))
    run = pattern_pdf(shelf_layout(graded.pieces, width_mm=500.0))
    assert len(pages(run)) > len(pages(one))
    with pytest.raises(PatternError, match="no pieces"):
        pattern_pdf([])

"""A printable 1:1 pattern on tiled A4 pages, for workshops without a plotter (reportlab).

The drawing (pieces as they lie, plus a 50 × 50 mm check square at its top left) is cut into tiles of the
printable area (A4 less the margins); neighbouring tiles share ``overlap_mm`` so the sheets can be taped
together: each page shows its printable frame, the overlap bands (dashed), alignment crosses at the
frame corners, its place in the page grid (``row/column``, and a small map of the grid) and the check square
on page 1. Print at 100 % ("actual size") and measure the square before cutting.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from geometry.errors import PatternError
from geometry.pattern import PatternPiece

PT_PER_MM = 72.0 / 25.4
A4_MM = (210.0, 297.0)
CHECK_SQUARE_MM = 50.0


@dataclass(frozen=True)
class TileGrid:
    """How a drawing of ``extent_mm`` (width, height) is cut into pages: ``columns`` × ``rows`` tiles."""

    columns: int
    rows: int
    printable_mm: tuple[float, float]
    overlap_mm: float

    @property
    def pages(self) -> int:
        return self.columns * self.rows


def tile_grid(extent_mm: tuple[float, float], margin_mm: float = 10.0, overlap_mm: float = 10.0) -> TileGrid:
    """The pages needed for a drawing of (width, height) mm on portrait A4."""
    width, height = A4_MM[0] - 2 * margin_mm, A4_MM[1] - 2 * margin_mm
    if width <= 2 * overlap_mm or height <= 2 * overlap_mm or overlap_mm < 0:
        raise PatternError(f"margin {margin_mm} mm and overlap {overlap_mm} mm leave no room on A4")

    def count(length: float, printable: float) -> int:
        return max(1, math.ceil((length - overlap_mm) / (printable - overlap_mm) - 1e-9))

    return TileGrid(count(extent_mm[0], width), count(extent_mm[1], height), (width, height), overlap_mm)


def _draw_piece(c: canvas.Canvas, piece: PatternPiece) -> None:
    def poly(points: np.ndarray, closed: bool, width: float, dash: tuple[float, ...] | None = None) -> None:
        path = c.beginPath()
        path.moveTo(*points[0])
        for x, y in points[1:].tolist():
            path.lineTo(x, y)
        if closed:
            path.close()
        c.setLineWidth(width)
        c.setDash(dash if dash else [])
        c.drawPath(path, stroke=1, fill=0)

    c.setStrokeColorRGB(0, 0, 0)
    poly(piece.cut_line, True, 0.35)
    for ring in piece.internal_cutouts:
        poly(ring, True, 0.3)
    c.setStrokeColorRGB(0.12, 0.37, 0.75)
    for line in piece.stitch_lines:
        poly(line, False, 0.2, (1.5, 1.0))
    c.setStrokeColorRGB(0.16, 0.54, 0.23)
    for line in piece.internal_lines:
        poly(line, False, 0.2)
    c.setDash([])
    c.setStrokeColorRGB(0.82, 0.1, 0.1)
    c.setLineWidth(0.35)
    for notch in piece.notches:
        c.line(notch.x_mm, notch.y_mm, *notch.end_mm)
    c.setStrokeColorRGB(0.7, 0.1, 0.7)
    c.setLineWidth(0.2)
    for hole in piece.drill_holes:
        c.circle(hole.x_mm, hole.y_mm, hole.diameter_mm / 2, stroke=1, fill=0)
    c.setStrokeColorRGB(0.3, 0.3, 0.3)
    if piece.grain_line is not None:
        (x0, y0), (x1, y1) = piece.grain_line
        c.line(x0, y0, x1, y1)
    from shapely.geometry import Polygon

    anchor = Polygon(piece.cut_line).representative_point()
    c.setFillColorRGB(0, 0, 0)
    c.setFont("Helvetica", 4.0)
    c.drawCentredString(anchor.x, anchor.y, f"{piece.name}  size {piece.size}  x{piece.quantity}")
    if piece.material:
        c.setFont("Helvetica", 3.0)
        c.drawCentredString(anchor.x, anchor.y - 4.5, piece.material)


def pattern_pdf(
    pieces: Sequence[PatternPiece], title: str = "pattern", margin_mm: float = 10.0, overlap_mm: float = 10.0
) -> bytes:
    """The pieces (as they lie) 1:1 on tiled portrait A4 pages; uncompressed content streams (small files
    anyway, and readable by tests and people)."""
    if not pieces:
        raise PatternError("nothing to print: no pieces")
    points = np.concatenate([p.feature_points_mm() for p in pieces])
    lo, hi = points.min(axis=0), points.max(axis=0)
    gap = 10.0
    # The check square sits above the pieces at the left, so it lands on the first page.
    x_min, y_min = float(lo[0]), float(lo[1])
    y_max = float(hi[1]) + gap + CHECK_SQUARE_MM + 8.0
    x_max = max(float(hi[0]), x_min + CHECK_SQUARE_MM + 70.0)
    grid = tile_grid((x_max - x_min, y_max - y_min), margin_mm, overlap_mm)
    pw, ph = grid.printable_mm
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    c.setTitle(title)
    c.setCreator("CSPMS")
    page = 0
    for row in range(grid.rows):
        for col in range(grid.columns):
            page += 1
            # The tile's lower-left corner in pattern mm; rows run top to bottom like reading a page.
            tile_x = x_min + col * (pw - overlap_mm)
            tile_y = y_max - ph - row * (ph - overlap_mm)
            c.saveState()
            c.scale(PT_PER_MM, PT_PER_MM)
            _page_furniture(c, grid, row, col, page, title, margin_mm, has_left=col > 0, has_top=row > 0,
                            has_right=col < grid.columns - 1, has_bottom=row < grid.rows - 1)  # fmt: skip
            clip = c.beginPath()
            clip.rect(margin_mm, margin_mm, pw, ph)
            c.clipPath(clip, stroke=0, fill=0)
            c.translate(margin_mm - tile_x, margin_mm - tile_y)
            for piece in pieces:
                _draw_piece(c, piece)
            _check_square(c, x_min, y_max - CHECK_SQUARE_MM - 8.0)
            c.restoreState()
            c.showPage()
    c.save()
    return buffer.getvalue()


def _check_square(c: canvas.Canvas, x: float, y: float) -> None:
    c.setDash([])
    c.setStrokeColorRGB(0, 0, 0)
    c.setLineWidth(0.3)
    c.rect(x, y, CHECK_SQUARE_MM, CHECK_SQUARE_MM, stroke=1, fill=0)
    c.setFillColorRGB(0, 0, 0)
    c.setFont("Helvetica", 3.5)
    c.drawString(x + CHECK_SQUARE_MM + 3, y + CHECK_SQUARE_MM - 4, "check square: 50 x 50 mm")
    c.drawString(x + CHECK_SQUARE_MM + 3, y + CHECK_SQUARE_MM - 9, "print at 100 % and measure it")


def _page_furniture(
    c: canvas.Canvas, grid: TileGrid, row: int, col: int, page: int, title: str, margin: float,
    has_left: bool, has_top: bool, has_right: bool, has_bottom: bool,
) -> None:  # fmt: skip
    pw, ph = grid.printable_mm
    ov = grid.overlap_mm
    c.setStrokeColorRGB(0.6, 0.6, 0.6)
    c.setLineWidth(0.15)
    c.setDash([])
    c.rect(margin, margin, pw, ph, stroke=1, fill=0)
    # Overlap bands: glue the next page's edge onto the dashed line.
    c.setDash([2, 1.5])
    if has_right:
        c.line(margin + pw - ov, margin, margin + pw - ov, margin + ph)
    if has_bottom:
        c.line(margin, margin + ov, margin + pw, margin + ov)
    if has_left:
        c.line(margin + ov, margin, margin + ov, margin + ph)
    if has_top:
        c.line(margin, margin + ph - ov, margin + pw, margin + ph - ov)
    c.setDash([])
    c.setStrokeColorRGB(0, 0, 0)
    for x in (margin, margin + pw):
        for y in (margin, margin + ph):
            c.line(x - 4, y, x + 4, y)
            c.line(x, y - 4, x, y + 4)
    c.setFillColorRGB(0, 0, 0)
    c.setFont("Helvetica", 3.0)
    c.drawString(
        margin, margin - 5, f"{title}   page {page} of {grid.pages}   row {row + 1} / column {col + 1}   1:1, mm"
    )
    # A map of the page grid with this page filled, in the top margin.
    cell = min(2.5, (margin - 3.0) / grid.rows)
    x0 = margin + pw - grid.columns * cell
    y0 = margin + ph + 2.0
    for r in range(grid.rows):
        for k in range(grid.columns):
            filled = 1 if (r, k) == (row, col) else 0
            c.rect(x0 + k * cell, y0 + (grid.rows - 1 - r) * cell, cell, cell, stroke=1, fill=filled)

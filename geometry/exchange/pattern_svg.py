"""SVG previews of pattern pieces and of nests, drawn 1:1 in mm (``width="…mm"``, viewBox in mm).

Pieces are drawn where they lie (lay a set out with :func:`cutter.shelf_layout` first). Colours by role:
cut line black, internal cut-outs grey-filled, sew lines dashed blue, internal lines green, notches red,
drill holes magenta, grain line with arrow heads, mirror line dash-dot. y points up in the pattern and down
in SVG: coordinates are flipped here, text stays upright.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

import numpy as np
from shapely.geometry import Polygon

from geometry.errors import PatternError
from geometry.exchange.svg_colours import NEST_COLOURS, cycled
from geometry.pattern import PatternPiece

STYLE = """
.cut{fill:#f7f3ea;stroke:#000;stroke-width:0.4}
.cutout{fill:#fff;stroke:#000;stroke-width:0.3}
.sew{fill:none;stroke:#1f5fbf;stroke-width:0.25;stroke-dasharray:1.5 1}
.internal{fill:none;stroke:#2a8a3a;stroke-width:0.25}
.notch{stroke:#d01c1c;stroke-width:0.4}
.drill{fill:none;stroke:#b01cb0;stroke-width:0.25}
.grain{stroke:#555;stroke-width:0.3;fill:#555}
.mirror{stroke:#888;stroke-width:0.25;stroke-dasharray:4 1 1 1}
.container{fill:#fdfdfd;stroke:#444;stroke-width:0.6}
.label{font-family:sans-serif;fill:#222}
"""


class _Frame:
    """Maps pattern mm (y up) to SVG user units (mm, y down) inside a margin."""

    def __init__(self, bounds: tuple[float, float, float, float], margin_mm: float) -> None:
        self.x0, self.y0, x1, y1 = bounds
        self.margin = margin_mm
        self.width = x1 - self.x0 + 2 * margin_mm
        self.height = y1 - self.y0 + 2 * margin_mm
        self.top = y1

    def xy(self, points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        return np.column_stack([points[:, 0] - self.x0 + self.margin, self.top - points[:, 1] + self.margin])

    def path(self, points: np.ndarray, closed: bool) -> str:
        xy = self.xy(points)
        d = "M" + " L".join(f"{x:.3f},{y:.3f}" for x, y in xy)
        return d + (" Z" if closed else "")


def _bounds(pieces: Sequence[PatternPiece], extra: np.ndarray | None = None) -> tuple[float, float, float, float]:
    if not pieces and extra is None:
        raise PatternError("nothing to draw: no pieces")
    points = [p.feature_points_mm() for p in pieces] + ([np.asarray(extra)] if extra is not None else [])
    allp = np.concatenate(points)
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def _piece_elements(piece: PatternPiece, frame: _Frame, label: bool, fill: str | None = None) -> list[str]:
    style = f' style="fill:{fill}"' if fill else ""
    out = [f'<g class="piece" data-name="{escape(piece.name)}" data-size="{escape(piece.size)}">']
    d = frame.path(piece.cut_line, True) + "".join(" " + frame.path(r, True) for r in piece.internal_cutouts)
    out.append(f'<path class="cut" fill-rule="evenodd" d="{d}"{style}/>')
    out += [f'<path class="sew" d="{frame.path(line, False)}"/>' for line in piece.stitch_lines]
    out += [f'<path class="internal" d="{frame.path(line, False)}"/>' for line in piece.internal_lines]
    for notch in piece.notches:
        (x0, y0), (x1, y1) = frame.xy(np.array([[notch.x_mm, notch.y_mm], notch.end_mm]))
        out.append(f'<line class="notch" x1="{x0:.3f}" y1="{y0:.3f}" x2="{x1:.3f}" y2="{y1:.3f}"/>')
    for hole in piece.drill_holes:
        ((cx, cy),) = frame.xy(np.array([[hole.x_mm, hole.y_mm]]))
        out.append(f'<circle class="drill" cx="{cx:.3f}" cy="{cy:.3f}" r="{hole.diameter_mm / 2:.3f}"/>')
    if piece.grain_line is not None:
        out.append(_grain_arrow(frame.xy(np.array(piece.grain_line))))
    if piece.mirror_line is not None:
        (x0, y0), (x1, y1) = frame.xy(np.array(piece.mirror_line))
        out.append(f'<line class="mirror" x1="{x0:.3f}" y1="{y0:.3f}" x2="{x1:.3f}" y2="{y1:.3f}"/>')
    if label:
        anchor = Polygon(piece.cut_line).representative_point()
        ((x, y),) = frame.xy(np.array([[anchor.x, anchor.y]]))
        size_mm = max(2.5, min(8.0, math.sqrt(piece.area_mm2) / 12))
        out.append(
            f'<text class="label" x="{x:.2f}" y="{y:.2f}" font-size="{size_mm:.1f}" text-anchor="middle">'
            f"{escape(piece.name)} · {escape(piece.size)}"
            + (f" ×{piece.quantity}" if piece.quantity > 1 else "")
            + "</text>"
        )
    out.append("</g>")
    return out


def _grain_arrow(xy: np.ndarray) -> str:
    (x0, y0), (x1, y1) = xy
    direction = np.array([x1 - x0, y1 - y0]) / max(math.hypot(x1 - x0, y1 - y0), 1e-9)
    normal = np.array([-direction[1], direction[0]])
    heads = []
    for tip, sign in (((x1, y1), 1.0), ((x0, y0), -1.0)):
        base = np.array(tip) - sign * 3.0 * direction
        a, b = base + 1.2 * normal, base - 1.2 * normal
        heads.append(
            f'<path class="grain" d="M{tip[0]:.3f},{tip[1]:.3f} L{a[0]:.3f},{a[1]:.3f} L{b[0]:.3f},{b[1]:.3f} Z"/>'
        )
    return f'<line class="grain" x1="{x0:.3f}" y1="{y0:.3f}" x2="{x1:.3f}" y2="{y1:.3f}"/>' + "".join(heads)


def _document(frame: _Frame, body: list[str], title: str) -> str:
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{frame.width:.2f}mm" height="{frame.height:.2f}mm" '
            f'viewBox="0 0 {frame.width:.3f} {frame.height:.3f}">',
            f"<title>{escape(title)}</title>",
            f"<style>{STYLE}</style>",
            *body,
            "</svg>",
            "",
        ]
    )


def pattern_svg(
    pieces: Sequence[PatternPiece], title: str = "pattern", margin_mm: float = 10.0, labels: bool = True
) -> str:
    """Pieces as they lie, 1:1 in mm, with every marking (see module docstring for the colours)."""
    frame = _Frame(_bounds(pieces), margin_mm)
    body = [line for piece in pieces for line in _piece_elements(piece, frame, labels)]
    return _document(frame, body, title)


def piece_svg(piece: PatternPiece, margin_mm: float = 10.0) -> str:
    """One piece, 1:1 in mm."""
    return pattern_svg([piece], f"{piece.name} size {piece.size}", margin_mm)


def nest_svg(
    placed: Sequence[PatternPiece], container_mm: np.ndarray, title: str = "nest", margin_mm: float = 10.0
) -> str:
    """A nest: the container outline ((k, 2) mm closed polygon: a hide, a sheet, a roll length) and the
    pieces placed in it, coloured by piece name, with the utilisation (piece area / container area)."""
    container = np.asarray(container_mm, dtype=float)
    if container.ndim != 2 or container.shape[1] != 2 or len(container) < 3:
        raise PatternError(f"container outline must be (k ≥ 3, 2) points in mm, got shape {container.shape}")
    frame = _Frame(_bounds(placed, container), margin_mm)
    names = list(dict.fromkeys(p.name for p in placed))
    body = [f'<path class="container" d="{frame.path(container, True)}"/>']
    for piece in placed:
        colour = cycled(NEST_COLOURS, names.index(piece.name))
        body += _piece_elements(piece, frame, label=False, fill=colour)
    used = sum(p.area_mm2 for p in placed)
    area = Polygon(container).area
    font_mm = max(3.0, margin_mm * 0.4)
    body.append(
        f'<text class="label" x="{margin_mm:.1f}" y="{margin_mm * 0.7:.1f}" font-size="{font_mm:.1f}">'
        f"{escape(title)}: {len(placed)} pieces, utilisation {100 * used / area:.1f} %</text>"
    )
    return _document(frame, body, title)

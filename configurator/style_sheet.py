"""The style sheet: a style's pieces coloured on a last, seen from the lateral side, the medial side and
above (SVG), for the docs, the pattern maker and the configurator's first look."""

from __future__ import annotations

from xml.sax.saxutils import escape

import numpy as np
import shapely

from configurator.styles.model import Style
from configurator.upper import lay_style
from geometry.exchange.svg_colours import PIECE_COLOURS, cycled, swatch_key_svg
from lasts.model import LastMesh
from lasts.upper_coords import upper_surface

_UNCOVERED = "#eeeeee"
_SCALE = 1.6  # px per mm


def style_sheet_svg(style: Style, last: LastMesh, title: str | None = None) -> str:
    """Side (lateral, medial) and top views of the last with each piece's faces in its colour."""
    # The upper in grey under the pieces, each piece's own cut patch over it in its colour.
    upper = upper_surface(last)
    centres = upper.sg[upper.faces].mean(axis=1)
    opening = ~shapely.contains_xy(style.covered, centres[:, 0], centres[:, 1])
    layers = [(upper.vertices[upper.faces[opening]], _UNCOVERED)]
    for k, patch in enumerate(lay_style(style, last)):
        layers.append((patch.vertices[patch.faces], cycled(PIECE_COLOURS, k)))
    tri = np.concatenate([faces for faces, _ in layers])
    colour = np.concatenate([np.full(len(faces), c, dtype=object) for faces, c in layers])
    # A piece's face lies on the upper's: nudge it toward the viewer so it wins the painter's tie.
    on_top = np.concatenate([np.full(len(faces), i > 0) for i, (faces, _) in enumerate(layers)])
    v = upper.vertices
    medial_sign = 1.0 if last.params.side == "right" else -1.0
    # (name, 2D axes, how far each face is from the viewer, u mirrored for the medial view)
    views = [
        ("lateral side", (0, 2), medial_sign * tri[:, :, 1].mean(axis=1), 1.0),
        ("medial side", (0, 2), -medial_sign * tri[:, :, 1].mean(axis=1), -1.0),
        ("from above", (0, 1), -tri[:, :, 2].mean(axis=1), 1.0),
    ]
    length = float(np.ptp(v[:, 0]))
    width_px = max(length * _SCALE + 40.0, 500.0)
    parts: list[str] = []
    y_px = 40.0
    for name, (a, b), farness, flip in views:
        u = tri[:, :, a] * flip
        w = tri[:, :, b]
        u0, w1 = float(u.min()), float(w.max())
        height = float(w.max() - w.min())
        parts.append(f'<text x="20" y="{y_px - 8:.0f}" font-size="13" font-weight="bold">{escape(name)}</text>')
        # Painter's order: the farthest first, nearer faces cover them (pieces over the grey upper).
        order = np.argsort(-(farness - 0.5 * on_top))
        for i in order:
            px = (u[i] - u0) * _SCALE + 20.0
            py = (w1 - w[i]) * _SCALE + y_px
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(px, py, strict=True))
            parts.append(f'<polygon points="{points}" fill="{colour[i]}" stroke="{colour[i]}" stroke-width="0.8"/>')
        y_px += height * _SCALE + 50.0
    legend_y = y_px
    key = [(cycled(PIECE_COLOURS, k), f"{p.name} ({p.material_slot})") for k, p in enumerate(style.pieces)]
    if key:
        parts.append(swatch_key_svg(key, 20, legend_y, columns=2, column_px=230, row_px=22))
    height_px = legend_y + 22 * ((len(style.pieces) + 1) // 2) + 10
    heading = escape(title or f"{style.title} on a {last.params.side} last, {last.params.stick_length_mm:.0f} mm")
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_px:.0f}" height="{height_px:.0f}" '
        f'viewBox="0 0 {width_px:.0f} {height_px:.0f}" font-family="sans-serif">',
        f'<rect width="100%" height="100%" fill="white"/><text x="20" y="20" font-size="15">{heading}</text>',
        *parts,
        "</svg>",
    ])  # fmt: skip

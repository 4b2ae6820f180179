"""The measurement sheet: top and side views of the measured foot with its girth lines, landmarks and values,
as a self-contained SVG (shown in the web UI, printed in the workshop). A value the scan does not give and was
estimated (lasts/completion.py) is set apart: italic, grey, "≈ 323 ± 15 (estimated)", and has no girth line."""

from __future__ import annotations

from xml.sax.saxutils import escape

import numpy as np

from geometry.exchange.svg_colours import TAB10
from lasts.coverage import ScanCoverage, ScanTop
from lasts.landmarks import Landmarks
from lasts.measurements import Estimate, FootMeasurements

_GIRTH_COLOURS = {
    "ball": TAB10["red"],
    "instep": TAB10["blue"],
    "waist": TAB10["green"],
    "long_heel": TAB10["purple"],
    "short_heel": TAB10["brown"],
    "ankle": TAB10["pink"],
}
_LABELS = {
    "foot_length_mm": "Foot length",
    "ball_girth_mm": "Ball girth",
    "ball_width_mm": "Ball width",
    "ball_length_mm": "Ball-of-foot length",
    "instep_girth_mm": "Instep girth",
    "waist_girth_mm": "Waist girth",
    "long_heel_girth_mm": "Long heel girth",
    "short_heel_girth_mm": "Short heel girth",
    "heel_width_mm": "Heel width",
    "arch_height_mm": "Arch height",
    "toe_height_mm": "Toe height",
    "ankle_girth_mm": "Ankle girth",
}


_ESTIMATED_COLOUR = "#666"


def _value_class(key: str, estimate: Estimate | None) -> str:
    """A class per value (``value estimated`` for an estimate), for pages and tests that read the sheet."""
    return f"value {key}" + (" estimated" if estimate is not None else "")


def outline_by_slices(points_2d: np.ndarray, bin_mm: float = 2.0) -> np.ndarray:
    """A closed silhouette (k, 2) of 2D points: the low and high extent of each slice along the first axis."""
    u, w = points_2d.T
    slices = np.floor((u - u.min()) / bin_mm).astype(np.int64)
    count = slices.max() + 1
    high = np.full(count, -np.inf)
    low = np.full(count, np.inf)
    np.maximum.at(high, slices, w)
    np.minimum.at(low, slices, w)
    filled = np.isfinite(high)
    centres = u.min() + (np.arange(count) + 0.5) * bin_mm
    centres, high, low = centres[filled], high[filled], low[filled]
    return np.vstack([np.column_stack([centres, high]), np.column_stack([centres[::-1], low[::-1]])])


def measurement_sheet_svg(
    vertices: np.ndarray,
    landmarks: Landmarks,
    measurements: FootMeasurements,
    title: str,
    side: str,
    coverage: ScanCoverage | None = None,
) -> str:
    """SVG text: top view (x, y) above side view (x, z), 1 mm = 2 px, with a value table. ``coverage``: what
    the scan holds; its cut is drawn in the side view and its notes listed under the table."""
    scale = 2.0
    margin = 30.0
    x_min, x_max = float(vertices[:, 0].min()), float(vertices[:, 0].max())
    y_min, y_max = float(vertices[:, 1].min()), float(vertices[:, 1].max())
    z_max = float(vertices[:, 2].max())
    view_w = (x_max - x_min) * scale
    top_h = (y_max - y_min) * scale
    side_h = z_max * scale
    table_w = 370.0
    width = margin * 3 + view_w + table_w
    coverage_notes = () if coverage is None else coverage.notes
    table_rows = len(measurements.values()) + 2 + len(measurements.warnings) + len(coverage_notes)
    height = max(margin * 4 + top_h + side_h, margin * 2.5 + 20 * table_rows)

    def top_xy(p: np.ndarray) -> np.ndarray:
        # Looking down, toes to the right, medial side up for a right foot (as the foot is seen from above).
        return np.column_stack([margin + (p[:, 0] - x_min) * scale, margin * 1.5 + (y_max - p[:, 1]) * scale])

    side_top = margin * 3 + top_h

    def side_xz(p: np.ndarray) -> np.ndarray:
        return np.column_stack([margin + (p[:, 0] - x_min) * scale, side_top + (z_max - p[:, 2]) * scale])

    def path(points: np.ndarray, colour: str, fill: str = "none", width_px: float = 1.5) -> str:
        d = "M " + " L ".join(f"{a:.1f},{b:.1f}" for a, b in points) + " Z"
        return f'<path d="{d}" stroke="{colour}" fill="{fill}" stroke-width="{width_px}"/>'

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>',
        f'<text x="{margin}" y="{margin * 0.8:.0f}" font-size="15" font-weight="bold">{escape(title)}'
        f" — {escape(side)} foot, top view</text>",
        f'<text x="{margin}" y="{side_top - margin * 0.5:.0f}" font-size="15" font-weight="bold">side view'
        " (medial side towards you for a left foot)</text>",
    ]
    top_outline = outline_by_slices(vertices[:, [0, 1]])
    side_outline = outline_by_slices(vertices[:, [0, 2]])
    parts.append(path(top_xy(np.column_stack([top_outline, np.zeros(len(top_outline))])), "#444", "#f2efe9"))
    side_pts = np.column_stack([side_outline[:, 0], np.zeros(len(side_outline)), side_outline[:, 1]])
    parts.append(path(side_xz(side_pts), "#444", "#f2efe9"))
    floor = side_xz(np.array([[x_min, 0, 0], [x_max, 0, 0]]))
    parts.append(
        f'<line x1="{floor[0, 0]:.1f}" y1="{floor[0, 1]:.1f}" x2="{floor[1, 0]:.1f}" y2="{floor[1, 1]:.1f}" '
        'stroke="#999" stroke-dasharray="4 3"/>'
    )
    if coverage is not None and coverage.top is not ScanTop.LEG_CUT:  # where a low scan stops
        cut = side_xz(np.array([[x_min, 0, coverage.cut_height_mm], [x_max, 0, coverage.cut_height_mm]]))
        parts.append(
            f'<line x1="{cut[0, 0]:.1f}" y1="{cut[0, 1]:.1f}" x2="{cut[1, 0]:.1f}" y2="{cut[1, 1]:.1f}" '
            'stroke="#c00" stroke-dasharray="2 3"/>'
            f'<text x="{cut[1, 0] - 120:.1f}" y="{cut[0, 1] - 4:.1f}" font-size="10" fill="#c00">'
            f"scan cut at {coverage.cut_height_mm:.0f} mm</text>"
        )
    for line in measurements.girth_lines:
        if len(line.ring) < 3:
            continue
        colour = _GIRTH_COLOURS.get(line.name, "#000")
        parts.append(path(top_xy(line.ring), colour, width_px=2))
        parts.append(path(side_xz(line.ring), colour, width_px=2))
    for name, point in landmarks.as_dict().items():
        p = np.array([point])
        for px, py in (top_xy(p)[0], side_xz(p)[0]):
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="black"/>')
            parts.append(f'<text x="{px + 5:.1f}" y="{py - 5:.1f}" font-size="10">{escape(name)}</text>')
    table_x = margin * 2 + view_w
    parts.append(f'<text x="{table_x:.0f}" y="{margin * 1.5:.0f}" font-size="14" font-weight="bold">mm</text>')
    rows = list(measurements.values().items())
    for row, (key, value) in enumerate(rows):
        girth = next((g for g in _GIRTH_COLOURS if key.startswith(g)), None)
        colour = _GIRTH_COLOURS[girth] if girth and "girth" in key else "#000"
        shown = "not reached by the scan" if value is None else f"{value:.1f}"
        style = ""
        estimate = measurements.estimated.get(key)
        if value is None and estimate is not None:
            shown = f"≈ {estimate.value_mm:.0f} ± {estimate.uncertainty_95_mm:.0f} (estimated)"
            colour, style = _ESTIMATED_COLOUR, ' font-style="italic"'
        y = margin * 1.5 + 20 * (row + 1)
        parts.append(f'<text x="{table_x:.0f}" y="{y:.0f}" fill="{colour}"{style}>{escape(_LABELS[key])}</text>')
        parts.append(
            f'<text x="{table_x + 170:.0f}" y="{y:.0f}" fill="{colour}"{style} class="{_value_class(key, estimate)}">'
            f"{escape(shown)}</text>"
        )
    notes = []
    if measurements.estimated:
        notes.append("≈ estimated, not in the scan: ± the 95 % range (ANSUR II regression or FIND proportion)")
    notes += [f"warning: {w}" for w in measurements.warnings]
    notes += [f"scan: {note}" for note in coverage_notes]
    for index, note in enumerate(notes):
        y = margin * 1.5 + 20 * (len(rows) + 1.5 + index)
        parts.append(
            f'<text x="{table_x:.0f}" y="{y:.0f}" font-size="9" fill="{_ESTIMATED_COLOUR}" font-style="italic">'
            f"{escape(note[:90])}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)

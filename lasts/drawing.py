"""The last drawing: side, top and bottom (insole) views of a standing last to scale, with its main
dimensions and the parameter table, as a self-contained SVG in the look of the measurement sheet
(:mod:`lasts.sheet`): printed for the last maker, shown in the web UI next to the 3D view.

Outlines come from the last's sections (:meth:`LastMesh.grid`), not from binning the vertices: every
section is one x, so its highest and lowest points are exact silhouette points, and the dense sections at
the heel trace the back curve without steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np
from numpy.typing import ArrayLike

from geometry.exchange.svg_colours import TAB10
from lasts.model import DEFAULT_PROPORTIONS, LastMesh

PAGE_WIDTH_PX = 900.0
_MARGIN_PX = 30.0
_TABLE_WIDTH_PX = 235.0
_DIM_ROOM_LEFT_PX = 60.0  # the cone height is dimensioned behind the heel
_DIM_ROOM_RIGHT_PX = 20.0
_VIEW_GAP_PX = 62.0  # title of the next view plus the dimension under the previous one
_OUTLINE = 'stroke="#444" stroke-width="1.5" stroke-linejoin="round"'
_LAST_FILL = "#f2efe9"
_INSOLE_FILL = "#e9eef2"
_BALL_COLOUR = TAB10["red"]  # the ball girth's colour on the measurement sheet
_BACK_COLOUR = TAB10["blue"]
_DIM_COLOUR = "#333"
# Parameters whose None means "the default": the table shows the value the last was built with.
_DEFAULTED = {"cone_height_mm": "cone_top_mm", "heel_point_height_mm": "heel_point_mm"}


@dataclass(frozen=True)
class _View:
    """Model mm (u to the right, v up) to page px."""

    left_px: float
    top_px: float
    u_min_mm: float
    v_max_mm: float
    px_per_mm: float

    def px(self, uv_mm: ArrayLike) -> np.ndarray:
        uv = np.atleast_2d(np.asarray(uv_mm, dtype=np.float64))
        return np.column_stack(
            [
                self.left_px + (uv[:, 0] - self.u_min_mm) * self.px_per_mm,
                self.top_px + (self.v_max_mm - uv[:, 1]) * self.px_per_mm,
            ]
        )


def side_outline_mm(last: LastMesh) -> np.ndarray:
    """(k, 2) closed silhouette in (x, z), mm: heel point, top line to the toe tip, bottom line back."""
    grid = last.grid()
    heel, toe = last.vertices[0], last.vertices[-1]
    top = np.column_stack([last.section_x_mm, grid[..., 2].max(axis=1)])
    bottom = np.column_stack([last.section_x_mm, grid[..., 2].min(axis=1)])
    return np.vstack([heel[[0, 2]], top, toe[[0, 2]], bottom[::-1]])


def plan_outline_mm(last: LastMesh) -> np.ndarray:
    """(k, 2) closed top-view outline in (x, y), mm: the widest point of each section on either side."""
    grid = last.grid()
    heel, toe = last.vertices[0], last.vertices[-1]
    high = np.column_stack([last.section_x_mm, grid[..., 1].max(axis=1)])
    low = np.column_stack([last.section_x_mm, grid[..., 1].min(axis=1)])
    return np.vstack([heel[:2], high, toe[:2], low[::-1]])


def insole_outline_mm(last: LastMesh) -> np.ndarray:
    """(k, 2) closed bottom outline in (x, y), mm: the two feather lines joined at the heel and the toe."""
    heel, toe = last.vertices[0], last.vertices[-1]
    return np.vstack([heel[:2], last.feather_medial[:, :2], toe[:2], last.feather_lateral[::-1, :2]])


def back_curve_mm(side_outline: np.ndarray, floor_mm: float = 0.5) -> np.ndarray:
    """(k, 2) the rear of the side silhouette: from where the bottom leaves the floor, round the heel point,
    up to where the top line reaches the cone top."""
    heel = int(np.argmin(side_outline[:, 0]))
    top_line = side_outline[: len(side_outline) // 2 + 1]
    bottom_line = np.vstack([side_outline[len(side_outline) // 2 + 1 :], side_outline[:1]])[::-1]
    up = int(np.argmax(top_line[:, 1] >= top_line[:, 1].max() - floor_mm))
    down = int(np.argmax(bottom_line[:, 1] <= bottom_line[:, 1].min() + floor_mm))
    return np.vstack([bottom_line[: down + 1][::-1], top_line[heel + 1 : up + 1]])


def last_drawing_svg(last: LastMesh, title: str, values: dict[str, float] | None = None) -> str:
    """SVG text of the standing last: side view over top view over bottom view, all at one scale (about
    2 px per mm on a 900 px page, shown by a scale bar), with stick length, ball line, heel width, toe box
    and cone heights dimensioned, and the parameter table beside them.

    values : optional measured values in mm by name (``ball_girth_mm`` labels the ball line); all are
        listed under the parameters.
    """
    values = values or {}
    p = last.params
    side = side_outline_mm(last)
    plan = plan_outline_mm(last)
    insole = insole_outline_mm(last)
    x_min, x_max = float(side[:, 0].min()), float(side[:, 0].max())
    z_max = float(side[:, 1].max())
    y_min, y_max = float(plan[:, 1].min()), float(plan[:, 1].max())
    iy_min, iy_max = float(insole[:, 1].min()), float(insole[:, 1].max())
    views_width_px = PAGE_WIDTH_PX - 2 * _MARGIN_PX - _TABLE_WIDTH_PX - _DIM_ROOM_LEFT_PX - _DIM_ROOM_RIGHT_PX
    scale = views_width_px / (x_max - x_min)
    left = _MARGIN_PX + _DIM_ROOM_LEFT_PX
    side_view = _View(left, _MARGIN_PX + 55.0, x_min, z_max, scale)
    floor_px = side_view.top_px + z_max * scale
    top_view = _View(left, floor_px + _VIEW_GAP_PX + 12.0, x_min, y_max, scale)
    bottom_view = _View(left, top_view.top_px + (y_max - y_min) * scale + _VIEW_GAP_PX - 20.0, x_min, iy_max, scale)
    scale_bar_px = bottom_view.top_px + (iy_max - iy_min) * scale + 34.0
    height = scale_bar_px + 40.0
    table_x = PAGE_WIDTH_PX - _MARGIN_PX - _TABLE_WIDTH_PX + 10.0

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_WIDTH_PX:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {PAGE_WIDTH_PX:.0f} {height:.0f}" font-family="sans-serif" font-size="12" '
        f'data-px-per-mm="{scale:.6f}">',
        f'<rect width="{PAGE_WIDTH_PX:.0f}" height="{height:.0f}" fill="white"/>',
        _text(_MARGIN_PX, _MARGIN_PX, f"{title} — {p.side} last, {p.toe_shape.value} toe", size=15, bold=True),
    ]
    # Side view: silhouette, floor, back curve; stick length under it, cone height behind, toe box inside.
    sign = "medial" if p.side == "left" else "lateral"
    parts.append(_text(_MARGIN_PX, side_view.top_px - 14, f"Side view ({sign} side towards you)", size=13, bold=True))
    parts.append(_polygon(side_view.px(side), _LAST_FILL, "side-outline"))
    floor = side_view.px(np.array([[x_min - 8.0, 0.0], [x_max + 8.0, 0.0]]))
    parts.append(_line(floor[0], floor[1], 'stroke="#999" stroke-dasharray="4 3"'))
    back = side_view.px(back_curve_mm(side))
    parts.append(_polyline(back, f'stroke="{_BACK_COLOUR}" stroke-width="2.5"', "back-curve"))
    heel_point = side_view.px(last.vertices[0][[0, 2]])[0]
    parts.append(_text(heel_point[0] + 8, heel_point[1] + 4, "back curve", size=10, colour=_BACK_COLOUR))
    stick_y = floor_px + 22.0
    parts += _dimension(
        np.array([side_view.px([[x_min, 0]])[0, 0], stick_y]),
        np.array([side_view.px([[x_max, 0]])[0, 0], stick_y]),
        f"stick length {x_max - x_min:.1f} mm",
        text_offset_px=(0.0, 14.0),
        extension_from=(side_view.px([[x_min, 0]])[0], side_view.px([[x_max, last.vertices[-1][2]]])[0]),
    )
    cone_at = side[np.argmax(side[:, 1])]
    cone_x_px = left - 28.0
    parts += _dimension(
        np.array([cone_x_px, floor_px]),
        np.array([cone_x_px, side_view.px([cone_at])[0, 1]]),
        f"cone height {z_max:.1f}",
        text_offset_px=(-6.0, 0.0),
        vertical_text=True,
        extension_from=(None, side_view.px([cone_at])[0]),
    )
    toe_box_x = DEFAULT_PROPORTIONS.toe_box_station * p.stick_length_mm
    toe_box_z = float(np.interp(toe_box_x, side[: len(side) // 2 + 1, 0], side[: len(side) // 2 + 1, 1]))
    toe_low, toe_high = side_view.px(np.array([[toe_box_x, 0.0], [toe_box_x, toe_box_z]]))
    parts += _dimension(toe_low, toe_high, "")
    parts.append(_text(toe_high[0], toe_high[1] - 20, "toe box height", size=10, anchor="middle"))
    parts.append(_text(toe_high[0], toe_high[1] - 7, f"{toe_box_z:.1f}", size=10, anchor="middle"))

    # Top view: plan outline, ball line, heel width.
    parts.append(_text(_MARGIN_PX, top_view.top_px - 14, "Top view (toe to the right)", size=13, bold=True))
    parts.append(_polygon(top_view.px(plan), _LAST_FILL, "plan-outline"))
    parts += _ball_line(top_view, last, values, labelled=True)
    heel_x = DEFAULT_PROPORTIONS.heel_station * p.ball_length_mm
    upper, lower = _widths_at(plan, heel_x)
    a, b = top_view.px(np.array([[heel_x, upper], [heel_x, lower]]))
    parts += _dimension(a, b, "")
    parts.append(_text(a[0] + 6, 0.5 * (a[1] + b[1]) - 2, "heel width", size=10))
    parts.append(_text(a[0] + 6, 0.5 * (a[1] + b[1]) + 11, f"{upper - lower:.1f}", size=10))

    # Bottom view: the insole outline between the feather lines, seen from above like the top view.
    parts.append(
        _text(_MARGIN_PX, bottom_view.top_px - 14, "Bottom (insole) outline, seen from above", size=13, bold=True)
    )
    parts.append(_polygon(bottom_view.px(insole), _INSOLE_FILL, "insole-outline"))
    parts += _ball_line(bottom_view, last, values, labelled=False)
    seat_upper, seat_lower = _widths_at(insole, heel_x)
    parts.append(
        _text(
            bottom_view.px([[heel_x, 0]])[0, 0],
            bottom_view.px([[0, seat_lower]])[0, 1] + 14,
            f"seat width {seat_upper - seat_lower:.1f}",
            size=10,
            anchor="middle",
        )
    )
    parts += _scale_bar(left, scale_bar_px, scale)
    parts += _table(last, values, table_x, _MARGIN_PX + 55.0)
    parts.append("</svg>")
    return "\n".join(parts)


def _ball_line(view: _View, last: LastMesh, values: dict[str, float], labelled: bool) -> list[str]:
    """The MTP1–MTP5 segment with its points; its girth beside it when a measured value is given."""
    ends = view.px(np.array([last.landmarks.mtp1[:2], last.landmarks.mtp5[:2]]))
    dash = "" if labelled else ' stroke-dasharray="6 3"'
    element_id = "ball-line-top" if labelled else "ball-line-bottom"
    parts = [_line(ends[0], ends[1], f'stroke="{_BALL_COLOUR}" stroke-width="2"{dash}', element_id)]
    for (px, py), name in zip(ends, ("MTP1", "MTP5"), strict=True):
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{_BALL_COLOUR}"/>')
        if labelled:
            above = py < ends[:, 1].mean()
            parts.append(_text(px, py - 7 if above else py + 15, name, size=10, anchor="middle", colour=_BALL_COLOUR))
    if labelled:
        label = "ball line"
        if "ball_girth_mm" in values:
            label += f", girth {values['ball_girth_mm']:.1f}"
        middle = ends.mean(axis=0)
        parts.append(_text(middle[0] - 8, middle[1] + 4, label, size=10, anchor="end", colour=_BALL_COLOUR))
    return parts


def _widths_at(outline: np.ndarray, x_mm: float) -> tuple[float, float]:
    """(high y, low y) in mm where the plane x = ``x_mm`` crosses a closed outline built heel → toe → heel."""
    half = len(outline) // 2 + 1
    there, back = outline[:half], outline[half - 1 :][::-1]
    ys = (float(np.interp(x_mm, there[:, 0], there[:, 1])), float(np.interp(x_mm, back[:, 0], back[:, 1])))
    return max(ys), min(ys)


def _table(last: LastMesh, values: dict[str, float], x_px: float, y_px: float) -> list[str]:
    p = last.params
    parts = [_text(x_px, y_px - 14, "Parameters", size=13, bold=True)]
    rows: list[tuple[str, str]] = []
    for key, value in p.to_dict().items():
        shown: str
        if key == "shape" and p.shape is not None:
            # The field itself is for the machine: the drawing says the last is shaped, and how far from its base.
            shown = f"to the foot, ≤ {float(abs(p.shape.displacement_mm).max()):.1f} mm"
        elif value is None:
            shown = f"{getattr(p, _DEFAULTED[key]):.1f} (default)" if key in _DEFAULTED else "default"
        elif isinstance(value, int | float) and not isinstance(value, bool):
            shown = f"{value:.1f}" if key.endswith("_mm") else f"{value:.2f}"
        else:
            shown = str(value)
        rows.append((_label(key), shown))
    y = y_px + 6
    for label, shown in rows:
        parts.append(_text(x_px, y, label, size=11))
        parts.append(_text(x_px + _TABLE_WIDTH_PX - 20, y, shown, size=11, anchor="end"))
        y += 17
    parts.append(_text(x_px, y + 2, "lengths, widths, girths and heights in mm", size=9, colour="#777"))
    if values:
        y += 30
        parts.append(_text(x_px, y, "Measured on the last", size=13, bold=True))
        y += 20
        for key, value in values.items():
            parts.append(_text(x_px, y, _label(key), size=11))
            parts.append(_text(x_px + _TABLE_WIDTH_PX - 20, y, f"{value:.1f}", size=11, anchor="end"))
            y += 17
    return parts


def _label(key: str) -> str:
    return key.removesuffix("_mm").replace("_", " ").capitalize()


def _scale_bar(x_px: float, y_px: float, px_per_mm: float, length_mm: float = 50.0) -> list[str]:
    """A 50 mm bar: the drawing stays measurable when printed at any size."""
    end = x_px + length_mm * px_per_mm
    parts = [_line(np.array([x_px, y_px]), np.array([end, y_px]), 'stroke="#222" stroke-width="1.5"')]
    for mm in range(0, int(length_mm) + 1, 10):
        tick_x = x_px + mm * px_per_mm
        tall = 6.0 if mm % 50 == 0 else 3.5
        parts.append(_line(np.array([tick_x, y_px - tall]), np.array([tick_x, y_px]), 'stroke="#222"'))
    parts.append(_text(end + 8, y_px + 4, f"{length_mm:.0f} mm  (1 mm = {px_per_mm:.2f} px)", size=10))
    return parts


def _dimension(
    a: np.ndarray,
    b: np.ndarray,
    text: str,
    text_offset_px: tuple[float, float] = (0.0, -5.0),
    vertical_text: bool = False,
    extension_from: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
) -> list[str]:
    """A dimension line a→b (page px) with arrowheads, optional extension lines from the measured points, and
    its text at the middle."""
    parts = []
    for end, start in zip((a, b), extension_from, strict=True):
        if start is not None:
            parts.append(_line(start, end, 'stroke="#aaa" stroke-width="0.8"'))
    parts.append(_line(a, b, f'stroke="{_DIM_COLOUR}" stroke-width="0.9"'))
    direction = (b - a) / max(float(np.linalg.norm(b - a)), 1e-9)
    normal = np.array([-direction[1], direction[0]])
    for tip, inward in ((a, direction), (b, -direction)):
        base = tip + 7.0 * inward
        head = np.array([tip, base + 2.5 * normal, base - 2.5 * normal])
        parts.append(f'<polygon points="{_points(head)}" fill="{_DIM_COLOUR}"/>')
    if text:
        mx, my = 0.5 * (a + b) + np.array(text_offset_px)
        rotate = f' transform="rotate(-90 {mx:.1f} {my:.1f})"' if vertical_text else ""
        parts.append(
            f'<text x="{mx:.1f}" y="{my:.1f}" font-size="11" text-anchor="middle" fill="{_DIM_COLOUR}"{rotate}>'
            f"{escape(text)}</text>"
        )
    return parts


def _points(px: np.ndarray) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in px)


def _polygon(px: np.ndarray, fill: str, element_id: str) -> str:
    return f'<polygon id="{element_id}" points="{_points(px)}" fill="{fill}" {_OUTLINE}/>'


def _polyline(px: np.ndarray, style: str, element_id: str) -> str:
    return f'<polyline id="{element_id}" points="{_points(px)}" fill="none" {style}/>'


def _line(a: np.ndarray, b: np.ndarray, style: str, element_id: str | None = None) -> str:
    ident = f' id="{element_id}"' if element_id else ""
    return f'<line{ident} x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" y2="{b[1]:.1f}" {style}/>'


def _text(
    x: float, y: float, text: str, size: float = 12, anchor: str = "start", colour: str = "#222", bold: bool = False
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}" fill="{colour}"{weight}>'
        f"{escape(text)}</text>"
    )

"""Files for cutting tables: plain DXF (R2010, LWPOLYLINE, mm) and HPGL ``.plt``, with the tool order planned.

Tools and their layers / pens: ``pen`` (sew and internal lines: layer PEN, pen 1), ``drill`` (drill holes:
layer DRILL, pen 3), ``notch`` (notches: layer NOTCH, pen 2), ``cut`` (internal cut-outs and cut lines: layer
CUT, pen 4). Marking comes first because a piece that has been cut free may shift; inside the cut tool every
internal cut-out is cut before the outline that holds it. Within a tool, paths follow a nearest-neighbour
order and each closed contour starts at the vertex nearest to where the head is, which keeps pen-up travel
short.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import ezdxf
import numpy as np

from geometry.errors import PatternError
from geometry.pattern import PatternPiece

Tool = Literal["pen", "drill", "notch", "cut"]
TOOL_ORDER: tuple[Tool, ...] = ("pen", "drill", "notch", "cut")
HPGL_PEN: dict[Tool, int] = {"pen": 1, "notch": 2, "drill": 3, "cut": 4}
DXF_LAYER: dict[Tool, str] = {"pen": "PEN", "drill": "DRILL", "notch": "NOTCH", "cut": "CUT"}
DXF_LAYER_COLOUR: dict[Tool, int] = {"pen": 3, "drill": 5, "notch": 2, "cut": 1}
PLOTTER_UNITS_PER_MM = 40


@dataclass(frozen=True, eq=False)
class ToolPath:
    """One stroke of one tool, in mm.

    points : (k, 2) mm; a closed contour does not repeat its first point; a drill hit is one point
    outer : True for a piece's cut line (cut after that piece's internal cut-outs)
    """

    tool: Tool
    points: np.ndarray
    closed: bool
    piece: str
    outer: bool = False
    diameter_mm: float = 0.0


def piece_tool_paths(piece: PatternPiece, label: str | None = None) -> list[ToolPath]:
    """Every stroke of a placed piece, unordered."""
    name = label or f"{piece.name} {piece.size}"
    paths = [ToolPath("pen", np.asarray(p), False, name) for p in (*piece.stitch_lines, *piece.internal_lines)]
    paths += [ToolPath("drill", np.array([[h.x_mm, h.y_mm]]), False, name, diameter_mm=h.diameter_mm)
              for h in piece.drill_holes]  # fmt: skip
    paths += [ToolPath("notch", np.array([[n.x_mm, n.y_mm], n.end_mm]), False, name) for n in piece.notches]
    paths += [ToolPath("cut", np.asarray(r), True, name) for r in piece.internal_cutouts]
    paths.append(ToolPath("cut", np.asarray(piece.cut_line), True, name, outer=True))
    return paths


def _entry(path: ToolPath, at: np.ndarray) -> tuple[float, ToolPath]:
    """Distance from ``at`` to the best way into ``path``, and the path re-started or reversed for it."""
    points = path.points
    if path.closed:
        d = np.linalg.norm(points - at, axis=1)
        start = int(np.argmin(d))
        return float(d[start]), ToolPath(path.tool, np.roll(points, -start, axis=0), True, path.piece, path.outer,
                                         path.diameter_mm)  # fmt: skip
    d_start = float(np.linalg.norm(points[0] - at))
    d_end = float(np.linalg.norm(points[-1] - at))
    if path.tool != "notch" and d_end < d_start:  # a notch is cut from the edge inwards
        return d_end, ToolPath(path.tool, points[::-1], False, path.piece, path.outer, path.diameter_mm)
    return d_start, path


def order_tool_paths(paths: Sequence[ToolPath], start_mm: tuple[float, float] = (0.0, 0.0)) -> list[ToolPath]:
    """Tools in :data:`TOOL_ORDER`; inside each, nearest-neighbour order with the best start vertex, and
    an outline only after every internal cut-out of its piece."""
    at = np.asarray(start_mm, dtype=float)
    ordered: list[ToolPath] = []
    for tool in TOOL_ORDER:
        pending = [p for p in paths if p.tool == tool]
        inner_left: dict[str, int] = {}
        for p in pending:
            if p.tool == "cut" and not p.outer:
                inner_left[p.piece] = inner_left.get(p.piece, 0) + 1
        while pending:
            best: tuple[float, int, ToolPath] | None = None
            for i, path in enumerate(pending):
                if path.outer and inner_left.get(path.piece, 0):
                    continue
                distance, entered = _entry(path, at)
                if best is None or distance < best[0]:
                    best = (distance, i, entered)
            assert best is not None  # an outline waits only for inner contours, which stay eligible
            _, i, entered = best
            pending.pop(i)
            if entered.tool == "cut" and not entered.outer:
                inner_left[entered.piece] -= 1
            ordered.append(entered)
            at = entered.points[0] if entered.closed else entered.points[-1]
    return ordered


def travel_mm(paths: Sequence[ToolPath], start_mm: tuple[float, float] = (0.0, 0.0)) -> float:
    """Pen-up travel (mm) to run ``paths`` in the given order from ``start_mm``."""
    at = np.asarray(start_mm, dtype=float)
    total = 0.0
    for path in paths:
        total += float(np.linalg.norm(path.points[0] - at))
        at = path.points[0] if path.closed else path.points[-1]
    return total


def shelf_layout(pieces: Sequence[PatternPiece], width_mm: float = 1000.0, gap_mm: float = 10.0) -> list[PatternPiece]:
    """Pieces moved into rows from the origin so none overlaps (a preview layout, not a nest)."""
    if width_mm <= 0 or gap_mm < 0:
        raise PatternError(f"layout width {width_mm} mm must be > 0 and gap {gap_mm} mm ≥ 0")
    placed = []
    x = y = row_height = 0.0
    for piece in pieces:
        x0, y0, x1, y1 = piece.bounds_mm
        w, h = x1 - x0, y1 - y0
        if x > 0 and x + w > width_mm:
            x, y, row_height = 0.0, y + row_height + gap_mm, 0.0
        placed.append(piece.transformed(x - x0, y - y0))
        x += w + gap_mm
        row_height = max(row_height, h)
    return placed


def cutter_paths(pieces: Sequence[PatternPiece], start_mm: tuple[float, float] = (0.0, 0.0)) -> list[ToolPath]:
    """The ordered strokes for placed pieces (as they lie: lay them out or nest them first)."""
    paths = [p for i, piece in enumerate(pieces) for p in piece_tool_paths(piece, f"{i}:{piece.name} {piece.size}")]
    return order_tool_paths(paths, start_mm)


def write_cutter_dxf(paths: Sequence[ToolPath]) -> bytes:
    """Plain DXF R2010 in mm ($INSUNITS 4): LWPOLYLINE per stroke on CUT / PEN / NOTCH, CIRCLE per drill hole
    on DRILL, in cutting order."""
    doc = ezdxf.new("R2010", units=4)
    for tool in TOOL_ORDER:
        doc.layers.add(DXF_LAYER[tool], color=DXF_LAYER_COLOUR[tool])
    msp = doc.modelspace()
    for path in paths:
        attribs = {"layer": DXF_LAYER[path.tool]}
        if path.tool == "drill":
            x, y = path.points[0]
            msp.add_circle((float(x), float(y)), max(path.diameter_mm, 0.1) / 2, dxfattribs=attribs)
        else:
            msp.add_lwpolyline(path.points.tolist(), format="xy", close=path.closed, dxfattribs=attribs)
    stream = io.StringIO()
    doc.write(stream)
    return doc.encode(stream.getvalue())


def write_hpgl(paths: Sequence[ToolPath]) -> bytes:
    """HPGL for cutters: ``IN``, ``PA``, one ``SP`` per tool, ``PU`` / ``PD`` in plotter units (40 per mm).
    A drill hit is a ``PD`` without coordinates at the hole centre."""
    commands = ["IN", "PA"]
    pen: int | None = None
    for path in paths:
        if HPGL_PEN[path.tool] != pen:
            pen = HPGL_PEN[path.tool]
            commands.append(f"SP{pen}")
        units = np.rint(np.asarray(path.points) * PLOTTER_UNITS_PER_MM).astype(np.int64)
        commands.append(f"PU{units[0, 0]},{units[0, 1]}")
        if path.tool == "drill":
            commands += ["PD", "PU"]
            continue
        strokes = units[1:] if not path.closed else np.concatenate([units[1:], units[:1]])
        commands.append("PD" + ",".join(f"{x},{y}" for x, y in strokes.tolist()))
    commands += ["PU", "SP0"]
    return (";".join(commands) + ";\n").encode("ascii")


def hpgl_extent_mm(data: bytes) -> tuple[float, float, float, float]:
    """(x_min, y_min, x_max, y_max) in mm of every coordinate in an HPGL file we wrote."""
    numbers = []
    for command in data.decode("ascii").strip().rstrip(";").split(";"):
        if command[:2] in {"PU", "PD", "PA"} and len(command) > 2:
            numbers += [int(v) for v in command[2:].split(",")]
    xy = np.array(numbers, dtype=float).reshape(-1, 2) / PLOTTER_UNITS_PER_MM
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def naive_travel_mm(pieces: Sequence[PatternPiece]) -> float:
    """Pen-up travel of the unplanned order, for comparison: the same tool order, strokes in piece order,
    every contour from its first vertex."""
    paths = [p for piece in pieces for p in piece_tool_paths(piece)]
    return travel_mm([p for tool in TOOL_ORDER for p in paths if p.tool == tool])

"""Pattern allowances: from a flattened piece's outline to a cuttable pattern piece, in mm.

A flattened piece's outline (the net shape, as it sits on the last) is labelled edge by edge with what happens
there in making, and each label gets its allowance outside the outline:

===============  ==============================================================  ===============
edge label       what it is                                                      default (mm)
===============  ==============================================================  ===============
``bottom``       lasting edge: pulled under the last and cemented to the insole  20 (lasting)
``seam_under``   this piece lies under its neighbour here (underlay, closing)    8 (underlay)
``seam_over``    this piece lies on top: its raw or folded edge is the seam      0
``topline``      visible edge (topline, throat): folded over                     4 (folding)
``free``         other visible edge: folded over                                 4 (folding)
===============  ==============================================================  ===============

Marks inside the piece: a closing stitch 1.5 mm inside every ``seam_over`` edge, a topline stitch 2 mm inside
``topline`` edges (optional), skive lines 7 mm inside the cut line along underlay and folded edges (the band
that is thinned), slit notches at both ends and the middle of every seam (matching points), a grain line
through the centroid, rows of eyelets or punch holes along a facing.

These are shop conventions, not a published standard (docs/domain.md "Pattern engineering": lasting 15–25 mm,
20 mm common; closing overlap, folding and skiving widths have no standard): every width is a field of
:class:`AllowanceWidths`, to be set per material.

Labels may carry a name after a colon (``"seam_under:quarter"``): the part before the colon picks the allowance,
and a change of the whole label starts a new seam (two seams of one kind meeting at a corner stay two seams).
Conventions: x to the right, y up, mm; outlines counter-clockwise (a clockwise one is reversed with its labels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geometry.arrays import FloatArray
from geometry.errors import PatternError
from geometry.pattern import DrillHole, Notch, PatternPiece, Segment
from geometry.tolerance import TOL

EDGE_KINDS = ("bottom", "seam_under", "seam_over", "topline", "free")
SEAM_KINDS = ("seam_under", "seam_over")
# A corner where two allowances meet is mitred unless the mitre reaches further than this many widths.
MITRE_LIMIT = 3.0
# Points of the cut line closer than this to the straight line through their neighbours are dropped (mm).
SIMPLIFY_MM = 0.01
# Consecutive cut-line points closer than this are one point (mm).
MIN_POINT_SPACING_MM = 0.01
# Gaps and pinches narrower than twice this are closed in the cut line (mm).
CLOSING_MM = 0.05


@dataclass(frozen=True)
class AllowanceWidths:
    """Allowance and marking widths in mm (shop conventions; set them per material)."""

    lasting_mm: float = 20.0
    underlay_mm: float = 8.0
    folding_mm: float = 4.0
    seam_over_mm: float = 0.0
    closing_stitch_mm: float = 1.5
    # None: no topline stitch line.
    topline_stitch_mm: float | None = 2.0
    skive_mm: float = 7.0
    notch_depth_mm: float = 3.0

    def __post_init__(self) -> None:
        for name in ("lasting_mm", "underlay_mm", "folding_mm", "seam_over_mm", "skive_mm"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise PatternError(f"allowance {name} must be ≥ 0 mm, got {value}")
        for name in ("closing_stitch_mm", "notch_depth_mm"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise PatternError(f"{name} must be > 0 mm, got {value}")

    def width_mm(self, label: str) -> float:
        """The allowance outside an edge with this label."""
        kind = edge_kind(label)
        return {
            "bottom": self.lasting_mm,
            "seam_under": self.underlay_mm,
            "seam_over": self.seam_over_mm,
            "topline": self.folding_mm,
            "free": self.folding_mm,
        }[kind]


def edge_kind(label: str) -> str:
    """The allowance kind of an edge label: the part before an optional ``:name``."""
    kind = str(label).split(":", 1)[0].strip()
    if kind not in EDGE_KINDS:
        raise PatternError(f"edge label {label!r} is none of {', '.join(EDGE_KINDS)} (optionally ':name')")
    return kind


@dataclass(frozen=True)
class EdgeRun:
    """A run of consecutive outline segments with one label: outline points ``start`` .. ``stop`` inclusive
    (indices wrap round), and its points (r, 2) mm."""

    label: str
    start: int
    stop: int
    points: np.ndarray

    @property
    def kind(self) -> str:
        return edge_kind(self.label)


def labelled_outline(outline_mm: np.ndarray, edge_labels: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """The outline (k, 2) ccw without a closing point, and one label per segment (point i to i + 1).

    A clockwise outline is reversed and its labels follow their segments.
    """
    points = np.asarray(outline_mm, dtype=np.float64)
    labels = [str(label) for label in edge_labels]
    if points.ndim != 2 or points.shape[1] != 2 or len(points) < 3:
        raise PatternError(f"outline must be (k ≥ 3, 2) mm, got shape {points.shape}")
    if not np.isfinite(points).all():
        raise PatternError("outline has a non-finite coordinate")
    if np.linalg.norm(points[0] - points[-1]) < 1e-9:
        points = points[:-1]
    if len(labels) != len(points):
        raise PatternError(f"need one edge label per outline segment ({len(points)}), got {len(labels)}")
    for label in labels:
        edge_kind(label)
    polygon = Polygon(points)
    if not polygon.is_valid or polygon.area <= 0:
        raise PatternError("outline is not a simple polygon")
    if not polygon.exterior.is_ccw:
        # Reversed, segment j runs from old point k-1-j to k-2-j: old segment k-2-j.
        points = points[::-1].copy()
        labels = labels[::-1]
        labels = labels[1:] + labels[:1]
    return points, labels


def edge_runs(outline_mm: np.ndarray, edge_labels: Sequence[str]) -> list[EdgeRun]:
    """The outline split into runs of one label, in outline order (a ccw outline; see :func:`labelled_outline`)."""
    points, labels = labelled_outline(outline_mm, edge_labels)
    k = len(points)
    changes = [i for i in range(k) if labels[i] != labels[i - 1]]
    if not changes:
        return [EdgeRun(labels[0], 0, 0, np.concatenate([points, points[:1]]))]
    runs = []
    for n, start in enumerate(changes):
        stop = changes[(n + 1) % len(changes)]
        index = np.arange(start, start + (stop - start) % k + 1) % k
        runs.append(EdgeRun(labels[start], start, stop, points[index]))
    return runs


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _outward(direction: np.ndarray) -> np.ndarray:
    """Outward normal of a ccw outline's segment running along ``direction`` (the right-hand side)."""
    d = _unit(direction)
    return np.array([d[1], -d[0]])


def _line_intersection(p: np.ndarray, d: np.ndarray, q: np.ndarray, e: np.ndarray) -> FloatArray | None:
    cross = d[0] * e[1] - d[1] * e[0]
    if abs(cross) < 1e-9:
        return None
    t = ((q[0] - p[0]) * e[1] - (q[1] - p[1]) * e[0]) / cross
    meeting: FloatArray = p + t * d
    return meeting


def _corner_fill(corner: np.ndarray, d_in: np.ndarray, w_in: float, d_out: np.ndarray, w_out: float) -> Polygon | None:
    """The wedge that closes the gap between two flat-capped allowances at a convex corner: both offset lines
    extended to their mitre point (bevelled beyond the mitre limit)."""
    a = corner + w_in * _outward(d_in)
    b = corner + w_out * _outward(d_out)
    if np.linalg.norm(a - b) < 1e-9:
        return None
    mitre = _line_intersection(a, _unit(d_in), b, _unit(d_out))
    reach = MITRE_LIMIT * max(w_in, w_out)
    ring = [corner, a, b] if mitre is None or np.linalg.norm(mitre - corner) > reach else [corner, a, mitre, b]
    wedge = Polygon(ring)
    return wedge if wedge.is_valid and wedge.area > 0 else shapely.make_valid(wedge).buffer(0)


def cut_line(outline_mm: np.ndarray, edge_labels: Sequence[str], widths: AllowanceWidths | None = None) -> np.ndarray:
    """The cut line (c, 2) mm, ccw: the outline grown outward by each edge's allowance, corners mitred.

    Each labelled run is buffered with flat ends and mitred joins; convex corners between runs of different
    widths are closed by extending both offset lines to where they meet. The result is one simple polygon.
    """
    widths = widths or AllowanceWidths()
    points, labels = labelled_outline(outline_mm, edge_labels)
    runs = edge_runs(points, labels)
    parts: list[shapely.Geometry] = [Polygon(points)]
    for run in runs:
        w = widths.width_mm(run.label)
        if w > 0:
            line = LineString(run.points)
            parts.append(line.buffer(w, cap_style="flat", join_style="mitre", mitre_limit=MITRE_LIMIT))
    if len(runs) > 1:
        for before, after in zip(runs, runs[1:] + runs[:1], strict=True):
            corner = after.points[0]
            d_in = before.points[-1] - before.points[-2]
            d_out = after.points[1] - after.points[0]
            convex = d_in[0] * d_out[1] - d_in[1] * d_out[0] > 0
            if convex:
                wedge = _corner_fill(corner, d_in, widths.width_mm(before.label), d_out, widths.width_mm(after.label))
                if wedge is not None and not wedge.is_empty:
                    parts.append(wedge)
    united = shapely.union_all(parts)
    # A tiny closing removes points where the grown outline touches itself (not a simple polygon to cut).
    # It can fall apart into several polygons (the stubs say a buffer is one Polygon).
    grown: Polygon | MultiPolygon
    grown = united.buffer(CLOSING_MM, join_style="mitre").buffer(-CLOSING_MM, join_style="mitre")
    if grown.is_empty or grown.area < 0.99 * united.area:
        # GEOS can collapse a mitred inward buffer around a long thin corner spike: round joins do not.
        grown = united.buffer(CLOSING_MM, join_style="round").buffer(-CLOSING_MM, join_style="round")
    if isinstance(grown, MultiPolygon):
        grown = max(grown.geoms, key=lambda g: g.area)
    ring = shapely.simplify(Polygon(grown.exterior), SIMPLIFY_MM, preserve_topology=True)
    coords = np.asarray(ring.exterior.coords)[:-1]
    # Points closer than the file formats' precision would merge on the way back in: drop them here.
    step = np.linalg.norm(np.diff(coords, axis=0, append=coords[:1]), axis=1)
    coords = coords[step > MIN_POINT_SPACING_MM]
    if not Polygon(coords).exterior.is_ccw:
        coords = coords[::-1]
    return np.ascontiguousarray(coords)


def _longest_line(geometry: BaseGeometry) -> np.ndarray | None:
    if geometry.is_empty:
        return None
    if isinstance(geometry, LineString):
        return np.asarray(geometry.coords)
    lines = [g for g in getattr(geometry, "geoms", []) if isinstance(g, LineString) and not g.is_empty]
    if not lines:
        return None
    merged = shapely.line_merge(MultiLineString(lines))
    if isinstance(merged, LineString):
        return np.asarray(merged.coords)
    return np.asarray(max(merged.geoms, key=lambda g: g.length).coords)


def _inside_line(run_points: np.ndarray, distance_mm: float, piece: Polygon) -> np.ndarray | None:
    """The run offset ``distance_mm`` into the piece (left of a ccw outline; negative: outward), kept where it
    lies inside ``piece``."""
    line = LineString(run_points)
    offset: LineString | MultiLineString
    if abs(distance_mm) < 1e-9:
        offset = line
    else:
        offset = line.offset_curve(distance_mm, join_style="mitre", mitre_limit=MITRE_LIMIT)
    return _longest_line(offset.intersection(piece))


def stitch_lines(
    outline_mm: np.ndarray, edge_labels: Sequence[str], widths: AllowanceWidths | None = None
) -> list[np.ndarray]:
    """Closing stitches inside ``seam_over`` edges and topline stitches inside ``topline`` edges, (p, 2) mm each."""
    widths = widths or AllowanceWidths()
    points, labels = labelled_outline(outline_mm, edge_labels)
    piece = Polygon(points)
    lines = []
    for run in edge_runs(points, labels):
        if run.kind == "seam_over":
            distance = widths.closing_stitch_mm
        elif run.kind == "topline" and widths.topline_stitch_mm:
            distance = widths.topline_stitch_mm
        else:
            continue
        line = _inside_line(run.points, distance, piece)
        if line is not None and len(line) >= 2:
            lines.append(line)
    return lines


def skive_lines(
    outline_mm: np.ndarray, edge_labels: Sequence[str], widths: AllowanceWidths | None = None
) -> list[np.ndarray]:
    """Skive lines, (p, 2) mm each: ``skive_mm`` inside the cut line along underlay and folded edges."""
    widths = widths or AllowanceWidths()
    points, labels = labelled_outline(outline_mm, edge_labels)
    cut = Polygon(cut_line(points, labels, widths))
    lines = []
    for run in edge_runs(points, labels):
        if run.kind not in ("seam_under", "topline", "free"):
            continue
        # The cut line runs `width` outside the outline: the skive line sits `skive` inside that.
        line = _inside_line(run.points, widths.skive_mm - widths.width_mm(run.label), cut)
        if line is not None and len(line) >= 2:
            lines.append(line)
    return lines


def _point_on_ring(ring: shapely.LinearRing, origin: np.ndarray, direction: np.ndarray, reach: float) -> FloatArray:
    """Where the ray from ``origin`` along ``direction`` leaves through ``ring`` nearest ``reach`` away."""
    ray = LineString([origin, origin + direction * (reach + 10.0)])
    hits = ring.intersection(ray)
    candidates = np.asarray(
        [p.coords[0] for p in getattr(hits, "geoms", [hits]) if isinstance(p, Point) and not p.is_empty]
    ).reshape(-1, 2)
    if len(candidates):
        nearest: FloatArray = candidates[np.argmin(np.abs(np.linalg.norm(candidates - origin, axis=1) - reach))]
        return nearest
    target = Point(origin + direction * reach)
    snapped = ring.interpolate(ring.project(target))
    return np.asarray(snapped.coords[0])


def seam_notches(
    outline_mm: np.ndarray,
    edge_labels: Sequence[str],
    widths: AllowanceWidths | None = None,
    cut_line_mm: np.ndarray | None = None,
) -> list[Notch]:
    """Slit notches on the cut line at both ends and the middle (by length) of every seam, cutting inward."""
    widths = widths or AllowanceWidths()
    points, labels = labelled_outline(outline_mm, edge_labels)
    cut = cut_line(points, labels, widths) if cut_line_mm is None else np.asarray(cut_line_mm, dtype=np.float64)
    ring = Polygon(cut).exterior
    notches = []
    for run in edge_runs(points, labels):
        if run.kind not in SEAM_KINDS:
            continue
        w = widths.width_mm(run.label)
        # Repeated points give zero-length segments, whose direction (and so the notch's) is undefined.
        steps = np.linalg.norm(np.diff(run.points, axis=0), axis=1)
        run_points = run.points[np.concatenate([[True], steps > TOL.same_point_mm])]
        if len(run_points) < 2:
            continue
        line = LineString(run_points)
        middle = np.asarray(line.interpolate(0.5, normalized=True).coords[0])
        # Tangent at the middle: the segment the middle point falls on.
        seg_len = np.linalg.norm(np.diff(run_points, axis=0), axis=1)
        cum = np.concatenate([[0.0], np.cumsum(seg_len)])
        mid_seg = min(int(np.searchsorted(cum, 0.5 * cum[-1], side="right")) - 1, len(seg_len) - 1)
        places = [
            (run_points[0], run_points[1] - run_points[0]),
            (middle, run_points[mid_seg + 1] - run_points[mid_seg]),
            (run_points[-1], run_points[-1] - run_points[-2]),
        ]
        for origin, tangent in places:
            normal = _outward(tangent)
            at = _point_on_ring(ring, origin, normal, w)
            angle = math.degrees(math.atan2(-normal[1], -normal[0]))
            notches.append(Notch(float(at[0]), float(at[1]), angle, "slit", widths.notch_depth_mm))
    return notches


def grain_line(
    outline_mm: np.ndarray, direction: Sequence[float] = (1.0, 0.0), share: float = 0.6, inset_mm: float = 1.0
) -> Segment:
    """A grain line through the piece's centroid along ``direction``, ``share`` of the piece's extent that way,
    kept inside the piece (``inset_mm`` clear of the outline)."""
    polygon = Polygon(np.asarray(outline_mm, dtype=np.float64))
    d = _unit(np.asarray(direction, dtype=np.float64))
    if not np.isfinite(d).all() or np.linalg.norm(d) < 0.5:
        raise PatternError(f"grain direction must be a non-zero (2,) vector, got {direction!r}")
    centre = polygon.centroid if polygon.contains(polygon.centroid) else polygon.representative_point()
    c = np.asarray(centre.coords[0])
    coords = np.asarray(polygon.exterior.coords)
    extent = float(np.ptp(coords @ d))
    half = 0.5 * share * extent
    segment = LineString([c - half * d, c + half * d]).intersection(polygon.buffer(-inset_mm))
    pieces = [g for g in getattr(segment, "geoms", [segment]) if isinstance(g, LineString) and not g.is_empty]
    if not pieces:
        raise PatternError("the piece is too narrow for a grain line")
    best = min(pieces, key=lambda g: g.distance(centre))
    (x0, y0), (x1, y1) = np.asarray(best.coords)[[0, -1]]
    return ((float(x0), float(y0)), (float(x1), float(y1)))


def eyelet_row(
    facing_edge_mm: np.ndarray,
    count: int,
    inset_mm: float = 10.0,
    spacing_mm: float | None = None,
    end_margins_mm: tuple[float, float] = (10.0, 10.0),
    diameter_mm: float = 4.0,
    piece_outline_mm: np.ndarray | None = None,
) -> list[DrillHole]:
    """A row of ``count`` eyelet holes ``inset_mm`` inside a facing edge (p, 2) mm.

    With ``spacing_mm`` the first hole sits ``end_margins_mm[0]`` from the edge's start and the others follow at
    that spacing (along the row); without it they spread evenly between the two end margins. The inside is the
    edge's left (a piece of a ccw outline), or whichever side lies in ``piece_outline_mm`` when given.
    """
    edge = np.asarray(facing_edge_mm, dtype=np.float64)
    if edge.ndim != 2 or edge.shape[1] != 2 or len(edge) < 2:
        raise PatternError(f"facing edge must be (p ≥ 2, 2) mm, got shape {edge.shape}")
    if count < 1:
        raise PatternError(f"an eyelet row needs at least one hole, got {count}")
    side = 1.0
    if piece_outline_mm is not None:
        piece = Polygon(np.asarray(piece_outline_mm, dtype=np.float64))
        left = LineString(edge).offset_curve(inset_mm)
        right = LineString(edge).offset_curve(-inset_mm)
        side = 1.0 if left.intersection(piece).length >= right.intersection(piece).length else -1.0
    row = LineString(edge).offset_curve(side * inset_mm, join_style="round")
    row_line = _longest_line(row)
    if row_line is None:
        raise PatternError(f"the facing edge has no line {inset_mm} mm inside it")
    row = LineString(row_line)
    # offset_curve keeps the edge's direction for either side in shapely 2.
    start, end = end_margins_mm
    if spacing_mm is not None:
        if spacing_mm <= 0:
            raise PatternError(f"eyelet spacing must be > 0 mm, got {spacing_mm}")
        stations = start + spacing_mm * np.arange(count)
    else:
        stations = np.linspace(start, row.length - end, count) if count > 1 else np.array([0.5 * row.length])
    if stations[0] < 0 or stations[-1] > row.length - (end if spacing_mm is None else 0.0) + 1e-9:
        raise PatternError(
            f"{count} eyelets do not fit on a {row.length:.1f} mm facing with margins {start}/{end} mm"
            + (f" at {spacing_mm} mm spacing" if spacing_mm else "")
        )
    return [
        DrillHole(float(p.x), float(p.y), float(diameter_mm)) for p in (row.interpolate(float(s)) for s in stations)
    ]


def pattern_piece(
    name: str,
    size: str,
    outline_mm: np.ndarray,
    edge_labels: Sequence[str],
    widths: AllowanceWidths | None = None,
    grain_direction: Sequence[float] = (1.0, 0.0),
    quantity: int = 1,
    material: str = "",
    category: str = "",
    annotations: Sequence[str] = (),
    drill_holes: Sequence[DrillHole] = (),
    internal_lines: Sequence[np.ndarray] = (),
    include_outline: bool = True,
) -> PatternPiece:
    """The cuttable piece: cut line with allowances, stitch lines, skive lines (and the net outline when
    ``include_outline``) as internal lines, seam notches, grain line, drill holes, labels."""
    widths = widths or AllowanceWidths()
    points, labels = labelled_outline(outline_mm, edge_labels)
    cut = cut_line(points, labels, widths)
    internal = [*skive_lines(points, labels, widths), *(np.asarray(p, dtype=np.float64) for p in internal_lines)]
    if include_outline:
        # The net (finished) outline, for marking and for checking against the last.
        internal.insert(0, np.concatenate([points, points[:1]]))
    return PatternPiece(
        name=name,
        size=str(size),
        cut_line=cut,
        quantity=quantity,
        material=material,
        category=category,
        stitch_lines=tuple(stitch_lines(points, labels, widths)),
        internal_lines=tuple(internal),
        notches=tuple(seam_notches(points, labels, widths, cut)),
        grain_line=grain_line(points, grain_direction),
        drill_holes=tuple(drill_holes),
        annotations=tuple(annotations),
    )

"""Flat pattern pieces in mm: the cut line, what is marked or cut inside it, and the grading of a size run.

Pure data and geometry (numpy, shapely); the file formats that carry it live in ``geometry.exchange``
(ASTM/AAMA DXF, grade-rule ASCII, cutter DXF and HPGL, SVG, PDF). Every piece is checked when it is built:
a piece that exists can be cut.

Conventions: x to the right, y up, mm. A cut line is a closed polygon stored without repeating its first
point, counter-clockwise (a clockwise one is reversed at construction). A notch points into the piece:
``angle_deg`` is the direction of its cut, counter-clockwise from +x.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.validation import explain_validity

from geometry.arrays import FloatArray
from geometry.errors import PatternError

NotchKind = Literal["slit", "t", "v", "castle", "check"]
NOTCH_KINDS: tuple[NotchKind, ...] = ("slit", "t", "v", "castle", "check")
Segment = tuple[tuple[float, float], tuple[float, float]]

# Consecutive cut-line points closer than this are one point (mm).
DUPLICATE_POINT_MM = 1e-6
# A cut-line vertex turning more than this is a turn point (corner) when the piece does not say (degrees).
TURN_POINT_ANGLE_DEG = 30.0


@dataclass(frozen=True)
class Notch:
    """A notch on the cut line: position (mm), the direction it cuts into the piece (degrees ccw from +x),
    its kind (slit, T, V, castle, check) and depth (mm)."""

    x_mm: float
    y_mm: float
    angle_deg: float
    kind: NotchKind = "slit"
    depth_mm: float = 3.0

    def __post_init__(self) -> None:
        if not all(math.isfinite(v) for v in (self.x_mm, self.y_mm, self.angle_deg, self.depth_mm)):
            raise PatternError(f"notch at ({self.x_mm}, {self.y_mm}) has a non-finite value")
        if self.kind not in NOTCH_KINDS:
            raise PatternError(f"notch kind {self.kind!r} is none of {', '.join(NOTCH_KINDS)}", kind=self.kind)
        if self.depth_mm <= 0:
            raise PatternError(
                f"notch at ({self.x_mm:.2f}, {self.y_mm:.2f}) has depth {self.depth_mm} mm (must be > 0)"
            )

    @property
    def end_mm(self) -> tuple[float, float]:
        """The inner end of the notch cut (mm)."""
        angle = math.radians(self.angle_deg)
        return (self.x_mm + self.depth_mm * math.cos(angle), self.y_mm + self.depth_mm * math.sin(angle))


@dataclass(frozen=True)
class DrillHole:
    """A punched or drilled hole: centre (mm) and diameter (mm)."""

    x_mm: float
    y_mm: float
    diameter_mm: float

    def __post_init__(self) -> None:
        if not all(math.isfinite(v) for v in (self.x_mm, self.y_mm, self.diameter_mm)):
            raise PatternError(f"drill hole at ({self.x_mm}, {self.y_mm}) has a non-finite value")
        if self.diameter_mm <= 0:
            raise PatternError(
                f"drill hole at ({self.x_mm:.2f}, {self.y_mm:.2f}) has diameter {self.diameter_mm} mm (must be > 0)"
            )


def _points(value: object, what: str, min_points: int) -> np.ndarray:
    try:
        points = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise PatternError(f"{what} is not a list of (x, y) points: {exc}") from exc
    if points.ndim != 2 or points.shape[1] != 2:
        raise PatternError(f"{what} must be (n, 2) points in mm, got shape {points.shape}")
    if len(points) < min_points:
        raise PatternError(f"{what} has {len(points)} points, needs at least {min_points}")
    if not np.isfinite(points).all():
        bad = int(np.flatnonzero(~np.isfinite(points).all(axis=1))[0])
        raise PatternError(f"{what} has a non-finite coordinate at point {bad}", point_index=bad)
    points.setflags(write=False)
    return points


def _segment(value: object, what: str) -> Segment | None:
    if value is None:
        return None
    points = _points(value, what, 2)
    if len(points) != 2:
        raise PatternError(f"{what} must be two points, got {len(points)}")
    if np.linalg.norm(points[1] - points[0]) <= DUPLICATE_POINT_MM:
        raise PatternError(f"{what} has zero length")
    return ((float(points[0, 0]), float(points[0, 1])), (float(points[1, 0]), float(points[1, 1])))


def _closed_ring(value: object, what: str, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """A closed polygon: closing duplicate and repeated points dropped, checked simple, made ccw."""
    points = np.array(_points(value, what, 3))
    if mask is not None:
        mask = np.asarray(mask, dtype=bool).copy()
        if mask.shape != (len(points),):
            raise PatternError(f"{what}: turn-point flags must be one per point ({len(points)}), got {mask.shape}")
    keep = np.linalg.norm(points - np.roll(points, 1, axis=0), axis=1) > DUPLICATE_POINT_MM
    if not keep.any():
        raise PatternError(f"{what} has all its points in one place")
    points = points[keep]
    if mask is not None:
        mask = mask[keep]
    if len(points) < 3:
        raise PatternError(f"{what} has {len(points)} distinct points, needs at least 3")
    polygon = Polygon(points)
    # A bow tie has zero signed area but is no degenerate line: tell the two apart by the repaired area.
    if polygon.area <= DUPLICATE_POINT_MM and shapely.make_valid(polygon).area <= DUPLICATE_POINT_MM:
        raise PatternError(f"{what} encloses no area")
    if not polygon.is_valid:
        raise PatternError(
            f"{what} is self-intersecting: {explain_validity(polygon)}", reason=explain_validity(polygon)
        )
    if not polygon.exterior.is_ccw:
        points = points[::-1]
        if mask is not None:
            mask = mask[::-1]
    points = np.ascontiguousarray(points)
    points.setflags(write=False)
    if mask is not None:
        mask = np.ascontiguousarray(mask)
        mask.setflags(write=False)
    return points, mask


def _label(value: str, what: str) -> str:
    text = str(value).strip()
    if not text:
        raise PatternError(f"{what} is empty")
    if "\n" in text or "\r" in text:
        raise PatternError(f"{what} {text!r} spans several lines")
    return text


@dataclass(frozen=True, eq=False)
class PatternPiece:
    """One pattern piece of one size, in mm.

    cut_line : (n, 3..) closed polygon, ccw, first point not repeated
    stitch_lines, internal_lines : (k, 2) open polylines (sew lines, marked lines)
    internal_cutouts : (k, 2) closed polygons cut out of the piece (perforations, windows)
    turn_points : (n,) bool or None; True marks a corner (turn point), False a point on a curve. None lets
        :meth:`point_kinds` tell them by the turning angle.
    grain_line, mirror_line : ((x0, y0), (x1, y1)) or None
    """

    name: str
    size: str
    cut_line: np.ndarray
    quantity: int = 1
    material: str = ""
    category: str = ""
    stitch_lines: tuple[np.ndarray, ...] = ()
    internal_lines: tuple[np.ndarray, ...] = ()
    internal_cutouts: tuple[np.ndarray, ...] = ()
    notches: tuple[Notch, ...] = ()
    grain_line: Segment | None = None
    drill_holes: tuple[DrillHole, ...] = ()
    turn_points: np.ndarray | None = None
    annotations: tuple[str, ...] = ()
    mirror_line: Segment | None = None

    def __post_init__(self) -> None:
        name = _label(self.name, "piece name")
        size = _label(str(self.size), f"size of piece {name!r}")
        where = f"piece {name!r} size {size}"
        cut_line, turn_points = _closed_ring(self.cut_line, f"cut line of {where}", self.turn_points)
        if not isinstance(self.quantity, int | np.integer) or self.quantity < 1:
            raise PatternError(f"{where}: quantity must be a whole number ≥ 1, got {self.quantity!r}")
        outline = Polygon(cut_line)
        cutouts = []
        for i, cutout in enumerate(self.internal_cutouts):
            ring, _ = _closed_ring(cutout, f"internal cut-out {i} of {where}")
            if not outline.contains(Polygon(ring)):
                raise PatternError(f"internal cut-out {i} of {where} is not inside the cut line")
            cutouts.append(ring)
        for i, hole in enumerate(self.drill_holes):
            if not outline.buffer(1e-6).contains(shapely.Point(hole.x_mm, hole.y_mm)):
                raise PatternError(
                    f"drill hole {i} of {where} at ({hole.x_mm:.2f}, {hole.y_mm:.2f}) mm is outside the cut line"
                )
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "size", size)
        set_(self, "cut_line", cut_line)
        set_(self, "turn_points", turn_points)
        set_(self, "quantity", int(self.quantity))
        set_(self, "material", str(self.material).strip())
        set_(self, "category", str(self.category).strip())
        set_(
            self,
            "stitch_lines",
            tuple(_points(p, f"stitch line {i} of {where}", 2) for i, p in enumerate(self.stitch_lines)),
        )
        set_(
            self,
            "internal_lines",
            tuple(_points(p, f"internal line {i} of {where}", 2) for i, p in enumerate(self.internal_lines)),
        )
        set_(self, "internal_cutouts", tuple(cutouts))
        set_(self, "notches", tuple(self.notches))
        set_(self, "drill_holes", tuple(self.drill_holes))
        set_(self, "grain_line", _segment(self.grain_line, f"grain line of {where}"))
        set_(self, "mirror_line", _segment(self.mirror_line, f"mirror line of {where}"))
        set_(self, "annotations", tuple(_label(a, f"annotation of {where}") for a in self.annotations))

    # -- measures -------------------------------------------------------------------------------------------
    @property
    def outline(self) -> Polygon:
        """The piece as a shapely polygon (cut line with the internal cut-outs as holes), mm."""
        return Polygon(self.cut_line, [ring for ring in self.internal_cutouts])

    @property
    def area_mm2(self) -> float:
        """Material area: inside the cut line, less the internal cut-outs (mm²)."""
        return float(self.outline.area)

    @property
    def perimeter_mm(self) -> float:
        """Length of the cut line (mm)."""
        return closed_length_mm(self.cut_line)

    @property
    def bounds_mm(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) of the cut line, mm."""
        lo = self.cut_line.min(axis=0)
        hi = self.cut_line.max(axis=0)
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))

    def point_kinds(self) -> np.ndarray:
        """(n,) bool: True where a cut-line vertex is a turn point (corner), False on a curve."""
        if self.turn_points is not None:
            return np.asarray(self.turn_points)
        return turning_angles_deg(self.cut_line) > TURN_POINT_ANGLE_DEG

    # -- transforms -----------------------------------------------------------------------------------------
    def transformed(self, dx_mm: float = 0.0, dy_mm: float = 0.0, rotation_deg: float = 0.0) -> PatternPiece:
        """The piece rotated about the origin by ``rotation_deg`` (ccw), then moved by (dx, dy) mm."""
        angle = math.radians(rotation_deg)
        c, s = math.cos(angle), math.sin(angle)
        rot = np.array([[c, -s], [s, c]])
        shift = np.array([dx_mm, dy_mm])

        def move(points: np.ndarray) -> FloatArray:
            moved: FloatArray = np.asarray(points) @ rot.T + shift
            return moved

        def move_xy(x: float, y: float) -> tuple[float, float]:
            px, py = move(np.array([[x, y]]))[0]
            return float(px), float(py)

        def move_segment(segment: Segment | None) -> Segment | None:
            return None if segment is None else (move_xy(*segment[0]), move_xy(*segment[1]))

        return replace(
            self,
            cut_line=move(self.cut_line),
            stitch_lines=tuple(move(p) for p in self.stitch_lines),
            internal_lines=tuple(move(p) for p in self.internal_lines),
            internal_cutouts=tuple(move(p) for p in self.internal_cutouts),
            notches=tuple(
                replace(
                    n,
                    x_mm=move_xy(n.x_mm, n.y_mm)[0],
                    y_mm=move_xy(n.x_mm, n.y_mm)[1],
                    angle_deg=n.angle_deg + rotation_deg,
                )
                for n in self.notches
            ),
            drill_holes=tuple(
                replace(h, x_mm=move_xy(h.x_mm, h.y_mm)[0], y_mm=move_xy(h.x_mm, h.y_mm)[1]) for h in self.drill_holes
            ),
            grain_line=move_segment(self.grain_line),
            mirror_line=move_segment(self.mirror_line),
        )

    def feature_points_mm(self) -> np.ndarray:
        """(m, 2) every point of the piece (cut line, lines, cut-outs, notch ends, hole centres, grain), mm."""
        parts = [self.cut_line, *self.stitch_lines, *self.internal_lines, *self.internal_cutouts]
        parts += [np.array([[n.x_mm, n.y_mm], n.end_mm]) for n in self.notches]
        parts += [np.array([[h.x_mm, h.y_mm]]) for h in self.drill_holes]
        parts += [np.array(s) for s in (self.grain_line, self.mirror_line) if s is not None]
        return np.concatenate(parts, axis=0)


def closed_length_mm(ring: np.ndarray) -> float:
    """Length of a closed polygon given without its closing point (mm)."""
    return float(np.linalg.norm(np.roll(ring, -1, axis=0) - ring, axis=1).sum())


def turning_angles_deg(ring: FloatArray) -> FloatArray:
    """(n,) absolute turning angle at each vertex of a closed polygon, degrees (0 on a straight run)."""
    incoming = ring - np.roll(ring, 1, axis=0)
    outgoing = np.roll(ring, -1, axis=0) - ring
    cross = incoming[:, 0] * outgoing[:, 1] - incoming[:, 1] * outgoing[:, 0]
    dot: FloatArray = (incoming * outgoing).sum(axis=1)
    return np.degrees(np.abs(np.arctan2(cross, dot)))


def size_sort_key(size: str) -> tuple[int, float, str]:
    """Sizes in run order: numeric labels by value (36, 36.5, 37), then the others alphabetically."""
    match = re.fullmatch(r"\s*(-?\d+(?:[.,]\d+)?)\s*", size)
    if match:
        return (0, float(match.group(1).replace(",", ".")), size)
    return (1, 0.0, size)


@dataclass(frozen=True, eq=False)
class PatternSet:
    """The pattern of one style: every piece of every size in the run (a graded set), in mm.

    ``sample_size`` is the size the pattern was drawn in (grading starts there); ``created`` the creation date.
    """

    style_name: str
    sample_size: str
    pieces: tuple[PatternPiece, ...]
    created: date = field(default_factory=date.today)
    units: Literal["mm"] = "mm"

    def __post_init__(self) -> None:
        style = _label(self.style_name, "style name")
        object.__setattr__(self, "style_name", style)
        object.__setattr__(self, "sample_size", _label(str(self.sample_size), f"sample size of style {style!r}"))
        object.__setattr__(self, "pieces", tuple(self.pieces))
        if self.units != "mm":
            raise PatternError(f"pattern sets are kept in mm, got units {self.units!r}")
        if not self.pieces:
            raise PatternError(f"style {style!r} has no pieces")
        seen: set[tuple[str, str]] = set()
        for piece in self.pieces:
            if not isinstance(piece, PatternPiece):
                raise PatternError(f"style {style!r}: {type(piece).__name__} is not a PatternPiece")
            key = (piece.name, piece.size)
            if key in seen:
                raise PatternError(f"style {style!r} has piece {piece.name!r} twice in size {piece.size}")
            seen.add(key)

    @property
    def sizes(self) -> tuple[str, ...]:
        """Every size in the set, in run order."""
        return tuple(sorted({p.size for p in self.pieces}, key=size_sort_key))

    @property
    def piece_names(self) -> tuple[str, ...]:
        """Piece names in first-seen order."""
        return tuple(dict.fromkeys(p.name for p in self.pieces))

    def of_size(self, size: str) -> tuple[PatternPiece, ...]:
        """The pieces of one size."""
        return tuple(p for p in self.pieces if p.size == str(size))

    def piece(self, name: str, size: str) -> PatternPiece:
        """One piece by name and size; a missing one raises PatternError naming what exists."""
        for p in self.pieces:
            if p.name == name and p.size == str(size):
                return p
        raise PatternError(
            f"style {self.style_name!r} has no piece {name!r} in size {size} "
            f"(pieces: {', '.join(self.piece_names)}; sizes: {', '.join(self.sizes)})"
        )


# -- grading ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PieceGradeRule:
    """How a piece's grade points move through the size run.

    point_index : (m,) int, indices into the sample piece's cut line
    steps_mm : (m, s - 1, 2) float, mm: the (dx, dy) each point moves from size i to size i + 1 of the run
    """

    piece_name: str
    point_index: np.ndarray
    steps_mm: np.ndarray

    def __post_init__(self) -> None:
        index = np.asarray(self.point_index, dtype=np.int64).reshape(-1)
        steps = np.asarray(self.steps_mm, dtype=np.float64)
        if steps.ndim != 3 or steps.shape[0] != len(index) or steps.shape[2] != 2:
            raise PatternError(
                f"grade rule of {self.piece_name!r}: steps must be (points={len(index)}, size steps, 2), "
                f"got {steps.shape}"
            )
        if not np.isfinite(steps).all():
            raise PatternError(f"grade rule of {self.piece_name!r} has a non-finite step")
        if len(np.unique(index)) != len(index) or (index < 0).any():
            raise PatternError(f"grade rule of {self.piece_name!r} has repeated or negative point indices")
        order = np.argsort(index)
        index, steps = index[order], steps[order]
        index.setflags(write=False)
        steps.setflags(write=False)
        object.__setattr__(self, "point_index", index)
        object.__setattr__(self, "steps_mm", steps)


@dataclass(frozen=True, eq=False)
class GradeRules:
    """Grade rules of a style: the size run, the sample size, one rule per graded piece."""

    name: str
    sizes: tuple[str, ...]
    sample_size: str
    pieces: tuple[PieceGradeRule, ...]

    def __post_init__(self) -> None:
        sizes = tuple(str(s) for s in self.sizes)
        object.__setattr__(self, "sizes", sizes)
        object.__setattr__(self, "pieces", tuple(self.pieces))
        if len(set(sizes)) != len(sizes) or len(sizes) < 1:
            raise PatternError(f"grade rules {self.name!r}: the size run {sizes} is empty or repeats a size")
        if str(self.sample_size) not in sizes:
            raise PatternError(f"grade rules {self.name!r}: sample size {self.sample_size} is not in the run {sizes}")
        object.__setattr__(self, "sample_size", str(self.sample_size))
        for rule in self.pieces:
            if rule.steps_mm.shape[1] != len(sizes) - 1:
                raise PatternError(
                    f"grade rule of {rule.piece_name!r} has {rule.steps_mm.shape[1]} size steps, "
                    f"the run {len(sizes)} sizes needs {len(sizes) - 1}"
                )

    def rule_for(self, piece_name: str) -> PieceGradeRule | None:
        """The rule of a piece, or None when the piece does not grade."""
        return next((r for r in self.pieces if r.piece_name == piece_name), None)

    def offsets_mm(self, rule: PieceGradeRule, size: str) -> FloatArray:
        """(m, 2) displacement of each grade point from the sample size to ``size`` (mm)."""
        if str(size) not in self.sizes:
            raise PatternError(f"size {size} is not in the run {', '.join(self.sizes)} of grade rules {self.name!r}")
        target = self.sizes.index(str(size))
        sample = self.sizes.index(self.sample_size)
        cumulative = np.concatenate([np.zeros((len(rule.point_index), 1, 2)), np.cumsum(rule.steps_mm, axis=1)], axis=1)
        offsets: FloatArray = cumulative[:, target] - cumulative[:, sample]
        return offsets


def uniform_grade_rule(
    piece_name: str, point_index: Sequence[int], step_mm: np.ndarray, size_steps: int
) -> PieceGradeRule:
    """A rule whose points move by the same (dx, dy) at every size step; ``step_mm`` is (m, 2) mm."""
    step = np.asarray(step_mm, dtype=np.float64).reshape(-1, 1, 2)
    return PieceGradeRule(piece_name, np.asarray(point_index), np.repeat(step, size_steps, axis=1))


def _cut_line_displacement(ring: np.ndarray, index: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(n, 2) displacement of every cut-line point: the grade points' offsets, interpolated along the arc
    length between neighbouring grade points (cyclic)."""
    n = len(ring)
    if len(index) == 0:
        return np.zeros_like(ring)
    if (index >= n).any():
        raise PatternError(f"a grade rule names cut-line point {int(index.max())}, the piece has {n} points")
    if len(index) == 1:
        return np.repeat(offsets, n, axis=0)
    edge = np.linalg.norm(np.roll(ring, -1, axis=0) - ring, axis=1)
    arc = np.concatenate([[0.0], np.cumsum(edge)])  # arc[i] = distance from point 0 to point i; arc[n] = loop
    total = arc[n]
    s_known = arc[index]
    # Wrap the grade points once either side so every point lies between two of them.
    s_ext = np.concatenate([s_known[-1:] - total, s_known, s_known[:1] + total])
    off_ext = np.concatenate([offsets[-1:], offsets, offsets[:1]], axis=0)
    s_all = arc[:n]
    return np.column_stack([np.interp(s_all, s_ext, off_ext[:, k]) for k in range(2)])


def _field_displacement(sources: np.ndarray, moves: np.ndarray, points: np.ndarray) -> FloatArray:
    """Displacement at ``points`` by inverse-square-distance weighting of the cut line's displacements."""
    if len(points) == 0:
        return np.zeros((0, 2))
    dist2 = ((points[:, None, :] - sources[None, :, :]) ** 2).sum(axis=2)
    weight = 1.0 / np.maximum(dist2, 1e-12)
    weight /= weight.sum(axis=1, keepdims=True)
    displacement: FloatArray = weight @ moves
    return displacement


def grade_piece(piece: PatternPiece, rule: PieceGradeRule | None, rules: GradeRules, size: str) -> PatternPiece:
    """The sample piece graded to ``size``: grade points move by their rule, the rest of the cut line follows
    by arc-length interpolation, inner features by inverse-distance weighting of the cut line's moves."""
    if rule is None:
        return replace(piece, size=str(size))
    offsets = rules.offsets_mm(rule, size)
    moves = _cut_line_displacement(piece.cut_line, rule.point_index, offsets)

    def move(points: np.ndarray) -> FloatArray:
        moved: FloatArray = np.asarray(points) + _field_displacement(piece.cut_line, moves, np.asarray(points))
        return moved

    def move_xy(x: float, y: float) -> tuple[float, float]:
        px, py = move(np.array([[x, y]]))[0]
        return float(px), float(py)

    def move_segment(segment: Segment | None) -> Segment | None:
        return None if segment is None else (move_xy(*segment[0]), move_xy(*segment[1]))

    return replace(
        piece,
        size=str(size),
        cut_line=piece.cut_line + moves,
        stitch_lines=tuple(move(p) for p in piece.stitch_lines),
        internal_lines=tuple(move(p) for p in piece.internal_lines),
        internal_cutouts=tuple(move(p) for p in piece.internal_cutouts),
        notches=tuple(
            replace(n, x_mm=xy[0], y_mm=xy[1]) for n, xy in ((n, move_xy(n.x_mm, n.y_mm)) for n in piece.notches)
        ),
        drill_holes=tuple(
            replace(h, x_mm=xy[0], y_mm=xy[1]) for h, xy in ((h, move_xy(h.x_mm, h.y_mm)) for h in piece.drill_holes)
        ),
        grain_line=move_segment(piece.grain_line),
        mirror_line=move_segment(piece.mirror_line),
    )


def grade_pattern(sample: PatternSet, rules: GradeRules) -> PatternSet:
    """The whole size run from the sample-size pieces of ``sample`` and the grade rules."""
    if sample.sample_size != rules.sample_size:
        raise PatternError(
            f"pattern sample size {sample.sample_size} differs from the grade rules' sample size {rules.sample_size}"
        )
    base = sample.of_size(sample.sample_size)
    pieces = [grade_piece(p, rules.rule_for(p.name), rules, size) for size in rules.sizes for p in base]
    return PatternSet(sample.style_name, sample.sample_size, tuple(pieces), sample.created)

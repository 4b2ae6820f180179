"""Base lasts: a shop's own scanned last, read, oriented, measured and expressed as our last.

A shop makes its shoes on its own lasts. One scanned last (STL, OBJ, 3MF, PLY...) becomes a *base last* a style is
fitted from:

1. **read** (:func:`geometry.exchange.meshes.read_mesh`, with read limits), welded, its largest part kept; it must
   be closed (small holes are filled);
2. **units** from its size: a last is 200–360 mm long (:func:`lasts.units.decide_units` with a last's ranges),
   else the caller says (``--units``);
3. **oriented** from its shape, in whatever pose it was scanned: the long axis (PCA); the bottom, the side whose
   faces all face one way across the last (the flat insole, ending in the feather edge); the heel end, under the
   cone (the tall end); the side, from the toe's swing toward medial (inflare). A left last is mirrored: base
   lasts are stored right, like :mod:`lasts.model` builds them;
4. **unposed**: the bottom line's heel seat, shank and tread give the heel height and toe spring (the bend of
   :mod:`lasts.pose` fitted to it); the inverse of that bend stands the last in the measuring frame (bottom line on
   z = 0, heel point at x = 0), where parametric lasts live;
5. **detected**: heel point (rearmost), toe tip (foremost), cone top (highest), the feather edge (each section's
   widest points near its bottom), the ball line (MTP1 on the medial feather edge at the ball length the top-view
   outline gives, MTP5 on the lateral one behind it), and the girths with :func:`lasts.fitting.measure_last`'s
   definitions;
6. **expressed as our last**: :func:`lasts.fitting.solve_last` finds the named parameters that measure the same,
   and a :class:`lasts.model.LastShape` takes that last's surface onto the scanned one (each grid node moved along
   its normal to the scan, open3d ray casting, smoothed a little), so ``build_last(params)`` is the scanned last at
   any face count, size or side. How far the rebuilt last lies from the scan is measured and reported.

Everything is mm and pure (no database): ``manufacturing/lasts_library`` stores what this returns.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from scipy.optimize import least_squares, minimize_scalar
from scipy.spatial import cKDTree

from geometry.arrays import FloatArray
from geometry.errors import InputError
from geometry.exchange.meshes import DEFAULT_READ_LIMITS, ReadLimits, read_mesh
from geometry.meshes import (
    face_component_labels,
    face_normals,
    fill_small_holes,
    keep_faces,
    open3d_tensor,
    triangle_areas,
    weld_vertices,
)
from geometry.sections import mesh_plane_section
from lasts.errors import AmbiguousUnitsError, ImplausibleFootSizeError, LastError
from lasts.fitting import (
    DEFAULT_FIT_RULES,
    TARGET_KEYS,
    FitPreference,
    FitRules,
    FitTargets,
    LastFit,
    fit_last,
    fit_targets,
    measure_last,
    solve_last,
)
from lasts.landmarks import Landmarks
from lasts.measurements import MEASUREMENT_KEYS, measure_foot
from lasts.model import (
    DEFAULT_PROPORTIONS,
    SHAPE_GRID,
    TOE_GEOMETRY,
    LastParameters,
    LastShape,
    LastShapeError,
    ToeShape,
    along_fraction,
    build_last,
    parametric_surface,
)
from lasts.pose import BottomLine, pose_last, posed_bottom_line
from lasts.side import Side
from lasts.surface import FootSurface
from lasts.units import MM_PER_UNIT, Unit, UnitRanges, decide_units

if TYPE_CHECKING:
    import open3d as o3d


class BaseLastError(LastError):
    """A scanned last that cannot become a base last; the message says why and what to do."""

    code = "base_last_error"


class UnreadableLastError(BaseLastError):
    """A file that holds no closed surface: not a mesh format, a point cloud, or a surface full of holes."""

    code = "unreadable_last"


class NotALastError(BaseLastError):
    """A shape whose proportions are not a last's (a sphere, a box, a foot): no flat bottom, no cone, no toe."""

    code = "not_a_last"


class LastUnitsError(BaseLastError):
    """The file's size makes a last in no unit, or in more than one: the caller must give the units."""

    code = "last_units_unknown"


class LastSideError(BaseLastError):
    """The last's shape does not tell left from right (no toe swing), or contradicts the side given."""

    code = "last_side_unknown"


class LastOutOfReachError(BaseLastError):
    """A last too far from any parametric last to be expressed as one (its girths cannot be met, or the shape
    field that would take our last onto it is larger than any last's, or leaves it too far off)."""

    code = "last_out_of_reach"


@dataclass(frozen=True)
class BaseLastRules:
    """How a scanned last is read, recognised and expressed (mm unless named; documented defaults, overridable)."""

    # A plausible last's stick length (units told from it); given units may make one 120–520 mm (the model's range).
    stick_length_mm: tuple[float, float] = (200.0, 360.0)
    possible_stick_length_mm: tuple[float, float] = (120.0, 520.0)
    weld_decimals: int = 4  # vertices closer than 0.1 µm are one (STL repeats each corner per triangle)
    fill_hole_mm: float = 20.0  # holes with a shorter rim are closed; a longer one is refused
    max_open_edge_share: float = 0.001
    # Proportions of a last (as scanned, posed or standing): width and height as shares of its length.
    width_share: tuple[float, float] = (0.22, 0.55)
    height_share: tuple[float, float] = (0.28, 0.90)
    # The bottom: faces facing straight down across the last (within this angle), as a share of the surface.
    flat_bottom_deg: float = 8.0
    min_flat_bottom_share: float = 0.5
    min_cone_ratio: float = 1.6  # the heel end (the cone) stands this many times taller than the toe end
    min_cone_share: float = 0.42  # standing, the cone top is this share of the length high (0.52 L by default)
    side_min_mm: float = 3.0  # the toe tip swings at least this far toward medial (inflare)
    # The bottom line is fitted to the pose over this share of the length (the heel and toe turn up beyond it).
    pose_window: tuple[float, float] = (0.06, 0.89)
    outline_stations: int = 72
    shape_grid: tuple[int, int] = SHAPE_GRID
    shape_passes: int = 3
    shape_smoothing: float = 0.5  # share of each correction replaced by its neighbours' mean (smoothed a little)
    max_reach_mm: float = 40.0  # a grid node further than this from the scan along its normal is not moved
    max_solve_error_mm: float = 3.0  # girths the parametric last cannot meet closer than this: out of reach
    deviation_target_p95_mm: float = 0.5
    max_deviation_p95_mm: float = 1.5  # beyond, the last is refused: too far from any parametric last
    feather_clearance_mm: float = 3.0  # the feather edge's crease is left out of the "max off the edge" figure
    face_count: int = 50_000


DEFAULT_BASE_LAST_RULES = BaseLastRules()


@dataclass(frozen=True)
class ShapeDeviation:
    """How far the rebuilt last (``build_last`` of the stored parameters, posed) lies from the scanned one, both
    ways (each surface's vertices to the other surface), mm."""

    p95_mm: float
    max_mm: float
    max_off_feather_mm: float  # farther than ``feather_clearance_mm`` from the feather edge
    mean_mm: float

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in (("p95_mm", self.p95_mm), ("max_mm", self.max_mm),
                ("max_off_feather_mm", self.max_off_feather_mm), ("mean_mm", self.mean_mm))}  # fmt: skip


@dataclass(frozen=True)
class BaseLastLandmarks:
    """What was detected on the scanned last, in the standing frame (right last: bottom line on z = 0, heel point
    at x = 0, toe along +x, medial +y), mm; and how the file's frame maps to the posed one."""

    heel_point: FloatArray
    toe_tip: FloatArray
    cone_top: FloatArray
    mtp1: FloatArray
    mtp5: FloatArray
    instep: FloatArray
    feather_medial: FloatArray  # (k, 3) the feather edge, one point per section
    feather_lateral: FloatArray
    heel_height_mm: float
    toe_spring_mm: float
    scanned_side: Side
    file_to_posed: FloatArray  # (4, 4): file units → the posed right last's frame, mm (mirror included)

    def to_dict(self) -> dict[str, Any]:
        def point(p: np.ndarray) -> list[float]:
            return [round(float(c), 2) for c in p]

        return {
            "heel_point": point(self.heel_point),
            "toe_tip": point(self.toe_tip),
            "cone_top": point(self.cone_top),
            "mtp1": point(self.mtp1),
            "mtp5": point(self.mtp5),
            "instep": point(self.instep),
            "feather_medial": [point(p) for p in self.feather_medial],
            "feather_lateral": [point(p) for p in self.feather_lateral],
            "heel_height_mm": round(self.heel_height_mm, 2),
            "toe_spring_mm": round(self.toe_spring_mm, 2),
            "scanned_side": self.scanned_side.value,
            "file_to_posed": [[round(float(c), 6) for c in row] for row in self.file_to_posed],
        }


@dataclass(frozen=True)
class BaseLast:
    """A scanned last expressed as our last: its parameters (with the shape field; a right last), what was
    detected, its measurements (``measure_last`` on the rebuilt last) and how closely the rebuilt last matches."""

    params: LastParameters
    style: str | None
    landmarks: BaseLastLandmarks
    measurements: dict[str, float]
    deviation: ShapeDeviation
    unit: str
    mm_per_unit: float
    units_detected: bool
    source_format: str
    solver_max_error_mm: float
    seconds: float
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        """What was detected and how closely it is reproduced (the CLI prints it; the library stores it)."""
        p = self.params
        return {
            "style": self.style,
            "scanned_side": self.landmarks.scanned_side.value,
            "units": self.unit,
            "mm_per_unit": self.mm_per_unit,
            "units_detected": self.units_detected,
            "format": self.source_format,
            "stick_length_mm": round(p.stick_length_mm, 2),
            "ball_length_mm": round(p.ball_length_mm, 2),
            "heel_height_mm": round(p.heel_height_mm, 2),
            "toe_spring_mm": round(p.toe_spring_mm, 2),
            "toe_shape": p.toe_shape.value,
            "cone_height_mm": round(float(self.landmarks.cone_top[2]), 2),
            "measurements": {k: round(v, 2) for k, v in self.measurements.items()},
            "deviation": self.deviation.to_dict(),
            "solver_max_error_mm": round(self.solver_max_error_mm, 3),
            "seconds": round(self.seconds, 2),
            "notes": list(self.notes),
        }


# --- reading ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Surface:
    vertices: FloatArray  # (n, 3) mm
    faces: np.ndarray  # (m, 3) outward


def _read_surface(
    data: bytes, filename: str, limits: ReadLimits, units: Unit | Literal["auto"], rules: BaseLastRules
) -> tuple[_Surface, str, float, bool, str]:
    """The last's closed surface in mm, with its unit, mm per unit, whether the unit was detected, the format."""
    try:
        mesh = read_mesh(data, filename, limits)
    except InputError as exc:
        raise UnreadableLastError(f"{filename or 'the file'} cannot be read as a last: {exc.message}",
                                  filename=filename) from None  # fmt: skip
    if mesh.is_point_cloud:
        raise UnreadableLastError(f"{filename or 'the file'} holds points, not a surface: a base last is a closed "
                                  "mesh (STL, OBJ, 3MF, PLY)", filename=filename)  # fmt: skip
    vertices = mesh.vertices
    centred = vertices - vertices.mean(axis=0)
    axis = np.linalg.svd(centred[:: max(1, len(centred) // 20_000)], full_matrices=False)[2][0]
    length_file = float(np.ptp(centred @ axis))
    unit, mm_per_unit, detected = _decide_units(length_file, units, rules)
    welded, faces = weld_vertices(vertices * mm_per_unit, mesh.faces, rules.weld_decimals)
    labels = face_component_labels(faces, len(welded))
    welded, faces = keep_faces(welded, faces, labels == 0)
    if _open_edge_share(faces) > 0.0:
        welded, faces = fill_small_holes(welded, faces, rules.fill_hole_mm)
    open_share = _open_edge_share(faces)
    if open_share > rules.max_open_edge_share:
        raise UnreadableLastError(
            f"{filename or 'the last'}'s surface is open ({100 * open_share:.1f} % of its edges lie on a hole "
            f"longer than {rules.fill_hole_mm:g} mm): a base last must be closed (close the scan, cap the cone)",
            filename=filename,
        )
    return _Surface(welded, faces), unit, mm_per_unit, detected, mesh.format


def _decide_units(
    length_file_units: float, units: Unit | Literal["auto"], rules: BaseLastRules
) -> tuple[str, float, bool]:
    """The unit that makes the scan a last 200–360 mm long (or the given one, if it makes one at all)."""
    ranges = UnitRanges(plausible_adult_mm=rules.stick_length_mm, possible_mm=rules.possible_stick_length_mm)
    low, high = rules.stick_length_mm
    try:
        decision = decide_units(length_file_units, units, ranges)
    except AmbiguousUnitsError:
        readings = ", ".join(f"{length_file_units * mm:.0f} mm in {u}" for u, mm in MM_PER_UNIT.items()
                             if ranges.possible_mm[0] <= length_file_units * mm <= ranges.possible_mm[1])  # fmt: skip
        raise LastUnitsError(f"the last is {length_file_units:.4g} file units long, which could be {readings}: "
                             "give its units (--units mm, cm, m or in)",
                             length_file_units=length_file_units) from None  # fmt: skip
    except ImplausibleFootSizeError:
        if units != "auto":
            raise LastUnitsError(
                f"in {units} the last would be {length_file_units * MM_PER_UNIT[units]:.0f} mm long; lasts are "
                f"{ranges.possible_mm[0]:.0f}-{ranges.possible_mm[1]:.0f} mm", unit=units,
            ) from None  # fmt: skip
        raise LastUnitsError(
            f"the last is {length_file_units:.4g} file units long: no unit (mm, cm, m, in) makes that a last of "
            f"{low:.0f}-{high:.0f} mm; give its units (--units) or scale the file",
            length_file_units=length_file_units,
        ) from None
    return decision.unit, decision.mm_per_unit, decision.detected


def _open_edge_share(faces: np.ndarray) -> float:
    """Share of a mesh's edges that only one face uses (its holes' rims)."""
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return float(np.mean(counts == 1))


# --- orientation ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """Rotation (rows x, y, z: along toward the toe, across toward medial, up from the bottom), origin, mirror."""

    rotation: FloatArray  # (3, 3) proper
    origin: FloatArray  # (3,) mm
    mirrored: bool

    def apply(self, points: np.ndarray) -> FloatArray:
        out: FloatArray = (points - self.origin) @ self.rotation.T
        if self.mirrored:
            out[:, 1] *= -1.0
        return out

    def matrix(self, mm_per_unit: float) -> FloatArray:
        """(4, 4) from file units to this frame."""
        linear = self.rotation * mm_per_unit
        if self.mirrored:
            linear = np.diag([1.0, -1.0, 1.0]) @ linear
        out = np.eye(4)
        out[:3, :3] = linear
        out[:3, 3] = -(np.diag([1.0, -1.0, 1.0]) if self.mirrored else np.eye(3)) @ self.rotation @ self.origin
        return out


def _bottom_direction(
    vertices: np.ndarray, faces: np.ndarray, normals: np.ndarray, areas: np.ndarray, axis: np.ndarray,
    rules: BaseLastRules,
) -> tuple[FloatArray, float]:  # fmt: skip
    """The direction (unit, across the long ``axis``) the last's bottom faces, and how flat the bottom is: the median,
    over sections along the last, of the width facing that way (within ``flat_bottom_deg``) as a share of the
    section's width. Of the peaks of the faces' directions across the axis, the bottom is the one flat under the
    whole length (a tall cone's side walls are flat at the rear only)."""
    across = normals - np.outer(normals @ axis, axis)
    u = np.cross(axis, [1.0, 0.0, 0.0] if abs(axis[0]) < 0.9 else [0.0, 1.0, 0.0])
    u /= np.linalg.norm(u)
    v = np.cross(axis, u)
    angle = np.arctan2(across @ v, across @ u)
    weight = areas * np.linalg.norm(across, axis=1)
    bins = np.zeros(720)
    np.add.at(bins, ((angle + np.pi) / (2 * np.pi) * 720).astype(np.int64) % 720, weight)
    # Peaks of the directions smoothed over 2 degrees (a flat bottom is one sharp peak, a rounded one a low hump).
    smoothed = np.convolve(np.concatenate([bins[-2:], bins, bins[:2]]), [1.0, 2.0, 3.0, 2.0, 1.0], mode="valid")
    # Sixteen sections along the middle 80 % of the last: each face's and each vertex's section (-1: outside).
    along = vertices @ axis
    lo, hi = float(along.min()), float(along.max())

    def section_of(x: np.ndarray) -> np.ndarray:
        index = np.floor((x - lo - 0.1 * (hi - lo)) / (0.05 * (hi - lo))).astype(np.int64)
        return np.where((index >= 0) & (index < 16), index, -1)

    face_section = section_of(vertices[faces].mean(axis=1) @ axis)
    vertex_section = section_of(along)
    inside = vertex_section >= 0
    best: tuple[float, FloatArray] = (-1.0, -v)
    tried: list[float] = []
    for index in np.argsort(-smoothed):
        peak = (index + 0.5) / 720 * 2 * np.pi - np.pi
        if any(abs(math.remainder(peak - t, 2 * math.pi)) < math.radians(30.0) for t in tried):
            continue
        tried.append(peak)
        near = np.abs(np.remainder(angle - peak + np.pi, 2 * np.pi) - np.pi) < math.radians(rules.flat_bottom_deg)
        # The faces' mean direction in the peak: finer than the histogram's bins.
        refined = math.atan2(float((weight * near) @ np.sin(angle)), float((weight * near) @ np.cos(angle)))
        direction = math.cos(refined) * u + math.sin(refined) * v
        sideways = vertices[inside] @ np.cross(axis, direction)
        widest, narrowest = np.full(16, -np.inf), np.full(16, np.inf)
        np.maximum.at(widest, vertex_section[inside], sideways)
        np.minimum.at(narrowest, vertex_section[inside], sideways)
        chosen = near & (face_section >= 0)
        flat_area = np.bincount(face_section[chosen], weights=areas[chosen], minlength=16)
        cut = np.isfinite(widest) & (widest > narrowest)
        shares = flat_area[cut] / (0.05 * (hi - lo)) / (widest[cut] - narrowest[cut])
        score = float(np.median(shares)) if len(shares) else 0.0
        if score > best[0]:
            best = (score, direction)
        if len(tried) == 4:
            break
    return best[1], best[0]


def _section(surface: _Surface, x_mm: float, points: np.ndarray | None = None) -> FloatArray:
    """(k, 3) points where the plane x = ``x_mm`` cuts the surface (``points``: the vertices in the frame)."""
    vertices = surface.vertices if points is None else points
    cut: FloatArray = mesh_plane_section(vertices, surface.faces, np.array([x_mm, 0.0, 0.0]),
                                         np.array([1.0, 0.0, 0.0])).reshape(-1, 3)  # fmt: skip
    return cut


def _orient(surface: _Surface, side: Side | None, rules: BaseLastRules) -> tuple[_Frame, Side]:
    """The scanned last's frame: x along (heel → toe), z up from the bottom (pitch left to the pose), y toward
    medial of a right last (a left one mirrored); refuses shapes that are not a last, naming the proportion."""
    v, f = surface.vertices, surface.faces
    areas = triangle_areas(v, f)
    centres = v[f].mean(axis=1)
    centre = (areas @ centres) / areas.sum()
    spread = (centres - centre) * np.sqrt(areas / areas.mean())[:, None]
    axes = np.linalg.svd(spread, full_matrices=False)[2]
    x_axis = axes[0]
    normals = face_normals(v, f)
    extents = np.ptp((v - centre) @ axes.T, axis=0)
    length = float(extents[0])
    if extents[1] / length > rules.height_share[1] or extents[2] / length > rules.height_share[1]:
        raise NotALastError(
            f"the shape is {extents[0]:.0f} x {extents[1]:.0f} x {extents[2]:.0f} mm: no longer one way than the "
            "others as a last is (a last is 2-4 times longer than it is wide)",
            extents_mm=[round(float(e), 1) for e in extents],
        )
    for _ in range(8):  # the bottom, the heel end and the yaw, each from the others, until the yaw settles
        down, flat_share = _bottom_direction(v, f, normals, areas, x_axis, rules)
        if flat_share < rules.min_flat_bottom_share:
            raise NotALastError(
                f"the shape has no flat bottom: along it, {100 * flat_share:.0f} % of a section's width faces down "
                f"flat (the median), a last's bottom (the insole, out to the feather edge) over "
                f"{100 * rules.min_flat_bottom_share:.0f} %; a foot's sole is rounded across",
                flat_bottom_share=round(flat_share, 3),
            )
        z_axis = -down
        y_axis = np.cross(z_axis, x_axis)
        rotation = np.stack([x_axis, y_axis, z_axis])
        local = (v - centre) @ rotation.T
        x, y, z = local.T
        lo, hi = x.min(), x.max()
        rear = x < lo + 0.25 * (hi - lo)
        front = x > hi - 0.15 * (hi - lo)
        rear_height, front_height = float(np.ptp(z[rear])), float(np.ptp(z[front]))
        if front_height > rear_height:  # the cone is over the heel: turn the last round
            rotation = np.stack([-x_axis, -y_axis, z_axis])
            local = (v - centre) @ rotation.T
            x, y, z = local.T
            rear_height, front_height = front_height, rear_height
        # The rear (heel to ankle) is symmetric about the last's plane: its midline sets the yaw.
        lo, hi = x.min(), x.max()
        stations = lo + (hi - lo) * np.linspace(0.06, 0.30, 10)
        mids = []
        for station in stations:
            cut = _section(_Surface(local, f), float(station))
            if len(cut) >= 3:
                mids.append((float(station), 0.5 * float(cut[:, 1].max() + cut[:, 1].min())))
        if len(mids) < 4:
            raise NotALastError("the shape has no heel: its rear cannot be cut into sections")
        along_mm, mid_mm = np.array(mids).T
        slope, intercept = (float(c) for c in np.polyfit(along_mm, mid_mm, 1))
        yaw = math.atan(slope)
        turned = np.cos(yaw) * rotation[0] + np.sin(yaw) * rotation[1]
        x_axis = turned
        centre = centre + intercept * rotation[1]
        if abs(yaw) < 2e-4:
            break
    rotation = np.stack([x_axis, np.cross(rotation[2], x_axis), rotation[2]])
    frame = _Frame(rotation, centre, False)
    local = frame.apply(v)
    x, y, z = local.T
    length = float(np.ptp(x))
    width, height = float(np.ptp(y)), float(np.ptp(z))
    checks = (
        ("width", width / length, rules.width_share),
        ("height", height / length, rules.height_share),
    )
    for name, share, (low, high) in checks:
        if not low <= share <= high:
            raise NotALastError(
                f"the shape is {length:.0f} mm long and {width:.0f} mm wide, {height:.0f} mm high: its {name} is "
                f"{100 * share:.0f} % of its length, a last's is {100 * low:.0f}-{100 * high:.0f} %",
                share=round(share, 3),
            )
    if rear_height < rules.min_cone_ratio * front_height:
        raise NotALastError(
            f"the shape has no cone: its tall end is {rear_height:.0f} mm high, its other end {front_height:.0f} mm "
            f"(a last's cone stands at least {rules.min_cone_ratio:g} times its toe's height)",
        )
    # The toe swings toward medial (inflare): the toe tip's offset from the heel's midline.
    tip = x > x.max() - 0.02 * length
    swing = float(y[tip].mean())
    looks: Side | None = None
    if abs(swing) >= rules.side_min_mm:
        looks = Side.RIGHT if swing > 0 else Side.LEFT
    if side is None:
        if looks is None:
            raise LastSideError(
                f"the last's toe swings {swing:.1f} mm off its heel's midline: too little to tell a left last from a "
                "right one; give its side (--side left or right)", toe_swing_mm=round(swing, 2),
            )  # fmt: skip
        side = looks
    elif looks is not None and looks != side and abs(swing) >= 2 * rules.side_min_mm:
        raise LastSideError(
            f"the last was given as a {side} last, but its toe swings {abs(swing):.1f} mm toward the side a {looks} "
            "last's does: a mirrored file, or the wrong side given", toe_swing_mm=round(swing, 2),
        )  # fmt: skip
    return replace(frame, mirrored=side == Side.LEFT), Side(side)


# --- pose -----------------------------------------------------------------------------------------------------


def _line_params(length_mm: float, ball_mm: float, heel_mm: float, toe_mm: float) -> LastParameters:
    """Parameters that carry only what the pose reads (length, ball length, heel height, toe spring)."""
    return LastParameters(
        stick_length_mm=length_mm, ball_length_mm=ball_mm, ball_girth_mm=0.9 * length_mm,
        ball_width_mm=0.36 * length_mm, waist_girth_mm=0.85 * length_mm, instep_girth_mm=0.88 * length_mm,
        long_heel_girth_mm=1.2 * length_mm, short_heel_girth_mm=1.18 * length_mm, heel_width_mm=0.23 * length_mm,
        toe_box_height_mm=0.14 * length_mm, heel_height_mm=heel_mm, toe_spring_mm=toe_mm,
    )  # fmt: skip


def _rotate_xz(points: np.ndarray, pitch_rad: float, shift_x: float, shift_z: float) -> FloatArray:
    c, s = math.cos(pitch_rad), math.sin(pitch_rad)
    out = np.array(points, dtype=np.float64)
    out[:, 0] = c * points[:, 0] - s * points[:, 2] + shift_x
    out[:, 2] = s * points[:, 0] + c * points[:, 2] + shift_z
    return out


def unpose_points(points: np.ndarray, line: BottomLine) -> FloatArray:
    """The inverse of :meth:`lasts.pose.BottomLine.place`: posed points (n, 3) back to the standing frame (x the
    distance along the bottom line, z the height above it), mm. Each point's foot on the line is found by Newton's
    method on its along-distance from the line, monotone while height × curvature < 1 (which posing keeps)."""
    s, (cx, cz), angle, kappa = line.s_mm, line.points_xz_mm.T, line.angle_rad, line.curvature_per_mm
    px, pz = points[:, 0], points[:, 2]
    step = (s[-1] - s[0]) / (len(s) - 1)  # the line is sampled evenly: interpolate by index, not by search

    def frame_at(q: np.ndarray) -> tuple[np.ndarray, ...]:
        clipped = np.clip(q, s[0], s[-1])
        position = (clipped - s[0]) / step
        i = np.minimum(position.astype(np.int64), len(s) - 2)
        w = position - i

        def at(values: np.ndarray) -> np.ndarray:
            out: np.ndarray = values[i] * (1.0 - w) + values[i + 1] * w
            return out

        a = at(angle)
        tx, tz = np.cos(a), np.sin(a)
        beyond = q - clipped  # past either end the line goes on along its end tangent, as ``place`` does
        bend = np.where(beyond == 0.0, at(kappa), 0.0)
        return at(cx) + beyond * tx, at(cz) + beyond * tz, tx, tz, bend

    q = np.array(px, dtype=np.float64)
    for _ in range(30):
        bx, bz, tx, tz, bend = frame_at(q)
        ahead = (px - bx) * tx + (pz - bz) * tz
        height = -(px - bx) * tz + (pz - bz) * tx
        q = q + ahead / np.maximum(1.0 - height * bend, 0.1)
        if float(np.abs(ahead).max()) < 1e-7:
            break
    bx, bz, tx, tz, _ = frame_at(q)
    return np.column_stack([q, points[:, 1], -(px - bx) * tz + (pz - bz) * tx])


@dataclass(frozen=True)
class _Pose:
    heel_mm: float
    toe_mm: float
    pitch_rad: float
    shift_x: float
    shift_z: float
    length_mm: float
    ball_mm: float

    @property
    def line(self) -> BottomLine:
        return posed_bottom_line(_line_params(self.length_mm, self.ball_mm, self.heel_mm, self.toe_mm))

    def posed(self, framed: np.ndarray) -> FloatArray:
        """Framed points into the posed frame of :func:`lasts.pose.pose_last` (tread on z = 0, heel end at x = 0)."""
        return _rotate_xz(framed, self.pitch_rad, self.shift_x, self.shift_z)


def _bottom_curve(surface: _Surface, framed: np.ndarray) -> FloatArray:
    """(k, 2) the bottom line as scanned: the lowest point (x, z) of sections across the last, heel to toe (the pose
    fit keeps those within its window)."""
    x = framed[:, 0]
    lo, hi = float(x.min()), float(x.max())
    out = []
    for station in lo + (hi - lo) * np.linspace(0.01, 0.99, 64):
        cut = _section(surface, float(station), framed)
        if len(cut):
            out.append((float(station), float(cut[:, 2].min())))
    return np.array(out)


def _fit_pose(curve: np.ndarray, start: _Pose, window: tuple[float, float]) -> _Pose:
    """Heel height, toe spring, pitch and height of the bottom line that best lay the pose's bend on the scanned
    bottom curve (the along shift, length and ball length held)."""
    length = start.length_mm

    def trial(u: np.ndarray) -> _Pose:
        return replace(start, heel_mm=float(u[0]), toe_mm=float(u[1]), pitch_rad=float(u[2]), shift_z=float(u[3]))

    def residual(u: np.ndarray) -> np.ndarray:
        pose = trial(u)
        try:
            line = pose.line
        except LastError:  # a rise the bend cannot reach
            return np.full(len(curve), 1e3)
        placed = _rotate_xz(np.column_stack([curve[:, 0], np.zeros(len(curve)), curve[:, 1]]), pose.pitch_rad,
                            pose.shift_x, pose.shift_z)  # fmt: skip
        s_low, s_high = window[0] * length, window[1] * length
        inside = (placed[:, 0] > np.interp(s_low, line.s_mm, line.points_xz_mm[:, 0])) & (
            placed[:, 0] < np.interp(s_high, line.s_mm, line.points_xz_mm[:, 0]))  # fmt: skip
        height = placed[:, 2] - np.interp(placed[:, 0], line.points_xz_mm[:, 0], line.points_xz_mm[:, 1])
        return np.where(inside, height, 0.0)

    u0 = np.array([start.heel_mm, start.toe_mm, start.pitch_rad, start.shift_z])
    bounds = ([0.0, 0.0, -0.8, -500.0], [0.4 * length, 0.15 * length, 0.8, 500.0])
    result = least_squares(residual, np.clip(u0, bounds[0], bounds[1]), bounds=bounds, x_scale=[5.0, 5.0, 0.02, 5.0],
                           diff_step=[1e-4] * 4, xtol=1e-6)  # fmt: skip
    return trial(result.x)


def _tread_pitch(framed: np.ndarray, curve: np.ndarray, ball_share: float) -> float:
    """The pitch (rad, about y) that lays the tread (the bottom around the ball) flat."""
    x = framed[:, 0]
    lo, hi = float(x.min()), float(x.max())
    tread = (curve[:, 0] > lo + (ball_share - 0.1) * (hi - lo)) & (curve[:, 0] < lo + (ball_share + 0.05) * (hi - lo))
    if tread.sum() < 2:
        return 0.0
    slope = float(np.polyfit(curve[tread, 0], curve[tread, 1], 1)[0])
    return -math.atan(slope)


def _first_pose(framed: np.ndarray, ball_share: float) -> _Pose:
    """A starting pose of a last whose tread lies flat: the heel end at x = 0, the lowest point on the ground."""
    length = float(np.ptp(framed[:, 0]))
    return _Pose(20.0, 15.0, 0.0, -float(framed[:, 0].min()), -float(framed[:, 2].min()), length, ball_share * length)


def _pitched(frame: _Frame, pitch_rad: float) -> _Frame:
    """The frame turned about its y axis (as :func:`_rotate_xz` turns points)."""
    c, s = math.cos(pitch_rad), math.sin(pitch_rad)
    turn = np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])
    return replace(frame, rotation=turn @ frame.rotation)


# --- the standing last's outline and landmarks ----------------------------------------------------------------


@dataclass(frozen=True)
class _Outline:
    """The standing last seen from above: at stations x (k,), the medial and lateral extremes (k, 3) and the
    feather edge's points (the widest points near the bottom) (k, 3)."""

    x: FloatArray
    medial: FloatArray
    lateral: FloatArray
    feather_medial: FloatArray
    feather_lateral: FloatArray
    top: FloatArray  # (k, 3) each section's highest point


def _outline(surface: _Surface, stations: np.ndarray) -> _Outline:
    medial, lateral, f_medial, f_lateral, top, kept = [], [], [], [], [], []
    for station in stations:
        cut = _section(surface, float(station))
        if len(cut) < 3:
            continue
        kept.append(float(station))
        medial.append(cut[np.argmax(cut[:, 1])])
        lateral.append(cut[np.argmin(cut[:, 1])])
        top.append(cut[np.argmax(cut[:, 2])])
        # The feather edge: the widest points near the section's bottom (the crease round the insole).
        low = cut[:, 2] <= cut[:, 2].min() + min(15.0, 0.35 * float(np.ptp(cut[:, 2])))
        near = cut[low]
        f_medial.append(near[np.argmax(near[:, 1])])
        f_lateral.append(near[np.argmin(near[:, 1])])
    return _Outline(*(np.array(a) for a in (kept, medial, lateral, f_medial, f_lateral, top)))


def _along(outline: _Outline, line: np.ndarray, x_mm: float) -> FloatArray:
    """The point of a line of the outline (k, 3) at x, interpolated between stations."""
    point: FloatArray = np.array([np.interp(x_mm, outline.x, line[:, k]) for k in range(3)])
    point[0] = x_mm
    return point


def _landmarks(surface: _Surface, outline: _Outline, ball_mm: float) -> Landmarks:
    """The last's landmarks where the parametric last puts its own: heel point and toe tip at the ends, MTP1 on the
    medial feather edge at the ball length, MTP5 on the lateral one behind it, the instep on the top."""
    v = surface.vertices
    length = float(v[:, 0].max())
    heel = v[np.argmin(v[:, 0])]
    toe = v[np.argmax(v[:, 0])]
    mtp1 = _along(outline, outline.feather_medial, ball_mm)
    mtp5 = _along(outline, outline.feather_lateral, ball_mm - DEFAULT_PROPORTIONS.lateral_ball_offset * length)
    instep = _along(outline, outline.top, DEFAULT_PROPORTIONS.instep_station * ball_mm)
    return Landmarks(pternion=heel.copy(), toe_tip=toe.copy(), mtp1=mtp1, mtp5=mtp5, instep=instep,
                     arch=np.array([0.55 * ball_mm, 0.0, 0.0]), sphyrion=None)  # fmt: skip


def _measured(surface: _Surface, marks: Landmarks) -> dict[str, float | None]:
    top = float(surface.vertices[:, 2].max())
    values = measure_foot(FootSurface(surface.vertices, surface.faces), marks, top_mm=top).values()
    values["foot_length_mm"] = float(marks.toe_tip[0] - marks.pternion[0])
    values["ball_length_mm"] = float(marks.mtp1[0] - marks.pternion[0])
    return values


def _stand_in(
    values: dict[str, float | None], surface: _Surface, pose: _Pose, toe_shape: ToeShape, inflare_mm: float
) -> LastParameters:
    """Named parameters from the scanned last's measurements: the solver's start (and the outline's model). The cone's
    height is the model's (it rises with the ankle the long heel girth asks for); the shape field brings the cone top
    to the scanned one's."""

    def value(key: str, fallback: float) -> float:
        found = values.get(key)
        return fallback if found is None else float(found)

    length = pose.length_mm
    ball_girth = value("ball_girth_mm", 0.9 * length)
    long_heel = value("long_heel_girth_mm", 1.2 * length)
    return LastParameters(
        stick_length_mm=length,
        ball_length_mm=pose.ball_mm,
        ball_girth_mm=ball_girth,
        ball_width_mm=value("ball_width_mm", 0.36 * length),
        waist_girth_mm=value("waist_girth_mm", 0.95 * ball_girth),
        instep_girth_mm=value("instep_girth_mm", ball_girth),
        long_heel_girth_mm=long_heel,
        short_heel_girth_mm=min(value("short_heel_girth_mm", long_heel - 5.0), long_heel - 2.0),
        heel_width_mm=value("heel_width_mm", 0.23 * length),
        toe_box_height_mm=value("toe_height_mm", 0.14 * length),
        heel_height_mm=pose.heel_mm,
        toe_spring_mm=pose.toe_mm,
        toe_shape=toe_shape,
        inflare_mm=inflare_mm,
    )


def _outline_fit(
    surface: _Surface, pose: _Pose, toe_shape: ToeShape | None, rules: BaseLastRules
) -> tuple[float, ToeShape, float]:
    """The ball length, toe shape and inflare whose parametric last draws the scanned last's top-view outline
    closest (the ball line is where the outline's medial and lateral bulges put it)."""
    length = pose.length_mm
    stations = np.linspace(0.02, 0.98, rules.outline_stations) * length
    outline = _outline(surface, stations)
    around = np.arange(240) / 240
    tip_swing = float(surface.vertices[surface.vertices[:, 0] > 0.98 * length, 1].mean())
    # The girths and the heel width as measured at the first ball length (the outline hardly depends on them).
    values = _measured(surface, _landmarks(surface, outline, pose.ball_mm))

    def params_for(ball_mm: float, shape: ToeShape) -> LastParameters:
        marks = _landmarks(surface, outline, ball_mm)
        width = float(np.linalg.norm((marks.mtp1 - marks.mtp5)[:2]))
        # The model swings its tip toward medial by the toe's share of 0.47 ball widths, plus the inflare.
        swing = _swing_share(shape) * 0.47 * width
        return _stand_in(values | {"ball_width_mm": width}, surface, replace(pose, ball_mm=ball_mm), shape,
                         tip_swing - swing)  # fmt: skip

    def misfit(ball_mm: float, shape: ToeShape) -> float:
        try:
            trial = params_for(ball_mm, shape)
            points = parametric_surface(trial, along_fraction(outline.x, length), around)
        except LastError:
            return 1e9
        medial = points[:, :, 1].max(axis=1) - outline.medial[:, 1]
        lateral = points[:, :, 1].min(axis=1) - outline.lateral[:, 1]
        return float(np.mean(medial**2) + np.mean(lateral**2))

    shapes = [toe_shape] if toe_shape is not None else list(ToeShape)
    first = pose.ball_mm
    chosen = min(shapes, key=lambda s: misfit(first, s))
    found = minimize_scalar(lambda b: misfit(b, chosen), bounds=(0.64 * length, 0.78 * length), method="bounded",
                            options={"xatol": 0.1})  # fmt: skip
    ball = float(found.x)
    if toe_shape is None:  # the toe judged again at the ball found
        chosen = min(shapes, key=lambda s: misfit(ball, s))
    return ball, chosen, params_for(ball, chosen).inflare_mm


def _swing_share(shape: ToeShape) -> float:
    return TOE_GEOMETRY[shape].tip_shift


# --- the shape field ------------------------------------------------------------------------------------------


def _grid_normals(points: np.ndarray) -> FloatArray:
    """(rows, columns, 3) outward unit normals of a right last's grid (rows along, columns round; poles at the ends:
    the heel pole faces -x, the toe pole +x)."""
    d_along = np.gradient(points, axis=0)
    d_around = 0.5 * (np.roll(points, -1, axis=1) - np.roll(points, 1, axis=1))
    normal = np.cross(d_around, d_along)
    length = np.linalg.norm(normal, axis=-1, keepdims=True)
    out: FloatArray = np.divide(normal, length, out=np.zeros_like(normal), where=length > 1e-9)
    out[0] = [-1.0, 0.0, 0.0]
    out[-1] = [1.0, 0.0, 0.0]
    return out


def _scene(vertices: np.ndarray, faces: np.ndarray) -> o3d.t.geometry.RaycastingScene:
    import open3d as o3d  # imported when used: it costs a second to load
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.t.geometry.TriangleMesh(
        open3d_tensor(np.ascontiguousarray(vertices, dtype=np.float32), o3d.core.float32),
        open3d_tensor(np.ascontiguousarray(faces, dtype=np.int32), o3d.core.int32),
    ))  # fmt: skip
    return scene


def _moves_onto(scene: o3d.t.geometry.RaycastingScene, points: np.ndarray, normals: np.ndarray) -> FloatArray:
    """(n, 3) the move that puts each point on the surface: along its normal to the nearer hit of the two directions
    (the surface's same place), or straight to the closest point where the normal passes the surface by or meets it
    much further off (a corner the two surfaces turn at different places)."""
    import open3d as o3d  # imported when used: it costs a second to load
    hits = []
    for sign in (1.0, -1.0):
        rays = np.concatenate([points, sign * normals], axis=1).astype(np.float32)
        hits.append(sign * scene.cast_rays(open3d_tensor(rays, o3d.core.float32))["t_hit"].numpy().astype(np.float64))
    out, back = hits
    reach = np.where(np.abs(out) <= np.abs(back), out, back)
    query = open3d_tensor(np.ascontiguousarray(points, dtype=np.float32), o3d.core.float32)
    closest = scene.compute_closest_points(query)["points"].numpy().astype(np.float64) - points
    gap = np.linalg.norm(closest, axis=1)
    along = np.isfinite(reach) & (np.abs(reach) <= 1.5 * gap + 0.5)
    moves: FloatArray = np.where(along[:, None], np.nan_to_num(reach)[:, None] * normals, closest)
    return moves


def _smoothed(correction: np.ndarray, share: float) -> FloatArray:
    """Each node's correction partly replaced by its neighbours' mean (round the section and along)."""
    neighbours = 0.25 * (np.roll(correction, 1, axis=1) + np.roll(correction, -1, axis=1))
    inner = correction.copy()
    inner[1:-1] = 0.5 * (correction[:-2] + correction[2:])
    neighbours += 0.5 * inner
    out: FloatArray = (1.0 - share) * correction + share * neighbours
    out[0], out[-1] = correction[0], correction[-1]
    return out


def shape_onto(params: LastParameters, vertices: np.ndarray, faces: np.ndarray, rules: BaseLastRules) -> LastShape:
    """The shape field that takes the right last ``params`` builds (its own shape left out) onto the surface
    (vertices (n, 3), faces (m, 3), mm, standing frame): each grid node moved along its normal to the surface, a few
    passes, each correction smoothed a little. Raises ``LastOutOfReachError`` when the field would be no last's."""
    rows, columns = rules.shape_grid
    along = np.linspace(0.0, 1.0, rows)
    around = np.arange(columns) / columns
    base = parametric_surface(replace(params, shape=None, side=Side.RIGHT), along, around)
    scene = _scene(vertices, faces)
    field_mm = np.zeros((rows, columns, 3))
    for _ in range(rules.shape_passes):
        moved = base + field_mm
        normals = _grid_normals(moved)
        correction = _moves_onto(scene, moved.reshape(-1, 3), normals.reshape(-1, 3)).reshape(rows, columns, 3)
        far = np.linalg.norm(correction, axis=-1) > rules.max_reach_mm
        if far.mean() > 0.02:
            raise LastOutOfReachError(
                f"the scanned last is too far from any parametric last to express: {100 * far.mean():.0f} % of our "
                f"last's surface lies over {rules.max_reach_mm:g} mm from it", share_far=round(float(far.mean()), 3),
            )  # fmt: skip
        correction[far] = 0.0
        # Each pole is one point: its row moves as one (the mean of its columns).
        correction[0] = correction[0].mean(axis=0)
        correction[-1] = correction[-1].mean(axis=0)
        field_mm += _smoothed(correction, rules.shape_smoothing)
    try:
        return LastShape(field_mm)
    except LastShapeError as exc:
        raise LastOutOfReachError(f"the scanned last is too far from any parametric last to express: {exc.message}",
                                  largest_move_mm=round(float(np.abs(field_mm).max()), 1)) from None  # fmt: skip


def _deviation(
    rebuilt: np.ndarray, rebuilt_faces: np.ndarray, scanned: np.ndarray, scanned_faces: np.ndarray,
    feather: np.ndarray, rules: BaseLastRules,
) -> ShapeDeviation:  # fmt: skip
    """Distances between two surfaces both ways (each one's vertices to the other), mm."""
    to_scanned = _distance(_scene(scanned, scanned_faces), rebuilt)
    to_rebuilt = _distance(_scene(rebuilt, rebuilt_faces), scanned)
    distance = np.concatenate([to_scanned, to_rebuilt])
    points = np.concatenate([rebuilt, scanned])
    off: np.ndarray = np.asarray(cKDTree(feather).query(points)[0]) > rules.feather_clearance_mm
    return ShapeDeviation(
        p95_mm=float(np.percentile(distance, 95)),
        max_mm=float(distance.max()),
        max_off_feather_mm=float(distance[off].max()) if off.any() else 0.0,
        mean_mm=float(distance.mean()),
    )


def _distance(scene: o3d.t.geometry.RaycastingScene, points: np.ndarray) -> FloatArray:
    import open3d as o3d  # imported when used: it costs a second to load
    query = open3d_tensor(np.ascontiguousarray(points, dtype=np.float32), o3d.core.float32)
    out: FloatArray = scene.compute_distance(query).numpy().astype(np.float64)
    return out


# --- the whole import -----------------------------------------------------------------------------------------

_BALL_SHARE = 0.72  # the ball line lies about this far along a last, until its outline says where
DEFAULT_INFLARE_MM = 5.0  # the parametric last's own, until the outline says


@dataclass(frozen=True)
class _Stood:
    """The scanned last stood up: its frame (file → tread-levelled), its pose, and its surface standing."""

    frame: _Frame
    pose: _Pose
    surface: _Surface  # standing: bottom line on z = 0, heel point at x = 0 (a right last)
    toe_shape: ToeShape
    inflare_mm: float

    def posed(self, vertices_mm: np.ndarray) -> FloatArray:
        """The scan's vertices (mm, as read) in the posed frame of :func:`lasts.pose.pose_last`."""
        return self.pose.posed(self.frame.apply(vertices_mm))


def _stand(surface: _Surface, frame: _Frame, toe_shape: ToeShape | None, rules: BaseLastRules) -> _Stood:
    """Heel height, toe spring, ball length and toe shape, each refined from the others: the pose fitted to the bottom
    curve, the last stood up by the pose's inverse, the ball line and toe read from its outline, until it settles."""
    # Sections across the tread-levelled last cut its bottom line square.
    level = frame.apply(surface.vertices)
    frame = _pitched(frame, _tread_pitch(level, _bottom_curve(surface, level), _BALL_SHARE))
    framed = frame.apply(surface.vertices)
    curve = _bottom_curve(surface, framed)
    pose = _first_pose(framed, _BALL_SHARE)
    shape, inflare = toe_shape or ToeShape.ROUND, DEFAULT_INFLARE_MM
    for round_ in range(6):
        # The first rounds fit the middle of the bottom only: the length and the heel end are not known yet.
        pose = _fit_pose(curve, pose, (0.15, 0.80) if round_ < 2 else rules.pose_window)
        standing = unpose_points(pose.posed(framed), pose.line)
        rear, front = float(standing[:, 0].min()), float(standing[:, 0].max())
        settled = abs(rear) < 0.01 and abs(front - rear - pose.length_mm) < 0.01
        pose = replace(pose, shift_x=pose.shift_x - rear, length_mm=front - rear)
        if round_ in (1, 3):  # the ball line and the toe from the outline, once the last stands
            stood = _Surface(standing - [rear, 0.0, 0.0], surface.faces)
            ball, shape, inflare = _outline_fit(stood, pose, toe_shape, rules)
            pose = replace(pose, ball_mm=ball)
        elif settled and round_ > 3:
            break
    return _Stood(frame, pose, _Surface(unpose_points(pose.posed(framed), pose.line), surface.faces), shape, inflare)


def _solved(stood: _Stood, marks: Landmarks, rules: BaseLastRules) -> tuple[LastParameters, float]:
    """The named parameters whose last measures what the standing scan does (a right last on the scan's pose), and
    the solver's largest error (mm)."""
    pose = stood.pose
    values = _measured(stood.surface, marks)
    missing = [k for k in TARGET_KEYS if values.get(k) is None]
    if missing:
        raise NotALastError(f"the shape's {missing[0].removesuffix('_mm').replace('_', ' ')} cannot be measured: it "
                            "has no cone a tape goes round", missing=missing)  # fmt: skip
    targets = {k: float(v) for k in TARGET_KEYS if (v := values[k]) is not None}
    # Unrounded: the pose the scan was stood up with is the one its last is posed with.
    targets["foot_length_mm"], targets["ball_length_mm"] = pose.length_mm, pose.ball_mm
    start = _stand_in(dict(values), stood.surface, pose, stood.toe_shape, stood.inflare_mm)
    try:
        fit = solve_last(targets, start, face_count=rules.face_count)
    except LastError as exc:
        raise LastOutOfReachError(f"no parametric last measures like the scanned one: {exc.message}") from None
    if fit.max_error_mm > rules.max_solve_error_mm:
        worst = max(fit.errors_mm, key=lambda k: abs(fit.errors_mm[k]))
        raise LastOutOfReachError(
            f"no parametric last measures like the scanned one: its {worst.removesuffix('_mm').replace('_', ' ')} "
            f"stays {fit.errors_mm[worst]:+.1f} mm off", worst=worst,
        )  # fmt: skip
    solved = replace(fit.last.params, side=Side.RIGHT, heel_height_mm=pose.heel_mm, toe_spring_mm=pose.toe_mm)
    return solved, fit.max_error_mm


def import_base_last(
    data: bytes,
    filename: str,
    style: str | None = None,
    limits: ReadLimits = DEFAULT_READ_LIMITS,
    units: Unit | Literal["auto"] = "auto",
    side: Side | None = None,
    toe_shape: ToeShape | None = None,
    rules: BaseLastRules = DEFAULT_BASE_LAST_RULES,
) -> BaseLast:
    """A scanned last (a mesh file's bytes, any pose, either side, mm / cm / m / in) as a base last: our parametric
    last solved to its measurements with the shape field that takes it onto the scan (a right last), what was
    detected, and how closely the rebuilt last matches the scan. ``side``: the last's side, when its shape does not
    tell it; ``toe_shape``: the toe's shape, when known (else the outline's closest). Typed errors
    (:class:`BaseLastError`) name what is wrong: an unreadable file, not a last, unknown units, or a last out of
    reach."""
    started = time.perf_counter()
    surface, unit, mm_per_unit, detected, fmt = _read_surface(data, filename, limits, units, rules)
    frame, scanned_side = _orient(surface, side, rules)
    if frame.mirrored:  # mirrored into a right last: faces flipped so they still face out
        surface = replace(surface, faces=surface.faces[:, ::-1].copy())
    stood = _stand(surface, frame, toe_shape, rules)
    pose, standing = stood.pose, stood.surface.vertices
    cone_share = float(standing[:, 2].max()) / pose.length_mm
    if cone_share < rules.min_cone_share:
        raise NotALastError(
            f"the shape has no cone: standing, it is {standing[:, 2].max():.0f} mm high, {100 * cone_share:.0f} % of "
            f"its length; a last's cone reaches over {100 * rules.min_cone_share:.0f} % (a foot scan cut at the "
            "ankle?)",
            cone_share=round(cone_share, 3),
        )  # fmt: skip
    outline = _outline(stood.surface, np.linspace(0.01, 0.99, 100) * pose.length_mm)
    marks = _landmarks(stood.surface, outline, pose.ball_mm)
    solved, solver_error_mm = _solved(stood, marks, rules)
    params = replace(solved, shape=shape_onto(solved, standing, surface.faces, rules))
    rebuilt = build_last(params, rules.face_count)
    try:
        posed_rebuilt = pose_last(rebuilt)
    except LastError as exc:
        raise LastOutOfReachError(f"the scanned last's pose is one our last cannot take: {exc.message}") from None
    # How far the rebuilt last lies from the scan, both posed (the scan's own frame, turned).
    feather = pose.line.place(np.concatenate([outline.feather_medial, outline.feather_lateral]))
    deviation = _deviation(posed_rebuilt.vertices, posed_rebuilt.faces, stood.posed(surface.vertices),
                           surface.faces, feather, rules)  # fmt: skip
    if deviation.p95_mm > rules.max_deviation_p95_mm:
        raise LastOutOfReachError(
            f"the scanned last is too far from any parametric last to express: rebuilt, 5 % of its surface lies over "
            f"{deviation.p95_mm:.1f} mm off the scan (at most {rules.max_deviation_p95_mm:g} mm is kept)",
            deviation=deviation.to_dict(),
        )
    notes = []
    if deviation.p95_mm > rules.deviation_target_p95_mm:
        notes.append(f"rebuilt, 5 % of the last lies over {deviation.p95_mm:.2f} mm off the scan (target "
                     f"{rules.deviation_target_p95_mm:g} mm)")  # fmt: skip
    measured = measure_last(rebuilt).values()
    return BaseLast(
        params=params,
        style=style,
        landmarks=BaseLastLandmarks(
            heel_point=marks.pternion,
            toe_tip=marks.toe_tip,
            cone_top=standing[np.argmax(standing[:, 2])].copy(),
            mtp1=marks.mtp1,
            mtp5=marks.mtp5,
            instep=marks.instep,
            feather_medial=outline.feather_medial[::4],
            feather_lateral=outline.feather_lateral[::4],
            heel_height_mm=pose.heel_mm,
            toe_spring_mm=pose.toe_mm,
            scanned_side=scanned_side,
            file_to_posed=_placed(pose) @ stood.frame.matrix(mm_per_unit),
        ),
        measurements={k: float(v) for k in MEASUREMENT_KEYS if (v := measured.get(k)) is not None},
        deviation=deviation,
        unit=unit,
        mm_per_unit=mm_per_unit,
        units_detected=detected,
        source_format=fmt,
        solver_max_error_mm=solver_error_mm,
        seconds=time.perf_counter() - started,
        notes=tuple(notes),
    )


def _placed(pose: _Pose) -> FloatArray:
    """(4, 4) the pose's turn and shift (:meth:`_Pose.posed`) as a matrix."""
    c, s = math.cos(pose.pitch_rad), math.sin(pose.pitch_rad)
    out = np.eye(4)
    out[:3, :3] = [[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]]
    out[:3, 3] = [pose.shift_x, 0.0, pose.shift_z]
    return out


# --- fitting on a base last -----------------------------------------------------------------------------------


def fit_start(base: LastParameters, targets: FitTargets, side: Side) -> LastParameters:
    """Where a foot's fit on a base last starts: the base's design (its toe shape, heel height, toe spring, inflare,
    feather line, bottom, back curve, and its shape field scaled to the foot's last length), the targets' measurements
    as first guesses of the named parameters, on the foot's side; :func:`lasts.fitting.solve_last` then meets the
    targets."""
    v = targets.values
    factor = v["foot_length_mm"] / base.stick_length_mm
    return replace(
        base,
        stick_length_mm=v["foot_length_mm"],
        ball_length_mm=v["ball_length_mm"],
        ball_girth_mm=v["ball_girth_mm"],
        ball_width_mm=v["ball_width_mm"],
        waist_girth_mm=v["waist_girth_mm"],
        instep_girth_mm=v["instep_girth_mm"],
        long_heel_girth_mm=v["long_heel_girth_mm"],
        short_heel_girth_mm=v["short_heel_girth_mm"],
        heel_width_mm=v["heel_width_mm"],
        toe_box_height_mm=v["toe_height_mm"],
        cone_height_mm=None if base.cone_height_mm is None else base.cone_height_mm * factor,
        back_lean_mm=None if base.back_lean_mm is None else base.back_lean_mm * factor,
        side=Side(side),
        shape=None if base.shape is None else base.shape.scaled(factor),
    )


def fit_on_base(
    foot: dict[str, float | None],
    side: Side,
    style: str,
    fit: FitPreference,
    toe_shape: ToeShape | None,
    rules: FitRules = DEFAULT_FIT_RULES,
    base: LastParameters | None = None,
    face_count: int = 50_000,
) -> tuple[FitTargets, LastFit]:
    """:func:`lasts.fitting.fit_last` on a base last (``base``, a stored base last's parameters), or on the
    parametric last when there is none. The base's toe shape sets the toe allowance unless a toe shape is given."""
    if base is None:
        return fit_last(foot, side, style, fit, toe_shape, rules, face_count)
    targets = fit_targets(foot, style, fit, toe_shape or base.toe_shape, rules)
    start = fit_start(base, targets, side)
    if toe_shape is not None:
        start = replace(start, toe_shape=toe_shape)
    return targets, solve_last(targets.values, start, face_count)

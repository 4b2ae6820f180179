"""Foot scans in; a clean, oriented, measured foot out.

``describe_scan`` says what a file is; ``ingest_scan`` runs the whole chain: read (format sniffed from the
content) → the foot-sized parts (largest part; outlier removal for clouds; a pair of feet is measured foot by
foot by ``ingest_feet``) → units → smooth a noisy mesh (lasts.mesh_noise) → orient (lasts.orientation: no
leg needed) → record the openings and fill small holes (meshes), or reconstruct a surface (clouds) → cut the
leg above the ankle → check the shape is a whole foot → settle the side (lasts.side_claims: the shape,
against what the file name or the customer claims) → landmarks → measurements → what the scan holds
(lasts.coverage: its cut, a sole flattened on glass, holes) → estimates of what it lacks (lasts.completion).

Point clouds become meshes before they are measured: averaged into voxels, denoised onto local planes,
then a screened Poisson surface (geometry.reconstruction) that bridges scan holes with the surface around
them, trimmed where no point is near. Meshes and clouds are then measured by the same definitions
(docs/measurements.md; accuracy figures in docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np
from scipy.spatial import cKDTree

from geometry.errors import InputTooLargeError
from geometry.exchange.meshes import MeshData, ReadLimits, read_mesh
from geometry.meshes import face_component_labels, fill_small_holes, keep_faces, weld_vertices
from geometry.pointclouds import (
    isolated_point_mask,
    project_to_local_planes,
    statistical_inlier_mask,
    voxel_average,
    voxel_cluster_labels,
)
from geometry.reconstruction import consistent_normals, poisson_surface
from lasts.completion import complete_measurements
from lasts.coverage import (
    FootEnd,
    ScanCoverage,
    ScanHole,
    ScanTop,
    flattened_sole_area_mm2,
    is_flattened,
    scan_holes,
    scan_openings,
)
from lasts.errors import IncompleteFootError, NotAFootError, SeveralFeetError, SideUncertainError
from lasts.landmarks import DEFAULT_LANDMARK_RULES, Landmarks, find_landmarks, medial_malleolus
from lasts.measurements import FootMeasurements, Measurements, measure_foot, measurements_to_json, scan_top_mm
from lasts.mesh_noise import NOISY_MM, smooth_noise, surface_noise_mm
from lasts.orientation import FootFrame, orient_foot, rough_frame
from lasts.plausibility import check_not_imprint
from lasts.side import Side
from lasts.side_claims import SideDecision, SideSource, claimed_side_from_filename, decide_side
from lasts.surface import FootSurface
from lasts.units import ScaleHint, Unit, UnitDecision, check_scan_extent, decide_units


@dataclass(frozen=True)
class ScanSummary:
    """Facts about a scan file, in the file's own units (not yet converted to mm).

    bbox_min, bbox_max : (3,) corners of the axis-aligned bounding box
    """

    filename: str
    format: str
    kind: str  # "mesh" or "point_cloud"
    size_bytes: int
    sha256: str
    vertex_count: int
    face_count: int
    bbox_min: tuple[float, float, float]
    bbox_max: tuple[float, float, float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe_scan(data: bytes, filename: str) -> ScanSummary:
    """Read a scan file and summarise it; raises ``InputError`` subclasses for unreadable files."""
    return summarise_mesh(read_mesh(data, filename), data, filename)


def summarise_mesh(mesh: MeshData, data: bytes, filename: str) -> ScanSummary:
    lower = mesh.vertices.min(axis=0)
    upper = mesh.vertices.max(axis=0)
    return ScanSummary(
        filename=filename,
        format=mesh.format,
        kind="point_cloud" if mesh.is_point_cloud else "mesh",
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        vertex_count=len(mesh.vertices),
        face_count=len(mesh.faces),
        bbox_min=(float(lower[0]), float(lower[1]), float(lower[2])),
        bbox_max=(float(upper[0]), float(upper[1]), float(upper[2])),
    )


# A scan is a few hundred thousand faces; ten times that still reads in seconds (CSPMS_MAX_SCAN_ELEMENTS).
SCAN_READ_LIMITS = ReadLimits(max_elements=3_000_000)


@dataclass(frozen=True)
class IngestOptions:
    """How to read a scan. ``cut_height`` is a fraction of foot length: the leg above it is dropped (lower
    when the malleoli show: 0.25 L above the medial one).

    ``side``: the side the user confirms; the foot is measured as it whatever its shape says (a scan of the
    other side is taken as a mirrored export and mirrored back, flagged in the record). ``claimed_side``: the
    side the customer says, checked against the shape (``SideMismatchError`` when they disagree);
    ``"from_filename"`` reads it from the file's name ("..._left.stl", "RechterFuss.obj"), None claims none.
    """

    units: Unit | Literal["auto"] = "auto"
    side: Side | Literal["auto"] = "auto"
    claimed_side: Side | Literal["from_filename"] | None = "from_filename"
    cut_height: float = 0.6
    max_points: int = 2_000_000
    # What the file may expand to (vertices + faces, instances placed) and unpack to, refused before parsing.
    read_limits: ReadLimits = SCAN_READ_LIMITS
    # Point clouds are thinned to one averaged point per voxel of this size (mm), each point then pulled
    # onto the plane of this many neighbours, and a Poisson surface fitted with an octree this deep;
    # the surface farther than the trim distance from every point (mm) is dropped.
    cloud_voxel_mm: float = 1.5
    cloud_plane_neighbours: int = 20
    poisson_depth: int = 8
    poisson_trim_mm: float = 20.0
    # Another part this large (relative to the largest) means a second foot in the file.
    second_foot_ratio: float = 0.3
    # When no unit makes the scan a foot (unscaled photogrammetry): its scale, mm per file unit, or the
    # foot's length in mm, which the measured length is then made to match.
    mm_per_unit: float | None = None
    known_length_mm: float | None = None

    @property
    def scale_hint(self) -> ScaleHint:
        return ScaleHint(self.mm_per_unit, self.known_length_mm)


@dataclass(frozen=True)
class CleanupReport:
    """What clean-up did. Clouds are thinned before their outliers are counted (``outliers_removed`` counts
    thinned points); ``kept_points`` are the vertices of the surface that was measured."""

    input_points: int
    kept_points: int
    removed_parts: int
    outliers_removed: int
    holes_filled_faces: int
    denoised: bool
    reconstructed_faces: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MeasuredFoot:
    """A scan turned into a measured foot, everything in mm in the measuring frame."""

    summary: ScanSummary
    units: UnitDecision
    frame: FootFrame
    surface: FootSurface
    landmarks: Landmarks
    measurements: FootMeasurements
    cleanup: CleanupReport
    # What of the foot the scan holds (cut, flattened sole, holes, values not reached or unreliable); None for
    # a foot measured outside ``ingest_scan`` (a generated one, in its known frame).
    partial: ScanCoverage | None = None
    # How the side was settled (anatomy, a claim, the user's confirmation); None outside ``ingest_scan``.
    side_decision: SideDecision | None = None
    # Feet found in the file: 2 when this foot is one of a pair.
    feet_in_file: int = 1

    @property
    def side(self) -> Side:
        return self.frame.side

    def record(self) -> Measurements:
        """The foot's side and measurements, as they leave the scan."""
        return self.measurements.of_side(self.side)

    def to_dict(self) -> dict[str, Any]:
        """The measurement record (the JSON of ``cspms scan measure``); ``measurements_from_json(record,
        record["side"])`` reads its measurements back."""
        return {
            "side": str(self.side),
            "units_detected": self.units.unit,
            "units_were_detected": self.units.detected,
            **measurements_to_json(self.record()),
            "landmarks": self.landmarks.as_dict(),
            "frame_from_scan": [[round(float(c), 9) for c in row] for row in self.frame.matrix()],
            "side_votes": {k: round(v, 3) for k, v in self.frame.side_votes.items()},
            **({} if self.side_decision is None else {"side_decision": self.side_decision.to_dict()}),
            **({} if self.partial is None else {"coverage": self.partial.to_dict()}),
            "feet_in_file": self.feet_in_file,
            "cleanup": self.cleanup.to_dict(),
            "scan": self.summary.to_dict(),
        }


@dataclass(frozen=True)
class MeasuredPair:
    """Two feet in one scan file, each measured on its own: the left first when they are a left and a right,
    else as they lie in the file."""

    feet: tuple[MeasuredFoot, MeasuredFoot]

    @property
    def sides(self) -> tuple[Side, Side]:
        return self.feet[0].side, self.feet[1].side

    @property
    def is_left_and_right(self) -> bool:
        return set(self.sides) == {Side.LEFT, Side.RIGHT}

    def foot(self, side: Side) -> MeasuredFoot:
        """The foot of that side; ``SeveralFeetError`` when the pair has none or two of it."""
        matching = [foot for foot in self.feet if foot.side == side]
        if len(matching) != 1:
            shown = " and ".join(str(s) for s in self.sides)
            raise SeveralFeetError(
                f"the file holds two feet, {shown}: there is no single {side} foot to measure in it",
                sides=[str(s) for s in self.sides],
            )
        return matching[0]

    def to_dict(self) -> dict[str, Any]:
        """``{"feet": [record, record], "sides": [...]}``: each foot's record as ``MeasuredFoot.to_dict``."""
        return {"sides": [str(s) for s in self.sides], "feet": [foot.to_dict() for foot in self.feet]}


def ingest_scan(data: bytes, filename: str, options: IngestOptions | None = None) -> MeasuredFoot:
    """Read, clean, scale, orient, cut and measure a foot scan. Typed ``ScanError``s for anything unusable.

    A file holding a pair of feet is measured only for the side the user confirms or the file name claims
    (that foot of the pair, its record saying the file held two); otherwise ``SeveralFeetError`` points to
    ``ingest_feet``, which measures both."""
    options = options or IngestOptions()
    return _one_foot(data, filename, options, *_read_feet(data, filename, options))


def _one_foot(
    data: bytes,
    filename: str,
    options: IngestOptions,
    summary: ScanSummary,
    parts: list[tuple[np.ndarray, np.ndarray]],
    report: CleanupReport,
) -> MeasuredFoot:
    """``ingest_scan`` once the file is read into its foot-sized parts."""
    if len(parts) > 1:
        wanted, _ = _side_asked(filename, options)
        if wanted is None:
            raise SeveralFeetError(
                "the scan holds two feet: say which one to measure (side=left or side=right, or a file name "
                "ending _left or _right), or upload each foot on its own (`cspms scan measure` measures both)",
                feet=len(parts),
            )
        return _measure_pair(parts, report, summary, filename, options).foot(wanted)
    vertices, faces = parts[0]
    foot = _measure_foot_part(vertices, faces, report, summary, filename, options)
    measured_length = foot.measurements.foot_length_mm
    if options.known_length_mm is not None and abs(measured_length / options.known_length_mm - 1) > 1e-3:
        # The scale came from the scan's rough length: once more, so the measured length is the one given.
        exact = foot.units.mm_per_unit * options.known_length_mm / measured_length
        return ingest_scan(data, filename, replace(options, known_length_mm=None, mm_per_unit=exact))
    return foot


def ingest_feet(data: bytes, filename: str, options: IngestOptions | None = None) -> MeasuredFoot | MeasuredPair:
    """Every foot in a scan file: one foot as ``ingest_scan`` measures it, or a pair, each foot measured on its
    own with the side its shape shows (a claim or confirmation in ``options`` is for one foot: not used)."""
    options = options or IngestOptions()
    summary, parts, report = _read_feet(data, filename, options)
    if len(parts) == 1:
        return _one_foot(data, filename, options, summary, parts, report)
    return _measure_pair(parts, report, summary, filename, options)


def _read_feet(
    data: bytes, filename: str, options: IngestOptions
) -> tuple[ScanSummary, list[tuple[np.ndarray, np.ndarray]], CleanupReport]:
    """The file read, summarised and checked, and its foot-sized parts (one or two; file units)."""
    mesh = read_mesh(data, filename, options.read_limits)
    summary = summarise_mesh(mesh, data, filename)
    if summary.vertex_count > options.max_points:
        raise InputTooLargeError(
            f"{filename!r} has {summary.vertex_count} points, over the limit of {options.max_points}",
            limit_points=options.max_points,
        )
    _check_enough_points(mesh, filename)
    extent = float(np.ptp(mesh.vertices, axis=0).max())
    if extent > 0:  # a cloud on one point is judged by clean-up ("no points left")
        check_scan_extent(extent, options.scale_hint)
    parts, report = _foot_parts(mesh.vertices, mesh.faces, options)
    return summary, parts, report


def _side_asked(filename: str, options: IngestOptions) -> tuple[Side | None, str | None]:
    """The side the user confirmed, else the one claimed (by the customer, or the file name), and by whom."""
    if options.side != "auto":
        return Side(options.side), "user"
    if options.claimed_side == "from_filename":
        claimed = claimed_side_from_filename(filename)
        return claimed, None if claimed is None else "file name"
    if options.claimed_side is None:
        return None, None
    return Side(options.claimed_side), "customer"


def _measure_pair(
    parts: list[tuple[np.ndarray, np.ndarray]],
    report: CleanupReport,
    summary: ScanSummary,
    filename: str,
    options: IngestOptions,
) -> MeasuredPair:
    """Both feet of a pair, each by its shape; one whose shape cannot tell is the other side of a sure one."""
    alone = replace(options, side="auto", claimed_side=None, known_length_mm=None)
    feet: list[MeasuredFoot] = []
    unsure: list[tuple[np.ndarray, np.ndarray]] = []
    for vertices, faces in parts:
        try:
            feet.append(_measure_foot_part(vertices, faces, report, summary, filename, alone, feet_in_file=2))
        except SideUncertainError:
            unsure.append((vertices, faces))
    if len(unsure) == 2:
        raise SideUncertainError(
            "the scan holds two feet and neither's shape tells a left from a right foot: scan each foot on its own "
            "and say which it is"
        )
    if unsure:
        other = feet[0].side.other
        vertices, faces = unsure[0]
        feet.append(_measure_foot_part(vertices, faces, report, summary, filename, replace(alone, side=other),
                                       feet_in_file=2, pair_side=True))  # fmt: skip
    if {foot.side for foot in feet} == {Side.LEFT, Side.RIGHT}:
        feet.sort(key=lambda foot: foot.side != Side.LEFT)
    return MeasuredPair((feet[0], feet[1]))


def _measure_foot_part(
    vertices: np.ndarray,
    faces: np.ndarray,
    report: CleanupReport,
    summary: ScanSummary,
    filename: str,
    options: IngestOptions,
    feet_in_file: int = 1,
    pair_side: bool = False,
) -> MeasuredFoot:
    """One foot (file units): scale, orient, settle its side, cut the leg, measure, say what the scan holds."""
    _check_not_flat(vertices, filename)
    check_not_imprint(vertices)
    rough_rotation, length_file_units = rough_frame(vertices)
    units = decide_units(length_file_units, options.units, hint=options.scale_hint)
    vertices = vertices * units.mm_per_unit
    leg_cut = False
    openings: list[np.ndarray] = []
    if len(faces) and surface_noise_mm(vertices, faces) > NOISY_MM:
        vertices = smooth_noise(vertices, faces)  # a phone scan's noise, before it moves landmarks and girths
        report = replace(report, denoised=True)
    if len(faces):
        frame, length_mm = orient_foot(vertices, "auto", rough_rotation)
        openings = scan_openings(frame.apply(vertices), faces)
        before = len(faces)
        vertices, faces = fill_small_holes(vertices, faces, max_hole_size=0.1 * length_mm)
        report = replace(report, holes_filled_faces=len(faces) - before)
        framed = frame.apply(vertices)
        cut_mm = _leg_cut_height_mm(framed, length_mm, frame.medial_sign, options.cut_height)
        leg_cut = float(framed[:, 2].max()) > cut_mm
        surface = FootSurface(*_cut_leg(framed, faces, cut_mm))
    else:
        frame, length_mm, surface, leg_cut = _reconstruct_cloud(vertices, options, rough_rotation)
        report = replace(report, denoised=True, reconstructed_faces=len(surface.faces))
    check_foot_shape(surface)  # before its side: a half foot is refused as that, not as of no side
    confirmed, _ = _side_asked(filename, replace(options, claimed_side=None))
    claimed, claimed_by = _side_asked(filename, replace(options, side="auto"))
    decision = decide_side(frame.side_evidence, filename, confirmed, claimed, claimed_by)
    if pair_side:
        decision = replace(decision, source=SideSource.PAIR, mirrored=False)
    frame, surface = _as_side(frame, surface, decision)
    flat_area_mm2 = flattened_sole_area_mm2(surface)
    flattened = is_flattened(flat_area_mm2, surface.length_mm)
    landmarks = find_landmarks(surface, frame.medial_sign, flattened_sole=flattened)
    measured = measure_foot(surface, landmarks)
    coverage = scan_coverage(surface, landmarks, measured, leg_cut, flat_area_mm2, openings)
    measurements = complete_measurements(surface, landmarks, measured, partial=coverage.partial)
    return MeasuredFoot(
        summary=summary,
        units=units,
        frame=frame,
        surface=surface,
        landmarks=landmarks,
        measurements=measurements,
        cleanup=replace(report, kept_points=len(surface.vertices)),
        partial=coverage,
        side_decision=decision,
        feet_in_file=feet_in_file,
    )


def _as_side(frame: FootFrame, surface: FootSurface, decision: SideDecision) -> tuple[FootFrame, FootSurface]:
    """The frame and surface of the foot as the side decided. A foot whose shape shows the other side (the
    user confirmed a side against it: a mirrored export) is mirrored across the foot axis (y -> -y in the
    frame), which keeps the axis, the heel and the floor; an uncertain one is only labelled."""
    if decision.mirrored:
        flip = np.diag([1.0, -1.0, 1.0])
        mirrored = FootSurface(surface.vertices * [1.0, -1.0, 1.0], surface.faces[:, ::-1], surface.scanned_mask)
        votes = {name: -vote for name, vote in frame.side_votes.items()}
        return replace(frame, rotation=flip @ frame.rotation, side=decision.side, side_votes=votes), mirrored
    if decision.side != frame.side:
        return replace(frame, side=decision.side), surface
    return frame, surface


# The leg is cut this far above the medial malleolus (a fraction of the foot length), when that is lower than
# ``cut_height``: the ankle girth's narrowest part and the long heel girth's plane lie below it.
_ABOVE_MALLEOLUS = 0.25


def _leg_cut_height_mm(framed: np.ndarray, length_mm: float, medial_sign: float, cut_height: float) -> float:
    """Where to cut the leg (mm above the floor): ``cut_height`` × L, or lower, 0.25 L above the medial
    malleolus where the scan shows it (found below 0.6 L: a calf above does not count)."""
    fixed = cut_height * length_mm
    if float(framed[:, 2].max()) <= fixed:
        return fixed
    rules = DEFAULT_LANDMARK_RULES
    below = framed[framed[:, 2] <= rules.malleolus_heights[1] * length_mm]
    sphyrion = medial_malleolus(below, below[:, 1] * medial_sign, length_mm, rules)
    if sphyrion is None:
        return fixed
    return min(fixed, float(sphyrion[2]) + _ABOVE_MALLEOLUS * length_mm)


def scan_coverage(
    surface: FootSurface,
    landmarks: Landmarks,
    measured: FootMeasurements,
    leg_cut: bool,
    flat_area_mm2: float | None = None,
    openings: list[np.ndarray] | None = None,
) -> ScanCoverage:
    """What of the foot the scan holds (``lasts.coverage.ScanCoverage``): where it stops and how, a sole
    flattened on glass, holes at the ends, the measurements not reached or unreliable, in plain words."""
    length = measured.foot_length_mm
    top_mm = scan_top_mm(surface, landmarks)
    v = surface.vertices
    if leg_cut:
        top = ScanTop.LEG_CUT
    elif any(float(v[loop, 2].min()) >= top_mm - 5.0 for loop in surface.boundary_loops):
        top = ScanTop.OPEN_RIM
    else:
        top = ScanTop.CAP
    flat_area = flattened_sole_area_mm2(surface) if flat_area_mm2 is None else flat_area_mm2
    flattened = is_flattened(flat_area, length)
    holes = scan_holes(openings or [], surface, length, top_mm) + _bridged_ends(surface, landmarks, length)
    values = measured.values()
    not_reached = tuple(key for key, value in values.items() if value is None)
    unreliable: list[str] = []
    notes: list[str] = []
    if top is not ScanTop.LEG_CUT and top_mm < 0.6 * length:
        how = "a cap" if top is ScanTop.CAP else "an open rim"
        reached = ", ".join(key.removesuffix("_mm").replace("_", " ") for key in not_reached) or "nothing"
        notes.append(f"the scan is cut {top_mm:.0f} mm above the floor ({how}); not reached: {reached}")
    toe_hole = _hole_at(holes, FootEnd.TOE, float(v[:, 0].max()))
    heel_hole = _hole_at(holes, FootEnd.HEEL, float(v[:, 0].min()))
    for hole, end in ((toe_hole, "toe tip"), (heel_hole, "back of the heel")):
        if hole is not None:
            unreliable += [key for key in ("foot_length_mm", "ball_length_mm") if key not in unreliable]
            notes.append(f"a hole of the scan at the {end}: the foot may measure short there")
    if flattened:
        unreliable.append("arch_height_mm")
        notes.append(f"the sole was flattened on the scanner's glass ({flat_area:,.0f} mm²): the arch is the "
                     "pressed one")  # fmt: skip
    return ScanCoverage(
        cut_height_mm=top_mm, top=top, flattened_sole=flattened, flattened_sole_area_mm2=flat_area, holes=holes,
        not_reached=not_reached, unreliable=tuple(unreliable), notes=tuple(notes),
    )  # fmt: skip


# An opening whose rim comes this close (mm, along the axis) to the toe tip or the pternion may have taken it.
_AT_END_MM = 3.0


def _hole_at(holes: tuple[ScanHole, ...], end: FootEnd, extreme_x_mm: float) -> ScanHole | None:
    """The hole at that end of the foot whose rim reaches the extreme (the tip the length is taken from)."""
    for hole in holes:
        if hole.where is end and abs(hole.reach_x_mm - extreme_x_mm) <= _AT_END_MM:
            return hole
    return None


def _bridged_ends(surface: FootSurface, landmarks: Landmarks, length_mm: float) -> tuple[ScanHole, ...]:
    """A cloud's surface bridging a hole at the toe tip or the back of the heel (no scanned point within
    2.5 mm of the extreme): the reconstruction places the tip there, the scan did not."""
    if surface.scanned_mask is None:
        return ()
    v, scanned = surface.vertices, surface.scanned
    found = []
    for point, end in ((landmarks.toe_tip, FootEnd.TOE), (landmarks.pternion, FootEnd.HEEL)):
        near = np.linalg.norm(v - point, axis=1) <= _AT_END_MM
        if near.any() and not scanned[near].any():
            gap = v[~scanned & (np.linalg.norm(v - point, axis=1) <= 0.1 * length_mm)]
            centre = gap.mean(axis=0) if len(gap) else point
            found.append(ScanHole((float(centre[0]), float(centre[1]), float(centre[2])), 0.0, end,
                                  reach_x_mm=float(point[0]), bridged=True))  # fmt: skip
    return tuple(found)


def _check_enough_points(mesh: MeshData, filename: str) -> None:
    """A file too sparse to hold a foot (a triangle, a tetrahedron) is refused before clean-up needs more."""
    least = _MIN_CLOUD_POINTS if mesh.is_point_cloud else _MIN_MESH_VERTICES
    if not mesh.is_point_cloud and float(np.ptp(mesh.vertices, axis=0).max()) == 0.0:
        raise NotAFootError(f"{filename!r}: all its {len(mesh.vertices):,} vertices are at one point",
                            vertices=len(mesh.vertices))  # fmt: skip
    if len(mesh.vertices) < least or (not mesh.is_point_cloud and len(mesh.faces) < _MIN_MESH_FACES):
        what = "points" if mesh.is_point_cloud else f"vertices and {len(mesh.faces)} faces"
        raise NotAFootError(
            f"{filename!r} has {len(mesh.vertices)} {what}: too few to be a foot (a foot scan has at least "
            f"{least} {'points' if mesh.is_point_cloud else 'vertices'})",
            vertices=len(mesh.vertices), faces=len(mesh.faces),
        )  # fmt: skip


# A foot is a third as high as it is long; a shape thinner than this fraction of its length is a sheet.
_MIN_THICKNESS_RATIO = 0.01


def _check_not_flat(vertices: np.ndarray, filename: str) -> None:
    """Refuse a shape with no third dimension (a sheet, a line) before orientation looks for its hull."""
    centred = vertices - vertices.mean(axis=0)
    _, axes = np.linalg.eigh(centred.T @ centred)
    extents = np.ptp(centred @ axes, axis=0)  # along the principal axes, thinnest first
    if not extents[0] > _MIN_THICKNESS_RATIO * extents[2]:
        raise NotAFootError(
            f"{filename!r} is flat ({extents[0]:.3g} thick for {extents[2]:.3g} long, in file units): "
            "a sheet or a line, not a foot",
            thickness_file_units=float(extents[0]), length_file_units=float(extents[2]),
        )  # fmt: skip


_RECONSTRUCTION_MARGIN_MM = 10.0
# Fewer clean points than this cannot describe a foot (a few per square centimetre of its surface).
_MIN_CLOUD_POINTS = 1_000
# A mesh with fewer vertices (faces) than this cannot be a foot's surface, however coarse.
_MIN_MESH_VERTICES = 100
_MIN_MESH_FACES = 100
# A reconstructed vertex farther than this from every scanned point bridges a hole (mm; points are ~1.5 mm apart).
_SCANNED_WITHIN_MM = 2.5


def _foot_parts(
    vertices: np.ndarray, faces: np.ndarray, options: IngestOptions
) -> tuple[list[tuple[np.ndarray, np.ndarray]], CleanupReport]:
    """The foot-sized connected parts (meshes) or clusters (clouds, after outlier removal): the largest, and a
    second as large (a pair of feet in one file); smaller parts are dropped. More than two: refused."""
    input_points = len(vertices)
    outliers = 0
    if len(faces):
        vertices, faces = weld_vertices(vertices, faces)
        labels = face_component_labels(faces, len(vertices))
        sizes = np.bincount(labels)
    else:
        # Thinned first to about one point per 1/300 of the extent (a millimetre on a foot, in any units):
        # the filters below cost per point, and the surface is averaged into coarser voxels later anyway.
        extent = float(np.ptp(vertices, axis=0).max())
        if extent > 0:
            vertices = voxel_average(vertices, extent / 300.0)
        # Stray points first (they inflate the statistics), then the statistical filter.
        inliers = ~isolated_point_mask(vertices)
        inliers[inliers] = statistical_inlier_mask(vertices[inliers])
        outliers = int((~inliers).sum())
        vertices = vertices[inliers]
        if len(vertices) < _MIN_CLOUD_POINTS:
            raise NotAFootError(
                f"the point cloud has {len(vertices)} points left after removing strays and outliers "
                f"(at least {_MIN_CLOUD_POINTS} are needed to describe a foot's surface)",
                points=len(vertices),
            )
        extent = float(np.ptp(vertices, axis=0).max())
        labels = voxel_cluster_labels(vertices, voxel_mm=extent / 60.0)
        sizes = np.bincount(labels)
    point_labels = labels if not len(faces) else np.zeros(len(vertices), dtype=np.int64)
    if len(faces):
        point_labels[faces.reshape(-1)] = np.repeat(labels, 3)
    extents = [float(np.ptp(vertices[point_labels == k], axis=0).max()) for k in range(min(len(sizes), 4))]
    # A second foot is as big as the first; a heel pad and forefoot of a footprint are not.
    feet = [
        k for k in range(len(extents))
        if sizes[k] >= options.second_foot_ratio * sizes[0] and extents[k] >= 0.7 * extents[0]
    ]  # fmt: skip
    if len(feet) > 2:
        raise SeveralFeetError(
            f"the scan holds {len(feet)} foot-sized parts; scan each foot on its own",
            part_sizes=[int(s) for s in sizes[:4]],
        )
    parts = [keep_faces(vertices, faces, labels == k) if len(faces) else (vertices[labels == k], faces) for k in feet]
    report = CleanupReport(
        input_points=input_points,
        kept_points=sum(len(part[0]) for part in parts),
        removed_parts=int(len(sizes) - len(parts)),
        outliers_removed=outliers,
        holes_filled_faces=0,
        denoised=False,
    )
    return parts, report


def _reconstruct_cloud(
    points_mm: np.ndarray, options: IngestOptions, rough_rotation: np.ndarray
) -> tuple[FootFrame, float, FootSurface, bool]:
    """A cloud's surface in the measuring frame: averaged into voxels, denoised onto local planes, oriented,
    then a Poisson surface through the points up to the leg's cut. Returns the frame, the foot length
    (mm), the surface, which knows where it bridges the scan's holes, and whether the leg was cut."""
    points, normals = project_to_local_planes(
        voxel_average(points_mm, options.cloud_voxel_mm), neighbours=options.cloud_plane_neighbours
    )
    rough, length_mm = orient_foot(points, "auto", rough_rotation)
    framed = rough.apply(points)
    # A margin above the cut keeps Poisson's closing of the cut off the part that is measured.
    kept = framed[:, 2] <= options.cut_height * length_mm + _RECONSTRUCTION_MARGIN_MM
    framed, normals = framed[kept], consistent_normals(framed[kept], normals[kept] @ rough.rotation.T)
    vertices, faces = poisson_surface(framed, normals, options.poisson_depth, options.poisson_trim_mm)
    # Above the scan's own top (an open rim) the surface is Poisson's closing: cut there.
    vertices, faces = _cut_leg(vertices, faces, float(framed[:, 2].max()))
    # The frame and side again, from the surface: where holes took part of the toes, the heel or the
    # sole under the arch, the surface bridging them places the axis and tells the side as a mesh would.
    refined, length_mm = orient_foot(vertices, "auto", np.eye(3))
    vertices = refined.apply(vertices)
    cut_mm = _leg_cut_height_mm(vertices, length_mm, refined.medial_sign, options.cut_height)
    leg_cut = float(vertices[:, 2].max()) > cut_mm
    vertices, faces = _cut_leg(vertices, faces, cut_mm)
    distance_mm, _ = cKDTree(refined.apply(framed)).query(vertices, workers=-1)
    surface = FootSurface(vertices, faces, scanned_mask=np.asarray(distance_mm <= _SCANNED_WITHIN_MM))
    return rough.then(refined), length_mm, surface, leg_cut


def _cut_leg(framed: np.ndarray, faces: np.ndarray, cut_height_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """Drop the leg above the cut height (whole faces)."""
    keep = framed[faces, 2].max(axis=1) <= cut_height_mm
    return keep_faces(framed, faces, keep)


def check_foot_shape(surface: FootSurface) -> None:
    """Refuse shapes that are not a whole foot, naming what looks wrong.

    A foot tapers at both ends (rounded heel, toes); an end as wide as the forefoot is a cut. A shape with
    one tapered end and one cut end is a foot with its heel or toes missing; one with foot-unlike
    proportions otherwise is no foot at all.
    """
    v = surface.vertices
    length = surface.length_mm
    width = float(np.ptp(v[:, 1]))
    height = float(v[:, 2].max())
    low = v[:, 2] < 0.12 * length  # the leg above may reach further back than the heel
    slices = np.floor(v[low, 0] / (0.02 * length)).astype(np.int64)
    y_low = v[low, 1]
    widest = np.full(slices.max() + 1, -np.inf)
    narrow = np.full(slices.max() + 1, np.inf)
    np.maximum.at(widest, slices, y_low)
    np.minimum.at(narrow, slices, y_low)
    middle_width = float(np.nanmax(np.where(np.isfinite(widest), widest - narrow, np.nan)))
    cut_ends = []
    for name, position in (("heel", 0.03), ("toe", 0.97)):
        end = low & (np.abs(v[:, 0] - position * length) < 0.02 * length)
        # Few points near an end means it tapers (or a scan hole took its tip): only a wide rim is a cut.
        if end.sum() >= 3 and float(np.ptp(v[end, 1])) > 0.75 * middle_width:
            cut_ends.append(name)
    proportions_ok = 0.25 <= width / length <= 0.6
    if len(cut_ends) == 1:
        raise IncompleteFootError(
            f"the {cut_ends[0]} end of the scan is cut off flat: is the {cut_ends[0]} missing?",
            end=cut_ends[0],
        )
    if 0.6 < width / length <= 0.85 and height < 0.6 * length:
        raise IncompleteFootError(
            f"the shape is {length:.0f} mm long but {width:.0f} mm wide, as wide as a foot but too short "
            "for that width: is part of the foot (the heel or the toes) missing?",
            length_mm=length,
            width_mm=width,
        )
    if not proportions_ok or cut_ends:
        raise NotAFootError(
            f"the shape is {length:.0f} mm long and {width:.0f} mm wide with blunt ends: "
            "a foot is 25–60 % as wide as it is long and tapers at heel and toes",
            length_mm=length,
            width_mm=width,
        )
    if height < 0.15 * length:
        raise IncompleteFootError(
            f"the scan is only {height:.0f} mm high for a {length:.0f} mm foot: "
            "it has no upper surface (a plantar imprint?)",
            height_mm=height,
        )

"""Foot scans in; a clean, oriented, measured foot out.

``describe_scan`` says what a file is; ``ingest_scan`` runs the whole chain: read (format sniffed from the
content) → keep one foot (largest part; outlier removal for clouds; a second foot-sized part is an error)
→ units → orient (lasts.orientation) → fill small holes (meshes), or reconstruct a surface (clouds) → cut
the leg at ``cut_height`` × foot length → check the shape is a whole foot → landmarks → measurements.

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
from lasts.errors import IncompleteFootError, NotAFootError, SeveralFeetError
from lasts.landmarks import Landmarks, find_landmarks
from lasts.measurements import FootMeasurements, Measurements, measure_foot, measurements_to_json
from lasts.orientation import FootFrame, orient_foot, rough_frame
from lasts.side import Side
from lasts.surface import FootSurface
from lasts.units import Unit, UnitDecision, check_scan_extent, decide_units


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
    """How to read a scan. ``cut_height`` is a fraction of foot length: the leg above it is dropped."""

    units: Unit | Literal["auto"] = "auto"
    side: Side | Literal["auto"] = "auto"
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
            "cleanup": self.cleanup.to_dict(),
            "scan": self.summary.to_dict(),
        }


def ingest_scan(data: bytes, filename: str, options: IngestOptions | None = None) -> MeasuredFoot:
    """Read, clean, scale, orient, cut and measure a foot scan. Typed ``ScanError``s for anything unusable."""
    options = options or IngestOptions()
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
        check_scan_extent(extent)
    vertices, faces, report = _keep_one_foot(mesh.vertices, mesh.faces, options)
    _check_not_flat(vertices, filename)
    rough_rotation, length_file_units = rough_frame(vertices)
    units = decide_units(length_file_units, options.units)
    vertices = vertices * units.mm_per_unit
    if len(faces):
        frame, length_mm = orient_foot(vertices, options.side, rough_rotation)
        before = len(faces)
        vertices, faces = fill_small_holes(vertices, faces, max_hole_size=0.1 * length_mm)
        report = replace(report, holes_filled_faces=len(faces) - before)
        surface = FootSurface(*_cut_leg(frame.apply(vertices), faces, options.cut_height * length_mm))
    else:
        frame, length_mm, surface = _reconstruct_cloud(vertices, options, rough_rotation)
        report = replace(report, denoised=True, reconstructed_faces=len(surface.faces))
    check_foot_shape(surface)
    landmarks = find_landmarks(surface, frame.medial_sign)
    measurements = measure_foot(surface, landmarks)
    return MeasuredFoot(
        summary=summary,
        units=units,
        frame=frame,
        surface=surface,
        landmarks=landmarks,
        measurements=measurements,
        cleanup=replace(report, kept_points=len(surface.vertices)),
    )


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


def _keep_one_foot(
    vertices: np.ndarray, faces: np.ndarray, options: IngestOptions
) -> tuple[np.ndarray, np.ndarray, CleanupReport]:
    """Largest connected part (meshes) or cluster (clouds, after outlier removal); refuse two feet."""
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
    if len(feet) > 1:
        raise SeveralFeetError(
            f"the scan holds {len(feet)} foot-sized parts; scan each foot on its own",
            part_sizes=[int(s) for s in sizes[:4]],
        )
    if len(faces):
        vertices, faces = keep_faces(vertices, faces, labels == 0)
    else:
        vertices = vertices[labels == 0]
    report = CleanupReport(
        input_points=input_points,
        kept_points=len(vertices),
        removed_parts=int(len(sizes) - 1),
        outliers_removed=outliers,
        holes_filled_faces=0,
        denoised=False,
    )
    return vertices, faces, report


def _reconstruct_cloud(
    points_mm: np.ndarray, options: IngestOptions, rough_rotation: np.ndarray
) -> tuple[FootFrame, float, FootSurface]:
    """A cloud's surface in the measuring frame: averaged into voxels, denoised onto local planes, oriented,
    then a Poisson surface through the points up to the leg's cut. Returns the frame, the foot length
    (mm) and the surface, which knows where it bridges the scan's holes."""
    points, normals = project_to_local_planes(
        voxel_average(points_mm, options.cloud_voxel_mm), neighbours=options.cloud_plane_neighbours
    )
    rough, length_mm = orient_foot(points, options.side, rough_rotation)
    framed = rough.apply(points)
    # A margin above the cut keeps Poisson's closing of the cut off the part that is measured.
    kept = framed[:, 2] <= options.cut_height * length_mm + _RECONSTRUCTION_MARGIN_MM
    framed, normals = framed[kept], consistent_normals(framed[kept], normals[kept] @ rough.rotation.T)
    vertices, faces = poisson_surface(framed, normals, options.poisson_depth, options.poisson_trim_mm)
    # Above the scan's own top (an open rim) the surface is Poisson's closing: cut there.
    vertices, faces = _cut_leg(vertices, faces, float(framed[:, 2].max()))
    # The frame and side again, from the surface: where holes took part of the toes, the heel or the
    # sole under the arch, the surface bridging them places the axis and tells the side as a mesh would.
    refined, length_mm = orient_foot(vertices, options.side, np.eye(3))
    vertices, faces = _cut_leg(refined.apply(vertices), faces, options.cut_height * length_mm)
    distance_mm, _ = cKDTree(refined.apply(framed)).query(vertices, workers=-1)
    surface = FootSurface(vertices, faces, scanned_mask=np.asarray(distance_mm <= _SCANNED_WITHIN_MM))
    return rough.then(refined), length_mm, surface


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

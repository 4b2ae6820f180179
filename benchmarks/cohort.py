"""Synthetic cohorts of real-shaped feet, and the scans real scanners would make of them.

A cohort foot is a real foot deformed to the sizes of a real person (ANSUR II rows; the deformation is
``lasts.deformation``): the FIND template (a complete foot with its lower shin) or dupontgu's left foot (a
consumer scan: cut flat about 100 mm up, sole flattened on the glass, coarse facets). Its truth is the clean
generated foot measured in its known frame (``clean_truth``). Its scans are that foot with one of the
artefacts real scanners make (``ARTEFACTS``, from ``benchmarks.scan_artefacts``), then moved, rotated,
put in some unit and saved in some format (``artefact_scan``). Used by the scan, last and flattening
benchmarks and by last-fitting tests.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field, is_dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, cast

import numpy as np
import trimesh
from scipy.spatial import ConvexHull
from scipy.spatial.transform import Rotation

from benchmarks import scan_artefacts as artefacts
from benchmarks.scan_artefacts import SurfaceMesh
from geometry.exchange.meshes import read_mesh
from geometry.meshes import keep_faces, weld_vertices
from lasts.deformation import FootTargets, GeneratedFoot, deform_template, measured_template
from lasts.landmarks import find_landmarks
from lasts.measurements import measure_foot
from lasts.orientation import orient_foot, resting_facet_normal
from lasts.scans import CleanupReport, IngestOptions, MeasuredFoot, ScanSummary, ingest_scan
from lasts.side import Side
from lasts.surface import FootSurface
from lasts.units import MM_PER_UNIT, Unit, UnitDecision


def read_ansur_targets(path: Path) -> list[FootTargets]:
    with path.open(newline="") as handle:
        return [
            FootTargets(
                subject=row["subjectid"],
                sex=row["sex"],
                foot_length_mm=float(row["footlength"]),
                ball_width_mm=float(row["footbreadthhorizontal"]),
                ball_girth_mm=float(row["balloffootcircumference"]),
                ball_length_mm=float(row["balloffootlength"]),
                heel_width_mm=float(row["heelbreadth"]),
            )
            for row in csv.DictReader(handle)
        ]


@dataclass(frozen=True)
class ScanVariant:
    """A generated foot as a scanner might deliver it, and what a reader of the file should find."""

    kind: str  # "mesh" or "cloud"
    filename: str
    data: bytes
    unit: Unit | None  # None: the file's units are none of them (unscaled photogrammetry)
    side: str | None  # the side of the foot the file shows; None when it holds no single foot
    artefact: str = "clean"
    expect_refusal: bool = False  # no foot can be measured from it: it must be refused, with a reason
    parameters: dict[str, object] = field(default_factory=dict)
    known_length_mm: float | None = None  # the foot's length the customer gives with the file (a ruler's)


def _pose(points_mm: np.ndarray, rng: np.random.Generator, unit: Unit, mirrored: bool) -> np.ndarray:
    points = points_mm * np.array([1.0, -1.0 if mirrored else 1.0, 1.0])
    rotation = Rotation.random(random_state=rng).as_matrix()
    shift = rng.uniform(-500.0, 500.0, size=3)
    return (points @ rotation.T + shift) / MM_PER_UNIT[unit]


def mesh_variant(foot: GeneratedFoot, rng: np.random.Generator) -> ScanVariant:
    """Moved, rotated, in random units, mirrored half the time; saved as binary STL, PLY or OBJ."""
    unit: Unit = rng.choice(["mm", "cm", "m", "in"])
    mirrored = bool(rng.random() < 0.5)
    faces = foot.faces[:, ::-1] if mirrored else foot.faces  # keep normals outward after mirroring
    posed = _pose(foot.vertices, rng, unit, mirrored)
    file_type = str(rng.choice(["stl", "ply", "obj"]))
    data = mesh_file_bytes(posed, faces, file_type)
    return ScanVariant("mesh", f"foot.{file_type}", data, unit, "right" if mirrored else "left")


def cloud_variant(
    foot: GeneratedFoot,
    rng: np.random.Generator,
    points: int = 200_000,
    noise_mm: float = 0.5,
    missing_fraction: float = 0.10,
    outlier_fraction: float = 0.01,
) -> ScanVariant:
    """A point cloud: sampled on the surface, Gaussian noise, patches of surface missing, outliers; posed."""
    mesh = trimesh.Trimesh(foot.vertices, foot.faces, process=False)
    cloud = np.asarray(
        trimesh.sample.sample_surface(mesh, int(points / (1 - missing_fraction)), seed=rng.integers(1 << 31))[0]
    )
    cloud = cloud + rng.normal(0.0, noise_mm, size=cloud.shape)
    # Remove patches around random surface points until the missing fraction is reached.
    keep = np.ones(len(cloud), dtype=bool)
    while (~keep).mean() < missing_fraction:
        centre = cloud[rng.integers(len(cloud))]
        radius = rng.uniform(5.0, 15.0)
        keep &= np.linalg.norm(cloud - centre, axis=1) > radius
    cloud = cloud[keep]
    low, high = cloud.min(axis=0), cloud.max(axis=0)
    span = high - low
    outliers = rng.uniform(low - 0.1 * span, high + 0.1 * span, size=(int(outlier_fraction * len(cloud)), 3))
    cloud = np.vstack([cloud, outliers])
    unit: Unit = rng.choice(["mm", "cm", "m", "in"])
    mirrored = bool(rng.random() < 0.5)
    posed = _pose(cloud, rng, unit, mirrored)
    buffer = io.StringIO()
    np.savetxt(buffer, posed, fmt="%.7g")
    return ScanVariant("cloud", "foot.xyz", buffer.getvalue().encode(), unit, "right" if mirrored else "left")


def mesh_file_bytes(vertices: np.ndarray, faces: np.ndarray, file_type: str) -> bytes:
    """The mesh as a scanner's file (trimesh's exporters return text for the text formats)."""
    data = trimesh.Trimesh(vertices, faces, process=False).export(file_type=file_type)
    return data.encode() if isinstance(data, str) else cast(bytes, data)


def dense_template_mesh(template_path: Path, faces: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """The template subdivided once and decimated to ``faces`` faces, as dense as a scanner's mesh: (n, 3) float
    vertices in the template's units, (m, 3) int faces."""
    import open3d as o3d

    template = cast(trimesh.Trimesh, trimesh.load(template_path, process=False, force="mesh"))
    dense = o3d.geometry.TriangleMesh(
        o3d.utility.Vector3dVector(np.asarray(template.vertices)),
        o3d.utility.Vector3iVector(np.asarray(template.faces)),
    ).subdivide_loop(1)
    decimated = dense.simplify_quadric_decimation(faces)
    return np.asarray(decimated.vertices), np.asarray(decimated.triangles)


def measured_cohort_foot(template_path: Path, targets: FootTargets, seed: int) -> MeasuredFoot:
    """A cohort foot: the template deformed to ``targets`` (``seed`` fixes its bumps), measured clean
    (mm, left foot, in its measuring frame): the truth the benchmarks compare against."""
    foot = deform_template(measured_template(template_path), targets, np.random.default_rng(seed))
    data = mesh_file_bytes(foot.vertices, foot.faces, "ply")
    return ingest_scan(data, "cohort-foot.ply", IngestOptions(units="mm", side=Side.LEFT))


def abs_stats(values: list[float]) -> dict[str, float | int]:
    """n, p50, p95 and max of the absolute values (mm or s): how the cohort benchmarks report errors."""
    data = np.abs(np.asarray(values, dtype=np.float64))
    if len(data) == 0:
        return {"n": 0}
    return {
        "n": len(data),
        "p50": round(float(np.percentile(data, 50)), 3),
        "p95": round(float(np.percentile(data, 95)), 3),
        "max": round(float(data.max()), 3),
    }


# --- Base feet: the real feet a cohort is deformed from ------------------------------------------------

BaseFoot = Literal["find", "dupontgu"]
BASE_FEET: tuple[BaseFoot, ...] = ("find", "dupontgu")
REAL_FOOT_FILES: dict[BaseFoot, str] = {"find": "feet/find_template.obj", "dupontgu": "feet/dupontgu_left_foot.stl"}
# Each real file's axes (shared/data/README.md), rows x (heel to toe), y, z (up) in file coordinates:
# FIND is +x heel to toe, +z up; dupontgu's toes point to −y, +z up (its sole lies on the scanner's glass).
REAL_FOOT_AXES: dict[BaseFoot, np.ndarray] = {
    "find": np.eye(3),
    "dupontgu": np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
}
# Both real files are in metres, and both are left feet.
REAL_FOOT_MM_PER_UNIT = 1000.0
# dupontgu's scanner pressed the sole flat on its glass: the foot's own arch height is not in the file.
SOLE_PRESSED: frozenset[BaseFoot] = frozenset({"dupontgu"})


def resting_axes(vertices_mm: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """``axes`` (rows x, y, z) with z made the normal of the plane the foot rests on when set down near
    their up (the hull facet under its centroid, as gravity would), x kept along the foot."""
    up = -resting_facet_normal(ConvexHull(vertices_mm), -axes[2])
    along = axes[0] - (axes[0] @ up) * up
    along /= np.linalg.norm(along)
    return np.vstack([along, np.cross(up, along), up])


def framed_surface(framed_mm: np.ndarray, faces: np.ndarray, cut_height_mm: float) -> FootSurface:
    """A surface already in its measuring frame, the leg above the cut height dropped (whole faces), as
    ingest cuts it."""
    return FootSurface(*keep_faces(framed_mm, faces, framed_mm[faces, 2].max(axis=1) <= cut_height_mm))


def measure_in_frame(
    vertices_mm: np.ndarray,
    faces: np.ndarray,
    filename: str,
    axes: np.ndarray | None = None,
    cut_height: float = IngestOptions.cut_height,
) -> MeasuredFoot:
    """A left foot measured where its frame is known, not found: ``axes`` (3, 3) rows x (heel to toe), y, z
    (up) in the vertices' coordinates (the identity for a generated foot, already in its frame). The floor
    is the plane it rests on near that up (``resting_axes``); the axis is refined as ingest refines it (heel
    centre to 2nd toe). Then the same cut, landmarks and measurements as ``ingest_scan``: the truth does not
    depend on the scan reader telling up from down, which a capped low-cut scan can defeat."""
    frame, length_mm = orient_foot(
        vertices_mm, Side.LEFT, resting_axes(vertices_mm, np.eye(3) if axes is None else axes)
    )
    surface = framed_surface(frame.apply(vertices_mm), faces, cut_height * length_mm)
    landmarks = find_landmarks(surface, frame.medial_sign)
    low, high = vertices_mm.min(axis=0), vertices_mm.max(axis=0)
    return MeasuredFoot(
        summary=ScanSummary(
            filename=filename,
            format="generated",
            kind="mesh",
            size_bytes=0,
            sha256="",
            vertex_count=len(vertices_mm),
            face_count=len(faces),
            bbox_min=(float(low[0]), float(low[1]), float(low[2])),
            bbox_max=(float(high[0]), float(high[1]), float(high[2])),
        ),
        units=UnitDecision(unit="mm", mm_per_unit=1.0, detected=False),
        frame=frame,
        surface=surface,
        landmarks=landmarks,
        measurements=measure_foot(surface, landmarks),
        cleanup=CleanupReport(len(vertices_mm), len(surface.vertices), 0, 0, 0, False),
    )


def real_foot_mesh(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A real foot file's vertices (mm, the file's axes) and faces, read as ingest reads it (welded)."""
    mesh = read_mesh(path.read_bytes(), path.name)
    vertices, faces = weld_vertices(mesh.vertices, mesh.faces)
    return vertices * REAL_FOOT_MM_PER_UNIT, faces


def real_foot_in_frame(path: Path, base: BaseFoot) -> MeasuredFoot:
    """A real foot file measured in its known axes (``REAL_FOOT_AXES``): what is known of it."""
    vertices, faces = real_foot_mesh(path)
    return measure_in_frame(vertices, faces, path.name, REAL_FOOT_AXES[base])


@lru_cache(maxsize=4)
def base_foot(path: Path, base: BaseFoot) -> MeasuredFoot:
    """A real foot to deform (the file at ``path``), measured once per process in its frame. FIND: read
    blind by ingest, as the cohorts always were; dupontgu: in its file's known axes (ingest can stand it on
    its flat cap)."""
    return measured_template(path) if base == "find" else real_foot_in_frame(path, base)


def generate_foot(path: Path, base: BaseFoot, targets: FootTargets, seed: int) -> GeneratedFoot:
    """The real foot at ``path`` deformed to ``targets`` (``seed`` fixes its bumps): mm, left, in its
    measuring frame."""
    return deform_template(base_foot(path, base), targets, np.random.default_rng(seed))


# A truth girth that changes by more than this when the scan's top is lowered depends on where the scan
# stops, not on the foot: it is no truth (mm).
_TOP_SENSITIVE_MM = 0.5
_TOP_PROBE_MM = 5.0
GIRTHS = (
    "ball_girth_mm",
    "instep_girth_mm",
    "waist_girth_mm",
    "long_heel_girth_mm",
    "short_heel_girth_mm",
    "ankle_girth_mm",
)


def clean_truth(
    vertices_mm: np.ndarray, faces: np.ndarray, axes: np.ndarray | None = None, sole_pressed: bool = False
) -> dict[str, float | None]:
    """A foot's measurements before any artefact (clean, uncut, in its known frame; ``axes`` as for
    ``measure_in_frame``): the truth scans of it are compared with. A girth that changes when the foot's
    top is cut 5 mm lower (the leg's top, or dupontgu's cap) is measured on the top, not the foot: ``None``;
    so is the arch height of a foot whose sole its scanner pressed flat (``sole_pressed``)."""
    measured = measure_in_frame(vertices_mm, faces, "truth", axes)
    truth = measured.measurements.values()
    # The lowered foot is measured in the same frame (finding the frame again would move it a little).
    framed = SurfaceMesh(measured.frame.apply(vertices_mm), faces)
    top = float(framed.vertices[:, 2].max())
    lower = artefacts.cut_low(framed, artefacts.LowCut(height_mm=top - _TOP_PROBE_MM, capped=True))
    surface = framed_surface(
        lower.vertices, lower.faces, IngestOptions.cut_height * measured.measurements.foot_length_mm
    )
    probe = measure_foot(surface, find_landmarks(surface, measured.frame.medial_sign)).values()
    for name in GIRTHS:
        value, lowered = truth[name], probe[name]
        if value is not None and (lowered is None or abs(lowered - value) > _TOP_SENSITIVE_MM):
            truth[name] = None
    if sole_pressed:
        truth["arch_height_mm"] = None
    return truth


# --- Scans of a generated foot: artefacts, then pose, units and format -------------------------------------

Expectation = Literal["measure", "refuse"]


@dataclass(frozen=True)
class ArtefactKind:
    """One thing real scanners do, as the benchmark applies it."""

    name: str
    what: str
    expect: Expectation
    low_cut: bool = False  # the scan stops below the ankle: girths above the cut can only be estimated
    bases: tuple[BaseFoot, ...] = BASE_FEET  # the base feet it applies to


ARTEFACTS: dict[str, ArtefactKind] = {
    kind.name: kind
    for kind in (
        ArtefactKind("clean", "the generated foot, only moved, rotated, re-unitted and re-saved", "measure"),
        ArtefactKind("cut_low", "cut flat 60–120 mm above the floor, capped or open", "measure", low_cut=True),
        ArtefactKind("flattened_sole", "sole pressed 2–6 mm flat on glass, spread 0.5–2.5 mm", "measure"),
        ArtefactKind("leg", "the leg scanned up to 250–450 mm, widening to the calf", "measure", bases=("find",)),
        ArtefactKind("mirrored", "exported as its mirror image: the file holds a right foot", "measure"),
        ArtefactKind("two_feet", "left and right in one file, 5–15 cm apart, turned", "refuse"),
        ArtefactKind("phone_noise", "coarse remesh 2.5–4 mm, σ 0.5–1.5 mm, spikes, debris", "measure"),
        ArtefactKind("holes", "1–5 % of faces missing at the toe tip, heel back or arch", "measure"),
        ArtefactKind("unscaled", "photogrammetry: 0.5–60 arbitrary units long", "refuse"),
        ArtefactKind("unscaled_known_length", "the same, with the foot's length given (a ruler's)", "measure"),
        ArtefactKind("cloud", "points with σ 0.5 mm, 10 % missing, 1 % outliers", "measure"),
        ArtefactKind("consumer_scan", "cut low, flattened, phone noise, a hole half the time", "measure", low_cut=True),
        ArtefactKind("foam_imprint", "a foam box with the sole's imprint (its negative)", "refuse"),
        ArtefactKind("shoe_box", "a closed box the size of a shoe", "refuse"),
        ArtefactKind("sphere", "a sphere 80–300 mm across", "refuse"),
    )
}


def posed_file(
    surface: SurfaceMesh, rng: np.random.Generator, unit: Unit | None, file_type: str, mirrored: bool = False
) -> bytes:
    """The surface (mm, or file units when ``unit`` is None) turned randomly, moved up to half a metre
    (or as far in file units), in ``unit``, saved as ``file_type``; ``mirrored`` flips y first."""
    points = surface.vertices * np.array([1.0, -1.0 if mirrored else 1.0, 1.0])
    faces = surface.faces[:, ::-1] if mirrored else surface.faces
    rotation = Rotation.random(random_state=rng).as_matrix()
    reach = 500.0 if unit is not None else 2.0 * surface.length_mm
    points = points @ rotation.T + rng.uniform(-reach, reach, size=3)
    if unit is not None:
        points = points / MM_PER_UNIT[unit]
    if len(faces):
        return mesh_file_bytes(points, faces, file_type)
    buffer = io.StringIO()
    np.savetxt(buffer, points, fmt="%.7g")
    return buffer.getvalue().encode()


def _consumer_scan(surface: SurfaceMesh, rng: np.random.Generator) -> tuple[SurfaceMesh, dict[str, object]]:
    """What dupontgu's scanner did, all at once: cut low (80–120 mm), flattened on glass, remeshed coarse and
    noisy, and half the time a hole."""
    cut = artefacts.LowCut(height_mm=float(rng.uniform(80.0, 120.0)), capped=bool(rng.random() < 0.7))
    flat = artefacts.SoleFlattening.sample(rng)
    noise = artefacts.PhoneNoise.sample(rng)
    hole = artefacts.Hole.sample(rng) if rng.random() < 0.5 else None
    scan = artefacts.flatten_sole(artefacts.cut_low(surface, cut), flat)
    if hole is not None:
        scan = artefacts.punch_hole(scan, hole)
    scan = artefacts.phone_noise(scan, noise)
    return scan, {"cut": asdict(cut), "flattening": asdict(flat), "noise": asdict(noise),
                  "hole": asdict(hole) if hole else None}  # fmt: skip


def artefact_scan(
    name: str,
    foot: GeneratedFoot,
    rng: np.random.Generator,
    cloud_points: int = 200_000,
    foot_length_mm: float | None = None,
) -> ScanVariant:
    """The scan file a scanner with artefact ``name`` (``ARTEFACTS``) makes of a generated foot, posed in
    a random pose, unit (mm, cm, m, in) and format (STL, PLY, OBJ; XYZ for a cloud). ``foot_length_mm``:
    the clean foot's length, which the customer gives with an unscaled scan (``unscaled_known_length``)."""
    kind = ARTEFACTS[name]
    surface = SurfaceMesh(foot.vertices, foot.faces)
    if name == "cloud":
        cloud = cloud_variant(foot, rng, points=cloud_points)
        return ScanVariant("cloud", cloud.filename, cloud.data, cloud.unit, cloud.side, name)
    parameters: object = None
    side: str | None = "left"
    unit: Unit | None = cast(Unit, str(rng.choice(["mm", "cm", "m", "in"])))
    if name == "clean":
        scan = surface
    elif name == "cut_low":
        parameters = artefacts.LowCut.sample(rng)
        scan = artefacts.cut_low(surface, parameters)
    elif name == "flattened_sole":
        parameters = artefacts.SoleFlattening.sample(rng)
        scan = artefacts.flatten_sole(surface, parameters)
    elif name == "leg":
        parameters = artefacts.Leg.sample(rng)
        scan = artefacts.include_leg(surface, parameters)
    elif name == "mirrored":
        scan, side = artefacts.mirror_export(surface), "right"
    elif name == "two_feet":
        parameters = artefacts.TwoFeet.sample(rng)
        scan, side = artefacts.two_feet(surface, artefacts.mirror_export(surface), parameters), None
    elif name == "phone_noise":
        parameters = artefacts.PhoneNoise.sample(rng)
        scan = artefacts.phone_noise(surface, parameters)
    elif name == "holes":
        parameters = artefacts.Hole.sample(rng)
        scan = artefacts.punch_hole(surface, parameters)
    elif name in ("unscaled", "unscaled_known_length"):
        parameters = artefacts.PhotogrammetryScale.sample(rng)
        scan, unit = artefacts.rescale(surface, parameters), None
    elif name == "consumer_scan":
        scan, parameters = _consumer_scan(surface, rng)
    elif name == "foam_imprint":
        parameters = artefacts.FoamImprint.sample(rng)
        scan, side = artefacts.foam_imprint(surface, parameters), None
    elif name == "shoe_box":
        parameters = artefacts.ShoeBox.sample(rng, surface.length_mm)
        scan, side = artefacts.shoe_box(parameters), None
    elif name == "sphere":
        parameters = artefacts.Sphere.sample(rng)
        scan, side = artefacts.sphere(parameters), None
    else:
        raise ValueError(f"unknown artefact {name!r}; known: {', '.join(ARTEFACTS)}")
    file_type = str(rng.choice(["stl", "ply", "obj"]))
    return ScanVariant(
        kind="mesh", filename=f"scan.{file_type}", data=posed_file(scan, rng, unit, file_type), unit=unit,
        side=side, artefact=name, expect_refusal=kind.expect == "refuse", parameters=_described(parameters),
        known_length_mm=foot_length_mm if name == "unscaled_known_length" else None,
    )  # fmt: skip


def _described(parameters: object) -> dict[str, object]:
    """An artefact's parameters for the report (a parameter record, or several already described)."""
    if isinstance(parameters, dict):
        return parameters
    if is_dataclass(parameters) and not isinstance(parameters, type):
        return asdict(parameters)
    return {}

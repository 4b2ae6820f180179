"""Synthetic cohorts of real-shaped feet: the FIND template foot, smoothly deformed to the sizes of real
people (ANSUR II rows), and scan-like variants of each (moved, rotated, re-unitted, mirrored, or sampled as
a noisy, holed point cloud with outliers). Used by the scan benchmark and by last-fitting tests.

The deformation, in the measuring frame of the template (mm):
- x: a smooth monotone quadratic through (0, 0), (ball length) and (foot length) of the target;
- y: a width scale that blends from the heel-width ratio at the heel to the ball-width ratio at the ball;
- z: one height scale, solved so the ball girth hits the target;
- plus a few smooth Gaussian bumps along the surface normals (about ±1.5 mm) so no two feet share a shape.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import trimesh
from scipy.optimize import brentq
from scipy.spatial.transform import Rotation

from geometry.sections import hull_perimeter_mm, mesh_plane_section
from lasts.scans import IngestOptions, MeasuredFoot, ingest_scan
from lasts.units import MM_PER_UNIT, Unit


@dataclass(frozen=True)
class FootTargets:
    """Sizes of one real person's foot (ANSUR II), mm."""

    subject: str
    sex: str
    foot_length_mm: float
    ball_width_mm: float
    ball_girth_mm: float
    ball_length_mm: float
    heel_width_mm: float


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
class GeneratedFoot:
    """A deformed template in the measuring frame (mm, left foot)."""

    targets: FootTargets
    vertices: np.ndarray
    faces: np.ndarray


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3 - 2 * t)


def deform_template(
    template: MeasuredFoot, targets: FootTargets, rng: np.random.Generator, bump_sigma_mm: float = 1.5
) -> GeneratedFoot:
    v = template.surface.vertices.copy()
    faces = template.surface.faces
    m0 = template.measurements
    length0, ball0 = m0.foot_length_mm, m0.ball_length_mm
    # x' = a x + b x^2 through (ball0 -> target ball length) and (length0 -> target length).
    matrix = np.array([[ball0, ball0**2], [length0, length0**2]])
    a, b = np.linalg.solve(matrix, [targets.ball_length_mm, targets.foot_length_mm])
    x = v[:, 0]
    heel_ratio = targets.heel_width_mm / m0.heel_width_mm
    ball_ratio = targets.ball_width_mm / m0.ball_width_mm
    blend = _smoothstep((x - 0.15 * length0) / (ball0 - 0.15 * length0))
    v[:, 1] *= heel_ratio + (ball_ratio - heel_ratio) * blend
    v[:, 0] = a * x + b * x * x
    # Smooth bumps along the normals make every foot different.
    normals = trimesh.Trimesh(v, faces, process=False).vertex_normals
    for _ in range(4 if bump_sigma_mm > 0 else 0):
        centre = v[rng.integers(len(v))]
        weight = np.exp(-np.sum((v - centre) ** 2, axis=1) / (2 * 30.0**2))
        v += normals * (weight * rng.normal(0.0, bump_sigma_mm))[:, None]
    # Height scale for the ball girth, on the template's ball plane carried through the deformation.
    mtp1 = template.landmarks.mtp1.copy()
    mtp5 = template.landmarks.mtp5.copy()
    for p in (mtp1, mtp5):
        p[1] *= heel_ratio + (ball_ratio - heel_ratio) * _smoothstep((p[0] - 0.15 * length0) / (ball0 - 0.15 * length0))
        p[0] = a * p[0] + b * p[0] ** 2
    normal = np.cross(mtp5 - mtp1, [0.0, 0.0, 1.0])
    normal /= np.linalg.norm(normal)
    floor = v[:, 2].min()

    def girth_error(scale_z: float) -> float:
        scaled = v.copy()
        scaled[:, 2] = floor + (scaled[:, 2] - floor) * scale_z
        section = mesh_plane_section(scaled, faces, mtp1, normal).reshape(-1, 3)
        return hull_perimeter_mm(section, mtp1, normal) - targets.ball_girth_mm

    try:
        scale_z = brentq(girth_error, 0.5, 2.0, xtol=1e-4)
    except ValueError:  # target girth out of reach of a plausible height scale: keep the closest end
        scale_z = 0.5 if abs(girth_error(0.5)) < abs(girth_error(2.0)) else 2.0
    v[:, 2] = floor + (v[:, 2] - floor) * scale_z
    return GeneratedFoot(targets=targets, vertices=v, faces=faces)


@dataclass(frozen=True)
class ScanVariant:
    """A generated foot as a scanner might deliver it."""

    kind: str  # "mesh" or "cloud"
    filename: str
    data: bytes
    unit: Unit
    side: str


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
    mesh = trimesh.Trimesh(_pose(foot.vertices, rng, unit, mirrored), faces, process=False)
    file_type = str(rng.choice(["stl", "ply", "obj"]))
    data = mesh.export(file_type=file_type)
    data = data.encode() if isinstance(data, str) else data
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


@lru_cache(maxsize=2)
def measured_template(path: Path) -> MeasuredFoot:
    """The template foot, read and measured once per process (the cohort benchmarks' workers share it)."""
    return ingest_scan(path.read_bytes(), path.name)


def measured_cohort_foot(template_path: Path, targets: FootTargets, seed: int) -> MeasuredFoot:
    """A cohort foot: the template deformed to ``targets`` (``seed`` fixes its bumps), measured clean
    (mm, left foot, in its measuring frame): the truth the benchmarks compare against."""
    foot = deform_template(measured_template(template_path), targets, np.random.default_rng(seed))
    data = trimesh.Trimesh(foot.vertices, foot.faces, process=False).export(file_type="ply")
    return ingest_scan(data, "cohort-foot.ply", IngestOptions(units="mm", side="left"))


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

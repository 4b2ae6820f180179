"""Synthetic cohorts of real-shaped feet: the FIND template foot, deformed to the sizes of real people
(ANSUR II rows; the deformation is ``lasts.deformation``), and scan-like variants of each (moved, rotated,
re-unitted, mirrored, or sampled as a noisy, holed point cloud with outliers). Used by the scan, last and
flattening benchmarks and by last-fitting tests.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from lasts.deformation import FootTargets, GeneratedFoot, deform_template, measured_template
from lasts.scans import IngestOptions, MeasuredFoot, ingest_scan
from lasts.side import Side
from lasts.units import MM_PER_UNIT, Unit


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

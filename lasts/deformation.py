"""The FIND template foot smoothly deformed to another foot's sizes (mm, in the template's measuring frame):
the feet typed measurements describe (``lasts.typed_foot``), and the benchmarks' cohorts of real people's
sizes (``benchmarks.cohort``).

- x: a smooth monotone quadratic through (0, 0), (ball length) and (foot length) of the target;
- y: a width scale that blends from the heel-width ratio at the heel to the ball-width ratio at the ball;
- z: one height scale, solved so the ball girth hits the target;
- plus a few smooth Gaussian bumps along the surface normals (about ±1.5 mm) so no two feet share a shape
  (none for a typed foot).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import trimesh
from scipy.optimize import brentq

from geometry.sections import hull_perimeter_mm, mesh_plane_section
from lasts.scans import MeasuredFoot, ingest_scan


@dataclass(frozen=True)
class FootTargets:
    """Sizes of one foot (an ANSUR II row, or typed measurements), mm."""

    subject: str
    sex: str
    foot_length_mm: float
    ball_width_mm: float
    ball_girth_mm: float
    ball_length_mm: float
    heel_width_mm: float


@dataclass(frozen=True)
class GeneratedFoot:
    """A deformed template in the measuring frame (mm, left foot)."""

    targets: FootTargets
    vertices: np.ndarray
    faces: np.ndarray


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    smooth: np.ndarray = t * t * (3 - 2 * t)
    return smooth


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


@lru_cache(maxsize=2)
def measured_template(path: Path) -> MeasuredFoot:
    """The template foot, read and measured once per process (the cohort benchmarks' workers share it)."""
    return ingest_scan(path.read_bytes(), path.name)

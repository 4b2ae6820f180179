"""A foot from typed measurements (no scan): the FIND template foot deformed to the customer's foot length,
ball girth and ball width, the rest in the template's proportions, as a mesh the scan pipeline reads like any
scan. The deformation is the one the benchmarks' cohorts use (``lasts.deformation``), without its random bumps."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from geometry.errors import InputError
from lasts.deformation import FootTargets, deform_template, measured_template
from lasts.side import Side

# What a human foot can measure (mm): a child's EU 20 to past EU 52, girth and width in step with length.
PLAUSIBLE_MM = {
    "foot_length_mm": (120.0, 340.0),
    "ball_girth_mm": (120.0, 340.0),
    "ball_width_mm": (50.0, 140.0),
}
GIRTH_PER_LENGTH = (0.75, 1.30)  # ball girth ÷ foot length across ANSUR II, with a margin
WIDTH_PER_GIRTH = (0.33, 0.45)


class TypedMeasurementError(InputError):
    """Typed measurements no foot has (a value out of range, or values that contradict each other)."""

    code = "impossible_measurements"


@dataclass(frozen=True)
class TypedFoot:
    side: Side
    foot_length_mm: float
    ball_girth_mm: float
    ball_width_mm: float | None = None  # None: in the template's proportion to the girth


def check_typed_foot(foot: TypedFoot) -> None:
    if foot.side not in ("left", "right"):
        raise TypedMeasurementError(f"side {foot.side!r}: left or right", field="side")
    values: Mapping[str, float | None] = {"foot_length_mm": foot.foot_length_mm, "ball_girth_mm": foot.ball_girth_mm,
                                          "ball_width_mm": foot.ball_width_mm}  # fmt: skip
    for key, value in values.items():
        if value is None:
            continue
        low, high = PLAUSIBLE_MM[key]
        if not np.isfinite(value) or not low <= value <= high:
            raise TypedMeasurementError(f"{key} {value} mm is not a human foot's ({low:g}–{high:g} mm)", field=key)
    ratio = foot.ball_girth_mm / foot.foot_length_mm
    if not GIRTH_PER_LENGTH[0] <= ratio <= GIRTH_PER_LENGTH[1]:
        raise TypedMeasurementError(
            f"a ball girth of {foot.ball_girth_mm:g} mm does not go with a foot {foot.foot_length_mm:g} mm long "
            f"(girth ÷ length {ratio:.2f}; feet measure {GIRTH_PER_LENGTH[0]}–{GIRTH_PER_LENGTH[1]})",
            field="ball_girth_mm",
        )  # fmt: skip
    if foot.ball_width_mm is not None:
        ratio = foot.ball_width_mm / foot.ball_girth_mm
        if not WIDTH_PER_GIRTH[0] <= ratio <= WIDTH_PER_GIRTH[1]:
            raise TypedMeasurementError(
                f"a ball width of {foot.ball_width_mm:g} mm does not go with a ball girth of "
                f"{foot.ball_girth_mm:g} mm (width ÷ girth {ratio:.2f}; feet measure "
                f"{WIDTH_PER_GIRTH[0]}–{WIDTH_PER_GIRTH[1]})", field="ball_width_mm",
            )  # fmt: skip


def typed_foot_mesh(foot: TypedFoot, template_path: Path) -> bytes:
    """The foot as a binary PLY (mm; the requested side), ready for ``lasts.scans.ingest_scan``."""
    check_typed_foot(foot)
    template = measured_template(template_path)
    m0 = template.measurements
    scale = foot.foot_length_mm / m0.foot_length_mm
    width = foot.ball_width_mm or m0.ball_width_mm * foot.ball_girth_mm / m0.ball_girth_mm
    targets = FootTargets(
        subject="typed", sex="", foot_length_mm=foot.foot_length_mm, ball_width_mm=width,
        ball_girth_mm=foot.ball_girth_mm, ball_length_mm=m0.ball_length_mm * scale,
        heel_width_mm=m0.heel_width_mm * width / m0.ball_width_mm,
    )  # fmt: skip
    made = deform_template(template, targets, np.random.default_rng(0), bump_sigma_mm=0.0)
    vertices, faces = made.vertices, made.faces  # the template's side, in its measuring frame
    if foot.side != template.side:
        vertices = vertices * np.array([1.0, -1.0, 1.0])
        faces = faces[:, ::-1]  # a mirror turns the surface inside out: keep the normals outward
    buffer = io.BytesIO()
    trimesh.Trimesh(vertices, faces, process=False).export(buffer, file_type="ply")
    return buffer.getvalue()

"""A foot from typed measurements (no scan): the FIND template foot deformed to the customer's foot length,
ball girth and ball width, the rest in the template's proportions, as a mesh the scan pipeline reads like any
scan. The deformation is the one the benchmarks' cohorts use (``lasts.deformation``), without its random bumps.

What was typed is checked against the one table of what feet measure (``lasts.plausibility``); once measured,
the girths the foot took from the template are estimates, not the customer's measurements
(``typed_foot_measurements``)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from geometry.errors import InputError
from lasts.completion import ESTIMABLE
from lasts.deformation import FootTargets, deform_template, measured_template
from lasts.foot_population import foot_population
from lasts.measurements import Estimate, EstimateMethod, EstimateReason, Measurements
from lasts.plausibility import measurement_words, plausible_shares
from lasts.side import Side

# A foot length one can type (mm): a child's EU 20 to past EU 52. The other values are checked as shares of it.
FOOT_LENGTH_MM = (120.0, 340.0)


class TypedMeasurementError(InputError):
    """Typed measurements no foot has (a value out of range, or values that contradict each other)."""

    code = "impossible_measurements"


@dataclass(frozen=True)
class TypedFoot:
    side: Side
    foot_length_mm: float
    ball_girth_mm: float
    ball_width_mm: float | None = None  # None: in the template's proportion to the girth

    def to_dict(self) -> dict[str, Any]:
        return {"side": str(self.side), "foot_length_mm": self.foot_length_mm, "ball_girth_mm": self.ball_girth_mm,
                "ball_width_mm": self.ball_width_mm}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TypedFoot:
        width = data.get("ball_width_mm")
        return cls(Side(data["side"]), float(data["foot_length_mm"]), float(data["ball_girth_mm"]),
                   None if width is None else float(width))  # fmt: skip


def check_typed_foot(foot: TypedFoot) -> None:
    """Refuse typed values no foot has: a foot length out of ``FOOT_LENGTH_MM``, a ball girth or width whose
    share of it is out of the range ``lasts.plausibility.plausible_shares`` gives (``TypedMeasurementError``
    naming the field)."""
    if foot.side not in ("left", "right"):
        raise TypedMeasurementError(f"side {foot.side!r}: left or right", field="side")
    length = foot.foot_length_mm
    low, high = FOOT_LENGTH_MM
    if not np.isfinite(length) or not low <= length <= high:
        raise TypedMeasurementError(f"foot_length_mm {length} mm is not a human foot's ({low:g}–{high:g} mm)",
                                    field="foot_length_mm")  # fmt: skip
    shares = plausible_shares()
    typed: Mapping[str, float | None] = {"ball_girth_mm": foot.ball_girth_mm, "ball_width_mm": foot.ball_width_mm}
    for key, value in typed.items():
        if value is None:
            continue
        bounds = shares[key]
        share = value / length if np.isfinite(value) else float("nan")
        if not bounds.low <= share <= bounds.high:  # NaN fails this too
            raise TypedMeasurementError(
                f"a {measurement_words(key)} of {value:g} mm does not go with a foot {length:g} mm long ({share:.0%} "
                f"of it; feet measure {bounds.low:.0%}–{bounds.high:.0%})", field=key,
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


def typed_foot_measurements(measured: Measurements) -> Measurements:
    """A typed foot's measurements as they are known. Its girths other than the ball's (the heel girths, instep,
    waist and ankle: ``lasts.completion.ESTIMABLE``) are the template's, made to the typed values: estimates
    (``find_template_ratio``, reason ``not_typed``), with the 95 % error such a one-foot proportion makes. Its
    lengths, widths and heights, also in the template's proportions, stay values (nothing models them better)."""
    p95 = foot_population().template.p95_relative_error
    values = dict(measured.values_mm)
    estimated = dict(measured.estimated)
    for key in ESTIMABLE:
        value = values[key]
        if value is not None:
            estimated[key] = Estimate(round(value, 1), round(p95 * value, 1), EstimateMethod.TEMPLATE_RATIO,
                                      EstimateReason.NOT_TYPED)  # fmt: skip
            values[key] = None
    return Measurements(measured.side, values, estimated, measured.warnings)

"""Foot scans: the scan with its side, units, measurements, estimates and file summary (``ScanOut``), and a foot
typed by hand (``TypedMeasurementsIn``)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, EmailStr, Field

from lasts.measurements import Estimate, EstimateMethod, EstimateReason, Measurements
from lasts.side import Side
from manufacturing.db.models import FootScan
from web.api.schemas.common import FootMillimetres, SometimesKeyed


class ScanSummaryOut(SometimesKeyed):
    """The scan file in its own units (before conversion to mm); empty until the scan is measured."""

    keyed_when_given: ClassVar[frozenset[str]] = frozenset(
        {"filename", "format", "kind", "size_bytes", "sha256", "vertex_count", "face_count", "bbox_min", "bbox_max"}
    )

    filename: str | None = None
    format: str | None = None
    kind: Literal["mesh", "point_cloud"] | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    vertex_count: int | None = None
    face_count: int | None = None
    bbox_min: tuple[float, float, float] | None = Field(None, description="Bounding box corner, file units.")
    bbox_max: tuple[float, float, float] | None = Field(None, description="Bounding box corner, file units.")


class EstimateOut(BaseModel):
    """A measurement the scan does not give, estimated: never a measured value (docs/measurements.md)."""

    value_mm: float
    uncertainty_95_mm: float = Field(description="Half-width of the 95 % interval, mm: the value is ± this.")
    method: EstimateMethod = Field(
        description="ansur_ii_regression: regression on 6,068 people of ANSUR II; find_template_ratio: the FIND "
        "template foot's proportion to a measured girth."
    )
    reason: EstimateReason = Field(
        description="not_in_scan: the scan stops below it; hole_in_scan: its tape would span a hole; implausible: "
        "measured out of human range on a partial scan."
    )

    @classmethod
    def of(cls, estimate: Estimate) -> EstimateOut:
        return cls(value_mm=round(estimate.value_mm, 1), uncertainty_95_mm=round(estimate.uncertainty_95_mm, 1),
                   method=estimate.method, reason=estimate.reason)  # fmt: skip


class ScanOut(BaseModel):
    id: int
    original_filename: str
    sha256: str
    size_bytes: int
    side: Side | None = Field(description="Null until the scan is measured.")
    units_detected: str | None
    measurements: dict[str, float | None] = Field(
        description="Every measurement in mm (null: the scan does not give it); empty until the scan is measured."
    )
    estimated: dict[str, EstimateOut] = Field(
        default_factory=dict,
        description="Measurements the scan does not give (null in `measurements`), estimated with their 95 % "
        "uncertainty; a last is fitted to them. Empty for a scan that gives everything, or from before estimates.",
    )
    summary: ScanSummaryOut
    links: dict[str, str]

    @classmethod
    def of(cls, scan: FootScan, measured: Measurements | None) -> ScanOut:
        summary: dict[str, Any] = scan.summary or {}
        return cls(
            id=scan.id,
            original_filename=scan.original_filename,
            sha256=scan.sha256,
            size_bytes=scan.size_bytes,
            side=None if measured is None else measured.side,
            units_detected=scan.units_detected,
            measurements={} if measured is None else dict(measured.values_mm),
            estimated={} if measured is None else {k: EstimateOut.of(e) for k, e in measured.estimated.items()},
            summary=ScanSummaryOut.model_validate(summary),
            links={"self": f"/api/scans/{scan.id}", "upload": f"/api/scans/{scan.id}/upload"},
        )


class TypedScanOut(ScanOut):
    claim_code: str | None = Field(
        None,
        description="Staff recording a walk-in customer who has no account yet: the code to print for them. With "
        "it (POST /api/auth/claim) the account they register for this address gets these records; it works "
        "once, for `CSPMS_CLAIM_CODE_TTL_S`.",
    )


class TypedMeasurementsIn(BaseModel):
    """A foot measured by hand (mm): the fitted last needs its length and ball girth; the width is optional."""

    side: Side
    foot_length_mm: FootMillimetres
    ball_girth_mm: FootMillimetres
    ball_width_mm: FootMillimetres | None = None
    email: EmailStr | None = Field(None, description="Staff acting for a customer: the customer's e-mail.")

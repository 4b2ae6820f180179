"""Foot scans: the scan with its side, units, measurements, estimates, what of the foot it holds, how its side was
settled and its file summary (``ScanOut``), and a foot typed by hand (``TypedMeasurementsIn``)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, EmailStr, Field

from lasts.coverage import FootEnd, ScanTop
from lasts.measurements import Estimate, EstimateMethod, EstimateReason, Measurements
from lasts.side import Side
from lasts.side_claims import SideSource
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
        "measured out of human range on a partial scan; not_typed: a foot from typed measurements, the template "
        "foot's value."
    )

    @classmethod
    def of(cls, estimate: Estimate) -> EstimateOut:
        return cls(value_mm=round(estimate.value_mm, 1), uncertainty_95_mm=round(estimate.uncertainty_95_mm, 1),
                   method=estimate.method, reason=estimate.reason)  # fmt: skip


class ScanHoleOut(BaseModel):
    """An opening of the scan's surface (mm, measuring frame: x heel to toe, z up)."""

    centre_mm: tuple[float, float, float]
    rim_length_mm: float
    where: FootEnd = Field(description="toe, heel, sole or upper.")
    filled: bool = Field(description="Closed flat by ingest: a toe tip or heel lost in it is not restored.")
    bridged: bool = Field(description="Bridged by a point cloud's reconstructed surface.")


class ScanCoverageOut(BaseModel):
    """What of the foot the scan holds (docs/measurements.md): where it stops, a sole flattened on the scanner's
    glass, its holes, the measurements it does not reach (estimated instead) or gives unreliably."""

    cut_height_mm: float = Field(description="Height up to which the scan holds the whole foot.")
    top: ScanTop = Field(description="cap or open_rim: the scan stops there; leg_cut: the leg was cut off above.")
    flattened_sole: bool
    flattened_sole_area_mm2: float
    holes: list[ScanHoleOut]
    hole_near_toe: bool
    hole_near_heel: bool
    not_reached: list[str] = Field(description="Measurements the scan does not reach (see `estimated`).")
    unreliable: list[str] = Field(description="Measured, on a part of the scan that is missing or deformed.")
    notes: list[str] = Field(description="What the scan lacks, in plain words.")
    partial: bool = Field(description="Part of the foot the measurements need is missing.")


class SideDecisionOut(BaseModel):
    """How the foot's side was settled: from its shape, checked against what its file name claims, or the side the
    customer confirmed (``mirrored``: the shape was the other side's, a mirrored export measured mirrored back)."""

    side: Side
    anatomy: Side | None = Field(description="The side the foot's shape shows; null: it cannot tell.")
    confidence: float = Field(description="How sure the shape is, 0-1.")
    source: SideSource = Field(
        description="anatomy: the shape; claimed: the file name, the shape could not tell; confirmed: the side "
        "field of the upload; pair: the other foot of a two-foot file is the other side."
    )
    claimed: Side | None
    claimed_by: str | None
    mirrored: bool


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
    warnings: list[str] = Field(default_factory=list, description="What is doubtful about measured values.")
    coverage: ScanCoverageOut | None = Field(
        None, description="What of the foot the scan holds; null until measured, or from before it was recorded."
    )
    side_decision: SideDecisionOut | None = Field(None, description="How the side was settled; null as `coverage`.")
    other_foot_scan_id: int | None = Field(
        None, description="The file held both feet: the other foot's scan (each foot is a scan of its own)."
    )
    summary: ScanSummaryOut
    links: dict[str, str]

    @classmethod
    def of(cls, scan: FootScan, measured: Measurements | None) -> ScanOut:
        summary: dict[str, Any] = scan.summary or {}
        links = {"self": f"/api/scans/{scan.id}", "upload": f"/api/scans/{scan.id}/upload"}
        if scan.other_foot_id is not None:
            links["other_foot"] = f"/api/scans/{scan.other_foot_id}"
        return cls(
            id=scan.id,
            original_filename=scan.original_filename,
            sha256=scan.sha256,
            size_bytes=scan.size_bytes,
            side=None if measured is None else measured.side,
            units_detected=scan.units_detected,
            measurements={} if measured is None else dict(measured.values_mm),
            estimated={} if measured is None else {k: EstimateOut.of(e) for k, e in measured.estimated.items()},
            warnings=[] if measured is None else list(measured.warnings),
            coverage=None if scan.coverage is None else ScanCoverageOut.model_validate(scan.coverage),
            side_decision=None if scan.side_decision is None else SideDecisionOut.model_validate(scan.side_decision),
            other_foot_scan_id=scan.other_foot_id,
            summary=ScanSummaryOut.model_validate(summary),
            links=links,
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

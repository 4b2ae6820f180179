"""An order's lasts for the pattern-maker: per pair, the ``last.fit`` stage's files, its ``last.json`` and the
revisions fit feedback made of the design's last."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from lasts.side import Side
from manufacturing.boards.lasts import OrderLasts, PairLastFiles
from manufacturing.db.models import Artifact, LastRevision
from web.api.schemas.common import IsoTime, Record


class LastFileOut(Record):
    kind: str = Field(description="`last.stl`, `last.params.json`, `last.fit-report.svg`…")
    filename: str
    media_type: str
    size_bytes: int
    url: str

    @classmethod
    def of(cls, artifact: Artifact) -> LastFileOut:
        return cls(kind=artifact.kind, filename=artifact.filename, media_type=artifact.media_type,
                   size_bytes=artifact.size_bytes, url=f"/api/artifacts/{artifact.id}/content")  # fmt: skip


class RegionRoomOut(Record):
    mean_room_mm: float
    min_room_mm: float = Field(description="The deepest compression (a low quantile of the room), mm.")
    max_room_mm: float
    compressed_share: float = Field(description="Share of the region's foot points inside the last.")


class FitReportOut(Record):
    toe_room_mm: float
    regions: dict[str, RegionRoomOut] = Field(description="Per region of the foot: heel, waist, ball, toes…")
    warnings: list[str]


class SolverOut(Record):
    steps: int
    seconds: float


class LastRecordOut(Record):
    """The fitted last's ``last.json``: what it was asked to be, what it is, and how well it fits the foot."""

    side: Side
    style: str
    fit: Literal["snug", "regular", "roomy"]
    toe_shape: str
    targets: dict[str, float] = Field(description="Foot measurement + allowance, mm.")
    allowances: dict[str, float]
    achieved: dict[str, float] = Field(description="The last measured with the foot's definitions, mm.")
    errors_mm: dict[str, float]
    max_error_mm: float
    solver: SolverOut
    parameters: dict[str, Any] = Field(description="As in `last.params.json` (mm).")
    fit_report: FitReportOut | None = Field(description="Null when the foot's surface was not known.")
    files: list[str]


class LastRevisionOut(Record):
    revision: int
    source: Literal["fitted", "feedback"]
    changes: dict[str, float] = Field(description="What fit feedback moved, mm per measurement.")
    measured: dict[str, float] = Field(description="The revised last's measurements, mm.")
    max_error_mm: float
    created_at: IsoTime
    artifact_url: str

    @classmethod
    def of(cls, revision: LastRevision) -> LastRevisionOut:
        return cls(revision=revision.revision, source=revision.source, changes=revision.changes,
                   measured=revision.measured, max_error_mm=revision.max_error_mm,
                   created_at=revision.created_at.isoformat(),
                   artifact_url=f"/api/artifacts/{revision.artifact_id}/content")  # fmt: skip


class PairLastsOut(Record):
    serial: str
    design_id: int
    style: str
    run_id: int | None = Field(description="The latest run that fits the last; null when none plans to.")
    state: str = Field(description="That run's `last.fit` stage state, `pending` or `not_planned`.")
    files: list[LastFileOut] = Field(description="Empty until the stage is done.")
    record: LastRecordOut | None = Field(description="`last.json`; null until the stage is done.")
    size_eu: float | None = Field(description="The fitted last's EU size, to the half size.")
    revisions: list[LastRevisionOut] = Field(description="The design's last revisions, oldest first.")

    @classmethod
    def of(cls, lasts: PairLastFiles) -> PairLastsOut:
        pair, outputs = lasts.pair, lasts.outputs
        return cls(
            serial=pair.serial, design_id=pair.design_id, style=pair.design.style, run_id=outputs.run_id,
            state=outputs.state, files=[LastFileOut.of(a) for a in outputs.artifacts],
            record=None if lasts.record is None else LastRecordOut.model_validate(lasts.record),
            size_eu=lasts.size_eu, revisions=[LastRevisionOut.of(r) for r in lasts.revisions],
        )  # fmt: skip


class OrderLastsOut(Record):
    order_number: str
    pairs: list[PairLastsOut]

    @classmethod
    def of(cls, lasts: OrderLasts) -> OrderLastsOut:
        return cls(order_number=lasts.order_number, pairs=[PairLastsOut.of(pair) for pair in lasts.pairs])

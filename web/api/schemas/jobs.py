"""The machine API's records: a cutting job as the machine sees it, lease and failure requests."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from manufacturing.cutting.jobs import DEFAULT_LEASE_SECONDS
from manufacturing.cutting.service import CuttingJobStatus
from manufacturing.states import ContainerKind, CuttingJobState
from web.api.schemas.common import Within

MIN_LEASE_SECONDS = 10.0
MAX_LEASE_SECONDS = 3600.0


class PlacementOut(BaseModel):
    """One piece copy on the hide or roll: mirrored (x → −x) if asked, rotated ccw about its origin, then moved."""

    piece_id: str
    pair_id: int
    rotation_deg: float
    mirrored: bool
    x_mm: float
    y_mm: float


class JobOut(BaseModel):
    """A cutting job as the machine sees it now (``state`` is derived: a lost lease reads ``queued``)."""

    id: int
    state: CuttingJobState
    stored_state: CuttingJobState
    machine_id: str | None
    lease_expires_at: datetime | None
    attempts: int
    max_attempts: int
    failure_reason: str | None
    material: str
    container_kind: ContainerKind
    container_ref: str
    pair_ids: list[int]
    placements: list[PlacementOut]
    placed_area_mm2: float
    consumed_area_mm2: float
    utilisation: float
    as_of: datetime
    files: dict[str, str] = Field(description="Download links of the cutter DXF and the HPGL .plt.")

    @classmethod
    def of(cls, job: CuttingJobStatus) -> JobOut:
        data = asdict(job)
        del data["dxf_artifact_id"], data["plt_artifact_id"]
        return cls(**data, files={kind: f"/api/jobs/{job.id}/files/{kind}" for kind in ("dxf", "plt")})


class LeaseIn(BaseModel):
    lease_seconds: Annotated[float, Within(MIN_LEASE_SECONDS, MAX_LEASE_SECONDS, "s", low_included=True,
                                           high_included=True)] = Field(
        default=DEFAULT_LEASE_SECONDS, description="How long the job stays this machine's without another heartbeat."
    )  # fmt: skip


class FailIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="What went wrong, for the operator.")


class CompletedOut(BaseModel):
    job: JobOut
    first: bool = Field(description="False: the job was already done by this machine; nothing changed.")
    events_added: int = Field(description="Pieces-cut tracking events stored by this call (0 on a repeat).")

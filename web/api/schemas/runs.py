"""Pipeline runs and their artifacts, as ``manufacturing.pipeline.reports`` describes them."""

from __future__ import annotations

from pydantic import Field

from manufacturing.states import RunState, StageState, WorkOrderState
from web.api.schemas.common import IsoTime, Record, SometimesKeyed
from web.api.schemas.inventory import ShortageOut


class ArtifactOut(Record):
    id: int
    kind: str = Field(description="What the file is, e.g. `patterns.left.dxf`, `last.params.json`.")
    filename: str
    media_type: str
    sha256: str
    size_bytes: int
    stage: str = Field(description="The stage that made it (`upload` for the customer's files).")
    stage_version: int


class ErrorOut(Record):
    code: str
    message: str | None


class ReleasedWorkOrderOut(Record):
    """The work order a run released, as it stands (it may wait for material)."""

    id: int
    state: WorkOrderState
    material_reserved: bool
    shortages: list[ShortageOut]
    note: str = Field(description="`kit reserved`, or what the work order awaits.")


class StageRunOut(SometimesKeyed):
    keyed_when_given = frozenset({"work_order"})

    stage: str
    version: int
    state: StageState
    attempts: int
    duration_ms: float | None
    error: ErrorOut | None
    artifacts: list[ArtifactOut]
    work_order: ReleasedWorkOrderOut | None = Field(
        None, description="The `work_order.release` stage only (null until it released one)."
    )


class RunOut(Record):
    run_id: int
    pair_serial: str
    order_number: str
    state: RunState
    planned_stages: list[str]
    created_at: IsoTime
    started_at: IsoTime | None
    finished_at: IsoTime | None
    error: ErrorOut | None
    stages: list[StageRunOut]

"""Quality control: checklist templates, inspections with their results, the rework list and the metrics."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from manufacturing.db.models import QcInspection
from manufacturing.planning.service import WorkOrderStatus
from manufacturing.qc.service import CheckpointState, InspectionStatus
from manufacturing.qc.templates import Checkpoint, ItemKind
from manufacturing.states import OperationState, WorkOrderState
from web.api.schemas.common import IsoTime, Record, Within

# ---------------------------------------------------------------------------------------------- requests

# A measured item (mm, Shore A, N…) past a million in its unit is a typing slip, not a measurement.
MAX_MEASURED_VALUE = 1e6


class InspectionIn(BaseModel):
    pair: str = Field(min_length=1, max_length=32, description="The pair's serial.")
    checkpoint: Checkpoint
    inspector: str | None = Field(None, max_length=64, description="Who inspects (a worker code).")


class ResultsIn(BaseModel):
    measurements: dict[str, Annotated[float, Within(-MAX_MEASURED_VALUE, MAX_MEASURED_VALUE)]] = Field(
        default_factory=dict, description="Measured items: value in the item's unit."
    )
    checks: dict[str, bool] = Field(default_factory=dict, description="Check items: true = passed.")
    notes: dict[str, str] = Field(default_factory=dict, description="Per item, the inspector's note.")
    photos: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per item, photos as base64 (or `data:image/...;base64,` URLs): JPEG, PNG or WebP. A failed "
        "check whose template item says `photo_on_fail` needs one.",
    )


# ---------------------------------------------------------------------------------------------- templates


class TemplateItemOut(Record):
    code: str
    label: str
    kind: ItemKind
    defect_code: str = Field(description="The defect code a failure raises.")
    rework_to: str = Field(description="The routing operation a failure sends the pair back to (or `closing`).")
    unit: str | None = Field(description="Measured items.")
    lower: float | None
    upper: float | None
    photo_on_fail: bool = Field(description="Check items: a failure must carry a photo.")
    basis: str = Field(description="Where the limit comes from.")


class QcTemplateOut(Record):
    """A checkpoint's checklist (an inspection keeps the copy it started with)."""

    code: str
    checkpoint: Checkpoint
    version: int
    title: str
    items: list[TemplateItemOut]


class DefectCodeOut(Record):
    code: str
    description: str


class TemplatesOut(Record):
    templates: list[QcTemplateOut]
    defect_codes: list[DefectCodeOut]


# ---------------------------------------------------------------------------------------------- inspections


class InspectionOut(Record):
    id: int
    pair_serial: str
    work_order_id: int
    checkpoint: Checkpoint
    attempt: int
    operation: str = Field(description="The routing operation inspected (its QC point, or the one before).")
    template_code: str
    template_version: int
    template_sha256: str
    inspector: str | None
    passed: bool | None = Field(description="Null until the results are recorded.")
    defect_codes: list[str]
    rework_to: str | None
    started_at: IsoTime
    completed_at: IsoTime | None

    @classmethod
    def of(cls, row: QcInspection, serial: str) -> InspectionOut:
        status = InspectionStatus.of(row)
        return cls(
            id=row.id, pair_serial=serial, work_order_id=row.work_order_id, checkpoint=status.checkpoint,
            attempt=row.attempt, operation=row.operation, template_code=row.template_code,
            template_version=row.template_version, template_sha256=row.template_sha256, inspector=row.inspector,
            passed=row.passed, defect_codes=list(status.defect_codes), rework_to=row.rework_to,
            started_at=row.started_at.isoformat(),
            completed_at=None if row.completed_at is None else row.completed_at.isoformat(),
        )  # fmt: skip


class StartedInspectionOut(Record):
    inspection: InspectionOut
    template: QcTemplateOut = Field(description="The inspection's own copy of the template.")
    first: bool = Field(description="False: an inspection open at this checkpoint already existed.")


class PairInspectionsOut(Record):
    pair_serial: str
    checkpoints: dict[Checkpoint, CheckpointState] = Field(description="Where the pair stands at each checkpoint.")
    inspections: list[InspectionOut]


class ResultOut(Record):
    item: str
    kind: ItemKind
    value: float | None = Field(description="Measured items, in the item's unit.")
    passed: bool
    defect_code: str | None
    note: str
    photos: list[str] = Field(description="Download links of the item's photos.")


class InspectionDetailOut(Record):
    inspection: InspectionOut
    template: QcTemplateOut
    results: list[ResultOut] = Field(description="Item by item, once recorded.")

    @classmethod
    def of(cls, row: QcInspection, serial: str) -> InspectionDetailOut:
        results = [
            ResultOut(item=r.item_code, kind=ItemKind(r.kind), value=r.value, passed=r.passed,
                      defect_code=r.defect_code, note=r.note,
                      photos=[f"/api/artifacts/{a}/content" for a in r.photo_artifact_ids])
            for r in row.results
        ]  # fmt: skip
        return cls(
            inspection=InspectionOut.of(row, serial),
            template=QcTemplateOut.model_validate(row.template),
            results=results,
        )


class ItemResultOut(Record):
    code: str
    kind: ItemKind
    passed: bool
    value: float | None
    defect_code: str | None = Field(description="When failed.")
    rework_to: str | None = Field(description="When failed: the routing operation.")
    photos: int


class OutcomeOut(Record):
    passed: bool
    items: list[ItemResultOut]
    defect_codes: list[str] = Field(description="Of the failed items, in template order, each once.")
    rework_to: str | None = Field(description="The operation the pair goes back to, when failed.")


class OperationStateOut(Record):
    seq: int
    code: str
    state: OperationState


class InspectedWorkOrderOut(Record):
    id: int
    state: WorkOrderState
    operations: list[OperationStateOut]

    @classmethod
    def of(cls, status: WorkOrderStatus) -> InspectedWorkOrderOut:
        return cls(id=status.id, state=status.state,
                   operations=[OperationStateOut.model_validate(o) for o in status.progress.operations])  # fmt: skip


class RecordedOut(Record):
    inspection: InspectionOut
    outcome: OutcomeOut
    work_order: InspectedWorkOrderOut
    first: bool = Field(description="False: these results were already recorded; nothing changed.")


# ---------------------------------------------------------------------------------------------- rework, metrics


class ReworkItemOut(Record):
    inspection_id: int
    pair_serial: str
    order_number: str
    checkpoint: Checkpoint
    attempt: int
    operation: str
    defect_codes: list[str]
    rework_to: str | None
    rework_operation_state: OperationState | None
    work_order_id: int
    work_order_state: WorkOrderState
    failed_at: IsoTime | None
    inspector: str | None


class ReworkListOut(Record):
    items: list[ReworkItemOut]


class DefectShareOut(Record):
    code: str
    description: str
    count: int
    share: float
    cumulative_share: float


class QcMetricsOut(Record):
    inspections: int
    pairs_inspected: int
    first_pass_yield: float | None = Field(description="Pairs that passed every checkpoint at the first attempt.")
    first_pass_yield_by_checkpoint: dict[Checkpoint, float | None]
    failed_inspections: int
    rework_rate: float | None
    defects: int
    defect_pareto: list[DefectShareOut] = Field(description="Defect codes, most raised first.")

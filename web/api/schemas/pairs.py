"""The staff's board of pairs: a row per pair, the counts per state, and one pair's timeline."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from manufacturing.qc.service import CheckpointState
from manufacturing.qc.templates import Checkpoint
from manufacturing.states import OperationState, RunState, StageState
from web.api.pagination import Page
from web.api.schemas.common import IsoTime, Record, SometimesKeyed
from web.api.schemas.feedback import RegionAnswerOut
from web.api.schemas.tracking import PairProgressOut

_PAIR_STATE = "The work order's derived state, or `not_released` before it has one."

# ---------------------------------------------------------------------------------------------- the board


class CurrentOperationOut(Record):
    seq: int
    code: str
    state: OperationState
    station: str | None


class PairRowOut(Record):
    pair_id: int
    serial: str
    order_number: str
    order_placed_at: IsoTime
    style: str
    design_id: int
    created_at: IsoTime
    state: str = Field(description=_PAIR_STATE)
    pipeline_state: RunState | None = Field(description="The newest pipeline run's.")
    work_order_id: int | None
    due_at: IsoTime | None
    overdue: bool
    done_fraction: float | None
    current_operation: CurrentOperationOut | None = Field(description="The first operation not done.")


class PairsPageOut(Page[PairRowOut]):
    total: int = Field(description="Every pair that passes the filters.")


class PairCountsOut(Record):
    total: int
    overdue: int
    by_state: dict[str, int] = Field(description=f"Every state, zeros included. {_PAIR_STATE}")


# ---------------------------------------------------------------------------------------------- the timeline


class _Entry(Record):
    at: IsoTime
    kind: str  # each entry's Literal, which tells them apart
    title: str


class OrderEntryOut(_Entry):
    kind: Literal["order"]
    order_number: str


class PipelineEntryOut(_Entry):
    kind: Literal["pipeline"]
    run_id: int
    stage: str
    state: StageState
    error: str | None


class WorkOrderEntryOut(_Entry):
    kind: Literal["work_order"]
    work_order_id: int
    due_at: IsoTime


class EventEntryOut(_Entry, SometimesKeyed):
    """A shop-floor event as stored (readers' extra events included); ``invalid`` only on one that cannot be
    replayed (stored before ingest refused such events), with the reason."""

    keyed_when_given = frozenset({"invalid"})

    kind: Literal["event"]
    event_id: str
    event_type: str
    operation: str
    station: str
    source: str
    worker: str | None
    invalid: str | None = Field(None, description="Why the progress skips it; only on an invalid event.")


class QcEntryOut(_Entry, SometimesKeyed):
    """An inspection started, or judged (then with ``passed``, ``defect_codes`` and ``rework_to``)."""

    keyed_when_given = frozenset({"passed", "defect_codes", "rework_to"})

    kind: Literal["qc"]
    inspection_id: int
    checkpoint: Checkpoint
    attempt: int
    inspector: str | None
    passed: bool | None = Field(None, description="Judged only.")
    defect_codes: list[str] | None = Field(None, description="Judged only.")
    rework_to: str | None = Field(None, description="Judged only.")


class FeedbackEntryOut(_Entry):
    kind: Literal["feedback"]
    answers: dict[str, RegionAnswerOut]
    comment: str


TimelineEntryOut = Annotated[
    OrderEntryOut | PipelineEntryOut | WorkOrderEntryOut | EventEntryOut | QcEntryOut | FeedbackEntryOut,
    Field(discriminator="kind"),
]


class TimelineOut(Record):
    serial: str
    order_number: str
    style: str
    progress: PairProgressOut
    qc_checkpoints: dict[Checkpoint, CheckpointState]
    entries: list[TimelineEntryOut] = Field(description="Oldest first; at one instant, the cause first.")

"""Tracking, ETA and traceability: what ingest answers, a pair's progress and ETA, the ledger's verification and
the pair's DPP-style passport."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, JsonValue

from manufacturing.states import OperationState, WorkOrderState
from web.api.schemas.common import IsoTime, Record, SometimesKeyed

# ---------------------------------------------------------------------------------------------- ingest


class RefusedEventOut(Record):
    """``tracking.ingest.RefusedEvent``: one event of a batch that was not stored, and why."""

    index: int
    event_id: str
    code: str = Field(description="unknown_pair, unknown_operation or event_conflict.")
    message: str
    details: dict[str, JsonValue]


class IngestOut(Record):
    """Read from ``tracking.ingest.IngestResult`` (the hot path: a handful of plain fields)."""

    received: int
    stored: int
    duplicates: int = Field(description="Events whose `event_id` was stored before (resent: harmless).")
    unknown_serials: list[str] = Field(description="Pairs that do not exist: their events were not stored.")
    observations: int = Field(description="Durations learned inline; 0 when the background learner does it.")
    refused: list[RefusedEventOut] = Field(
        description="Events not stored, by their index in the batch: an unknown pair or operation, or an event id "
        "already used for a different event (a single event is answered with the error instead)."
    )


# ---------------------------------------------------------------------------------------------- progress


class LastSeenOut(Record):
    station: str
    operation: str
    event_type: str
    occurred_at: IsoTime


class OperationProgressOut(Record):
    seq: int
    code: str
    state: OperationState
    passes: int = Field(description="Times it was finished (rework adds passes).")
    station: str | None = Field(description="Where it is, or was last, worked on.")


class ProgressWorkOrderOut(Record):
    id: int
    state: WorkOrderState
    due_at: IsoTime
    material_reserved: bool
    done_fraction: float
    operations: list[OperationProgressOut]


class InvalidEventOut(Record):
    """A stored event the progress could not replay (stored before ingest refused such events): shown, skipped."""

    event_id: str | None
    event_type: str
    operation: str
    reason: str


class PairProgressOut(Record):
    """``tracking.service.pair_progress``: the work order and each operation's state derived from the events."""

    serial: str
    order_id: int
    events: int = Field(description="Tracking events stored for the pair.")
    last_seen: LastSeenOut | None
    work_order: ProgressWorkOrderOut | None = Field(description="Null until the pair's work order is released.")
    invalid_events: list[InvalidEventOut] = Field(
        description="Stored events that cannot be replayed (the newest 20), each with the reason; skipped."
    )


class BottleneckOut(Record):
    operation: str
    work_centre: str | None
    minutes: float


class EtaOut(Record):
    serial: str
    order_id: int
    state: WorkOrderState
    due_at: IsoTime
    eta: IsoTime = Field(description="The median finish, in working time.")
    eta_p90: IsoTime
    late: bool
    late_probability: float
    remaining_minutes: float = Field(description="Working minutes from now, median.")
    bottleneck: BottleneckOut | None = Field(description="The open operation expected to take longest.")


class PairProgressWithEtaOut(PairProgressOut):
    eta: EtaOut | None = Field(description="Null when the pair has no open work order.")


# ---------------------------------------------------------------------------------------------- ledger


class LedgerProblemOut(Record):
    seq: int | None = Field(description="The entry; null for the chain, the head or a day.")
    what: str = Field(description="hash, body, link, column:<name>, gap, head, event or day.")
    message: str


class VerificationOut(Record):
    serial: str
    ok: bool
    entries: int
    head_hash: str | None
    problems: list[LedgerProblemOut]


# ---------------------------------------------------------------------------------------------- passport


class PassportProductOut(Record):
    serial: str
    order_id: int
    style: str
    # The design's options as stored with the design (the configurator's choices, versioned with it).
    options: dict[str, Any]
    created_at: IsoTime


class IssuedLotOut(Record):
    # `lot` and `material` are the reader's payload of its material_issued event, as it sent them.
    lot: JsonValue
    material: JsonValue
    issued_at: str = Field(description="When it was issued, as the event said (ISO 8601).")
    station: str


class PassportMaterialsOut(Record):
    # The work order's BOM snapshot as stored at its release ({} before one is released).
    bill_of_materials: dict[str, Any]
    lots: list[IssuedLotOut]


class QcResultOut(Record):
    result: Literal["pass", "fail"]
    defects: JsonValue = Field(description="The defect codes the QC event carried, as it carried them.")


class ProcessStepOut(SometimesKeyed):
    keyed_when_given = frozenset({"qc"})

    seq: int = Field(description="The ledger entry.")
    operation: str | None
    event: str | None
    station: str | None
    worker: JsonValue = Field(description="The worker code the event's payload named, if any.")
    at: str | None = Field(description="When it happened, as the event said (ISO 8601).")
    entry_hash: str
    qc: QcResultOut | None = Field(None, description="QC events only.")


class AnchorOut(Record):
    """A sealed UTC day the pair has entries in: its Merkle root and the audit path of the pair's last entry."""

    day: str
    merkle_root: str
    leaves: int
    entry_hash: str
    proof: list[tuple[Literal["L", "R"], str]] | None = Field(
        description='(side of the sibling, its hash) from the bottom up: ["L", "…"].'
    )


class PassportLedgerOut(Record):
    entries: int
    head_hash: str | None
    verified: bool
    problems: list[str]
    anchors: list[AnchorOut]
    hash: str = Field(description="How the entries are hashed and chained, in words.")


class PassportOut(Record):
    """A DPP-style (EU Digital Product Passport) export of one pair."""

    schema_: str = Field(alias="schema", description="`cspms-dpp/1`.")
    generated_at: IsoTime
    product: PassportProductOut
    materials: PassportMaterialsOut
    process: list[ProcessStepOut]
    ledger: PassportLedgerOut
    provenance_url: str

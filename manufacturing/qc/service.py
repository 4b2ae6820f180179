"""QC for the shop floor: start an inspection (it copies its checkpoint's template), record its results and
photos, and tell the work order. The shell around the pure cores (``templates``, ``inspections``): load,
decide, store. Services never commit; every call takes ``now`` (aware UTC; the clock by default).

Where the routing has a QC point for the checkpoint (``qc_upper`` after hand closing, ``qc_final``), the
verdict is that operation's ``qc_passed`` / ``qc_failed`` event, so the work order derives ``rework`` from it
(manufacturing/planning/work_orders.py). In-line checkpoints (after cutting, machine closing, lasting) have no
QC operation: a failure blocks the next operation until a re-inspection passes. Either way a failed
inspection leaves the pair needing a new one (``attempt`` + 1) at that checkpoint.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from manufacturing.artifacts.store import ArtifactStore
from manufacturing.clock import as_utc, utc_now
from manufacturing.db import repositories as artifacts_repository
from manufacturing.db.models import QcInspection, QcInspectionResult, TrackingEvent
from manufacturing.planning import repository as planning_repository
from manufacturing.planning import service as planning
from manufacturing.planning.routing import Routing
from manufacturing.planning.work_orders import EventType
from manufacturing.qc import repository
from manufacturing.qc.errors import InspectionConflictError, InspectionError
from manufacturing.qc.inspections import Outcome, evaluate, resolve_operation
from manufacturing.qc.templates import DEFAULT_TEMPLATES, Checkpoint, QcTemplate, template_for
from manufacturing.states import OperationState

# The routing's QC point for a checkpoint, when it has one, and the operation the checkpoint follows.
QC_POINTS: dict[Checkpoint, str] = {Checkpoint.CLOSING: "qc_upper", Checkpoint.FINAL: "qc_final"}
AFTER: dict[Checkpoint, str] = {
    Checkpoint.CUTTING: "cutting", Checkpoint.CLOSING: "closing", Checkpoint.LASTING: "lasting",
    Checkpoint.FINAL: "finishing",
}  # fmt: skip
PHOTO_STAGE = "qc.photo"


class CheckpointState(enum.StrEnum):
    IN_INSPECTION = "in_inspection"
    PASSED = "passed"
    REINSPECTION_REQUIRED = "reinspection_required"


@dataclass(frozen=True)
class InspectionStatus:
    id: int
    pair_id: int
    work_order_id: int
    checkpoint: Checkpoint
    attempt: int
    operation: str
    template_sha256: str
    passed: bool | None
    defect_codes: tuple[str, ...]
    rework_to: str | None

    @classmethod
    def of(cls, row: QcInspection) -> InspectionStatus:
        return cls(row.id, row.pair_id, row.work_order_id, Checkpoint(row.checkpoint), row.attempt, row.operation,
                   row.template_sha256, row.passed, tuple(row.defect_codes or ()), row.rework_to)  # fmt: skip


@dataclass(frozen=True)
class Started:
    inspection: InspectionStatus
    first: bool  # False: an open inspection at this checkpoint already existed; it is returned


@dataclass(frozen=True)
class Recorded:
    inspection: InspectionStatus
    outcome: Outcome
    work_order: planning.WorkOrderStatus
    first: bool  # False: these results were already recorded; nothing changed


def _now(now: datetime | None) -> datetime:
    return as_utc(now if now is not None else utc_now())


def _routing_codes(routing: Routing) -> list[str]:
    return [op.code for op in routing.operations]


def checkpoint_operation(checkpoint: Checkpoint, routing_codes: Sequence[str]) -> tuple[str, bool]:
    """(the operation an inspection at ``checkpoint`` belongs to, whether it is a routing QC point)."""
    qc = QC_POINTS.get(checkpoint)
    if qc is not None and qc in routing_codes:
        return qc, True
    return resolve_operation(AFTER[checkpoint], routing_codes), False


def start_inspection(
    session: Session,
    pair_id: int,
    checkpoint: Checkpoint | str,
    inspector: str | None = None,
    now: datetime | None = None,
    templates: Mapping[Checkpoint, QcTemplate] = DEFAULT_TEMPLATES,
) -> Started:
    """Open an inspection of the pair at ``checkpoint`` with a copy of today's template. Idempotent: an
    inspection already open there is returned (``first=False``). The pair must be ready for it: its QC point
    ready or in progress, or (in-line) the inspected operation done (``InspectionConflictError`` otherwise)."""
    template = template_for(checkpoint, templates)
    checkpoint = template.checkpoint
    work_order = planning_repository.find_work_order_of_pair(session, pair_id)
    if work_order is None:
        raise InspectionConflictError(f"pair {pair_id} has no work order to inspect", pair_id=pair_id)
    previous = repository.inspections_of_pair(session, pair_id, checkpoint.value)
    if previous and previous[-1].passed is None:
        return Started(InspectionStatus.of(previous[-1]), first=False)
    routing = Routing.from_json(work_order.routing)
    operation, qc_point = checkpoint_operation(checkpoint, _routing_codes(routing))
    state = planning.work_order_status(session, work_order.id).progress.of(operation).state
    ready = (OperationState.READY, OperationState.IN_PROGRESS) if qc_point else (OperationState.DONE,)
    if state not in ready:
        raise InspectionConflictError(
            f"cannot inspect at {checkpoint.value}: {operation} is {state.value}",
            checkpoint=checkpoint.value, operation=operation, state=state.value,
        )  # fmt: skip
    snapshot = template.to_json()
    row = QcInspection(
        pair_id=pair_id, work_order_id=work_order.id, checkpoint=checkpoint.value,
        attempt=repository.last_attempt(session, pair_id, checkpoint.value) + 1, operation=operation,
        template_code=template.code, template_version=template.version, template=snapshot,
        template_sha256=template.sha256(), inspector=inspector, defect_codes=[], started_at=_now(now),
    )  # fmt: skip
    return Started(InspectionStatus.of(repository.add_inspection(session, row)), first=True)


def _media_type(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    raise InspectionError("a photo must be JPEG, PNG or WebP")


def _store_photos(session: Session, store: ArtifactStore, inspection_id: int, item: str,
                  photos: Sequence[bytes]) -> list[int]:  # fmt: skip
    ids = []
    for k, data in enumerate(photos):
        media_type, suffix = _media_type(data)
        blob = store.put_bytes(data)
        artifact = artifacts_repository.add_artifact(
            session, blob, kind="qc.photo", filename=f"inspection-{inspection_id}-{item}-{k + 1}{suffix}",
            media_type=media_type, input_key=f"photo:{blob.sha256}", stage=PHOTO_STAGE, stage_version=1,
        )  # fmt: skip
        ids.append(artifact.id)
    return ids


def _same_results(row: QcInspection, outcome: Outcome) -> bool:
    stored = {r.item_code: (r.value, r.passed) for r in row.results}
    return stored == {i.code: (i.value, i.passed) for i in outcome.items}


def record_inspection(
    session: Session,
    store: ArtifactStore,
    inspection_id: int,
    measurements: Mapping[str, float],
    checks: Mapping[str, bool],
    photos: Mapping[str, Sequence[bytes]] | None = None,
    notes: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Recorded:
    """Judge the inspection against its own template copy, store the results and photos (bytes → artifact
    store), and tell the work order: pass or fail at a QC point, block / unblock the next operation in-line.
    Idempotent: the same results again change nothing (``first=False``); different ones are refused (409)."""
    row = repository.get_inspection(session, inspection_id)
    photos = dict(photos or {})
    template = QcTemplate.from_json(row.template)
    work_order = planning_repository.get_work_order(session, row.work_order_id)
    codes = _routing_codes(Routing.from_json(work_order.routing))
    outcome = evaluate(template, measurements, checks, {k: len(v) for k, v in photos.items()}, codes)
    if row.passed is not None:
        if not _same_results(row, outcome):
            raise InspectionConflictError(f"inspection {inspection_id} is already recorded with other results",
                                          inspection_id=inspection_id)  # fmt: skip
        status = planning.work_order_status(session, row.work_order_id)
        return Recorded(InspectionStatus.of(row), outcome, status, first=False)
    now = _now(now)
    event_id = _tell_work_order(session, row, outcome, codes, now)
    results = [
        QcInspectionResult(
            inspection_id=row.id, item_code=item.code, kind=item.kind.value, value=item.value, passed=item.passed,
            defect_code=item.defect_code, note=(notes or {}).get(item.code, ""),
            photo_artifact_ids=_store_photos(session, store, row.id, item.code, photos.get(item.code, ())),
        )
        for item in outcome.items
    ]  # fmt: skip
    repository.add_results(session, results)
    row.passed, row.defect_codes, row.rework_to = outcome.passed, list(outcome.defect_codes), outcome.rework_to
    row.completed_at, row.event_id = now, event_id
    session.flush()
    session.refresh(row)
    status = planning.work_order_status(session, row.work_order_id)
    return Recorded(InspectionStatus.of(row), outcome, status, first=True)


def _tell_work_order(session: Session, row: QcInspection, outcome: Outcome, codes: Sequence[str],
                     now: datetime) -> str | None:  # fmt: skip
    """Record the verdict on the work order; the event id, or None when in-line and nothing needed saying."""
    payload = {"inspection_id": row.id, "checkpoint": row.checkpoint, "attempt": row.attempt,
               "defect_codes": list(outcome.defect_codes), "rework_to": outcome.rework_to}  # fmt: skip
    if row.operation in QC_POINTS.values():
        event_id = f"qc-inspection-{row.id}"
        kind = EventType.QC_PASSED if outcome.passed else EventType.QC_FAILED
        planning.record_operation_event(session, row.work_order_id, kind, row.operation, occurred_at=now,
                                        source="qc", event_id=event_id, payload=payload)  # fmt: skip
        return event_id
    # In-line: the operation after the inspected one waits for a passing inspection.
    following = codes[codes.index(row.operation) + 1] if codes.index(row.operation) + 1 < len(codes) else None
    if following is None:
        return None
    state = planning.work_order_status(session, row.work_order_id).progress.of(following).state
    if not outcome.passed and state not in (OperationState.DONE, OperationState.BLOCKED):
        event_id = f"qc-inspection-{row.id}-blocked"
        planning.record_operation_event(session, row.work_order_id, EventType.BLOCKED, following, occurred_at=now,
                                        source="qc", event_id=event_id, payload=payload)  # fmt: skip
        return event_id
    if outcome.passed and state == OperationState.BLOCKED and _blocked_by_qc(session, row, following):
        event_id = f"qc-inspection-{row.id}-unblocked"
        planning.record_operation_event(session, row.work_order_id, EventType.UNBLOCKED, following,
                                        occurred_at=now, source="qc", event_id=event_id, payload=payload)  # fmt: skip
        return event_id
    return None


def _blocked_by_qc(session: Session, row: QcInspection, operation: str) -> bool:
    """Whether the operation's latest block came from an inspection at this checkpoint (not a machine down)."""
    events: list[TrackingEvent] = planning_repository.events_of_pairs(session, [row.pair_id])[row.pair_id]
    blocks = [e for e in events if e.operation == operation and e.event_type == EventType.BLOCKED.value]
    return bool(blocks) and blocks[-1].source == "qc" and blocks[-1].payload.get("checkpoint") == row.checkpoint


def checkpoint_states(session: Session, pair_id: int) -> dict[Checkpoint, CheckpointState]:
    """Where the pair stands at each checkpoint it was inspected at, from its latest inspection there."""
    latest: dict[str, QcInspection] = {}
    for row in repository.inspections_of_pair(session, pair_id):
        latest[row.checkpoint] = row
    out = {}
    for checkpoint, row in latest.items():
        if row.passed is None:
            state = CheckpointState.IN_INSPECTION
        else:
            state = CheckpointState.PASSED if row.passed else CheckpointState.REINSPECTION_REQUIRED
        out[Checkpoint(checkpoint)] = state
    return out


def inspection_results(session: Session, inspection_id: int) -> list[dict[str, object]]:
    """The stored results of one inspection, item by item (photos as artifact ids)."""
    row = repository.get_inspection(session, inspection_id)
    return [{"item": r.item_code, "kind": r.kind, "value": r.value, "passed": r.passed, "defect_code": r.defect_code,
             "photos": list(r.photo_artifact_ids), "note": r.note} for r in row.results]  # fmt: skip

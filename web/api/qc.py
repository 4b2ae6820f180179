"""Quality control over HTTP: the checklist templates, inspections (start one for a pair at a checkpoint, record
its results with photos, read them back, list a pair's), the rework list and the metrics (first-pass yield,
rework rate, defect Pareto). The rules are ``manufacturing/qc``'s (docs/qc.md); each request is one transaction.
"""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Depends, Query, Response, status

from geometry.errors import InputTooLargeError
from manufacturing.accounts.roles import Capability
from manufacturing.db.repositories import get_pair_by_serial, serials_of
from manufacturing.db.session import session_scope
from manufacturing.qc import repository
from manufacturing.qc.errors import InspectionError
from manufacturing.qc.metrics import qc_report
from manufacturing.qc.rework import rework_list
from manufacturing.qc.service import checkpoint_states, record_inspection, start_inspection
from manufacturing.qc.templates import DEFAULT_TEMPLATES, DEFECT_CODES, Checkpoint, template_for
from web.api.auth import requires
from web.api.deps import ResourcesDep
from web.api.schemas.qc import (
    DefectCodeOut,
    InspectedWorkOrderOut,
    InspectionDetailOut,
    InspectionIn,
    InspectionOut,
    OutcomeOut,
    PairInspectionsOut,
    QcMetricsOut,
    QcTemplateOut,
    RecordedOut,
    ResultsIn,
    ReworkItemOut,
    ReworkListOut,
    StartedInspectionOut,
    TemplatesOut,
)

router = APIRouter(prefix="/api/qc", tags=["qc"], dependencies=[Depends(requires(Capability.SHOP_FLOOR))])


# ---------------------------------------------------------------------------------------------- helpers


def decode_photos(photos: dict[str, list[str]], max_bytes: int) -> dict[str, list[bytes]]:
    """Base64 photos (a ``data:`` URL prefix allowed) as bytes; ``InspectionError`` naming the item otherwise."""
    out: dict[str, list[bytes]] = {}
    total = 0
    for item, encoded in photos.items():
        out[item] = []
        for k, text in enumerate(encoded):
            payload = text.split(",", 1)[1] if text.startswith("data:") and "," in text else text
            try:
                data = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                raise InspectionError(f"photo {k + 1} of {item} is not base64", item=item) from None
            total += len(data)
            if total > max_bytes:
                raise InputTooLargeError(f"the photos exceed {max_bytes} bytes", limit_bytes=max_bytes)
            out[item].append(data)
    return out


# ---------------------------------------------------------------------------------------------- routes


@router.get("/templates")
def list_templates() -> TemplatesOut:
    """Today's checklist per checkpoint (an inspection keeps the copy it started with) and the defect codes."""
    return TemplatesOut(
        templates=[QcTemplateOut.model_validate(t) for t in DEFAULT_TEMPLATES.values()],
        defect_codes=[DefectCodeOut.model_validate(d) for d in DEFECT_CODES.values()],
    )


@router.get("/templates/{checkpoint}")
def read_template(checkpoint: Checkpoint) -> QcTemplateOut:
    return QcTemplateOut.model_validate(template_for(checkpoint))


@router.post("/inspections", status_code=status.HTTP_201_CREATED)
def create_inspection(resources: ResourcesDep, body: InspectionIn, response: Response) -> StartedInspectionOut:
    """Open an inspection of the pair at the checkpoint with a copy of today's template (`201`); an inspection
    already open there is returned (`200`, `first: false`). `409 inspection_conflict` when the pair is not ready
    for it (its QC point not ready, or the inspected operation not done)."""
    with session_scope(resources.sessions) as session:
        pair = get_pair_by_serial(session, body.pair)
        started = start_inspection(session, pair.id, body.checkpoint, inspector=body.inspector)
        row = repository.get_inspection(session, started.inspection.id)
        if not started.first:
            response.status_code = status.HTTP_200_OK
        inspection = InspectionOut.of(row, pair.serial)
        template = QcTemplateOut.model_validate(row.template)
        return StartedInspectionOut(inspection=inspection, template=template, first=started.first)


@router.get("/inspections")
def list_inspections(
    resources: ResourcesDep, pair: str = Query(min_length=1, max_length=32, description="The pair's serial.")
) -> PairInspectionsOut:
    """A pair's inspections in the order they were started, with where it stands at each checkpoint."""
    with session_scope(resources.sessions) as session:
        found = get_pair_by_serial(session, pair)
        rows = repository.inspections_of_pair(session, found.id)
        return PairInspectionsOut(
            pair_serial=found.serial,
            checkpoints=checkpoint_states(session, found.id),
            inspections=[InspectionOut.of(row, found.serial) for row in rows],
        )


@router.get("/inspections/{inspection_id}")
def read_inspection(resources: ResourcesDep, inspection_id: int) -> InspectionDetailOut:
    """One inspection with its template copy and, once recorded, its results item by item."""
    with session_scope(resources.sessions) as session:
        row = repository.get_inspection(session, inspection_id)
        return InspectionDetailOut.of(row, serials_of(session, [row.pair_id])[row.pair_id])


@router.post("/inspections/{inspection_id}/results")
def record_results(resources: ResourcesDep, inspection_id: int, body: ResultsIn) -> RecordedOut:
    """Judge the inspection against its own template copy, store the results and photos, and tell the work order
    (a failure sends the pair back to `rework_to`). The same results again change nothing (`first: false`);
    other results for a judged inspection are `409`. `422 inspection_error` names a missing, unknown or
    unphotographed item."""
    photos = decode_photos(body.photos, resources.settings.max_upload_bytes)
    with session_scope(resources.sessions) as session:
        recorded = record_inspection(session, resources.store, inspection_id, body.measurements, body.checks,
                                     photos=photos, notes=body.notes)  # fmt: skip
        row = repository.get_inspection(session, inspection_id)
        serial = serials_of(session, [row.pair_id])[row.pair_id]
        return RecordedOut(
            inspection=InspectionOut.of(row, serial),
            outcome=OutcomeOut.model_validate(recorded.outcome),
            work_order=InspectedWorkOrderOut.of(recorded.work_order),
            first=recorded.first,
        )


@router.get("/rework")
def list_rework(resources: ResourcesDep) -> ReworkListOut:
    """Pairs whose latest inspection at a checkpoint failed: what failed, where they go back to, where their work
    order stands."""
    with session_scope(resources.sessions) as session:
        return ReworkListOut(items=[ReworkItemOut.model_validate(item) for item in rework_list(session)])


@router.get("/metrics")
def read_metrics(resources: ResourcesDep) -> QcMetricsOut:
    """First-pass yield (overall and per checkpoint), rework rate and the defect Pareto over finished inspections."""
    with session_scope(resources.sessions) as session:
        return QcMetricsOut.model_validate(qc_report(session))

"""Quality control over HTTP: the checklist templates, inspections (start one for a pair at a checkpoint, record
its results with photos, read them back, list a pair's), the rework list and the metrics (first-pass yield,
rework rate, defect Pareto). The rules are ``manufacturing/qc``'s (docs/qc.md); each request is one transaction.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, Field

from geometry.errors import InputTooLargeError
from manufacturing.accounts.roles import Capability
from manufacturing.db.models import QcInspection
from manufacturing.db.repositories import get_pair_by_serial, serials_of
from manufacturing.db.session import session_scope
from manufacturing.qc import repository
from manufacturing.qc.errors import InspectionError
from manufacturing.qc.metrics import qc_report
from manufacturing.qc.rework import rework_list
from manufacturing.qc.service import InspectionStatus, checkpoint_states, record_inspection, start_inspection
from manufacturing.qc.templates import DEFAULT_TEMPLATES, DEFECT_CODES, Checkpoint, template_for
from web.api.auth import requires
from web.api.deps import ResourcesDep

router = APIRouter(prefix="/api/qc", tags=["qc"], dependencies=[Depends(requires(Capability.SHOP_FLOOR))])


# ---------------------------------------------------------------------------------------------- schemas


class InspectionIn(BaseModel):
    pair: str = Field(min_length=1, max_length=32, description="The pair's serial.")
    checkpoint: Checkpoint
    inspector: str | None = Field(None, max_length=64, description="Who inspects (a worker code).")


class ResultsIn(BaseModel):
    measurements: dict[str, float] = Field(
        default_factory=dict, description="Measured items: value in the item's unit."
    )
    checks: dict[str, bool] = Field(default_factory=dict, description="Check items: true = passed.")
    notes: dict[str, str] = Field(default_factory=dict, description="Per item, the inspector's note.")
    photos: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per item, photos as base64 (or `data:image/...;base64,` URLs): JPEG, PNG or WebP. A failed "
        "check whose template item says `photo_on_fail` needs one.",
    )


# ---------------------------------------------------------------------------------------------- helpers


def _inspection_json(row: QcInspection, serial: str) -> dict[str, Any]:
    status_ = InspectionStatus.of(row)
    return {
        "id": row.id, "pair_serial": serial, "work_order_id": row.work_order_id,
        "checkpoint": status_.checkpoint.value, "attempt": row.attempt, "operation": row.operation,
        "template_code": row.template_code, "template_version": row.template_version,
        "template_sha256": row.template_sha256, "inspector": row.inspector, "passed": row.passed,
        "defect_codes": list(status_.defect_codes), "rework_to": row.rework_to,
        "started_at": row.started_at.isoformat(),
        "completed_at": None if row.completed_at is None else row.completed_at.isoformat(),
    }  # fmt: skip


def _results_json(row: QcInspection) -> list[dict[str, Any]]:
    return [{"item": r.item_code, "kind": r.kind, "value": r.value, "passed": r.passed, "defect_code": r.defect_code,
             "note": r.note, "photos": [f"/api/artifacts/{a}/content" for a in r.photo_artifact_ids]}
            for r in row.results]  # fmt: skip


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
def list_templates() -> dict[str, Any]:
    """Today's checklist per checkpoint (an inspection keeps the copy it started with) and the defect codes."""
    return {
        "templates": [t.to_json() for t in DEFAULT_TEMPLATES.values()],
        "defect_codes": [{"code": d.code, "description": d.description} for d in DEFECT_CODES.values()],
    }


@router.get("/templates/{checkpoint}")
def read_template(checkpoint: Checkpoint) -> dict[str, Any]:
    return template_for(checkpoint).to_json()


@router.post("/inspections", status_code=status.HTTP_201_CREATED)
def create_inspection(resources: ResourcesDep, body: InspectionIn, response: Response) -> dict[str, Any]:
    """Open an inspection of the pair at the checkpoint with a copy of today's template (`201`); an inspection
    already open there is returned (`200`, `first: false`). `409 inspection_conflict` when the pair is not ready
    for it (its QC point not ready, or the inspected operation not done)."""
    with session_scope(resources.sessions) as session:
        pair = get_pair_by_serial(session, body.pair)
        started = start_inspection(session, pair.id, body.checkpoint, inspector=body.inspector)
        row = repository.get_inspection(session, started.inspection.id)
        if not started.first:
            response.status_code = status.HTTP_200_OK
        return {"inspection": _inspection_json(row, pair.serial), "template": row.template, "first": started.first}


@router.get("/inspections")
def list_inspections(
    resources: ResourcesDep, pair: str = Query(min_length=1, max_length=32, description="The pair's serial.")
) -> dict[str, Any]:
    """A pair's inspections in the order they were started, with where it stands at each checkpoint."""
    with session_scope(resources.sessions) as session:
        found = get_pair_by_serial(session, pair)
        rows = repository.inspections_of_pair(session, found.id)
        return {
            "pair_serial": found.serial,
            "checkpoints": {c.value: s.value for c, s in checkpoint_states(session, found.id).items()},
            "inspections": [_inspection_json(row, found.serial) for row in rows],
        }


@router.get("/inspections/{inspection_id}")
def read_inspection(resources: ResourcesDep, inspection_id: int) -> dict[str, Any]:
    """One inspection with its template copy and, once recorded, its results item by item."""
    with session_scope(resources.sessions) as session:
        row = repository.get_inspection(session, inspection_id)
        serial = serials_of(session, [row.pair_id])[row.pair_id]
        return {"inspection": _inspection_json(row, serial), "template": row.template, "results": _results_json(row)}


@router.post("/inspections/{inspection_id}/results")
def record_results(resources: ResourcesDep, inspection_id: int, body: ResultsIn) -> dict[str, Any]:
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
        work_order = recorded.work_order
        return {
            "inspection": _inspection_json(row, serial),
            "outcome": recorded.outcome.to_json(),
            "work_order": {
                "id": work_order.id,
                "state": work_order.state.value,
                "operations": [
                    {"seq": o.seq, "code": o.code, "state": o.state.value} for o in work_order.progress.operations
                ],
            },
            "first": recorded.first,
        }


@router.get("/rework")
def list_rework(resources: ResourcesDep) -> dict[str, Any]:
    """Pairs whose latest inspection at a checkpoint failed: what failed, where they go back to, where their work
    order stands."""
    with session_scope(resources.sessions) as session:
        return {"items": rework_list(session)}


@router.get("/metrics")
def read_metrics(resources: ResourcesDep) -> dict[str, Any]:
    """First-pass yield (overall and per checkpoint), rework rate and the defect Pareto over finished inspections."""
    with session_scope(resources.sessions) as session:
        return qc_report(session)

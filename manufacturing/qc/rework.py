"""The rework list: pairs whose latest inspection at a checkpoint failed, with what failed, the operation they go
back to and where their work order stands now. A pair leaves the list when a new inspection there starts (it is
being re-inspected) and passes. Services never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from manufacturing.clock import as_utc
from manufacturing.planning import service as planning
from manufacturing.qc import repository


def rework_list(session: Session) -> list[dict[str, Any]]:
    out = []
    for row, serial, order_number in repository.failed_latest_inspections(session):
        status = planning.work_order_status(session, row.work_order_id)
        back_to = status.progress.of(row.rework_to) if row.rework_to else None
        out.append({
            "inspection_id": row.id, "pair_serial": serial, "order_number": order_number,
            "checkpoint": row.checkpoint, "attempt": row.attempt, "operation": row.operation,
            "defect_codes": list(row.defect_codes or ()), "rework_to": row.rework_to,
            "rework_operation_state": None if back_to is None else back_to.state.value,
            "work_order_id": row.work_order_id, "work_order_state": status.state.value,
            "failed_at": None if row.completed_at is None else as_utc(row.completed_at).isoformat(),
            "inspector": row.inspector,
        })  # fmt: skip
    return out

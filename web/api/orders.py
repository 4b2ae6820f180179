"""Orders: place one from a scan and design options; read it back with its pairs and runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile, status
from pydantic import BaseModel, EmailStr

from configurator.options import parse_options
from manufacturing.db import repositories
from manufacturing.db.session import run_after_commit, session_scope
from manufacturing.orders.service import place_order
from manufacturing.pipeline.enqueue import enqueue_pipeline
from manufacturing.pipeline.reports import describe_run
from web.api.deps import CeleryDep, ResourcesDep
from web.api.uploads import read_upload_limited

router = APIRouter(prefix="/api/orders", tags=["orders"])


class PlacedOrderOut(BaseModel):
    order_number: str
    design_id: int
    foot_scan_id: int
    pair_serials: list[str]
    run_ids: list[int]
    stages: list[str]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PlacedOrderOut)
async def create_order(
    resources: ResourcesDep,
    celery: CeleryDep,
    scan: Annotated[UploadFile, File(description="Foot scan: STL, OBJ, PLY, OFF, GLB/glTF, 3MF or XYZ.")],
    options: Annotated[str, Form(description="Design options as JSON (see examples/options-*.json).")],
    email: Annotated[EmailStr, Form(description="The customer's e-mail address.")],
) -> PlacedOrderOut:
    """Store the scan and the design, create the order and its pairs, and start each pair's pipeline."""
    design_options = parse_options(options, source="options")
    scan_bytes = await read_upload_limited(scan, resources.settings.max_upload_bytes)
    with session_scope(resources.sessions) as session:
        placed = place_order(
            session,
            resources.store,
            customer_email=str(email),
            scan_filename=scan.filename or "scan",
            scan_bytes=scan_bytes,
            options=design_options,
        )
        for run_id in placed.run_ids:
            run_after_commit(session, lambda run_id=run_id: enqueue_pipeline(celery, run_id, list(placed.stages)))
    return PlacedOrderOut(
        order_number=placed.order_number,
        design_id=placed.design_id,
        foot_scan_id=placed.foot_scan_id,
        pair_serials=list(placed.pair_serials),
        run_ids=list(placed.run_ids),
        stages=list(placed.stages),
    )


@router.get("/{order_number}")
def read_order(resources: ResourcesDep, order_number: str) -> dict[str, Any]:
    """The order, its pairs and each pair's pipeline runs."""
    with session_scope(resources.sessions) as session:
        order = repositories.get_order_by_number(session, order_number)
        pairs = []
        for pair in repositories.pairs_of_order(session, order.id):
            runs = [describe_run(session, run.id) for run in repositories.runs_for_pair(session, pair.id)]
            pairs.append({"serial": pair.serial, "design_id": pair.design_id, "runs": runs})
        return {"order_number": order.number, "created_at": order.created_at.isoformat(), "pairs": pairs}

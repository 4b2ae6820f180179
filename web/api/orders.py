"""Orders: place one from a scan and design options; read it back with its pairs and runs."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, status
from sqlalchemy.orm import Session

from configurator.options import parse_options
from geometry.errors import InputError, NotFoundError
from manufacturing.accounts.service import Principal
from manufacturing.db import repositories
from manufacturing.db.models import Design, Order
from manufacturing.db.session import run_after_commit, session_scope
from manufacturing.orders.service import MAX_PAIRS_PER_ORDER, place_order, place_order_for_design
from manufacturing.pipeline.enqueue import enqueue_pipeline
from manufacturing.pipeline.reports import describe_run
from web.api.auth import CustomerSideDep, acting_customer_email, owns
from web.api.deps import MAX_RECORD_ID, CeleryDep, ResourcesDep
from web.api.schemas.orders import OrderOut, OrderPairOut, PlacedOrderOut
from web.api.schemas.runs import RunOut
from web.api.uploads import email_field, form_integer, multipart_body, read_upload_form

router = APIRouter(prefix="/api/orders", tags=["orders"])


_ORDER_FORM = multipart_body(
    "scan", "Or a foot scan: STL, OBJ, PLY, GLB, 3MF, XYZ...", design_id="A saved design to order.",
    pairs="With design_id: pairs.", options="With scan: design options as JSON.",
    email="Staff acting for a customer: the customer's e-mail.",
)  # fmt: skip


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PlacedOrderOut, openapi_extra=_ORDER_FORM)
async def create_order(
    request: Request, resources: ResourcesDep, celery: CeleryDep, principal: CustomerSideDep
) -> PlacedOrderOut:
    """Create the order and its pairs and start each pair's pipeline, from a saved design (`design_id`) or from
    a scan and options (both stored first). Signed in first: the body is read only after."""
    form = await read_upload_form(request, resources.store, file_field="scan",
                                  max_file_bytes=resources.settings.max_upload_bytes, file_required=False,
                                  text_fields=frozenset({"design_id", "pairs", "options", "email"}))  # fmt: skip
    try:
        scan_bytes = form.file.read_bytes() if form.file is not None else b""
    finally:
        if form.file is not None:
            resources.store.discard(form.file)  # place_order stores the bytes once it has checked them
    design_id = form_integer(form, "design_id", MAX_RECORD_ID)
    pairs = form_integer(form, "pairs", MAX_PAIRS_PER_ORDER)
    options, scan = form.field("options"), form.file
    customer_email = acting_customer_email(principal, email_field(form))
    if (design_id is None) == (scan is None):
        raise InputError("give design_id (a saved design) or scan and options, not both and not neither")
    design_options = None
    if scan is not None:
        if options is None:
            raise InputError("an order from a scan needs its design options (`options`, JSON)")
        design_options = parse_options(options, source="options")
    with session_scope(resources.sessions) as session:
        if design_options is not None and scan is not None:
            placed = place_order(session, resources.store, customer_email=customer_email,
                                 scan_filename=form.filename or "scan", scan_bytes=scan_bytes,
                                 options=design_options)  # fmt: skip
        else:
            design = session.get(Design, design_id)
            customer = repositories.get_or_create_customer(session, customer_email)
            if design is None or design.customer_id != customer.id:
                raise NotFoundError(f"design {design_id} does not exist", design_id=design_id)
            placed = place_order_for_design(session, design, pairs)
        for run_id in placed.run_ids:
            run_after_commit(session, partial(enqueue_pipeline, celery, run_id, list(placed.stages)))
    return PlacedOrderOut(
        order_number=placed.order_number,
        design_id=placed.design_id,
        foot_scan_id=placed.foot_scan_id,
        pair_serials=list(placed.pair_serials),
        run_ids=list(placed.run_ids),
        stages=list(placed.stages),
    )


@router.get("/{order_number}")
def read_order(resources: ResourcesDep, principal: CustomerSideDep, order_number: str) -> OrderOut:
    """The order, its pairs and each pair's pipeline runs."""
    with session_scope(resources.sessions) as session:
        order = owned_order(session, principal, order_number)
        pairs = []
        for pair in repositories.pairs_of_order(session, order.id):
            runs = [RunOut.model_validate(describe_run(session, run.id))
                    for run in repositories.runs_for_pair(session, pair.id)]  # fmt: skip
            pairs.append(OrderPairOut(serial=pair.serial, design_id=pair.design_id, runs=runs))
        return OrderOut(order_number=order.number, created_at=order.created_at.isoformat(), pairs=pairs)


def owned_order(session: Session, principal: Principal, order_number: str) -> Order:
    """The order by number; someone else's reads as missing."""
    order = repositories.get_order_by_number(session, order_number)
    if not owns(principal, order.customer_id):
        raise NotFoundError(f"order {order_number} does not exist", order=order_number)
    return order

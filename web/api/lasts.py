"""A pair's lasts over HTTP, for the pattern-maker: the files the pipeline's ``last.fit`` stage made (meshes,
parameters, drawing, the fit report's heat map), its ``last.json`` (targets, achieved values, errors and the fit
report per region) and the revisions fit feedback made of the design's last (``manufacturing/boards/lasts.py``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from manufacturing.accounts.roles import Capability
from manufacturing.boards.lasts import order_lasts
from manufacturing.db.session import session_scope
from web.api.auth import requires
from web.api.deps import ResourcesDep
from web.api.schemas.lasts import OrderLastsOut

router = APIRouter(
    prefix="/api/orders", tags=["lasts"], dependencies=[Depends(requires(Capability.PATTERNS, Capability.SHOP_FLOOR))]
)


@router.get("/{order_number}/lasts", response_model=OrderLastsOut)
def read_lasts(resources: ResourcesDep, order_number: str) -> OrderLastsOut:
    """Per pair: the state of its latest run's `last.fit` stage, its files with download links, the fit record
    (`last.json`, null until the stage is done), the fitted last's EU size (to the half size) and the design's
    last revisions (oldest first)."""
    with session_scope(resources.sessions) as session:
        return OrderLastsOut.of(order_lasts(session, resources.store, order_number))

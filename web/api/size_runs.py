"""Size runs of patterns over HTTP, for the pattern-maker: a pair's design graded over a run of sizes and written
as one ASTM/AAMA DXF (every piece of every size), a cutter DXF, an HPGL .plt, an SVG and a tiled PDF of the run,
and a report (``manufacturing/patterns/size_run.py``). Made on the first request (about 1.5 s a size, in the
server's geometry pool: never on the event loop) and stored; the same request again reads the files back."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy.exc import IntegrityError

from geometry.errors import NotFoundError
from manufacturing.accounts.roles import Capability
from manufacturing.db import repositories
from manufacturing.db.session import session_scope
from manufacturing.geometry_pool import geometry_pool
from manufacturing.patterns.size_run import SizeRunRequest, make_size_run
from manufacturing.pipeline.resources import Resources
from web.api.auth import requires
from web.api.deps import ResourcesDep
from web.api.schemas.patterns import SizeRunFileOut, SizeRunIn, SizeRunOut, SizeRunReportOut

router = APIRouter(
    prefix="/api/orders",
    tags=["patterns"],
    dependencies=[Depends(requires(Capability.PATTERNS, Capability.SHOP_FLOOR))],
)


@router.post("/{order_number}/size-runs", status_code=status.HTTP_201_CREATED)
def post_size_run(resources: ResourcesDep, order_number: str, body: SizeRunIn, response: Response) -> SizeRunOut:
    """Make (`201`) or read back (`200`) the size run of the pair's design on its last (the newest revision from fit
    feedback, else the fitted one). `409` before the pair's last is fitted; `422 invalid_size_run` for sizes that
    do not parse, an unknown system or side, more than the limit; `503 compute_timeout` when making it ran past
    its deadline, `503 compute_busy` when the geometry processes are all taken (try again)."""
    request = SizeRunRequest.parse(body.sizes, body.system, body.side)
    try:
        return _size_run(resources, order_number, body.pair, request, response)
    except IntegrityError:  # a concurrent request stored the same run first: read it back
        return _size_run(resources, order_number, body.pair, request, response)


def _size_run(
    resources: Resources, order_number: str, serial: str | None, request: SizeRunRequest, response: Response
) -> SizeRunOut:
    with session_scope(resources.sessions) as session:
        order = repositories.get_order_by_number(session, order_number)
        pairs = list(repositories.pairs_of_order(session, order.id))
        chosen = [p for p in pairs if serial is None or p.serial == serial]
        if not chosen:
            raise NotFoundError(f"order {order.number} has no pair {serial}", order=order.number, pair=serial)
        pair = chosen[0]
        run = make_size_run(session, resources.store, pair, request, pool=geometry_pool(resources.settings))
        response.status_code = status.HTTP_201_CREATED if run.first else status.HTTP_200_OK
        return SizeRunOut(
            order_number=order.number, pair_serial=pair.serial, style=pair.design.style, sizes=list(request.sizes),
            system=request.system, side=request.side, input_key=run.input_key,
            files=[SizeRunFileOut.of(artifact) for artifact in run.files],
            report=SizeRunReportOut.model_validate(run.report), first=run.first,
        )  # fmt: skip

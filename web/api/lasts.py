"""A pair's lasts over HTTP, for the pattern-maker: the files the pipeline's ``last.fit`` stage made (meshes,
parameters, drawing, the fit report's heat map), its ``last.json`` (targets, achieved values, errors and the fit
report per region) and the revisions fit feedback made of the design's last."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from lasts.grading import eu_size_of_last
from lasts.model import LastParameters
from manufacturing.accounts.roles import Capability
from manufacturing.db import repositories
from manufacturing.db.session import session_scope
from manufacturing.feedback import repository as feedback_repository
from manufacturing.pipeline.outputs import LAST_FIT, fitted_last_record, stage_outputs
from web.api.auth import requires
from web.api.deps import ResourcesDep

router = APIRouter(
    prefix="/api/orders", tags=["lasts"], dependencies=[Depends(requires(Capability.PATTERNS, Capability.SHOP_FLOOR))]
)


@router.get("/{order_number}/lasts")
def read_lasts(resources: ResourcesDep, order_number: str) -> dict[str, Any]:
    """Per pair: the state of its latest run's `last.fit` stage, its files with download links, the fit record
    (`last.json`, null until the stage is done), the fitted last's EU size (to the half size) and the design's
    last revisions (oldest first)."""
    with session_scope(resources.sessions) as session:
        order = repositories.get_order_by_number(session, order_number)
        pairs = []
        for pair in repositories.pairs_of_order(session, order.id):
            outputs = stage_outputs(session, pair.id, LAST_FIT)
            record = fitted_last_record(resources.store, outputs)
            size_eu = None if record is None else eu_size_of_last(LastParameters.from_dict(record["parameters"]))
            revisions = feedback_repository.revisions(session, pair.design.design_key)
            pairs.append({
                "serial": pair.serial, "design_id": pair.design_id, "style": pair.design.style,
                "run_id": outputs.run_id, "state": outputs.state,
                "files": [{"kind": a.kind, "filename": a.filename, "media_type": a.media_type,
                           "size_bytes": a.size_bytes, "url": f"/api/artifacts/{a.id}/content"}
                          for a in outputs.artifacts],
                "record": record, "size_eu": size_eu,
                "revisions": [{"revision": r.revision, "source": r.source, "changes": r.changes,
                               "measured": r.measured, "max_error_mm": r.max_error_mm,
                               "created_at": r.created_at.isoformat(),
                               "artifact_url": f"/api/artifacts/{r.artifact_id}/content"} for r in revisions],
            })  # fmt: skip
        return {"order_number": order.number, "pairs": pairs}

"""Designs over HTTP: validate a customer's choices on a last, price them, and serve the 3D preview; and the
style library. The work is ``manufacturing/designs/service.py``'s: these routes read the request, call it and
shape its answer (``web/api/schemas/designs.py``). Fitting, flattening, pricing and drawing the preview run in the
server's geometry pool (``manufacturing/geometry_pool.py``), never on the event loop; these sync routes wait for it
on a thread of their own."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from manufacturing.db.session import session_scope
from manufacturing.designs import service as designs
from manufacturing.designs.service import GLB_MEDIA_TYPE, NewDesign
from manufacturing.geometry_pool import geometry_pool
from web.api.auth import CustomerSideDep, acting_customer_email, owns
from web.api.deps import RecordId, ResourcesDep
from web.api.schemas.designs import DesignIn, DesignOut, StyleOut

router = APIRouter(tags=["designs"])


@router.post("/api/designs", status_code=status.HTTP_201_CREATED, response_model=DesignOut)
def post_design(resources: ResourcesDep, principal: CustomerSideDep, body: DesignIn) -> DesignOut:
    """Validate the options, fit (or read) the last, flatten the pieces and price the pair; store the revision.

    About 1.5 s: the quote needs the pieces flattened on the lasts. Problems: 422 `invalid_options` or
    `impossible_last`, 404 for an unknown scan or design, 409 when the scan is not measured yet, 503
    `compute_timeout` when the work ran past its deadline or `compute_busy` when the geometry processes are all
    taken (try again)."""
    new = NewDesign(options=body.options, foot_scan_id=body.foot_scan_id, last=body.last, size_eu=body.size_eu,
                    revises=body.revises)  # fmt: skip
    with session_scope(resources.sessions) as session:
        email = acting_customer_email(principal, str(body.email) if body.email is not None else None)
        design = designs.create_design(session, resources.store, new, email, pool=geometry_pool(resources.settings))
        return DesignOut.of(designs.describe_design(session, resources.store, design))


@router.get("/api/designs/{design_id}", response_model=DesignOut)
def read_design(resources: ResourcesDep, principal: CustomerSideDep, design_id: RecordId) -> DesignOut:
    """A design revision with its last, piece colours, quote and links."""
    with session_scope(resources.sessions) as session:
        design = designs.get_design(session, design_id, partial(owns, principal))
        return DesignOut.of(designs.describe_design(session, resources.store, design))


@router.get(
    "/api/designs/{design_id}/preview.glb",
    response_class=Response,
    responses={200: {"content": {GLB_MEDIA_TYPE: {}}, "description": "The 3D preview (glTF binary, m, +Y up)."}},
)
def read_design_preview(
    resources: ResourcesDep,
    principal: CustomerSideDep,
    design_id: RecordId,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The upper on the last as a GLB: node `last` and one node, mesh and material per piece, named after the
    piece, so the page recolours pieces by name. Cached per revision (ETag = the content's sha256); the first
    request draws it (503 `compute_timeout` or `compute_busy` as for a new design)."""
    with session_scope(resources.sessions) as session:
        design = designs.get_design(session, design_id, partial(owns, principal))
        artifact = designs.design_preview(session, resources.store, design.id, pool=geometry_pool(resources.settings))
        sha256, filename = artifact.sha256, artifact.filename
    etag = f'"{sha256}"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=31536000, immutable"}
    if if_none_match is not None and etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return Response(resources.store.read_bytes(sha256), media_type=GLB_MEDIA_TYPE, headers=headers)


@router.get("/api/styles", tags=["styles"], response_model=list[StyleOut])
def list_styles() -> list[StyleOut]:
    """The style library: each style's pieces (name, kind, material slot), material slots and laps."""
    return [StyleOut.of(style) for style in designs.style_library()]

"""Designs: validate a customer's choices on a last, price them, and serve the 3D preview; and the style library.

A design is stored as one immutable revision (``Design``: style + options snapshot, the customer, the scan
it was made for). Its last and its quote are artifacts keyed ``design:<id>`` (kinds ``design.last.json``,
``design.quote.json``), and so is its preview GLB (``design.preview.glb``, made on the first request and
reused after): a revision never changes, so neither do they. Editing a design is posting a new revision
(``revises``); colour changes are applied by the page on the GLB it has, by piece name.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response, status
from pydantic import BaseModel, EmailStr, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from configurator.options import DesignOptions, parse_options
from configurator.pattern_making import flatten_pair
from configurator.preview import piece_looks, preview_last, upper_glb
from configurator.styles.library import STYLES
from geometry.errors import ConflictError, InputError, NotFoundError
from lasts.fitted import fitted_last
from lasts.grading import eu_size_of_last
from lasts.model import LastParameters, Side, build_last, check_parameters
from lasts.pose import pose_last
from manufacturing.accounts.service import Principal
from manufacturing.artifacts import ArtifactStore
from manufacturing.bom.bom import build_bom
from manufacturing.bom.cost import quote
from manufacturing.db import repositories
from manufacturing.db.models import Artifact, Design, FootScan
from manufacturing.db.session import session_scope
from manufacturing.designs.logos import customer_logo
from manufacturing.materials.catalogue import default_catalogue
from web.api.auth import CustomerSideDep, acting_customer_email, owns
from web.api.deps import MAX_RECORD_ID, RecordId, ResourcesDep

router = APIRouter(tags=["designs"])

PATTERN_FACE_COUNT = 20_000  # the lasts the quote's pieces are flattened on (as the patterns stage does)
DESIGN_STAGE = "design"
DESIGN_STAGE_VERSION = 1  # bump when the stored last record or quote of the same design would change
PREVIEW_STAGE = "design.preview"
PREVIEW_STAGE_VERSION = 1  # bump when configurator.preview draws the same design differently
GLB_MEDIA_TYPE = "model/gltf-binary"


# ---------------------------------------------------------------------------------------------- schemas


class DesignIn(BaseModel):
    """A design to validate and price: the choices, and the foot (a scan already measured, or a last)."""

    options: dict[str, Any] = Field(description="Design options (see examples/options-*.json).")
    email: EmailStr | None = Field(None, description="Staff acting for a customer: the customer's e-mail address.")
    foot_scan_id: int | None = Field(
        None, ge=1, le=MAX_RECORD_ID,
        description="A foot scan already measured (its order's `scan.measure` stage ran): the lasts are fitted "
        "to it with the style's allowances and the design's fit preference."
    )  # fmt: skip
    last: dict[str, Any] | None = Field(
        None, description="A last's parameters (a `last.params.json`, mm), used for both feet (mirrored)."
    )
    size_eu: float | None = Field(
        None, ge=15, le=55, description="EU size of the bottom units; default: from the last's stick length."
    )
    revises: int | None = Field(None, ge=1, le=MAX_RECORD_ID, description="Id of the design this revises.")


class PieceLookOut(BaseModel):
    name: str
    material_slot: str
    colour: str
    material: str | None
    source: str


class DesignOut(BaseModel):
    id: int
    design_key: str
    revision: int
    style: str
    created_at: datetime
    options: dict[str, Any]
    foot_scan_id: int | None
    last: dict[str, Any] = Field(description="Where the last came from, its side and parameters (mm).")
    size_eu: float
    pieces: list[PieceLookOut]
    quote: dict[str, Any] = Field(description="Price per pair ex VAT, with materials, labour and overhead.")
    eta: dict[str, Any] = Field(description="Lead-time estimate (materials); production scheduling adds its queue.")
    bom: dict[str, Any] = Field(description="The bill of materials per pair; every line says how it was computed.")
    links: dict[str, str]


# ---------------------------------------------------------------------------------------------- queries


def _get_design(session: Session, design_id: int, principal: Principal | None = None) -> Design:
    """The design; someone else's reads as missing (``principal`` given)."""
    design = session.get(Design, design_id)
    if design is None or (principal is not None and not owns(principal, design.customer_id)):
        raise NotFoundError(f"design {design_id} does not exist", design_id=design_id)
    return design


def _next_revision(session: Session, design_key: str) -> int:
    latest = session.scalar(select(func.max(Design.revision)).where(Design.design_key == design_key))
    return int(latest or 0) + 1


def _design_artifact(session: Session, design_id: int, stage: str, version: int, kind: str) -> Artifact | None:
    return repositories.find_artifact(session, f"design:{design_id}", stage, version, kind)


def _put_json(session: Session, store: ArtifactStore, design_id: int, kind: str, payload: dict[str, Any]) -> None:
    blob = store.put_bytes(json.dumps(payload, indent=2, sort_keys=True).encode())
    repositories.add_artifact(
        session, blob, kind=kind, filename=f"design-{design_id}.{kind.removeprefix('design.')}",
        media_type="application/json", input_key=f"design:{design_id}", stage=DESIGN_STAGE,
        stage_version=DESIGN_STAGE_VERSION,
    )  # fmt: skip


def _read_json(session: Session, store: ArtifactStore, design_id: int, kind: str) -> dict[str, Any]:
    artifact = _design_artifact(session, design_id, DESIGN_STAGE, DESIGN_STAGE_VERSION, kind)
    if artifact is None:
        raise NotFoundError(
            f"design {design_id} has no {kind} (it was made by an order, not through /api/designs)",
            design_id=design_id,
        )
    record: dict[str, Any] = json.loads(store.read_bytes(artifact.sha256))
    return record


# ---------------------------------------------------------------------------------------------- service


def _last_from_scan(scan: FootScan, options: DesignOptions) -> tuple[LastParameters, dict[str, Any]]:
    if not scan.measurements or scan.side not in ("left", "right"):
        raise ConflictError(
            f"foot scan {scan.id} is not measured yet: wait for its order's scan.measure stage",
            foot_scan_id=scan.id,
        )
    values = {k: v for k, v in scan.measurements.items() if k.endswith("_mm")}
    fitted = fitted_last(values, scan.side, options.style, options.fit_preference.value)  # type: ignore[arg-type]
    params = fitted.fit.last.params
    return params, {"source": "scan", "foot_scan_id": scan.id, "max_fit_error_mm": round(fitted.fit.max_error_mm, 3)}


def _fitted_before(
    session: Session, store: ArtifactStore, scan_id: int, options: DesignOptions
) -> tuple[LastParameters, dict[str, Any]] | None:
    """The last an earlier design fitted to the same scan, style and fit: the same last (fitting is
    deterministic), so a size or option change need not solve it again (about 0.5 s)."""
    earlier = session.scalars(
        select(Design).where(Design.foot_scan_id == scan_id, Design.style == options.style).order_by(Design.id.desc())
    )
    for design in earlier:
        if design.options.get("fit_preference") != options.fit_preference.value:
            continue
        artifact = _design_artifact(session, design.id, DESIGN_STAGE, DESIGN_STAGE_VERSION, "design.last.json")
        if artifact is not None:
            record = json.loads(store.read_bytes(artifact.sha256))
            return LastParameters.from_dict(record.pop("parameters")), record
    return None


def _last_for(
    session: Session, store: ArtifactStore, body: DesignIn, options: DesignOptions, customer_id: int
) -> tuple[LastParameters, dict[str, Any]]:
    if (body.foot_scan_id is None) == (body.last is None):
        raise InputError("give foot_scan_id (a measured scan) or last (a last's parameters), not both and not neither")
    if body.last is not None:
        record = body.last.get("parameters", body.last)
        if not isinstance(record, dict):
            raise InputError("last must be a last's parameters (an object)")
        params = LastParameters.from_dict(record)
        check_parameters(params)
        return params, {"source": "parameters"}
    scan = session.get(FootScan, body.foot_scan_id)
    if scan is None or scan.customer_id != customer_id:
        raise NotFoundError(f"foot scan {body.foot_scan_id} does not exist", foot_scan_id=body.foot_scan_id)
    return _fitted_before(session, store, scan.id, options) or _last_from_scan(scan, options)


def _pair_lasts(params: LastParameters) -> dict[str, Any]:
    """Both feet at pattern resolution: the given last and its mirror image."""
    other: Side = "left" if params.side == "right" else "right"
    return {
        params.side: pose_last(build_last(params, PATTERN_FACE_COUNT)),
        other: pose_last(build_last(replace(params, side=other), PATTERN_FACE_COUNT)),
    }


def _eta(bom: dict[str, Any]) -> dict[str, Any]:
    catalogue = default_catalogue()
    leads = {line["material_id"]: catalogue.get(line["material_id"]).lead_time_days for line in bom["lines"]}
    limiting = max(leads, key=lambda k: leads[k])
    return {
        "materials_lead_time_days": leads[limiting],
        "limiting_material": limiting,
        "how": "the longest supplier lead time among the bill of materials' materials (none held in stock yet); "
        "the production queue is added when scheduling is wired to designs",
    }


def price_design(options: DesignOptions, params: LastParameters, size_eu: float | None) -> dict[str, Any]:
    """The quote record of ``options`` on the pair of lasts ``params`` makes: size, BOM, quote, ETA."""
    lasts = _pair_lasts(params)
    size = size_eu if size_eu is not None else eu_size_of_last(params)
    pair = flatten_pair(STYLES[options.style](), lasts["left"], lasts["right"], f"EU{size:g}")
    bom = build_bom(options, pair, size)
    bom_record = bom.to_dict()
    return {"size_eu": size, "bom": bom_record, "quote": quote(bom).to_dict(), "eta": _eta(bom_record)}


def create_design(session: Session, store: ArtifactStore, body: DesignIn, customer_email: str) -> Design:
    """Validate, fit or read the last, price, and store the revision with its last and quote (no commit)."""
    options = parse_options(body.options, source="options")
    customer = repositories.get_or_create_customer(session, customer_email)
    if options.logo is not None and options.logo.image_sha256 is not None:
        customer_logo(session, customer.id, options.logo.image_sha256)  # 404 unless this customer uploaded it
    params, last_source = _last_for(session, store, body, options, customer.id)
    priced = price_design(options, params, body.size_eu)
    design_key = str(uuid.uuid4())
    if body.revises is not None:
        previous = _get_design(session, body.revises)
        if previous.customer_id != customer.id:  # someone else's design reads as missing
            raise NotFoundError(f"design {previous.id} does not exist", design_id=previous.id)
        design_key = previous.design_key
    design = Design(
        design_key=design_key,
        revision=_next_revision(session, design_key),
        customer_id=customer.id,
        foot_scan_id=body.foot_scan_id,
        style=options.style,
        options=options.model_dump(mode="json"),
    )
    session.add(design)
    session.flush()
    _put_json(session, store, design.id, "design.last.json", {**last_source, "parameters": params.to_dict()})
    _put_json(session, store, design.id, "design.quote.json", priced)
    return design


def describe_design(session: Session, store: ArtifactStore, design: Design) -> DesignOut:
    last = _read_json(session, store, design.id, "design.last.json")
    priced = _read_json(session, store, design.id, "design.quote.json")
    options = parse_options(design.options, source=f"design {design.id}")
    params = last["parameters"]
    return DesignOut(
        id=design.id,
        design_key=design.design_key,
        revision=design.revision,
        style=design.style,
        created_at=design.created_at,
        options=design.options,
        foot_scan_id=design.foot_scan_id,
        last={**last, "side": params["side"], "stick_length_mm": params["stick_length_mm"]},
        size_eu=priced["size_eu"],
        pieces=[PieceLookOut(**vars(look)) for look in piece_looks(STYLES[design.style](), options)],
        quote=priced["quote"],
        eta=priced["eta"],
        bom=priced["bom"],
        links={"self": f"/api/designs/{design.id}", "preview_glb": f"/api/designs/{design.id}/preview.glb"},
    )


def design_preview(session: Session, store: ArtifactStore, design_id: int) -> Artifact:
    """The design's preview GLB, made on the first request and stored (a revision never changes)."""
    design = _get_design(session, design_id)
    kind = "design.preview.glb"
    found = _design_artifact(session, design.id, PREVIEW_STAGE, PREVIEW_STAGE_VERSION, kind)
    if found is not None:
        return found
    params = LastParameters.from_dict(_read_json(session, store, design.id, "design.last.json")["parameters"])
    options = parse_options(design.options, source=f"design {design.id}")
    glb = upper_glb(STYLES[design.style](), preview_last(params), options)
    return repositories.add_artifact(
        session, store.put_bytes(glb), kind=kind, filename=f"design-{design.id}-r{design.revision}.glb",
        media_type=GLB_MEDIA_TYPE, input_key=f"design:{design.id}", stage=PREVIEW_STAGE,
        stage_version=PREVIEW_STAGE_VERSION,
    )  # fmt: skip


def style_library() -> list[dict[str, Any]]:
    styles = []
    for make in STYLES.values():
        style = make()
        styles.append({
            "name": style.name,
            "title": style.title,
            "pieces": [
                {"name": p.name, "kind": p.kind, "material_slot": p.material_slot, "moulded": p.moulded,
                 "quantity": p.quantity}
                for p in style.pieces
            ],
            "material_slots": list(dict.fromkeys(p.material_slot for p in style.pieces)),
            "laps": [{"over": lap.over, "under": lap.under, "closed": lap.closed} for lap in style.laps],
        })  # fmt: skip
    return styles


# ---------------------------------------------------------------------------------------------- routes


@router.post("/api/designs", status_code=status.HTTP_201_CREATED, response_model=DesignOut)
def post_design(resources: ResourcesDep, principal: CustomerSideDep, body: DesignIn) -> DesignOut:
    """Validate the options, fit (or read) the last, flatten the pieces and price the pair; store the revision.

    About 1.5 s: the quote needs the pieces flattened on the lasts. Problems: 422 `invalid_options` or
    `impossible_last`, 404 for an unknown scan or design, 409 when the scan is not measured yet."""
    with session_scope(resources.sessions) as session:
        email = acting_customer_email(principal, str(body.email) if body.email is not None else None)
        design = create_design(session, resources.store, body, email)
        return describe_design(session, resources.store, design)


@router.get("/api/designs/{design_id}", response_model=DesignOut)
def read_design(resources: ResourcesDep, principal: CustomerSideDep, design_id: RecordId) -> DesignOut:
    """A design revision with its last, piece colours, quote and links."""
    with session_scope(resources.sessions) as session:
        return describe_design(session, resources.store, _get_design(session, design_id, principal))


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
    piece, so the page recolours pieces by name. Cached per revision (ETag = the content's sha256)."""
    with session_scope(resources.sessions) as session:
        artifact = design_preview(session, resources.store, _get_design(session, design_id, principal).id)
        sha256, filename = artifact.sha256, artifact.filename
    etag = f'"{sha256}"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=31536000, immutable"}
    if if_none_match is not None and etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return Response(resources.store.read_bytes(sha256), media_type=GLB_MEDIA_TYPE, headers=headers)


@router.get("/api/styles", tags=["styles"])
def list_styles() -> list[dict[str, Any]]:
    """The style library: each style's pieces (name, kind, material slot), material slots and laps."""
    return style_library()

"""Designs: a customer's choices made on a pair of lasts, priced, stored as revisions, previewed.

``design_on_lasts`` is the one step from a design and its lasts to the pair's pieces, bill of materials and
quote; the patterns stage, the designs API, ``cspms bom`` and (through ``configurator.pattern_lasts``)
``cspms style flatten`` and size runs all make their pieces this way.

A design is stored as one immutable revision (``Design``: style + options snapshot, the customer, the scan
it was made for). Its last and its quote are artifacts keyed ``design:<id>`` (kinds ``design.last.json``,
``design.quote.json``), and so is its preview GLB (``design.preview.glb``, made on the first request and
reused after): a revision never changes, so neither do they. Editing a design is storing a new revision
(``revises``). Services never commit: the request commits once, at its end.

Fitting a last (about 0.5 s), flattening and pricing the pair (about 1.5 s) and drawing the preview (about 0.1 s)
are the heavy half: ``make_design`` and ``preview_glb``, pure functions of typed records, which the web server runs
in its geometry pool (``manufacturing/geometry_pool.py``: another process, with a deadline); other callers run them
in their own process (``pool=None``). The database half (what to make, what is stored) stays here.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from configurator.options import DesignOptions, parse_options
from configurator.pattern_lasts import PairLasts, flatten_on_lasts, pair_lasts
from configurator.pattern_making import PairFlattening
from configurator.preview import PieceLook, piece_looks, preview_last, upper_glb
from configurator.styles.library import STYLES
from configurator.styles.model import Style
from geometry.errors import ConflictError, InputError, NotFoundError
from lasts.fitted import fitted_last
from lasts.grading import eu_size_of_last
from lasts.measurements import measurements_from_json
from lasts.model import LastParameters, check_parameters
from lasts.side import Side
from manufacturing.artifacts import ArtifactStore
from manufacturing.bom.bom import Bom, build_bom
from manufacturing.bom.cost import Quote, quote
from manufacturing.db import repositories
from manufacturing.db.models import Artifact, Design, FootScan
from manufacturing.designs.logos import customer_logo
from manufacturing.geometry_pool import GeometryPool
from manufacturing.materials.catalogue import default_catalogue

DESIGN_STAGE = "design"
DESIGN_STAGE_VERSION = 1  # bump when the stored last record or quote of the same design would change
PREVIEW_STAGE = "design.preview"
PREVIEW_STAGE_VERSION = 1  # bump when configurator.preview draws the same design differently
GLB_MEDIA_TYPE = "model/gltf-binary"

W = TypeVar("W")
R = TypeVar("R")


# ---------------------------------------------------------------------------------------------- the pair


@dataclass(frozen=True)
class DesignedPair:
    """A design made on a pair of lasts: the lasts, each foot's flattened pieces (``pieces.left``,
    ``pieces.right``), the EU size of its bottom units, and the pair's bill of materials and quote."""

    lasts: PairLasts
    pieces: PairFlattening
    size_eu: float
    bom: Bom
    quote: Quote


def design_on_lasts(
    options: DesignOptions,
    lasts: Mapping[Side, LastParameters],
    *,
    size_eu: float | None = None,
    size_label: str | None = None,
) -> DesignedPair:
    """The pair of ``options`` on ``lasts`` (one foot's parameters, mirrored for the other, or each foot's own):
    pieces flattened on the pattern lasts (``configurator.pattern_lasts.PATTERN_FACE_COUNT``), then its BOM
    and quote. ``size_eu``: the bottom units' size (default: the right last's, from its stick length);
    ``size_label``: the size written on the pieces (default ``EU<size>``)."""
    pair = pair_lasts(lasts)
    size = size_eu if size_eu is not None else eu_size_of_last(pair.right.params)
    pieces = flatten_on_lasts(options.style, pair, size_label if size_label is not None else f"EU{size:g}")
    bom = build_bom(options, pieces, size)
    return DesignedPair(lasts=pair, pieces=pieces, size_eu=size, bom=bom, quote=quote(bom))


# ---------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class NewDesign:
    """A design to validate, price and store: the choices, and the foot (a measured scan, or a last)."""

    options: Mapping[str, Any]
    foot_scan_id: int | None = None
    last: Mapping[str, Any] | None = None  # a last's parameters (mm), or a record holding them as "parameters"
    size_eu: float | None = None
    revises: int | None = None


@dataclass(frozen=True)
class GivenLast:
    """A last known before the work starts: its parameters (mm) and where they came from (``design.last.json``
    without them: ``{"source": "parameters"}``, or the record of an earlier design's fit to the same scan)."""

    params: LastParameters
    record: Mapping[str, Any]


@dataclass(frozen=True)
class FootToFit:
    """A measured scan's foot, for a last to be fitted to: its side and measurements (mm: measured, else estimated;
    None: neither)."""

    foot_scan_id: int
    side: Side
    values_mm: dict[str, float | None]  # a plain dict: it is pickled (``Measurements`` holds a read-only view)


@dataclass(frozen=True)
class DesignWork:
    """What ``make_design`` needs (it crosses to the geometry pool): the choices, the last or the foot to fit one
    to, and the bottom units' EU size (None: the last's own)."""

    options: DesignOptions
    last: GivenLast | FootToFit
    size_eu: float | None


@dataclass(frozen=True)
class MadeDesign:
    """What ``make_design`` gives back, as it is stored: the last (mm) and its record, and the quote record."""

    params: LastParameters
    last_record: dict[str, Any]  # design.last.json without the parameters: where the last came from
    priced: dict[str, Any]  # design.quote.json: size, BOM, quote, ETA (``price_design``)


@dataclass(frozen=True)
class PreviewWork:
    """What ``preview_glb`` needs (it crosses to the geometry pool): the design's style, last (mm) and choices."""

    style: str
    params: LastParameters
    options: DesignOptions


@dataclass(frozen=True)
class DesignDescription:
    """A stored design revision with its last record, size, quote, lead time, BOM and piece colours."""

    design: Design
    last: dict[str, Any]  # where the last came from, its side, stick length and parameters (mm)
    size_eu: float
    quote: dict[str, Any]
    eta: dict[str, Any]
    bom: dict[str, Any]
    pieces: list[PieceLook]


# ---------------------------------------------------------------------------------------------- queries


def get_design(session: Session, design_id: int, may_see: Callable[[int], bool] | None = None) -> Design:
    """The design; one whose customer ``may_see`` refuses reads as missing."""
    design = session.get(Design, design_id)
    if design is None or (may_see is not None and not may_see(design.customer_id)):
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


# ---------------------------------------------------------------------------------------------- the last


def _foot_of(scan: FootScan) -> FootToFit:
    if not scan.measurements or scan.side is None:
        raise ConflictError(
            f"foot scan {scan.id} is not measured yet: wait for its order's scan.measure stage",
            foot_scan_id=scan.id,
        )
    foot = measurements_from_json(scan.measurements, scan.side)  # the row keeps the side in its own column
    return FootToFit(scan.id, foot.side, dict(foot.completed_mm))  # estimated where the scan lacks a value


def _fit_last(to_fit: FootToFit, options: DesignOptions) -> tuple[LastParameters, dict[str, Any]]:
    fitted = fitted_last(to_fit.values_mm, to_fit.side, options.style, options.fit_preference)
    record = {"source": "scan", "foot_scan_id": to_fit.foot_scan_id,
              "max_fit_error_mm": round(fitted.fit.max_error_mm, 3)}  # fmt: skip
    return fitted.fit.last.params, record


def _fitted_before(session: Session, store: ArtifactStore, scan_id: int, options: DesignOptions) -> GivenLast | None:
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
            return GivenLast(LastParameters.from_dict(record.pop("parameters")), record)
    return None


def _last_for(
    session: Session, store: ArtifactStore, new: NewDesign, options: DesignOptions, customer_id: int
) -> GivenLast | FootToFit:
    """The last the design is made on, or the measured foot to fit it to (done in ``make_design``)."""
    if (new.foot_scan_id is None) == (new.last is None):
        raise InputError("give foot_scan_id (a measured scan) or last (a last's parameters), not both and not neither")
    if new.last is not None:
        record = new.last.get("parameters", new.last)
        if not isinstance(record, dict):
            raise InputError("last must be a last's parameters (an object)")
        params = LastParameters.from_dict(record)
        check_parameters(params)  # refused here, before any work is handed out
        return GivenLast(params, {"source": "parameters"})
    scan = session.get(FootScan, new.foot_scan_id)
    if scan is None or scan.customer_id != customer_id:
        raise NotFoundError(f"foot scan {new.foot_scan_id} does not exist", foot_scan_id=new.foot_scan_id)
    return _fitted_before(session, store, scan.id, options) or _foot_of(scan)


# ---------------------------------------------------------------------------------------------- the price


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
    """The quote record (``design.quote.json``) of ``options`` on the pair of lasts ``params`` makes (mirrored
    for the other foot): size, BOM, quote, ETA. Parameters no last can have (NaN, 1e308, a ball girth past the
    stick length) are refused (``LastError``) before anything is made, and a price that is not a finite positive
    amount is never given."""
    check_parameters(params)
    made = design_on_lasts(options, {params.side: params}, size_eu=size_eu)
    price_eur = made.quote.price_eur
    if not (math.isfinite(price_eur) and price_eur > 0):
        raise InputError(f"the design prices at {price_eur} EUR a pair: its last or options cannot be made",
                         price_eur=str(price_eur))  # fmt: skip
    bom_record = made.bom.to_dict()
    return {"size_eu": made.size_eu, "bom": bom_record, "quote": made.quote.to_dict(), "eta": _eta(bom_record)}


# ---------------------------------------------------------------------------------------------- the heavy half


def make_design(work: DesignWork) -> MadeDesign:
    """A new design's last (fitted to the foot, or as given) and its quote record (``price_design``). Pure:
    what the geometry pool runs."""
    if isinstance(work.last, FootToFit):
        params, record = _fit_last(work.last, work.options)
    else:
        params, record = work.last.params, dict(work.last.record)
    return MadeDesign(params, record, price_design(work.options, params, work.size_eu))


def preview_glb(work: PreviewWork) -> bytes:
    """The design's preview GLB (``configurator.preview.upper_glb`` on the last at preview resolution). Pure:
    what the geometry pool runs."""
    return upper_glb(STYLES[work.style](), preview_last(work.params), work.options)


def _run(pool: GeometryPool | None, task: Callable[[W], R], work: W, what: str) -> R:
    """``task(work)`` in the geometry pool (the web server), or in this process (``pool=None``)."""
    return pool.run(task, work, what=what) if pool is not None else task(work)


# ---------------------------------------------------------------------------------------------- commands


def create_design(
    session: Session, store: ArtifactStore, new: NewDesign, customer_email: str, pool: GeometryPool | None = None
) -> Design:
    """Validate, fit or read the last, price, and store the revision with its last and quote (no commit).
    ``pool``: where the last is fitted and the pair priced (None: in this process)."""
    options = parse_options(dict(new.options), source="options")
    customer = repositories.get_or_create_customer(session, customer_email)
    if options.logo is not None and options.logo.image_sha256 is not None:
        customer_logo(session, customer.id, options.logo.image_sha256)  # 404 unless this customer uploaded it
    design_key = str(uuid.uuid4())
    if new.revises is not None:  # checked before the work: a refused request costs nothing
        previous = get_design(session, new.revises)
        if previous.customer_id != customer.id:  # someone else's design reads as missing
            raise NotFoundError(f"design {previous.id} does not exist", design_id=previous.id)
        design_key = previous.design_key
    last = _last_for(session, store, new, options, customer.id)
    what = "fitting the last and pricing the design" if isinstance(last, FootToFit) else "pricing the design"
    made = _run(pool, make_design, DesignWork(options, last, new.size_eu), what)
    design = Design(
        design_key=design_key,
        revision=_next_revision(session, design_key),
        customer_id=customer.id,
        foot_scan_id=new.foot_scan_id,
        style=options.style,
        options=options.model_dump(mode="json"),
    )
    session.add(design)
    session.flush()
    last_record = {**made.last_record, "parameters": made.params.to_dict()}
    _put_json(session, store, design.id, "design.last.json", last_record)
    _put_json(session, store, design.id, "design.quote.json", made.priced)
    return design


def describe_design(session: Session, store: ArtifactStore, design: Design) -> DesignDescription:
    """The revision with its stored last and quote, and each piece's colour and material."""
    last = _read_json(session, store, design.id, "design.last.json")
    priced = _read_json(session, store, design.id, "design.quote.json")
    options = parse_options(design.options, source=f"design {design.id}")
    params = last["parameters"]
    return DesignDescription(
        design=design,
        last={**last, "side": params["side"], "stick_length_mm": params["stick_length_mm"]},
        size_eu=priced["size_eu"],
        quote=priced["quote"],
        eta=priced["eta"],
        bom=priced["bom"],
        pieces=piece_looks(STYLES[design.style](), options),
    )


def design_preview(
    session: Session, store: ArtifactStore, design_id: int, pool: GeometryPool | None = None
) -> Artifact:
    """The design's preview GLB, made on the first request and stored (a revision never changes). ``pool``: where
    it is drawn (None: in this process)."""
    design = get_design(session, design_id)
    kind = "design.preview.glb"
    found = _design_artifact(session, design.id, PREVIEW_STAGE, PREVIEW_STAGE_VERSION, kind)
    if found is not None:
        return found
    params = LastParameters.from_dict(_read_json(session, store, design.id, "design.last.json")["parameters"])
    options = parse_options(design.options, source=f"design {design.id}")
    glb = _run(pool, preview_glb, PreviewWork(design.style, params, options), "drawing the design's preview")
    return repositories.add_artifact(
        session, store.put_bytes(glb), kind=kind, filename=f"design-{design.id}-r{design.revision}.glb",
        media_type=GLB_MEDIA_TYPE, input_key=f"design:{design.id}", stage=PREVIEW_STAGE,
        stage_version=PREVIEW_STAGE_VERSION,
    )  # fmt: skip


def style_library() -> list[Style]:
    """Every style of the library, in the library's order."""
    return [make() for make in STYLES.values()]

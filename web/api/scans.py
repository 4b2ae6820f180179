"""Scans: upload a foot scan and have it measured now, so a design (``POST /api/designs``) can be fitted to it
before any order exists (the configurator page).

The scan is measured by the order pipeline's own ``scan.measure`` stage (same function, same input key,
same version), and its outputs are stored as that stage's artifacts: an order placed later for the same
file reuses them instead of measuring again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import Response
from pydantic import BaseModel, EmailStr, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from geometry.errors import ConfigurationError, NotFoundError
from geometry.exchange.meshes import sniff_mesh_format
from lasts.scans import IngestOptions
from lasts.typed_foot import TypedFoot, typed_foot_mesh
from manufacturing.accounts.service import Principal
from manufacturing.artifacts import ArtifactStore
from manufacturing.db import repositories
from manufacturing.db.models import FootScan
from manufacturing.db.session import session_scope
from manufacturing.pipeline.stages import SCAN_MEASURE, StageContext, StageOutput
from web.api.auth import CustomerSideDep, acting_customer_email, owns
from web.api.deps import RecordId, ResourcesDep
from web.api.uploads import read_upload_limited

router = APIRouter(prefix="/api/scans", tags=["scans"])


class ScanOut(BaseModel):
    id: int
    original_filename: str
    sha256: str
    size_bytes: int
    side: str | None
    units_detected: str | None
    measurements: dict[str, float | None]
    summary: dict[str, Any]
    links: dict[str, str]


@dataclass
class _ScanContext:
    """What ``scan.measure`` reads from a stage context, for a scan outside any pipeline run."""

    scan: FootScan
    store: ArtifactStore

    @property
    def ingest_options(self) -> IngestOptions:
        return IngestOptions()

    def scan_bytes(self) -> bytes:
        return self.store.read_bytes(self.scan.sha256)


def _describe(scan: FootScan) -> ScanOut:
    values = scan.measurements or {}
    return ScanOut(
        id=scan.id,
        original_filename=scan.original_filename,
        sha256=scan.sha256,
        size_bytes=scan.size_bytes,
        side=scan.side,
        units_detected=scan.units_detected,
        measurements={k: v for k, v in values.items() if k.endswith("_mm")},
        summary=scan.summary,
        links={"self": f"/api/scans/{scan.id}", "upload": f"/api/scans/{scan.id}/upload"},
    )


def store_and_measure_scan(
    session: Session, store: ArtifactStore, *, customer_email: str, filename: str, data: bytes
) -> FootScan:
    """Store the upload and its ``FootScan``, measure it (or reuse the stage's stored outputs), record the
    measurements on the scan (no commit)."""
    sniff_mesh_format(data, filename)  # refuse non-scan files before anything is stored
    customer = repositories.get_or_create_customer(session, customer_email)
    blob = store.put_bytes(data)
    upload = repositories.add_artifact(
        session, blob, kind="scan.upload", filename=filename, media_type="application/octet-stream",
        input_key=f"scan:{blob.sha256}", stage="upload", stage_version=1,
    )  # fmt: skip
    scan = FootScan(
        customer=customer, original_filename=filename, sha256=blob.sha256, size_bytes=blob.size_bytes,
        upload_artifact=upload, summary={},
    )  # fmt: skip
    session.add(scan)
    ctx = cast(StageContext, _ScanContext(scan=scan, store=store))
    input_key = SCAN_MEASURE.input_key(ctx)
    existing = repositories.find_stage_outputs(session, input_key, SCAN_MEASURE.name, SCAN_MEASURE.version)
    if existing and all(store.exists(a.sha256) for a in existing):
        outputs = [StageOutput(a.kind, a.filename, a.media_type, store.read_bytes(a.sha256)) for a in existing]
    else:
        outputs = SCAN_MEASURE.run(ctx)
        for output in outputs:
            repositories.add_artifact(
                session, store.put_bytes(output.data), kind=output.kind, filename=output.filename,
                media_type=output.media_type, input_key=input_key, stage=SCAN_MEASURE.name,
                stage_version=SCAN_MEASURE.version,
            )  # fmt: skip
    assert SCAN_MEASURE.record is not None
    SCAN_MEASURE.record(ctx, outputs)
    session.flush()
    return scan


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ScanOut)
async def create_scan(
    resources: ResourcesDep,
    principal: CustomerSideDep,
    scan: Annotated[UploadFile, File(description="Foot scan: STL, OBJ, PLY, OFF, GLB/glTF, 3MF or XYZ.")],
    email: Annotated[EmailStr | None, Form(description="Staff acting for a customer: the customer's e-mail.")] = None,
) -> ScanOut:
    """Store a foot scan and measure it now (about 1 s): its id is a design's `foot_scan_id`.

    Problems: 415 for a file that is not a scan, 413 over the upload limit, 422 for a scan that cannot be
    measured (no foot found, ambiguous units...)."""
    customer_email = acting_customer_email(principal, email)
    data = await read_upload_limited(scan, resources.settings.max_upload_bytes)
    filename = scan.filename or "scan"

    def work() -> ScanOut:
        with session_scope(resources.sessions) as session:
            stored = store_and_measure_scan(
                session, resources.store, customer_email=customer_email, filename=filename, data=data
            )
            return _describe(stored)

    return await run_in_threadpool(work)


class TypedMeasurementsIn(BaseModel):
    """A foot measured by hand (mm): the fitted last needs its length and ball girth; the width is optional."""

    side: Literal["left", "right"]
    foot_length_mm: float = Field(gt=0, le=1000)
    ball_girth_mm: float = Field(gt=0, le=1000)
    ball_width_mm: float | None = Field(None, gt=0, le=1000)
    email: EmailStr | None = Field(None, description="Staff acting for a customer: the customer's e-mail.")


@router.post("/typed", status_code=status.HTTP_201_CREATED, response_model=ScanOut)
def create_typed_scan(resources: ResourcesDep, principal: CustomerSideDep, body: TypedMeasurementsIn) -> ScanOut:
    """A foot from typed measurements instead of a scan: the template foot made to them (docs/measurements.md),
    stored and measured like an uploaded scan, so designs and orders treat it the same. 422
    `impossible_measurements` for values no foot has."""
    customer_email = acting_customer_email(principal, str(body.email) if body.email is not None else None)
    template = resources.settings.foot_template_path
    if not template.is_file():
        raise ConfigurationError(f"the template foot {template} is missing (CSPMS_FOOT_TEMPLATE_PATH)")
    typed = TypedFoot(body.side, body.foot_length_mm, body.ball_girth_mm, body.ball_width_mm)
    data = typed_foot_mesh(typed, template)
    name = f"typed-{body.side}-{body.foot_length_mm:g}x{body.ball_girth_mm:g}.ply"
    with session_scope(resources.sessions) as session:
        stored = store_and_measure_scan(session, resources.store, customer_email=customer_email, filename=name,
                                        data=data)  # fmt: skip
        return _describe(stored)


@router.get("/{scan_id}", response_model=ScanOut)
def read_scan(resources: ResourcesDep, principal: CustomerSideDep, scan_id: RecordId) -> ScanOut:
    """A scan with its side, detected units and measurements (mm)."""
    with session_scope(resources.sessions) as session:
        return _describe(_get_scan(session, principal, scan_id))


@router.get(
    "/{scan_id}/upload",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file as uploaded."}},
)
def read_scan_upload(resources: ResourcesDep, principal: CustomerSideDep, scan_id: RecordId) -> Response:
    """The scan file as it was uploaded."""
    with session_scope(resources.sessions) as session:
        scan = _get_scan(session, principal, scan_id)
        sha256, filename = scan.sha256, scan.original_filename
    disposition = f'attachment; filename="{_safe_filename(filename)}"'
    return Response(resources.store.read_bytes(sha256), media_type="application/octet-stream",
                    headers={"Content-Disposition": disposition})  # fmt: skip


def _get_scan(session: Session, principal: Principal, scan_id: int) -> FootScan:
    # Someone else's scan reads as missing: its existence is not the caller's to learn.
    scan = session.get(FootScan, scan_id)
    if scan is None or not owns(principal, scan.customer_id):
        raise NotFoundError(f"foot scan {scan_id} does not exist", foot_scan_id=scan_id)
    return scan


def _safe_filename(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:100] or "scan"

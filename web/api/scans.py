"""Scans: upload a foot scan and have it measured now, so a design (``POST /api/designs``) can be fitted to it
before any order exists (the configurator page).

The scan is measured by the order pipeline's own ``scan.measure`` stage (same function, same input key,
same version), and its outputs are stored as that stage's artifacts: an order placed later for the same
file reuses them instead of measuring again. The work is ``manufacturing/scans/service.py``'s.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from lasts.typed_foot import TypedFoot
from manufacturing.accounts import identity
from manufacturing.accounts.roles import Role
from manufacturing.db.models import FootScan
from manufacturing.db.session import session_scope
from manufacturing.geometry_pool import geometry_pool
from manufacturing.scans import service as scans
from web.api.auth import CustomerSideDep, acting_customer_email, owns
from web.api.deps import RecordId, ResourcesDep
from web.api.schemas.scans import ScanOut, TypedMeasurementsIn, TypedScanOut
from web.api.uploads import email_field, multipart_body, read_upload_form, side_field

router = APIRouter(prefix="/api/scans", tags=["scans"])


_SCAN_FORM = multipart_body(
    "scan", "Foot scan: STL, OBJ, PLY, OFF, GLB/glTF, 3MF, XYZ or PCD.",
    side="Optional, left or right: which foot the scan is. It is measured as that foot whatever its file name says "
    "(a scan whose shape is the other foot's is taken as a mirrored export and mirrored back, flagged); of a "
    "two-foot file, the foot returned first.",
    email="Staff acting for a customer: the customer's e-mail.",
)  # fmt: skip


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ScanOut, openapi_extra=_SCAN_FORM)
async def create_scan(request: Request, resources: ResourcesDep, principal: CustomerSideDep) -> ScanOut:
    """Store a foot scan and measure it now (about 1 s): its id is a design's `foot_scan_id`. A scan cut low (at
    the ankle) is measured as far as it reaches: `coverage` says where it stops, `estimated` holds the girths it
    lacks. A file holding a left and a right foot gives a scan per foot (`other_foot_scan_id`).

    Problems: 415 for a file that is not a scan, 413 over the upload limit or past what a scan may expand to,
    422 for a scan that cannot be measured (no foot found, ambiguous units...) and for one whose side must be
    confirmed with the `side` field (`side_mismatch`: its file name claims the other foot; `side_uncertain`: its
    shape cannot tell), 503 when measuring took too long or the measuring processes are all busy. Signed in
    first: the body is read only after."""
    settings = resources.settings
    form = await read_upload_form(request, resources.store, file_field="scan", max_file_bytes=settings.max_upload_bytes,
                                  text_fields=frozenset({"email", "side"}))  # fmt: skip
    upload = form.file
    assert upload is not None
    options = scans.upload_ingest_options(settings, side_field(form))

    def work() -> ScanOut:
        with session_scope(resources.sessions) as session:
            stored = scans.store_and_measure_scan(
                session, resources.store, customer_email=acting_customer_email(principal, email_field(form)),
                filename=form.filename or "scan", data=upload, options=options,
                pool=geometry_pool(settings),
            )  # fmt: skip
            return _scan_out(stored)

    try:
        return await run_in_threadpool(work)
    finally:
        resources.store.discard(upload)  # a no-op once stored; else nothing of it stays


@router.post("/typed", status_code=status.HTTP_201_CREATED, response_model=TypedScanOut)
def create_typed_scan(resources: ResourcesDep, principal: CustomerSideDep, body: TypedMeasurementsIn) -> TypedScanOut:
    """A foot from typed measurements instead of a scan: the template foot made to them (docs/measurements.md),
    stored and measured like an uploaded scan, so designs and orders treat it the same; the girths it takes from
    the template (heel, instep, waist, ankle) are `estimated`, not measurements. 422
    `impossible_measurements` for values no foot has. Staff recording a walk-in customer without an account get
    a `claim_code` to print for them (docs/auth.md)."""
    customer_email = acting_customer_email(principal, str(body.email) if body.email is not None else None)
    typed = TypedFoot(body.side, body.foot_length_mm, body.ball_girth_mm, body.ball_width_mm)
    pool = geometry_pool(resources.settings)  # making and measuring a foot: off the web process
    name, data = pool.run(scans.typed_foot_file, typed, resources.settings.foot_template_path,
                          what="making the foot to the typed measurements")  # fmt: skip
    with session_scope(resources.sessions) as session:
        stored = scans.store_and_measure_scan(session, resources.store, customer_email=customer_email, filename=name,
                                              data=data, typed=typed, pool=pool)  # fmt: skip
        code = None
        if principal.role != Role.CUSTOMER:  # a customer's own record needs no claiming
            code = identity.issue_claim_code(session, stored.customer_id, resources.settings.claim_code_ttl_s)
        return TypedScanOut(**_scan_out(stored).model_dump(), claim_code=code)


@router.get("/{scan_id}", response_model=ScanOut)
def read_scan(resources: ResourcesDep, principal: CustomerSideDep, scan_id: RecordId) -> ScanOut:
    """A scan with its side, detected units and measurements (mm)."""
    with session_scope(resources.sessions) as session:
        return _scan_out(scans.get_scan(session, scan_id, partial(owns, principal)))


@router.get(
    "/{scan_id}/upload",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file as uploaded."}},
)
def read_scan_upload(resources: ResourcesDep, principal: CustomerSideDep, scan_id: RecordId) -> Response:
    """The scan file as it was uploaded."""
    with session_scope(resources.sessions) as session:
        scan = scans.get_scan(session, scan_id, partial(owns, principal))
        sha256, filename = scan.sha256, scan.original_filename
    disposition = f'attachment; filename="{_safe_filename(filename)}"'
    return Response(resources.store.read_bytes(sha256), media_type="application/octet-stream",
                    headers={"Content-Disposition": disposition})  # fmt: skip


def _scan_out(scan: FootScan) -> ScanOut:
    return ScanOut.of(scan, scans.scan_measurements(scan))


def _safe_filename(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:100] or "scan"

"""Logo images for designs: upload one (checked and stored under the customer), then name it in a design's
options (``logo.image_sha256``); the workshop downloads it with the order's files."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from pydantic import EmailStr
from starlette.concurrency import run_in_threadpool

from manufacturing.db import repositories
from manufacturing.db.session import session_scope
from manufacturing.designs.logos import MAX_LOGO_BYTES, customer_logo, store_logo
from web.api.auth import CustomerSideDep, acting_customer_email
from web.api.deps import ResourcesDep
from web.api.schemas.logos import LogoOut
from web.api.uploads import email_field, multipart_body, read_upload_form

router = APIRouter(prefix="/api/logos", tags=["designs"])


_LOGO_FORM = multipart_body("image", "PNG, JPEG or WebP, up to 5 MB and 4096 px a side.",
                            email="Staff acting for a customer: the customer's e-mail.")  # fmt: skip


@router.post("", status_code=status.HTTP_201_CREATED, response_model=LogoOut, openapi_extra=_LOGO_FORM)
async def upload_logo(request: Request, resources: ResourcesDep, principal: CustomerSideDep) -> LogoOut:
    """Store a logo image; put its `image_sha256` in a design's `logo` choice. Problems: 415 not an image we
    take, 413 too large (bytes, refused as they arrive, or pixels), 422 damaged. Signed in first: the body is
    read only after."""
    form = await read_upload_form(request, resources.store, file_field="image", max_file_bytes=MAX_LOGO_BYTES,
                                  text_fields=frozenset({"email"}))  # fmt: skip
    upload = form.file
    assert upload is not None

    def work() -> LogoOut:  # decoding an image holds the interpreter: not on the event loop
        customer_email = acting_customer_email(principal, email_field(form))
        with session_scope(resources.sessions) as session:
            customer = repositories.get_or_create_customer(session, customer_email)
            logo = store_logo(session, resources.store, customer.id, upload, form.filename or "logo")
            return LogoOut(image_sha256=logo.sha256, media_type=logo.media_type, width_px=logo.width_px,
                           height_px=logo.height_px, size_bytes=logo.size_bytes,
                           links={"image": f"/api/logos/{logo.sha256}"})  # fmt: skip

    try:
        return await run_in_threadpool(work)
    finally:
        resources.store.discard(upload)  # a no-op once stored; else nothing of it stays


@router.get("/{image_sha256}", response_class=Response,
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}}})  # fmt: skip
def read_logo(resources: ResourcesDep, principal: CustomerSideDep, image_sha256: str,
              email: EmailStr | None = None) -> Response:  # fmt: skip
    """A logo the customer uploaded (staff: give the customer's `email`)."""
    customer_email = acting_customer_email(principal, email)
    with session_scope(resources.sessions) as session:
        customer = repositories.get_or_create_customer(session, customer_email)
        logo = customer_logo(session, customer.id, image_sha256.lower()[:64])
    return Response(resources.store.read_bytes(logo.sha256), media_type=logo.media_type,
                    headers={"Cache-Control": "private, max-age=31536000, immutable"})  # fmt: skip

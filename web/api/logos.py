"""Logo images for designs: upload one (checked and stored under the customer), then name it in a design's
options (``logo.image_sha256``); the workshop downloads it with the order's files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import Response
from pydantic import EmailStr

from manufacturing.db import repositories
from manufacturing.db.session import session_scope
from manufacturing.designs.logos import MAX_LOGO_BYTES, customer_logo, store_logo
from web.api.auth import CustomerSideDep, acting_customer_email
from web.api.deps import ResourcesDep
from web.api.schemas.logos import LogoOut
from web.api.uploads import read_upload_limited

router = APIRouter(prefix="/api/logos", tags=["designs"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=LogoOut)
async def upload_logo(
    resources: ResourcesDep,
    principal: CustomerSideDep,
    image: Annotated[UploadFile, File(description="PNG, JPEG or WebP, up to 5 MB and 4096 px a side.")],
    email: Annotated[EmailStr | None, Form(description="Staff acting for a customer: the customer's e-mail.")] = None,
) -> LogoOut:
    """Store a logo image; put its `image_sha256` in a design's `logo` choice. Problems: 415 not an image we
    take, 413 too large (bytes or pixels), 422 damaged."""
    customer_email = acting_customer_email(principal, email)
    data = await read_upload_limited(image, MAX_LOGO_BYTES)
    with session_scope(resources.sessions) as session:
        customer = repositories.get_or_create_customer(session, customer_email)
        logo = store_logo(session, resources.store, customer.id, data, image.filename or "logo")
        return LogoOut(image_sha256=logo.sha256, media_type=logo.media_type, width_px=logo.width_px,
                       height_px=logo.height_px, size_bytes=logo.size_bytes,
                       links={"image": f"/api/logos/{logo.sha256}"})  # fmt: skip


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

"""Logo images a customer places on a design: checked from their content (PNG, JPEG or WebP; the header's
pixel size before any pixel is decoded, so a decompression bomb is refused unread), stored in the artifact
store under the customer, and named in the design by sha256 (``LogoChoice.image_sha256``)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from geometry.errors import InputError, InputTooLargeError, NotFoundError, UnsupportedFormatError
from manufacturing.artifacts import ArtifactStore, StagedBlob
from manufacturing.db import repositories

MAX_LOGO_BYTES = 5 * 1024 * 1024
MAX_LOGO_SIDE_PX = 4096
MIN_LOGO_SIDE_PX = 16
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
LOGO_KIND = "logo.image"
LOGO_STAGE = "logo.upload"


@dataclass(frozen=True)
class StoredLogo:
    sha256: str
    media_type: str
    width_px: int
    height_px: int
    size_bytes: int
    artifact_id: int


def _customer_key(customer_id: int, sha256: str) -> str:
    return f"logo:customer={customer_id}:{sha256}"


def check_logo(data: bytes, filename: str = "logo") -> tuple[str, int, int]:
    """(media type, width px, height px) of an acceptable logo image; typed errors otherwise."""
    if not data:
        raise InputError(f"{filename!r} is empty", filename=filename)
    if len(data) > MAX_LOGO_BYTES:
        raise InputTooLargeError(f"{filename!r} has {len(data):,} bytes; a logo may have {MAX_LOGO_BYTES:,}",
                                 filename=filename, limit=MAX_LOGO_BYTES)  # fmt: skip
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:  # reads the header only
                fmt, (width, height) = image.format, image.size
                if fmt not in LOGO_FORMATS:
                    raise UnsupportedFormatError(
                        f"{filename!r} is {fmt or 'an unknown'} image; a logo is PNG, JPEG or WebP", filename=filename
                    )
                if max(width, height) > MAX_LOGO_SIDE_PX or min(width, height) < MIN_LOGO_SIDE_PX:
                    raise InputTooLargeError(
                        f"{filename!r} is {width}×{height} px; a logo is {MIN_LOGO_SIDE_PX} to {MAX_LOGO_SIDE_PX} "
                        "px a side", filename=filename, width_px=width, height_px=height,
                    )  # fmt: skip
                image.load()  # now decode: a truncated or corrupt body fails here, not in the factory
    except InputError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnsupportedFormatError(f"{filename!r} is not an image we can read: {exc}", filename=filename) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{filename!r} is a damaged image: {exc}", filename=filename) from exc
    return LOGO_FORMATS[fmt], width, height


def store_logo(
    session: Session, store: ArtifactStore, customer_id: int, data: bytes | StagedBlob, filename: str
) -> StoredLogo:
    """Check and store a customer's logo (idempotent: the same image twice is one artifact). A staged upload
    becomes a blob only once checked; a refused one is discarded."""
    staged = data if isinstance(data, StagedBlob) else store.stage_bytes(data)
    try:
        if staged.size_bytes > MAX_LOGO_BYTES:  # staged under a larger limit: refused unread
            raise InputTooLargeError(f"{filename!r} has {staged.size_bytes:,} bytes; a logo may have "
                                     f"{MAX_LOGO_BYTES:,}", filename=filename, limit=MAX_LOGO_BYTES)  # fmt: skip
        media_type, width, height = check_logo(staged.read_bytes(), filename)
        blob = store.commit(staged)
    except BaseException:
        store.discard(staged)
        raise
    artifact = repositories.add_artifact(
        session, blob, kind=LOGO_KIND, filename=f"logo-{blob.sha256[:12]}.{media_type.split('/')[1]}",
        media_type=media_type, input_key=_customer_key(customer_id, blob.sha256), stage=LOGO_STAGE, stage_version=1,
    )  # fmt: skip
    return StoredLogo(blob.sha256, media_type, width, height, blob.size_bytes, artifact.id)


def customer_logo(session: Session, customer_id: int, sha256: str) -> StoredLogo:
    """A logo this customer uploaded (404 for anyone else's, or none)."""
    artifact = repositories.find_artifact(session, _customer_key(customer_id, sha256), LOGO_STAGE, 1, LOGO_KIND)
    if artifact is None:
        raise NotFoundError(f"no uploaded logo {sha256[:16]}… for this customer; upload it first (POST /api/logos)",
                            image_sha256=sha256)  # fmt: skip
    return StoredLogo(artifact.sha256, artifact.media_type, 0, 0, artifact.size_bytes, artifact.id)

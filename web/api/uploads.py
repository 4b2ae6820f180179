"""Reading uploaded files in chunks, refusing them as soon as they pass the size limit."""

from __future__ import annotations

from fastapi import UploadFile

from geometry.errors import InputError, InputTooLargeError

_CHUNK_BYTES = 1024 * 1024


async def read_upload_limited(upload: UploadFile, max_bytes: int) -> bytes:
    if upload.size is not None and upload.size > max_bytes:
        raise InputTooLargeError(
            f"{upload.filename!r} is {upload.size} bytes, over the limit of {max_bytes}",
            limit_bytes=max_bytes,
        )
    chunks = []
    total = 0
    while chunk := await upload.read(_CHUNK_BYTES):
        total += len(chunk)
        if total > max_bytes:
            raise InputTooLargeError(
                f"{upload.filename!r} is over the limit of {max_bytes} bytes", limit_bytes=max_bytes
            )
        chunks.append(chunk)
    if total == 0:
        raise InputError(f"{upload.filename!r} is empty", filename=upload.filename)
    return b"".join(chunks)

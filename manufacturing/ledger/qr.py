"""The pair's label QR code (segno): an SVG linking to its provenance page."""

from __future__ import annotations

import io

import segno


def provenance_url(base_url: str, serial: str) -> str:
    return f"{base_url.rstrip('/')}/pairs/{serial}/provenance"


def label_qr_svg(url: str, scale: int = 4) -> str:
    """An SVG QR code of ``url`` (error correction M: survives a scuffed label), quiet zone included."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="svg", scale=scale, xmldecl=False)
    return buffer.getvalue().decode()

"""Logo images for designs."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LogoOut(BaseModel):
    image_sha256: str = Field(description="Name it in a design's `logo` choice (`logo.image_sha256`).")
    media_type: str
    width_px: int
    height_px: int
    size_bytes: int
    links: dict[str, str]

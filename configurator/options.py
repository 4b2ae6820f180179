"""The customer's choices for one pair, validated into a snapshot the pipeline can trust.

An options file (``examples/options-*.json``) or the configurator page produces this; the design stores
it as an immutable revision. Colours are sRGB hex; sizes are optional because the scan gives the foot.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from configurator.styles import STYLE_NAMES
from geometry.errors import InputError

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class OptionsError(InputError):
    """Design options that do not validate; ``details['problems']`` lists each one."""

    code = "invalid_options"


class FitPreference(StrEnum):
    SNUG = "snug"
    REGULAR = "regular"
    ROOMY = "roomy"


class PieceChoice(BaseModel):
    """Material and colour of one piece (or one material slot) of the style."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    material: str = Field(description="Material catalogue id, e.g. `full-grain-calf`.")
    colour: str = Field(description="sRGB hex colour, `#rrggbb`.")

    @field_validator("material")
    @classmethod
    def _material_is_slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("material ids are lowercase letters, digits, '-' and '_'")
        return value

    @field_validator("colour")
    @classmethod
    def _colour_is_hex(cls, value: str) -> str:
        if not _HEX_COLOUR.match(value):
            raise ValueError("colours are written #rrggbb")
        return value.lower()


class LogoChoice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    image_sha256: str | None = Field(None, description="The uploaded logo image (artifact sha256).")
    piece: str = Field("lateral_quarter", description="Piece the logo is placed on.")
    position: tuple[float, float] = Field(
        (0.5, 0.5), description="Centre on the piece in normalised (0..1) piece coordinates."
    )
    width_mm: float = Field(30.0, gt=0, le=120)
    method: str = Field("emboss", pattern="^(emboss|print|deboss)$")


class DesignOptions(BaseModel):
    """Everything a customer chooses for a pair."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    style: str = Field(description=f"One of: {', '.join(STYLE_NAMES)}.")
    pieces: dict[str, PieceChoice] = Field(default_factory=dict, description="Choice per piece name.")
    logo: LogoChoice | None = None
    hand_stitching: bool = False
    memory_foam: bool = False
    fit_preference: FitPreference = FitPreference.REGULAR
    pairs: int = Field(1, ge=1, le=20, description="Number of identical pairs in the order.")

    @field_validator("style")
    @classmethod
    def _known_style(cls, value: str) -> str:
        if value not in STYLE_NAMES:
            raise ValueError(f"unknown style {value!r}; choose one of {', '.join(STYLE_NAMES)}")
        return value


def parse_options(raw: bytes | str | dict[str, Any], source: str = "options") -> DesignOptions:
    """Validate options from JSON text or a dict; ``OptionsError`` names every problem."""
    try:
        data = json.loads(raw) if isinstance(raw, bytes | str) else raw
    except json.JSONDecodeError as exc:
        raise OptionsError(f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}", source=source) from exc
    if not isinstance(data, dict):
        raise OptionsError(f"{source} must be a JSON object", source=source)
    try:
        return DesignOptions.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()]
        raise OptionsError(f"{source} is not valid: " + "; ".join(problems), source=source, problems=problems) from exc

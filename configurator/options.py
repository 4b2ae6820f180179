"""The customer's choices for one pair, validated into a snapshot the pipeline can trust.

An options file (``examples/options-*.json``) or the configurator page produces this; the design stores
it as an immutable revision. Colours are sRGB hex; sizes are optional because the scan gives the foot.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from configurator.styles import STYLE_NAMES
from geometry.errors import InputError, InputTooLargeError
from geometry.exchange.bounded_json import load_json
from lasts.fitting import FitPreference

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Parts a design may choose a material for that are not pieces of the style's outer layer: the lining
# (derived from the outer pieces until the styles carry lining pieces) and the bottom units.
COMPONENT_KEYS: tuple[str, ...] = ("lining", "outsole", "midsole")
# Options text is a couple of kB three levels deep; much more is not options (and a deep one would exhaust the
# parser's recursion).
MAX_OPTIONS_BYTES = 1024 * 1024
MAX_OPTIONS_DEPTH = 8


@cache
def style_piece_keys(style: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(piece names, material slots) of a style: the keys a design's ``pieces`` may use besides
    :data:`COMPONENT_KEYS`. A piece's own choice wins over its slot's."""
    from configurator.styles.library import STYLES

    made = STYLES[style]()
    names = tuple(p.name for p in made.pieces)
    slots = tuple(dict.fromkeys(p.material_slot for p in made.pieces))
    return names, slots


class OptionsError(InputError):
    """Design options that do not validate; ``details['problems']`` lists each one."""

    code = "invalid_options"


class PieceChoice(BaseModel):
    """Material and colour of one piece (or one material slot) of the style."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    material: str = Field(description="Material catalogue id, e.g. `full-grain-cowhide-a`.")
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


# A fraction of a piece's extent: finite, 0 to 1.
_Fraction = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class LogoChoice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    image_sha256: str | None = Field(None, description="The uploaded logo image (artifact sha256).")
    piece: str = Field("quarter_lateral", description="Piece of the style the logo is placed on.")
    position: tuple[_Fraction, _Fraction] = Field(
        (0.5, 0.5), description="Centre on the piece in normalised (0..1) piece coordinates."
    )
    width_mm: float = Field(30.0, gt=0, le=120)
    method: str = Field("emboss", pattern="^(emboss|print|deboss)$")


class DesignOptions(BaseModel):
    """Everything a customer chooses for a pair."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    style: str = Field(description=f"One of: {', '.join(STYLE_NAMES)}.")
    pieces: dict[str, PieceChoice] = Field(
        default_factory=dict,
        description="Choice per piece name of the style (e.g. `vamp`), per material slot (e.g. `upper`: every "
        f"piece of that slot without its own choice), or per component ({', '.join(COMPONENT_KEYS)}).",
    )
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

    @field_validator("pieces")
    @classmethod
    def _pieces_of_the_style(cls, value: dict[str, PieceChoice], info: ValidationInfo) -> dict[str, PieceChoice]:
        style = info.data.get("style")
        if style is None:  # the style is wrong already, and named as such
            return value
        names, slots = style_piece_keys(style)
        unknown = [key for key in value if key not in names and key not in slots and key not in COMPONENT_KEYS]
        if unknown:
            raise ValueError(
                f"{', '.join(repr(k) for k in unknown)} {'is' if len(unknown) == 1 else 'are'} not a piece, "
                f"material slot or component of style {style}; allowed: pieces {', '.join(names)}; "
                f"material slots {', '.join(slots)}; components {', '.join(COMPONENT_KEYS)}"
            )
        return value

    @field_validator("logo")
    @classmethod
    def _logo_on_a_piece(cls, value: LogoChoice | None, info: ValidationInfo) -> LogoChoice | None:
        style = info.data.get("style")
        if value is None or style is None:
            return value
        names, _ = style_piece_keys(style)
        if value.piece not in names:
            raise ValueError(f"logo piece {value.piece!r} is not a piece of style {style}; allowed: {', '.join(names)}")
        return value


def parse_options(raw: bytes | str | dict[str, Any], source: str = "options") -> DesignOptions:
    """Validate options from JSON text or a dict; ``OptionsError`` names every problem (text over
    ``MAX_OPTIONS_BYTES`` is an ``InputTooLargeError``; text nested deeper than ``MAX_OPTIONS_DEPTH``, with NaN or
    infinite numbers, is not valid)."""
    try:
        data = load_json(raw, max_bytes=MAX_OPTIONS_BYTES, max_depth=MAX_OPTIONS_DEPTH, source=source) \
            if isinstance(raw, bytes | str) else raw  # fmt: skip
    except InputTooLargeError:
        raise
    except InputError as exc:  # too deep, NaN or infinite numbers, a NUL character
        raise OptionsError(exc.message, source=source, problems=[exc.message]) from exc
    except UnicodeDecodeError as exc:
        raise OptionsError(f"{source} is not UTF-8 text", source=source) from exc
    except json.JSONDecodeError as exc:
        raise OptionsError(f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}", source=source) from exc
    except ValueError as exc:  # an integer of thousands of digits
        raise OptionsError(f"{source} is not valid JSON: {exc}", source=source) from exc
    if not isinstance(data, dict):
        raise OptionsError(f"{source} must be a JSON object", source=source)
    try:
        return DesignOptions.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()]
        raise OptionsError(f"{source} is not valid: " + "; ".join(problems), source=source, problems=problems) from exc

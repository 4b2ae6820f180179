"""Designs: a design to price (``DesignIn``), the stored revision with its last, quote, BOM and piece colours
(``DesignOut``), and the style library (``StyleOut``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, EmailStr, Field

from configurator.styles.model import Style
from lasts.side import Side
from manufacturing.designs.service import DesignDescription
from web.api.deps import MAX_RECORD_ID
from web.api.schemas.common import FreeJsonObject, Record, SometimesKeyed, Within


class DesignIn(BaseModel):
    """A design to validate and price: the choices, and the foot (a scan already measured, or a last)."""

    options: FreeJsonObject = Field(description="Design options (see examples/options-*.json).")
    email: EmailStr | None = Field(None, description="Staff acting for a customer: the customer's e-mail address.")
    foot_scan_id: int | None = Field(
        None, ge=1, le=MAX_RECORD_ID,
        description="A foot scan already measured (its order's `scan.measure` stage ran): the lasts are fitted "
        "to it with the style's allowances and the design's fit preference."
    )  # fmt: skip
    last: FreeJsonObject | None = Field(
        None, description="A last's parameters (a `last.params.json`, mm), used for both feet (mirrored)."
    )
    size_eu: Annotated[float, Within(15, 55, "(EU size)", low_included=True, high_included=True)] | None = Field(
        None, description="EU size of the bottom units; default: from the last's stick length."
    )
    revises: int | None = Field(None, ge=1, le=MAX_RECORD_ID, description="Id of the design this revises.")


class PieceLookOut(Record):
    name: str
    material_slot: str
    colour: str = Field(description="sRGB hex, #rrggbb.")
    material: str | None = Field(description="Catalogue id; null when the design chose nothing for the piece.")
    source: Literal["piece", "slot", "default"] = Field(description="Where the choice came from.")


class DesignLastOut(SometimesKeyed):
    """Where the design's last came from, its side, stick length and parameters (mm)."""

    keyed_when_given: ClassVar[frozenset[str]] = frozenset({"foot_scan_id", "max_fit_error_mm"})

    source: Literal["parameters", "scan"]
    foot_scan_id: int | None = Field(None, description="Fitted to this scan (source `scan` only).")
    max_fit_error_mm: float | None = Field(None, description="The fit's largest error (source `scan` only).")
    side: Side
    stick_length_mm: float
    parameters: dict[str, Any] = Field(description="The last's parameters, as in a `last.params.json` (mm).")


class EtaOut(Record):
    materials_lead_time_days: int
    limiting_material: str = Field(description="The material with the longest supplier lead time.")
    how: str


class DesignOut(BaseModel):
    id: int
    design_key: str
    revision: int
    style: str
    created_at: datetime
    options: dict[str, Any] = Field(description="The design's options as stored with the revision.")
    foot_scan_id: int | None
    last: DesignLastOut
    size_eu: float
    pieces: list[PieceLookOut]
    quote: dict[str, Any] = Field(
        description="Price per pair ex VAT, with materials, labour and overhead (docs/bom.md: the quote)."
    )
    eta: EtaOut = Field(description="Lead-time estimate (materials); production scheduling adds its queue.")
    bom: dict[str, Any] = Field(
        description="The bill of materials per pair; every line says how it was computed (docs/bom.md)."
    )
    links: dict[str, str]

    @classmethod
    def of(cls, described: DesignDescription) -> DesignOut:
        design = described.design
        return cls(
            id=design.id,
            design_key=design.design_key,
            revision=design.revision,
            style=design.style,
            created_at=design.created_at,
            options=design.options,
            foot_scan_id=design.foot_scan_id,
            last=DesignLastOut.model_validate(described.last),
            size_eu=described.size_eu,
            pieces=[PieceLookOut.model_validate(look) for look in described.pieces],
            quote=described.quote,
            eta=EtaOut.model_validate(described.eta),
            bom=described.bom,
            links={"self": f"/api/designs/{design.id}", "preview_glb": f"/api/designs/{design.id}/preview.glb"},
        )


class StylePieceOut(Record):
    name: str
    kind: str
    material_slot: str
    moulded: bool = Field(description="Toe caps and counters: moulded, with a looser flattening budget.")
    quantity: int = Field(description="Per shoe.")


class LapOut(Record):
    over: str
    under: str
    closed: bool = Field(description="Joined edge to edge (a back seam), not lapped.")


class StyleOut(BaseModel):
    name: str
    title: str
    pieces: list[StylePieceOut]
    material_slots: list[str]
    laps: list[LapOut]

    @classmethod
    def of(cls, style: Style) -> StyleOut:
        return cls(
            name=style.name,
            title=style.title,
            pieces=[StylePieceOut.model_validate(piece) for piece in style.pieces],
            material_slots=list(dict.fromkeys(piece.material_slot for piece in style.pieces)),
            laps=[LapOut.model_validate(lap) for lap in style.laps],
        )

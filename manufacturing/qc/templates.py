"""QC checklist templates, pure: one per checkpoint (after cutting, after closing, after lasting, final), each a
list of items an inspector fills in.

- **measured** items carry a unit and limits (``lower``/``upper``, either may be open): the value passes when
  ``lower <= value <= upper``;
- **check** items are pass / fail by eye, with photos (``photo_on_fail``: a failed check needs at least one).

Every item names the defect code it raises when it fails and the operation a failure sends the pair back to
(``rework_to``: a routing code, or ``closing`` for whichever closing the routing has). Templates are code,
versioned; an inspection stores a JSON copy (:meth:`QcTemplate.to_json`) and its sha256 when it starts, so
later edits never change how a started inspection is judged. Limits and their basis: docs/qc.md.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from manufacturing.qc.errors import InspectionError


class Checkpoint(enum.StrEnum):
    CUTTING = "cutting"  # after cutting: the pieces
    CLOSING = "closing"  # after closing: the upper
    LASTING = "lasting"  # after lasting: the upper on the last
    FINAL = "final"  # after finishing: the pair


class ItemKind(enum.StrEnum):
    MEASURED = "measured"
    CHECK = "check"


@dataclass(frozen=True)
class DefectCode:
    code: str
    description: str


DEFECT_CODES: dict[str, DefectCode] = {
    d.code: d
    for d in (
        DefectCode("CUT-DIM", "piece off its pattern outline"),
        DefectCode("CUT-HIDE", "hide defect (scar, grain break, brand) in a visible area"),
        DefectCode("CUT-GRAIN", "piece cut against the stretch direction"),
        DefectCode("CUT-COUNT", "pieces missing from the pair's kit"),
        DefectCode("STI-DENS", "stitch density out of limits"),
        DefectCode("STI-SKIP", "skipped, loose or broken stitches"),
        DefectCode("SYM", "left and right shoes not symmetrical"),
        DefectCode("COL", "colour mismatch between the shoes or against the design"),
        DefectCode("LEN", "length off the last"),
        DefectCode("LAST-WRINKLE", "upper not tight to the last (wrinkles, loose toe or heel)"),
        DefectCode("GLUE", "glue marks on the upper or sole edge"),
        DefectCode("BOND", "sole bond gap"),
        DefectCode("FINISH", "scuffs, scratches or uneven edge finish"),
    )
}


@dataclass(frozen=True)
class TemplateItem:
    code: str
    label: str
    kind: ItemKind
    defect_code: str
    rework_to: str  # routing operation code, or "closing"
    unit: str | None = None  # measured items
    lower: float | None = None
    upper: float | None = None
    photo_on_fail: bool = False  # check items: a failure must carry a photo
    basis: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code, "label": self.label, "kind": self.kind.value, "defect_code": self.defect_code,
            "rework_to": self.rework_to, "unit": self.unit, "lower": self.lower, "upper": self.upper,
            "photo_on_fail": self.photo_on_fail, "basis": self.basis,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TemplateItem:
        return cls(
            code=data["code"], label=data["label"], kind=ItemKind(data["kind"]), defect_code=data["defect_code"],
            rework_to=data["rework_to"], unit=data.get("unit"), lower=data.get("lower"), upper=data.get("upper"),
            photo_on_fail=bool(data.get("photo_on_fail", False)), basis=data.get("basis", ""),
        )  # fmt: skip


@dataclass(frozen=True)
class QcTemplate:
    code: str
    checkpoint: Checkpoint
    version: int
    title: str
    items: tuple[TemplateItem, ...]

    def __post_init__(self) -> None:
        codes = [i.code for i in self.items]
        if len(set(codes)) != len(codes):
            raise InspectionError(f"template {self.code} repeats an item code")
        for item in self.items:
            if item.defect_code not in DEFECT_CODES:
                raise InspectionError(f"item {item.code}: unknown defect code {item.defect_code!r}")
            if item.kind == ItemKind.MEASURED and (item.unit is None or (item.lower is None and item.upper is None)):
                raise InspectionError(f"measured item {item.code} needs a unit and at least one limit")
            if item.lower is not None and item.upper is not None and item.lower > item.upper:
                raise InspectionError(f"item {item.code}: lower limit above upper")

    def item(self, code: str) -> TemplateItem:
        return next(i for i in self.items if i.code == code)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "checkpoint": self.checkpoint.value, "version": self.version,
                "title": self.title, "items": [i.to_json() for i in self.items]}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> QcTemplate:
        return cls(data["code"], Checkpoint(data["checkpoint"]), int(data["version"]), data["title"],
                   tuple(TemplateItem.from_json(i) for i in data["items"]))  # fmt: skip

    def sha256(self) -> str:
        return template_sha256(self.to_json())


def template_sha256(snapshot: Mapping[str, Any]) -> str:
    """The fingerprint of a template's JSON copy (canonical: sorted keys, no spaces)."""
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _measured(code: str, label: str, unit: str, lower: float | None, upper: float | None, defect: str,
              rework_to: str, basis: str) -> TemplateItem:  # fmt: skip
    return TemplateItem(code, label, ItemKind.MEASURED, defect, rework_to, unit, lower, upper, basis=basis)


def _check(code: str, label: str, defect: str, rework_to: str, basis: str, photo: bool = True) -> TemplateItem:
    return TemplateItem(code, label, ItemKind.CHECK, defect, rework_to, photo_on_fail=photo, basis=basis)


_HOUSE = "house default (assumption, to be tuned from the defect Pareto)"
_STITCH = "upper closing 10-15 stitches per inch (4-6 per cm) by machine; hand saddle stitch 3-4 per cm; " + _HOUSE
_DELTA_E = "CIEDE2000 ΔE00 ≤ 2: the usual commercial acceptance for leather shades; " + _HOUSE
_LENGTH = "issue #9: the lasted shoe within ±1 mm of its last's stick length"

# fmt: off
DEFAULT_TEMPLATES: dict[Checkpoint, QcTemplate] = {
    t.checkpoint: t
    for t in (
        QcTemplate("qc-cutting", Checkpoint.CUTTING, 1, "Cut pieces", (
            _measured("piece_outline_deviation_mm", "largest deviation of a piece from its pattern outline", "mm",
                      None, 0.5, "CUT-DIM", "cutting", "CNC knife accuracy ±0.2 mm plus stretch; " + _HOUSE),
            _check("piece_count_complete", "every piece of both shoes is in the kit", "CUT-COUNT", "cutting",
                   _HOUSE, photo=False),
            _check("no_hide_defects_visible", "no scar, grain break or brand in a visible area", "CUT-HIDE",
                   "cutting", "SATRA hide grading: defects belong in waste or hidden areas"),
            _check("stretch_direction_ok", "vamp and quarters cut with the least stretch heel to toe", "CUT-GRAIN",
                   "cutting", "trade practice: the tightest direction along the shoe"),
        )),
        QcTemplate("qc-closing", Checkpoint.CLOSING, 1, "Closed uppers", (
            _measured("stitch_density_per_cm", "stitches per cm on the main seams", "1/cm", 3.0, 6.0, "STI-DENS",
                      "closing", _STITCH),
            _measured("quarter_height_difference_mm", "left/right difference of the quarter height at the heel",
                      "mm", 0.0, 1.5, "SYM", "closing", _HOUSE),
            _measured("colour_delta_e", "colour difference left vs right (ΔE00)", "ΔE00", 0.0, 2.0, "COL",
                      "closing", _DELTA_E),
            _check("no_skipped_stitches", "no skipped, loose or broken stitches", "STI-SKIP", "closing", _HOUSE),
        )),
        QcTemplate("qc-lasting", Checkpoint.LASTING, 1, "Lasted uppers", (
            _measured("length_vs_last_mm", "lasted length minus the last's stick length", "mm", -1.0, 1.0, "LEN",
                      "lasting", _LENGTH),
            _measured("length_difference_mm", "left/right lasted length difference", "mm", 0.0, 1.0, "SYM",
                      "lasting", _HOUSE),
            _check("upper_tight_to_last", "no wrinkles; toe and heel pulled tight and centred", "LAST-WRINKLE",
                   "lasting", _HOUSE),
        )),
        QcTemplate("qc-final", Checkpoint.FINAL, 1, "Finished pair", (
            _measured("length_vs_last_mm", "shoe inside length minus the last's stick length", "mm", -1.0, 1.0,
                      "LEN", "lasting", _LENGTH),
            _measured("length_difference_mm", "left/right length difference", "mm", 0.0, 1.0, "SYM", "lasting",
                      _HOUSE),
            _measured("heel_height_difference_mm", "left/right heel height difference", "mm", 0.0, 1.0, "SYM",
                      "sole_attaching", _HOUSE),
            _measured("colour_delta_e", "colour difference left vs right (ΔE00)", "ΔE00", 0.0, 2.0, "COL",
                      "finishing", _DELTA_E),
            _check("no_glue_marks", "no glue on the upper or the sole edge", "GLUE", "finishing", _HOUSE),
            _check("sole_bond_closed", "no gap along the sole bond", "BOND", "sole_attaching", _HOUSE),
            _check("finish_clean", "no scuffs, scratches; even edge finish", "FINISH", "finishing", _HOUSE),
        )),
    )
}
# fmt: on


def template_for(
    checkpoint: Checkpoint | str, templates: Mapping[Checkpoint, QcTemplate] = DEFAULT_TEMPLATES
) -> QcTemplate:
    try:
        return templates[Checkpoint(checkpoint)]
    except (ValueError, KeyError):
        raise InspectionError(f"no QC template for checkpoint {checkpoint!r}", checkpoint=str(checkpoint)) from None

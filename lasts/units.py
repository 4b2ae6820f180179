"""Scan units: metres, centimetres, millimetres or inches, told from the size of a plausible foot.

A scan file carries no units (STL, OBJ, PLY) or unreliable ones, so the foot length measured in file units
is compared with the lengths human feet have. Defaults are documented and overridable:

- ``plausible_adult_mm`` = 180–380 mm: ANSUR II spans about 200–320 mm; margins cover teenagers and
  very large feet. Exactly one unit in this range is taken.
- ``possible_mm`` = 90–480 mm: any human foot (young children to the largest recorded). If no unit gives
  a plausible adult foot but several give a possible one, the units are ambiguous and must be given.

A scan at no unit's scale (a photogrammetry model is as large as its software chose) cannot be read from its
size at all: the caller gives its scale (mm per file unit) or one length known in mm, the foot's
(``ScaleHint``); the error asks for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from lasts.errors import AmbiguousUnitsError, ImplausibleFootSizeError, ScaleNeededError

Unit = Literal["mm", "cm", "m", "in"]
# A scale the user gave (mm per file unit, or from the foot's length in mm) instead of a unit (4 letters, as the
# scan row's column keeps units).
GIVEN_SCALE: Literal["user"] = "user"
MM_PER_UNIT: dict[Unit, float] = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4}


@dataclass(frozen=True)
class UnitRanges:
    plausible_adult_mm: tuple[float, float] = (180.0, 380.0)
    possible_mm: tuple[float, float] = (90.0, 480.0)


DEFAULT_UNIT_RANGES = UnitRanges()


@dataclass(frozen=True)
class UnitDecision:
    unit: Unit | Literal["user"]  # "user": the user's scale or known foot length, no named unit
    mm_per_unit: float
    detected: bool  # False when the caller gave the unit or the scale


@dataclass(frozen=True)
class ScaleHint:
    """What a caller knows of a scan's scale when its units cannot be told: mm per file unit, or the foot's
    length in mm (pternion to toe tip, as measured on a Brannock device or a ruler along the sole)."""

    mm_per_unit: float | None = None
    known_length_mm: float | None = None

    def __post_init__(self) -> None:
        for name, value in (("scale", self.mm_per_unit), ("known foot length", self.known_length_mm)):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ImplausibleFootSizeError(f"the {name} given is {value!r}: a positive number is needed",
                                               given=repr(value))  # fmt: skip
        if self.mm_per_unit is not None and self.known_length_mm is not None:
            raise ImplausibleFootSizeError("give the scale or the known foot length, not both")

    @property
    def given(self) -> bool:
        return self.mm_per_unit is not None or self.known_length_mm is not None


NO_SCALE_HINT = ScaleHint()
_ASK_FOR_SCALE = (
    "give the foot's length in mm (--known-length-mm, a ruler along the sole) or the scale (--scale, mm per file unit)"
)


def decide_units(
    foot_length_file_units: float,
    requested: Unit | Literal["auto"] = "auto",
    ranges: UnitRanges = DEFAULT_UNIT_RANGES,
    hint: ScaleHint = NO_SCALE_HINT,
) -> UnitDecision:
    """The unit that makes ``foot_length_file_units`` a human foot; typed errors when none or several do. A
    ``hint`` (scale, or the foot's known length) is taken instead of any unit, once checked: the foot it
    makes must be a possible one."""
    if not math.isfinite(foot_length_file_units) or foot_length_file_units <= 0:
        raise ImplausibleFootSizeError(
            f"the scan's length ({foot_length_file_units!r} file units) is no length: no unit makes it a foot",
            foot_length_file_units=repr(foot_length_file_units),
        )
    if hint.given:
        return _given_scale(foot_length_file_units, hint, ranges)
    if requested != "auto":
        if requested not in MM_PER_UNIT:
            raise ImplausibleFootSizeError(f"unknown unit {requested!r}; use mm, cm, m or in", unit=requested)
        length_mm = foot_length_file_units * MM_PER_UNIT[requested]
        low, high = ranges.possible_mm
        if not low <= length_mm <= high:
            raise ImplausibleFootSizeError(
                f"in {requested} the foot would be {length_mm:.0f} mm long; human feet are {low:.0f}–{high:.0f} mm",
                foot_length_mm=length_mm,
                unit=requested,
            )
        return UnitDecision(unit=requested, mm_per_unit=MM_PER_UNIT[requested], detected=False)

    def fits(unit: Unit, bounds: tuple[float, float]) -> bool:
        return bounds[0] <= foot_length_file_units * MM_PER_UNIT[unit] <= bounds[1]

    adult = [u for u in MM_PER_UNIT if fits(u, ranges.plausible_adult_mm)]
    if len(adult) == 1:
        return UnitDecision(unit=adult[0], mm_per_unit=MM_PER_UNIT[adult[0]], detected=True)
    possible = [u for u in MM_PER_UNIT if fits(u, ranges.possible_mm)]
    if len(possible) == 1 and not adult:
        return UnitDecision(unit=possible[0], mm_per_unit=MM_PER_UNIT[possible[0]], detected=True)
    readings = ", ".join(f"{foot_length_file_units * MM_PER_UNIT[u]:.0f} mm in {u}" for u in possible or adult)
    if len(possible) > 1 or len(adult) > 1:
        raise AmbiguousUnitsError(
            f"the foot is {foot_length_file_units:.4g} file units long, which could be {readings}; "
            f"give the units explicitly (--units), or {_ASK_FOR_SCALE}",
            foot_length_file_units=foot_length_file_units,
            candidates=possible or adult,
        )
    raise ScaleNeededError(
        f"the scan is {foot_length_file_units:.4g} file units long: no unit (mm, cm, m, in) makes that a human "
        f"foot, so its scale is unknown (an unscaled photogrammetry model?); {_ASK_FOR_SCALE}",
        foot_length_file_units=foot_length_file_units,
    )


def _given_scale(foot_length_file_units: float, hint: ScaleHint, ranges: UnitRanges) -> UnitDecision:
    """The caller's scale, or the one that makes the scan as long as the known foot length (from the scan's rough
    length: ``ingest_scan`` makes the measured length exact), once the foot it makes is a possible one."""
    if hint.mm_per_unit is not None:
        mm_per_unit, what = hint.mm_per_unit, f"at {hint.mm_per_unit:g} mm per file unit"
    else:
        assert hint.known_length_mm is not None
        mm_per_unit, what = hint.known_length_mm / foot_length_file_units, "as given"
    length_mm = foot_length_file_units * mm_per_unit
    low, high = ranges.possible_mm
    if not low <= length_mm <= high:
        raise ImplausibleFootSizeError(
            f"{what} the foot would be {length_mm:.0f} mm long; human feet are {low:.0f}–{high:.0f} mm",
            foot_length_mm=length_mm,
        )
    return UnitDecision(unit=GIVEN_SCALE, mm_per_unit=mm_per_unit, detected=False)


# A scan holds a foot and perhaps the leg above it: in the unit that makes it a foot, its largest extent is
# within these bounds (mm), whatever else the scanner caught.
_SCAN_EXTENT_MM = (50.0, 2000.0)
_ANY_MODEL_FILE_UNITS = (1e-4, 1e7)


def check_scan_extent(extent_file_units: float, hint: ScaleHint = NO_SCALE_HINT) -> None:
    """Refuse, before any clean-up, a scan that no unit (mm, cm, m, in) makes the size of a foot and leg:
    a file scaled by 1e300, or 1e-300, or with no extent at all. ``extent_file_units``: the largest side of
    its bounding box. With a known foot length any finite extent may be scaled to it; with a given scale,
    that scale must make a foot."""
    low, high = _SCAN_EXTENT_MM
    scales = list(MM_PER_UNIT.values()) if hint.mm_per_unit is None else [hint.mm_per_unit]
    # Any model a program exports lies within these file units; past them welding and floats lose the shape.
    if hint.known_length_mm is not None and _ANY_MODEL_FILE_UNITS[0] <= extent_file_units <= _ANY_MODEL_FILE_UNITS[1]:
        return
    if not math.isfinite(extent_file_units) or not any(low <= extent_file_units * mm <= high for mm in scales):
        unit_words = "in mm, cm, m or in" if hint.mm_per_unit is None else f"at {hint.mm_per_unit:g} mm per unit"
        raise ImplausibleFootSizeError(
            f"the scan is {extent_file_units:.4g} file units across: {unit_words} that is "
            f"no foot ({low:.0f}–{high:.0f} mm, with what the scanner caught around it); is it scaled wrongly? "
            f"If so, {_ASK_FOR_SCALE}",
            extent_file_units=extent_file_units,
        )

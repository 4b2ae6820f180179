"""Scan units: metres, centimetres, millimetres or inches, told from the size of a plausible foot.

A scan file carries no units (STL, OBJ, PLY) or unreliable ones, so the foot length measured in file units
is compared with the lengths human feet have. Defaults are documented and overridable:

- ``plausible_adult_mm`` = 180–380 mm: ANSUR II spans about 200–320 mm; margins cover teenagers and
  very large feet. Exactly one unit in this range is taken.
- ``possible_mm`` = 90–480 mm: any human foot (young children to the largest recorded). If no unit gives
  a plausible adult foot but several give a possible one, the units are ambiguous and must be given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from lasts.errors import AmbiguousUnitsError, ImplausibleFootSizeError

Unit = Literal["mm", "cm", "m", "in"]
MM_PER_UNIT: dict[Unit, float] = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4}


@dataclass(frozen=True)
class UnitRanges:
    plausible_adult_mm: tuple[float, float] = (180.0, 380.0)
    possible_mm: tuple[float, float] = (90.0, 480.0)


DEFAULT_UNIT_RANGES = UnitRanges()


@dataclass(frozen=True)
class UnitDecision:
    unit: Unit
    mm_per_unit: float
    detected: bool  # False when the caller gave the unit


def decide_units(
    foot_length_file_units: float,
    requested: Unit | Literal["auto"] = "auto",
    ranges: UnitRanges = DEFAULT_UNIT_RANGES,
) -> UnitDecision:
    """The unit that makes ``foot_length_file_units`` a human foot; typed errors when none or several do."""
    if not math.isfinite(foot_length_file_units) or foot_length_file_units <= 0:
        raise ImplausibleFootSizeError(
            f"the scan's length ({foot_length_file_units!r} file units) is no length: no unit makes it a foot",
            foot_length_file_units=repr(foot_length_file_units),
        )
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
            "give the units explicitly (--units)",
            foot_length_file_units=foot_length_file_units,
            candidates=possible or adult,
        )
    raise ImplausibleFootSizeError(
        f"the scan is {foot_length_file_units:.4g} file units long: no unit (mm, cm, m, in) makes that a human foot",
        foot_length_file_units=foot_length_file_units,
    )


# A scan holds a foot and perhaps the leg above it: in the unit that makes it a foot, its largest extent is
# within these bounds (mm), whatever else the scanner caught.
_SCAN_EXTENT_MM = (50.0, 2000.0)


def check_scan_extent(extent_file_units: float) -> None:
    """Refuse, before any clean-up, a scan that no unit (mm, cm, m, in) makes the size of a foot and leg:
    a file scaled by 1e300, or 1e-300, or with no extent at all. ``extent_file_units``: the largest side of
    its bounding box."""
    low, high = _SCAN_EXTENT_MM
    if not math.isfinite(extent_file_units) or not any(
        low <= extent_file_units * mm <= high for mm in MM_PER_UNIT.values()
    ):
        raise ImplausibleFootSizeError(
            f"the scan is {extent_file_units:.4g} file units across: in mm, cm, m or in that is "
            f"no foot ({low:.0f}–{high:.0f} mm, with what the scanner caught around it); is it scaled wrongly?",
            extent_file_units=extent_file_units,
        )

"""Shoe size systems (EU, UK, US men and women, Mondopoint, China, Japan) converted through the foot length in mm.

Every system here is a linear scale of foot length, so a conversion is size → foot length → size, in the style
of ISO/TS 19407. This is the formula-based table, not the published ISO table: EU and UK/US sizes count units
of (foot length + 15 mm allowance), the toe room a last adds; Mondopoint, CN and JP count the foot length itself.

Two rounding rules, both documented in docs/sizes.md:

- sizing a foot (``size_for_foot_length``, ``nearest_stock_size``) rounds UP to the next stock step, because a
  shoe must not be shorter than the foot;
- converting a size label (``convert_size``, ``conversion_table``) rounds to the NEAREST stock step, as printed
  charts do (EU 42 = UK 8, although UK 8 is 0.6 mm shorter).

US women's sizes are UK + 2 here; brand charts vary from UK + 1.5 to UK + 2.5. UK sizes are the adult scale
throughout (a small child's foot reads as a negative UK size; the trade's children's scale is adult + 13).

Widths (fittings) come from the house reference table (``WidthReference``): approximations from the trade rules
in domain.md, checked against ANSUR II, not a standard.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from lasts.errors import SizeError
from lasts.units import DEFAULT_UNIT_RANGES

PARIS_POINT_MM = 20.0 / 3.0  # 2/3 cm: one EU size
BARLEYCORN_MM = 25.4 / 3.0  # 1/3 inch: one UK/US size
LENGTH_ALLOWANCE_MM = 15.0  # foot length + allowance = the length EU and UK/US sizes count
_LENGTH_TOLERANCE_MM = 1e-9  # a size at the edge of the range must survive its own round trip
# Size numbers that differ by less than this many steps are the same size (float noise of the mm round trip).
_SAME_STEP_DECIMALS = 6


@dataclass(frozen=True)
class WidthFittings:
    """Width letters, narrow to wide, each with its number of fittings (one fitting = 1/4 inch girth) from medium."""

    name: str
    fittings_from_medium: tuple[tuple[str, int], ...]

    @property
    def medium(self) -> str:
        return next(letter for letter, fittings in self.fittings_from_medium if fittings == 0)

    @property
    def letters(self) -> tuple[str, ...]:
        return tuple(letter for letter, _ in self.fittings_from_medium)

    def fittings_of(self, letter: str) -> int:
        for known, fittings in self.fittings_from_medium:
            if known == letter.upper():
                return fittings
        raise SizeError(
            f"unknown {self.name} width {letter!r}; known: {', '.join(self.letters)}", width=letter, known=self.letters
        )


UK_FITTINGS = WidthFittings("UK", (("A", -5), ("B", -4), ("C", -3), ("D", -2), ("E", -1), ("F", 0), ("G", 1), ("H", 2)))
US_MEN_FITTINGS = WidthFittings("US men", (("B", -2), ("D", 0), ("E", 1), ("2E", 2), ("3E", 3), ("4E", 4)))
US_WOMEN_FITTINGS = WidthFittings("US women", (("2A", -2), ("B", 0), ("D", 2), ("2E", 4)))


@dataclass(frozen=True)
class SizeSystem:
    """One size scale: size = (foot length + allowance) / mm per size unit + offset.

    ``step`` is the stock step in size units; ``fittings`` the width letters, or None where the width is the
    Mondopoint ball width in mm.
    """

    name: str
    label: str
    unit: str  # what one size unit is
    mm_per_size_unit: float
    step: float
    source: str
    allowance_mm: float = 0.0
    offset: float = 0.0
    fittings: WidthFittings | None = None
    foot_length_range_mm: tuple[float, float] = DEFAULT_UNIT_RANGES.possible_mm

    def size_for(self, foot_length_mm: float) -> float:
        """The unrounded size of a foot."""
        return (foot_length_mm + self.allowance_mm) / self.mm_per_size_unit + self.offset

    def foot_length_for(self, size: float) -> float:
        """The foot length (mm) a size is made for."""
        return (size - self.offset) * self.mm_per_size_unit - self.allowance_mm

    @property
    def step_mm(self) -> float:
        return self.step * self.mm_per_size_unit

    @property
    def size_range(self) -> tuple[float, float]:
        """Sizes of the feet humans can have (``lasts.units`` possible range)."""
        low, high = self.foot_length_range_mm
        return self.size_for(low), self.size_for(high)


# Adding a system is one entry here.
_SYSTEM_LIST: tuple[SizeSystem, ...] = (
    SizeSystem("eu", "EU", "Paris point (2/3 cm)", PARIS_POINT_MM, 0.5, "Paris point scale",
               allowance_mm=LENGTH_ALLOWANCE_MM, fittings=UK_FITTINGS),
    SizeSystem("uk", "UK", "barleycorn (1/3 inch)", BARLEYCORN_MM, 0.5, "English barleycorn scale, adult sizes",
               allowance_mm=LENGTH_ALLOWANCE_MM, offset=-25.0, fittings=UK_FITTINGS),
    SizeSystem("us_men", "US men", "barleycorn (1/3 inch)", BARLEYCORN_MM, 0.5, "US customary scale: UK + 1",
               allowance_mm=LENGTH_ALLOWANCE_MM, offset=-24.0, fittings=US_MEN_FITTINGS),
    SizeSystem("us_women", "US women", "barleycorn (1/3 inch)", BARLEYCORN_MM, 0.5,
               "UK + 2; brand charts vary from UK + 1.5 to UK + 2.5",
               allowance_mm=LENGTH_ALLOWANCE_MM, offset=-23.0, fittings=US_WOMEN_FITTINGS),
    SizeSystem("mondopoint", "Mondopoint", "mm of foot length", 1.0, 5.0, "ISO 9407"),
    SizeSystem("cn", "CN", "mm of foot length", 1.0, 5.0, "GB/T 3293.1"),
    SizeSystem("jp", "JP", "cm of foot length", 10.0, 0.5, "JIS S 5037"),
)  # fmt: skip
SYSTEMS: dict[str, SizeSystem] = {system.name: system for system in _SYSTEM_LIST}
SIZE_SYSTEMS: tuple[str, ...] = tuple(SYSTEMS)


@dataclass(frozen=True)
class WidthReference:
    """The house medium ball girth: ``girth_ratio`` × foot length at UK ``reference_uk_size``, graded
    ``girth_per_size_mm`` per UK size; each width letter is ``girth_per_fitting_mm`` from the next.

    6.35 mm per size over 8.47 mm of length is 0.75 mm of girth per mm of foot length, below the 0.94 of
    proportional scaling: big feet are relatively narrower (allometry). Overridable per factory.
    """

    girth_ratio: float = 0.94
    reference_uk_size: float = 8.0
    girth_per_size_mm: float = 6.35  # 1/4 inch per full UK size
    girth_per_fitting_mm: float = 6.35  # 1/4 inch per width letter

    @property
    def reference_foot_length_mm(self) -> float:
        return SYSTEMS["uk"].foot_length_for(self.reference_uk_size)

    @property
    def girth_per_foot_length(self) -> float:
        """mm of ball girth per mm of foot length along the size run."""
        return self.girth_per_size_mm / BARLEYCORN_MM


HOUSE_WIDTH_REFERENCE = WidthReference()


def get_size_system(system: str) -> SizeSystem:
    """The system called ``system``; ``SizeError`` naming the known ones otherwise."""
    found = SYSTEMS.get(system.lower()) if isinstance(system, str) else None
    if found is None:
        raise SizeError(
            f"unknown size system {system!r}; known: {', '.join(SIZE_SYSTEMS)}", system=str(system), known=SIZE_SYSTEMS
        )
    return found


def format_size(size: float) -> str:
    """A size as charts print it: 8, 8.5, 26.5, 265."""
    text = f"{size:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def foot_length_mm(size: float, system: str) -> float:
    """The foot length (mm) that ``size`` in ``system`` is made for."""
    scale = get_size_system(system)
    value = _number(size, f"{scale.label} size")
    length = scale.foot_length_for(value)
    low, high = scale.foot_length_range_mm
    if not low - _LENGTH_TOLERANCE_MM <= length <= high + _LENGTH_TOLERANCE_MM:
        size_low, size_high = scale.size_range
        raise SizeError(
            f"{scale.label} size {format_size(value)} is outside human feet: {scale.label} {format_size(size_low)} "
            f"to {format_size(size_high)} (foot length {low:g}–{high:g} mm)",
            system=scale.name,
            size=value,
            size_range=(size_low, size_high),
        )
    return length


def size_for_foot_length(foot_length_mm: float, system: str, *, round_to_step: bool = True) -> float:
    """The size of a foot in ``system``; rounded UP to the stock step, so the shoe is never shorter than the foot."""
    scale = get_size_system(system)
    size = scale.size_for(_checked_foot_length_mm(foot_length_mm, scale))
    return _round_to_step(size, scale.step, up=True) if round_to_step else size


def convert_size(size: float, from_system: str, to_system: str, *, round_to_step: bool = True) -> float:
    """``size`` in ``from_system`` as a size in ``to_system``, through the foot length; rounded to the NEAREST
    stock step (chart convention: a label converted, not a foot sized)."""
    target = get_size_system(to_system)
    converted = target.size_for(foot_length_mm(size, from_system))
    return _round_to_step(converted, target.step, up=False) if round_to_step else converted


def size_step_mm(system: str) -> float:
    """Foot-length change (mm) per stock step: 3.33 mm per EU half size, 4.23 per UK/US half size, 5 mm else."""
    return get_size_system(system).step_mm


def length_per_size_mm(system: str) -> float:
    """Foot-length change (mm) per whole size unit: 6.667 per Paris point, 8.467 per UK/US size (for grading)."""
    return get_size_system(system).mm_per_size_unit


def conversion_table(systems: Sequence[str], foot_lengths_mm: Iterable[float]) -> list[dict[str, float]]:
    """One row per foot length: ``foot_length_mm`` and the nearest stock size in each system (chart rounding)."""
    scales = [get_size_system(name) for name in systems]
    rows = []
    for length in foot_lengths_mm:
        checked = _checked_foot_length_mm(length, SYSTEMS["mondopoint"])
        row = {"foot_length_mm": checked}
        for scale in scales:
            row[scale.name] = _round_to_step(scale.size_for(checked), scale.step, up=False)
        rows.append(row)
    return rows


def conversion_table_markdown(eu_sizes: Iterable[float] = range(35, 49)) -> str:
    """The conversion chart in docs/sizes.md: EU sizes against every other system."""
    others = [name for name in SIZE_SYSTEMS if name != "eu"]
    lengths = [foot_length_mm(size, "eu") for size in eu_sizes]
    header = ["EU", "foot length (mm)", *(SYSTEMS[name].label for name in others)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    for row in conversion_table(["eu", *others], lengths):
        cells = [format_size(row["eu"]), f"{row['foot_length_mm']:.1f}", *(format_size(row[name]) for name in others)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def reference_ball_girth_mm(foot_length_mm: float, reference: WidthReference = HOUSE_WIDTH_REFERENCE) -> float:
    """The medium fitting's ball girth (mm) for a foot length (house reference table)."""
    length = _checked_foot_length_mm(foot_length_mm, SYSTEMS["mondopoint"])
    at_reference = reference.girth_ratio * reference.reference_foot_length_mm
    return at_reference + reference.girth_per_foot_length * (length - reference.reference_foot_length_mm)


def width_for_ball_girth(
    ball_girth_mm: float, foot_length_mm: float, system: str, reference: WidthReference = HOUSE_WIDTH_REFERENCE
) -> str:
    """The stocked width letter whose girth is nearest ``ball_girth_mm`` at that foot length; ties go wider."""
    fittings = _fittings(get_size_system(system))
    girth = _checked_positive_mm(ball_girth_mm, "ball girth")
    offset = (girth - reference_ball_girth_mm(foot_length_mm, reference)) / reference.girth_per_fitting_mm
    # Ties go to the wider letter: a little room hurts less than pressure on the joint.
    return min(fittings.fittings_from_medium, key=lambda item: (abs(item[1] - offset), -item[1]))[0]


def ball_girth_for_width(
    width: str, foot_length_mm: float, system: str, reference: WidthReference = HOUSE_WIDTH_REFERENCE
) -> float:
    """The ball girth (mm) a width letter is made for at that foot length."""
    fittings = _fittings(get_size_system(system))
    steps = fittings.fittings_of(width)
    return reference_ball_girth_mm(foot_length_mm, reference) + steps * reference.girth_per_fitting_mm


def mondopoint_width_mm(ball_width_mm: float) -> float:
    """The Mondopoint width (ISO 9407 designation length/width, e.g. 265/100): the ball width to the nearest mm."""
    return float(math.floor(_checked_positive_mm(ball_width_mm, "ball width") + 0.5))


@dataclass(frozen=True)
class StockSize:
    """The stock shoe for a foot: size and width, what they are made for, and the differences (stock − foot)."""

    system: str
    size: float
    width: str | None  # letter, or the Mondopoint width in mm for mm systems (None without a ball width)
    stock_foot_length_mm: float
    stock_ball_girth_mm: float | None  # None where the system has no width letters
    length_difference_mm: float  # >= 0: sizes round up
    ball_girth_difference_mm: float | None  # negative: the stock shoe is tighter than the foot

    @property
    def label(self) -> str:
        """As a shop writes it: UK 7.5 E, EU 41 F, Mondopoint 260 width 96 mm."""
        text = f"{SYSTEMS[self.system].label} {format_size(self.size)}"
        if self.width is None:
            return text
        return f"{text} {self.width}" if SYSTEMS[self.system].fittings else f"{text} width {self.width} mm"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "label": self.label}


def nearest_stock_size(
    foot_length_mm: float,
    ball_girth_mm: float,
    system: str,
    *,
    ball_width_mm: float | None = None,
    reference: WidthReference = HOUSE_WIDTH_REFERENCE,
) -> StockSize:
    """The stock size (rounded up) and width (nearest girth at that stock size's length) for a foot.

    The width letter is chosen at the stock size's own length: that is the girth the stocked shoe has.
    Systems without letters (Mondopoint, CN, JP) give the Mondopoint ball width when ``ball_width_mm`` is known.
    """
    scale = get_size_system(system)
    length = _checked_foot_length_mm(foot_length_mm, scale)
    girth = _checked_positive_mm(ball_girth_mm, "ball girth")
    size = size_for_foot_length(length, scale.name)
    stock_length = scale.foot_length_for(size)
    if scale.fittings is None:
        width = None if ball_width_mm is None else format_size(mondopoint_width_mm(ball_width_mm))
        stock_girth = None
    else:
        width = width_for_ball_girth(girth, stock_length, scale.name, reference)
        stock_girth = ball_girth_for_width(width, stock_length, scale.name, reference)
    return StockSize(
        system=scale.name,
        size=size,
        width=width,
        stock_foot_length_mm=round(stock_length, 2),
        stock_ball_girth_mm=None if stock_girth is None else round(stock_girth, 2),
        length_difference_mm=round(stock_length - length, 2),
        ball_girth_difference_mm=None if stock_girth is None else round(stock_girth - girth, 2),
    )


def width_table_markdown(uk_sizes: Iterable[float] = range(3, 14, 1)) -> str:
    """The house width table in docs/sizes.md: letters by fittings from medium, and the medium girth by size."""
    letter_systems = [UK_FITTINGS, US_MEN_FITTINGS, US_WOMEN_FITTINGS]
    all_steps = sorted({steps for fittings in letter_systems for _, steps in fittings.fittings_from_medium})
    step_mm = HOUSE_WIDTH_REFERENCE.girth_per_fitting_mm
    lines = [
        "| fittings from medium | ball girth (mm) | " + " | ".join(f.name for f in letter_systems) + " |",
        "|---:|---:|" + ":---:|" * len(letter_systems),
    ]
    for steps in all_steps:
        letters = [dict((s, letter) for letter, s in f.fittings_from_medium).get(steps, "") for f in letter_systems]
        lines.append(f"| {steps:+d} | {steps * step_mm:+.2f} | " + " | ".join(letters) + " |")
    lines += ["", "| UK | foot length (mm) | medium ball girth (mm) | girth / length |", "|---:|---:|---:|---:|"]
    for uk in uk_sizes:
        length = foot_length_mm(uk, "uk")
        girth = reference_ball_girth_mm(length)
        lines.append(f"| {format_size(uk)} | {length:.1f} | {girth:.1f} | {girth / length:.3f} |")
    return "\n".join(lines) + "\n"


def _round_to_step(size: float, step: float, *, up: bool) -> float:
    steps = round(size / step, _SAME_STEP_DECIMALS)
    whole_steps = np.ceil(steps) if up else np.floor(steps + 0.5)  # exact halves go to the longer size
    return float(whole_steps * step) + 0.0  # + 0.0 turns -0.0 into 0.0


def _fittings(scale: SizeSystem) -> WidthFittings:
    if scale.fittings is None:
        lettered = [name for name in SIZE_SYSTEMS if SYSTEMS[name].fittings is not None]
        raise SizeError(
            f"{scale.label} has no width letters in the house table (use the Mondopoint ball width in mm); "
            f"systems with letters: {', '.join(lettered)}",
            system=scale.name,
        )
    return scale.fittings


def _number(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SizeError(f"{what} {value!r} is not a number", value=repr(value)) from None
    if not math.isfinite(number):
        raise SizeError(f"{what} {number} is not a finite number", value=str(number))
    return number


def _checked_foot_length_mm(foot_length_mm: Any, scale: SizeSystem) -> float:
    length = _number(foot_length_mm, "foot length")
    low, high = scale.foot_length_range_mm
    if not low - _LENGTH_TOLERANCE_MM <= length <= high + _LENGTH_TOLERANCE_MM:
        raise SizeError(
            f"foot length {length:g} mm is outside human feet ({low:g}–{high:g} mm)",
            foot_length_mm=length,
            range_mm=(low, high),
        )
    return length


def _checked_positive_mm(value: Any, what: str) -> float:
    number = _number(value, f"{what} (mm)")
    if number <= 0:
        raise SizeError(f"{what} {number:g} mm must be positive (mm, greater than 0)", value=number)
    return number

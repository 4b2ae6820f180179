"""Grading: a size run of lasts from one base last.

Each size's *targets* are the base last's own measurements moved by the grade rules; each graded last is
then solved like a fitted one (:func:`lasts.fitting.solve_last`), measured, and checked against its targets.
A last shaped to a foot (``LastParameters.shape``) grades with its shape: the displacement field scaled with
the size's length (AIST: "global grading with a local deformation"), the named parameters solved around it.
Two rule sets:

- **arithmetic** (the trade's): every size adds one length step (6.67 mm per Paris point, 8.47 mm per UK/US
  size) to the stick length and a fixed girth step (5 mm per Paris point, 6.35 mm per UK size) to the ball,
  waist and instep girths; the ball length, widths, heel girths and toe height follow the length step by
  the ANSUR II slopes (mm of measurement per mm of foot length, 6,068 soldiers; docs/lasts.md);
- **allometric**: every measurement scales as a power of the length ratio, with the exponents of ANSUR II
  (log-log slopes): feet do not grow in proportion, and big sizes graded arithmetically come out too slim.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from lasts.errors import LastError
from lasts.fitting import LastFit, measure_last, solve_last
from lasts.model import LastMesh, LastParameters, build_last
from lasts.sizes import format_size, get_size_system, length_per_size_mm

GradeMode = Literal["arithmetic", "allometric"]
_GRADED_KEYS = (
    "foot_length_mm",
    "ball_length_mm",
    "ball_width_mm",
    "ball_girth_mm",
    "waist_girth_mm",
    "instep_girth_mm",
    "long_heel_girth_mm",
    "short_heel_girth_mm",
    "heel_width_mm",
    "toe_height_mm",
)
_GIRTH_PER_LENGTH = 0.75  # 5 mm girth per 6.67 mm length (EU), 6.35 per 8.47 (UK): the trade's ratio
# ANSUR II (n = 6,068): least-squares slopes against foot length, mm per mm and log-log.
ANSUR_SLOPE_MM_PER_MM = {
    "ball_length_mm": 0.746,
    "ball_width_mm": 0.291,
    "heel_width_mm": 0.210,
    "long_heel_girth_mm": 1.150,
}
ANSUR_EXPONENT = {
    "foot_length_mm": 1.0,
    "ball_length_mm": 1.007,
    "ball_width_mm": 0.774,
    "ball_girth_mm": 0.814,
    "waist_girth_mm": 0.814,
    "instep_girth_mm": 0.814,
    "long_heel_girth_mm": 0.911,
    "short_heel_girth_mm": 0.911,
    "heel_width_mm": 0.775,
    "toe_height_mm": 0.814,
}


@dataclass(frozen=True)
class GradeRules:
    """How measurements change per size; ``girth_per_size_mm`` None = 0.75 × the length step."""

    system: str = "eu"
    mode: GradeMode = "arithmetic"
    girth_per_size_mm: float | None = None
    exponents: dict[str, float] = field(default_factory=lambda: dict(ANSUR_EXPONENT))
    tolerance_mm: float = 0.5  # a graded last further than this from any target is reported as failed

    @property
    def length_per_size_mm(self) -> float:
        return length_per_size_mm(self.system)

    @property
    def girth_step_mm(self) -> float:
        if self.girth_per_size_mm is not None:
            return self.girth_per_size_mm
        return _GIRTH_PER_LENGTH * self.length_per_size_mm


@dataclass(frozen=True)
class GradedLast:
    size: float
    label: str  # "EU 42"
    targets: dict[str, float]
    fit: LastFit

    tolerance_mm: float = 0.5

    @property
    def within_tolerance(self) -> bool:
        return self.fit.max_error_mm <= self.tolerance_mm

    def summary(self) -> dict[str, object]:
        return {
            "size": self.size,
            "label": self.label,
            "targets": {k: round(v, 2) for k, v in self.targets.items()},
            "achieved": {k: round(v, 2) for k, v in self.fit.achieved.items()},
            "max_error_mm": round(self.fit.max_error_mm, 3),
            "within_tolerance": self.within_tolerance,
            "seconds": round(self.fit.seconds, 3),
        }


def graded_targets(base: dict[str, float], size_steps: float, rules: GradeRules) -> dict[str, float]:
    """The base measurements moved by ``size_steps`` whole sizes (negative = smaller), mm."""
    missing = [k for k in _GRADED_KEYS if base.get(k) is None]
    if missing:
        raise LastError(f"the base last has no {', '.join(missing)}: it cannot be graded")
    step = rules.length_per_size_mm * size_steps
    length = base["foot_length_mm"]
    if length + step < 120.0:
        raise LastError(f"{size_steps:+g} sizes from a {length:.0f} mm last leaves {length + step:.0f} mm: too short")
    if rules.mode == "allometric":
        ratio = (length + step) / length
        return {k: base[k] * ratio ** rules.exponents.get(k, 1.0) for k in _GRADED_KEYS}
    girth = rules.girth_step_mm * size_steps
    out = dict(base)
    out["foot_length_mm"] = length + step
    for key in ("ball_girth_mm", "waist_girth_mm", "instep_girth_mm"):
        out[key] = base[key] + girth
    # Heel girths grow with the heel-ankle circumference's slope; the short one like the long one.
    for key in ("ball_length_mm", "ball_width_mm", "heel_width_mm"):
        out[key] = base[key] + ANSUR_SLOPE_MM_PER_MM[key] * step
    heel = ANSUR_SLOPE_MM_PER_MM["long_heel_girth_mm"] * step
    out["long_heel_girth_mm"] = base["long_heel_girth_mm"] + heel
    out["short_heel_girth_mm"] = base["short_heel_girth_mm"] + heel
    out["toe_height_mm"] = base["toe_height_mm"] * (1.0 + step / length)  # heights in proportion
    return {k: float(out[k]) for k in _GRADED_KEYS}


def base_size(params: LastParameters, system: str) -> float:
    """The size a last of this stick length is, unrounded: EU/UK/US count the stick length (foot + the
    15 mm allowance); Mondopoint, CN and JP count the foot, taken as the stick length less 15 mm."""
    scale = get_size_system(system)
    return scale.size_for(params.stick_length_mm - 15.0)


def eu_size_of_last(params: LastParameters) -> float:
    """The EU size a last is, to the half size (its stick length counts Paris points)."""
    return round(2.0 * base_size(params, "eu")) / 2.0


def parse_size_run(text: str, system: str) -> list[float]:
    """``"38-46"`` (every stock step of the system), ``"40,41,42.5"`` or one size, as size numbers."""
    scale = get_size_system(system)
    text = text.strip()
    try:
        if "-" in text[1:]:
            cut = text.index("-", 1)
            low, high = float(text[:cut]), float(text[cut + 1 :])
        else:
            sizes = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise LastError(f"size run {text!r} is not like 38-46 or 40,41,42") from None
    if "-" not in text[1:]:
        return sizes
    if high < low:
        raise LastError(f"size run {text!r} runs backwards")
    count = round((high - low) / scale.step) + 1
    return [float(s) for s in np.round(low + scale.step * np.arange(count), 3)]


def grade_lasts(
    base: LastParameters,
    sizes: list[float],
    rules: GradeRules = GradeRules(),
    base_size_number: float | None = None,
    face_count: int = 50_000,
) -> list[GradedLast]:
    """One solved, measured and checked last per size; the base last's measurements anchor the run."""
    if not sizes:
        raise LastError("no sizes to grade")
    if len(sizes) > 40:
        raise LastError(f"{len(sizes)} sizes in one run: at most 40")
    scale = get_size_system(rules.system)
    anchor = base_size(base, rules.system) if base_size_number is None else base_size_number
    base_last: LastMesh = build_last(base, face_count)
    measured = {k: v for k, v in measure_last(base_last).values().items() if v is not None}
    graded: list[GradedLast] = []
    for size in sizes:
        steps = size - anchor  # size numbers count size units
        targets = graded_targets(measured, steps, rules)
        ratio = targets["foot_length_mm"] / measured["foot_length_mm"]
        start = replace(
            base,
            stick_length_mm=targets["foot_length_mm"],
            ball_length_mm=targets["ball_length_mm"],
            ball_width_mm=targets["ball_width_mm"],
            shape=None if base.shape is None else base.shape.scaled(ratio),
        )
        fit = solve_last(targets, start, face_count)
        graded.append(GradedLast(size, f"{scale.label} {format_size(size)}", targets, fit, rules.tolerance_mm))
    return graded

"""Fit feedback → last changes, pure: the documented table (docs/feedback.md) of what a customer's answer
about one region of a worn pair changes on the last, in mm of the last's *measured* values (the keys
``lasts.fitting.measure_last`` gives and ``solve_last`` drives).

- toe tight / loose: stick length (``foot_length_mm``) ±3 mm, half a Paris point (6.67 mm); with
  ``detail="height"`` (toes pressed from above) the toe box height (``toe_height_mm``) ±2 mm instead;
- ball: ``ball_girth_mm`` ±4 mm, about 2/3 of a width step (6.35 mm of girth, domain.md);
- instep: ``instep_girth_mm`` ±4 mm, a third of the 12.7 mm the instep is taken in;
- heel (loose = slipping): ``short_heel_girth_mm`` and ``long_heel_girth_mm`` both ∓4 mm (the 2 mm gap stays).

"right" changes nothing. These steps are **assumptions** (bespoke practice: one change at a time, about
half a size step, then re-try); the aggregation (``aggregate.py``) is how they are checked against what
customers say next.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from manufacturing.feedback.errors import FeedbackError


class Region(enum.StrEnum):
    TOE = "toe"
    BALL = "ball"
    INSTEP = "instep"
    HEEL = "heel"


class Answer(enum.StrEnum):
    TIGHT = "tight"
    RIGHT = "right"
    LOOSE = "loose"


@dataclass(frozen=True)
class RegionAnswer:
    answer: Answer
    text: str = ""
    detail: str | None = None  # toe: "length" (toes touch the end, default) or "height" (pressed from above)


@dataclass(frozen=True)
class Change:
    measurement: str  # a lasts.fitting TARGET_KEYS key
    tight_mm: float  # added when the region is tight; subtracted when loose
    basis: str


@dataclass(frozen=True)
class FeedbackRules:
    table: dict[tuple[Region, str], tuple[Change, ...]] = field(
        default_factory=lambda: {
            (Region.TOE, "length"): (Change("foot_length_mm", 3.0, "half a Paris point (6.67 mm)"),),
            (Region.TOE, "height"): (Change("toe_height_mm", 2.0, "toe box clearance step"),),
            (Region.BALL, ""): (Change("ball_girth_mm", 4.0, "2/3 of a width step (6.35 mm girth)"),),
            (Region.INSTEP, ""): (Change("instep_girth_mm", 4.0, "a third of the 12.7 mm instep take-in"),),
            (Region.HEEL, ""): (
                Change("short_heel_girth_mm", 4.0, "heel slip: the heel girths hold the heel"),
                Change("long_heel_girth_mm", 4.0, "moves with the short heel girth (2 mm gap kept)"),
            ),
        }
    )
    # Which style allowance (lasts.fitting.StyleAllowances) each measurement's change tunes.
    allowance_of: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "foot_length_mm": ("toe_allowance_mm",),
            "toe_height_mm": ("toe_box_clearance_mm",),
            "ball_girth_mm": ("ball_girth_ease_mm",),
            "instep_girth_mm": ("instep_girth_ease_mm",),
            "short_heel_girth_mm": ("short_heel_girth_ease_mm",),
            "long_heel_girth_mm": ("long_heel_girth_ease_mm",),
        }
    )

    def changes_for(self, region: Region, answer: RegionAnswer) -> dict[str, float]:
        """mm per measurement for one region's answer (empty for "right")."""
        if answer.answer == Answer.RIGHT:
            return {}
        detail = (answer.detail or "length") if region == Region.TOE else ""
        changes = self.table.get((region, detail))
        if changes is None:
            raise FeedbackError(f"no rule for {region.value} ({detail})", region=region.value, detail=detail)
        sign = 1.0 if answer.answer == Answer.TIGHT else -1.0
        return {c.measurement: sign * c.tight_mm for c in changes}


DEFAULT_FEEDBACK_RULES = FeedbackRules()


def parse_answers(raw: Mapping[str, object]) -> dict[Region, RegionAnswer]:
    """``{"ball": "tight", "toe": {"answer": "tight", "detail": "height", "text": "..."}}`` → answers;
    unknown regions, answers or details are refused (``FeedbackError``)."""
    out: dict[Region, RegionAnswer] = {}
    for key, value in raw.items():
        try:
            region = Region(key)
            if isinstance(value, str):
                answer = RegionAnswer(Answer(value))
            elif isinstance(value, Mapping):
                answer = RegionAnswer(Answer(value["answer"]), str(value.get("text", "") or ""), value.get("detail"))
            else:
                raise ValueError(value)
        except (ValueError, KeyError):
            raise FeedbackError(f"cannot read the answer for {key!r}: {value!r}", region=str(key)) from None
        if answer.detail not in (None, "length", "height") or (answer.detail and region != Region.TOE):
            raise FeedbackError(f"{key}: detail {answer.detail!r} is not known", region=str(key))
        out[region] = answer
    if not out:
        raise FeedbackError("the feedback answers no region")
    return out


def last_changes(
    answers: Mapping[Region, RegionAnswer], rules: FeedbackRules = DEFAULT_FEEDBACK_RULES
) -> dict[str, float]:
    """Every measurement change the answers ask for (mm), summed over regions."""
    total: dict[str, float] = {}
    for region, answer in answers.items():
        for key, mm in rules.changes_for(region, answer).items():
            total[key] = total.get(key, 0.0) + mm
    return total

"""Fit feedback per style, pure: how many customers found each region tight, right or loose, and the mean
last change the table would make, as a suggested change to the style's default allowance
(``lasts.fitting.StyleAllowances``). A suggestion needs ``min_samples`` answers for the region (one
customer's foot is not a style's fit) and a mean of at least ``min_change_mm`` (below the last's 0.5 mm
tolerance a change is noise). ``feedback_summary`` is the shell; ``apply_suggestions`` makes new FitRules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from lasts.fitting import DEFAULT_FIT_RULES, FitRules
from manufacturing.feedback import repository
from manufacturing.feedback.rules import (
    DEFAULT_FEEDBACK_RULES,
    Answer,
    FeedbackRules,
    Region,
    RegionAnswer,
    parse_answers,
)

MIN_SAMPLES = 10
MIN_CHANGE_MM = 0.5


@dataclass(frozen=True)
class Suggestion:
    allowance: str  # a StyleAllowances field
    measurement: str
    change_mm: float  # mean over the region's answers, to 0.1 mm
    samples: int


@dataclass(frozen=True)
class StyleSummary:
    style: str
    feedback: int
    counts: dict[str, dict[str, int]]  # region → answer → count
    mean_change_mm: dict[str, tuple[float, int]]  # measurement → (mean mm, samples)
    suggestions: tuple[Suggestion, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "style": self.style,
            "feedback": self.feedback,
            "counts": self.counts,
            "mean_change_mm": {k: {"mean_mm": m, "samples": n} for k, (m, n) in self.mean_change_mm.items()},
            "suggestions": [s.__dict__ for s in self.suggestions],
        }


def _region_measurements(rules: FeedbackRules, region: Region) -> list[str]:
    return list(dict.fromkeys(c.measurement for (r, _), changes in rules.table.items() if r == region
                              for c in changes))  # fmt: skip


def summarise_style(
    style: str,
    answers: Iterable[Mapping[Region, RegionAnswer]],
    rules: FeedbackRules = DEFAULT_FEEDBACK_RULES,
    min_samples: int = MIN_SAMPLES,
    min_change_mm: float = MIN_CHANGE_MM,
) -> StyleSummary:
    counts = {r.value: {a.value: 0 for a in Answer} for r in Region}
    sums: dict[str, list[float]] = {}
    n = 0
    for feedback in answers:
        n += 1
        for region, answer in feedback.items():
            counts[region.value][answer.answer.value] += 1
            changes = rules.changes_for(region, answer)
            for measurement in _region_measurements(rules, region):
                sums.setdefault(measurement, []).append(changes.get(measurement, 0.0))
    means = {m: (round(sum(v) / len(v), 2), len(v)) for m, v in sums.items()}
    suggestions = tuple(
        Suggestion(allowance, m, round(mean, 1), samples)
        for m, (mean, samples) in means.items()
        if samples >= min_samples and abs(mean) >= min_change_mm
        for allowance in rules.allowance_of.get(m, ())
    )
    return StyleSummary(style, n, counts, means, suggestions)


def summarise(
    records: Iterable[tuple[str, Mapping[Region, RegionAnswer]]],
    rules: FeedbackRules = DEFAULT_FEEDBACK_RULES,
    min_samples: int = MIN_SAMPLES,
    min_change_mm: float = MIN_CHANGE_MM,
) -> dict[str, StyleSummary]:
    """Per style (sorted), from (style, answers) records."""
    by_style: dict[str, list[Mapping[Region, RegionAnswer]]] = {}
    for style, answers in records:
        by_style.setdefault(style, []).append(answers)
    return {s: summarise_style(s, a, rules, min_samples, min_change_mm) for s, a in sorted(by_style.items())}


def apply_suggestions(summary: StyleSummary, fit_rules: FitRules = DEFAULT_FIT_RULES) -> FitRules:
    """New FitRules with the style's allowances moved by the suggestions (the input is left as it was)."""
    if not summary.suggestions or summary.style not in fit_rules.styles:
        return fit_rules
    allowances = fit_rules.styles[summary.style]
    moved = {s.allowance: getattr(allowances, s.allowance) + s.change_mm for s in summary.suggestions}
    return replace(fit_rules, styles={**fit_rules.styles, summary.style: replace(allowances, **moved)})


def feedback_summary(
    session: Session,
    rules: FeedbackRules = DEFAULT_FEEDBACK_RULES,
    min_samples: int = MIN_SAMPLES,
    min_change_mm: float = MIN_CHANGE_MM,
) -> dict[str, StyleSummary]:
    """Every stored feedback, summarised per style."""
    records = [(row.style, parse_answers(row.answers)) for row in repository.all_feedback(session)]
    return summarise(records, rules, min_samples, min_change_mm)

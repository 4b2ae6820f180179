"""The feedback table, a revised last that measures what the table asked for, and the per-style aggregate."""

import pytest

from lasts.fitting import DEFAULT_FIT_RULES
from lasts.model import LastParameters
from manufacturing.feedback.aggregate import apply_suggestions, summarise_style
from manufacturing.feedback.errors import FeedbackError
from manufacturing.feedback.rules import last_changes, parse_answers
from manufacturing.feedback.service import revised_last

LAST = LastParameters(stick_length_mm=285, ball_length_mm=195, ball_girth_mm=250, ball_width_mm=100,
                      waist_girth_mm=245, instep_girth_mm=255, long_heel_girth_mm=335, short_heel_girth_mm=320,
                      heel_width_mm=68, toe_box_height_mm=24)  # fmt: skip


def test_the_table() -> None:
    assert last_changes(parse_answers({"ball": "tight", "instep": "right"})) == {"ball_girth_mm": 4.0}
    assert last_changes(parse_answers({"toe": "tight"})) == {"foot_length_mm": 3.0}
    assert last_changes(parse_answers({"toe": {"answer": "tight", "detail": "height"}})) == {"toe_height_mm": 2.0}
    assert last_changes(parse_answers({"heel": "loose"})) == {"short_heel_girth_mm": -4.0, "long_heel_girth_mm": -4.0}
    assert last_changes(parse_answers({"toe": "right", "ball": "right"})) == {}
    for bad in ({"calf": "tight"}, {"ball": "snug"}, {"ball": {"answer": "tight", "detail": "height"}}, {}):
        with pytest.raises(FeedbackError):
            parse_answers(bad)


def test_ball_tight_gives_a_last_with_a_larger_measured_ball_girth() -> None:
    before, fit = revised_last(LAST, {"ball_girth_mm": 4.0}, face_count=20_000)
    assert fit.achieved["ball_girth_mm"] - before["ball_girth_mm"] == pytest.approx(4.0, abs=1.0)
    for key in ("foot_length_mm", "instep_girth_mm", "short_heel_girth_mm"):
        assert fit.achieved[key] == pytest.approx(before[key], abs=0.5)


def test_a_style_change_is_suggested_only_above_the_minimum_sample() -> None:
    ball_tight = parse_answers({"ball": "tight", "toe": "right"})
    right = parse_answers({"ball": "right"})
    few = summarise_style("derby", [ball_tight] * 6 + [right] * 3, min_samples=10)
    assert few.counts["ball"] == {"tight": 6, "right": 3, "loose": 0} and few.suggestions == ()
    enough = summarise_style("derby", [ball_tight] * 6 + [right] * 4, min_samples=10)
    [suggestion] = enough.suggestions
    assert suggestion.allowance == "ball_girth_ease_mm" and suggestion.change_mm == pytest.approx(2.4)
    assert suggestion.samples == 10
    tuned = apply_suggestions(enough, DEFAULT_FIT_RULES)
    assert tuned.styles["derby"].ball_girth_ease_mm == pytest.approx(2.4)
    assert DEFAULT_FIT_RULES.styles["derby"].ball_girth_ease_mm == 0.0
    balanced = summarise_style("derby", [ball_tight] * 5 + [parse_answers({"ball": "loose"})] * 5, min_samples=10)
    assert balanced.suggestions == ()  # tight and loose cancel out

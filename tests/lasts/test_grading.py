import numpy as np
import pytest

from lasts.errors import LastError
from lasts.fitted import FittedLast
from lasts.grading import GradeRules, base_size, grade_lasts, graded_targets, parse_size_run
from lasts.sizes import PARIS_POINT_MM
from tests.lasts.last_samples import FIND_LIKE


@pytest.fixture(scope="module")
def eu_run() -> list:
    return grade_lasts(FIND_LIKE, [39.0, 41.0, 43.0], GradeRules(system="eu"), face_count=20_000)


def test_a_size_run_steps_length_and_girth_by_the_grade_rules(eu_run: list) -> None:
    lengths = [g.fit.achieved["foot_length_mm"] for g in eu_run]
    girths = [g.fit.achieved["ball_girth_mm"] for g in eu_run]
    assert lengths[1] - lengths[0] == pytest.approx(2 * PARIS_POINT_MM, abs=0.05)
    assert lengths[2] - lengths[1] == pytest.approx(2 * PARIS_POINT_MM, abs=0.05)
    assert girths[1] - girths[0] == pytest.approx(10.0, abs=0.5)  # 5 mm per Paris point
    assert all(g.within_tolerance for g in eu_run)
    assert [g.label for g in eu_run] == ["EU 39", "EU 41", "EU 43"]


def test_every_graded_last_is_measured_against_its_own_targets(eu_run: list) -> None:
    for graded in eu_run:
        assert set(graded.fit.achieved) >= set(graded.targets)
        for key, target in graded.targets.items():
            assert graded.fit.achieved[key] == pytest.approx(target, abs=0.5), (graded.label, key)


def test_uk_grading_uses_barleycorns_and_a_quarter_inch_of_girth() -> None:
    rules = GradeRules(system="uk")
    base = {k: 100.0 for k in graded_targets.__globals__["_GRADED_KEYS"]} | {"foot_length_mm": 270.0}
    up = graded_targets(base, 1.0, rules)
    assert up["foot_length_mm"] - 270.0 == pytest.approx(25.4 / 3, abs=1e-9)
    assert up["ball_girth_mm"] - 100.0 == pytest.approx(6.35, abs=1e-2)


def test_allometric_grading_keeps_big_sizes_fuller_than_plain_proportion_and_slimmer_than_arithmetic() -> None:
    base = {
        "foot_length_mm": 270.0, "ball_length_mm": 190.0, "ball_width_mm": 96.0, "ball_girth_mm": 245.0,
        "waist_girth_mm": 235.0, "instep_girth_mm": 245.0, "long_heel_girth_mm": 335.0,
        "short_heel_girth_mm": 325.0, "heel_width_mm": 62.0, "toe_height_mm": 30.0,
    }  # fmt: skip
    allometric = graded_targets(base, 6.0, GradeRules(mode="allometric"))
    ratio = allometric["foot_length_mm"] / 270.0
    assert allometric["ball_girth_mm"] < 245.0 * ratio  # not plain proportional scaling
    assert allometric["ball_girth_mm"] > 245.0


def test_base_size_and_size_runs() -> None:
    assert base_size(FIND_LIKE, "eu") == pytest.approx(272.8 / PARIS_POINT_MM)
    assert parse_size_run("38-40", "eu") == [38.0, 38.5, 39.0, 39.5, 40.0]
    assert parse_size_run("7,8,9.5", "uk") == [7.0, 8.0, 9.5]
    with pytest.raises(LastError, match="backwards"):
        parse_size_run("46-38", "eu")
    with pytest.raises(LastError, match="not like"):
        parse_size_run("big", "eu")


def test_grading_below_any_foot_is_refused() -> None:
    with pytest.raises(LastError, match="too short"):
        grade_lasts(FIND_LIKE, [5.0], GradeRules(system="eu"), face_count=8_000)


def test_a_shaped_last_grades_with_its_shape_scaled_and_every_size_checked(find_shaped: FittedLast) -> None:
    base = find_shaped.fit.last.params
    assert base.shape is not None
    anchor = base_size(base, "eu")
    run = grade_lasts(base, [anchor - 2.0, anchor + 2.0], GradeRules(system="eu"), face_count=12_000)
    for graded in run:
        shape = graded.fit.last.params.shape
        assert shape is not None
        ratio = graded.fit.last.params.stick_length_mm / base.stick_length_mm
        assert np.allclose(shape.displacement_mm, base.shape.displacement_mm * ratio, atol=0.006)
        assert graded.within_tolerance, graded.summary()
    small, big = (g.fit.achieved["foot_length_mm"] for g in run)
    assert big - small == pytest.approx(4 * PARIS_POINT_MM, abs=0.05)

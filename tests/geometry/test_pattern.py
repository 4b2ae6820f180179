"""The pattern piece model: validation at construction, measures, grading."""

import itertools
import math

import numpy as np
import pytest

from benchmarks.pattern_samples import SAMPLE_SIZE, SIZE_RUN, graded_set, sample_rules, sample_set
from geometry.errors import InputError, PatternError
from geometry.pattern import DrillHole, Notch, PatternPiece, PatternSet, grade_pattern

RECT = np.array([[0.0, 0.0], [100.0, 0.0], [100.0, 50.0], [0.0, 50.0]])


def test_a_rectangle_measures_its_area_perimeter_and_bounds() -> None:
    piece = PatternPiece("LINING", "40", RECT)
    assert piece.area_mm2 == pytest.approx(5000.0)
    assert piece.perimeter_mm == pytest.approx(300.0)
    assert piece.bounds_mm == (0.0, 0.0, 100.0, 50.0)
    assert piece.point_kinds().tolist() == [True] * 4  # right angles are turn points


def test_cut_line_is_stored_ccw_without_its_closing_point() -> None:
    clockwise_closed = np.concatenate([RECT[::-1], RECT[-1:]])
    piece = PatternPiece("LINING", "40", clockwise_closed, turn_points=[True, False, True, False, True])
    assert len(piece.cut_line) == 4
    x, y = piece.cut_line[:, 0], piece.cut_line[:, 1]
    assert 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) > 0
    assert not piece.cut_line.flags.writeable


def test_cutouts_reduce_the_material_area() -> None:
    window = np.array([[40.0, 20.0], [60.0, 20.0], [60.0, 30.0], [40.0, 30.0]])
    assert PatternPiece("P", "40", RECT, internal_cutouts=(window,)).area_mm2 == pytest.approx(4800.0)


@pytest.mark.parametrize(
    ("cut_line", "expected"),
    [
        ([[0, 0], [10, 10], [10, 0], [0, 10]], "self-intersecting"),
        ([[0, 0], [10, 0]], "needs at least 3"),
        ([[0, 0], [10, 0], [math.nan, 5]], "non-finite"),
        ([[0, 0], [10, 0], [20, 0]], "encloses no area"),
        ([[0, 0, 0], [1, 0, 0], [1, 1, 0]], "(n, 2)"),
    ],
)
def test_uncuttable_cut_lines_raise_a_pattern_error_naming_the_problem(cut_line: list, expected: str) -> None:
    with pytest.raises(PatternError, match=re_escape(expected)) as raised:
        PatternPiece("VAMP", "40", np.array(cut_line, dtype=float))
    assert isinstance(raised.value, InputError)
    assert "VAMP" in raised.value.message or expected in raised.value.message


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_features_outside_the_piece_and_bad_values_are_refused() -> None:
    with pytest.raises(PatternError, match="outside the cut line"):
        PatternPiece("P", "40", RECT, drill_holes=(DrillHole(150.0, 10.0, 3.0),))
    with pytest.raises(PatternError, match="not inside the cut line"):
        PatternPiece("P", "40", RECT, internal_cutouts=(RECT + 80.0,))
    with pytest.raises(PatternError, match="diameter"):
        DrillHole(1.0, 1.0, 0.0)
    with pytest.raises(PatternError, match="notch kind"):
        Notch(0.0, 0.0, 90.0, "zigzag")  # type: ignore[arg-type]
    with pytest.raises(PatternError, match="quantity"):
        PatternPiece("P", "40", RECT, quantity=0)


def test_a_set_refuses_the_same_piece_twice_in_one_size() -> None:
    piece = PatternPiece("P", "40", RECT)
    with pytest.raises(PatternError, match="twice"):
        PatternSet("S", "40", (piece, piece))
    with pytest.raises(PatternError, match="no piece 'Q'"):
        PatternSet("S", "40", (piece,)).piece("Q", "40")


def test_transform_moves_every_feature_rigidly() -> None:
    vamp = sample_set().piece("VAMP", SAMPLE_SIZE)
    moved = vamp.transformed(100.0, -20.0, 90.0)
    assert moved.area_mm2 == pytest.approx(vamp.area_mm2)
    assert moved.perimeter_mm == pytest.approx(vamp.perimeter_mm)
    x, y = vamp.notches[0].x_mm, vamp.notches[0].y_mm
    assert (moved.notches[0].x_mm, moved.notches[0].y_mm) == pytest.approx((100.0 - y, -20.0 + x))
    assert moved.notches[0].angle_deg == pytest.approx(vamp.notches[0].angle_deg + 90.0)


def test_grading_keeps_the_sample_and_moves_grade_points_by_their_rule() -> None:
    rules = sample_rules()
    graded = graded_set()
    assert graded.sizes == SIZE_RUN
    assert len(graded.pieces) == 3 * len(SIZE_RUN)
    sample = sample_set()
    for piece in sample.pieces:
        np.testing.assert_array_equal(graded.piece(piece.name, SAMPLE_SIZE).cut_line, piece.cut_line)
        rule = rules.rule_for(piece.name)
        assert rule is not None
        big = graded.piece(piece.name, "44")
        expected = piece.cut_line[rule.point_index] + 4 * rule.steps_mm[:, 0]
        np.testing.assert_allclose(big.cut_line[rule.point_index], expected, atol=1e-9)
    areas = [graded.piece("VAMP", size).area_mm2 for size in SIZE_RUN]
    assert all(b > a for a, b in itertools.pairwise(areas))
    # About 2.5 % longer per size: size 44 is ~ 1.1 × the sample's length.
    length = lambda p: p.bounds_mm[2] - p.bounds_mm[0]  # noqa: E731
    ratio = length(graded.piece("VAMP", "44")) / length(graded.piece("VAMP", SAMPLE_SIZE))
    assert ratio == pytest.approx(1.10, abs=0.01)


def test_grading_refuses_a_sample_size_mismatch() -> None:
    sample = sample_set()
    other = PatternSet(sample.style_name, "41", tuple(p.transformed() for p in sample.pieces), sample.created)
    with pytest.raises(PatternError, match="sample size"):
        grade_pattern(other, sample_rules())

"""The pair of lasts every design is flattened on: one face count, a missing foot mirrored."""

from dataclasses import replace

import pytest

from configurator.pattern_lasts import PATTERN_FACE_COUNT, flatten_on_lasts, pair_lasts, pattern_last
from lasts.errors import LastError
from lasts.side import Side
from tests.lasts.last_samples import FIND_LIKE

RIGHT = FIND_LIKE.with_values(side=Side.RIGHT)


def test_one_last_is_mirrored_for_the_other_foot() -> None:
    lasts = pair_lasts({Side.RIGHT: RIGHT})
    assert lasts.right.params == RIGHT and lasts.left.params == replace(RIGHT, side=Side.LEFT)
    assert lasts.left.params.side is Side.LEFT
    # A mirror image: the same shape with y flipped.
    assert lasts.left.vertices[:, 1].max() == pytest.approx(-lasts.right.vertices[:, 1].min(), abs=1e-6)
    assert abs(len(lasts.right.faces) - PATTERN_FACE_COUNT) <= 0.1 * PATTERN_FACE_COUNT


def test_each_foot_keeps_its_own_last() -> None:
    wider = FIND_LIKE.with_values(side=Side.LEFT, ball_girth_mm=FIND_LIKE.ball_girth_mm + 6.0)
    lasts = pair_lasts({Side.RIGHT: RIGHT, Side.LEFT: wider})
    assert lasts.left.params == wider and lasts.right.params == RIGHT
    assert (lasts.right.vertices == pattern_last(RIGHT).vertices).all()


def test_a_pair_needs_a_last() -> None:
    with pytest.raises(LastError, match="one or two lasts"):
        pair_lasts({})


def test_the_pieces_of_a_mirrored_pair_are_mirrored() -> None:
    pieces = flatten_on_lasts("derby", pair_lasts({Side.RIGHT: RIGHT}), "EU41")
    assert pieces.mirrored and pieces.left.side == "left" and pieces.right.side == "right"
    assert [p.spec.name for p in pieces.left.pieces] == [p.spec.name for p in pieces.right.pieces]

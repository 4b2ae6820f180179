"""Cut plans from nests: pieces land where the nest put them (mirror, rotation, move), the wrong pattern for a
nested id is refused, and the consumption is the nest's."""

from __future__ import annotations

import pytest
from shapely.geometry import Polygon

from benchmarks.pattern_samples import quarter, vamp
from manufacturing.cutting.errors import CutPlanError
from manufacturing.cutting.plan import CutPiece, mirrored_pattern, placed_patterns, plan_hide_nest, plan_strip_nest
from manufacturing.nesting.model import transform_polygon
from manufacturing.states import ContainerKind
from tests.manufacturing.cutting.conftest import hide_nest, pair_pieces, strip_nest


def test_placed_patterns_lie_exactly_where_the_nest_put_their_polygons() -> None:
    pieces = pair_pieces([1, 2])
    layout = hide_nest(pieces)
    plan = plan_hide_nest(layout, hide_id=None, material="calf", pieces=pieces)
    assert plan.placements[0].mirrored and plan.placements[0].rotation_deg == 180.0
    for placement, placed, nested in zip(
        plan.placements, placed_patterns(plan, pieces), layout.placements, strict=True
    ):
        expected = layout.polygon(nested)
        assert Polygon(placed.cut_line).symmetric_difference(expected).area < 1e-6 * expected.area
        assert placed.area_mm2 == pytest.approx(pieces[placement.piece_id].pattern.area_mm2)


def test_a_mirrored_pattern_keeps_its_features_inside_and_its_area() -> None:
    piece = vamp()
    flipped = mirrored_pattern(piece)
    expected = transform_polygon(piece.outline, 0.0, 0.0, 0.0, mirrored=True)
    assert flipped.outline.symmetric_difference(expected).area < 1e-6 * expected.area
    assert flipped.area_mm2 == pytest.approx(piece.area_mm2)
    for notch, original in zip(flipped.notches, piece.notches, strict=True):
        assert notch.end_mm[0] == pytest.approx(-original.end_mm[0]) and notch.end_mm[1] == pytest.approx(
            original.end_mm[1]
        )


def test_the_plan_of_a_roll_consumes_width_times_length() -> None:
    pieces = pair_pieces([3])
    layout = strip_nest(pieces)
    plan = plan_strip_nest(layout, roll_ref="roll-1", material="mesh", pieces=pieces)
    assert plan.container_kind == ContainerKind.ROLL and plan.pair_ids == (3,)
    assert plan.consumed_area_mm2 == pytest.approx(layout.instance.strip_height_mm * layout.length_mm)
    assert plan.utilisation == pytest.approx(layout.density)
    assert plan.key() == plan_strip_nest(layout, roll_ref="roll-1", material="mesh", pieces=pieces).key()
    assert plan.key() != plan_strip_nest(layout, roll_ref="roll-2", material="mesh", pieces=pieces).key()


def test_a_pattern_that_is_not_the_nested_shape_is_refused() -> None:
    pieces = pair_pieces([1])
    layout = strip_nest(pieces)
    swapped = {**pieces, "p1-vamp": CutPiece(1, quarter())}
    with pytest.raises(CutPlanError, match="not the shape nested as piece p1-vamp"):
        plan_strip_nest(layout, roll_ref="r", material="calf", pieces=swapped)


def test_pieces_without_a_pair_and_a_hide_left_unnamed_are_refused() -> None:
    pieces = pair_pieces([1])
    with pytest.raises(CutPlanError, match="without a pair and pattern: p1-vamp"):
        plan_strip_nest(strip_nest(pieces), roll_ref="r", material="calf",
                        pieces={k: v for k, v in pieces.items() if k != "p1-vamp"})  # fmt: skip
    with pytest.raises(CutPlanError, match="no piece on hide hide-B"):
        plan_hide_nest(hide_nest(pieces), hide_id="hide-B", material="calf", pieces=pieces)
    with pytest.raises(CutPlanError, match="material"):
        plan_hide_nest(hide_nest(pieces), hide_id=None, material=" ", pieces=pieces)

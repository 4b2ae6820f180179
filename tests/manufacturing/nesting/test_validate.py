"""The validator rejects every broken rule with a message naming the pieces."""

import pytest
from shapely.geometry import box

from manufacturing.nesting.errors import NestingError
from manufacturing.nesting.model import (
    HideInstance,
    HideLayout,
    HidePlacement,
    Piece,
    StripInstance,
    StripItem,
    StripLayout,
    StripPlacement,
    grain_rotations,
)
from manufacturing.nesting.validate import validate_hide_layout, validate_strip_layout

SQUARE = StripItem("sq", box(0, 0, 10, 10), demand=2, rotations_deg=(0.0, 180.0))
STRIP = StripInstance("two squares", 10.0, (SQUARE,))


def test_side_by_side_squares_are_valid() -> None:
    layout = StripLayout(STRIP, 20.0, (StripPlacement("sq", 0, 0, 0), StripPlacement("sq", 180, 20, 10)))
    assert validate_strip_layout(layout) is layout
    assert layout.density == pytest.approx(1.0)


def test_overlap_names_both_items() -> None:
    layout = StripLayout(STRIP, 20.0, (StripPlacement("sq", 0, 0, 0), StripPlacement("sq", 0, 5, 0)))
    with pytest.raises(NestingError, match=r"item sq #0 overlaps item sq #1 by 50 mm²"):
        validate_strip_layout(layout)


def test_outside_strip_rotation_and_demand_are_reported() -> None:
    layout = StripLayout(STRIP, 20.0, (StripPlacement("sq", 90, 10, 5),))
    with pytest.raises(NestingError) as caught:
        validate_strip_layout(layout)
    problems = caught.value.details["problems"]
    assert any("placed 1 times, demand 2" in p for p in problems)
    assert any("rotated 90" in p for p in problems)
    assert any("outside the strip" in p for p in problems)


def test_kerf_is_enforced() -> None:
    layout = StripLayout(STRIP, 20.5, (StripPlacement("sq", 0, 0, 0), StripPlacement("sq", 0, 10.2, 0)), kerf_mm=0.5)
    with pytest.raises(NestingError, match=r"under the kerf 0\.5 mm"):
        validate_strip_layout(layout)


def test_hide_rules(small_instance: HideInstance) -> None:
    ok = HidePlacement("vamp", "h0", 0.0, False, 50.0, 100.0)
    validate_hide_layout(HideLayout(small_instance, (ok,)))
    on_hole = HidePlacement("vamp", "h0", 0.0, False, 250.0, 170.0)
    on_low_grade = HidePlacement("vamp", "h0", 0.0, False, 400.0, 10.0)
    on_defect = HidePlacement("quarter", "h0", 0.0, False, 80.0, 290.0)
    mirrored = HidePlacement("quarter", "h0", 0.0, True, 450.0, 250.0)
    for placement, message in [
        (on_hole, "on a hole or defect"),
        (on_low_grade, "needing grade 10 lie on lower-grade leather"),
        (on_defect, "on a hole or defect"),
        (mirrored, "mirrored"),
    ]:
        with pytest.raises(NestingError, match=message):
            validate_hide_layout(HideLayout(small_instance, (placement,)))


def test_split_pair_is_rejected(small_instance: HideInstance) -> None:
    two = HideInstance(
        small_instance.name,
        small_instance.pieces,
        (
            *small_instance.hides,
            small_instance.hides[0].__class__("h1", small_instance.hides[0].outline, small_instance.hides[0].zones),
        ),
    )
    layout = HideLayout(
        two,
        (
            HidePlacement("tongue-left", "h0", 0, False, 450, 250),
            HidePlacement("tongue-right", "h1", 0, False, 450, 250),
        ),
    )
    with pytest.raises(NestingError, match="group pair-1 is split over hides"):
        validate_hide_layout(layout)


def test_grain_rotations_stay_within_the_limit() -> None:
    assert grain_rotations(10, 5) == (0.0, 5.0, 10.0, 170.0, 175.0, 180.0, 185.0, 190.0, 350.0, 355.0)
    piece = Piece("lining", box(0, 0, 50, 20), rotations_deg=grain_rotations(0))
    assert piece.rotations_deg == (0.0, 180.0)

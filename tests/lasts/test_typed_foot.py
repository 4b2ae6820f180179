"""Typed measurements are checked against the one table of what feet measure (lasts.plausibility)."""

import pytest

from lasts.plausibility import plausible_shares
from lasts.side import Side
from lasts.typed_foot import TypedFoot, TypedMeasurementError, check_typed_foot


@pytest.mark.parametrize("key", ["ball_girth_mm", "ball_width_mm"])
def test_a_typed_share_is_accepted_just_inside_the_table_and_refused_just_outside(key: str) -> None:
    length = 260.0
    bounds = plausible_shares()[key]
    girth_inside = 245.0  # a width is checked beside an ordinary girth

    def typed(share: float) -> TypedFoot:
        value = share * length
        if key == "ball_girth_mm":
            return TypedFoot(Side.LEFT, length, value)
        return TypedFoot(Side.LEFT, length, girth_inside, value)

    for share in (bounds.low + 0.005, bounds.high - 0.005):
        check_typed_foot(typed(share))
    for share in (bounds.low - 0.005, bounds.high + 0.005):
        with pytest.raises(TypedMeasurementError, match=r"does not go with a foot 260 mm long") as caught:
            check_typed_foot(typed(share))
        assert caught.value.details["field"] == key


def test_a_typed_foot_reads_back_from_its_record() -> None:
    foot = TypedFoot(Side.RIGHT, 262.0, 246.0)
    assert TypedFoot.from_dict(foot.to_dict()) == foot

"""The side a file name or a customer claims, against the side the foot's shape shows."""

import pytest

from lasts.errors import SideMismatchError, SideUncertainError
from lasts.orientation import SideEvidence
from lasts.side import Side
from lasts.side_claims import SideSource, claimed_side_from_filename, decide_side

LEFT_SHAPE = SideEvidence({"arch": -1.0, "footprint": -1.0, "hallux": -0.9})
UNSURE_SHAPE = SideEvidence({"arch": 0.4, "footprint": -0.3, "hallux": -0.2})


@pytest.mark.parametrize(
    ("filename", "side"),
    [
        ("dupontgu_left_foot.stl", Side.LEFT), ("scan-R.ply", Side.RIGHT), ("foot_l.obj", Side.LEFT),
        ("LeftFoot.stl", Side.LEFT), ("RechterFuss.obj", Side.RIGHT), ("fuss links 2024.stl", Side.LEFT),
        ("pied_droit.ply", Side.RIGHT), ("pie-izquierdo.stl", Side.LEFT), ("piede_dx.obj", Side.RIGHT),
        ("uploads/2024/right.stl", Side.RIGHT), ("C:\\scans\\left.stl", Side.LEFT),
        ("foot.stl", None), ("left_and_right.stl", None), ("bright.stl", None), ("floral.ply", None),
        ("R2D2.stl", None), ("scan_2.xyz", None), ("cleft_foot.stl", None), ("right", Side.RIGHT),
    ],
)  # fmt: skip
def test_a_file_name_claims_a_side_only_in_a_word_of_its_own(filename: str, side: Side | None) -> None:
    assert claimed_side_from_filename(filename) == side


def test_the_shape_decides_and_a_claim_that_agrees_is_noted() -> None:
    decision = decide_side(LEFT_SHAPE, "foot_left.stl", claimed=Side.LEFT, claimed_by="file name")
    assert (decision.side, decision.source, decision.claimed, decision.mirrored) == (
        Side.LEFT, SideSource.ANATOMY, Side.LEFT, False,
    )  # fmt: skip
    assert decide_side(LEFT_SHAPE, "foot.stl").side is Side.LEFT


def test_a_claim_against_the_shape_is_refused_in_words_a_customer_can_act_on() -> None:
    with pytest.raises(SideMismatchError) as caught:
        decide_side(LEFT_SHAPE, "my_right_foot.stl", claimed=Side.RIGHT, claimed_by="file name")
    message = caught.value.message
    assert message.startswith("the file is named right ('my_right_foot.stl') but the foot in it is a left foot")
    assert "a mirrored export, or the wrong file? Upload the right foot's scan, or confirm" in message
    assert caught.value.details["anatomy"] == "left" and caught.value.http_status == 422
    with pytest.raises(SideMismatchError, match="it was sent as the right foot but the foot in it is a left foot"):
        decide_side(LEFT_SHAPE, "scan.stl", claimed=Side.RIGHT, claimed_by="customer")


def test_a_confirmed_side_wins_and_is_flagged_as_a_mirror_when_the_shape_disagrees() -> None:
    decision = decide_side(LEFT_SHAPE, "my_right_foot.stl", confirmed=Side.RIGHT, claimed=Side.RIGHT)
    assert decision.side is Side.RIGHT and decision.source is SideSource.CONFIRMED
    assert decision.mirrored and decision.overrides_anatomy and decision.anatomy is Side.LEFT
    agreeing = decide_side(LEFT_SHAPE, "scan.stl", confirmed=Side.LEFT)
    assert agreeing.side is Side.LEFT and not agreeing.mirrored


def test_an_unsure_shape_takes_a_claim_flagged_and_without_one_asks() -> None:
    decision = decide_side(UNSURE_SHAPE, "scan_left.stl", claimed=Side.LEFT, claimed_by="file name")
    assert decision.side is Side.LEFT and decision.source is SideSource.CLAIMED and decision.unconfirmed
    assert decision.anatomy is None and decision.to_dict()["anatomy"] is None
    with pytest.raises(SideUncertainError, match=r"does not tell a left from a right foot .*say which foot it is"):
        decide_side(UNSURE_SHAPE, "scan.stl")

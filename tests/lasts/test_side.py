"""A foot's side: one enum, equal to and written as its value, so older records read the same."""

import json

import pytest

from lasts.model import LastParameters
from lasts.side import Side
from tests.lasts.last_samples import FIND_LIKE


def test_a_side_is_its_value_and_knows_the_other_foot() -> None:
    assert Side("left") is Side.LEFT and Side.LEFT == "left" and f"{Side.RIGHT}" == "right"
    assert Side.LEFT.other is Side.RIGHT and Side.RIGHT.other is Side.LEFT
    assert json.dumps({"side": Side.LEFT}) == '{"side": "left"}'
    assert {Side.LEFT: 1}["left"] == 1


def test_last_parameters_read_their_side_as_the_enum_and_refuse_others() -> None:
    record = json.loads(json.dumps(FIND_LIKE.with_values(side=Side.LEFT).to_dict()))
    assert record["side"] == "left" and LastParameters.from_dict(record).side is Side.LEFT
    with pytest.raises(ValueError, match="incomplete or wrong"):
        LastParameters.from_dict({**record, "side": "up"})

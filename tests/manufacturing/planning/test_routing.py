"""Routing by style and options, and the standard-time formulas."""

import pytest

from manufacturing.planning.errors import RoutingError
from manufacturing.planning.routing import TEMPLATES, Routing, RoutingInputs, Skill, refined_minutes, route

DERBY = RoutingInputs("derby", piece_count=8, seam_length_mm=1800.0, eyelets=10)


def codes(inputs: RoutingInputs) -> list[str]:
    return [op.code for op in route(inputs).operations]


def test_a_plain_derby_has_the_eight_base_operations_in_order() -> None:
    assert codes(DERBY) == [
        "cutting", "skiving", "closing_machine", "lasting", "sole_attaching", "finishing", "qc_final", "packing",
    ]  # fmt: skip
    assert [op.seq for op in route(DERBY).operations] == [10, 20, 30, 40, 50, 60, 70, 80]


def test_options_add_or_swap_operations() -> None:
    hand = route(RoutingInputs("derby", 8, 1800.0, 10, hand_stitching=True))
    assert [op.code for op in hand.operations][2:4] == ["closing_hand", "qc_upper"]
    assert next(op for op in hand.operations if op.code == "closing_hand").skill == Skill.HAND_CLOSING
    assert "insert_fitting" in codes(RoutingInputs("derby", 8, 1800.0, memory_foam=True))
    assert "logo_print" in codes(RoutingInputs("derby", 8, 1800.0, logo_method="print"))
    assert "logo_emboss" in codes(RoutingInputs("derby", 8, 1800.0, logo_method="deboss"))
    # hand closing is far slower than machine closing of the same seams
    machine = next(op for op in route(DERBY).operations if op.code == "closing_machine")
    by_hand = next(op for op in hand.operations if op.code == "closing_hand")
    assert by_hand.standard_minutes > 3 * machine.standard_minutes


def test_standard_times_follow_the_documented_formulas() -> None:
    ops = {op.code: op.standard_minutes for op in route(DERBY).operations}
    assert ops["cutting"] == pytest.approx(2.0 + 2 * 0.35 * 8)
    assert ops["closing_machine"] == pytest.approx(3.0 + 2 * (0.6 * 8 + 1.2 * 1.8 + 0.08 * 10))
    boot = {op.code: op.standard_minutes for op in route(RoutingInputs("chelsea_boot", 7, 2000.0)).operations}
    assert boot["lasting"] == pytest.approx(2.0 + 2 * 4.0 * 1.25)  # style factor
    longer = route(RoutingInputs("derby", 8, 2800.0, 10))
    assert longer.total_minutes > route(DERBY).total_minutes  # more seam, more minutes


def test_a_routing_survives_json() -> None:
    routing = route(RoutingInputs("oxford", 9, 2000.0, 10, hand_stitching=True, logo_method="emboss"))
    assert Routing.from_json(routing.to_json()) == routing


@pytest.mark.parametrize(
    "inputs",
    [dict(style="clog"), dict(piece_count=0), dict(seam_length_mm=-1.0), dict(logo_method="laser")],
)
def test_bad_inputs_are_refused(inputs: dict) -> None:
    base = dict(style="derby", piece_count=8, seam_length_mm=1800.0)
    with pytest.raises(RoutingError):
        RoutingInputs(**{**base, **inputs})


def test_history_refines_the_standard_time() -> None:
    assert refined_minutes(10.0, []) == 10.0
    assert refined_minutes(10.0, [14.0] * 45) == pytest.approx((50 + 14 * 45) / 50)
    assert refined_minutes(10.0, [12.0, 12.0, 12.0, 600.0]) == pytest.approx((50 + 36) / 8)  # outlier ignored


def test_every_template_names_its_source() -> None:
    assert all(t.source for t in TEMPLATES.values())

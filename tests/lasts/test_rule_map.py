"""The rule map: the style's fit rules as the room a last leaves each part of the foot."""

import math

import numpy as np
import pytest

from lasts.fitting import FitTargets, base_parameters, fit_targets
from lasts.model import LastParameters
from lasts.rule_map import RoomRules, RuleMap, Zone, rule_map
from lasts.scans import MeasuredFoot

ACROSS_MEDIAL = np.array([0.0, -1.0, 0.0])  # the FIND foot is a left foot: medial is -y
UP = np.array([0.0, 0.0, 1.0])
DOWN = np.array([0.0, 0.0, -1.0])


@pytest.fixture(scope="module")
def derby_inputs(find_foot: MeasuredFoot) -> tuple[FitTargets, LastParameters, float]:
    """What a rule map is made of: the derby's targets for the FIND foot, its base last, the foot's length."""
    values = find_foot.measurements.values()
    targets = fit_targets(values, "derby")
    return targets, base_parameters(targets, find_foot.side), float(values["foot_length_mm"])


@pytest.fixture(scope="module")
def derby_map(derby_inputs: tuple) -> tuple[RuleMap, dict[str, float]]:
    return rule_map(*derby_inputs), derby_inputs[0].allowances


def _room(rules: RuleMap, point: list[float], normal: np.ndarray) -> float:
    return float(rules.target_room_mm(np.array([point]), normal[None])[0])


def test_each_girth_reduction_is_an_offset_of_a_2pi_th_of_it_round_its_section(derby_map: tuple) -> None:
    rules, allowances = derby_map
    stations = {s.name: s for s in rules.stations}
    girths = {"heel": "short_heel_girth_mm", "ankle front": "long_heel_girth_mm", "instep": "instep_girth_mm",
              "waist": "waist_girth_mm", "ball": "ball_girth_mm"}  # fmt: skip
    for station, key in girths.items():
        assert stations[station].girth_room_mm == pytest.approx(allowances[key] / (2 * math.pi))
    # the derby's instep is two widths under the foot, less the sock: -7.7 mm of girth, -1.2 mm all round
    instep = stations["instep"]
    assert instep.girth_room_mm == pytest.approx(-7.7 / (2 * math.pi), abs=0.01)
    assert _room(rules, [instep.x_mm, 0.0, 80.0], UP) == pytest.approx(instep.girth_room_mm)
    assert _room(rules, [instep.x_mm, -40.0, 40.0], ACROSS_MEDIAL) == pytest.approx(instep.girth_room_mm)


def test_the_sides_carry_the_width_rules(derby_map: tuple, derby_inputs: tuple) -> None:
    rules, allowances = derby_map
    stations = {s.name: s for s in rules.stations}
    # the heel's sides: half the heel width ease each; the ball's: 0.7 mm over the foot (Menz 2014: +1.4 mm width)
    heel = stations["heel seat"]
    assert _room(rules, [heel.x_mm, -30.0, 30.0], ACROSS_MEDIAL) == pytest.approx(allowances["heel_width_mm"] / 2)
    ball = stations["ball"]
    assert _room(rules, [ball.x_mm, -45.0, 20.0], ACROSS_MEDIAL) == pytest.approx(0.7)
    assert _room(rules, [ball.x_mm, 0.0, 40.0], UP) == pytest.approx(allowances["ball_girth_mm"] / (2 * math.pi))
    wider = rule_map(*derby_inputs, RoomRules(ball_side_room_mm=1.5))  # overridable
    assert _room(wider, [ball.x_mm, -45.0, 20.0], ACROSS_MEDIAL) == pytest.approx(1.5)


def test_the_toes_and_the_back_curve_are_the_base_lasts_with_a_least_room_only(derby_map: tuple) -> None:
    rules, allowances = derby_map
    toes = np.array([[rules.foot_length_mm - 10.0, 30.0, 15.0], [rules.foot_length_mm - 15.0, 0.0, 30.0]])
    normals = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert list(rules.zones(toes, normals)) == [Zone.TOES, Zone.TOE_BOX]
    assert np.isnan(rules.target_room_mm(toes, normals)).all()
    # round the toes the last may not press at all; over them it clears them by the toe box clearance
    assert list(rules.least_room_mm(toes, normals)) == [0.0, allowances["toe_height_mm"]]
    back = np.array([[2.0, 0.0, 40.0]])
    assert rules.zones(back, np.array([[-1.0, 0.0, 0.0]]))[0] == Zone.BACK


def test_the_sole_stands_on_the_floor_and_the_arch_on_the_insole(derby_map: tuple, derby_inputs: tuple) -> None:
    rules, _ = derby_map
    ball_x = rules.ball_x_mm
    arch_x = 0.5 * (rules.arch_mm[1] + rules.arch_mm[2])
    sole = np.array([[ball_x, 0.0, 3.0], [arch_x, 0.0, 15.0]])
    room = rules.target_room_mm(sole, np.repeat(DOWN[None], 2, axis=0))
    # under the ball the insole is the floor: 3 mm above it is 3 mm of room; under the arch the insole rises to the foot
    assert room[0] == pytest.approx(3.0)
    assert room[1] == pytest.approx(0.0)
    flat = rule_map(*derby_inputs, RoomRules(arch_support=0.0))
    assert float(flat.target_room_mm(sole[1:], DOWN[None])[0]) == pytest.approx(15.0)


def test_a_regions_rule_is_its_deepest_room_and_the_map_reads_as_json(derby_map: tuple) -> None:
    rules, _ = derby_map
    length = rules.foot_length_mm
    instep = {s.name: s for s in rules.stations}["instep"]
    assert rules.region_reduction_mm(0.28 * length, 0.62 * length) == pytest.approx(instep.girth_room_mm, abs=0.01)
    assert rules.region_reduction_mm(0.80 * length, 1.01 * length) <= 0.0
    record = rules.to_dict()
    assert [s["name"] for s in record["stations"]] == [s.name for s in rules.stations]  # type: ignore[index]
    assert record["toe_allowance_mm"] == pytest.approx(16.0)

import numpy as np
import pytest
from lxml import etree

from lasts.fit_report import fit_report, heat_map_svg, signed_room_mm
from lasts.fitted import FittedLast
from lasts.fitting import fit_last
from lasts.model import build_last
from lasts.scans import MeasuredFoot
from tests.lasts.last_samples import FIND_LIKE


def test_signed_room_is_positive_inside_and_negative_outside() -> None:
    last = build_last(FIND_LIKE, 20_000)
    inside = np.array([[130.0, 0.0, 20.0], [60.0, 0.0, 40.0]])
    outside = np.array([[130.0, 0.0, 300.0], [-30.0, 0.0, 20.0]])
    assert (signed_room_mm(inside, last.vertices, last.faces) > 5.0).all()
    assert (signed_room_mm(outside, last.vertices, last.faces) < -20.0).all()


@pytest.fixture(scope="module")
def derby_report(find_foot: MeasuredFoot) -> tuple:
    values = find_foot.measurements.values()
    _, fit = fit_last(values, "left", "derby", face_count=30_000)
    surface = find_foot.surface
    return fit, fit_report(surface.vertices, values["foot_length_mm"], fit.last.vertices, fit.last.faces)


def test_the_find_foot_report_has_every_region_and_the_toe_room(derby_report: tuple, find_foot: MeasuredFoot) -> None:
    _, report = derby_report
    assert set(report.regions) == {"heel", "instep", "ball", "toe"}
    # toe room = the derby's toe allowance: the last is 16 mm longer than the foot along the axis
    assert report.toe_room_mm == pytest.approx(16.0, abs=0.6)
    assert report.room_mm.shape == (len(find_foot.surface.vertices),)
    for numbers in report.regions.values():
        assert numbers["min_room_mm"] <= numbers["mean_room_mm"] <= numbers["max_room_mm"]


def test_a_short_last_warns_about_toe_room(find_foot: MeasuredFoot) -> None:
    values = find_foot.measurements.values()
    last = build_last(FIND_LIKE.with_values(stick_length_mm=values["foot_length_mm"] + 3.0), 20_000)
    report = fit_report(find_foot.surface.vertices, values["foot_length_mm"], last.vertices, last.faces)
    assert report.toe_room_mm == pytest.approx(3.0, abs=0.6)
    assert any("toe room 3." in w for w in report.warnings)


def test_a_tight_last_warns_about_compression(find_foot: MeasuredFoot) -> None:
    values = find_foot.measurements.values()
    tight = FIND_LIKE.with_values(ball_girth_mm=215.0, waist_girth_mm=205.0, instep_girth_mm=210.0)
    last = build_last(tight, 20_000)
    report = fit_report(find_foot.surface.vertices, values["foot_length_mm"], last.vertices, last.faces)
    assert any(w.startswith("ball: the last presses") for w in report.warnings)
    assert report.regions["ball"]["compressed_share"] > 0.5


def test_the_heat_map_is_an_svg_with_both_views(derby_report: tuple, find_foot: MeasuredFoot) -> None:
    fit, report = derby_report
    svg = heat_map_svg(
        find_foot.surface.vertices, find_foot.surface.faces, fit.last.vertices, fit.last.faces, report,
        "FIND derby", find_foot.measurements.values()["foot_length_mm"],
    )  # fmt: skip
    root = etree.fromstring(svg.encode())
    assert root.tag.endswith("svg")
    text = " ".join(root.itertext())
    assert "toe room" in text and "side view" in text
    assert len(root.findall(".//{http://www.w3.org/2000/svg}polygon")) > 1000


def test_a_shaped_last_is_judged_against_its_rule_map(find_shaped: FittedLast, find_foot: MeasuredFoot) -> None:
    report = find_shaped.report
    assert report is not None and report.rule_map is not None and report.target_room_mm is not None
    assert report.target_room_mm.shape == report.room_mm.shape
    error = report.error_mm
    assert error is not None
    judged = np.isfinite(error)
    # the toes (and the heel seat and back curve) are the base last's: no target there, the rest is judged
    assert 0.6 < judged.mean() < 0.95
    toes = find_foot.surface.vertices[:, 0] > 0.9 * report.rule_map.foot_length_mm
    assert not judged[toes].any()
    for name, stats in report.regions.items():
        assert {"rule_room_mm", "beyond_rule_mm", "judged_share"} <= set(stats), name
        beyond = max(0.0, stats["rule_room_mm"] - stats["min_room_mm"])
        assert stats["beyond_rule_mm"] == pytest.approx(beyond, abs=0.02)
    assert report.regions["instep"]["rule_room_mm"] == pytest.approx(-7.7 / (2 * np.pi), abs=0.01)
    # the JSON keeps the keys its readers use, and says which rules judged it
    record = report.to_dict()
    assert set(record) == {"toe_room_mm", "regions", "warnings", "rule_map"}
    assert {"mean_room_mm", "min_room_mm", "max_room_mm", "compressed_share"} <= set(record["regions"]["ball"])


def test_a_shaped_lasts_heat_map_shows_room_and_error(find_shaped: FittedLast, find_foot: MeasuredFoot) -> None:
    last, report = find_shaped.fit.last, find_shaped.report
    assert report is not None
    svg = heat_map_svg(find_foot.surface.vertices, find_foot.surface.faces, last.vertices, last.faces, report,
                       "FIND derby, shaped", report.rule_map.foot_length_mm, max_faces=4_000)  # type: ignore[union-attr]  # fmt: skip
    root = etree.fromstring(svg.encode())
    text = " ".join(root.itertext())
    assert "room − the rule map's (error), top view" in text and "rule / error p95" in text
    # two columns of views: twice the faces of one
    assert len(root.findall(".//{http://www.w3.org/2000/svg}polygon")) > 2 * 2 * 3_000

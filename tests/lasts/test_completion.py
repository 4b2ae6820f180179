"""Estimated values: what a scan cut low (or holed) does not give, completed by ANSUR II and FIND, flagged."""

import json
import re

import numpy as np
import pytest
import trimesh

from lasts.completion import complete_measurements, hole_gap_mm
from lasts.fitting import fit_targets
from lasts.foot_population import (
    POPULATION_PATH,
    REGRESSED,
    fit_foot_population,
    foot_population,
    foot_population_to_json,
)
from lasts.landmarks import find_landmarks
from lasts.measurements import (
    EstimateMethod,
    EstimateReason,
    MeasurementsError,
    measure_foot,
    measurements_from_json,
    measurements_to_json,
)
from lasts.scans import IngestOptions, MeasuredFoot, ingest_scan
from lasts.sheet import measurement_sheet_svg
from lasts.surface import FootSurface
from tests.conftest import shared_file
from tests.lasts.conftest import export

CUTS_MM = (80, 100)


@pytest.fixture(scope="module")
def find_cut(find_template_bytes: bytes, find_foot: MeasuredFoot) -> dict[int, MeasuredFoot]:
    """The FIND foot cut flat at 80 and 100 mm above the floor, as customers' scanners cut feet."""
    length = find_foot.measurements.foot_length_mm
    return {h: ingest_scan(find_template_bytes, "find.obj", IngestOptions(cut_height=h / length)) for h in CUTS_MM}


def test_the_shipped_statistics_are_a_refit_of_ansur_ii_and_the_find_foot(find_foot: MeasuredFoot) -> None:
    refit = foot_population_to_json(
        fit_foot_population(shared_file("anthropometry/ansur2_foot_extract.csv"), find_foot.measurements.values())
    )
    shipped = json.loads(POPULATION_PATH.read_text())
    assert shipped["regressions"] == refit["regressions"]  # the CSV alone: exactly
    for key, value in shipped["template"]["values_mm"].items():  # FIND as measured today
        assert refit["template"]["values_mm"][key] == pytest.approx(value, abs=0.3), key
    assert refit["template"]["p95_relative_error"] == pytest.approx(shipped["template"]["p95_relative_error"], abs=2e-3)
    for key, share in shipped["plausible_shares"].items():
        assert refit["plausible_shares"][key]["low"] == pytest.approx(share["low"], abs=0.011), key
        assert refit["plausible_shares"][key]["high"] == pytest.approx(share["high"], abs=0.011), key


def test_the_regressions_hold_on_people_they_were_not_fitted_on() -> None:
    for target in REGRESSED:
        r = foot_population().regressions[target]
        assert r.people == 6068 and set(r.coefficients) == {
            "foot_length_mm", "ball_girth_mm", "ball_width_mm", "heel_width_mm", "ball_length_mm",
        }  # fmt: skip
        # No overfitting: held-out people are predicted as well as the fitted ones, and the 95 % range is ±2 SD.
        assert r.cv_rmse_mm == pytest.approx(r.residual_sd_mm, rel=0.01)
        assert r.cv_p95_abs_error_mm == pytest.approx(1.96 * r.residual_sd_mm, rel=0.05)
    long_heel = foot_population().regressions["long_heel_girth_mm"]
    assert long_heel.r2 > 0.85 and long_heel.cv_p95_abs_error_mm < 16.0
    # A one-foot proportion misses more than the regression: its uncertainty is larger.
    heel_by_ratio = foot_population().template.p95_relative_error * 333.0
    assert heel_by_ratio > long_heel.cv_p95_abs_error_mm


@pytest.mark.parametrize("cut_mm", CUTS_MM)
def test_a_foot_cut_low_gets_what_it_lost_estimated_within_its_uncertainty(
    cut_mm: int, find_cut: dict[int, MeasuredFoot], find_foot: MeasuredFoot
) -> None:
    truth = find_foot.measurements.values()  # the uncut foot, measured
    cut = find_cut[cut_mm].measurements
    estimated = {"long_heel_girth_mm", "ankle_girth_mm"} | (
        {"instep_girth_mm", "short_heel_girth_mm"} if cut_mm < 90 else set()
    )
    assert set(cut.estimated) == estimated
    for key, value in cut.values().items():
        if key in estimated:
            assert value is None, key  # never a measured value beside its estimate
        else:
            assert value == pytest.approx(truth[key], abs=0.5), key  # what is in the scan is measured as before
    for key in estimated - {"ankle_girth_mm"}:  # the template stops below its ankle: no truth
        e = cut.estimated[key]
        assert abs(e.value_mm - truth[key]) <= e.uncertainty_95_mm, key
        assert e.reason is EstimateReason.NOT_IN_SCAN
    assert cut.estimated["long_heel_girth_mm"].method is EstimateMethod.ANSUR_REGRESSION
    assert cut.estimated["long_heel_girth_mm"].uncertainty_95_mm == pytest.approx(15.1, abs=0.1)
    if cut_mm < 90:
        assert cut.estimated["instep_girth_mm"].method is EstimateMethod.TEMPLATE_RATIO
        # The short heel girth leans on the estimated long heel girth: both uncertainties add up.
        assert (
            cut.estimated["short_heel_girth_mm"].uncertainty_95_mm > cut.estimated["instep_girth_mm"].uncertainty_95_mm
        )
    assert {line.name for line in cut.girth_lines}.isdisjoint({k.removesuffix("_girth_mm") for k in estimated})


def test_estimates_travel_in_the_record_and_read_back(find_cut: dict[int, MeasuredFoot]) -> None:
    foot = find_cut[80]
    record = json.loads(json.dumps(foot.to_dict()))
    long_heel = record["estimated"]["long_heel_girth_mm"]
    assert record["long_heel_girth_mm"] is None
    assert long_heel["method"] == "ansur_ii_regression" and long_heel["reason"] == "not_in_scan"
    assert long_heel["uncertainty_95_mm"] == pytest.approx(15.1, abs=0.1)
    read = measurements_from_json(record, record["side"])
    assert read == foot.record() and read.estimated == foot.measurements.estimated
    # A last needs every value: the estimates complete the measured ones, and the fit takes them.
    assert read.completed_mm["long_heel_girth_mm"] == long_heel["value_mm"]
    assert fit_targets(dict(read.completed_mm)).values["long_heel_girth_mm"] > long_heel["value_mm"] - 10.0


def test_a_record_from_before_estimates_reads_with_none(find_foot: MeasuredFoot) -> None:
    old = {key: value for key, value in measurements_to_json(find_foot.record()).items() if key != "estimated"}
    read = measurements_from_json(old, "left")
    assert read.estimated == {} and read.completed_mm["ankle_girth_mm"] is None


@pytest.mark.parametrize(
    ("estimated", "expected"),
    [
        ([1], "not an object"),
        ({"stick_length_mm": {}}, "no such measurement"),
        ({"ankle_girth_mm": {"value_mm": "big", "uncertainty_95_mm": 1}}, "needs value_mm"),
        ({"ankle_girth_mm": {"value_mm": 1e9, "uncertainty_95_mm": 1, "method": "ansur_ii_regression"}}, "no foot's"),
        ({"ankle_girth_mm": {"value_mm": 230, "uncertainty_95_mm": 20, "method": "guess"}}, "unknown method"),
        ({"ball_girth_mm": {"value_mm": 230, "uncertainty_95_mm": 20, "method": "find_template_ratio"}},
         "both measured and estimated"),
    ],
)  # fmt: skip
def test_bad_estimates_are_refused_by_name(estimated: object, expected: str) -> None:
    with pytest.raises(MeasurementsError, match=re.escape(expected)):
        measurements_from_json({"foot_length_mm": 260.0, "ball_girth_mm": 245.0, "estimated": estimated}, "left")


def test_the_sheet_sets_estimates_apart(find_cut: dict[int, MeasuredFoot]) -> None:
    foot = find_cut[80]
    svg = measurement_sheet_svg(foot.surface.vertices, foot.landmarks, foot.measurements, "cut", foot.side)
    e = foot.measurements.estimated["long_heel_girth_mm"]
    shown = re.search(r'font-style="italic" class="value long_heel_girth_mm estimated">([^<]*)<', svg)
    assert shown is not None and shown.group(1) == f"≈ {e.value_mm:.0f} ± {e.uncertainty_95_mm:.0f} (estimated)"
    assert 'class="value ball_girth_mm">' in svg  # measured values stay upright
    assert "estimated, not in the scan" in svg


def test_a_hole_where_the_girth_lies_is_estimated(find_foot: MeasuredFoot) -> None:
    v, f = find_foot.surface.vertices, find_foot.surface.faces
    instep = find_foot.landmarks.instep
    assert hole_gap_mm(find_foot.surface, instep, np.array([1.0, 0.0, 0.0])) == 0.0  # a whole section
    # A hole 70 mm across on the top of the instep, too large for hole filling.
    kept = np.linalg.norm(v[f].mean(axis=1) - instep, axis=1) > 35.0
    foot = ingest_scan(export(v, f[kept]), "holed.ply", IngestOptions(units="mm"))
    e = foot.measurements.estimated["instep_girth_mm"]
    assert foot.measurements.instep_girth_mm is None and e.reason is EstimateReason.HOLE_IN_SCAN
    assert abs(e.value_mm - find_foot.measurements.values()["instep_girth_mm"]) <= e.uncertainty_95_mm


def _dupontgu_in_its_frame() -> tuple[FootSurface, float]:
    """The dupontgu scan in the measuring frame by hand (the file has z up, the sole at its lowest z, the toes
    towards -y; a left foot, medial side -y in the frame), mm."""
    mesh = trimesh.load(shared_file("feet/dupontgu_left_foot.stl"), force="mesh")
    v = np.asarray(mesh.vertices) * 1000.0
    framed = np.column_stack([-v[:, 1], v[:, 0], v[:, 2] - v[:, 2].min()])
    framed[:, 0] -= framed[:, 0].min()
    framed[:, 1] -= np.median(framed[framed[:, 0] < 30.0, 1])
    return FootSurface(framed, np.asarray(mesh.faces)), -1.0


def test_dupontgu_cut_at_100_mm_gets_an_estimated_long_heel_girth() -> None:
    surface, medial_sign = _dupontgu_in_its_frame()
    landmarks = find_landmarks(surface, medial_sign)
    completed = complete_measurements(surface, landmarks, measure_foot(surface, landmarks))
    e = completed.estimated["long_heel_girth_mm"]
    assert completed.long_heel_girth_mm is None and e.method is EstimateMethod.ANSUR_REGRESSION
    assert 300.0 < e.value_mm < 400.0 and e.uncertainty_95_mm == pytest.approx(15.1, abs=0.1)
    assert completed.instep_girth_mm is not None and completed.short_heel_girth_mm is not None  # below the cut


def test_dupontgu_scan_record_carries_the_estimate_and_fits() -> None:
    foot = ingest_scan(shared_file("feet/dupontgu_left_foot.stl").read_bytes(), "dupontgu_left_foot.stl")
    record = foot.to_dict()
    assert record["side"] == "left" and record["long_heel_girth_mm"] is None
    estimate = record["estimated"]["long_heel_girth_mm"]
    assert estimate["method"] == "ansur_ii_regression" and estimate["uncertainty_95_mm"] > 0
    fit_targets(dict(foot.record().completed_mm))  # no "the foot has no ... girth"

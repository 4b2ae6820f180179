"""The scan benchmark on a tiny cohort: every scan is counted once as measured, refused or crashed, the
figures per artefact follow from the outcomes, the real files are measured as they are; estimates are read
from the scan record whichever way it flags them; the command refuses an artefact it does not know."""

import json
from pathlib import Path

import pytest

from benchmarks.cohort import REAL_FOOT_FILES
from benchmarks.scans import BenchConfig, ScanOutcome, artefact_figures, estimated_values, run_scan_benchmark
from tests.benchmarks.test_cli import cspms
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def report() -> dict:
    config = BenchConfig(
        foot_files={base: shared_file(path) for base, path in REAL_FOOT_FILES.items()},
        ansur_path=shared_file("anthropometry/ansur2_foot_extract.csv"),
        count=1,
        workers=1,
        artefacts=("clean", "mirrored", "two_feet", "sphere"),
    )
    return json.loads(json.dumps(run_scan_benchmark(config)))  # the report is JSON as it stands


def test_every_scan_is_counted_once_and_the_clean_foot_is_measured_right(report: dict) -> None:
    rows = report["artefacts"]
    assert list(rows) == ["clean", "mirrored", "two_feet", "sphere", "real: find_template.obj",
                          "real: dupontgu_left_foot.stl"]  # fmt: skip
    assert report["feet_generated"] == {"find": 1, "dupontgu": 0}  # person 0 is a FIND foot
    for row in rows.values():
        assert row["scans"] == 1
        assert row["measured"] + sum(row["refused"].values()) + row["crashed"] + row["not_generated"] == 1
    clean = rows["clean"]
    assert (clean["measured"], clean["side_correct"], clean["units_correct"]) == (1, 1, 1)
    assert clean["foot_length_p95_mm"] < 1.0 and clean["ball_girth_p95_mm"] < 2.0
    assert rows["mirrored"]["side_correct"] == 1  # the file holds a right foot, and that is what is read
    # What cannot be measured is refused, with the reason's code.
    assert rows["two_feet"]["refused"] == {"several_feet": 1} and rows["two_feet"]["as_expected"] == 1
    assert sum(rows["sphere"]["refused"].values()) == 1 and rows["sphere"]["as_expected"] == 1
    assert report["targets"]["crashed"] == {"value": 0, "target": 0, "met": True}


def test_the_real_files_are_measured_as_they_are_against_what_is_known(report: dict) -> None:
    real = {r["artefact"]: r for r in report["real_files"]}
    find = real["real: find_template.obj"]
    assert find["outcome"] == "measured" and find["side_expected"] == "left" and find["side_found"] == "left"
    assert find["truth"]["foot_length_mm"] == pytest.approx(257.0, abs=1.0)
    dupontgu = real["real: dupontgu_left_foot.stl"]
    assert dupontgu["side_expected"] == "left" and dupontgu["unit_expected"] == "m"
    # Measured in its file's known axes, the foot is the ~276 mm its source gives.
    assert dupontgu["truth"]["foot_length_mm"] == pytest.approx(276.0, abs=1.5)


def outcome(values: dict, truth: dict, estimated: dict | None = None, **fields) -> ScanOutcome:
    return ScanOutcome(artefact="cut_low", base="find", subject="1", outcome="measured", expect_refusal=False,
                       values=values, truth=truth, estimated=estimated, **fields)  # fmt: skip


def test_figures_follow_from_the_outcomes() -> None:
    truth = {"foot_length_mm": 250.0, "ball_girth_mm": 240.0, "long_heel_girth_mm": 340.0}
    outcomes = [
        outcome({"foot_length_mm": 250.0 + e, "ball_girth_mm": 240.0, "long_heel_girth_mm": None}, truth,
                estimates, side_expected="left", side_found=side, seconds=0.5)
        for e, side, estimates in ((1.0, "left", {"long_heel_girth_mm": 345.8}), (-3.0, "right", {}))
    ] + [ScanOutcome(artefact="cut_low", base="dupontgu", subject="2", outcome="crashed", expect_refusal=False,
                     reason="KeyError (x.py:1 f)", message="'k'", seconds=0.1)]  # fmt: skip
    row = artefact_figures("cut_low", "cut", "measure", outcomes)
    assert (row.scans, row.measured, row.crashed, row.as_expected) == (3, 2, 1, 2)
    assert (row.side_correct, row.side_checked, row.side_correct_pct) == (1, 2, 50.0)
    assert row.foot_length_p95_mm == pytest.approx(2.9)  # |1| and |−3| mm
    assert row.lost["long_heel_girth_mm"] == 1  # neither measured nor estimated, though the foot has one
    assert isinstance(row.estimated_girth_p95_mm, dict)
    assert row.estimated_girth_p95_mm["long_heel_girth_mm"] == pytest.approx(5.8)
    assert row.crashes == ["KeyError (x.py:1 f): 'k'"]
    assert row.by_base == {
        "dupontgu": {"crashed": 1, "foot_length_p95_mm": None, "ball_girth_p95_mm": None},
        "find": {"measured": 2, "foot_length_p95_mm": pytest.approx(2.9), "ball_girth_p95_mm": 0.0},
    }
    unestimated = artefact_figures("cut_low", "cut", "measure", [outcome({"foot_length_mm": 250.0}, truth)])
    assert unestimated.estimated_girth_p95_mm == "not estimated"


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"ball_girth_mm": 240.0, "long_heel_girth_mm": None}, None),
        ({"long_heel_girth_mm": None, "estimated": {"long_heel_girth_mm": 331.5}}, {"long_heel_girth_mm": 331.5}),
        ({"estimates": {"instep_girth_mm": {"value_mm": 250.0, "method": "population"}}}, {"instep_girth_mm": 250.0}),
        ({"long_heel_girth_mm": 331.5, "estimated": ["long_heel_girth_mm"]}, {"long_heel_girth_mm": 331.5}),
        ({"long_heel_girth_mm": {"value": 331.5, "estimated": True},
          "ball_girth_mm": {"value": 240, "estimated": False}}, {"long_heel_girth_mm": 331.5}),
        ({"long_heel_girth_mm": 331.5, "long_heel_girth_mm_estimated": True}, {"long_heel_girth_mm": 331.5}),
        ({"estimated": {}}, {}),
    ],
)  # fmt: skip
def test_estimates_are_read_whichever_way_the_record_flags_them(record: dict, expected: dict | None) -> None:
    assert estimated_values(record) == expected


def test_bench_scan_refuses_an_artefact_it_does_not_know(tmp_path: Path) -> None:
    result = cspms("bench", "scan", "--artefacts", "clean,glitter", var_dir=tmp_path)
    assert result.returncode == 2
    assert "unknown artefact(s) glitter" in result.stderr and "cut_low" in result.stderr

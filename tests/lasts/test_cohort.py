"""The cohort generator: FIND deformed to real people's sizes, and blind scan variants of it."""

from pathlib import Path

import numpy as np
import pytest

from lasts.cohort import cloud_variant, deform_template, mesh_variant, read_ansur_targets
from lasts.scans import IngestOptions, MeasuredFoot, ingest_scan
from tests.conftest import shared_file
from tests.lasts.conftest import export


@pytest.fixture(scope="module")
def targets() -> list:
    return read_ansur_targets(shared_file("anthropometry/ansur2_foot_extract.csv"))


def test_ansur_rows_are_read(targets: list) -> None:
    assert len(targets) == 6068
    men = [t.foot_length_mm for t in targets if t.sex == "M"]
    assert np.mean(men) == pytest.approx(271.2, abs=0.1)


def test_generated_feet_take_the_sizes_of_real_people(find_foot: MeasuredFoot, targets: list) -> None:
    rng = np.random.default_rng(11)
    for person in (targets[0], targets[4100]):  # a man and a woman
        foot = deform_template(find_foot, person, rng)
        measured = ingest_scan(export(foot.vertices, foot.faces), "gen.ply", IngestOptions(units="mm", side="left"))
        m = measured.measurements
        assert m.foot_length_mm == pytest.approx(person.foot_length_mm, abs=3.0)
        assert m.ball_width_mm == pytest.approx(person.ball_width_mm, abs=4.0)
        assert m.ball_girth_mm == pytest.approx(person.ball_girth_mm, abs=5.0)


def test_variants_are_measured_blind_with_the_right_side_and_units(find_foot: MeasuredFoot, targets: list) -> None:
    rng = np.random.default_rng(12)
    foot = deform_template(find_foot, targets[10], rng)
    truth = ingest_scan(export(foot.vertices, foot.faces), "gen.ply", IngestOptions(units="mm", side="left"))
    for variant in (mesh_variant(foot, rng), cloud_variant(foot, rng, points=60_000)):
        measured = ingest_scan(variant.data, variant.filename)
        assert measured.side == variant.side
        assert measured.units.unit == variant.unit
        tolerance = 0.5 if variant.kind == "mesh" else 3.0
        assert measured.measurements.foot_length_mm == pytest.approx(truth.measurements.foot_length_mm, abs=tolerance)


def test_docs_define_every_measurement_and_landmark(find_foot: MeasuredFoot) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "measurements.md").read_text()
    for key in find_foot.measurements.values():
        assert f"`{key}`" in text, key
    for name in ("pternion", "toe_tip", "mtp1", "mtp5", "instep", "arch", "sphyrion"):
        assert f"`{name}`" in text, name

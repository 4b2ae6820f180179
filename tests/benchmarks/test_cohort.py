"""The cohort generator: real people's sizes (ANSUR II), and blind scan variants of a generated foot."""

import numpy as np
import pytest

from benchmarks.cohort import cloud_variant, mesh_variant, read_ansur_targets
from lasts.deformation import deform_template
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

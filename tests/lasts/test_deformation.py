"""The FIND template deformed to other feet: generated feet take the sizes of real people."""

import numpy as np
import pytest

from benchmarks.cohort import read_ansur_targets
from lasts.deformation import deform_template
from lasts.scans import IngestOptions, MeasuredFoot, ingest_scan
from tests.conftest import shared_file
from tests.lasts.conftest import export


@pytest.fixture(scope="module")
def targets() -> list:
    return read_ansur_targets(shared_file("anthropometry/ansur2_foot_extract.csv"))


def test_generated_feet_take_the_sizes_of_real_people(find_foot: MeasuredFoot, targets: list) -> None:
    rng = np.random.default_rng(11)
    for person in (targets[0], targets[4100]):  # a man and a woman
        foot = deform_template(find_foot, person, rng)
        measured = ingest_scan(export(foot.vertices, foot.faces), "gen.ply", IngestOptions(units="mm", side="left"))
        m = measured.measurements
        assert m.foot_length_mm == pytest.approx(person.foot_length_mm, abs=3.0)
        assert m.ball_width_mm == pytest.approx(person.ball_width_mm, abs=4.0)
        assert m.ball_girth_mm == pytest.approx(person.ball_girth_mm, abs=5.0)

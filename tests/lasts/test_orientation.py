"""Orientation of blind scans: the floor under the sole, whatever else touches a plane at both ends."""

import numpy as np
import pytest
import trimesh
from scipy.spatial.transform import Rotation

from benchmarks.cohort import cloud_variant, measured_cohort_foot, mesh_variant, read_ansur_targets
from lasts.deformation import deform_template
from lasts.errors import NotAFootError
from lasts.orientation import SideEvidence, detect_side, heel_end_votes, rough_frame
from lasts.scans import IngestOptions, MeasuredFoot, ingest_scan
from lasts.side import Side
from tests.conftest import shared_file


def test_a_cloud_resting_on_its_heel_and_leg_back_is_stood_on_its_sole(find_foot: MeasuredFoot) -> None:
    # Foot 172 of `cspms bench scan` (seed 2026): the back of its heel and leg touch a plane at both ends
    # with the toes standing up from it, which once out-scored the sole.
    template = shared_file("feet/find_template.obj")
    targets = read_ansur_targets(shared_file("anthropometry/ansur2_foot_extract.csv"))
    chosen = np.random.default_rng(2026).choice(len(targets), size=200, replace=False)
    person, seed = targets[int(chosen[172])], 2026 * 1000 + 172
    rng = np.random.default_rng(seed)
    foot = deform_template(find_foot, person, rng)
    mesh_variant(foot, rng)  # the benchmark draws the mesh variant first: keep the random stream
    cloud = cloud_variant(foot, rng)
    measured = ingest_scan(cloud.data, cloud.filename)
    truth = measured_cohort_foot(template, person, seed)
    assert measured.side == cloud.side
    assert measured.measurements.foot_length_mm == pytest.approx(truth.measurements.foot_length_mm, abs=2.0)


# --- scans cut low, with no leg to tell the heel: the floor and the heel end from the foot alone -------------


def _cut(foot: MeasuredFoot, height_mm: float) -> np.ndarray:
    """The foot's points below a flat cut (its frame: z up, x heel to toe)."""
    v = foot.surface.vertices
    return v[v[:, 2] <= height_mm]


@pytest.mark.parametrize("height_mm", [60.0, 80.0, 100.0, 120.0, None])
def test_a_foot_cut_low_is_stood_on_its_sole_heel_first_in_any_pose(
    find_foot: MeasuredFoot, height_mm: float | None
) -> None:
    # Cut flat at 100 mm, the top of the scan touches its toes and the front of the cut: a plane the old rule
    # ("the ankle rises over the heel") took for the floor, putting every such scan upside down.
    points = find_foot.surface.vertices if height_mm is None else _cut(find_foot, height_mm)
    rng = np.random.default_rng(int(height_mm or 0))
    for _ in range(3):
        turn = Rotation.random(random_state=rng).as_matrix()
        rotation, length = rough_frame(points @ turn.T + rng.uniform(-300.0, 300.0, 3))
        assert rotation[2] @ turn[:, 2] > 0.99  # up is up
        assert rotation[0] @ turn[:, 0] > 0.95  # heel to toe along +x
        assert length == pytest.approx(np.ptp(points[:, 0]), rel=0.03)


def test_dupontgu_is_stood_on_its_flattened_sole_in_any_pose(dupontgu_mesh: trimesh.Trimesh) -> None:
    points = np.asarray(dupontgu_mesh.vertices) * 1000.0  # file axes: toes towards -y, z up
    rng = np.random.default_rng(3)
    for _ in range(4):
        turn = Rotation.random(random_state=rng).as_matrix()
        rotation, _ = rough_frame(points @ turn.T)
        assert rotation[2] @ turn[:, 2] > 0.999 and rotation[0] @ -turn[:, 1] > 0.98


def test_every_heel_end_cue_points_to_the_heel_of_a_foot_cut_at_60_mm(find_foot: MeasuredFoot) -> None:
    v = _cut(find_foot, 60.0)
    votes = heel_end_votes(v[:, 0], v[:, 1], v[:, 2])
    assert votes["width"] > 0.5 and votes["top"] > 0.5 and votes["height"] > 0.5, votes
    assert sum(heel_end_votes(-v[:, 0], v[:, 1], v[:, 2]).values()) < -1.5  # turned round, they say so


def test_side_evidence_says_when_it_cannot_tell() -> None:
    sure = SideEvidence({"arch": -1.0, "footprint": -1.0, "hallux": -0.8})
    assert sure.side is Side.LEFT and sure.confidence == 1.0
    weak = SideEvidence({"arch": -0.3, "hallux": -0.2})
    assert weak.side is None and weak.leaning is Side.LEFT and weak.confidence < 0.4
    torn = SideEvidence({"arch": 1.0, "footprint": -1.0, "hallux": -0.9})  # two against one
    assert torn.side is None and "arch: right (1.0)" in torn.explanation()


def test_the_votes_of_the_find_foot_and_its_mirror_image_are_opposite(find_foot: MeasuredFoot) -> None:
    v = find_foot.surface.vertices
    length = find_foot.measurements.foot_length_mm
    side, votes = detect_side(v, length)
    mirrored_side, mirrored_votes = detect_side(v * [1.0, -1.0, 1.0], length)
    assert (side, mirrored_side) == (Side.LEFT, Side.RIGHT)
    assert votes == pytest.approx({name: -vote for name, vote in mirrored_votes.items()})
    assert {"arch", "footprint", "hallux"} <= set(votes) and all(vote <= -0.5 for vote in votes.values())


def test_a_box_with_no_forefoot_is_refused_as_no_foot_not_a_crash() -> None:
    # A shoe box's size, its vertices on a 75 mm grid: none across the front where a foot's toes are.
    box = trimesh.creation.box((300.0, 120.0, 80.0)).subdivide().subdivide()
    with pytest.raises(NotAFootError, match=r"no surface across its front .*: it is not a foot") as caught:
        ingest_scan(box.export(file_type="stl"), "box.stl", IngestOptions(units="mm"))
    assert caught.value.code == "not_a_foot" and caught.value.http_status == 422

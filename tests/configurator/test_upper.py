import numpy as np
import pytest
import shapely
import trimesh

from configurator.styles.library import STYLES
from configurator.upper import BOTTOM, lay_style
from lasts.model import build_last
from lasts.pose import pose_last
from lasts.upper_coords import upper_surface
from tests.lasts.last_samples import FIND_LIKE


@pytest.fixture(scope="module")
def posed_lasts() -> dict:
    return {side: pose_last(build_last(FIND_LIKE.with_values(side=side), 30_000)) for side in ("left", "right")}


@pytest.mark.parametrize("name", sorted(STYLES))
def test_a_style_cuts_the_last_into_disk_patches_that_cover_it_once(name: str, posed_lasts: dict) -> None:
    style = STYLES[name]()
    last = posed_lasts["right"]
    patches = lay_style(style, last)
    assert [p.name for p in patches] == [p.name for p in style.pieces]
    for patch in patches:
        mesh = trimesh.Trimesh(patch.vertices, patch.faces, process=False)
        assert mesh.euler_number == 1, patch.name  # one disk
        assert len(patch.segment_labels) == len(patch.boundary)
    # Covered upper area: the last's upper faces inside the style's covered region.
    upper = upper_surface(last)
    centres = upper.sg[upper.faces].mean(axis=1)
    covered = shapely.contains_xy(style.covered, centres[:, 0], centres[:, 1])
    area = trimesh.Trimesh(upper.vertices, upper.faces[covered], process=False).area
    assert sum(p.area_mm2() for p in patches) == pytest.approx(area, rel=0.01)


@pytest.mark.parametrize("name", sorted(STYLES))
def test_mating_seams_are_the_same_curve_from_both_sides(name: str, posed_lasts: dict) -> None:
    patches = {p.name: p for p in lay_style(STYLES[name](), posed_lasts["left"])}

    def seam_length(a: str, b: str) -> float:
        patch = patches[a]
        return sum(
            float(np.linalg.norm(np.diff(patch.loop_points_mm(s, e), axis=0), axis=1).sum())
            for s, e in patch.seam_runs().get(b, [])
        )

    seams = 0
    for name_a, patch in patches.items():
        for name_b in patch.seam_runs():
            assert seam_length(name_a, name_b) == pytest.approx(seam_length(name_b, name_a), abs=1e-6)
            seams += 1
    assert seams >= 4


def test_medial_pieces_lie_on_the_medial_side_of_each_foot(posed_lasts: dict) -> None:
    style = STYLES["derby"]()
    for side, sign in (("right", 1.0), ("left", -1.0)):
        patches = {p.name: p for p in lay_style(style, posed_lasts[side])}
        medial = patches["quarter_medial"].vertices[:, 1].mean() * sign
        lateral = patches["quarter_lateral"].vertices[:, 1].mean() * sign
        assert medial > 10.0 and lateral < -10.0
        # the feather line (lasting edge) is on every piece that reaches the bottom
        assert BOTTOM in patches["vamp"].segment_labels


def test_left_and_right_patches_mirror_each_other(posed_lasts: dict) -> None:
    style = STYLES["oxford"]()
    left = {p.name: p.area_mm2() for p in lay_style(style, posed_lasts["left"])}
    right = {p.name: p.area_mm2() for p in lay_style(style, posed_lasts["right"])}
    for name, area in left.items():
        assert right[name] == pytest.approx(area, rel=1e-6)

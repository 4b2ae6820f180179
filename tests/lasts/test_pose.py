import numpy as np
import pytest
import trimesh

from lasts.errors import LastError
from lasts.model import build_last
from lasts.pose import pose_last, posed_bottom_line
from tests.lasts.last_samples import FIND_LIKE


@pytest.mark.parametrize(("heel_mm", "spring_mm"), [(0.0, 0.0), (25.0, 15.0), (50.0, 12.0)])
def test_posing_raises_the_heel_seat_and_the_toe_and_keeps_the_tread_on_the_ground(
    heel_mm: float, spring_mm: float
) -> None:
    standing = build_last(FIND_LIKE.with_values(heel_height_mm=heel_mm, toe_spring_mm=spring_mm), 20_000)
    posed = pose_last(standing)
    v = posed.vertices
    line = posed_bottom_line(standing.params)
    ends = line.place(np.array([[0.0, 0.0, 0.0], [FIND_LIKE.stick_length_mm, 0.0, 0.0]]))
    assert ends[0, 2] == pytest.approx(heel_mm, abs=0.01)
    assert ends[1, 2] == pytest.approx(spring_mm, abs=0.01)
    np.testing.assert_allclose(line.place(standing.vertices), v)
    # The heel point and the toe tip rise by at least the bottom's rise less the tilt of their height.
    assert v[0, 2] - standing.vertices[0, 2] > 0.8 * heel_mm - 1.0
    assert v[-1, 2] - standing.vertices[-1, 2] == pytest.approx(spring_mm, abs=1.0)
    assert v[:, 2].min() == pytest.approx(0.0, abs=0.5)  # the tread stands on the ground
    mesh = trimesh.Trimesh(v, posed.faces, process=False)
    assert mesh.is_watertight and mesh.volume > 0
    assert posed.posed and not standing.posed


def test_a_heel_the_last_cannot_take_is_refused_naming_it() -> None:
    with pytest.raises(LastError, match=r"heel height 90\.0 mm is one this last cannot take"):
        pose_last(build_last(FIND_LIKE.with_values(heel_height_mm=90.0), 8_000))


def test_posing_keeps_the_bottom_length() -> None:
    standing = build_last(FIND_LIKE.with_values(heel_height_mm=40.0), 20_000)
    posed = pose_last(standing)

    def length(line: np.ndarray) -> float:
        return float(np.linalg.norm(np.diff(line, axis=0), axis=1).sum())

    # The bottom centre line (each section's first point) is the bent beam's neutral line.
    assert length(posed.grid()[:, 0]) == pytest.approx(length(standing.grid()[:, 0]), rel=0.005)

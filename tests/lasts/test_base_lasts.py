"""Base lasts: our own parametric lasts, exported posed, turned any way, mirrored left and written in mm or metres,
come back as the lasts they were (pose, length, girths, surface); shapes that are no last are refused by name."""

import numpy as np
import pytest
import trimesh
from scipy.spatial.transform import Rotation

from lasts.base_lasts import (
    BaseLast,
    LastSideError,
    LastUnitsError,
    NotALastError,
    UnreadableLastError,
    fit_on_base,
    import_base_last,
    unpose_points,
)
from lasts.export import last_mesh_bytes
from lasts.fitting import FitPreference, measure_last
from lasts.model import LastMesh, LastParameters, build_last
from lasts.pose import pose_last, posed_bottom_line
from lasts.side import Side
from tests.conftest import shared_file
from tests.lasts.last_samples import FIND_LIKE

# A derby last with an almond toe on a 32 mm heel, and a turn no scanner would choose.
ORIGINAL = FIND_LIKE.with_values(toe_shape="almond", heel_height_mm=32.0, toe_spring_mm=18.0)
TURN = Rotation.from_euler("xyz", [37.0, -71.0, 128.0], degrees=True).as_matrix()


def scanned(params: LastParameters, fmt: str, metres_per_unit: float = 0.001) -> tuple[LastMesh, bytes]:
    """The last as built (standing, 20k faces, a scan's resolution) and its posed mesh as a file, turned, moved and
    in the file's unit."""
    last = build_last(params, 20_000)
    posed = pose_last(last)
    vertices = (posed.vertices @ TURN.T + [41.0, -230.0, 17.0]) * (0.001 / metres_per_unit)
    return last, last_mesh_bytes(vertices, posed.faces, fmt, "house last")


@pytest.fixture(scope="module")
def right_stl() -> tuple[LastMesh, BaseLast]:
    last, data = scanned(ORIGINAL.with_values(side="right"), "stl")
    return last, import_base_last(data, "house.stl", "derby")


@pytest.fixture(scope="module")
def left_obj_in_metres() -> tuple[LastMesh, BaseLast]:
    last, data = scanned(ORIGINAL.with_values(side="left"), "obj", metres_per_unit=1.0)
    return last, import_base_last(data, "house-left.obj")


@pytest.mark.parametrize("case", ["right_stl", "left_obj_in_metres"])
def test_an_exported_last_comes_back_as_the_last_it_was(case: str, request: pytest.FixtureRequest) -> None:
    last, base = request.getfixturevalue(case)
    original = measure_last(build_last(last.params)).values()
    found = base.landmarks
    assert found.scanned_side == last.params.side and base.params.side == Side.RIGHT  # stored as a right last
    assert (base.unit, base.units_detected) == (("mm", True) if case == "right_stl" else ("m", True))
    assert base.params.heel_height_mm == pytest.approx(32.0, abs=2.0)
    assert base.params.toe_spring_mm == pytest.approx(18.0, abs=2.0)
    assert base.params.stick_length_mm == pytest.approx(ORIGINAL.stick_length_mm, abs=1.0)
    assert base.measurements["ball_girth_mm"] == pytest.approx(original["ball_girth_mm"], abs=1.0)
    for key in ("waist_girth_mm", "instep_girth_mm", "long_heel_girth_mm", "short_heel_girth_mm", "heel_width_mm"):
        assert base.measurements[key] == pytest.approx(original[key], abs=1.5), key
    assert base.params.toe_shape == "almond"
    assert found.mtp1[0] == pytest.approx(ORIGINAL.ball_length_mm, abs=2.0)
    assert found.cone_top[2] == pytest.approx(float(last.vertices[:, 2].max()), abs=1.0)
    # Rebuilt (its parameters and shape field) and posed, it lies on the scan.
    assert base.deviation.p95_mm <= 0.5 and base.deviation.max_mm <= 2.0
    assert base.params.shape is not None


def test_the_file_frame_maps_onto_the_posed_last_and_mirrors_a_left_one(
    right_stl: tuple[LastMesh, BaseLast], left_obj_in_metres: tuple[LastMesh, BaseLast]
) -> None:
    for (last, base), to_file in ((right_stl, 1.0), (left_obj_in_metres, 0.001)):
        matrix = base.landmarks.file_to_posed
        linear = matrix[:3, :3]
        # A rotation, scaled from the file's unit to mm, a mirror for the left last.
        scale = abs(np.linalg.det(linear)) ** (1 / 3)
        assert scale == pytest.approx(1.0 / to_file, rel=1e-9)
        assert np.sign(np.linalg.det(linear)) == (1.0 if base.landmarks.scanned_side == "right" else -1.0)
        posed = pose_last(last)
        file_vertices = (posed.vertices @ TURN.T + [41.0, -230.0, 17.0]) * to_file
        mapped = file_vertices @ linear.T + matrix[:3, 3]
        rebuilt = pose_last(build_last(base.params))
        # The file's heel point (the built last's first vertex) lands on the rebuilt last's, its toe tip on its.
        assert np.linalg.norm(mapped[0] - rebuilt.vertices[0]) < 1.0
        assert np.linalg.norm(mapped[-1] - rebuilt.vertices[-1]) < 1.0


def test_the_stored_shape_rebuilds_alike_at_any_face_count_and_through_json(right_stl: tuple) -> None:
    _, base = right_stl
    again = LastParameters.from_dict(base.params.to_dict())
    assert again.shape == base.params.shape
    fine, coarse = measure_last(build_last(again)).values(), measure_last(build_last(again, 12_000)).values()
    for key in ("foot_length_mm", "ball_girth_mm", "instep_girth_mm", "long_heel_girth_mm"):
        assert coarse[key] == pytest.approx(fine[key], abs=1.0), key
    assert fine["ball_girth_mm"] == pytest.approx(base.measurements["ball_girth_mm"], abs=0.1)


def test_unposing_inverts_the_pose() -> None:
    params = FIND_LIKE.with_values(heel_height_mm=55.0, toe_spring_mm=25.0)
    last = build_last(params, 12_000)
    back = unpose_points(pose_last(last).vertices, posed_bottom_line(params))
    assert np.abs(back - last.vertices).max() < 1e-6


def test_a_fit_on_a_base_keeps_its_design_and_shape_and_meets_the_targets(right_stl: tuple) -> None:
    _, base = right_stl
    foot = {"foot_length_mm": 258.0, "ball_length_mm": 189.0, "ball_width_mm": 99.0, "ball_girth_mm": 250.0,
            "waist_girth_mm": 243.0, "instep_girth_mm": 250.0, "long_heel_girth_mm": 342.0,
            "short_heel_girth_mm": 332.0, "heel_width_mm": 65.0, "toe_height_mm": 32.0}  # fmt: skip
    targets, fit = fit_on_base(foot, Side.LEFT, "derby", FitPreference.REGULAR, None, base=base.params)
    p = fit.last.params
    assert fit.max_error_mm <= 0.1
    assert p.side == Side.LEFT and p.toe_shape == base.params.toe_shape
    assert p.heel_height_mm == base.params.heel_height_mm and targets.toe_shape == base.params.toe_shape
    factor = targets.values["foot_length_mm"] / base.params.stick_length_mm  # the shape scales with the length
    # Kept to the 0.01 mm a shape carries.
    assert p.shape is not None and np.allclose(p.shape.displacement_mm, base.params.shape.displacement_mm * factor,
                                               atol=0.0051)  # fmt: skip


def test_a_sphere_and_a_foot_are_no_lasts(find_template_bytes: bytes) -> None:
    sphere = trimesh.creation.icosphere(4, radius=130.0).export(file_type="stl")
    with pytest.raises(NotALastError, match="no longer one way than the others"):
        import_base_last(sphere, "ball.stl")
    with pytest.raises(NotALastError, match="no flat bottom") as refused:
        import_base_last(find_template_bytes, "find_template.obj")
    assert refused.value.code == "not_a_last" and refused.value.details["flat_bottom_share"] < 0.5
    with pytest.raises(NotALastError, match="no cone"):  # a real foot scan, its sole flattened on glass
        import_base_last(shared_file("feet/dupontgu_left_foot.stl").read_bytes(), "dupontgu_left_foot.stl")


def test_files_that_hold_no_usable_last_are_refused_with_the_reason() -> None:
    last, stl = scanned(ORIGINAL, "stl")
    with pytest.raises(LastUnitsError, match="give its units"):
        import_base_last(last_mesh_bytes(last.vertices * 0.01, last.faces, "stl", "x"), "tiny.stl")
    with pytest.raises(LastUnitsError, match=r"in cm the last would be \d+ mm long"):
        import_base_last(stl, "house.stl", units="cm")
    points = "\n".join(f"{x:.3f} {y:.3f} {z:.3f}" for x, y, z in last.vertices[::7]).encode()
    with pytest.raises(UnreadableLastError, match="holds points, not a surface"):
        import_base_last(points, "cloud.xyz")
    open_top = last.vertices[last.faces].mean(axis=1)[:, 2] < 110.0  # the cone cut off and left open
    with pytest.raises(UnreadableLastError, match="open"):
        import_base_last(last_mesh_bytes(last.vertices, last.faces[open_top], "stl", "x"), "cut.stl")
    assert ORIGINAL.side == "left"
    with pytest.raises(LastSideError, match="given as a right last"):  # its toe swings the way a left last's does
        import_base_last(stl, "house.stl", side=Side.RIGHT)

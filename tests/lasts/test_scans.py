"""Scan ingest on the real FIND foot: side, units, landmarks, measurements, invariance and bad input."""

import numpy as np
import pytest
import trimesh
from scipy.spatial.transform import Rotation

from benchmarks.hostile import (
    all_zero_stl,
    float32_max_stl,
    huge_coordinates_obj,
    instancing_bomb_glb,
    scaled_obj,
    triangle_stl,
)
from geometry.errors import InputError, InputTooLargeError, UnsupportedFormatError
from lasts.errors import (
    AmbiguousUnitsError,
    ImplausibleFootSizeError,
    IncompleteFootError,
    NotAFootError,
    SeveralFeetError,
)
from lasts.scans import IngestOptions, MeasuredFoot, describe_scan, ingest_scan
from lasts.sheet import measurement_sheet_svg
from tests.lasts.conftest import FIND_KEYPOINTS, export


def test_the_find_template_is_described_in_its_own_units(find_template_bytes: bytes) -> None:
    summary = describe_scan(find_template_bytes, "find_template.obj")
    assert summary.format == "obj"
    assert (summary.vertex_count, summary.face_count) == (44_395, 88_786)
    assert 0.22 < summary.bbox_max[0] - summary.bbox_min[0] < 0.30  # metres


def test_the_find_foot_is_a_left_foot_in_metres_with_plausible_measurements(find_foot: MeasuredFoot) -> None:
    assert find_foot.side == "left"
    assert find_foot.units.unit == "m" and find_foot.units.detected
    m = find_foot.measurements
    assert 250 < m.foot_length_mm < 262
    # Proportions of a real adult foot (ANSUR II: ball girth ~ 0.93 x length, width ~ 0.37 x length).
    assert 0.88 < m.ball_girth_mm / m.foot_length_mm < 0.99
    assert 0.33 < m.ball_width_mm / m.foot_length_mm < 0.42
    assert 0.68 < m.ball_length_mm / m.foot_length_mm < 0.78
    assert m.waist_girth_mm <= m.instep_girth_mm
    assert m.short_heel_girth_mm is not None and m.long_heel_girth_mm is not None
    assert m.short_heel_girth_mm < m.long_heel_girth_mm
    assert 50 < m.heel_width_mm < 75
    assert 10 < m.arch_height_mm < 35
    assert 25 < m.toe_height_mm < 50
    # The frame: sole on z = 0, pternion at x = 0, heel to toe along +x.
    v = find_foot.surface.vertices
    assert abs(v[:, 2].min()) < 1e-6
    assert abs(find_foot.landmarks.pternion[0]) < 1e-6
    assert find_foot.landmarks.toe_tip[0] == pytest.approx(m.foot_length_mm, abs=0.01)


def test_landmarks_sit_on_the_find_keypoints(find_foot: MeasuredFoot, find_mesh: trimesh.Trimesh) -> None:
    keypoints = {k: find_foot.frame.apply(find_mesh.vertices[[i]] * 1000)[0] for k, i in FIND_KEYPOINTS.items()}
    lm = find_foot.landmarks
    assert np.linalg.norm(lm.toe_tip - keypoints["big_toe"]) < 6
    assert np.linalg.norm(lm.pternion[[0, 1]] - keypoints["heel"][[0, 1]]) < 6
    assert np.linalg.norm(lm.mtp5 - keypoints["outer_extrema"]) < 6
    # FIND's "inner extrema" is the medial-most vertex; our MTP1 is the bulge of the medial border.
    assert abs(lm.mtp1[1] - keypoints["inner_extrema"][1]) < 4
    assert abs(lm.mtp1[0] - keypoints["inner_extrema"][0]) < 16


def test_moving_rotating_reunitting_and_mirroring_change_nothing(
    find_foot: MeasuredFoot, find_mesh: trimesh.Trimesh
) -> None:
    rng = np.random.default_rng(3)
    rotation = Rotation.random(random_state=rng).as_matrix()
    inches = (find_mesh.vertices * 1000 * np.array([1, -1, 1])) @ rotation.T / 25.4 + [40.0, -12.0, 7.0]
    mirrored = ingest_scan(export(inches, find_mesh.faces[:, ::-1], "stl"), "right.stl")
    assert mirrored.side == "right"
    assert mirrored.units.unit == "in"
    before, after = find_foot.measurements.values(), mirrored.measurements.values()
    for key, value in before.items():
        if value is not None:
            assert after[key] == pytest.approx(value, abs=0.5), key


def test_a_noisy_point_cloud_of_the_foot_measures_close_to_the_mesh(
    find_foot: MeasuredFoot, find_mesh: trimesh.Trimesh
) -> None:
    rng = np.random.default_rng(5)
    points = np.asarray(trimesh.sample.sample_surface(find_mesh, 120_000, seed=5)[0]) * 1000
    points += rng.normal(0.0, 0.5, size=points.shape)
    text = "\n".join(f"{x:.4f} {y:.4f} {z:.4f}" for x, y, z in points).encode()
    cloud = ingest_scan(text, "foot.xyz")
    assert cloud.side == "left" and cloud.units.unit == "mm"
    assert cloud.cleanup.reconstructed_faces > 0 and cloud.cleanup.denoised
    assert cloud.measurements.foot_length_mm == pytest.approx(find_foot.measurements.foot_length_mm, abs=2.0)
    assert cloud.measurements.instep_girth_mm == pytest.approx(find_foot.measurements.instep_girth_mm, abs=4.0)


def test_the_measurement_sheet_draws_every_girth(find_foot: MeasuredFoot) -> None:
    svg = measurement_sheet_svg(
        find_foot.surface.vertices, find_foot.landmarks, find_foot.measurements, "FIND", find_foot.side
    )
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for label in ("Ball girth", "Instep girth", "Waist girth", "Long heel girth", "mtp1", "pternion"):
        assert label in svg
    assert svg.count("<path") >= 2 + 2 * len(find_foot.measurements.girth_lines)


# --- bad input: each a typed error that names the problem -------------------------------------------


def _cube(size: float) -> bytes:
    box = trimesh.creation.box(extents=(size, size, size))
    return export(box.vertices, box.faces, "stl")


def test_empty_random_and_truncated_files(find_mesh: trimesh.Trimesh) -> None:
    with pytest.raises(InputError, match="empty"):
        ingest_scan(b"", "foot.stl")
    with pytest.raises(UnsupportedFormatError):
        ingest_scan(np.random.default_rng(1).bytes(5000), "foot.stl")
    stl = export(find_mesh.vertices, find_mesh.faces, "stl")
    with pytest.raises(InputError):
        ingest_scan(stl[: len(stl) // 3], "foot.stl")


def test_a_cube_and_a_sphere_are_not_feet() -> None:
    with pytest.raises(NotAFootError):
        ingest_scan(_cube(250.0), "cube.stl")
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=120.0)
    with pytest.raises(NotAFootError):
        ingest_scan(export(sphere.vertices, sphere.faces), "sphere.ply")


@pytest.mark.parametrize("text", [b"1 2 3\n" * 1000, b"1 2 3\n4 5 6\n" * 500], ids=["one point", "two points"])
def test_a_cloud_of_one_or_two_repeated_points_is_not_a_foot(text: bytes) -> None:
    with pytest.raises(NotAFootError, match="points left"):
        ingest_scan(text, "points.xyz")


def test_half_a_foot_is_incomplete(find_foot: MeasuredFoot) -> None:
    v, f = find_foot.surface.vertices, find_foot.surface.faces
    front = v[f].min(axis=1)[:, 0] > 0.45 * find_foot.measurements.foot_length_mm
    with pytest.raises(IncompleteFootError, match="heel"):
        ingest_scan(export(v, f[front]), "front-half.ply", IngestOptions(units="mm"))


def test_a_plantar_imprint_has_no_upper_surface(find_foot: MeasuredFoot) -> None:
    v, f = find_foot.surface.vertices, find_foot.surface.faces
    sole = v[f].max(axis=1)[:, 2] < 12.0
    with pytest.raises((IncompleteFootError, NotAFootError)):
        ingest_scan(export(v, f[sole]), "imprint.ply", IngestOptions(units="mm"))


def test_two_feet_in_one_file_need_a_side_three_are_refused(find_mesh: trimesh.Trimesh) -> None:
    # Both measured: tests/lasts/test_real_scans.py (ingest_feet).
    v, f = find_mesh.vertices, find_mesh.faces
    both = np.vstack([v, v * [1, -1, 1] + [0, 0.2, 0]])
    faces = np.vstack([f, f[:, ::-1] + len(v)])
    with pytest.raises(SeveralFeetError, match="two feet: say which one to measure"):
        ingest_scan(export(both, faces), "pair.ply")
    three = np.vstack([both, v + np.array([0.0, 0.4, 0.0])])
    with pytest.raises(SeveralFeetError, match="3 foot-sized parts; scan each foot on its own"):
        ingest_scan(export(three, np.vstack([faces, f + len(both)])), "three.ply")


def test_units_that_cannot_be_told_apart_or_do_not_fit(find_foot: MeasuredFoot) -> None:
    v, f = find_foot.surface.vertices, find_foot.surface.faces
    # 16 units long: 160 mm in cm (a child) or 406 mm in inches (a giant) -- ask.
    with pytest.raises(AmbiguousUnitsError, match="--units"):
        ingest_scan(export(v * 16.0 / find_foot.measurements.foot_length_mm, f), "foot.ply")
    with pytest.raises(ImplausibleFootSizeError):
        ingest_scan(export(v * 30.0, f), "foot.ply")
    with pytest.raises(ImplausibleFootSizeError, match="in mm the foot would be"):
        ingest_scan(export(v / 1000.0, f), "foot.ply", IngestOptions(units="mm"))


def test_nan_coordinates_are_refused() -> None:
    with pytest.raises(InputError, match="NaN"):
        ingest_scan(b"v 0 0 0\nv 1 nan 0\nv 0 1 0\nf 1 2 3\n", "foot.obj")


def test_a_point_count_over_the_limit_is_refused(find_template_bytes: bytes) -> None:
    with pytest.raises(InputTooLargeError, match="over the limit"):
        ingest_scan(find_template_bytes, "find.obj", IngestOptions(max_points=10_000))


# ------------------------------------------------------------------------ absurd inputs: typed, never a crash


def test_a_single_triangle_is_not_a_foot() -> None:
    with pytest.raises(NotAFootError, match="too few to be a foot"):
        ingest_scan(triangle_stl(), "triangle.stl")


def test_an_all_zero_stl_is_not_a_foot() -> None:
    with pytest.raises(NotAFootError, match="at one point"):
        ingest_scan(all_zero_stl(1_000), "zero.stl")


@pytest.mark.parametrize(
    ("factor", "error", "message"),
    [(1e300, InputError, "no scan reaches that far"), (1e-300, ImplausibleFootSizeError, "scaled wrongly"),
     (1e-12, ImplausibleFootSizeError, "scaled wrongly"), (1e6, ImplausibleFootSizeError, "scaled wrongly")],
)  # fmt: skip
def test_a_foot_scaled_past_every_unit_is_refused(find_template_bytes: bytes, factor: float, error: type,
                                                  message: str) -> None:  # fmt: skip
    with pytest.raises(error, match=message):
        ingest_scan(scaled_obj(find_template_bytes, factor), "scaled.obj")


@pytest.mark.parametrize("data", [huge_coordinates_obj(1e308), float32_max_stl()], ids=["1e308", "float32 max"])
def test_coordinates_past_any_scan_are_refused(data: bytes) -> None:
    with pytest.raises(InputError, match="no scan reaches that far"):
        ingest_scan(data, "far.stl")


def test_a_flat_sheet_of_vertices_is_not_a_foot() -> None:
    sheet = trimesh.creation.box(extents=(250.0, 100.0, 1.0)).subdivide().subdivide().subdivide()
    with pytest.raises(NotAFootError, match="flat"):
        ingest_scan(export(sheet.vertices * [1.0, 1.0, 0.0], sheet.faces), "sheet.ply")


def test_an_instancing_bomb_is_refused_before_it_is_read() -> None:
    with pytest.raises(InputTooLargeError, match="placed 21 times"):
        ingest_scan(instancing_bomb_glb(faces=88_000, instances=21), "bomb.glb")

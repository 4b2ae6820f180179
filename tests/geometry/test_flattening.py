"""Flattening of piece patches: isometry where the surface allows it, strain where it cannot, seam correction."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import igl
import numpy as np
import pytest

from geometry.errors import FlatteningError, InputError
from geometry.flattening import (
    StrainReport,
    check_disk,
    correct_seams,
    face_area_change_pct,
    face_edge_strain_pct,
    flatten_patch,
    seam_length_mm,
    seam_lengths_mm,
    strain_heat_map_svg,
    strain_report,
)
from lasts.model import LastParameters, build_last

FIND_LAST = LastParameters(
    stick_length_mm=272.8,
    ball_length_mm=189.6,
    ball_girth_mm=247.0,
    ball_width_mm=95.9,
    waist_girth_mm=230.0,
    instep_girth_mm=240.0,
    long_heel_girth_mm=332.0,
    short_heel_girth_mm=324.0,
    heel_width_mm=61.6,
    toe_box_height_mm=38.5,
)


def grid_patch(nu: int, nv: int, surface) -> tuple[np.ndarray, np.ndarray]:
    """A triangulated (u, v) grid on ``surface(u, v) -> (n, 3)``, u, v in [0, 1], faces ccw seen from +normal."""
    u, v = np.meshgrid(np.linspace(0, 1, nu), np.linspace(0, 1, nv), indexing="ij")
    vertices = surface(u.ravel(), v.ravel())
    idx = np.arange(nu * nv).reshape(nu, nv)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    return vertices, np.concatenate([np.column_stack([a, b, c]), np.column_stack([a, c, d])])


def cylinder(u: np.ndarray, v: np.ndarray, radius_mm: float = 60.0, length_mm: float = 150.0) -> np.ndarray:
    """A strip of a cylinder about the x axis: 162° of arc, ``length_mm`` long."""
    theta = u * np.pi * 0.9
    return np.column_stack([v * length_mm, radius_mm * np.cos(theta), radius_mm * np.sin(theta)])


def sphere_cap(u: np.ndarray, v: np.ndarray, radius_mm: float = 80.0) -> np.ndarray:
    """A patch of a sphere about the +z pole, about ±34° each way."""
    theta, phi = (u - 0.5) * 1.2, (v - 0.5) * 1.2
    return np.column_stack(
        [radius_mm * np.cos(phi) * np.sin(theta), radius_mm * np.sin(phi), radius_mm * np.cos(phi) * np.cos(theta)]
    )


def submesh(vertices: np.ndarray, faces: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    kept = faces[keep]
    used = np.unique(kept)
    remap = np.full(len(vertices), -1)
    remap[used] = np.arange(len(used))
    return vertices[used], remap[kept]


@pytest.fixture(scope="module")
def last_side_patch() -> tuple[np.ndarray, np.ndarray]:
    """A vamp-side-like patch of the FIND last: the lateral side between the ball and the toe, z 5..50 mm."""
    last = build_last(FIND_LAST, 50_000)
    corners = last.vertices[last.faces]
    x, y, z = corners[..., 0], corners[..., 1], corners[..., 2]
    keep = ((z > 5) & (z < 50) & (x > 150) & (x < 230) & (y > 0)).all(axis=1)
    return submesh(last.vertices, last.faces, keep)


def test_cylinder_strip_flattens_without_strain() -> None:
    vertices, faces = grid_patch(40, 50, cylinder)
    uv = flatten_patch(vertices, faces, align_direction=(1.0, 0.0, 0.0))
    report = strain_report(vertices, faces, uv)
    assert report.area_change_mean_pct < 0.1
    assert abs(report.area_change_total_pct) < 0.1
    assert report.edge_strain_mean_pct < 0.1
    assert report.edge_strain_p99_pct < 0.1
    assert report.boundary_length_2d_mm == pytest.approx(report.boundary_length_3d_mm, rel=1e-3)
    assert report.flipped_faces == 0
    # The unrolled strip is a rectangle: 150 mm along the axis (x), the polygonal arc across.
    arc_mm = 39 * 2 * 60.0 * np.sin(np.pi * 0.9 / 39 / 2)
    assert np.ptp(uv, axis=0) == pytest.approx([150.0, arc_mm], rel=1e-4)


def test_flattening_keeps_face_winding_and_never_mirrors() -> None:
    vertices, faces = grid_patch(20, 20, sphere_cap)
    for tri in (faces, faces[:, ::-1]):
        uv = flatten_patch(vertices, np.ascontiguousarray(tri))
        assert (face_area_change_pct(vertices, tri, uv) > -100.0).all()
        e1, e2 = uv[tri[:, 1]] - uv[tri[:, 0]], uv[tri[:, 2]] - uv[tri[:, 0]]
        assert (e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0] > 0).all()
        assert uv.min(axis=0) == pytest.approx([0.0, 0.0], abs=1e-9)


def test_spherical_cap_strains_measurably_more_than_a_cylinder() -> None:
    cyl_v, cyl_f = grid_patch(30, 30, cylinder)
    sph_v, sph_f = grid_patch(30, 30, sphere_cap)
    cyl = strain_report(cyl_v, cyl_f, flatten_patch(cyl_v, cyl_f))
    sph = strain_report(sph_v, sph_f, flatten_patch(sph_v, sph_f))
    assert cyl.area_change_mean_pct < 0.1
    assert sph.area_change_mean_pct > 1.0
    assert sph.edge_strain_p99_pct > 2.0
    assert sph.flipped_faces == 0
    # ARAP spreads the strain: the total area is kept far better than any one face's.
    assert abs(sph.area_change_total_pct) < 0.5 < sph.area_change_max_pct


def test_align_direction_lays_the_cylinder_axis_along_x() -> None:
    vertices, faces = grid_patch(30, 40, cylinder)
    # Tilt the strip so the axis is no grid direction of the plane by chance.
    angle = np.radians(35.0)
    turn = np.array([[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0], [0.0, 0.0, 1.0]])
    tilted = vertices @ turn.T
    uv = flatten_patch(tilted, faces, align_direction=turn @ np.array([1.0, 0.0, 0.0]))
    generator = np.arange(30 * 40).reshape(30, 40)[7]  # one straight line along the axis
    assert np.ptp(uv[generator, 1]) < 1e-3
    assert uv[generator[-1], 0] - uv[generator[0], 0] == pytest.approx(150.0, rel=1e-3)


def test_patch_with_a_hole_is_refused() -> None:
    vertices, faces = grid_patch(20, 20, cylinder)
    centres = vertices[faces].mean(axis=1)
    hole = (np.abs(centres[:, 0] - 75.0) < 20.0) & (centres[:, 2] > 50.0)
    ring_v, ring_f = submesh(vertices, faces, ~hole)
    assert len(igl.boundary_loop_all(ring_f)) == 2
    with pytest.raises(FlatteningError, match="2 boundary loops") as caught:
        flatten_patch(ring_v, ring_f)
    assert isinstance(caught.value, InputError) and isinstance(caught.value, ValueError)
    assert caught.value.details["boundary_loops"] == 2


def test_other_non_disks_are_refused() -> None:
    vertices, faces = grid_patch(10, 10, cylinder)
    two_parts = np.concatenate([faces, faces + len(vertices)])
    with pytest.raises(FlatteningError, match="2 separate parts"):
        flatten_patch(np.concatenate([vertices, vertices + 500.0]), two_parts)
    tetra = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    with pytest.raises(FlatteningError, match="0 boundary loops"):
        flatten_patch(tetra, np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]]))
    with pytest.raises(FlatteningError, match="consistently wound"):
        flatten_patch(vertices, np.concatenate([faces[:1, ::-1], faces[1:]]))
    with pytest.raises(FlatteningError, match="belong to no face"):
        flatten_patch(np.concatenate([vertices, [[0.0, 0.0, 0.0]]]), faces)
    with pytest.raises(FlatteningError, match=r"\(n, 3\)"):
        flatten_patch(vertices[:, :2], faces)


def test_last_side_patch_flattens_within_the_strain_budget(last_side_patch) -> None:
    vertices, faces = last_side_patch
    loop = check_disk(vertices, faces)
    uv = flatten_patch(vertices, faces, align_direction=(1.0, 0.0, 0.0))
    report = strain_report(vertices, faces, uv, loop)
    assert report.area_change_mean_pct <= 2.0
    assert report.edge_strain_p99_pct <= 8.0
    assert report.flipped_faces == 0
    assert abs(report.boundary_change_pct) < 2.0
    assert set(report.to_dict()) >= {"area_change_mean_pct", "edge_strain_p99_pct", "boundary_length_2d_mm"}
    # Toe to the right: the patch's toe end (large x on the last) lands at large x in the plane.
    toe, heel = np.argmax(vertices[:, 0]), np.argmin(vertices[:, 0])
    assert uv[toe, 0] > uv[heel, 0]


def _two_seams(loop_points: np.ndarray) -> tuple[tuple[int, int], tuple[int, int]]:
    k = len(loop_points)
    return (2, k // 3), (k // 2, (5 * k) // 6)


def test_correct_seams_hits_the_targets_and_keeps_the_interior_unflipped(last_side_patch) -> None:
    vertices, faces = last_side_patch
    loop = check_disk(vertices, faces)
    uv = flatten_patch(vertices, faces)
    (a0, a1), (b0, b1) = _two_seams(loop)
    three_d = seam_lengths_mm(vertices, loop, [(a0, a1, 1.0), (b0, b1, 1.0)])
    # Mating seams: one 1.5 % longer than on the last, one at its 3D length.
    seams = [(a0, a1, three_d[0] * 1.015), (b0, b1, float(three_d[1]))]
    corrected = correct_seams(vertices, faces, uv, loop, seams)
    lengths = seam_lengths_mm(corrected, loop, seams)
    assert lengths == pytest.approx([s[2] for s in seams], abs=0.05)
    assert strain_report(vertices, faces, corrected, loop).flipped_faces == 0
    # Vertices far from the seams hardly move.
    assert np.median(np.linalg.norm(corrected - uv, axis=1)) < 1.0


def test_correct_seams_copes_with_seams_touching_end_to_end() -> None:
    vertices, faces = grid_patch(25, 25, sphere_cap)
    loop = check_disk(vertices, faces)
    uv = flatten_patch(vertices, faces)
    k = len(loop)
    # Three seams chained end to end round most of the outline, the last closing onto the first.
    cuts = [0, k // 4, k // 2, (3 * k) // 4]
    spans = [(cuts[i], cuts[(i + 1) % 4]) for i in range(4)]
    three_d = seam_lengths_mm(vertices, loop, [(s, e, 1.0) for s, e in spans])
    seams = [(s, e, float(t)) for (s, e), t in zip(spans, three_d, strict=True)]
    corrected = correct_seams(vertices, faces, uv, loop, seams)
    assert seam_lengths_mm(corrected, loop, seams) == pytest.approx(three_d, abs=0.05)
    assert strain_report(vertices, faces, corrected, loop).flipped_faces == 0


def test_overlapping_seams_are_refused() -> None:
    vertices, faces = grid_patch(10, 10, cylinder)
    loop = check_disk(vertices, faces)
    uv = flatten_patch(vertices, faces)
    with pytest.raises(FlatteningError, match="overlaps"):
        correct_seams(vertices, faces, uv, loop, [(0, 10, 50.0), (5, 15, 50.0)])


def test_seam_length_of_a_polyline() -> None:
    assert seam_length_mm(np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 10.0]])) == pytest.approx(11.0)
    assert seam_length_mm(np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])) == pytest.approx(3.0)


def test_strain_heat_map_is_a_self_contained_svg(last_side_patch) -> None:
    vertices, faces = last_side_patch
    uv = flatten_patch(vertices, faces, align_direction=(1.0, 0.0, 0.0))
    values = face_area_change_pct(vertices, faces, uv)
    svg = strain_heat_map_svg(uv, faces, values, "vamp lateral: area change")
    root = ET.fromstring(svg.encode())
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert len(root.findall("s:g[@id='faces']/s:polygon", ns)) == len(faces)
    assert root.find("s:polygon[@id='outline']", ns) is not None
    assert "mm" in "".join(root.find("s:g[@id='scale-bar']", ns).itertext())
    assert "href" not in svg  # nothing outside the file
    strain = face_edge_strain_pct(vertices, faces, uv)
    assert (strain >= 0).all()
    assert strain_heat_map_svg(uv, faces, strain, "edge strain").count("<polygon") == len(faces) + 1


def test_strain_report_round_trips_to_a_dict() -> None:
    vertices, faces = grid_patch(8, 8, cylinder)
    report = strain_report(vertices, faces, flatten_patch(vertices, faces))
    assert StrainReport(**report.to_dict()) == report

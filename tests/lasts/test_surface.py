"""Where a scan's surface stops being whole: the top cap (or rim) of the cut leg."""

import numpy as np
import pytest
import trimesh

from geometry.meshes import fill_small_holes, keep_faces
from lasts.scans import MeasuredFoot
from lasts.surface import FootSurface, boundary_loops


def _leg_and_a_patch_facing_up() -> trimesh.Trimesh:
    leg = trimesh.creation.cylinder(radius=30.0, height=100.0, sections=64)
    leg.apply_translation([0.0, 0.0, 50.0])  # z 0..100, capped at the top
    patch = trimesh.creation.box(extents=(20.0, 20.0, 1.0))
    patch.apply_translation([80.0, 0.0, 50.0])  # like the dorsum's slope: faces up, far below the top
    return trimesh.util.concatenate([leg, patch])


def test_the_top_is_the_cap_joined_to_the_top_of_the_scan() -> None:
    mesh = _leg_and_a_patch_facing_up()
    surface = FootSurface(np.asarray(mesh.vertices), np.asarray(mesh.faces))
    assert surface.complete_height_mm(cap_min_height_mm=40.0) == pytest.approx(100.0, abs=1e-6)


def test_an_open_scan_is_whole_up_to_its_rim() -> None:
    mesh = _leg_and_a_patch_facing_up()
    walls = np.abs(mesh.face_normals[:, 2]) < 0.5
    surface = FootSurface(np.asarray(mesh.vertices), np.asarray(mesh.faces)[walls])
    assert surface.complete_height_mm(cap_min_height_mm=40.0) == pytest.approx(100.0, abs=1e-6)


def test_a_mesh_scan_is_scanned_everywhere() -> None:
    mesh = trimesh.creation.icosphere()
    assert FootSurface(mesh.vertices, mesh.faces).scanned.all()


def test_a_flat_cut_is_the_top_not_the_dorsum_rising_to_it(find_foot: MeasuredFoot) -> None:
    # Cut flat at 80 mm and capped: the dorsum just under the cut faces up within 35 degrees too, and touches the
    # cap, but is no part of it (it once made the top 72 mm).
    v, f = find_foot.surface.vertices, find_foot.surface.faces
    vertices, faces = keep_faces(v, f, v[f, 2].max(axis=1) <= 80.0)
    capped = FootSurface(*fill_small_holes(vertices, faces, max_hole_size=1e9))
    top = float(capped.vertices[:, 2].max())
    assert top - 2.0 < capped.complete_height_mm(cap_min_height_mm=0.35 * 80.0) <= top
    open_scan = FootSurface(vertices, faces)
    (rim,) = open_scan.boundary_loops
    # Open: whole up to the lowest point of its rim (whole faces were kept, so the rim is 77-80 mm high).
    assert open_scan.complete_height_mm(cap_min_height_mm=30.0) == float(vertices[rim, 2].min()) > 75.0


def test_boundary_loops_follow_each_open_rim() -> None:
    tube = trimesh.creation.cylinder(radius=10.0, height=20.0, sections=32)
    walls = np.asarray(tube.faces)[np.abs(tube.face_normals[:, 2]) < 0.5]
    loops = boundary_loops(walls)
    assert sorted(len(loop) for loop in loops) == [32, 32]
    for loop in loops:
        heights = tube.vertices[loop, 2]
        assert np.ptp(heights) < 1e-9  # each rim at one end
        steps = np.linalg.norm(np.diff(tube.vertices[np.r_[loop, loop[:1]]], axis=0), axis=1)
        assert np.allclose(steps, steps[0])  # in order around the rim
    assert boundary_loops(np.asarray(trimesh.creation.icosphere().faces)) == []

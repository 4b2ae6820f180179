"""Where a scan's surface stops being whole: the top cap (or rim) of the cut leg."""

import numpy as np
import pytest
import trimesh

from lasts.surface import FootSurface


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

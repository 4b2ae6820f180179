"""The design in Jupyter: the FIND foot's last and the derby's pieces as pythreejs meshes, the same geometry as
the preview GLB, strain colours that follow the flattening's strain report, and a page export with the buffers."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import trimesh

if importlib.util.find_spec("pythreejs") is None:
    _MISSING = "pythreejs is missing: it is in the notebook extra (make install-test installs it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(_MISSING + " (CI=true: the notebook view must be tested)", pytrace=False)
    pytest.skip(_MISSING, allow_module_level=True)

import pythreejs as three
from ipywidgets.embed import embed_minimal_html

from configurator.notebook import (
    STRAIN_RAMP,
    NotebookViewError,
    design_view,
    gltf_frame_m,
    lifted_piece_mm,
    strain_budget_pct,
    strain_colours,
    vertex_strain_pct,
)
from configurator.options import parse_options
from configurator.pattern_making import flatten_style
from configurator.preview import LAST_COLOUR, LAST_NODE, piece_looks, preview_last, upper_glb
from configurator.styles.library import STYLES
from geometry.errors import InputError
from geometry.flattening import face_edge_strain_pct, strain_report
from lasts.fitted import fitted_last
from lasts.scans import ingest_scan

DERBY = {"style": "derby", "pieces": {"vamp": {"material": "full-grain-cowhide-a", "colour": "#c0302a"}}}


@pytest.fixture(scope="module")
def last(find_template_bytes: bytes):
    """The derby last fitted to the FIND foot, at the preview's resolution (as the design API makes it)."""
    foot = ingest_scan(find_template_bytes, "find_template.obj")
    fitted = fitted_last(foot.measurements.values(), foot.side, "derby")
    return preview_last(fitted.fit.last.params)


@pytest.fixture(scope="module")
def flattening(last):
    return flatten_style(STYLES["derby"](), last)


def _array(attribute: three.BufferAttribute) -> np.ndarray:
    return np.asarray(attribute.array)


def _meshes(view) -> list[three.Mesh]:
    """Every mesh in the scene, depth first."""
    found, pending = [], list(view.renderer.scene.children)
    while pending:
        node = pending.pop(0)
        found += [node] if isinstance(node, three.Mesh) else []
        pending[:0] = getattr(node, "children", ())
    return found


def test_the_scene_is_the_last_and_one_mesh_per_piece_as_the_preview_glb_draws_them(last) -> None:
    style, options = STYLES["derby"](), parse_options(DERBY)
    view = design_view(style, last, options)
    names = [piece.name for piece in style.pieces]
    assert [mesh.name for mesh in _meshes(view)] == [LAST_NODE, *names]
    assert list(view.pieces) == names and view.last.name == LAST_NODE
    # The same vertices, in the same order, and the same triangles as the GLB the configurator page gets.
    glb = trimesh.load(io.BytesIO(upper_glb(style, last, options)), file_type="glb", process=False)
    for mesh in _meshes(view):
        served = glb.geometry[mesh.name]
        positions = _array(mesh.geometry.attributes["position"])
        assert positions.shape == served.vertices.shape, mesh.name
        np.testing.assert_allclose(positions, served.vertices, atol=1e-7)
        np.testing.assert_array_equal(_array(mesh.geometry.index).reshape(-1, 3), served.faces)
        assert "color" not in mesh.geometry.attributes  # no flattening: no strain colours
    np.testing.assert_allclose(_array(view.last.geometry.attributes["position"]), gltf_frame_m(last.vertices))
    looks = {look.name: look.colour for look in piece_looks(style, options)}
    assert view.last.material.color == LAST_COLOUR
    assert {name: mesh.material.color for name, mesh in view.pieces.items()} == looks
    assert view.pieces["vamp"].material.color == "#c0302a"
    assert view.strain_toggle.disabled and view.strain_pct == {}


def test_the_camera_frames_the_whole_last_from_its_lateral_side(last) -> None:
    view = design_view(STYLES["derby"](), last, width_px=640, height_px=400)
    renderer, camera = view.renderer, view.renderer.camera
    assert renderer.width == 640 and renderer.height == 400 and camera.aspect == pytest.approx(1.6)
    assert camera in renderer.scene.children
    assert any(isinstance(light, three.DirectionalLight) for light in camera.children)
    assert any(isinstance(light, three.AmbientLight) for light in renderer.scene.children)
    (orbit,) = renderer.controls
    assert isinstance(orbit, three.OrbitControls) and orbit.controlling is camera
    # The design's group puts the middle of the last's box at the origin, where the orbit turns.
    (design,) = [node for node in renderer.scene.children if isinstance(node, three.Group)]
    assert view.last in design.children and all(mesh in design.children for mesh in view.pieces.values())
    points = gltf_frame_m(last.vertices).astype(np.float64) + np.array(design.position)
    np.testing.assert_allclose(0.5 * (points.min(axis=0) + points.max(axis=0)), 0.0, atol=1e-6)
    assert tuple(orbit.target) == (0.0, 0.0, 0.0)
    # The camera's own axes (three.js looks down −z): it faces the orbit's target, its up is the world's.
    x, y, z, w = camera.quaternion
    axes = trimesh.transformations.quaternion_matrix([w, x, y, z])[:3, :3]
    eye = np.array(camera.position)
    forward = np.array(orbit.target) - eye
    forward /= np.linalg.norm(forward)
    np.testing.assert_allclose(-axes[:, 2], forward, atol=1e-9)
    assert axes[1, 1] > 0.5 and abs(axes[1, 0]) < 1e-9  # level: no roll
    right, up = axes[:, 0], axes[:, 1]
    # Every vertex of the last projects inside the picture, between the near and far planes...
    relative = points - eye
    depth = relative @ forward
    assert depth.min() > camera.near and depth.max() < camera.far
    half_height = np.tan(np.radians(camera.fov) / 2.0)
    vertical = np.abs(relative @ up / depth).max() / half_height
    horizontal = np.abs(relative @ right / depth).max() / (half_height * camera.aspect)
    assert vertical <= 1.0 and horizontal <= 1.0
    # ...and fills 90 % of its height or width.
    assert max(vertical, horizontal) == pytest.approx(0.9, abs=1e-6)
    # Seen from the lateral side (the FIND foot is a left foot).
    lateral = gltf_frame_m(last.feather_lateral).mean(axis=0) - gltf_frame_m(last.feather_medial).mean(axis=0)
    assert last.params.side == "left" and (eye - np.array(orbit.target)) @ lateral > 0


def test_strain_colours_come_from_the_flattened_pieces_own_faces(last, flattening) -> None:
    view = design_view(STYLES["derby"](), last, parse_options(DERBY), flattening)
    # The flattening's pieces: the vamp was split, and each half wears the vamp's colour.
    names = [piece.spec.name for piece in flattening.pieces]
    assert [mesh.name for mesh in _meshes(view)] == [LAST_NODE, *names]
    assert {"vamp_medial", "vamp_lateral"} <= set(names)
    assert view.pieces["vamp_medial"].material.color == "#c0302a"
    assert not view.strain_toggle.disabled
    for piece in flattening.pieces:
        mesh = view.pieces[piece.spec.name]
        patch = piece.patch
        positions = _array(mesh.geometry.attributes["position"])
        assert positions.shape == (len(patch.vertices), 3)
        np.testing.assert_allclose(positions, gltf_frame_m(lifted_piece_mm(patch.vertices, patch.faces)))
        np.testing.assert_array_equal(_array(mesh.geometry.index).reshape(-1, 3), patch.faces)
        # The per-face strain behind the colours is the strain report's: its largest is the report's maximum.
        per_face = face_edge_strain_pct(patch.vertices, patch.faces, piece.uv_mm)
        assert per_face.max() == pytest.approx(piece.strain.edge_strain_max_pct, rel=1e-9)
        strain = view.strain_pct[piece.spec.name]
        np.testing.assert_allclose(strain, vertex_strain_pct(piece))
        assert strain.min() >= 0.0 and strain.max() <= per_face.max() + 1e-9
        assert strain.std() > 0.05 * strain.mean(), piece.spec.name  # the strain varies over the piece
        colours = _array(mesh.geometry.attributes["color"])
        np.testing.assert_allclose(colours, strain_colours(strain, strain_budget_pct(piece)), atol=1e-6)
        assert len(np.unique(colours.round(3), axis=0)) > 20, piece.spec.name


def test_stretching_a_pattern_turns_its_strain_colours_red(last, flattening) -> None:
    """Area strain: each piece as flattened is within its budget, so most of its vertices are not red; the same
    piece cut 3 % larger each way (6 % more area) is over budget everywhere, and the report and colours say so."""
    red = STRAIN_RAMP[-1]
    stretched = replace(
        flattening,
        pieces=tuple(
            replace(p, uv_mm=p.uv_mm * 1.03, strain=strain_report(p.patch.vertices, p.patch.faces, p.uv_mm * 1.03))
            for p in flattening.pieces
        ),
    )
    style = STYLES["derby"]()
    as_cut = design_view(style, last, flattening=flattening, measure="area")
    too_big = design_view(style, last, flattening=stretched, measure="area")
    for before, after in zip(flattening.pieces, stretched.pieces, strict=True):
        name = before.spec.name
        budget = strain_budget_pct(before, "area")
        assert before.strain.area_change_mean_pct < budget < after.strain.area_change_mean_pct, name
        red_before = np.isclose(_array(as_cut.pieces[name].geometry.attributes["color"]), red, atol=1e-6).all(axis=1)
        red_after = np.isclose(_array(too_big.pieces[name].geometry.attributes["color"]), red, atol=1e-6).all(axis=1)
        assert red_before.mean() < 0.5 and red_after.mean() > 0.9, (name, red_before.mean(), red_after.mean())


def test_the_ramp_runs_from_blue_through_yellow_to_red_at_the_budget() -> None:
    colours = strain_colours(np.array([0.0, 4.0, 8.0, 30.0, 2.0]), 8.0)
    np.testing.assert_allclose(colours[:4], STRAIN_RAMP[[0, 1, 2, 2]], atol=1e-6)
    np.testing.assert_allclose(colours[4], 0.5 * (STRAIN_RAMP[0] + STRAIN_RAMP[1]), atol=1e-6)
    with pytest.raises(InputError, match="positive"):
        strain_colours(np.zeros(3), 0.0)


def test_the_controls_switch_strain_colours_and_hide_pieces(last, flattening) -> None:
    view = design_view(STYLES["derby"](), last, flattening=flattening)
    view.strain_toggle.value = True
    for mesh in view.pieces.values():
        assert mesh.material.vertexColors == "VertexColors" and mesh.material.color == "#ffffff"
    assert view.last.material is view.colour_materials[LAST_NODE]  # the last has no strain
    view.strain_toggle.value = False
    for name, mesh in view.pieces.items():
        assert mesh.material is view.colour_materials[name] and mesh.material.vertexColors == "NoColors"
    # One box per mesh, linked in the browser to the mesh's visibility.
    assert list(view.visibility) == [LAST_NODE, *view.pieces]
    linked = {(link.source[0].description, link.target[0].name) for link in view.links}
    assert linked == {(name, name) for name in view.visibility}
    assert all(link.source[1] == "value" and link.target[1] == "visible" for link in view.links)


def test_the_exported_page_carries_the_meshes_buffers_and_the_links(last, flattening, tmp_path: Path) -> None:
    view = design_view(STYLES["derby"](), last, parse_options(DERBY), flattening)
    page = tmp_path / "derby.html"
    embed_minimal_html(page, views=[view.widget], state=view.state(), title="derby on the FIND last")
    html = page.read_text()
    found = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', html, re.S)
    assert found is not None
    models = json.loads(found.group(1))["state"]

    def decoded(attribute: three.BufferAttribute) -> np.ndarray:
        model = models[attribute.model_id]
        (buffer,) = model["buffers"]
        assert buffer["encoding"] == "base64" and buffer["path"] == ["array", "buffer"]
        dtype, shape = model["state"]["array"]["dtype"], model["state"]["array"]["shape"]
        return np.frombuffer(base64.b64decode(buffer["data"]), dtype=dtype).reshape(shape)

    geometry = view.last.geometry
    np.testing.assert_array_equal(decoded(geometry.attributes["position"]), gltf_frame_m(last.vertices))
    np.testing.assert_array_equal(decoded(geometry.index), last.faces.ravel())
    for name, mesh in view.pieces.items():
        colours = decoded(mesh.geometry.attributes["color"])
        assert colours.shape == (len(view.strain_pct[name]), 3), name
        np.testing.assert_array_equal(colours, _array(mesh.geometry.attributes["color"]))
    links = [m for m in models.values() if m["model_name"] == "LinkModel"]
    assert len(links) == 1 + len(view.pieces)
    assert view.renderer.model_id in models and view.renderer.camera.model_id in models


def test_pieces_that_do_not_belong_together_are_refused(last, flattening) -> None:
    with pytest.raises(NotebookViewError, match="options are for style oxford"):
        design_view(STYLES["derby"](), last, parse_options({"style": "oxford"}))
    with pytest.raises(NotebookViewError, match="flattening is of derby"):
        design_view(STYLES["oxford"](), last, parse_options({"style": "oxford"}), flattening)
    with pytest.raises(NotebookViewError, match="on a right last, not of derby on this left last"):
        design_view(STYLES["derby"](), last, flattening=replace(flattening, side="right"))
    with pytest.raises(InputError, match="strain measure 'shear'"):
        design_view(STYLES["derby"](), last, measure="shear")  # type: ignore[arg-type]

"""The design preview GLB: one named mesh and material per piece, the design's colours, metres and +Y up,
under the page's 2 MB budget."""

import io
import json
import struct

import numpy as np
import pytest
import trimesh

from configurator.options import parse_options
from configurator.preview import (
    DEFAULT_SLOT_COLOURS,
    LAST_NODE,
    MAX_PREVIEW_BYTES,
    piece_looks,
    preview_last,
    srgb_hex_to_linear_rgba,
    upper_glb,
)
from configurator.styles.library import STYLES
from tests.lasts.last_samples import FIND_LIKE


@pytest.fixture(scope="module")
def last():
    return preview_last(FIND_LIKE.with_values(side="right"))


def _gltf_json(glb: bytes) -> dict:
    assert glb[:4] == b"glTF"
    length = struct.unpack("<I", glb[12:16])[0]
    return json.loads(glb[20 : 20 + length])


@pytest.mark.parametrize("name", sorted(STYLES))
def test_every_piece_is_one_named_mesh_with_its_colour_under_2_mb(name: str, last) -> None:
    style = STYLES[name]()
    first = style.pieces[0]
    options = parse_options({
        "style": name,
        "pieces": {first.name: {"material": "full-grain-cowhide-a", "colour": "#c0302a"}},
    })  # fmt: skip
    glb = upper_glb(style, last, options)
    assert len(glb) <= MAX_PREVIEW_BYTES
    scene = trimesh.load(io.BytesIO(glb), file_type="glb")
    names = [piece.name for piece in style.pieces]
    assert sorted(scene.geometry) == sorted([LAST_NODE, *names])
    assert sorted(scene.graph.nodes_geometry) == sorted([LAST_NODE, *names])
    looks = {look.name: look for look in piece_looks(style, options)}
    assert looks[first.name].colour == "#c0302a" and looks[first.name].source == "piece"
    for piece in names:
        mesh = scene.geometry[piece]
        assert mesh.visual.material.name == piece
        expected = np.array(srgb_hex_to_linear_rgba(looks[piece].colour)) * 255
        assert np.allclose(mesh.visual.material.baseColorFactor, expected, atol=1.0), piece
    # metres, +Y up: the last stands on y = 0, about 0.27 m long along +x
    lo, hi = scene.bounds
    assert -0.002 < lo[1] < 0.002 and 0.25 < hi[0] - lo[0] < 0.30 and hi[1] < 0.2
    gltf = _gltf_json(glb)
    assert [m["name"] for m in gltf["materials"]] == [LAST_NODE, *names]
    assert gltf["scenes"][0]["extras"]["pieces"][first.name]["colour"] == "#c0302a"


def test_slot_choices_and_defaults_colour_the_pieces_without_their_own(last) -> None:
    options = parse_options(
        {"style": "low_top_sneaker", "pieces": {"overlay": {"material": "suede-cowhide-b", "colour": "#112233"}}}
    )
    looks = {look.name: look for look in piece_looks(STYLES["low_top_sneaker"](), options)}
    assert looks["mudguard"].colour == "#112233" and looks["mudguard"].source == "slot"
    assert looks["vamp"].colour == DEFAULT_SLOT_COLOURS["upper"] and looks["vamp"].material is None


def test_srgb_to_linear_matches_the_standard_curve() -> None:
    assert srgb_hex_to_linear_rgba("#ffffff") == [1.0, 1.0, 1.0, 1.0]
    assert srgb_hex_to_linear_rgba("#000000")[:3] == [0.0, 0.0, 0.0]
    assert srgb_hex_to_linear_rgba("#808080")[0] == pytest.approx(0.2158605, abs=1e-6)

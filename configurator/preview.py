"""The 3D preview of a design: the upper's pieces on the last, as one GLB for the configurator page.

One mesh, one node and one material per piece, each named after the piece (``vamp``, ``quarter_medial``, ...),
so the page recolours a piece by name without fetching anything; a geometry change (style, last) needs a
new GLB. The last is one more mesh, ``last``, in a neutral material. Like the last's own GLB
(:mod:`lasts.export`) the file is in metres with +Y up, as glTF fixes (glTF 2.0, "Coordinate System and
Units"). Base colours are the design's sRGB hex colours converted to linear RGB, which is what glTF's
``baseColorFactor`` holds; the sRGB hex of each piece is also in the scene's ``extras`` (``pieces``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import trimesh
from trimesh.exchange.gltf import export_glb
from trimesh.visual.material import PBRMaterial
from trimesh.visual.texture import TextureVisuals

from configurator.options import DesignOptions
from configurator.styles.model import Style
from configurator.upper import lay_style
from lasts.export import GLB_METRES_PER_MM, Z_UP_TO_GLTF_Y_UP
from lasts.model import LastMesh, LastParameters, build_last
from lasts.pose import pose_last

PREVIEW_FACE_COUNT = 12_000  # the last's mesh for the preview: smooth enough on screen, small on the wire
LAST_NODE = "last"
LAST_COLOUR = "#d9d4cc"  # a neutral, light last so the pieces read against it
# Colours a piece shows when the design names none for it or its material slot (sRGB hex).
DEFAULT_SLOT_COLOURS: Mapping[str, str] = {
    "upper": "#6b4a2f",
    "overlay": "#4a3424",
    "tongue": "#7a5a3a",
    "elastic": "#2a2a2a",
}
FALLBACK_COLOUR = "#808080"
# The pieces stand this far off the last along its normals: a leather's thickness, and no z-fighting.
PIECE_OFFSET_MM = 0.8
MAX_PREVIEW_BYTES = 2 * 1024 * 1024  # the page's budget for one GLB


@dataclass(frozen=True)
class PieceLook:
    """How one piece is shown: its sRGB colour, the material it is made of and where the choice came from."""

    name: str
    material_slot: str
    colour: str  # sRGB hex, #rrggbb
    material: str | None  # catalogue id, None when the design chose nothing for it
    source: str  # "piece", "slot" or "default"


def preview_last(params: LastParameters) -> LastMesh:
    """The posed last at preview resolution (about :data:`PREVIEW_FACE_COUNT` faces), mm."""
    return pose_last(build_last(params, PREVIEW_FACE_COUNT))


def piece_looks(style: Style, options: DesignOptions) -> list[PieceLook]:
    """Each piece's colour and material: its own choice, else its material slot's, else the slot default."""
    looks = []
    for spec in style.pieces:
        for key, source in ((spec.name, "piece"), (spec.material_slot, "slot")):
            choice = options.pieces.get(key)
            if choice is not None:
                looks.append(PieceLook(spec.name, spec.material_slot, choice.colour, choice.material, source))
                break
        else:
            colour = DEFAULT_SLOT_COLOURS.get(spec.material_slot, FALLBACK_COLOUR)
            looks.append(PieceLook(spec.name, spec.material_slot, colour, None, "default"))
    return looks


def srgb_hex_to_linear_rgba(colour: str) -> list[float]:
    """``#rrggbb`` (sRGB) → [r, g, b, 1] in linear light, 0..1 (glTF's ``baseColorFactor``)."""
    srgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float64) / 255.0
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    return [round(float(c), 6) for c in linear] + [1.0]


def _gltf_mesh(vertices_mm: np.ndarray, faces: np.ndarray, name: str, colour: str, roughness: float) -> trimesh.Trimesh:
    material = PBRMaterial(
        name=name,
        baseColorFactor=srgb_hex_to_linear_rgba(colour),
        metallicFactor=0.0,
        roughnessFactor=roughness,
        doubleSided=True,  # pieces are open surfaces: their inside shows at the topline
    )
    vertices_m = vertices_mm @ Z_UP_TO_GLTF_Y_UP.T * GLB_METRES_PER_MM
    mesh = trimesh.Trimesh(vertices_m, faces, process=False)
    mesh.visual = TextureVisuals(material=material)
    return mesh


def upper_glb(style: Style, last: LastMesh, options: DesignOptions) -> bytes:
    """The design's preview GLB: the last (node ``last``) and one node, mesh and material per piece of
    ``style`` laid on ``last`` (node and material named after the piece), in metres with +Y up.

    last : the posed last, mm (:func:`preview_last` gives one at preview resolution; a finer last gives a
        bigger file: about 80 bytes per face)
    options : the design; each piece's colour comes from :func:`piece_looks`
    """
    looks = {look.name: look for look in piece_looks(style, options)}
    scene = trimesh.Scene(
        metadata={
            "style": style.name,
            "units": "m",
            "up_axis": "+y",
            "toe_axis": "+x",
            "pieces": {
                name: {"colour": look.colour, "material": look.material, "material_slot": look.material_slot}
                for name, look in looks.items()
            },
        }
    )
    scene.add_geometry(
        _gltf_mesh(last.vertices, last.faces, LAST_NODE, LAST_COLOUR, 0.9), geom_name=LAST_NODE, node_name=LAST_NODE
    )
    for patch in lay_style(style, last):
        normals = trimesh.Trimesh(patch.vertices, patch.faces, process=False).vertex_normals
        vertices = patch.vertices + PIECE_OFFSET_MM * normals
        look = looks[patch.name]
        mesh = _gltf_mesh(vertices, patch.faces, patch.name, look.colour, 0.6)
        scene.add_geometry(mesh, geom_name=patch.name, node_name=patch.name)
    # Smooth vertex normals: a viewer shades a normal-less mesh flat, which shows every facet.
    glb: bytes = export_glb(scene, include_normals=True)
    return glb

"""A design in Jupyter: its last, its pieces in their colours and, from a flattening, their strain.

:func:`design_view` builds a pythreejs scene from the same geometry as the configurator's preview GLB
(:mod:`configurator.preview`): the posed last, and each piece laid on it (:func:`configurator.upper.lay_style`)
and lifted :data:`~configurator.preview.PIECE_OFFSET_MM` off it along its normals, in metres with +Y up
(glTF's frame, :mod:`lasts.export`). Given a flattening of the style on the same last
(:func:`configurator.pattern_making.flatten_style`), the pieces shown are the flattening's own: the patches
it measured, split and darted as the pattern maker did, so each vertex's strain colour comes from the
faces the strain report was computed on, not from a resampling.

Needs the ``notebook`` extra (pythreejs, ipywidgets); nothing else in the package imports this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import trimesh

try:
    import ipywidgets
    import pythreejs as three
    from ipywidgets.embed import dependency_state
except ImportError as exc:  # the extra is optional: say which one to install
    raise ImportError(f"configurator.notebook needs the notebook extra: pip install -e '.[notebook]' ({exc})") from exc

from configurator.options import DesignOptions, parse_options
from configurator.pattern_making import AREA_BUDGET_PCT, EDGE_P99_BUDGET_PCT, FlatPiece, StyleFlattening
from configurator.preview import LAST_COLOUR, LAST_NODE, PIECE_OFFSET_MM, PieceLook, piece_looks
from configurator.styles.model import Style
from configurator.upper import lay_style
from geometry.errors import InputError
from geometry.exchange.svg_colours import ramp_rgb
from geometry.flattening import face_area_change_pct, face_edge_strain_pct
from lasts.export import GLB_METRES_PER_MM, Z_UP_TO_GLTF_Y_UP
from lasts.model import LastMesh

StrainMeasure = Literal["edge", "area"]
STRAIN_MEASURES: tuple[StrainMeasure, ...] = ("edge", "area")
# The strain ramp (sRGB, 0..1): none → half the piece's budget → at or over the budget.
STRAIN_RAMP = np.array([[0.17, 0.48, 0.71], [1.0, 1.0, 0.75], [0.84, 0.10, 0.11]])
CAMERA_FOV_DEG = 35.0
# Where the camera looks from, in glTF's frame (x toe, y up, +z here the lateral side): beside the lateral
# side, a little towards the toe and above.
CAMERA_DIRECTION = np.array([0.45, 0.55, 1.0])
FRAME_FILL = 0.9  # the framed last spans this share of the picture's height or width
LAST_ROUGHNESS = 0.9  # as the preview GLB's materials
PIECE_ROUGHNESS = 0.6


class NotebookViewError(InputError):
    """A view asked of pieces that do not belong together (a flattening of another style, foot or last)."""

    code = "notebook_view_error"


@dataclass(frozen=True)
class DesignView:
    """The scene and its controls; a notebook cell ending with one shows both (``widget``)."""

    renderer: three.Renderer
    controls: ipywidgets.VBox  # strain toggle, legend, one visibility box per mesh
    widget: ipywidgets.VBox  # the controls above the renderer
    last: three.Mesh
    pieces: dict[str, three.Mesh]  # by piece name, in the style's (or the flattening's) order
    colour_materials: dict[str, three.MeshStandardMaterial]
    strain_toggle: ipywidgets.ToggleButton
    visibility: dict[str, ipywidgets.Checkbox]  # by mesh name: the last and each piece
    links: tuple[ipywidgets.Link, ...] = ()  # the visibility boxes' browser-side links to the meshes
    strain_pct: dict[str, np.ndarray] = field(default_factory=dict)  # per piece, (n,) per vertex; empty: none

    def state(self) -> dict[str, Any]:
        """The widget state to embed in a page (``ipywidgets.embed.embed_minimal_html(..., state=...)``): the
        view and its links, so the visibility boxes work there too (the strain toggle needs a kernel)."""
        state: dict[str, Any] = dependency_state([self.widget, *self.links], drop_defaults=True)
        return state

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def gltf_frame_m(vertices_mm: np.ndarray) -> np.ndarray:
    """(n, 3) mm in the last's frame (z up) → (n, 3) float32 metres in glTF's (+Y up), as the GLBs are."""
    metres: np.ndarray = np.asarray(vertices_mm, dtype=np.float64) @ Z_UP_TO_GLTF_Y_UP.T * GLB_METRES_PER_MM
    return metres.astype(np.float32)


def lifted_piece_mm(vertices_mm: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """A piece's vertices (n, 3) mm moved :data:`PIECE_OFFSET_MM` along its vertex normals, as the preview does."""
    normals = trimesh.Trimesh(vertices_mm, faces, process=False).vertex_normals
    lifted: np.ndarray = np.asarray(vertices_mm, dtype=np.float64) + PIECE_OFFSET_MM * normals
    return lifted


def vertex_strain_pct(piece: FlatPiece, measure: StrainMeasure = "edge") -> np.ndarray:
    """(n,) per vertex of ``piece.patch``, the 3D-area-weighted mean strain of its faces, in %.

    measure : ``edge`` (per face the largest |l2d / l3d − 1| of its edges, what the p99 budget limits) or
        ``area`` (per face |A2d / A3d − 1|, what the mean area budget limits)
    """
    _check_measure(measure)
    vertices, faces, uv = piece.patch.vertices, piece.patch.faces, piece.uv_mm
    if measure == "edge":
        per_face = face_edge_strain_pct(vertices, faces, uv)
    else:
        per_face = np.abs(face_area_change_pct(vertices, faces, uv))
    area = trimesh.triangles.area(vertices[faces])
    corners = faces.ravel()
    weights = np.repeat(area, 3)
    total = np.bincount(corners, weights * np.repeat(per_face, 3), minlength=len(vertices))
    weight = np.bincount(corners, weights, minlength=len(vertices))
    return np.divide(total, weight, out=np.zeros(len(vertices)), where=weight > 0)


def strain_budget_pct(piece: FlatPiece, measure: StrainMeasure = "edge") -> float:
    """The piece's budget for ``measure`` (docs/patterns.md): where the colour ramp reaches red."""
    _check_measure(measure)
    if measure == "edge":
        return EDGE_P99_BUDGET_PCT
    return AREA_BUDGET_PCT["moulded" if piece.spec.moulded else "flat"]


def strain_colours(strain_pct: np.ndarray, budget_pct: float) -> np.ndarray:
    """(n, 3) float32 sRGB colours 0..1 of strains (n,) %: :data:`STRAIN_RAMP` from 0 to ``budget_pct``,
    red at and over the budget."""
    if budget_pct <= 0:
        raise InputError(f"a strain budget must be positive, got {budget_pct} %")
    return ramp_rgb(np.asarray(strain_pct, dtype=np.float64) / budget_pct, STRAIN_RAMP).astype(np.float32)


def design_view(
    style: Style,
    last: LastMesh,
    options: DesignOptions | None = None,
    flattening: StyleFlattening | None = None,
    measure: StrainMeasure = "edge",
    width_px: int = 800,
    height_px: int = 480,
) -> DesignView:
    """The design on its last as a pythreejs renderer with orbit controls, and a small control panel.

    style : the style (as in :data:`configurator.styles.library.STYLES`)
    last : the posed last, mm (:func:`configurator.preview.preview_last` gives the preview's; a flattening
        must have been made on this very last)
    options : the design; each piece's colour comes from :func:`configurator.preview.piece_looks` (a split
        half takes its style piece's); None: the style's defaults
    flattening : ``flatten_style(style, last)``: its pieces are shown, with per-vertex strain colours
        behind the "strain colours" toggle
    measure : which strain colours the pieces (:func:`vertex_strain_pct`)
    """
    _check_measure(measure)
    options = options if options is not None else parse_options({"style": style.name})
    if options.style != style.name:
        raise NotebookViewError(f"the options are for style {options.style}, not {style.name}", style=style.name)
    if flattening is not None and (flattening.style.name != style.name or flattening.side != last.params.side):
        raise NotebookViewError(
            f"the flattening is of {flattening.style.name} on a {flattening.side} last, not of {style.name} on "
            f"this {last.params.side} last",
            style=style.name,
        )
    looks = {look.name: look for look in piece_looks(style, options)}
    # Pieces the flattening made (split halves) fall back on its style's slots and defaults.
    flat_style = flattening.style if flattening is not None else style
    fallback_looks = {look.name: look for look in piece_looks(flat_style, options)}

    last_mesh = _mesh(LAST_NODE, gltf_frame_m(last.vertices), last.faces, None)
    colour_materials = {LAST_NODE: _material(LAST_COLOUR, LAST_ROUGHNESS)}
    last_mesh.material = colour_materials[LAST_NODE]
    pieces: dict[str, three.Mesh] = {}
    strain: dict[str, np.ndarray] = {}
    if flattening is None:
        for patch in lay_style(style, last):
            pieces[patch.name] = _mesh(patch.name, gltf_frame_m(lifted_piece_mm(patch.vertices, patch.faces)),
                                       patch.faces, None)  # fmt: skip
    else:
        for piece in flattening.pieces:
            name, patch = piece.spec.name, piece.patch
            strain[name] = vertex_strain_pct(piece, measure)
            colours = strain_colours(strain[name], strain_budget_pct(piece, measure))
            pieces[name] = _mesh(name, gltf_frame_m(lifted_piece_mm(patch.vertices, patch.faces)), patch.faces, colours)
    for name, mesh in pieces.items():
        look = looks.get(name) or _split_half_look(name, looks) or fallback_looks[name]
        colour_materials[name] = _material(look.colour, PIECE_ROUGHNESS)
        mesh.material = colour_materials[name]

    renderer = _renderer([last_mesh, *pieces.values()], last, width_px, height_px)
    strain_toggle = ipywidgets.ToggleButton(
        value=False,
        description="strain colours",
        disabled=flattening is None,
        tooltip="per-vertex strain of the flattening" if flattening is not None else "needs a flattening",
    )
    strain_material = three.MeshStandardMaterial(
        color="#ffffff", vertexColors="VertexColors", roughness=PIECE_ROUGHNESS, metalness=0.0, side="DoubleSide"
    )

    def show_strain(change: Mapping[str, Any]) -> None:
        for name, mesh in pieces.items():
            mesh.material = strain_material if change["new"] else colour_materials[name]

    strain_toggle.observe(show_strain, names="value")
    visibility = {}
    links = []
    for mesh in [last_mesh, *pieces.values()]:
        box = ipywidgets.Checkbox(value=True, description=mesh.name, indent=False, layout={"width": "auto"})
        # Linked in the browser: hiding a piece works in an exported page too, with no kernel behind it.
        links.append(ipywidgets.jslink((box, "value"), (mesh, "visible")))
        visibility[mesh.name] = box
    legend = ipywidgets.HTML(_legend_html(flattening, measure))
    controls = ipywidgets.VBox([
        ipywidgets.HBox([strain_toggle, legend]),
        ipywidgets.HBox(list(visibility.values()), layout={"flex_flow": "row wrap"}),
    ])  # fmt: skip
    return DesignView(
        renderer=renderer,
        controls=controls,
        widget=ipywidgets.VBox([controls, renderer]),
        last=last_mesh,
        pieces=pieces,
        colour_materials=colour_materials,
        strain_toggle=strain_toggle,
        visibility=visibility,
        links=tuple(links),
        strain_pct=strain,
    )


def _check_measure(measure: str) -> None:
    if measure not in STRAIN_MEASURES:
        raise InputError(f"strain measure {measure!r}: one of {', '.join(STRAIN_MEASURES)}", measure=measure)


def _split_half_look(name: str, looks: Mapping[str, PieceLook]) -> PieceLook | None:
    """The look of the style piece a split half comes from (``vamp_medial`` → ``vamp``), as the BOM does."""
    for suffix in ("_medial", "_lateral"):
        if name.endswith(suffix) and name.removesuffix(suffix) in looks:
            return looks[name.removesuffix(suffix)]
    return None


def _mesh(name: str, positions_m: np.ndarray, faces: np.ndarray, colours: np.ndarray | None) -> three.Mesh:
    """One indexed mesh with smooth normals (as the GLBs carry) and, when given, per-vertex colours."""
    normals = trimesh.Trimesh(positions_m, faces, process=False).vertex_normals.astype(np.float32)
    attributes = {
        "position": three.BufferAttribute(array=positions_m, normalized=False),
        "normal": three.BufferAttribute(array=normals, normalized=False),
    }
    if colours is not None:
        attributes["color"] = three.BufferAttribute(array=colours, normalized=False)
    geometry = three.BufferGeometry(
        attributes=attributes, index=three.BufferAttribute(array=np.asarray(faces, dtype=np.uint32).ravel())
    )
    return three.Mesh(geometry=geometry, name=name)


def _material(colour: str, roughness: float) -> three.MeshStandardMaterial:
    # Double-sided like the preview's: the pieces are open surfaces whose inside shows at the topline.
    return three.MeshStandardMaterial(color=colour, roughness=roughness, metalness=0.0, side="DoubleSide")


def _renderer(meshes: list[three.Mesh], last: LastMesh, width_px: int, height_px: int) -> three.Renderer:
    """A scene of ``meshes`` with soft light all round, a headlight on the camera, and the camera framed on
    the last, seen from its lateral side, the orbit turning round the last's middle.

    The meshes sit in one group moved so that the middle of the last's box is the origin: the front end's
    orbit controls look at the origin when they are made and take a ``target`` only at the first drag."""
    eye, centre, quaternion, depth = _camera_pose(last, width_px / height_px)
    camera = three.PerspectiveCamera(
        position=(eye - centre).tolist(),
        quaternion=quaternion.tolist(),
        up=[0.0, 1.0, 0.0],
        fov=CAMERA_FOV_DEG,
        aspect=width_px / height_px,
        # Room to orbit and zoom: the last may come ten times nearer or go ten times farther.
        near=0.1 * float(depth.min()),
        far=10.0 * float(depth.max()),
        children=[three.DirectionalLight(color="#ffffff", position=[0.3, 1.0, 0.5], intensity=0.6)],
    )
    design = three.Group(children=meshes, position=(-centre).tolist(), name="design")
    scene = three.Scene(
        children=[design, camera, three.AmbientLight(color="#ffffff", intensity=0.55)], background="#f4f2ee"
    )
    orbit = three.OrbitControls(controlling=camera, target=[0.0, 0.0, 0.0])
    return three.Renderer(
        camera=camera, scene=scene, controls=[orbit], width=width_px, height=height_px, antialias=True
    )


def _camera_pose(last: LastMesh, aspect: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(eye (3,) m, target (3,) m, quaternion (x, y, z, w), depth (n,) m of each last vertex) of a camera
    looking at the middle of the last's box from :data:`CAMERA_DIRECTION` (on the lateral side), at the
    distance where the last fills :data:`FRAME_FILL` of the picture's height or width."""
    points = gltf_frame_m(last.vertices).astype(np.float64)
    target = 0.5 * (points.min(axis=0) + points.max(axis=0))
    # glTF's z is the last's −y; the lateral feather line tells which side of y the lateral side is.
    lateral_z = -np.sign(last.feather_lateral[:, 1].mean() - last.feather_medial[:, 1].mean()) or 1.0
    back = CAMERA_DIRECTION * np.array([1.0, 1.0, lateral_z])
    back /= np.linalg.norm(back)  # the camera's +z: it looks down its −z, at the target
    right = np.cross([0.0, 1.0, 0.0], back)
    right /= np.linalg.norm(right)
    up = np.cross(back, right)
    relative = points - target
    half_height = FRAME_FILL * np.tan(np.radians(CAMERA_FOV_DEG) / 2.0)
    toward = relative @ back  # how much nearer to the camera than the target each vertex is
    distance = float(
        np.max(
            np.maximum(np.abs(relative @ up) / half_height, np.abs(relative @ right) / (half_height * aspect)) + toward
        )
    )
    rotation = np.eye(4)
    rotation[:3, :3] = np.column_stack([right, up, back])
    w, x, y, z = trimesh.transformations.quaternion_from_matrix(rotation)
    return target + distance * back, target, np.array([x, y, z, w]), distance - toward


def _legend_html(flattening: StyleFlattening | None, measure: StrainMeasure) -> str:
    """The ramp and each piece's figure from the strain report (p99 edge strain, or mean area change)."""
    if flattening is None:
        return "<span>no flattening: colours only</span>"
    stops = ", ".join(f"rgb({', '.join(str(round(255 * c)) for c in rgb)})" for rgb in STRAIN_RAMP)
    ramp = (
        f'<span style="display:inline-block;width:90px;height:10px;background:linear-gradient(90deg, {stops})"></span>'
    )
    if measure == "edge":
        what = f"edge strain 0 → {EDGE_P99_BUDGET_PCT:g} %"
        figures = ", ".join(f"{p.spec.name} p99 {p.strain.edge_strain_p99_pct:.1f} %" for p in flattening.pieces)
    else:
        what = "area change 0 → budget"
        figures = ", ".join(f"{p.spec.name} mean {p.strain.area_change_mean_pct:.1f} %" for p in flattening.pieces)
    return f"<span>{ramp} {what}; {figures}</span>"

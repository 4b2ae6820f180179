"""A last's files for the workshop: the mesh for milling or 3D printing, its parameters and its drawing.

STL, OBJ and 3MF are written in millimetres in the last's own frame (bottom on z = 0, heel at x = 0, toe
along +x, z up), which is what CAM and slicer software expect. GLB is for viewers, and glTF fixes metres and
+Y up (glTF 2.0 spec, "Coordinate System and Units"): every glTF viewer assumes both, so the GLB is scaled
to metres and turned so that the last stands on its bottom there too.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import trimesh
from trimesh.exchange.gltf import export_glb
from trimesh.exchange.obj import export_obj
from trimesh.exchange.stl import export_stl
from trimesh.exchange.threemf import export_3MF

from geometry.errors import UnsupportedFormatError

LastMeshFormat = Literal["stl", "obj", "3mf", "glb"]
LAST_MESH_FORMATS: tuple[LastMeshFormat, ...] = ("stl", "obj", "3mf", "glb")

GLB_METRES_PER_MM = 0.001
# (x, y, z) → (x, z, -y): the last's z-up frame into glTF's y-up one; a rotation, so windings stay outward.
Z_UP_TO_GLTF_Y_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])

_STL_HEADER_BYTES = 80


def last_mesh_bytes(vertices: np.ndarray, faces: np.ndarray, fmt: str, name: str) -> bytes:
    """The last's mesh as one file's bytes: binary STL, OBJ or 3MF in mm, or GLB in metres with +Y up.

    vertices : (n, 3) float, mm, in the standing (or posed) last frame, z up
    faces : (m, 3) int, outward-facing triangles (written as given: the exporter repairs nothing)
    fmt : one of :data:`LAST_MESH_FORMATS` (case-insensitive)
    name : the last's name, stored where the format has a place for it (STL header, OBJ object,
        3MF object, glTF node)
    """
    fmt_key = fmt.lower().lstrip(".")
    if fmt_key not in LAST_MESH_FORMATS:
        raise UnsupportedFormatError(
            f"a last cannot be written as {fmt!r}: the formats are {', '.join(LAST_MESH_FORMATS)}", format=fmt
        )
    vertices_mm, faces = _checked_mesh(vertices, faces)
    label = _one_line(name)
    if fmt_key == "glb":
        vertices_m = vertices_mm @ Z_UP_TO_GLTF_Y_UP.T * GLB_METRES_PER_MM
        scene = trimesh.Scene(metadata={"last": label, "units": "m", "up_axis": "+y", "toe_axis": "+x"})
        scene.add_geometry(trimesh.Trimesh(vertices_m, faces, process=False), geom_name=label, node_name=label)
        # Smooth vertex normals: a viewer shades a normal-less mesh flat, which shows every facet.
        glb: bytes = export_glb(scene, include_normals=True)
        return glb
    mesh = trimesh.Trimesh(vertices_mm, faces, process=False, metadata={"name": label})
    if fmt_key == "stl":
        data = export_stl(mesh)
        # trimesh leaves the header zero; ours names the last and its units (and never starts with "solid").
        header = f"CSPMS last {label}; units mm".encode("ascii", errors="replace")[:_STL_HEADER_BYTES]
        return header.ljust(_STL_HEADER_BYTES, b" ") + data[_STL_HEADER_BYTES:]
    if fmt_key == "obj":
        text: str = export_obj(
            mesh,
            include_normals=False,
            include_color=False,
            include_texture=False,
            header=f"CSPMS last {label}, units mm",
        )
        return text.encode("utf-8")
    # 3MF: trimesh writes <model unit="millimeter">, which is also the spec's default when unit is absent.
    scene = trimesh.Scene()
    scene.add_geometry(mesh, geom_name=label, node_name=label)
    three_mf: bytes = export_3MF(scene)
    return three_mf


def _checked_mesh(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces)
    if vertices.ndim != 2 or vertices.shape[1] != 3 or len(vertices) == 0:
        raise ValueError(f"vertices must be a non-empty (n, 3) array, got shape {vertices.shape}")
    if faces.ndim != 2 or faces.shape[1] != 3 or len(faces) == 0 or not np.issubdtype(faces.dtype, np.integer):
        raise ValueError(f"faces must be a non-empty (m, 3) integer array, got shape {faces.shape} {faces.dtype}")
    if not np.isfinite(vertices).all():
        raise ValueError("vertices hold NaN or infinite coordinates")
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise ValueError(f"faces refer to vertex {int(faces.max())} of {len(vertices)} (or a negative index)")
    return vertices, faces.astype(np.int64)


def _one_line(name: str) -> str:
    """The name as one printable line: it lands in headers and XML attributes."""
    return " ".join(name.split()) or "last"

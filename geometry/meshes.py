"""Triangle-mesh repair: connected parts, small holes, areas. Vectorised (scipy, trimesh, open3d)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geometry.arrays import BoolArray, FloatArray, IndexArray

if TYPE_CHECKING:
    import open3d as o3d


def weld_vertices(vertices: FloatArray, faces: IndexArray, decimals: int = 9) -> tuple[FloatArray, IndexArray]:
    """Merge vertices with equal coordinates (STL repeats every corner per triangle) and drop faces that
    collapse. Returns the welded vertices (k, 3) and faces (m', 3)."""
    _, index, inverse = np.unique(np.round(vertices, decimals), axis=0, return_index=True, return_inverse=True)
    faces = inverse.reshape(-1)[faces]
    valid = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    return vertices[index], faces[valid]


def face_component_labels(faces: IndexArray, vertex_count: int) -> IndexArray:
    """Connected parts of a mesh (faces sharing a vertex are connected).

    faces : (m, 3) int; returns (m,) int labels: 0 = the part with most faces, 1 = the next, ...
    """
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]]])
    graph = coo_matrix(
        (np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(vertex_count, vertex_count)
    )
    _, vertex_labels = connected_components(graph, directed=False)
    labels = vertex_labels[faces[:, 0]]
    unique, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    rank = np.empty(len(unique), dtype=np.int64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(len(unique))
    return rank[inverse]


def triangle_areas(vertices: FloatArray, faces: IndexArray) -> FloatArray:
    """(m,) area of each triangle, in squared input units."""
    tri = vertices[faces]
    areas: FloatArray = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    return areas


def face_normals(vertices: FloatArray, faces: IndexArray) -> FloatArray:
    """(m, 3) unit normal of each triangle (zero for degenerate ones)."""
    tri = vertices[faces]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    norms: FloatArray = np.linalg.norm(cross, axis=1, keepdims=True)
    return np.divide(cross, norms, out=np.zeros_like(cross), where=norms > 0)


def keep_faces(vertices: FloatArray, faces: IndexArray, mask: BoolArray) -> tuple[FloatArray, IndexArray]:
    """The sub-mesh of the faces in ``mask`` with unused vertices dropped and indices remapped."""
    kept = faces[mask]
    used, inverse = np.unique(kept, return_inverse=True)
    return vertices[used], inverse.reshape(-1, 3)


def fill_small_holes(vertices: FloatArray, faces: IndexArray, max_hole_size: float) -> tuple[FloatArray, IndexArray]:
    """Close holes whose boundary is shorter than ``max_hole_size`` (input units), with open3d."""
    import open3d as o3d  # imported when used: it costs a second to load
    mesh = o3d.t.geometry.TriangleMesh(
        open3d_tensor(np.ascontiguousarray(vertices, dtype=np.float64), o3d.core.float64),
        open3d_tensor(np.ascontiguousarray(faces, dtype=np.int64), o3d.core.int64),
    )
    filled = mesh.fill_holes(hole_size=max_hole_size)
    return filled.vertex.positions.numpy().astype(np.float64), filled.triangle.indices.numpy().astype(np.int64)


def open3d_tensor(array: np.ndarray, dtype: o3d.core.Dtype) -> o3d.core.Tensor:
    """An open3d tensor holding a copy of ``array`` (of that ``dtype``) on the CPU."""
    import open3d as o3d  # imported when used: it costs a second to load

    # open3d's stubs want a tensor's dtype and device spelt out; at run time they default to the array's and the CPU.
    return o3d.core.Tensor(array, dtype, o3d.core.Device("CPU:0"))

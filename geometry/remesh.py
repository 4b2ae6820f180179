"""Even triangles for a flattened patch: re-triangulate it in its own flat layout, keep its boundary.

A patch cut from a lofted last inherits the last's grid: long thin triangles where the sections crowd
together at the toe and heel, and a fan of slivers round each pole. Flattening is fine with them, but
their tiny edges make the strain statistics noisy. Re-triangulating the interior in the patch's flat
(u, v) layout with Shewchuk's Triangle (quality mesh, no new points on the boundary) and lifting the new
points back onto the 3D patch (barycentric, through the old flat layout) gives even triangles on the same
surface, with the boundary vertices (and so the seams shared with the neighbours) untouched.
"""

from __future__ import annotations

import numpy as np
import shapely
import triangle

from geometry.arrays import FloatArray, IndexArray
from geometry.errors import InputError


class RemeshError(InputError):
    """A patch layout that cannot be re-triangulated (self-touching boundary)."""

    code = "remesh_error"


def remesh_patch(
    vertices_mm: FloatArray,
    faces: IndexArray,
    uv_mm: FloatArray,
    boundary_loop: IndexArray,
    edge_mm: float = 2.5,
    min_angle_deg: float = 28.0,
) -> tuple[FloatArray, IndexArray]:
    """(vertices (n', 3), faces (m', 3)) of the same patch with even interior triangles of about ``edge_mm``.

    The first ``len(boundary_loop)`` new vertices are the boundary loop's, in loop order: a position in the
    old loop is the same position (and vertex index) in the new one.
    """
    loop = np.asarray(boundary_loop, dtype=np.int64)
    k = len(loop)
    outline = np.asarray(uv_mm, dtype=np.float64)[loop]
    segments = np.column_stack([np.arange(k), (np.arange(k) + 1) % k])
    max_area = float(np.sqrt(3.0) / 4.0 * edge_mm**2)
    try:
        mesh = triangle.triangulate(
            {"vertices": outline, "segments": segments}, f"pq{min_angle_deg:g}a{max_area:.6f}YQ"
        )
    except RuntimeError as exc:  # Triangle refuses self-intersecting input
        raise RemeshError(f"the flat patch cannot be re-triangulated: {exc}") from None
    new_uv = mesh["vertices"]
    new_faces = np.asarray(mesh["triangles"], dtype=np.int64)
    if len(new_uv) < k or not np.allclose(new_uv[:k], outline):
        raise RemeshError("Triangle moved the patch's boundary")
    inner_uv = new_uv[k:]
    lifted = _lift(vertices_mm, faces, uv_mm, inner_uv)
    vertices = np.concatenate([np.asarray(vertices_mm, dtype=np.float64)[loop], lifted])
    # Triangle writes counter-clockwise triangles; keep the patch's own winding.
    if _signed_area(uv_mm, faces) < 0:
        new_faces = new_faces[:, ::-1]
    return vertices, new_faces


def _signed_area(uv: FloatArray, faces: IndexArray) -> float:
    a, b, c = uv[faces[:, 0]], uv[faces[:, 1]], uv[faces[:, 2]]
    u, v = b - a, c - a
    return float((u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]).sum())


def _lift(vertices: FloatArray, faces: IndexArray, uv: FloatArray, points: FloatArray) -> FloatArray:
    """3D points of flat ``points`` by barycentric interpolation in the old flat triangle containing each."""
    if len(points) == 0:
        return np.zeros((0, 3))
    # An array of coordinates makes an array of polygons (the stubs also allow a single Polygon).
    triangles = np.asarray(shapely.polygons(uv[faces]))
    tree = shapely.STRtree(triangles)
    point_index, tri_index = tree.query(shapely.points(points), predicate="intersects")
    owner = np.full(len(points), -1, dtype=np.int64)
    owner[point_index[::-1]] = tri_index[::-1]  # the first hit wins
    missing = owner < 0
    if missing.any():  # a point on no triangle (float noise at a concave corner): take the nearest
        owner[missing] = tree.nearest(shapely.points(points[missing]))
    tri = faces[owner]
    a, b, c = uv[tri[:, 0]], uv[tri[:, 1]], uv[tri[:, 2]]
    v0, v1, v2 = b - a, c - a, points - a
    d00 = (v0 * v0).sum(1)
    d01 = (v0 * v1).sum(1)
    d11 = (v1 * v1).sum(1)
    d20 = (v2 * v0).sum(1)
    d21 = (v2 * v1).sum(1)
    denominator = d00 * d11 - d01 * d01
    w1 = (d11 * d20 - d01 * d21) / denominator
    w2 = (d00 * d21 - d01 * d20) / denominator
    w0 = 1.0 - w1 - w2
    weights = np.clip(np.column_stack([w0, w1, w2]), 0.0, 1.0)
    weights /= weights.sum(axis=1, keepdims=True)
    corners = vertices[tri]  # (p, 3, 3)
    lifted: FloatArray = np.einsum("pk,pkd->pd", weights, corners)
    return lifted

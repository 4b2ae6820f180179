"""Plane sections of meshes, and tape-measure girths.

A girth is measured as a tape would: pulled tight around the section, so it bridges concavities. That is
the perimeter of the convex hull of the section, computed in the cutting plane.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from geometry.arrays import FloatArray, IndexArray


def plane_basis(normal: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Two unit vectors (3,) spanning the plane with this normal, right-handed with it."""
    n = np.asarray(normal, dtype=np.float64)
    n = n / np.linalg.norm(n)
    helper = np.array([1.0, 0.0, 0.0]) if abs(n[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = np.cross(n, helper)
    u /= np.linalg.norm(u)
    return u, np.cross(n, u)


def mesh_plane_section(vertices: FloatArray, faces: IndexArray, origin: FloatArray, normal: FloatArray) -> FloatArray:
    """Segments where a triangle mesh crosses a plane.

    vertices : (n, 3) float, mm; faces : (m, 3) int
    returns : (k, 2, 3) float, mm, the segment end points (k = 0 when the plane misses)
    """
    n = np.asarray(normal, dtype=np.float64)
    n = n / np.linalg.norm(n)
    distance = (vertices - origin) @ n
    below = distance < 0
    # Cheap boolean test first: a face crosses when its corners are not all on one side.
    side = below[faces]
    crossing = (side[:, 0] != side[:, 1]) | (side[:, 1] != side[:, 2])
    if not crossing.any():
        return np.empty((0, 2, 3))
    tri_d = distance[faces[crossing]]
    tri_v = vertices[faces[crossing]]  # (c, 3, 3)
    # Each crossing triangle has exactly two edges whose ends lie on opposite sides.
    starts = np.array([0, 1, 2])
    ends = np.array([1, 2, 0])
    d0 = tri_d[:, starts]
    d1 = tri_d[:, ends]
    cuts = (d0 < 0) != (d1 < 0)  # (c, 3) edges crossing (a corner exactly on the plane counts above)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(cuts, d0 / (d0 - d1), 0.0)
    points = tri_v[:, starts] + t[..., None] * (tri_v[:, ends] - tri_v[:, starts])  # (c, 3, 3)
    order = np.argsort(~cuts, axis=1, kind="stable")[:, :2]  # the two crossing edges first
    return np.take_along_axis(points, order[..., None], axis=1)


def hull_perimeter_mm(points: FloatArray, origin: FloatArray, normal: FloatArray) -> float:
    """Perimeter of the convex hull of points lying in a plane (a tape pulled around them).

    points : (k, 3) float, mm, on or near the plane; returns 0.0 for fewer than 3 distinct points.
    """
    flat = to_plane_2d(points, origin, normal)
    if len(flat) < 3:
        return 0.0
    try:
        hull = ConvexHull(flat)
    except QhullError:  # all points on a line
        return 0.0
    ring = flat[hull.vertices]
    return float(np.linalg.norm(np.roll(ring, -1, axis=0) - ring, axis=1).sum())


def hull_ring_3d(points: FloatArray, origin: FloatArray, normal: FloatArray) -> FloatArray:
    """The convex hull of in-plane points as an ordered ring (h, 3), mm (for drawing girth lines)."""
    flat = to_plane_2d(points, origin, normal)
    if len(flat) < 3:
        return np.empty((0, 3))
    try:
        hull = ConvexHull(flat)
    except QhullError:
        return np.empty((0, 3))
    u, v = plane_basis(normal)
    ring = flat[hull.vertices]
    return origin + ring[:, :1] * u + ring[:, 1:] * v


def to_plane_2d(points: FloatArray, origin: FloatArray, normal: FloatArray) -> FloatArray:
    """Coordinates (k, 2) of points in the plane's own basis (``plane_basis``)."""
    u, v = plane_basis(normal)
    rel = np.asarray(points, dtype=np.float64).reshape(-1, 3) - origin
    return np.column_stack([rel @ u, rel @ v])

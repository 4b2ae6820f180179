"""Cutting a triangle mesh along the zero level of a scalar field (a style line on the last).

``clip_mesh`` keeps the part of a mesh where a per-vertex field is ≤ 0, splitting the triangles the zero
level crosses. A new vertex on an edge is keyed by the edge, so two complementary cuts (the field and its
negative, the two pieces either side of a seam) create the very same boundary vertices: their seams match
point for point. Vertices that sit almost on the line are snapped onto it first, so the cut leaves no
sliver triangles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClippedMesh:
    vertices: np.ndarray  # (k, 3)
    faces: np.ndarray  # (j, 3)
    attributes: np.ndarray  # (k, a): the caller's per-vertex attributes, interpolated like the positions
    on_boundary: np.ndarray  # (k,) bool: the vertex lies on the zero level (the cut)
    parent_edges: np.ndarray  # (k, 2): source vertices (a, b) and a new vertex lies between; (v, v) for kept ones
    parent_weight: np.ndarray  # (k,): share of b in a new vertex (0 for kept ones)


def snap_field(field: np.ndarray, faces: np.ndarray, snap_share: float = 0.15) -> np.ndarray:
    """The field with values set to 0 at vertices that a crossing edge would cut within ``snap_share`` of
    their length: the cut then passes through the vertex instead of leaving a sliver beside it."""
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    fa, fb = field[edges[:, 0]], field[edges[:, 1]]
    crossing = (fa * fb) < 0
    share = np.abs(fa[crossing]) / np.abs(fa[crossing] - fb[crossing])
    snapped = field.copy()
    near_a = edges[crossing][share < snap_share, 0]
    near_b = edges[crossing][share > 1.0 - snap_share, 1]
    snapped[near_a] = 0.0
    snapped[near_b] = 0.0
    return snapped


def clip_mesh(
    vertices: np.ndarray,
    faces: np.ndarray,
    field: np.ndarray,
    attributes: np.ndarray | None = None,
    snap_share: float = 0.15,
) -> ClippedMesh:
    """The part of the mesh where ``field`` ≤ 0, with the crossed triangles split along the zero level.

    vertices : (n, 3) float; faces : (m, 3) int; field : (n,) float (negative inside);
    attributes : optional (n, a) float carried to the new vertices by linear interpolation.
    """
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    field = snap_field(np.asarray(field, dtype=np.float64), faces, snap_share)
    attrs = np.zeros((len(vertices), 0)) if attributes is None else np.asarray(attributes, dtype=np.float64)
    if attrs.ndim == 1:
        attrs = attrs[:, None]
    inside = field <= 0.0
    count = inside[faces].sum(axis=1)
    strict = (field[faces] < 0.0).any(axis=1) | (count == 3)
    kept_faces = [faces[(count == 3)]]
    mixed = faces[(count > 0) & (count < 3) & strict]
    new_index: dict[tuple[int, int], int] = {}
    new_parents: list[tuple[int, int, float]] = []
    n = len(vertices)

    def crossing(a: int, b: int) -> int:
        key = (a, b) if a < b else (b, a)
        found = new_index.get(key)
        if found is None:
            fa, fb = field[key[0]], field[key[1]]
            found = n + len(new_parents)
            new_index[key] = found
            new_parents.append((key[0], key[1], fa / (fa - fb)))
        return found

    extra = []
    for tri in mixed.tolist():
        polygon: list[int] = []
        for corner in range(3):
            a, b = tri[corner], tri[(corner + 1) % 3]
            fa, fb = field[a], field[b]
            if fa <= 0.0:
                polygon.append(a)
            if (fa < 0.0 < fb) or (fb < 0.0 < fa):
                polygon.append(crossing(a, b))
        for k in range(1, len(polygon) - 1):  # a fan: the clipped triangle is a triangle or a quad
            extra.append((polygon[0], polygon[k], polygon[k + 1]))
    if extra:
        kept_faces.append(np.array(extra, dtype=np.int64))
    all_faces = np.concatenate(kept_faces) if kept_faces else np.zeros((0, 3), dtype=np.int64)
    parents = np.array(new_parents, dtype=np.float64).reshape(-1, 3)
    a_idx, b_idx, weight = parents[:, 0].astype(np.int64), parents[:, 1].astype(np.int64), parents[:, 2]
    new_vertices = vertices[a_idx] * (1.0 - weight)[:, None] + vertices[b_idx] * weight[:, None]
    new_attrs = attrs[a_idx] * (1.0 - weight)[:, None] + attrs[b_idx] * weight[:, None]
    full_vertices = np.concatenate([vertices, new_vertices])
    full_attrs = np.concatenate([attrs, new_attrs])
    full_parents = np.concatenate([np.repeat(np.arange(n)[:, None], 2, axis=1), np.stack([a_idx, b_idx], 1)])
    full_weight = np.concatenate([np.zeros(n), weight])
    full_boundary = np.concatenate([field == 0.0, np.ones(len(new_vertices), dtype=bool)])
    # Drop degenerate triangles (two corners the same) and unused vertices.
    a, b, c = all_faces[:, 0], all_faces[:, 1], all_faces[:, 2]
    good = (a != b) & (b != c) & (a != c)
    all_faces = all_faces[good]
    used = np.unique(all_faces)
    remap = np.full(len(full_vertices), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return ClippedMesh(
        vertices=full_vertices[used],
        faces=remap[all_faces],
        attributes=full_attrs[used],
        on_boundary=full_boundary[used],
        parent_edges=full_parents[used],
        parent_weight=full_weight[used],
    )

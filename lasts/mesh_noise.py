"""Scanner noise on a mesh (phone scans: about a millimetre), told and smoothed before a foot is measured.

Noise pushes extremes out (a toe tip 3 σ further forward), takes the steadied landmarks to random points of a
flat border, and lengthens every tape girth (the convex hull of a rough section). A clean mesh is measured as
it is; a noisy one is smoothed first with Taubin's λ|μ filter, which takes noise out without shrinking the
foot as plain averaging would.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from geometry.arrays import FloatArray
from geometry.meshes import face_normals
from lasts.surface import boundary_loops

# A clean scan's vertices stand this far at most (median, mm) off their neighbours' centre along the normal:
# curvature alone gives 0.03 mm on the FIND mesh and 0.06 mm on dupontgu's coarse one; 1 mm noise gives 0.7.
NOISY_MM = 0.25
# Taubin's filter (Taubin 1995, "A signal processing approach to fair surface design"): ten λ|μ pairs take
# 1 mm noise down about fivefold along the normal.
_LAMBDA, _MU, _ITERATIONS = 0.5, -0.53, 10


def _neighbour_mean(faces: np.ndarray, count: int) -> sp.csr_matrix:
    """(n, n) sparse operator: each vertex's mean of its edge neighbours."""
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    edges = np.vstack([edges, edges[:, ::-1]])
    adjacency = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(count, count)).tocsr()
    adjacency.data[:] = 1.0  # an edge shared by two faces counts once
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    return sp.csr_matrix(sp.diags(1.0 / np.maximum(degree, 1.0)) @ adjacency)


def surface_noise_mm(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Median distance (mm) of the vertices from their neighbours' centre along their normal."""
    offsets = _neighbour_mean(faces, len(vertices)) @ vertices - vertices
    corners = faces.reshape(-1)
    by_face = np.repeat(face_normals(vertices, faces), 3, axis=0)
    summed = np.column_stack([np.bincount(corners, by_face[:, k], minlength=len(vertices)) for k in range(3)])
    normals = summed.astype(np.float64) / np.maximum(np.linalg.norm(summed, axis=1, keepdims=True), 1e-12)
    return float(np.median(np.abs(np.einsum("ij,ij->i", offsets, normals))))


def smooth_noise(vertices: np.ndarray, faces: np.ndarray) -> FloatArray:
    """The vertices (n, 3), mm, smoothed by Taubin's filter (the faces unchanged). Vertices on an open rim
    stay where they are: with neighbours on one side only, the filter would pull them across the surface."""
    operator = _neighbour_mean(faces, len(vertices))
    rim = np.zeros(len(vertices), dtype=bool)
    for loop in boundary_loops(faces):
        rim[loop] = True
    moving = ~rim[:, None]
    smoothed: FloatArray = np.asarray(vertices, dtype=np.float64).copy()
    for _ in range(_ITERATIONS):
        smoothed = smoothed + _LAMBDA * (operator @ smoothed - smoothed) * moving
        smoothed = smoothed + _MU * (operator @ smoothed - smoothed) * moving
    return smoothed

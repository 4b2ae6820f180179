"""A foot (or last) surface in the measuring frame, as a triangle mesh.

Measurements are written once against this interface, so a scanned foot (a mesh, or a point cloud
reconstructed into one) and the last are measured by the same definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from geometry.meshes import face_component_labels, face_normals
from geometry.sections import hull_perimeter_mm, hull_ring_3d, mesh_plane_section

# A cap is joined to faces within this distance of the scan's top (mm), and is flat: its faces face within this
# angle of the faces at the top (a flat cut's cap is one plane; the dorsum sloping up to it is not).
_CAP_TOP_MM = 2.0
_CAP_FLAT_DEG = 8.0


@dataclass(frozen=True)
class FootSurface:
    """vertices : (n, 3) float, mm, in the measuring frame; faces : (m, 3) int; scanned : (n,) bool, False
    where the surface bridges a hole of the scan (no scanned point near), None when all of it was scanned."""

    vertices: np.ndarray
    faces: np.ndarray
    scanned_mask: np.ndarray | None = None

    @property
    def scanned(self) -> np.ndarray:
        """(n,) bool: vertices on the scanned surface (all of a mesh scan's)."""
        if self.scanned_mask is None:
            return np.ones(len(self.vertices), dtype=bool)
        return self.scanned_mask

    @property
    def length_mm(self) -> float:
        return float(self.vertices[:, 0].max() - self.vertices[:, 0].min())

    @cached_property
    def boundary_loops(self) -> list[np.ndarray]:
        """The surface's open rims, each an ordered array of vertex indices (``boundary_loops``)."""
        return boundary_loops(self.faces)

    def complete_height_mm(self, cap_min_height_mm: float) -> float:
        """Height up to which horizontal sections are whole rings: below the leg's top cap, or its open rim.

        An open scan stops at a rim: the lowest point of a rim reaching the top. A closed scan caps the cut
        leg with faces facing up. Cap faces are those above ``cap_min_height_mm`` whose normal is within 35
        degrees of vertical (a cut may be tilted) and within 8 degrees of the faces at the very top (a cut
        is flat), joined through such faces to the top: the slope of the dorsum rising to a low cut faces up
        too, but is no part of the cap.
        """
        top = float(self.vertices[:, 2].max())
        rims = [loop for loop in self.boundary_loops if float(self.vertices[loop, 2].max()) >= top - _CAP_TOP_MM]
        if rims:
            return min(float(self.vertices[loop, 2].min()) for loop in rims)
        normals = face_normals(self.vertices, self.faces)
        heights = self.vertices[self.faces][:, :, 2]
        cap = (np.abs(normals[:, 2]) > np.cos(np.radians(35.0))) & (heights.min(axis=1) > cap_min_height_mm)
        at_very_top = cap & (heights.max(axis=1) >= top - _CAP_TOP_MM)
        if not at_very_top.any():
            return top
        cap_normal = normals[at_very_top].mean(axis=0)
        cap &= normals @ (cap_normal / np.linalg.norm(cap_normal)) >= np.cos(np.radians(_CAP_FLAT_DEG))
        if not cap.any():
            return top
        labels = face_component_labels(self.faces[cap], len(self.vertices))
        reach = np.full(labels.max() + 1, -np.inf)
        np.maximum.at(reach, labels, heights[cap].max(axis=1))
        at_top = reach[labels] >= top - _CAP_TOP_MM
        return float(heights[cap][at_top].min()) if at_top.any() else top

    def section_points(self, origin: np.ndarray, normal: np.ndarray) -> np.ndarray:
        """(k, 3) points where the surface meets a plane, mm."""
        return mesh_plane_section(self.vertices, self.faces, origin, normal).reshape(-1, 3)

    def girth_mm(self, origin: np.ndarray, normal: np.ndarray, points: np.ndarray | None = None) -> float:
        """Tape girth (convex-hull perimeter) of the section by a plane, mm (``points``: that section)."""
        if points is None:
            points = self.section_points(origin, normal)
        return hull_perimeter_mm(points, origin, normal)

    def girth_ring(self, origin: np.ndarray, normal: np.ndarray) -> np.ndarray:
        """(h, 3) the tape's path around the section, mm (for drawing)."""
        return hull_ring_3d(self.section_points(origin, normal), origin, normal)


def boundary_loops(faces: np.ndarray) -> list[np.ndarray]:
    """The open rims of a triangle mesh: each an ordered array of vertex indices (edges used by one face,
    chained in the direction their faces run). A vertex where two rims touch is passed once per rim."""
    if len(faces) == 0:
        return []
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    keys = np.sort(edges, axis=1)
    order = np.lexsort((keys[:, 1], keys[:, 0]))
    sorted_keys = keys[order]
    same_next = np.all(sorted_keys[1:] == sorted_keys[:-1], axis=1)
    single = np.ones(len(edges), dtype=bool)
    single[1:] &= ~same_next
    single[:-1] &= ~same_next
    border = edges[order[single]]
    following: dict[int, list[int]] = {}
    for a, b in border.tolist():
        following.setdefault(a, []).append(b)
    loops: list[np.ndarray] = []
    while following:
        start = next(iter(following))
        loop, current = [start], start
        while True:
            nexts = following.get(current)
            if not nexts:
                break
            step = nexts.pop()
            if not nexts:
                del following[current]
            if step == start:
                break
            loop.append(step)
            current = step
        if len(loop) >= 3:
            loops.append(np.array(loop, dtype=np.int64))
    return loops

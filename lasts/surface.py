"""A foot (or last) surface in the measuring frame, as a triangle mesh.

Measurements are written once against this interface, so a scanned foot (a mesh, or a point cloud
reconstructed into one) and the last are measured by the same definitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geometry.meshes import face_component_labels, face_normals
from geometry.sections import hull_perimeter_mm, hull_ring_3d, mesh_plane_section

# A cap is joined to faces within this distance of the scan's top (mm).
_CAP_TOP_MM = 2.0


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

    def complete_height_mm(self, cap_min_height_mm: float) -> float:
        """Height up to which horizontal sections are whole rings: below the leg's top cap.

        A closed scan caps the cut leg with faces facing up; an open one stops at its rim. Cap faces are
        those above ``cap_min_height_mm`` whose normal is within 35 degrees of vertical and that are joined,
        through such faces, to the top of the scan: the gentle slope of the dorsum below the ankle faces
        up as steeply but does not reach the top.
        """
        normals = face_normals(self.vertices, self.faces)
        heights = self.vertices[self.faces][:, :, 2]
        top = float(self.vertices[:, 2].max())
        cap = (np.abs(normals[:, 2]) > np.cos(np.radians(35.0))) & (heights.min(axis=1) > cap_min_height_mm)
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

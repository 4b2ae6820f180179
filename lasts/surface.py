"""A foot (or last) surface in the measuring frame: a mesh or a point cloud behind one interface.

Measurements are written once against this interface, so a mesh and a cloud of the same foot — and later
the last — are measured by the same definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.spatial import cKDTree

from geometry.meshes import face_normals
from geometry.pointclouds import local_planes
from geometry.sections import graph_plane_section, hull_perimeter_mm, hull_ring_3d, mesh_plane_section
from geometry.tolerance import TOL

_CLOUD_NEIGHBOURS = 8


@dataclass(frozen=True)
class FootSurface:
    """vertices : (n, 3) float, mm, in the measuring frame; faces : (m, 3) int, or (0, 3) for a point cloud."""

    vertices: np.ndarray
    faces: np.ndarray
    # Cloud points this close to a plane are linked to their neighbours across it (mm); meshes ignore it.
    cloud_section_reach_mm: float = TOL.cloud_section_reach_mm

    @property
    def is_point_cloud(self) -> bool:
        return len(self.faces) == 0

    @property
    def length_mm(self) -> float:
        return float(self.vertices[:, 0].max() - self.vertices[:, 0].min())

    def complete_height_mm(self, cap_min_height_mm: float) -> float:
        """Height up to which horizontal sections are whole rings: below the leg's top cap.

        A closed scan caps the cut leg with faces facing up; an open one stops at its rim. Cap points are
        those above ``cap_min_height_mm`` whose surface normal is within 35 degrees of vertical.
        """
        if self.is_point_cloud:
            _, normals = local_planes(self.vertices)
            heights = self.vertices[:, 2]
        else:
            normals = face_normals(self.vertices, self.faces)
            heights = self.vertices[self.faces].min(axis=1)[:, 2]
        cap = (np.abs(normals[:, 2]) > np.cos(np.radians(35.0))) & (heights > cap_min_height_mm)
        top = float(self.vertices[:, 2].max())
        return float(heights[cap].min()) if cap.any() else top

    @cached_property
    def neighbours(self) -> np.ndarray:
        """(n, k) nearest neighbours of each cloud point: the cloud's stand-in for mesh edges."""
        _, index = cKDTree(self.vertices).query(self.vertices, k=_CLOUD_NEIGHBOURS + 1, workers=-1)
        return index[:, 1:]

    def section_points(self, origin: np.ndarray, normal: np.ndarray) -> np.ndarray:
        """(k, 3) points where the surface meets a plane, mm."""
        if self.is_point_cloud:
            return graph_plane_section(self.vertices, self.neighbours, origin, normal, self.cloud_section_reach_mm)
        return mesh_plane_section(self.vertices, self.faces, origin, normal).reshape(-1, 3)

    def girth_mm(self, origin: np.ndarray, normal: np.ndarray, points: np.ndarray | None = None) -> float:
        """Tape girth (convex-hull perimeter) of the section by a plane, mm (``points``: that section)."""
        if points is None:
            points = self.section_points(origin, normal)
        return hull_perimeter_mm(points, origin, normal)

    def girth_ring(self, origin: np.ndarray, normal: np.ndarray) -> np.ndarray:
        """(h, 3) the tape's path around the section, mm (for drawing)."""
        return hull_ring_3d(self.section_points(origin, normal), origin, normal)

"""Style coordinates on a last: where on any last a style line lies.

Every point of the last's upper surface (between the two feather lines, over the top) gets two
normalised coordinates, the same on every fitted, graded or posed last built by :mod:`lasts.model`:

- ``s`` ∈ [0, 1]: length, the section's position from the heel (0) to the toe (1), x / stick length;
- ``g`` ∈ [−1, 1]: girth, the share of the section's arc from the medial feather point (−1) over the top
  to the lateral feather point (+1), by arc length; 0 is the middle of the arc over the top (the back seam
  at the heel, the centre line over the instep and toe).

Medial is always g < 0, on left and right lasts alike, so a style defined once lands on both feet, and
medial and lateral sides can differ. The bottom (inside the feather lines) is not part of the upper and has
|g| > 1 (the same arc-length share continued past the feather line).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lasts.model import LastMesh, feather_index


@dataclass(frozen=True)
class UpperSurface:
    """The last's upper as its own mesh, with the style coordinates of every vertex."""

    vertices: np.ndarray  # (n, 3) mm, the last's frame (posed or standing, as given)
    faces: np.ndarray  # (m, 3)
    s: np.ndarray  # (n,) length coordinate
    g: np.ndarray  # (n,) girth coordinate, medial −1 … lateral +1
    last_vertex: np.ndarray  # (n,) index of each vertex in the last's mesh

    @property
    def sg(self) -> np.ndarray:
        return np.column_stack([self.s, self.g])


def style_coordinates(last: LastMesh) -> tuple[np.ndarray, np.ndarray]:
    """(s, g) of every vertex of the last (poles: s = 0 or 1, g = 0)."""
    sections, n_around = last.grid_shape
    grid = last.grid()
    closed = np.concatenate([grid, grid[:, :1]], axis=1)
    step = np.linalg.norm(np.diff(closed, axis=1), axis=-1)  # (sections, n_around): segment j → j + 1
    arc = np.concatenate([np.zeros((sections, 1)), np.cumsum(step, axis=1)], axis=1)  # (sections, n + 1)
    f = feather_index(n_around)
    medial, lateral = arc[:, f], arc[:, n_around - f]
    span = (lateral - medial)[:, None]
    g_ring = -1.0 + 2.0 * (arc[:, :n_around] - medial[:, None]) / span
    # Past the lateral feather the bottom continues (from the ring's start seen the other way round).
    past = np.arange(n_around)[None, :] > n_around - f
    beyond = 1.0 + 2.0 * (arc[:, :n_around] - lateral[:, None]) / span
    g_ring = np.where(past, beyond, g_ring)
    s_ring = np.repeat((last.section_x_mm / last.params.stick_length_mm)[:, None], n_around, axis=1)
    s = np.concatenate([[0.0], s_ring.ravel(), [1.0]])
    g = np.concatenate([[0.0], g_ring.ravel(), [0.0]])
    return s, g


def upper_surface(last: LastMesh) -> UpperSurface:
    """The part of the last between its feather lines (one disk: feather, heel pole, feather, toe pole)."""
    s, g = style_coordinates(last)
    sections, n_around = last.grid_shape
    f = feather_index(n_around)
    ring = np.concatenate([[0], np.tile(np.arange(n_around), sections), [0]])
    upper = (ring >= f) & (ring <= n_around - f)
    upper[0] = upper[-1] = True
    faces = last.faces[upper[last.faces].all(axis=1)]
    used = np.unique(faces)
    remap = np.full(len(last.vertices), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return UpperSurface(last.vertices[used], remap[faces], s[used], g[used], used)

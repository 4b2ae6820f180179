"""Measurement definitions that depend on how far up the leg a scan reaches."""

import numpy as np
import pytest

from geometry.meshes import keep_faces
from lasts.landmarks import find_landmarks
from lasts.measurements import measure_foot
from lasts.scans import MeasuredFoot
from lasts.surface import FootSurface


def _border_loop(faces: np.ndarray) -> np.ndarray:
    """The vertex indices around the one open rim of a mesh, in order."""
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    unique, counts = np.unique(edges, axis=0, return_counts=True)
    links: dict[int, list[int]] = {}
    for a, b in unique[counts == 1].tolist():
        links.setdefault(a, []).append(b)
        links.setdefault(b, []).append(a)
    loop, previous = [next(iter(links))], -1
    while True:
        step = next(c for c in links[loop[-1]] if c != previous)
        previous = loop[-1]
        if step == loop[0]:
            return np.array(loop)
        loop.append(step)


def _with_leg(surface: FootSurface, rim_mm: float, rise_mm: float, narrowing: float) -> FootSurface:
    """The foot cut at ``rim_mm`` with a leg rising ``rise_mm`` above the cut, narrowed by ``narrowing``
    (a fraction) half-way up and as wide as the rim again at its capped top."""
    below_rim = surface.vertices[surface.faces, 2].max(axis=1) <= rim_mm
    vertices, faces = keep_faces(surface.vertices, surface.faces, below_rim)
    loop = _border_loop(faces)
    ring = vertices[loop]
    centre = ring.mean(axis=0)
    all_vertices, all_faces, below = [vertices], [faces], loop
    count = len(vertices)
    for t in np.linspace(0.0, 1.0, 31)[1:]:
        scale = 1.0 - narrowing * np.sin(np.pi * t)
        layer = centre + (ring - centre) * np.array([scale, scale, 0.0])
        layer[:, 2] = ring[:, 2] + rise_mm * t
        above = count + np.arange(len(loop))
        count += len(loop)
        all_vertices.append(layer)
        all_faces += [np.c_[below, np.roll(below, -1), np.roll(above, -1)], np.c_[below, np.roll(above, -1), above]]
        below = above
    all_vertices.append([[centre[0], centre[1], ring[:, 2].max() + rise_mm]])
    all_faces.append(np.c_[below, np.roll(below, -1), np.full(len(below), count)])
    return FootSurface(np.vstack(all_vertices), np.vstack(all_faces))


def test_no_ankle_girth_while_the_leg_still_narrows_at_the_top_of_the_scan(find_foot: MeasuredFoot) -> None:
    # The FIND scan stops below the leg's narrowest part: its smallest girth would be wherever it stops.
    assert find_foot.measurements.ankle_girth_mm is None


def test_the_ankle_girth_is_the_narrowest_part_of_a_leg_that_widens_again(find_foot: MeasuredFoot) -> None:
    rim_mm = 118.0
    surface = _with_leg(find_foot.surface, rim_mm=rim_mm, rise_mm=60.0, narrowing=0.12)
    landmarks = find_landmarks(surface, find_foot.frame.medial_sign)
    measured = measure_foot(surface, landmarks)
    assert measured.ankle_girth_mm is not None
    (line,) = [g for g in measured.girth_lines if g.name == "ankle"]
    assert line.origin[2] == pytest.approx(rim_mm + 30.0, abs=6.0)
    rim_girth = surface.girth_mm(np.array([0.0, 0.0, rim_mm - 1.0]), np.array([0.0, 0.0, 1.0]))
    assert measured.ankle_girth_mm == pytest.approx(0.88 * rim_girth, rel=0.03)

"""A style on a last: the last's upper cut along the style lines into one 3D patch per piece.

Each piece's region (a polygon in the (s, g) style coordinates, :mod:`configurator.styles.model`) becomes
a signed distance field over the upper's vertices, and the upper mesh is clipped along its zero level
(:func:`geometry.mesh_cut.clip_mesh`). Neighbouring pieces share their boundary polygon, so their cuts
create the same vertices: a seam is the same 3D curve seen from both sides. Every boundary segment of a
patch is labelled: ``bottom`` (the feather line, where the lasting allowance goes), ``seam:<piece>``
(shared with that piece) or ``edge`` (a visible edge: the topline, the facings, a tongue's top).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import igl
import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry import Polygon

from configurator.styles.model import PieceSpec, Style, StyleError
from geometry.arrays import FloatArray, IndexArray
from geometry.mesh_cut import clip_mesh
from lasts.model import LastMesh
from lasts.upper_coords import UpperSurface, upper_surface

BOTTOM = "bottom"
EDGE = "edge"
DART = "dart"
_ON_LINE = 2e-3  # (s, g) distance at which a cut vertex counts as lying on a neighbour's boundary


@dataclass(frozen=True)
class PiecePatch:
    """One piece's 3D patch on the last, its boundary loop and what each boundary segment is."""

    spec: PieceSpec
    vertices: np.ndarray  # (n, 3) mm
    faces: np.ndarray  # (m, 3)
    sg: np.ndarray  # (n, 2) style coordinates
    boundary: np.ndarray  # (k,) vertex indices, one closed loop
    segment_labels: tuple[str, ...]  # (k,) label of the segment boundary[i] → boundary[i + 1]
    # Per neighbour, (k,) bool: the loop vertex is also a vertex of that neighbour's boundary (same point).
    shared: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    def area_mm2(self) -> float:
        return float(igl.doublearea(self.vertices, self.faces).sum() / 2.0)

    def seam_runs(self) -> dict[str, list[tuple[int, int]]]:
        """Per neighbour, the runs (start, end) of loop positions along the seam with it: every vertex of
        boundary[start..end] (end may pass k: the loop wraps) is a vertex of the neighbour too, so both
        pieces see the same seam, point for point."""
        k = len(self.boundary)
        runs: dict[str, list[tuple[int, int]]] = {}
        for name, mask in self.shared.items():
            on = mask & np.roll(mask, -1)  # segment i → i + 1 lies on the seam
            if on.all():
                runs[name] = [(0, k)]
                continue
            if not on.any():
                continue
            start = int(np.flatnonzero(~on)[0]) + 1  # begin the scan just after a gap
            position = 0
            while position < k:
                i = (start + position) % k
                if on[i]:
                    length = 1
                    while position + length < k and on[(i + length) % k]:
                        length += 1
                    runs.setdefault(name, []).append((i, i + length))
                    position += length
                else:
                    position += 1
        return runs

    def loop_points_mm(self, start: int, end: int) -> FloatArray:
        """3D points of the boundary loop from position ``start`` to ``end`` (inclusive, wrapping)."""
        k = len(self.boundary)
        points: FloatArray = self.vertices[self.boundary[np.arange(start, end + 1) % k]]
        return points


def _signed_distance(region: Polygon, sg: np.ndarray, points: np.ndarray, edges: np.ndarray) -> FloatArray:
    """Negative inside ``region``, positive outside, in (s, g) units; the distance is measured only at
    the ends of edges that cross the region's boundary (elsewhere only the sign matters to the cut)."""
    inside = shapely.contains_xy(region, sg[:, 0], sg[:, 1])
    crossing = edges[inside[edges[:, 0]] != inside[edges[:, 1]]]
    near = np.unique(crossing)
    field: FloatArray = np.where(inside, -1.0, 1.0)
    field[near] *= shapely.distance(region.boundary, points[near])
    return field


def _segment_labels(sg: np.ndarray, piece: PieceSpec, style: Style) -> tuple[str, ...]:
    """Label of each boundary segment (sg: the loop's points in order): the neighbour whose region its
    midpoint touches, else the feather line, else a visible edge."""
    following = np.roll(sg, -1, axis=0)
    middle = shapely.points(0.5 * (sg + following))
    best = np.full(len(sg), _ON_LINE)
    labels = np.full(len(sg), EDGE, dtype=object)
    on_feather = (np.abs(sg[:, 1]) >= 1.0 - 1e-9) & (np.abs(following[:, 1]) >= 1.0 - 1e-9)
    labels[on_feather] = BOTTOM
    for other in style.pieces:
        if other.name == piece.name:
            continue
        distance = shapely.distance(other.region, middle)
        closer = (distance < best) & ~on_feather
        labels[closer] = f"seam:{other.name}"
        best = np.where(closer, distance, best)
    for dart in piece.darts:
        labels[(shapely.distance(dart, middle) < _ON_LINE) & ~on_feather] = DART
    return tuple(str(label) for label in labels)


def _largest_component(vertices: np.ndarray, faces: IndexArray) -> IndexArray:
    """The faces of the largest edge-connected part by area (a cut can leave crumbs where lines meet,
    touching the piece at a single vertex)."""
    owner = np.tile(np.arange(len(faces)), 3)
    _, edge_id = np.unique(_edge_keys(faces), return_inverse=True)
    graph = coo_matrix((np.ones(len(owner)), (owner, edge_id)), shape=(len(faces), int(edge_id.max()) + 1))
    count, component = connected_components((graph @ graph.T).tocsr(), directed=False)
    if count == 1:
        return faces
    area = igl.doublearea(vertices, faces)
    keep = int(np.argmax(np.bincount(component, weights=area)))
    kept: IndexArray = faces[component == keep]
    return kept


def _edge_keys(faces: np.ndarray) -> IndexArray:
    """One int64 per undirected edge of every face (3 per face, face-major order)."""
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    keys: IndexArray = edges[:, 0] * (int(faces.max()) + 1) + edges[:, 1]
    return keys


def cut_piece(
    upper: UpperSurface, piece: PieceSpec, style: Style, points: np.ndarray | None = None
) -> PiecePatch:
    """The piece's patch: the upper clipped to its region, with a labelled boundary loop."""
    if points is None:
        # An array of coordinates makes an array of points (the stubs also allow a single Point).
        points = np.asarray(shapely.points(upper.sg))
    edges = np.concatenate([upper.faces[:, [0, 1]], upper.faces[:, [1, 2]], upper.faces[:, [2, 0]]])
    field = _signed_distance(piece.region, upper.sg, points, edges)
    clipped = clip_mesh(upper.vertices, upper.faces, field, attributes=upper.sg)
    if len(clipped.faces) == 0:
        raise StyleError(f"piece {piece.name} of {style.name} covers nothing on this last")
    faces = _largest_component(clipped.vertices, clipped.faces)
    loops = igl.boundary_loop_all(faces)
    if len(loops) != 1:
        raise StyleError(
            f"piece {piece.name} of {style.name} is not one disk on this last ({len(loops)} boundary loops)"
        )
    loop = np.asarray(loops[0], dtype=np.int64)
    used = np.unique(faces)
    remap = np.full(len(clipped.vertices), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    sg = clipped.attributes[used]
    loop = remap[loop]
    labels = _segment_labels(sg[loop], piece, style)
    return PiecePatch(piece, clipped.vertices[used], remap[faces], sg, loop, labels)


def lay_style(style: Style, last: LastMesh) -> list[PiecePatch]:
    """Every piece of the style as a 3D patch on this last (posed or standing)."""
    upper = upper_surface(last)
    points = np.asarray(shapely.points(upper.sg))
    patches = [cut_piece(upper, piece, style, points) for piece in style.pieces]
    return [_with_shared_vertices(patch, patches) for patch in patches]


def _with_shared_vertices(patch: PiecePatch, patches: list[PiecePatch], tolerance_mm: float = 1e-6) -> PiecePatch:
    """Which of the patch's boundary vertices each neighbour has too (the cut made them at one point)."""
    mine = patch.vertices[patch.boundary]
    shared: dict[str, np.ndarray] = {}
    for other in patches:
        if other is patch:
            continue
        distance, _ = cKDTree(other.vertices[other.boundary]).query(mine, distance_upper_bound=1.0)
        mask = np.asarray(distance) <= tolerance_mm
        if mask.sum() >= 2:
            shared[other.name] = mask
    return replace(patch, shared=shared)

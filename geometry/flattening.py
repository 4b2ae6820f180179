"""Flattening of upper pieces: a 3D patch of the last's surface laid out in the plane, in mm.

A piece patch (a disk: one boundary loop) is flattened as isometrically as it allows: a least-squares conformal
map (LSCM) gives the start, as-rigid-as-possible (ARAP) iterations bring lengths and areas back, and a rigid
motion lays a chosen 3D direction (the last's length, for the grain line) along +x. A doubly curved surface
cannot flatten without strain: :func:`strain_report` measures it per piece (area change, edge strain, boundary
length 2D vs 3D, flipped faces), and :func:`strain_heat_map_svg` shows where it sits. :func:`correct_seams`
then equalises mating seams to their 3D length, as pattern makers do by hand.

Conventions: x to the right, y up, mm. The 2D layout keeps the faces' winding: a face counter-clockwise seen
from the side its normal points to (the outside of the last) is counter-clockwise in the plane, so the piece
lies grain side up.

libigl 2.6.3 traps (docs/domain.md): there is no ``igl.arap``, use ``ARAPData`` with ``arap_precomputation`` /
``arap_solve``; ``igl.lscm(V, F, b, bc)`` returns ``(uv, Q)``. ARAP is solved on the mesh scaled to unit area.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import igl
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geometry.arrays import FloatArray, IndexArray
from geometry.errors import FlatteningError
from geometry.exchange.svg_colours import BLUE_WHITE_RED, YELLOW_GREEN_BLUE, gradient_legend_svg, ramp_hex

# ARAP local/global iterations: the energy settles within ~10 on piece-sized patches (docs/domain.md).
ARAP_ITERATIONS = 10
# Faces whose 3D area is below this share of the mean face area are degenerate (slivers).
DEGENERATE_FACE_SHARE = 1e-10
# Seams are corrected to their target length within this (mm); the solver aims far tighter.
SEAM_LENGTH_TOLERANCE_MM = 0.05

Seam = tuple[int, int, float]


# -- checks ------------------------------------------------------------------------------------------------


def _mesh_arrays(vertices_mm: object, faces: object) -> tuple[FloatArray, IndexArray]:
    vertices = np.ascontiguousarray(np.asarray(vertices_mm, dtype=np.float64))
    if vertices.ndim != 2 or vertices.shape[1] != 3:
        raise FlatteningError(f"vertices must be (n, 3) mm, got shape {vertices.shape}")
    if not np.isfinite(vertices).all():
        raise FlatteningError("vertices have a non-finite coordinate")
    tri = np.asarray(faces)
    if tri.ndim != 2 or tri.shape[1] != 3 or len(tri) == 0:
        raise FlatteningError(f"faces must be (m, 3) vertex indices, m > 0, got shape {tri.shape}")
    if not np.issubdtype(tri.dtype, np.integer):
        raise FlatteningError(f"faces must be integer vertex indices, got {tri.dtype}")
    tri = np.ascontiguousarray(tri, dtype=np.int64)
    if tri.min() < 0 or tri.max() >= len(vertices):
        raise FlatteningError(f"faces index vertices outside 0..{len(vertices) - 1}")
    return vertices, tri


def _face_areas(points: FloatArray, faces: IndexArray) -> FloatArray:
    """(m,) face areas: unsigned for 3D points, signed (ccw positive) for 2D points."""
    e1 = points[faces[:, 1]] - points[faces[:, 0]]
    e2 = points[faces[:, 2]] - points[faces[:, 0]]
    if points.shape[1] == 2:
        return 0.5 * (e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
    areas: FloatArray = 0.5 * np.linalg.norm(np.cross(e1, e2), axis=1)
    return areas


def _unique_edges(faces: IndexArray) -> tuple[IndexArray, IndexArray]:
    """(e, 2) undirected edges (sorted pairs) and how many faces hold each."""
    directed = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    lo, hi = directed.min(axis=1), directed.max(axis=1)
    # One int64 key per edge: np.unique on 1D keys is far faster than on rows.
    stride = int(faces.max()) + 1
    keys, counts = np.unique(lo * stride + hi, return_counts=True)
    return np.column_stack([keys // stride, keys % stride]), counts


def check_disk(vertices_mm: FloatArray, faces: IndexArray) -> IndexArray:
    """The boundary loop of a disk-topology patch, (k,) vertex indices in the faces' winding order.

    Raises :class:`FlatteningError` when the patch is no disk: unused vertices, degenerate faces, edges shared by
    more than two faces, inconsistent winding, several parts, no boundary (closed) or several boundary loops
    (holes), or a handle (Euler characteristic other than 1).
    """
    vertices, tri = _mesh_arrays(vertices_mm, faces)
    n = len(vertices)
    used = np.zeros(n, dtype=bool)
    used[tri.ravel()] = True
    if not used.all():
        raise FlatteningError(
            f"{int((~used).sum())} of {n} vertices belong to no face: pass the patch's own vertices",
            unused_vertices=int((~used).sum()),
        )
    area = _face_areas(vertices, tri)
    tiny = area <= DEGENERATE_FACE_SHARE * max(float(area.mean()), 1e-300)
    if tiny.any():
        raise FlatteningError(f"{int(tiny.sum())} faces have no area", degenerate_faces=int(tiny.sum()))
    edges, counts = _unique_edges(tri)
    if (counts > 2).any():
        raise FlatteningError(
            f"{int((counts > 2).sum())} edges are shared by more than two faces (non-manifold)",
            non_manifold_edges=int((counts > 2).sum()),
        )
    directed = tri[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    if len(np.unique(directed[:, 0] * n + directed[:, 1])) != len(directed):
        raise FlatteningError("faces are not consistently wound (an edge runs the same way in two faces)")
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    parts, _ = connected_components(graph, directed=False)
    if parts != 1:
        raise FlatteningError(f"the patch has {parts} separate parts, a piece is one", parts=int(parts))
    loops = igl.boundary_loop_all(tri)
    if len(loops) != 1:
        raise FlatteningError(
            f"the patch has {len(loops)} boundary loops, a flattenable piece has exactly one "
            "(no boundary: a closed surface; more: holes)",
            boundary_loops=len(loops),
        )
    euler = n - len(edges) + len(tri)
    if euler != 1:
        raise FlatteningError(f"the patch is no disk (Euler characteristic {euler}, a disk has 1)", euler=euler)
    loop = np.asarray(loops[0], dtype=np.int64)
    if (counts == 1).sum() != len(loop):
        raise FlatteningError("the boundary touches itself (a pinched vertex): cut the patch into a clean disk")
    return loop


# -- flattening ----------------------------------------------------------------------------------------------


def _far_apart(points: FloatArray, loop: IndexArray) -> tuple[int, int]:
    """Two boundary vertices about as far apart as the boundary allows (two sweeps of farthest point)."""
    ring = points[loop]
    a = int(np.argmax(np.linalg.norm(ring - ring[0], axis=1)))
    b = int(np.argmax(np.linalg.norm(ring - ring[a], axis=1)))
    return int(loop[a]), int(loop[b])


def _direction_in_plane(vertices: FloatArray, faces: IndexArray, uv: FloatArray, direction: FloatArray) -> FloatArray:
    """The 2D direction a 3D direction maps to, by each face's linear map, area-weighted over the patch."""
    e1 = vertices[faces[:, 1]] - vertices[faces[:, 0]]
    e2 = vertices[faces[:, 2]] - vertices[faces[:, 0]]
    u1 = uv[faces[:, 1]] - uv[faces[:, 0]]
    u2 = uv[faces[:, 2]] - uv[faces[:, 0]]
    # direction's tangential part = a e1 + b e2 (normal equations of the 2x2 Gram system).
    g11, g12, g22 = (e1 * e1).sum(1), (e1 * e2).sum(1), (e2 * e2).sum(1)
    r1, r2 = e1 @ direction, e2 @ direction
    det = g11 * g22 - g12 * g12
    a = (g22 * r1 - g12 * r2) / det
    b = (g11 * r2 - g12 * r1) / det
    mapped = a[:, None] * u1 + b[:, None] * u2
    weight = np.sqrt(det)  # twice the face area
    planar: FloatArray = (weight[:, None] * mapped).sum(axis=0)
    return planar


def flatten_patch(
    vertices_mm: FloatArray,
    faces: IndexArray,
    align_direction: Sequence[float] | FloatArray | None = None,
    iterations: int = ARAP_ITERATIONS,
) -> FloatArray:
    """Flatten a disk-topology patch: LSCM start, ARAP iterations, rigid placement.

    vertices_mm : (n, 3) float, mm; every vertex used by a face
    faces : (m, 3) int, consistently wound
    align_direction : (3,) float or None; when given, the 2D direction this 3D direction maps to (area-weighted
        over the patch) is turned to +x (the last's length along the grain line)
    iterations : ARAP local/global iterations

    Returns uv_mm : (n, 2) float, mm, faces counter-clockwise, the bounding box's lower-left corner at (0, 0).
    Raises :class:`FlatteningError` for a patch that is no disk (see :func:`check_disk`).
    """
    vertices, tri = _mesh_arrays(vertices_mm, faces)
    loop = check_disk(vertices, tri)
    if iterations < 0:
        raise FlatteningError(f"ARAP iterations must be ≥ 0, got {iterations}")
    # Unit area: ARAP's tolerances and the LSCM pins are scale-free there (docs/domain.md trap).
    scale = math.sqrt(float(_face_areas(vertices, tri).sum()))
    centre = vertices.mean(axis=0)
    unit = np.ascontiguousarray((vertices - centre) / scale)
    a, b = _far_apart(unit, loop)
    pins = np.array([a, b], dtype=np.int64)
    pinned = np.array([[0.0, 0.0], [float(np.linalg.norm(unit[b] - unit[a])), 0.0]])
    uv, _ = igl.lscm(unit, tri, pins, pinned)
    if _face_areas(uv, tri).sum() < 0:
        # LSCM may return the mirror image: reflect so the faces keep their winding.
        uv[:, 1] *= -1.0
    if iterations:
        data = igl.ARAPData()
        data.max_iter = int(iterations)
        # One pinned vertex fixes the translation; rotation is free (the local step picks it).
        anchor = np.array([a], dtype=np.int32)
        igl.arap_precomputation(unit, tri, 2, anchor, data)
        uv = igl.arap_solve(np.ascontiguousarray(uv[[a]]), data, np.ascontiguousarray(uv))
    uv = uv * scale
    if align_direction is not None:
        direction = np.asarray(align_direction, dtype=np.float64).reshape(-1)
        if direction.shape != (3,) or not np.isfinite(direction).all() or np.linalg.norm(direction) == 0:
            raise FlatteningError(f"align_direction must be a non-zero (3,) vector, got {align_direction!r}")
        planar = _direction_in_plane(vertices, tri, uv, direction / np.linalg.norm(direction))
        if np.linalg.norm(planar) < 1e-9 * scale:
            raise FlatteningError("align_direction is normal to the whole patch: it has no direction in the plane")
        angle = math.atan2(planar[1], planar[0])
        c, s = math.cos(-angle), math.sin(-angle)
        uv = uv @ np.array([[c, -s], [s, c]]).T
    return np.ascontiguousarray(uv - uv.min(axis=0))


# -- strain ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StrainReport:
    """How much a flattened piece is strained against its 3D patch.

    area_change_mean_pct : area-weighted mean of per-face |A2d / A3d − 1| × 100
    area_change_total_pct : (ΣA2d / ΣA3d − 1) × 100 (signed: negative = the flat piece is smaller)
    area_change_max_pct : the largest per-face |A2d / A3d − 1| × 100
    edge_strain_mean_pct, edge_strain_p99_pct, edge_strain_max_pct : |l2d / l3d − 1| × 100 over all edges
    boundary_length_3d_mm, boundary_length_2d_mm : the piece's outline, on the last and flat
    boundary_change_pct : (2D / 3D − 1) × 100
    flipped_faces : faces whose 2D winding is reversed or collapsed
    area_3d_mm2, area_2d_mm2 : total areas
    """

    area_change_mean_pct: float
    area_change_total_pct: float
    area_change_max_pct: float
    edge_strain_mean_pct: float
    edge_strain_p99_pct: float
    edge_strain_max_pct: float
    boundary_length_3d_mm: float
    boundary_length_2d_mm: float
    boundary_change_pct: float
    flipped_faces: int
    face_count: int
    area_3d_mm2: float
    area_2d_mm2: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _uv_array(uv: object, n: int) -> FloatArray:
    flat = np.asarray(uv, dtype=np.float64)
    if flat.shape != (n, 2):
        raise FlatteningError(f"uv must be (n={n}, 2) mm, got shape {flat.shape}")
    if not np.isfinite(flat).all():
        raise FlatteningError("uv has a non-finite coordinate")
    return flat


def face_area_change_pct(vertices_mm: FloatArray, faces: IndexArray, uv_mm: FloatArray) -> FloatArray:
    """(m,) signed per-face area change (A2d / A3d − 1) × 100; a flipped face counts its area as negative."""
    vertices, tri = _mesh_arrays(vertices_mm, faces)
    flat = _uv_array(uv_mm, len(vertices))
    return (_face_areas(flat, tri) / _face_areas(vertices, tri) - 1.0) * 100.0


def face_edge_strain_pct(vertices_mm: FloatArray, faces: IndexArray, uv_mm: FloatArray) -> FloatArray:
    """(m,) per face, the largest |l2d / l3d − 1| × 100 of its three edges."""
    vertices, tri = _mesh_arrays(vertices_mm, faces)
    flat = _uv_array(uv_mm, len(vertices))
    ends = tri[:, [1, 2, 0]]
    l3 = np.linalg.norm(vertices[ends] - vertices[tri], axis=2)
    l2 = np.linalg.norm(flat[ends] - flat[tri], axis=2)
    worst_pct: FloatArray = (np.abs(l2 / l3 - 1.0) * 100.0).max(axis=1)
    return worst_pct


def closed_polyline_length_mm(points: FloatArray) -> float:
    """Length of a closed polyline (k, 2 or 3) given without its closing point (mm)."""
    pts = np.asarray(points, dtype=np.float64)
    return float(np.linalg.norm(np.roll(pts, -1, axis=0) - pts, axis=1).sum())


def strain_report(
    vertices_mm: FloatArray, faces: IndexArray, uv_mm: FloatArray, boundary_loop: IndexArray | None = None
) -> StrainReport:
    """The strain of a flattened patch: see :class:`StrainReport`. ``boundary_loop`` (k,) vertex indices is
    found from the faces when not given."""
    vertices, tri = _mesh_arrays(vertices_mm, faces)
    flat = _uv_array(uv_mm, len(vertices))
    a3 = _face_areas(vertices, tri)
    a2 = _face_areas(flat, tri)
    ratio = np.abs(a2 / a3 - 1.0) * 100.0
    edges, _ = _unique_edges(tri)
    l3 = np.linalg.norm(vertices[edges[:, 1]] - vertices[edges[:, 0]], axis=1)
    l2 = np.linalg.norm(flat[edges[:, 1]] - flat[edges[:, 0]], axis=1)
    strain = np.abs(l2 / l3 - 1.0) * 100.0
    loop = igl.boundary_loop(tri) if boundary_loop is None else np.asarray(boundary_loop, dtype=np.int64)
    b3 = closed_polyline_length_mm(vertices[loop]) if len(loop) else 0.0
    b2 = closed_polyline_length_mm(flat[loop]) if len(loop) else 0.0
    return StrainReport(
        area_change_mean_pct=float((a3 * ratio).sum() / a3.sum()),
        area_change_total_pct=float((a2.sum() / a3.sum() - 1.0) * 100.0),
        area_change_max_pct=float(ratio.max()),
        edge_strain_mean_pct=float(strain.mean()),
        edge_strain_p99_pct=float(np.percentile(strain, 99)),
        edge_strain_max_pct=float(strain.max()),
        boundary_length_3d_mm=b3,
        boundary_length_2d_mm=b2,
        boundary_change_pct=float((b2 / b3 - 1.0) * 100.0) if b3 > 0 else 0.0,
        flipped_faces=int((a2 <= 0).sum()),
        face_count=len(tri),
        area_3d_mm2=float(a3.sum()),
        area_2d_mm2=float(a2.sum()),
    )


# -- seams -----------------------------------------------------------------------------------------------------


def seam_length_mm(points: FloatArray) -> float:
    """Length of an open polyline (k, 2) or (k, 3), mm."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] not in (2, 3):
        raise FlatteningError(f"seam points must be (k, 2) or (k, 3), got shape {pts.shape}")
    return float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())


def seam_run(boundary_loop: IndexArray, start: int, end: int) -> IndexArray:
    """(r,) positions in the loop from ``start`` to ``end`` inclusive, going forward (wrapping round)."""
    k = len(boundary_loop)
    if not (0 <= start < k and 0 <= end < k) or start == end:
        raise FlatteningError(f"a seam runs between two different loop positions in 0..{k - 1}, got {start}..{end}")
    return np.arange(start, start + (end - start) % k + 1) % k


def seam_lengths_mm(points: FloatArray, boundary_loop: IndexArray, seams: Sequence[Seam]) -> FloatArray:
    """(s,) length of each seam (start, end, …) along the loop, measured on ``points`` (uv or 3D), mm."""
    pts = np.asarray(points, dtype=np.float64)
    loop = np.asarray(boundary_loop, dtype=np.int64)
    return np.array([seam_length_mm(pts[loop[seam_run(loop, s[0], s[1])]]) for s in seams])


def _solve_monotone(length_of: Callable[[float], float], target: float, lo: float, hi: float) -> float | None:
    """The factor in [lo, hi] where an increasing ``length_of(factor)`` meets ``target``, or None (bisection)."""
    if not (length_of(lo) <= target <= length_of(hi)):
        return None
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if length_of(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _scaled_seam(curve: FloatArray, target: float, fixed_start: bool, fixed_end: bool) -> FloatArray:
    """The seam curve (r, 2) changed to length ``target``: stretched along its chord about its midpoint (or
    about a fixed end); with both ends fixed its bulge off the chord is scaled instead."""
    chord = curve[-1] - curve[0]
    chord_len = float(np.linalg.norm(chord))
    along: FloatArray = chord / chord_len if chord_len > 1e-9 else np.array([1.0, 0.0])
    across = np.array([-along[1], along[0]])
    if fixed_start and fixed_end:
        pivot: FloatArray = curve[0]
        t = (curve - pivot) @ along
        h = (curve - pivot) @ across

        def bulged(g: float) -> FloatArray:
            return pivot + np.outer(t, along) + np.outer(g * h, across)

        g = _solve_monotone(lambda g: seam_length_mm(bulged(g)), target, 0.0, 50.0)
        if g is None:
            # A straight run cannot lengthen by scaling its bulge: bow it out with a sine arch.
            s = np.linspace(0.0, math.pi, len(curve))
            base = bulged(1.0)
            g = _solve_monotone(
                lambda amp: seam_length_mm(base + np.outer(amp * np.sin(s), across)), target, 0.0, chord_len
            )
            if g is None:
                raise FlatteningError(f"a seam between two fixed ends cannot reach {target:.2f} mm")
            return base + np.outer(g * np.sin(s), across)
        return bulged(g)
    if fixed_start:
        pivot = curve[0]
    elif fixed_end:
        pivot = curve[-1]
    else:
        pivot = 0.5 * (curve[0] + curve[-1])
    t = (curve - pivot) @ along
    h = (curve - pivot) @ across

    def stretched(f: float) -> FloatArray:
        return pivot + np.outer(f * t, along) + np.outer(h, across)

    f = _solve_monotone(lambda f: seam_length_mm(stretched(f)), target, 0.0, 20.0)
    if f is not None:
        return stretched(f)
    # Along the chord cannot reach it (a seam that runs mostly across its chord): scale it as a whole.
    return pivot + (curve - pivot) * (target / seam_length_mm(curve))


def correct_seams(
    vertices_mm: FloatArray,
    faces: IndexArray,
    uv_mm: FloatArray,
    boundary_loop: IndexArray,
    seams: Sequence[Seam],
) -> FloatArray:
    """Equalise seams to their target lengths (mating seams to the 3D length), moving the rest smoothly.

    seams : (start_index_in_loop, end_index_in_loop, target_length_mm) each; a seam is the run of loop vertices
        from start to end inclusive going forward along the loop. Seams may touch end to end, not overlap.

    Each seam's 2D curve is stretched along its chord about its midpoint to its target length (about the end it
    shares with an earlier seam, or by scaling its bulge when both ends are shared); the other boundary vertices
    follow by interpolation along the loop between the seam ends, the interior by harmonic interpolation.
    Returns uv_mm : (n, 2) float, mm. Read the new lengths with :func:`seam_lengths_mm`.
    """
    vertices, tri = _mesh_arrays(vertices_mm, faces)
    flat = _uv_array(uv_mm, len(vertices))
    loop = np.asarray(boundary_loop, dtype=np.int64)
    k = len(loop)
    if loop.ndim != 1 or k < 3 or loop.min() < 0 or loop.max() >= len(vertices):
        raise FlatteningError(f"boundary_loop must be (k ≥ 3,) vertex indices, got shape {loop.shape}")
    move = np.full((k, 2), np.nan)
    interior_of_seams = np.zeros(k, dtype=bool)
    ends_fixed = np.zeros(k, dtype=bool)
    for start, end, target in seams:
        run = seam_run(loop, int(start), int(end))
        if not (math.isfinite(target) and target > 0):
            raise FlatteningError(f"seam {start}..{end} has target length {target} mm (must be > 0)")
        if interior_of_seams[run].any() or ends_fixed[run[1:-1]].any():
            raise FlatteningError(f"seam {start}..{end} overlaps another seam (seams may only touch end to end)")
        curve = flat[loop[run]]
        fixed_start, fixed_end = bool(ends_fixed[run[0]]), bool(ends_fixed[run[-1]])
        placed = curve
        if fixed_start and fixed_end:
            # Both ends already moved by their neighbours: carry the curve onto them by a 2D similarity first.
            old = complex(*(curve[-1] - curve[0]))
            if abs(old) < 1e-9:
                raise FlatteningError(f"seam {start}..{end} starts and ends at one point: split it in two")
            new_chord = complex(*(curve[-1] + move[run[-1]] - curve[0] - move[run[0]]))
            z = (curve[:, 0] - curve[0, 0] + 1j * (curve[:, 1] - curve[0, 1])) * (new_chord / old)
            placed = np.column_stack([z.real, z.imag]) + curve[0] + move[run[0]]
        elif fixed_start:
            placed = curve + move[run[0]]
        elif fixed_end:
            placed = curve + move[run[-1]]
        new = _scaled_seam(placed, float(target), fixed_start, fixed_end)
        move[run] = new - curve
        interior_of_seams[run[1:-1]] = True
        ends_fixed[run[[0, -1]]] = True
    known = np.flatnonzero(~np.isnan(move[:, 0]))
    if len(known) == 0:
        return flat.copy()
    ring = flat[loop]
    edge = np.linalg.norm(np.roll(ring, -1, axis=0) - ring, axis=1)
    arc = np.concatenate([[0.0], np.cumsum(edge)])
    total = arc[k]
    s_known = arc[known]
    # Wrap the seam vertices once either side so every free boundary vertex lies between two of them.
    s_ext = np.concatenate([s_known[-1:] - total, s_known, s_known[:1] + total])
    m_ext = np.concatenate([move[known[-1:]], move[known], move[known[:1]]])
    boundary_move = np.column_stack([np.interp(arc[:k], s_ext, m_ext[:, c]) for c in range(2)])
    boundary_move[known] = move[known]
    field: FloatArray = igl.harmonic(np.ascontiguousarray(flat), tri, loop, np.ascontiguousarray(boundary_move), 1)
    out = flat + field
    out[loop] = flat[loop] + boundary_move
    return out


def relax_keeping(
    vertices_mm: FloatArray,
    faces: IndexArray,
    uv_mm: FloatArray,
    fixed: IndexArray,
    iterations: int = ARAP_ITERATIONS,
) -> FloatArray:
    """ARAP again with the ``fixed`` vertices held where ``uv_mm`` has them: after the seams are set to
    their lengths, the rest of the piece settles as rigidly as it can round them (instead of keeping the
    harmonic spread of the correction). Returns uv_mm (n, 2)."""
    vertices, tri = _mesh_arrays(vertices_mm, faces)
    flat = _uv_array(uv_mm, len(vertices))
    handles = np.unique(np.asarray(fixed, dtype=np.int64))
    if len(handles) < 2 or iterations <= 0:
        return flat.copy()
    scale = math.sqrt(float(_face_areas(vertices, tri).sum()))
    unit = np.ascontiguousarray((vertices - vertices.mean(axis=0)) / scale)
    origin = flat.mean(axis=0)
    start = np.ascontiguousarray((flat - origin) / scale)
    data = igl.ARAPData()
    data.max_iter = int(iterations)
    igl.arap_precomputation(unit, tri, 2, handles.astype(np.int32), data)
    relaxed = igl.arap_solve(np.ascontiguousarray(start[handles]), data, start)
    return np.ascontiguousarray(relaxed * scale + origin)


# -- heat map --------------------------------------------------------------------------------------------------


def _nice_step(span: float) -> float:
    """A round number (1, 2, 5 × 10^k) near a fifth of ``span``."""
    raw = max(span, 1e-9) / 5.0
    power: float = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def strain_heat_map_svg(
    uv_mm: FloatArray,
    faces: IndexArray,
    per_face_value: FloatArray,
    title: str,
    unit_label: str = "%",
    value_range: tuple[float, float] | None = None,
    diverging: bool | None = None,
    boundary_loop: IndexArray | None = None,
    px_per_mm: float = 3.0,
) -> str:
    """A self-contained SVG heat map of one flattened piece: faces coloured by ``per_face_value`` (m,)
    (area change % or edge strain %), the piece outline, a colour legend and a scale bar in mm.

    value_range : (low, high) of the colour ramp; by default symmetric about 0 for signed values, else 0..p99
    diverging : blue–white–red about 0 (signed values) or a sequential ramp; by default signed when any < 0
    """
    uv = np.asarray(uv_mm, dtype=np.float64)
    tri = np.asarray(faces, dtype=np.int64)
    values = np.asarray(per_face_value, dtype=np.float64).reshape(-1)
    if uv.ndim != 2 or uv.shape[1] != 2 or tri.ndim != 2 or tri.shape[1] != 3 or len(values) != len(tri):
        raise FlatteningError(
            "heat map needs uv (n, 2), faces (m, 3) and one value per face, "
            f"got {uv.shape}, {tri.shape}, {values.shape}"
        )
    finite = values[np.isfinite(values)]
    if diverging is None:
        diverging = bool(len(finite) and finite.min() < 0)
    if value_range is None:
        if diverging:
            reach = float(np.percentile(np.abs(finite), 99)) if len(finite) else 1.0
            value_range = (-max(reach, 1e-6), max(reach, 1e-6))
        else:
            value_range = (0.0, max(float(np.percentile(finite, 99)) if len(finite) else 1.0, 1e-6))
    low, high = value_range
    stops = BLUE_WHITE_RED if diverging else YELLOW_GREEN_BLUE
    colours = ramp_hex((np.nan_to_num(values, nan=low) - low) / (high - low), stops)

    margin, legend_w, header = 20.0, 90.0, 40.0
    lo = uv.min(axis=0)
    span = uv.max(axis=0) - lo
    width = span[0] * px_per_mm + 2 * margin + legend_w
    height = span[1] * px_per_mm + 2 * margin + header + 30.0

    def xy(p: FloatArray) -> FloatArray:
        # y up in the pattern, down in SVG.
        return np.column_stack(
            [margin + (p[:, 0] - lo[0]) * px_per_mm, header + margin + (lo[1] + span[1] - p[:, 1]) * px_per_mm]
        )

    screen = xy(uv)
    corners = screen[tri].reshape(len(tri), 6)
    polys = [
        f'<polygon points="{c[0]:.1f},{c[1]:.1f} {c[2]:.1f},{c[3]:.1f} {c[4]:.1f},{c[5]:.1f}" '
        f'fill="{col}" stroke="{col}" stroke-width="0.3"/>'
        for c, col in zip(corners, colours, strict=True)
    ]
    loop = igl.boundary_loop(tri) if boundary_loop is None else np.asarray(boundary_loop, dtype=np.int64)
    outline = " ".join(f"{x:.1f},{y:.1f}" for x, y in screen[loop])
    legend = gradient_legend_svg(stops, low, high, unit_label, width - legend_w + 10.0, header + margin)
    bar_mm = _nice_step(span[0]) * (2 if span[0] > 100 else 1)
    by = height - 20.0
    stats = (
        f"mean |value| {np.average(np.abs(finite)):.2f} {html.escape(unit_label)}, max {np.abs(finite).max():.2f}"
        if len(finite)
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.1f} {height:.1f}" font-family="sans-serif">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n'
        f'<text x="{margin}" y="22" font-size="14" font-weight="bold">{html.escape(title)}</text>\n'
        f'<text x="{margin}" y="38" font-size="10">{stats}</text>\n'
        f'<g id="faces">{"".join(polys)}</g>\n'
        f'<polygon id="outline" points="{outline}" fill="none" stroke="black" stroke-width="1"/>\n'
        f"{legend}\n"
        f'<g id="scale-bar"><line x1="{margin}" y1="{by:.1f}" x2="{margin + bar_mm * px_per_mm:.1f}" y2="{by:.1f}" '
        f'stroke="black" stroke-width="2"/><text x="{margin}" y="{by - 5:.1f}" font-size="10">'
        f"{bar_mm:g} mm</text></g>\n"
        "</svg>\n"
    )

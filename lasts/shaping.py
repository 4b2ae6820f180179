"""A last shaped to the foot: the style's base last deformed smoothly toward the foot under the rule map.

The trade makes a custom last by deforming a base style last toward the foot, not by building one from tape
measures (Leng & Du 2005; Xiong et al. 2010; AIST free-form deformation): the base keeps what the style
designs (the toe's shape and allowance, the back curve, the bottom with its feather edge: flat, but rising to the
plantar surface under the arch), the rest follows the foot at the room the rule map asks for
(:mod:`lasts.rule_map`). docs/lasts.md draws it and gives its figures.

The deformation is a displacement field on the base's (along, around) parameter grid (``LastShape``, a
``LastParameters`` field, so every rebuild of the last at any face count, size or side carries it):

1. per grid node, the foot's closest point and normal (open3d ray casting) give the move, within the node's
   section plane, that puts it at the rule's room from the foot, with a confidence: 0 ahead of the toes and
   above the foot scan's top (fading in), low on the heel's back curve and above the shoe's top, none on the
   bottom but under the arch, less where the foot there faces another way or lies far off; where the base
   presses deeper than the rules allow (round the toes too, where the style's toe otherwise stays, and at the
   bottom's corner) it is pushed out more firmly. A scan cut under the shoe's top (a consumer scanner's, ~100 mm
   up) is followed up to its cut: its cap is no foot, its rim is carried straight up (``FootQuery``);
2. the field is the weighted least-squares fit of these moves with a thin-plate smoothness term on the grid
   (scipy sparse solve): wavelengths under ``smoothing_length_mm`` (longer than a toe) are damped, so the
   surface stays smooth and prints no toe; the bottom keeps its height (but under the arch) and the poles stay,
   so the length and the toe allowance are the base's; repeated a few times as the closest points change;
3. each girth is then brought to its target by an offset spread round its section (a smooth band about the
   girth's plane, the bottom kept, taken more where the foot has room to give), the short heel girth and the
   toe height by the base's own parameters; Newton's method on the measured response of every girth to every
   band, on the coarse mesh and then the final one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from geometry.arrays import FloatArray
from geometry.meshes import face_normals, open3d_tensor
from lasts.errors import LastError
from lasts.fit_report import cut_cap_faces
from lasts.fitting import TARGET_KEYS, LastFit, measure_last
from lasts.measurements import GirthLine
from lasts.model import (
    SHAPE_GRID,
    LastParameters,
    LastShape,
    build_last,
    parametric_surface,
)
from lasts.rule_map import RuleMap


class ShapingError(LastError):
    """A foot the base last cannot be shaped to (its surface is missing, empty, or nowhere near the last)."""

    code = "shaping_error"


@dataclass(frozen=True)
class ShapingRules:
    """How the base last is deformed toward the foot (mm unless named; documented defaults, overridable)."""

    grid: tuple[int, int] = SHAPE_GRID
    smoothing_length_mm: float = 40.0  # wavelengths shorter than this are damped: longer than a toe is wide
    iterations: int = 5
    back_follow: float = 0.15  # the heel's back curve follows the foot this little: it is the base's
    # Where the last presses deeper than the rules allow it is pushed out this much more firmly than it follows.
    guard_weight: float = 6.0
    toes_keep: float = 0.1  # round the toes the style's shape is kept this firmly (moved only if it presses)
    ahead_keep: float = 10.0  # ahead of the toes and above the scan the base stays (the style's toe, the base's cone)
    bottom_keep: float = 1.0  # the bottom keeps its height: the flat insole
    # The bottom's corner toward the feather (around-fraction from this on; the feather is at 0.11) is pushed out
    # where it presses (a sole spread on the scanner's glass bulges past a narrow bottom) though it does not follow.
    bottom_guard_from: float = 0.07
    keep: float = 0.002  # everywhere, a little: what nothing asks for stays as the base has it
    # The last follows the foot up to the shoe's top (FitLimits: 0.25 L at the heel, 0.40 L ahead), fading out
    # over this height above it, and above the top of the scan (a low-cut scan stops well under the last's cone).
    fade_mm: float = 20.0
    above_cover_follow: float = 0.3  # above the shoe's top the cone follows the leg this loosely
    # A scan's cut top: its cap is not foot, its rim is carried this far straight up (FootQuery). Where the shoe
    # covers the foot the last follows it up to the scan's top (a low cut), fading out over fade_mm above it; above
    # the shoe's top the fade ends this far under the scan's top (a tall scan: the cut is not the leg's shape).
    extend_cut_mm: float = 40.0
    scan_top_margin_mm: float = 5.0
    max_reach_mm: float = 25.0  # a foot point further than this from the last is not what the node is shaped to
    heel_back_share: float = 0.12  # × L: the back curve is the base's behind this
    # Girth correction: a band this wide (Gaussian sigma, mm) about each girth's plane is offset round its section.
    band_mm: float = 14.0
    band_floor: float = 0.1  # a girth's offset where the foot has no room to give, as a share of the most
    give_span_mm: float = 5.0  # this much more room than the rules' least gives the full offset
    give_smoothing_mm: float = 15.0  # where room is given is itself smooth: no bump of the foot prints into a band
    long_heel_covered_share: float = 0.1  # the long heel girth's offset under the shoe's top, to 1 above it
    girth_tolerance_mm: float = 0.25
    correction_steps: int = 4  # on the coarse mesh
    polish_steps: int = 2  # on the final mesh
    solve_face_count: int = 12_000


DEFAULT_SHAPING_RULES = ShapingRules()


class FootQuery:
    """Closest points on a foot's surface (open3d ray casting), with the surface's outward normal there.

    With ``extend_cut_mm``, a scan cut flat at its top is read as the foot it was cut from: its cap (faces facing up
    within ``cap_band_mm`` of the top: where the scanner or ingest closed the cut, not foot) is left out and its rim
    is carried straight up by ``extend_cut_mm``, the foot's last known outline, so a last near and above a low cut
    keeps following the foot's sides instead of reverting to the base (or being drawn down onto the cap)."""

    def __init__(self, vertices: np.ndarray, faces: np.ndarray, extend_cut_mm: float = 0.0,
                 cap_band_mm: float = 1.5) -> None:  # fmt: skip
        import open3d as o3d  # imported when used: it costs a second to load
        if len(vertices) < 4 or len(faces) < 4:
            raise ShapingError("the foot's surface is empty: a last cannot be shaped to it")
        vertices = np.asarray(vertices, dtype=np.float64)
        faces = np.asarray(faces)
        self.top_mm = float(np.max(vertices[:, 2]))
        if extend_cut_mm > 0.0:
            vertices, faces = _extended_cut(vertices, faces, self.top_mm, extend_cut_mm, cap_band_mm)
        self.scene = o3d.t.geometry.RaycastingScene()
        mesh = o3d.t.geometry.TriangleMesh(
            open3d_tensor(np.ascontiguousarray(vertices, dtype=np.float32), o3d.core.float32),
            open3d_tensor(np.ascontiguousarray(faces, dtype=np.int32), o3d.core.int32),
        )
        self.scene.add_triangles(mesh)
        self.normals = face_normals(vertices, faces)

    def closest(self, points: np.ndarray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """For points (n, 3): the closest foot points (n, 3), the foot's normals there (n, 3) and each point's
        signed distance from the foot (n,), + outside it, mm."""
        import open3d as o3d  # imported when used: it costs a second to load
        query = open3d_tensor(np.ascontiguousarray(points, dtype=np.float32), o3d.core.float32)
        answer = self.scene.compute_closest_points(query)
        closest = answer["points"].numpy().astype(np.float64)
        normals = self.normals[answer["primitive_ids"].numpy().astype(np.int64)]
        gap = points - closest
        distance = np.linalg.norm(gap, axis=1)
        sign = np.where(np.einsum("ij,ij->i", gap, normals) >= 0.0, 1.0, -1.0)
        return closest, normals, sign * distance


def _extended_cut(
    vertices: np.ndarray, faces: np.ndarray, top_mm: float, extend_mm: float, cap_band_mm: float
) -> tuple[FloatArray, np.ndarray]:
    """The foot's surface without the cap of its top cut, and its rim there carried straight up by ``extend_mm``
    (a band of faces wound as the faces they border, so they face out as the foot does)."""
    cap = cut_cap_faces(vertices, faces, cap_band_mm)
    if not cap.any():
        return vertices, faces
    kept = faces[~cap]
    edges = np.concatenate([kept[:, [0, 1]], kept[:, [1, 2]], kept[:, [2, 0]]])
    key = np.sort(edges, axis=1)
    _, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    rim = edges[counts[inverse.ravel()] == 1]  # edges (a, b) of one kept face each: the openings' rims
    rim = rim[(vertices[rim][:, :, 2] > top_mm - cap_band_mm - 1.0).all(axis=1)]  # the cut's, not a hole's
    if len(rim) == 0:
        return vertices, kept
    a, b = rim[:, 0], rim[:, 1]
    lifted = np.arange(len(vertices), 2 * len(vertices))
    raised = vertices + np.array([0.0, 0.0, extend_mm])
    # The neighbour of a face's edge a → b runs b → a.
    band = np.concatenate([np.stack([b, a, lifted[a]], axis=1), np.stack([b, lifted[a], lifted[b]], axis=1)])
    return np.vstack([vertices, raised]), np.vstack([kept, band])


# The widths are the rule map's (the sides' room round the heel and the ball), not corrected to the fit targets:
# a shaped last's fit is judged on the other measurements (``LastFit.free_keys``); its record shows these too.
RULE_MAP_WIDTHS: tuple[str, ...] = ("ball_width_mm", "heel_width_mm")


@dataclass(frozen=True)
class ShapedLast:
    """A base last shaped to a foot: its fit (parameters with the shape; its ``max_error_mm`` leaves out the widths,
    which the rule map sets), the width targets beside what it measures, and how the shaping went."""

    fit: LastFit
    base: LastParameters
    rule_map: RuleMap
    width_targets: dict[str, float]
    iterations: int
    correction_builds: int
    seconds: float

    def record(self) -> dict[str, object]:
        """``last.json``'s ``shaping``: the rule map, the widths it set against their fit targets, the work done."""
        shape = self.fit.last.params.shape
        widths = {k: {"target": round(v, 2), "achieved": round(self.fit.achieved[k], 2)}
                  for k, v in self.width_targets.items() if k in self.fit.achieved}  # fmt: skip
        return {
            "rule_map": self.rule_map.to_dict(),
            "widths_mm": widths,
            "largest_move_mm": None if shape is None else round(float(np.abs(shape.displacement_mm).max()), 2),
            "field_iterations": self.iterations,
            "correction_builds": self.correction_builds,
            "seconds": round(self.seconds, 3),
        }


def _smoothstep(t: np.ndarray) -> FloatArray:
    c = np.clip(t, 0.0, 1.0)
    out: FloatArray = c * c * (3.0 - 2.0 * c)
    return out


def _grid_normals(points: np.ndarray, medial_sign: float) -> FloatArray:
    """(rows, columns, 3) outward unit normals of a grid surface (rows along, columns round, poles first and last)."""
    d_along = np.gradient(points, axis=0)
    d_around = 0.5 * (np.roll(points, -1, axis=1) - np.roll(points, 1, axis=1))
    # Rings run bottom → medial → top: round the x axis the right way for a right last, mirrored for a left one.
    normal = np.cross(d_around, d_along) * medial_sign
    length = np.linalg.norm(normal, axis=-1, keepdims=True)
    out: FloatArray = np.divide(normal, length, out=np.zeros_like(normal), where=length > 1e-9)
    return out


def _smoothness(points: np.ndarray) -> tuple[sp.csr_matrix, FloatArray]:
    """Thin-plate energy of a field on the inner rows of the grid (the poles held at 0): the matrix M (inner
    nodes square) with E = dᵀ M d per component, and each inner node's area (mm²)."""
    rows, columns, _ = points.shape
    inner = rows - 2
    h_along = np.maximum(np.linalg.norm(np.diff(points, axis=0), axis=-1), 0.5)  # (rows - 1, columns)
    h_around = np.maximum(np.linalg.norm(np.roll(points, -1, axis=1) - points, axis=-1), 1.0)  # (rows, columns)
    k = np.arange(1, rows - 1)[:, None].repeat(columns, axis=1)
    m = np.arange(columns)[None, :].repeat(inner, axis=0)
    index = (k - 1) * columns + m
    before, after = h_along[k - 1, m], h_along[k, m]
    left, right = h_around[k, (m - 1) % columns], h_around[k, m]
    a_prev = 2.0 / (before * (before + after))
    a_next = 2.0 / (after * (before + after))
    u_prev = 2.0 / (left * (left + right))
    u_next = 2.0 / (right * (left + right))
    centre = -(a_prev + a_next + u_prev + u_next)
    entries = [
        (index, index, centre),
        (index, (k - 2) * columns + m, a_prev),
        (index, k * columns + m, a_next),
        (index, (k - 1) * columns + (m - 1) % columns, u_prev),
        (index, (k - 1) * columns + (m + 1) % columns, u_next),
    ]
    n = inner * columns
    rows_i, cols_i, values = [], [], []
    for r, c, v in entries:
        keep = (c >= 0) & (c < n)  # a pole's neighbour: the pole is fixed at 0
        if r is index and c is index:
            keep = np.ones_like(keep)
        rows_i.append(r[keep])
        cols_i.append(c[keep])
        values.append(v[keep])
    laplacian = sp.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows_i), np.concatenate(cols_i))), shape=(n, n)
    )
    area = (0.25 * (before + after) * (left + right)).ravel()
    energy = (laplacian.T @ sp.diags(area) @ laplacian).tocsr()
    return energy, area


class _FieldSolver:
    """Solves the weighted, smoothed least squares of the field: one sparse system per component (y, z; x stays:
    the sections move within their planes)."""

    def __init__(self, energy: sp.csr_matrix, area: np.ndarray, smoothing: float) -> None:
        self.stiffness = (smoothing * energy).tocsr()
        self.area = area

    def solve(self, weight: np.ndarray, target: np.ndarray, keep: np.ndarray) -> FloatArray:
        """The displacement (n, 3) minimising Σ area·weight·|d − target|² + Σ area·keep·d² + smoothing·Σ dᵀMd, its
        x held at 0."""
        out = np.zeros_like(target)
        for k in (1, 2):
            system = (self.stiffness + sp.diags(self.area * (weight + keep[:, k]))).tocsc()
            out[:, k] = spsolve(system, self.area * weight * target[:, k], permc_spec="MMD_ATA")
        return out


@dataclass(frozen=True)
class _Weights:
    follow: FloatArray  # (n,) how firmly each node follows the foot (both ways)
    guard: FloatArray  # (n,) how firmly it is pushed out where it presses deeper than the rules allow
    keep: FloatArray  # (n, 3) how firmly it stays where the base has it


def _node_weights(
    points: np.ndarray, normals: np.ndarray, around: np.ndarray, foot: FootQuery, rule_map: RuleMap,
    rules: ShapingRules,
) -> _Weights:  # fmt: skip
    """Per inner grid node of the base (points and normals (n, 3), around-fractions (n,)): where the last follows
    the foot and where the base stays."""
    length = rule_map.foot_length_mm
    x, z = points[:, 0], points[:, 2]
    m = np.minimum(around, 1.0 - around)
    bottom = m < 0.11  # the flat bottom: the insole
    lift = rule_map.insole_lift(x)
    # The shoe's top (FitLimits' cover heights) and the scan's: above, the base's cone.
    cover = _cover_height_mm(x, length)
    under_cover = _smoothstep((cover + rules.fade_mm - z) / rules.fade_mm)
    start = np.clip(cover, foot.top_mm - rules.scan_top_margin_mm - rules.fade_mm, foot.top_mm)
    under_scan = _smoothstep((start + rules.fade_mm - z) / rules.fade_mm)
    behind = _smoothstep((rule_map.foot_length_mm - x) / 10.0)  # ahead of the toes: the style's toe
    back = (x < rules.heel_back_share * length) & (normals[:, 0] < -0.5)
    # Above the shoe's top the cone follows the leg loosely: its girths keep the leg's order (the long heel girth's
    # tightest plane stays over the ankle front, as on the foot) without the malleoli's print.
    above = rules.above_cover_follow + (1.0 - rules.above_cover_follow) * under_cover
    upper = np.where(back, rules.back_follow, 1.0) * above * under_scan * behind
    follow = np.where(bottom, lift, upper)
    near_cover = _smoothstep((cover + 0.5 * rules.fade_mm - z) / (0.5 * rules.fade_mm))
    corner = _smoothstep((m - rules.bottom_guard_from) / 0.03)
    guard = rules.guard_weight * np.where(bottom, np.maximum(lift, corner), under_scan * near_cover)
    toes = _smoothstep((x - rule_map.toes_start_mm) / 10.0)
    keep = np.repeat((rules.keep + rules.toes_keep * (1.0 - follow))[:, None], 3, axis=1)
    # Ahead of the toes and above the scan the base stays: the style's toe, the base's cone.
    keep += (rules.ahead_keep * (2.0 - behind - under_scan) + rules.toes_keep * toes)[:, None]
    keep[:, 2] += rules.bottom_keep * bottom * (1.0 - lift)
    return _Weights(follow, guard, keep)


def shape_field(
    base: LastParameters, foot: FootQuery, rule_map: RuleMap, rules: ShapingRules = DEFAULT_SHAPING_RULES
) -> tuple[LastShape, int]:
    """The smooth displacement that takes the base last toward the foot under the rule map (steps 1-2 of the
    module's docstring; added to the base's own shape, if it has one), and the iterations it took."""
    rows, columns = rules.grid
    along = np.linspace(0.0, 1.0, rows)
    around = np.arange(columns) / columns
    grid = parametric_surface(replace(base, shape=None), along, around)
    # A base last with a shape of its own (a shop's scanned last, lasts.base_lasts) is deformed from that shape.
    own = np.zeros((rows, columns, 3)) if base.shape is None else base.shape.at_grid(along, around)
    own[:, :, 1] *= base.medial_sign
    grid = grid + own
    energy, area = _smoothness(grid)
    points = grid[1:-1].reshape(-1, 3)
    node_around = np.tile(around, rows - 2)
    weights = _node_weights(points, _grid_normals(grid, base.medial_sign)[1:-1].reshape(-1, 3), node_around,
                            foot, rule_map, rules)  # fmt: skip
    solver = _FieldSolver(energy, area, (rules.smoothing_length_mm / (2.0 * math.pi)) ** 4)
    field = np.zeros_like(points)
    for _ in range(rules.iterations):
        moved = grid.copy()
        moved[1:-1] += field.reshape(rows - 2, columns, 3)
        normals = _grid_normals(moved, base.medial_sign)[1:-1].reshape(-1, 3)
        closest, foot_normals, distance = foot.closest(moved[1:-1].reshape(-1, 3))
        target = rule_map.target_room_mm(closest, foot_normals)
        least = rule_map.least_room_mm(closest, foot_normals)
        # Trust a foot point that faces the way the node does and lies within reach.
        facing = np.clip(np.einsum("ij,ij->i", normals, foot_normals), 0.0, 1.0) ** 2
        reach = _smoothstep((rules.max_reach_mm - np.abs(distance)) / (0.4 * rules.max_reach_mm))
        judged = np.isfinite(target)
        move = np.where(judged, np.nan_to_num(target) - distance, 0.0)
        weight = np.where(judged, weights.follow, 0.0)
        press = least - distance  # > 0: the last presses deeper than the rules allow
        pressed = press > 0.0
        move = np.where(pressed & ~judged, press, move)
        weight = np.where(pressed, np.maximum(weight, weights.guard), weight) * facing * reach
        # Each node moves within its section's plane (x stays: the sections, the stations and the landmarks keep
        # their places along the last), by as much as puts it the asked distance along its normal.
        across = normals.copy()
        across[:, 0] = 0.0
        in_plane = np.maximum(np.einsum("ij,ij->i", across, across), 0.25)
        weight *= np.minimum(in_plane / 0.5, 1.0)
        field = solver.solve(weight, field + (move / in_plane)[:, None] * across, weights.keep)
    full = own.copy()
    full[1:-1] += field.reshape(rows - 2, columns, 3)
    full[:, :, 1] *= base.medial_sign  # stored in the right last's frame
    return LastShape(full), rules.iterations


# The girths the correction offsets round their sections; the short heel girth and the toe height are moved by the
# base's own parameters (the heel point on the back curve and the toe box height: the base's design). The widths
# are the rule map's (the sides' room): not corrected.
_BANDED = ("ball", "waist", "instep", "long_heel")
_KNOBS = (
    ("short_heel_girth_mm", "short_heel_girth_mm"),
    ("toe_height_mm", "toe_box_height_mm"),
)


def _smoothed(values: np.ndarray, surface: np.ndarray, length_mm: float) -> FloatArray:
    """(rows, columns) values on the grid smoothed on the surface: wavelengths under ``length_mm`` damped (the
    field's thin-plate fit with every node weighted alike); the pole rows keep their values."""
    energy, area = _smoothness(surface)
    inner = values[1:-1].ravel()
    system = ((length_mm / (2.0 * math.pi)) ** 4 * energy + sp.diags(area)).tocsc()
    out = values.astype(np.float64).copy()
    out[1:-1] = spsolve(system, area * inner, permc_spec="MMD_ATA").reshape(values.shape[0] - 2, values.shape[1])
    return out


def _cover_height_mm(x_mm: np.ndarray, foot_length_mm: float) -> FloatArray:
    """The shoe's top over the foot (FitLimits' cover heights: 0.25 L at the heel, 0.40 L ahead), mm."""
    share = np.interp(np.asarray(x_mm) / foot_length_mm, [0.20, 0.36], [0.25, 0.40])
    cover: FloatArray = foot_length_mm * share
    return cover


def _girth_bands(
    params: LastParameters, lines: dict[str, GirthLine], shrink: dict[str, bool], foot: FootQuery, rule_map: RuleMap,
    rules: ShapingRules,
) -> dict[str, FloatArray]:  # fmt: skip
    """Per banded girth, the shape field (rows, columns, 3; right last's frame) of an offset round its section:
    outward within the section's plane, fading off the girth's plane (Gaussian, ``band_mm``), the bottom kept. A
    girth taken in (``shrink``) is taken more where the last leaves the foot more room than its rules' least
    (up to 1 mm there, ``band_floor`` of it where it leaves none), one let out more where it leaves less: the
    change is spread round the section, never pushed into one spot, and presses least where the foot is tight."""
    rows, columns = rules.grid
    along = np.linspace(0.0, 1.0, rows)
    around = np.arange(columns) / columns
    surface = parametric_surface(replace(params, shape=None), along, around)
    if params.shape is not None:
        moved = params.shape.displacement_mm.copy()
        moved[:, :, 1] *= params.medial_sign
        surface = surface + moved
    normals = _grid_normals(surface, params.medial_sign)
    across = normals.copy()
    across[..., 0] = 0.0
    across /= np.maximum(np.linalg.norm(across, axis=-1, keepdims=True), 1e-9)
    m = np.minimum(around, 1.0 - around)[None, :, None]
    across *= _smoothstep((m - 0.09) / 0.04)  # the flat bottom stays; the feather corner takes the offset
    # Room to give: how much more room than the rules' least each node leaves (all of it above the shoe's top, or
    # with no foot within reach).
    closest, foot_normals, distance = foot.closest(surface.reshape(-1, 3))
    spare = (distance - rule_map.least_room_mm(closest, foot_normals)).reshape(rows, columns)
    over = surface[..., 2] - _cover_height_mm(surface[..., 0], rule_map.foot_length_mm)
    free = np.maximum(_smoothstep(over / rules.fade_mm), (np.abs(distance) > rules.max_reach_mm).reshape(rows, columns))
    give = np.maximum(_smoothstep(spare / rules.give_span_mm), free)
    give = _smoothed(give, surface, rules.give_smoothing_mm)  # the foot's bumps must not print into the band
    bands: dict[str, FloatArray] = {}
    for name in _BANDED:
        line = lines[name]
        share = give if shrink[name] else 1.0 - give * (1.0 - free)
        weight = rules.band_floor + (1.0 - rules.band_floor) * share
        if name == "long_heel":
            # Its loop runs up over the ankle front, mostly above the shoe's top: take the change more there.
            covered = rules.long_heel_covered_share
            weight = weight * (covered + (1.0 - covered) * _smoothstep(over / (2.0 * rules.fade_mm) + 0.5))
        distance_to_plane = (surface - line.origin) @ line.normal
        band = (np.exp(-0.5 * (distance_to_plane / rules.band_mm) ** 2) * weight)[..., None] * across
        band[0] = band[-1] = 0.0  # the poles stay
        band[:, :, 1] *= params.medial_sign
        bands[name] = band
    return bands


def _corrected(
    params: LastParameters, targets: dict[str, float], foot: FootQuery, rule_map: RuleMap, rules: ShapingRules,
    final_face_count: int,
) -> tuple[LastParameters, int]:  # fmt: skip
    """The shaped last with each girth brought to its target: the banded girths by offsets round their sections,
    the short heel girth and the toe height by the base's parameters; Newton's method on a measured Jacobian,
    updated by Broyden's rule. Returns the parameters and the builds it took."""
    faces = rules.solve_face_count
    keys = [f"{name}_girth_mm" for name in _BANDED] + [key for key, _ in _KNOBS]
    measured = measure_last(build_last(params, faces))
    unmeasured = [k for k in keys if measured.values().get(k) is None]
    if unmeasured:
        raise ShapingError(f"the shaped last's {unmeasured[0].removesuffix('_mm').replace('_', ' ')} cannot be "
                           "measured")  # fmt: skip
    goal = np.array([targets[k] for k in keys])
    first = measured.values()
    r = np.array([float(first[k] or 0.0) for k in keys]) - goal
    shrink = {name: bool(r[i] > 0.0) for i, name in enumerate(_BANDED)}
    lines = {line.name: line for line in measured.girth_lines}
    bands = _girth_bands(params, lines, shrink, foot, rule_map, rules)
    assert params.shape is not None
    field = params.shape.displacement_mm

    def trial(u: np.ndarray) -> LastParameters:
        moved = field + sum(u[i] * bands[name] for i, name in enumerate(_BANDED))
        knobs = {param: getattr(params, param) + u[len(_BANDED) + i] for i, (_, param) in enumerate(_KNOBS)}
        return params.with_values(shape=LastShape(moved), **knobs)

    def residual(u: np.ndarray, face_count: int = faces) -> FloatArray:
        values = measure_last(build_last(trial(u), face_count)).values()
        measured = [values.get(k) for k in keys]
        if any(v is None for v in measured):
            missing = keys[measured.index(None)]
            raise ShapingError(f"the shaped last's {missing.removesuffix('_mm').replace('_', ' ')} cannot be "
                               "measured")  # fmt: skip
        error: FloatArray = np.array([float(v or 0.0) for v in measured]) - goal
        return error

    u = np.zeros(len(keys))
    builds = 1
    jacobian = np.empty((len(keys), len(keys)))
    probe_sizes = [1.5] * len(_BANDED) + [3.0] * len(_KNOBS)  # mm of offset, mm of girth or height
    for j, size in enumerate(probe_sizes):
        probe = u.copy()
        probe[j] += size
        jacobian[:, j] = (residual(probe) - r) / size
        builds += 1
    # On the coarse mesh to its facet noise, then polished on the final one (the waist's tightest section, found
    # by a search along the last, moves a little between meshes).
    for face_count, steps in ((faces, rules.correction_steps), (final_face_count, rules.polish_steps)):
        if face_count != faces:
            r = residual(u, face_count)
            builds += 1
        best = (float(np.abs(r).max()), u, r)
        for _ in range(steps):
            if best[0] <= rules.girth_tolerance_mm:
                break
            step = -np.linalg.lstsq(jacobian, r, rcond=None)[0]
            step *= min(1.0, 10.0 / max(float(np.abs(step).max()), 1e-9))  # no band moves more than 10 mm at once
            r_new = residual(u + step, face_count)
            builds += 1
            jacobian += np.outer(r_new - r - jacobian @ step, step) / float(step @ step)
            u, r = u + step, r_new
            if float(np.abs(r).max()) < best[0]:
                best = (float(np.abs(r).max()), u, r)
        _, u, r = best
    return trial(u), builds


def shape_last(
    base: LastFit,
    foot_vertices: np.ndarray,
    foot_faces: np.ndarray,
    rule_map: RuleMap,
    rules: ShapingRules = DEFAULT_SHAPING_RULES,
    face_count: int = 50_000,
) -> ShapedLast:
    """The base last (``solve_last``'s, standing, in the foot's frame) shaped to the foot (vertices (n, 3) and faces
    (m, 3), mm, the measuring frame) under the rule map: the field, then each girth corrected; measured with the
    foot's definitions on a ``face_count`` mesh."""
    started = time.perf_counter()
    foot = FootQuery(foot_vertices, foot_faces, rules.extend_cut_mm)
    params = base.last.params
    shape, iterations = shape_field(params, foot, rule_map, rules)
    shaped, builds = _corrected(params.with_values(shape=shape), base.targets, foot, rule_map, rules, face_count)
    last = build_last(shaped, face_count)
    measured = measure_last(last).values()
    achieved = {k: float(v) for k in TARGET_KEYS if (v := measured.get(k)) is not None}
    widths = {k: v for k, v in base.targets.items() if k in RULE_MAP_WIDTHS}
    seconds = time.perf_counter() - started
    fit = LastFit(last, dict(base.targets), achieved, base.iterations + builds, base.seconds + seconds,
                  free_keys=RULE_MAP_WIDTHS)  # fmt: skip
    return ShapedLast(fit, params, rule_map, widths, iterations, builds, seconds)

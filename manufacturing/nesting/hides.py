"""Hide nesting (leather): irregular hides with holes, defects and quality zones.

spyrrow has no hides, defects or grades, so this engine is our own:

1. **Raster collision grid.** Each hide is sampled on a square grid (``cell_mm``, about 450 cells across
   the largest hide). For every grade ``q`` a piece part may need, a grid marks the cells whose centre is
   *not* usable for ``q`` (outside the hide, in a hole, on a defect or on a zone graded below ``q``). Each
   piece orientation (rotation, mirror) is sampled the same way, split into the parts of each required
   grade, plus a weighted ring: cells up to ``ring_cells`` away, a neighbour one cell away counting fully,
   ``ring_cells`` away 1/``ring_cells``.
2. **Feasible positions by correlation.** The number of conflicting cells of a piece at every grid
   position is a 2-D correlation (``scipy.signal.fftconvolve``): once per hide and orientation for the
   static part (computed once per hide and reused by every construction), and updated locally (only the
   window around the new piece) each time a piece is placed. The weighted ring cells that are blocked
   (hide edge, defect or piece) are kept the same way.
3. **Placement rule.** Pieces go largest first (pairs / groups together, all or none, on one hide); each
   goes to the feasible position and orientation with the most weighted ring contact, minus a gravity
   term (``gravity_rows``, ``gravity_cols``): the thick ring sees near misses too, so pieces go where the
   space around them is already used instead of leaving slivers; the gravity fills from the bottom.
4. **Exact check and slide.** The raster is only a candidate filter: each candidate is checked with shapely
   (inside the usable hide for each part's grade, no overlap, kerf) and the next best is tried on failure.
   The accepted piece then slides to exact contact along y, x and y again (the nearer side, bisection on
   the same exact check, at most ``slide_cells``), closing the gap the grid leaves; the cells it covers
   there are what the grid marks occupied.
5. **Local search.** Within the time budget, the piece order is perturbed (random swaps of the area
   ranking) and the gravity weights drawn again, the construction rerun; the layout placing the most area
   (then consuming the least hide) is kept.

Every returned layout is validated exactly (``validate_hide_layout``).
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import shapely
from scipy.ndimage import distance_transform_cdt
from scipy.signal import fftconvolve
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from geometry.arrays import FloatArray
from manufacturing.nesting.model import (
    Hide,
    HideInstance,
    HideLayout,
    HidePlacement,
    Piece,
    transform_polygon,
)
from manufacturing.nesting.validate import AREA_TOL, KERF_TOL_MM, validate_hide_layout

CANDIDATES_CHECKED = 64  # exact checks per piece copy before giving up on a hide
SLIDE_STEPS = 6  # bisection steps of the exact slide (the last step is 1/64 of the reach)


@dataclass(frozen=True)
class HideNestConfig:
    """Engine settings. ``cell_mm`` None picks about 450 cells across the largest hide."""

    seconds: float = 10.0
    kerf_mm: float = 0.0
    cell_mm: float | None = None
    margin_cells: float = 0.0
    seed: int = 0
    rule: str = "contact"  # "contact" (this engine) or "bottom_left" (the plain reference)
    restarts: bool = True
    gravity_rows: float = 3.0  # score penalty across the hide's height (contact is 0..1): fill from the bottom
    gravity_cols: float = 0.5  # the same across its width
    ring_cells: int = 6  # contact counted up to this many cells from the piece (nearer counts more)
    slide_cells: float = 2.0  # exact bottom-left slide after each placement, up to this many cells; 0: off


@dataclass
class _Orientation:
    rotation_deg: float
    mirrored: bool
    shape: Polygon  # the piece at this orientation, before translation
    grown: Polygon  # ``shape`` dilated by kerf/2 + margin: what a placed copy marks occupied
    anchor: tuple[float, float]  # mm: the lower-left corner of the mask's cell (0, 0) edge
    body: np.ndarray  # (h, w) bool: cells taken by the piece (kerf/2 + margin dilated)
    ring: np.ndarray  # (h, w) float: cells within ``reach`` of ``body``, weighted by nearness (1 .. 1/reach)
    parts: list[tuple[int, np.ndarray]]  # (grade needed, (h, w) bool cells of that part)
    exact_parts: list[tuple[int, BaseGeometry]]


def _cells(geometry: BaseGeometry, x0: float, y0: float, cell: float, shape: tuple[int, int]) -> np.ndarray:
    """(rows, cols) bool: cells whose centre lies in ``geometry`` (row = y, col = x, from (x0, y0))."""
    ys = y0 + (np.arange(shape[0]) + 0.5) * cell
    xs = x0 + (np.arange(shape[1]) + 0.5) * cell
    grid_x: FloatArray
    grid_y: FloatArray
    grid_x, grid_y = np.meshgrid(xs, ys)
    return shapely.contains_xy(geometry, grid_x, grid_y)


def _orientations(
    piece: Piece, hide: Hide, cell: float, kerf_mm: float, margin_mm: float, reach: int = 1
) -> list[_Orientation]:
    result = []
    mirrors = (False, True) if piece.mirror_allowed else (False,)
    for mirrored in mirrors:
        for relative in piece.rotations_deg:
            rotation = (relative + hide.backbone_deg) % 360.0
            shape = transform_polygon(piece.polygon, rotation, 0.0, 0.0, mirrored)
            grown = shape.buffer(kerf_mm / 2 + margin_mm, join_style="mitre") if kerf_mm / 2 + margin_mm > 0 else shape
            gx0, gy0, gx1, gy1 = grown.bounds
            # ``reach`` spare cells each side so the ring fits inside the mask.
            x0, y0 = gx0 - reach * cell, gy0 - reach * cell
            dims = (math.ceil((gy1 - y0) / cell) + reach + 1, math.ceil((gx1 - x0) / cell) + reach + 1)
            body = _cells(grown, x0, y0, cell, dims)
            steps = distance_transform_cdt(~body, metric="chessboard")
            # Near cells weigh more: a neighbour 1 cell away counts fully, ``reach`` cells away 1/reach.
            ring = np.where((steps >= 1) & (steps <= reach), (reach + 1 - steps) / reach, 0.0)
            exact_parts = [
                (q, transform_polygon(part, rotation, 0.0, 0.0, mirrored)) for q, part in piece.required_parts()
            ]
            parts = [
                (q, _cells(part.buffer(margin_mm) if margin_mm else part, x0, y0, cell, dims))
                for q, part in exact_parts
            ]
            result.append(_Orientation(rotation, mirrored, shape, grown, (x0, y0), body, ring, parts, exact_parts))
    return result


def _correlate(grid: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """out[i, j] = sum over (k, l) of grid[i + k, j + l] * mask[k, l] (valid positions only)."""
    if grid.shape[0] < mask.shape[0] or grid.shape[1] < mask.shape[1]:
        return np.zeros((0, 0), dtype=np.float32)
    return fftconvolve(grid.astype(np.float32), mask[::-1, ::-1].astype(np.float32), mode="valid")


class _HideState:
    """One hide being filled: its raster grids, per-orientation maps, and the exact placed shapes."""

    def __init__(self, hide: Hide, pieces: Sequence[Piece], config: HideNestConfig, cell: float) -> None:
        self.hide = hide
        self.cell = cell
        self.kerf_mm = config.kerf_mm
        self.slide_mm = config.slide_cells * cell
        self.gravity = (config.gravity_rows, config.gravity_cols)
        margin = config.margin_cells * cell
        minx, miny, maxx, maxy = hide.outline.bounds
        pad = config.ring_cells  # the grid extends ``pad`` cells beyond the hide so rings fit at its edge
        self.x0, self.y0 = minx - pad * cell, miny - pad * cell
        self.shape = (math.ceil((maxy - miny) / cell) + 1 + 2 * pad, math.ceil((maxx - minx) / cell) + 1 + 2 * pad)
        minx, miny = self.x0, self.y0
        grades = sorted({q for p in pieces for q, _ in p.required_parts()})
        self.usable = {q: hide.usable(q) for q in grades}
        for geometry in self.usable.values():
            shapely.prepare(geometry)
        self.forbidden = {q: ~_cells(self.usable[q], minx, miny, cell, self.shape) for q in grades}
        self.edge = ~_cells(hide.usable(1), minx, miny, cell, self.shape)
        self.occupied = np.zeros(self.shape, dtype=bool)
        self.orientations = {
            p.id: _orientations(p, hide, cell, config.kerf_mm, margin, config.ring_cells) for p in pieces
        }
        self.conflicts: dict[tuple[str, int], np.ndarray] = {}
        self.contact: dict[tuple[str, int], np.ndarray] = {}
        for piece in pieces:
            for k, o in enumerate(self.orientations[piece.id]):
                static = sum((_correlate(self.forbidden[q], m) for q, m in o.parts), start=np.zeros((1, 1)))
                self.conflicts[piece.id, k] = np.asarray(static, dtype=np.float32)
                self.contact[piece.id, k] = _correlate(self.edge, o.ring).astype(np.float32)
        self.placed: list[Polygon] = []
        self.placed_bounds = np.zeros((0, 4))
        self.rejected: set[tuple[str, int, int, int]] = set()

    def fresh(self, config: HideNestConfig) -> _HideState:
        """An empty copy for another construction: the static maps (hide, holes, defects, grades) are the
        costly part of the setup, and they do not change between constructions."""
        state = copy.copy(self)
        state.gravity = (config.gravity_rows, config.gravity_cols)
        state.occupied = np.zeros(self.shape, dtype=bool)
        state.conflicts = {k: v.copy() for k, v in self.conflicts.items()}
        state.contact = {k: v.copy() for k, v in self.contact.items()}
        state.placed, state.placed_bounds, state.rejected = [], np.zeros((0, 4)), set()
        return state

    def candidates(self, piece_id: str, rule: str, limit: int) -> list[tuple[float, int, int, int]]:
        """Best feasible (score, orientation, row, col) by the raster, best first."""
        found: list[tuple[float, int, int, int]] = []
        for k, o in enumerate(self.orientations[piece_id]):
            conflicts = self.conflicts[piece_id, k]
            if conflicts.size == 0:
                continue
            feasible = conflicts < 0.5
            if not feasible.any():
                continue
            rows, cols = np.nonzero(feasible)
            if rule == "bottom_left":
                score = -(rows * self.shape[1] + cols).astype(float)
            else:
                ring = max(float(o.ring.sum()), 1.0)
                score = (
                    self.contact[piece_id, k][rows, cols] / ring
                    - self.gravity[0] * rows / self.shape[0]
                    - self.gravity[1] * cols / self.shape[1]
                )
            take = np.argsort(-score, kind="stable")[: limit * 2]
            found += [(float(score[t]), k, int(rows[t]), int(cols[t])) for t in take]
        found.sort(key=lambda c: -c[0])
        return [c for c in found if (piece_id, c[1], c[2], c[3]) not in self.rejected][:limit]

    def placement_mm(self, o: _Orientation, row: int, col: int) -> tuple[float, float]:
        return self.x0 + col * self.cell - o.anchor[0], self.y0 + row * self.cell - o.anchor[1]

    def exact_ok(self, o: _Orientation, dx: float, dy: float) -> Polygon | None:
        """The placed piece if it meets every rule exactly, else None."""
        shape = shapely.affinity.translate(o.shape, dx, dy)
        # Half the validator's tolerances, shared among the parts: the slide stops right at the limit.
        part_tol = 0.5 * AREA_TOL * shape.area / len(o.exact_parts)
        for quality, part in o.exact_parts:
            moved = shape if len(o.exact_parts) == 1 else shapely.affinity.translate(part, dx, dy)
            if not self.usable[quality].contains(moved) and moved.difference(self.usable[quality]).area > part_tol:
                return None
        if self.placed:
            x0, y0, x1, y1 = shape.bounds
            reach = self.kerf_mm
            b = self.placed_bounds
            near = np.nonzero(
                (b[:, 0] <= x1 + reach) & (b[:, 2] >= x0 - reach) & (b[:, 1] <= y1 + reach) & (b[:, 3] >= y0 - reach)
            )[0]
            for n in near:
                other = self.placed[n]
                if reach > 0:
                    if shape.distance(other) < reach + KERF_TOL_MM:
                        return None
                elif shape.intersects(other) and shape.intersection(other).area > 0.5 * AREA_TOL * min(
                    shape.area, other.area
                ):
                    return None
        return shape

    def body_cells(self, o: _Orientation, dx: float, dy: float) -> tuple[int, int, np.ndarray]:
        """(row, col, (h, w) bool): the grid cells whose centre lies in the placed grown piece."""
        gx0, gy0, gx1, gy1 = o.grown.bounds
        col = max(math.floor((gx0 + dx - self.x0) / self.cell), 0)
        row = max(math.floor((gy0 + dy - self.y0) / self.cell), 0)
        col1 = min(math.ceil((gx1 + dx - self.x0) / self.cell) + 1, self.shape[1])
        row1 = min(math.ceil((gy1 + dy - self.y0) / self.cell) + 1, self.shape[0])
        moved = shapely.affinity.translate(o.grown, dx, dy)
        x0, y0 = self.x0 + col * self.cell, self.y0 + row * self.cell
        return row, col, _cells(moved, x0, y0, self.cell, (max(row1 - row, 0), max(col1 - col, 0)))

    def commit(self, row: int, col: int, body: np.ndarray, shape: Polygon) -> None:
        """Mark ``body`` (cells from ``row``, ``col``) occupied and update every map in the window it affects."""
        h, w = body.shape
        before = self.occupied[row : row + h, col : col + w].copy()
        self.occupied[row : row + h, col : col + w] |= body
        delta = np.zeros(self.shape, dtype=np.float32)
        delta[row : row + h, col : col + w] = self.occupied[row : row + h, col : col + w] & ~before
        for (piece_id, k), conflicts in self.conflicts.items():
            if conflicts.size == 0:
                continue
            other = self.orientations[piece_id][k]
            mh, mw = other.body.shape
            r0, c0 = max(row - mh + 1, 0), max(col - mw + 1, 0)
            r1, c1 = min(row + h, conflicts.shape[0]), min(col + w, conflicts.shape[1])
            if r0 >= r1 or c0 >= c1:
                continue
            window = delta[r0 : r1 + mh - 1, c0 : c1 + mw - 1]
            conflicts[r0:r1, c0:c1] += _correlate(window, other.body)
            self.contact[piece_id, k][r0:r1, c0:c1] += _correlate(window, other.ring)
        self.placed.append(shape)
        self.placed_bounds = np.vstack([self.placed_bounds, np.asarray(shape.bounds)[None, :]])

    def _contact_mm(self, o: _Orientation, dx: float, dy: float, ux: float, uy: float) -> tuple[float, Polygon | None]:
        """How far (mm, within ``slide_mm``) the piece moves along (ux, uy) before it touches something,
        and its shape there; (inf, None) when nothing is within reach. Bisection on ``exact_ok``."""
        if self.exact_ok(o, dx + ux * self.slide_mm, dy + uy * self.slide_mm) is not None:
            return math.inf, None
        low, high, shape = 0.0, self.slide_mm, None
        for _ in range(SLIDE_STEPS):
            middle = (low + high) / 2
            moved = self.exact_ok(o, dx + ux * middle, dy + uy * middle)
            if moved is not None:
                low, shape = middle, moved
            else:
                high = middle
        return low, shape

    def slide(self, o: _Orientation, dx: float, dy: float, shape: Polygon) -> tuple[float, float, Polygon]:
        """Move the piece to exact contact with its nearest neighbour along y, then x, then y again (each
        within ``slide_mm``, the nearer side): closes the gap the grid leaves. Every position taken passes
        ``exact_ok``."""
        for axis in ((0.0, 1.0), (1.0, 0.0), (0.0, 1.0)):
            best: tuple[float, float, float, Polygon | None] = (math.inf, 0.0, 0.0, None)
            for sign in (-1.0, 1.0):
                ux, uy = sign * axis[0], sign * axis[1]
                distance, moved = self._contact_mm(o, dx, dy, ux, uy)
                if moved is not None and distance < best[0]:
                    best = (distance, ux, uy, moved)
            distance, ux, uy, moved = best
            if moved is not None and distance > 0:
                dx, dy, shape = dx + ux * distance, dy + uy * distance, moved
        return dx, dy, shape

    def try_place(self, piece: Piece, rule: str) -> tuple[_Orientation, float, float] | None:
        for _, k, row, col in self.candidates(piece.id, rule, CANDIDATES_CHECKED):
            o = self.orientations[piece.id][k]
            dx, dy = self.placement_mm(o, row, col)
            shape = self.exact_ok(o, dx, dy)
            if shape is not None:
                if rule != "bottom_left" and self.slide_mm > 0:
                    dx, dy, shape = self.slide(o, dx, dy, shape)
                self.commit(*self.body_cells(o, dx, dy), shape)
                return o, dx, dy
            self.rejected.add((piece.id, k, row, col))
            # The exact check failed though the raster allowed it: forbid that raster position.
            self.conflicts[piece.id, k][row, col] += 1.0
        return None


def auto_cell_mm(instance: HideInstance) -> float:
    """A grid cell (mm) giving about 450 cells across the largest hide, and at least 6 across the
    narrowest piece (the exact checks and the slide, not the grid, set how close pieces come)."""
    largest = max(
        max(h.outline.bounds[2] - h.outline.bounds[0], h.outline.bounds[3] - h.outline.bounds[1])
        for h in instance.hides
    )
    narrowest = min(
        min(p.polygon.bounds[2] - p.polygon.bounds[0], p.polygon.bounds[3] - p.polygon.bounds[1])
        for p in instance.pieces
    )
    return max(min(largest / 450.0, narrowest / 6.0), largest / 1500.0)


def _units(instance: HideInstance, order_key: Callable[[Piece], float]) -> list[list[Piece]]:
    """The demand as placing units: a group's pieces together (one unit per copy), others one by one."""
    grouped: dict[str, list[Piece]] = {}
    units: list[list[Piece]] = []
    for piece in instance.pieces:
        if piece.group is not None:
            grouped.setdefault(piece.group, []).append(piece)
        else:
            units += [[piece] for _ in range(piece.demand)]
    for members in grouped.values():
        for index in range(max(p.demand for p in members)):
            units.append([p for p in members if p.demand > index])
    units.sort(key=lambda unit: -sum(order_key(p) for p in unit))
    return units


def _construct(
    instance: HideInstance,
    config: HideNestConfig,
    cell: float,
    units: list[list[Piece]],
    deadline: float,
    empty_hides: dict[str, _HideState] | None = None,
) -> list[HidePlacement]:
    """One greedy pass over ``units`` (in order), hides filled in order. ``empty_hides`` caches each hide's
    static setup across passes."""
    empty_hides = {} if empty_hides is None else empty_hides
    placements: list[HidePlacement] = []
    remaining = list(units)
    for hide in instance.hides:
        if not remaining or time.monotonic() > deadline:
            break
        if hide.id not in empty_hides:
            empty_hides[hide.id] = _HideState(hide, instance.pieces, config, cell)
        state = empty_hides[hide.id].fresh(config)
        failed: set[tuple[str, ...]] = set()
        left: list[list[Piece]] = []
        for unit in remaining:
            signature = tuple(p.id for p in unit)
            if signature in failed or time.monotonic() > deadline:
                left.append(unit)
                continue
            done: list[HidePlacement] = []
            snapshot = (
                (
                    state.occupied.copy(),
                    {k: v.copy() for k, v in state.conflicts.items()},
                    {k: v.copy() for k, v in state.contact.items()},
                    len(state.placed),
                )
                if len(unit) > 1
                else None
            )
            for piece in unit:
                result = state.try_place(piece, config.rule)
                if result is None:
                    break
                o, dx, dy = result
                done.append(HidePlacement(piece.id, hide.id, o.rotation_deg, o.mirrored, dx, dy))
            if len(done) == len(unit):
                placements += done
                continue
            if snapshot is not None and done:  # a group goes all or none: undo its placed members
                state.occupied, state.conflicts, state.contact, count = snapshot
                state.placed = state.placed[:count]
                state.placed_bounds = state.placed_bounds[:count]
            failed.add(signature)
            left.append(unit)
        remaining = left
    return placements


def nest_hides(instance: HideInstance, config: HideNestConfig | None = None) -> HideLayout:
    """Nest as much of ``instance``'s demand as fits on its hides (in order) within ``config.seconds``.

    Returns the best layout found, validated exactly; the demand that did not fit is ``layout.unplaced()``.
    """
    config = config or HideNestConfig()
    if config.kerf_mm < 0 or config.seconds <= 0:
        raise ValueError(f"kerf {config.kerf_mm} mm must be >= 0 and time {config.seconds} s > 0")
    start = time.monotonic()
    deadline = start + config.seconds
    cell = config.cell_mm or auto_cell_mm(instance)
    rng = random.Random(config.seed)
    if config.rule == "bottom_left":
        units = _units(instance, lambda p: 0.0)  # input order (the sort is stable)
        best = _construct(instance, config, cell, units, deadline)
        return validate_hide_layout(HideLayout(instance, tuple(best), config.kerf_mm))
    units = _units(instance, lambda p: p.area_mm2 * (1.0 + 0.5 * (p.min_quality > 1)))
    empty_hides: dict[str, _HideState] = {}
    best = _construct(instance, config, cell, units, deadline, empty_hides)
    best_key = _objective(instance, best, config.kerf_mm)
    last = time.monotonic() - start
    while config.restarts and time.monotonic() + last < deadline:
        began = time.monotonic()
        trial_units = _perturb(units, rng)
        trial_config = replace(config, gravity_rows=rng.uniform(1.0, 6.0), gravity_cols=rng.uniform(0.0, 1.0))
        trial = _construct(instance, trial_config, cell, trial_units, deadline, empty_hides)
        key = _objective(instance, trial, config.kerf_mm)
        if key > best_key:
            best, best_key, units = trial, key, trial_units
        last = time.monotonic() - began
    return validate_hide_layout(HideLayout(instance, tuple(best), config.kerf_mm))


def _objective(instance: HideInstance, placements: list[HidePlacement], kerf_mm: float) -> tuple[float, float]:
    layout = HideLayout(instance, tuple(placements), kerf_mm)
    return round(layout.placed_area_mm2, 3), -layout.consumed_area_mm2()


def _perturb(units: list[list[Piece]], rng: random.Random) -> list[list[Piece]]:
    """The order with a few random swaps of nearby units (a local move on the sequence)."""
    order = list(units)
    for _ in range(max(1, len(order) // 10)):
        a = rng.randrange(len(order))
        b = min(len(order) - 1, max(0, a + rng.randint(-8, 8)))
        order[a], order[b] = order[b], order[a]
    return order

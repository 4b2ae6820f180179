"""Our own style pieces as hide-nesting pieces: a flattened pair (``configurator.pattern_making``) becomes
the leather pieces of one order, ready for :func:`manufacturing.nesting.hides.nest_hides`.

Per pattern piece (all lengths in mm):

- **shape**: the cut line (allowances included) as a polygon, turned so that its grain line runs along +x
  and centred on its centroid; inner cut-outs (eyelets, perforations) are cut inside the piece and are not
  nested, so the nesting area is the cut line's area.
- **grade**: the lowest hide grade the piece may be cut from, by piece kind (``PIECE_GRADES``), in
  ``docs/nesting.md``'s quality convention (higher is better, ``FULL_QUALITY`` = leather outside every
  graded zone).
- **grain**: rotations within ``grain_limit_deg`` of the hide's backbone (either way round: the grain is a
  line), never mirrored (the grain side of leather is the outside of the shoe; a mirrored piece would be
  the other foot's).
- **group**: both shoes' pieces of one pair share the order id, so a pair is cut from one hide, all or
  none (shade and grain match within a pair).
- **which pieces**: only the material slots cut from the upper hide (``HIDE_SLOTS``: ``upper``,
  ``overlay``, ``tongue``); the rest (``elastic`` gussets, textile) go to a roll and are returned apart, so
  nothing is dropped silently.

Piece ids read ``<order>/<side>/<piece>`` (``order-7/left/vamp_medial``); a piece cut more than once per
shoe gets ``#2``, ``#3``... on the further copies.

:func:`nest_style_pairs` nests orders on hides. The engine's setup and every placement cost grow with the
number of distinct pieces (each has its own raster maps per orientation), so orders whose pieces are the
same shapes under the same rules (one design, one size, one last) are nested as one *design* with a demand
of that many pairs, one hide at a time, and the copies handed back to the orders: the result is a layout of
the orders' own ids and groups, validated exactly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from shapely import affinity
from shapely.geometry import Polygon

from configurator.pattern_making import PairFlattening, StyleFlattening
from geometry.errors import InputError
from geometry.pattern import PatternPiece
from manufacturing.nesting.errors import NestingError
from manufacturing.nesting.hides import HideNestConfig, nest_hides
from manufacturing.nesting.model import (
    FULL_QUALITY,
    Hide,
    HideInstance,
    HideLayout,
    HidePlacement,
    Piece,
    grain_rotations,
)
from manufacturing.nesting.validate import validate_hide_layout

# The lowest hide grade (higher is better, FULL_QUALITY: outside every graded zone) each kind of piece may
# be cut from. The toe is what everyone sees and where the upper breaks at every step: vamps and toe caps
# take only flawless leather. Quarters and saddles are seen but do not flex much; the rest is covered by
# laces or overlays, lies inside (counters, linings) or is small.
PIECE_GRADES: Mapping[str, int] = {
    "vamp": FULL_QUALITY,
    "toe_cap": FULL_QUALITY,
    "quarter": 3,
    "saddle": 3,
    "collar": 3,
    "facing": 2,
    "tongue": 2,
    "counter": 2,
    "gusset": 2,
    "lining": 1,
}
# Material slots cut from the upper leather hide; any other slot (``elastic`` gussets, textile linings)
# is cut from a roll (``manufacturing.nesting.strip``).
HIDE_SLOTS: frozenset[str] = frozenset({"upper", "overlay", "tongue"})
GRAIN_LIMIT_DEG = 15.0  # the grain line stays within ±15° of the backbone
GRAIN_STEP_DEG = 5.0


@dataclass(frozen=True)
class OffHidePiece:
    """A pattern piece of the pair that is not cut from the hide (its slot is not a hide slot)."""

    id: str
    kind: str
    material_slot: str
    area_mm2: float


@dataclass(frozen=True)
class PairPieces:
    """One pair's pieces for the hide (one group, ``order_id``) and those that go elsewhere."""

    order_id: str
    pieces: tuple[Piece, ...]
    off_hide: tuple[OffHidePiece, ...]

    @property
    def area_mm2(self) -> float:
        return sum(p.area_mm2 for p in self.pieces)


def grain_angle_deg(pattern: PatternPiece) -> float:
    """Direction of the piece's grain line, degrees counter-clockwise from +x, in (−90, 90] (the grain is a
    line, not an arrow); 0 when it has none (the flattening lays the grain along x)."""
    if pattern.grain_line is None:
        return 0.0
    (x0, y0), (x1, y1) = pattern.grain_line
    if math.hypot(x1 - x0, y1 - y0) < 1e-9:
        return 0.0
    angle = math.degrees(math.atan2(y1 - y0, x1 - x0)) % 180.0
    return angle - 180.0 if angle > 90.0 else angle


def cut_polygon(pattern: PatternPiece) -> Polygon:
    """The cut line as a polygon (mm), grain along +x, centroid at the origin."""
    polygon = Polygon(np.asarray(pattern.cut_line, dtype=np.float64)[:, :2])
    if not polygon.is_valid or polygon.area <= 0:
        raise InputError(f"piece {pattern.name!r} size {pattern.size}: the cut line is not a valid polygon")
    polygon = affinity.rotate(polygon, -grain_angle_deg(pattern), origin=(0.0, 0.0))
    centre = polygon.centroid
    return affinity.translate(polygon, -centre.x, -centre.y)


def _shoe_pieces(
    shoe: StyleFlattening,
    order_id: str,
    rotations: tuple[float, ...],
    grades: Mapping[str, int],
    hide_slots: Iterable[str],
) -> tuple[list[Piece], list[OffHidePiece]]:
    on_hide: list[Piece] = []
    off_hide: list[OffHidePiece] = []
    slots = frozenset(hide_slots)
    for flat in shoe.pieces:
        spec = flat.spec
        for copy in range(spec.quantity):
            piece_id = f"{order_id}/{shoe.side}/{spec.name}" + (f"#{copy + 1}" if copy else "")
            polygon = cut_polygon(flat.pattern)
            if spec.material_slot not in slots:
                off_hide.append(OffHidePiece(piece_id, spec.kind, spec.material_slot, float(polygon.area)))
                continue
            on_hide.append(
                Piece(
                    id=piece_id,
                    polygon=polygon,
                    min_quality=grades.get(spec.kind, FULL_QUALITY),  # an unknown kind: the safe side
                    rotations_deg=rotations,
                    mirror_allowed=False,
                    group=order_id,
                )
            )
    return on_hide, off_hide


def pair_hide_pieces(
    pair: PairFlattening,
    order_id: str,
    grain_limit_deg: float = GRAIN_LIMIT_DEG,
    grain_step_deg: float = GRAIN_STEP_DEG,
    grades: Mapping[str, int] = PIECE_GRADES,
    hide_slots: Iterable[str] = HIDE_SLOTS,
) -> PairPieces:
    """Both shoes' pieces of ``pair`` as hide pieces of one group (``order_id``), plus the pieces cut
    elsewhere. Rotations are ``grain_rotations(grain_limit_deg, grain_step_deg)`` about the backbone."""
    if not order_id or "/" in order_id:
        raise InputError(f"order id {order_id!r} must be non-empty and without '/'")
    rotations = grain_rotations(grain_limit_deg, grain_step_deg)
    slots = tuple(hide_slots)
    pieces: list[Piece] = []
    off_hide: list[OffHidePiece] = []
    for shoe in (pair.left, pair.right):
        on, off = _shoe_pieces(shoe, order_id, rotations, grades, slots)
        pieces += on
        off_hide += off
    return PairPieces(order_id, tuple(pieces), tuple(off_hide))


def style_pairs_instance(name: str, pairs: Sequence[PairPieces], hides: Sequence[Hide]) -> HideInstance:
    """A hide-nesting instance of the pairs' hide pieces on ``hides``; order ids must be distinct."""
    ids = [p.order_id for p in pairs]
    if len(set(ids)) != len(ids):
        raise InputError(f"order ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
    return HideInstance(name, tuple(piece for pair in pairs for piece in pair.pieces), tuple(hides))


def pairs_placed(instance: HideInstance, placed_ids: Iterable[str]) -> list[str]:
    """The order ids whose every hide piece is among ``placed_ids`` (a pair cut complete)."""
    placed = set(placed_ids)
    groups: dict[str, list[str]] = {}
    for piece in instance.pieces:
        if piece.group is not None:
            groups.setdefault(piece.group, []).append(piece.id)
    return sorted(g for g, members in groups.items() if all(m in placed for m in members))


def _suffix(piece: Piece, order_id: str) -> str:
    return piece.id[len(order_id) + 1 :]


def _design_key(pair: PairPieces) -> tuple[object, ...]:
    return tuple(
        (_suffix(p, pair.order_id), p.polygon.wkb, p.min_quality, p.zones, p.rotations_deg, p.mirror_allowed)
        for p in pair.pieces
    )


def nest_style_pairs(
    name: str, pairs: Sequence[PairPieces], hides: Sequence[Hide], config: HideNestConfig | None = None
) -> HideLayout:
    """Nest the pairs' hide pieces on ``hides`` (filled in order, each pair all or none on one hide) within
    ``config.seconds`` in all (shared evenly among the hides still to fill).

    Returns the layout of the orders' own pieces (``style_pairs_instance``), validated exactly; pairs that
    did not fit are in ``layout.unplaced()``.
    """
    config = config or HideNestConfig()
    instance = style_pairs_instance(name, pairs, hides)
    deadline = time.monotonic() + config.seconds
    designs: dict[tuple[object, ...], list[PairPieces]] = {}
    for pair in pairs:
        if pair.pieces:
            designs.setdefault(_design_key(pair), []).append(pair)
    waiting = list(designs.values())  # per design, the orders not yet placed (in the given order)
    placements: list[HidePlacement] = []
    for index, hide in enumerate(hides):
        seconds = (deadline - time.monotonic()) / (len(hides) - index)
        if not any(waiting) or seconds <= 0:
            break
        templates = [
            replace(
                piece, id=f"design-{k}/{_suffix(piece, orders[0].order_id)}", demand=len(orders), group=f"design-{k}"
            )
            for k, orders in enumerate(waiting)
            if orders
            for piece in orders[0].pieces
        ]
        layout = nest_hides(HideInstance(name, tuple(templates), (hide,)), replace(config, seconds=seconds))
        for k, orders in enumerate(waiting):
            if not orders:
                continue
            copies: dict[str, list[HidePlacement]] = {}
            for placement in layout.placements:
                if placement.piece_id.startswith(f"design-{k}/"):
                    copies.setdefault(placement.piece_id.split("/", 1)[1], []).append(placement)
            suffixes = [_suffix(piece, orders[0].order_id) for piece in orders[0].pieces]
            counts = {suffix: len(copies.get(suffix, [])) for suffix in suffixes}
            done = counts[suffixes[0]]
            if any(count != done for count in counts.values()):  # the engine places a group all or none
                raise NestingError(f"design {k} placed incompletely on {hide.id}: {counts}", problems=[str(counts)])
            for copy, order in enumerate(orders[:done]):
                placements += [
                    replace(copies[suffix][copy], piece_id=f"{order.order_id}/{suffix}") for suffix in suffixes
                ]
            waiting[k] = orders[done:]
    return validate_hide_layout(HideLayout(instance, tuple(placements), config.kerf_mm))

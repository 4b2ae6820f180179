"""Nesting data model: pieces, strips, hides, quality zones, placements and layouts (all lengths in mm).

Placement convention (sparrow's): a piece is first mirrored about its own y axis (``x -> -x``) when
``mirrored``, then rotated by ``rotation_deg`` (counter-clockwise) about its own origin, then translated by
``(x_mm, y_mm)``.

Quality convention (jagua-rs / OR-Datasets, checked against the upstream definition): a hide zone's quality
is the grade of that area, **higher is better**; area of the hide outside every zone is full grade
(``FULL_QUALITY``); quality 0 is a hole or a defect that nothing may use. A piece's ``min_quality`` is the
lowest grade it may be cut from; its own ``zones`` raise (or lower) that requirement on parts of the piece
(e.g. the toe of a vamp). A part of a piece requiring quality ``q`` may not overlap a hide zone of quality
below ``q``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

FULL_QUALITY = 10  # the grade of hide area outside every zone (jagua-rs: N_QUALITIES)
HOLE_QUALITY = 0  # a hole or a defect: never usable

# A piece's outline or a part of it (a zone's share of a piece may fall apart into several polygons).
Shape = TypeVar("Shape", bound=BaseGeometry)


def transform_polygon(
    polygon: Shape, rotation_deg: float, x_mm: float, y_mm: float, mirrored: bool = False
) -> Shape:
    """The piece ``polygon`` (mm, own origin) mirrored (x -> -x) if asked, rotated about its origin, then moved."""
    shape = affinity.scale(polygon, xfact=-1.0, yfact=1.0, origin=(0.0, 0.0)) if mirrored else polygon
    if rotation_deg:
        shape = affinity.rotate(shape, rotation_deg, origin=(0.0, 0.0))
    return affinity.translate(shape, x_mm, y_mm)


def grain_rotations(limit_deg: float, step_deg: float = 5.0, flip: bool = True) -> tuple[float, ...]:
    """Rotations (degrees) that keep a piece's grain line within ``limit_deg`` of the backbone.

    ``flip`` also allows the same angles about 180° (the grain is a line, not an arrow).
    """
    if limit_deg < 0 or step_deg <= 0:
        raise ValueError(f"grain limit {limit_deg}° and step {step_deg}° must be >= 0 and > 0")
    steps = math.floor(limit_deg / step_deg + 1e-9)
    base = [k * step_deg for k in range(-steps, steps + 1)]
    angles = base + ([a + 180.0 for a in base] if flip else [])
    return tuple(sorted({round(a % 360.0, 9) for a in angles}))


def angle_in(rotation_deg: float, allowed_deg: Iterable[float], tol_deg: float = 1e-3) -> bool:
    """Whether ``rotation_deg`` equals one of ``allowed_deg`` modulo 360°."""
    for allowed in allowed_deg:
        diff = (rotation_deg - allowed) % 360.0
        if min(diff, 360.0 - diff) <= tol_deg:
            return True
    return False


# ---------------------------------------------------------------------------------------------- strips


@dataclass(frozen=True)
class StripItem:
    """A piece to cut from a roll or sheet: ``demand`` copies of ``polygon`` (mm, own origin).

    ``rotations_deg``: allowed rotations (the grain rule); ``None`` means free rotation.
    """

    id: str
    polygon: Polygon
    demand: int = 1
    rotations_deg: tuple[float, ...] | None = (0.0,)

    @property
    def area_mm2(self) -> float:
        return float(self.polygon.area)


@dataclass(frozen=True)
class StripInstance:
    """Strip packing: place every item copy on a strip ``strip_height_mm`` wide, as short as possible."""

    name: str
    strip_height_mm: float
    items: tuple[StripItem, ...]

    @property
    def item_area_mm2(self) -> float:
        return sum(item.area_mm2 * item.demand for item in self.items)

    def item(self, item_id: str) -> StripItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


@dataclass(frozen=True)
class StripPlacement:
    """One copy of item ``item_id``: rotated ``rotation_deg`` about its origin, then moved by (x_mm, y_mm)."""

    item_id: str
    rotation_deg: float
    x_mm: float
    y_mm: float

    def to_dict(self) -> dict[str, object]:
        return {"id": self.item_id, "rotation": round(self.rotation_deg, 6), "x": self.x_mm, "y": self.y_mm}


@dataclass(frozen=True)
class StripLayout:
    """A strip layout: ``length_mm`` of strip used and where every copy lies."""

    instance: StripInstance
    length_mm: float
    placements: tuple[StripPlacement, ...]
    kerf_mm: float = 0.0

    @property
    def density(self) -> float:
        """Item area / (strip height × length), 0..1."""
        return self.instance.item_area_mm2 / (self.instance.strip_height_mm * self.length_mm)

    def polygons(self) -> list[Polygon]:
        return [
            transform_polygon(self.instance.item(p.item_id).polygon, p.rotation_deg, p.x_mm, p.y_mm)
            for p in self.placements
        ]

    def to_dict(self) -> dict[str, object]:
        return {
            "instance": self.instance.name,
            "strip_height": self.instance.strip_height_mm,
            "length": round(self.length_mm, 6),
            "density": round(self.density, 6),
            "kerf": self.kerf_mm,
            "placements": [p.to_dict() for p in self.placements],
        }


# ---------------------------------------------------------------------------------------------- hides


@dataclass(frozen=True)
class QualityZone:
    """An area of a hide (its grade) or of a piece (the grade it needs); ``polygon`` in mm."""

    quality: int
    polygon: Polygon | MultiPolygon


@dataclass(frozen=True)
class Piece:
    """A leather piece to cut: a polygon (mm, own origin) with an id and its cutting rules.

    ``min_quality``: the lowest hide grade the piece may lie on (``FULL_QUALITY``: only flawless leather,
    e.g. vamp and toe cap). ``zones``: parts of the piece with their own required grade. ``rotations_deg``:
    allowed rotations relative to the hide's backbone (see ``grain_rotations`` for a grain angle limit).
    ``mirror_allowed``: whether the piece may be cut flipped. ``group``: pieces sharing a group (a pair)
    are cut from the same hide, all or none.
    """

    id: str
    polygon: Polygon
    demand: int = 1
    min_quality: int = FULL_QUALITY
    zones: tuple[QualityZone, ...] = ()
    rotations_deg: tuple[float, ...] = (0.0, 90.0, 180.0, 270.0)
    mirror_allowed: bool = False
    group: str | None = None

    @property
    def area_mm2(self) -> float:
        return float(self.polygon.area)

    def required_parts(self) -> list[tuple[int, BaseGeometry]]:
        """The piece split into (required quality, part) pairs, zones overriding ``min_quality``."""
        parts: list[tuple[int, BaseGeometry]] = []
        rest: BaseGeometry = self.polygon
        for zone in self.zones:
            part = zone.polygon.intersection(self.polygon)
            if not part.is_empty and part.area > 0:
                parts.append((zone.quality, part))
                rest = rest.difference(zone.polygon)
        if not rest.is_empty and rest.area > 0:
            parts.append((self.min_quality, rest))
        return parts


@dataclass(frozen=True)
class Hide:
    """A hide: ``outline`` (mm; interior rings are holes), graded ``zones`` and the backbone direction.

    Zones of quality 0 are defects (unusable); overlapping zones take the lowest grade.
    """

    id: str
    outline: Polygon
    zones: tuple[QualityZone, ...] = ()
    backbone_deg: float = 0.0
    cost: float = 1.0
    _cache: dict[int, BaseGeometry] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def usable(self, quality: int = 1) -> BaseGeometry:
        """The part of the hide a piece part needing grade ``quality`` may lie on (mm)."""
        if quality not in self._cache:
            bad = [z.polygon for z in self.zones if z.quality < quality]
            self._cache[quality] = self.outline.difference(shapely.union_all(bad)) if bad else self.outline
        return self._cache[quality]

    @property
    def usable_area_mm2(self) -> float:
        """Hide area minus holes and defects (quality-0 zones)."""
        return float(self.usable(1).area)


@dataclass(frozen=True)
class HideInstance:
    """Hide nesting: place as much of the pieces' demand as possible on the hides."""

    name: str
    pieces: tuple[Piece, ...]
    hides: tuple[Hide, ...]

    def piece(self, piece_id: str) -> Piece:
        for piece in self.pieces:
            if piece.id == piece_id:
                return piece
        raise KeyError(piece_id)

    def hide(self, hide_id: str) -> Hide:
        for hide in self.hides:
            if hide.id == hide_id:
                return hide
        raise KeyError(hide_id)

    @property
    def demand_area_mm2(self) -> float:
        return sum(p.area_mm2 * p.demand for p in self.pieces)

    @property
    def usable_area_mm2(self) -> float:
        return sum(h.usable_area_mm2 for h in self.hides)

    def with_demand_factor(self, factor: float) -> HideInstance:
        """The same instance with every piece's demand multiplied (rounded up)."""
        pieces = tuple(
            Piece(
                p.id,
                p.polygon,
                math.ceil(p.demand * factor),
                p.min_quality,
                p.zones,
                p.rotations_deg,
                p.mirror_allowed,
                p.group,
            )
            for p in self.pieces
        )
        return HideInstance(self.name, pieces, self.hides)


@dataclass(frozen=True)
class HidePlacement:
    """One copy of piece ``piece_id`` on hide ``hide_id``: mirrored?, rotated, then moved by (x_mm, y_mm)."""

    piece_id: str
    hide_id: str
    rotation_deg: float
    mirrored: bool
    x_mm: float
    y_mm: float

    def to_dict(self) -> dict[str, object]:
        return {
            "item": self.piece_id,
            "hide": self.hide_id,
            "rotation": round(self.rotation_deg, 6),
            "mirrored": self.mirrored,
            "x": round(self.x_mm, 6),
            "y": round(self.y_mm, 6),
        }


@dataclass(frozen=True)
class HideLayout:
    """Where the pieces lie on the hides, and the demand that did not fit."""

    instance: HideInstance
    placements: tuple[HidePlacement, ...]
    kerf_mm: float = 0.0

    def polygon(self, placement: HidePlacement) -> Polygon:
        piece = self.instance.piece(placement.piece_id)
        return transform_polygon(
            piece.polygon, placement.rotation_deg, placement.x_mm, placement.y_mm, placement.mirrored
        )

    @property
    def placed_area_mm2(self) -> float:
        return sum(self.instance.piece(p.piece_id).area_mm2 for p in self.placements)

    @property
    def utilisation(self) -> float:
        """Placed piece area / usable area of all the hides, 0..1."""
        return self.placed_area_mm2 / self.instance.usable_area_mm2

    def unplaced(self) -> dict[str, int]:
        """Demand left over per piece id (only the pieces with some left)."""
        counts = placed_counts(self.placements)
        left = {p.id: p.demand - counts.get(p.id, 0) for p in self.instance.pieces}
        return {k: v for k, v in left.items() if v > 0}

    def consumed_area_mm2(self) -> float:
        """Usable hide area the nest really takes: per hide, its usable area inside the convex hull of the
        pieces on it (the rest of the hide stays a usable offcut)."""
        total = 0.0
        for hide in self.instance.hides:
            shapes = [self.polygon(p) for p in self.placements if p.hide_id == hide.id]
            if shapes:
                hull = shapely.union_all(shapes).convex_hull
                total += float(hull.intersection(hide.usable(1)).area)
        return total

    def to_dict(self) -> dict[str, object]:
        consumed = self.consumed_area_mm2()
        return {
            "instance": self.instance.name,
            "utilisation": round(self.utilisation, 6),
            "placed_area": round(self.placed_area_mm2, 3),
            "usable_hide_area": round(self.instance.usable_area_mm2, 3),
            "consumed_hide_area": round(consumed, 3),
            "utilisation_of_consumed": round(self.placed_area_mm2 / consumed, 6) if consumed else 0.0,
            "kerf": self.kerf_mm,
            "placements": [p.to_dict() for p in self.placements],
            "unplaced": self.unplaced(),
        }


def placed_counts(placements: Sequence[HidePlacement]) -> dict[str, int]:
    """How many copies of each piece id the placements hold."""
    if not placements:
        return {}
    ids, counts = np.unique([p.piece_id for p in placements], return_counts=True)
    return {str(i): int(c) for i, c in zip(ids, counts, strict=True)}

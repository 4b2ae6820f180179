"""What a style is: pieces drawn as regions in the last's style coordinates, and how they go together.

Coordinates are :mod:`lasts.upper_coords`' (s, g): s from the heel (0) to the toe (1), g from the medial
feather line (−1) over the top (0) to the lateral one (+1). A style is a handful of *style lines* (the
topline, the vamp seam, the toe cap line...) and the *pieces* they bound, each a polygon in (s, g); since
they are normalised, the same style lands on every fitted or graded last, left or right, and medial and
lateral may differ. The visible pieces of the outer layer partition the covered upper (no gaps, no
overlaps); where two pieces meet, a :class:`Lap` says which lies under the other and by how much.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import shapely
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

from geometry.errors import InputError

# The upper in style coordinates: heel to toe, medial feather to lateral feather.
UPPER_DOMAIN = box(0.0, -1.0, 1.0, 1.0)
Grain = Literal["length", "girth"]
PieceKind = Literal[
    "vamp", "toe_cap", "quarter", "tongue", "counter", "facing", "gusset", "saddle", "lining", "collar"
]


class StyleError(InputError):
    """A style definition that does not make a shoe: gaps, overlaps, unknown pieces."""

    code = "style_error"


@dataclass(frozen=True)
class EyeletRow:
    """Eyelets along a piece's lacing edge: ``count`` holes from ``start_s`` to ``end_s`` along the edge,
    ``inset_mm`` in from it."""

    count: int
    start_s: float
    end_s: float
    inset_mm: float = 10.0
    diameter_mm: float = 4.0


@dataclass(frozen=True)
class PieceSpec:
    """One piece of the style: its region in (s, g), what it is made of and how it is cut."""

    name: str
    kind: PieceKind
    region: Polygon
    material_slot: str
    moulded: bool = False  # toe caps and counters are moulded: a looser flattening budget
    grain: Grain = "length"
    eyelets: EyeletRow | None = None
    quantity: int = 1  # per shoe
    darts: tuple[Polygon, ...] = ()  # V notches cut from the region (their legs are stitched closed)

    @property
    def side(self) -> Literal["medial", "lateral", "both"]:
        _, miny, _, maxy = self.region.bounds
        if maxy <= 1e-9:
            return "medial"
        if miny >= -1e-9:
            return "lateral"
        return "both"


@dataclass(frozen=True)
class Lap:
    """Where ``over`` and ``under`` meet, ``under`` carries an underlay of ``underlay_mm`` beneath ``over``;
    ``closed`` seams (joined edge to edge, e.g. a back seam) give both pieces a ``seam_mm`` allowance.
    An overlap that is not ``stitched`` (the facings over the tongue: laced, not sewn) is no seam: its
    lengths need not match, and the edge on top is a finished (folded) edge."""

    over: str
    under: str
    underlay_mm: float = 8.0
    closed: bool = False
    seam_mm: float = 4.0
    stitched: bool = True


@dataclass(frozen=True)
class Style:
    name: str
    title: str
    pieces: tuple[PieceSpec, ...]
    laps: tuple[Lap, ...]
    lines: dict[str, np.ndarray] = field(default_factory=dict)  # named style lines (k, 2), for drawings

    def piece(self, name: str) -> PieceSpec:
        for piece in self.pieces:
            if piece.name == name:
                return piece
        raise StyleError(f"style {self.name} has no piece {name!r}")

    def lap(self, a: str, b: str) -> Lap | None:
        for lap in self.laps:
            if {lap.over, lap.under} == {a, b}:
                return lap
        return None

    @property
    def covered(self) -> BaseGeometry:
        return shapely.union_all([p.region for p in self.pieces])


def polyline(points: Sequence[tuple[float, float]], samples: int = 0) -> np.ndarray:
    """(k, 2) style line through ``points`` (s, g); with ``samples``, resampled smoothly (PCHIP by chord)."""
    pts = np.asarray(points, dtype=np.float64)
    if samples <= 0 or len(pts) < 3:
        return pts
    from scipy.interpolate import PchipInterpolator

    chord = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    t = np.linspace(0.0, chord[-1], samples)
    return np.column_stack([PchipInterpolator(chord, pts[:, 0])(t), PchipInterpolator(chord, pts[:, 1])(t)])


def mirror_g(line: np.ndarray) -> np.ndarray:
    """The same line on the other side (g → −g), for lines that are symmetric by design."""
    return np.column_stack([line[:, 0], -line[:, 1]])


def ahead_of(cross_line: np.ndarray) -> BaseGeometry:
    """The part of the upper ahead of (toward the toe from) a line crossing it from medial to lateral feather."""
    line = cross_line[np.argsort(cross_line[:, 1])]
    ring = [(float(s), float(g)) for s, g in line] + [(1.5, float(line[-1, 1])), (1.5, float(line[0, 1]))]
    return _valid(Polygon(ring)).intersection(UPPER_DOMAIN)


def between_sides(medial: np.ndarray, lateral: np.ndarray) -> Polygon:
    """The band between a medial line and a lateral line (both running heel → toe, in s order)."""
    ring = [tuple(p) for p in medial] + [tuple(p) for p in lateral[::-1]]
    return _valid(Polygon(ring))


def medial_half(region: BaseGeometry) -> Polygon:
    return _single(region.intersection(box(-0.5, -1.5, 1.5, 0.0)))


def lateral_half(region: BaseGeometry) -> Polygon:
    return _single(region.intersection(box(-0.5, 0.0, 1.5, 1.5)))


def _valid(polygon: Polygon) -> Polygon:
    return polygon if polygon.is_valid else shapely.make_valid(polygon).buffer(0)


def _single(geometry: BaseGeometry) -> Polygon:
    """The largest polygon of a boolean result (slivers from float noise dropped)."""
    if isinstance(geometry, Polygon):
        return geometry
    parts = [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon)]
    if not parts:
        raise StyleError("a style region came out empty")
    return max(parts, key=lambda p: p.area)


def piece_region(geometry: BaseGeometry) -> Polygon:
    """A region for a :class:`PieceSpec`: one polygon, with slivers of boolean noise removed."""
    return _single(shapely.set_precision(geometry, 1e-9))


def split_at_centre(style: Style, names: Sequence[str]) -> Style:
    """The style with each named piece split at the centre line (g = 0) into ``<name>_medial`` and
    ``<name>_lateral``, joined by a closed seam; its laps go to both halves."""
    from dataclasses import replace

    pieces: list[PieceSpec] = []
    laps: list[Lap] = []
    for piece in style.pieces:
        if piece.name not in names:
            pieces.append(piece)
            continue
        medial = replace(piece, name=f"{piece.name}_medial", region=piece_region(medial_half(piece.region)))
        lateral = replace(piece, name=f"{piece.name}_lateral", region=piece_region(lateral_half(piece.region)))
        pieces += [medial, lateral]
        laps.append(Lap(over=lateral.name, under=medial.name, closed=True))
    for lap in style.laps:
        overs = [f"{lap.over}_medial", f"{lap.over}_lateral"] if lap.over in names else [lap.over]
        unders = [f"{lap.under}_medial", f"{lap.under}_lateral"] if lap.under in names else [lap.under]
        for over in overs:
            for under in unders:
                laps.append(replace(lap, over=over, under=under))
    split = replace(style, pieces=tuple(pieces), laps=tuple(laps))
    check_style(split)
    return split


# A toe dart: a V notch in the lasting edge at the toe, apex up the side; its legs close when the upper is
# lasted. (s, g) of the apex and the half-width of its base on the feather line (the medial one; g mirrored).
TOE_DART = ((0.90, -0.65), 0.03)


def add_toe_dart(style: Style, names: Sequence[str]) -> Style:
    """The style with a toe dart cut into each named piece (a medial or lateral piece over the toe)."""
    from dataclasses import replace

    (apex_s, apex_g), half = TOE_DART
    pieces = []
    for piece in style.pieces:
        if piece.name in names:
            sign = -1.0 if piece.side == "medial" else 1.0
            apex = (apex_s, sign * abs(apex_g))
            wedge = Polygon([apex, (apex_s - half, sign * 1.01), (apex_s + half, sign * 1.01)])
            region = piece_region(piece.region.difference(wedge))
            pieces.append(replace(piece, region=region, darts=(*piece.darts, wedge)))
        else:
            pieces.append(piece)
    darted = replace(style, pieces=tuple(pieces))
    check_style(darted)
    return darted


def check_style(style: Style, tolerance: float = 1e-6) -> None:
    """A style's outer pieces must not overlap, laps must name its pieces, names must be unique."""
    names = [p.name for p in style.pieces]
    if len(set(names)) != len(names):
        raise StyleError(f"style {style.name} names a piece twice: {sorted(names)}")
    for lap in style.laps:
        for name in (lap.over, lap.under):
            if name not in names:
                raise StyleError(f"style {style.name}: lap names an unknown piece {name!r}")
    for i, a in enumerate(style.pieces):
        if a.region.is_empty or not a.region.is_valid:
            raise StyleError(f"style {style.name}: piece {a.name} has no valid region")
        for b in style.pieces[i + 1 :]:
            overlap = a.region.intersection(b.region).area
            if overlap > tolerance:
                raise StyleError(
                    f"style {style.name}: pieces {a.name} and {b.name} overlap ({overlap:.2e} of the upper)"
                )

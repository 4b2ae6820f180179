"""A validated nest on one hide or roll becomes a cut plan: placements per pair, the area it consumes, and
the pattern pieces moved where they lie, from which the cutter DXF and ``.plt`` are written. Pure.

Nesting works on polygons keyed by a piece id; the pattern (cut line, notches, drill holes, stitch lines) and
the pair it belongs to are given per piece id (``CutPiece``). Each pattern is checked against the polygon
that was nested, so a mix-up of ids cannot send the cutter the wrong shape.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon

from geometry.exchange.cutter import cutter_paths, write_cutter_dxf, write_hpgl
from geometry.pattern import PatternPiece
from manufacturing.cutting.errors import CutPlanError
from manufacturing.nesting.model import HideLayout, StripLayout
from manufacturing.nesting.validate import validate_hide_layout, validate_strip_layout
from manufacturing.states import ContainerKind

# A pattern matches its nested polygon when they differ by at most this share of the piece area (the nest may
# simplify the outline a little; a wrong piece differs by far more).
SHAPE_MATCH_TOLERANCE = 0.01


@dataclass(frozen=True)
class CutPiece:
    """What a nested piece id stands for: the pair it is cut for and its pattern (mm, own origin)."""

    pair_id: int
    pattern: PatternPiece


@dataclass(frozen=True)
class CutPlacement:
    """One piece copy on the container: mirrored (x -> -x) if asked, rotated ccw about its origin, then moved."""

    piece_id: str
    pair_id: int
    rotation_deg: float
    mirrored: bool
    x_mm: float
    y_mm: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "piece_id": self.piece_id,
            "pair_id": self.pair_id,
            "rotation_deg": round(self.rotation_deg, 6),
            "mirrored": self.mirrored,
            "x_mm": round(self.x_mm, 6),
            "y_mm": round(self.y_mm, 6),
        }


@dataclass(frozen=True)
class CutPlan:
    """The pieces to cut from one hide or roll, and what the nest really consumes of it.

    placed_area_mm2 : area of the pieces; consumed_area_mm2 : hide area inside the hull of the nest (hides) or
    roll width × length used (rolls); utilisation = placed / consumed.
    """

    material: str
    container_kind: ContainerKind
    container_ref: str
    placements: tuple[CutPlacement, ...]
    placed_area_mm2: float
    consumed_area_mm2: float
    kerf_mm: float = 0.0

    @property
    def utilisation(self) -> float:
        return self.placed_area_mm2 / self.consumed_area_mm2 if self.consumed_area_mm2 > 0 else 0.0

    @property
    def pair_ids(self) -> tuple[int, ...]:
        return tuple(sorted({p.pair_id for p in self.placements}))

    def layout_json(self) -> dict[str, Any]:
        return {"kerf_mm": self.kerf_mm, "placements": [p.to_dict() for p in self.placements]}

    def key(self) -> str:
        """sha256 of material, container and placements: the same nest gives the same key."""
        canonical = json.dumps(
            {"material": self.material, "container": [self.container_kind.value, self.container_ref],
             **self.layout_json()},
            sort_keys=True,
            separators=(",", ":"),
        )  # fmt: skip
        return hashlib.sha256(canonical.encode()).hexdigest()


def _material(material: str) -> str:
    material = str(material).strip()
    if not material:
        raise CutPlanError("a cutting job needs the material it is cut from")
    return material


def _check_pieces(piece_ids: Sequence[str], pieces: Mapping[str, CutPiece]) -> None:
    missing = sorted(set(piece_ids) - set(pieces))
    if missing:
        raise CutPlanError(f"nested pieces without a pair and pattern: {', '.join(missing)}", missing=missing)


def plan_hide_nest(
    layout: HideLayout, *, hide_id: str | None, material: str, pieces: Mapping[str, CutPiece]
) -> CutPlan:
    """The plan for the pieces ``layout`` puts on hide ``hide_id`` (may be omitted when it uses one hide).
    The layout is checked exactly first (``NestingError`` when it breaks a rule)."""
    validate_hide_layout(layout)
    used = sorted({p.hide_id for p in layout.placements})
    if hide_id is None:
        if len(used) != 1:
            raise CutPlanError(f"the nest uses hides {used}: name the one this job cuts", hides=used)
        hide_id = used[0]
    on_hide = [p for p in layout.placements if p.hide_id == hide_id]
    if not on_hide:
        raise CutPlanError(f"the nest puts no piece on hide {hide_id}", hide_id=hide_id, hides=used)
    _check_pieces([p.piece_id for p in on_hide], pieces)
    placements = tuple(
        CutPlacement(p.piece_id, pieces[p.piece_id].pair_id, p.rotation_deg, p.mirrored, p.x_mm, p.y_mm)
        for p in on_hide
    )
    shapes = [layout.polygon(p) for p in on_hide]
    hide = layout.instance.hide(hide_id)
    hull = shapely.union_all(shapes).convex_hull
    plan = CutPlan(
        material=_material(material),
        container_kind=ContainerKind.HIDE,
        container_ref=hide_id,
        placements=placements,
        placed_area_mm2=float(sum(s.area for s in shapes)),
        consumed_area_mm2=float(hull.intersection(hide.usable(1)).area),
        kerf_mm=layout.kerf_mm,
    )
    _check_shapes(plan, {p.piece_id: layout.instance.piece(p.piece_id).polygon for p in on_hide}, pieces)
    return plan


def plan_strip_nest(layout: StripLayout, *, roll_ref: str, material: str, pieces: Mapping[str, CutPiece]) -> CutPlan:
    """The plan for a strip nest cut from roll ``roll_ref`` (consumes roll width × the length used)."""
    validate_strip_layout(layout)
    roll_ref = str(roll_ref).strip()
    if not roll_ref:
        raise CutPlanError("a roll job needs the roll it is cut from")
    _check_pieces([p.item_id for p in layout.placements], pieces)
    placements = tuple(
        CutPlacement(p.item_id, pieces[p.item_id].pair_id, p.rotation_deg, False, p.x_mm, p.y_mm)
        for p in layout.placements
    )
    plan = CutPlan(
        material=_material(material),
        container_kind=ContainerKind.ROLL,
        container_ref=roll_ref,
        placements=placements,
        placed_area_mm2=float(sum(s.area for s in layout.polygons())),
        consumed_area_mm2=float(layout.instance.strip_height_mm * layout.length_mm),
        kerf_mm=layout.kerf_mm,
    )
    _check_shapes(plan, {p.item_id: layout.instance.item(p.item_id).polygon for p in layout.placements}, pieces)
    return plan


def _check_shapes(plan: CutPlan, nested: Mapping[str, Polygon], pieces: Mapping[str, CutPiece]) -> None:
    for piece_id, polygon in nested.items():
        # Outer contours only: whether the nest kept the internal cut-outs as holes does not matter.
        pattern = Polygon(pieces[piece_id].pattern.cut_line[:, :2])
        mismatch = float(pattern.symmetric_difference(Polygon(polygon.exterior)).area)
        if mismatch > SHAPE_MATCH_TOLERANCE * max(float(polygon.area), 1e-9):
            raise CutPlanError(
                f"pattern {pieces[piece_id].pattern.name} size {pieces[piece_id].pattern.size} is not the shape "
                f"nested as piece {piece_id} ({mismatch:.1f} mm² differ of {polygon.area:.1f} mm²)",
                piece_id=piece_id,
                mismatch_mm2=mismatch,
            )


def mirrored_pattern(piece: PatternPiece) -> PatternPiece:
    """``piece`` flipped about its own y axis (x -> -x), every feature with it; rings are rewound ccw."""
    flip = np.array([-1.0, 1.0])

    def xy(point: Sequence[float]) -> tuple[float, float]:
        return (-float(point[0]), float(point[1]))

    return replace(
        piece,
        cut_line=np.asarray(piece.cut_line)[:, :2] * flip,
        stitch_lines=tuple(np.asarray(p) * flip for p in piece.stitch_lines),
        internal_lines=tuple(np.asarray(p) * flip for p in piece.internal_lines),
        internal_cutouts=tuple(np.asarray(p) * flip for p in piece.internal_cutouts),
        notches=tuple(replace(n, x_mm=-n.x_mm, angle_deg=180.0 - n.angle_deg) for n in piece.notches),
        drill_holes=tuple(replace(h, x_mm=-h.x_mm) for h in piece.drill_holes),
        grain_line=None if piece.grain_line is None else (xy(piece.grain_line[0]), xy(piece.grain_line[1])),
        mirror_line=None if piece.mirror_line is None else (xy(piece.mirror_line[0]), xy(piece.mirror_line[1])),
    )


def placed_patterns(plan: CutPlan, pieces: Mapping[str, CutPiece]) -> list[PatternPiece]:
    """Every pattern moved to where the plan puts it (nesting's convention: mirror, rotate, translate)."""
    _check_pieces([p.piece_id for p in plan.placements], pieces)
    placed = []
    for p in plan.placements:
        pattern = pieces[p.piece_id].pattern
        if p.mirrored:
            pattern = mirrored_pattern(pattern)
        placed.append(pattern.transformed(p.x_mm, p.y_mm, p.rotation_deg))
    return placed


@dataclass(frozen=True)
class CutFiles:
    dxf: bytes  # plain DXF R2010, mm
    plt: bytes  # HPGL, 40 plotter units per mm


def cut_files(plan: CutPlan, pieces: Mapping[str, CutPiece]) -> CutFiles:
    """The cutter DXF and ``.plt`` for the plan, tools in order and travel planned (geometry/exchange/cutter)."""
    placed = placed_patterns(plan, pieces)
    paths = cutter_paths(placed)
    return CutFiles(dxf=write_cutter_dxf(paths), plt=write_hpgl(paths))

"""Exact (shapely) checks of every layout before it is returned. A broken rule raises ``NestingError``.

Rules: the right number of copies; allowed orientations; every piece inside its container (the strip
rectangle, or the hide outline without its holes); no part of a piece on hide area graded below what that
part needs (quality-0 zones, the defects, are below everything); no two pieces overlapping; and, with a
kerf, no two pieces closer than the kerf. Tolerances are relative: an overlap counts when its area is
above ``AREA_TOL`` of the smaller piece, a gap when it is below the kerf by more than ``KERF_TOL_MM``.
"""

from __future__ import annotations

from collections import Counter

from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from manufacturing.nesting.errors import NestingError
from manufacturing.nesting.model import HideLayout, HidePlacement, StripLayout, angle_in, transform_polygon

AREA_TOL = 1e-6  # overlap area / smaller piece area regarded as touching (floating point)
KERF_TOL_MM = 1e-6


def _overlaps(shapes: list[Polygon], labels: list[str], kerf_mm: float) -> list[str]:
    """Descriptions of every pair of shapes that overlap or lie closer than ``kerf_mm``."""
    problems: list[str] = []
    if len(shapes) < 2:
        return problems
    tree = STRtree(shapes)
    reach = max(kerf_mm - KERF_TOL_MM, 0.0)
    pairs = (
        tree.query(shapes, predicate="dwithin", distance=reach)
        if reach > 0
        else tree.query(shapes, predicate="intersects")
    )
    for a, b in zip(*pairs, strict=True):
        if a >= b:
            continue
        first, second = shapes[a], shapes[b]
        overlap = first.intersection(second).area
        if overlap > AREA_TOL * min(first.area, second.area):
            problems.append(f"{labels[a]} overlaps {labels[b]} by {overlap:.6g} mm²")
        elif reach > 0:
            gap = first.distance(second)
            if gap < reach:
                problems.append(f"{labels[a]} is {gap:.4g} mm from {labels[b]}, under the kerf {kerf_mm} mm")
    return problems


def _raise(kind: str, name: str, problems: list[str]) -> None:
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise NestingError(f"invalid {kind} layout for {name}: {shown}", problems=problems)


def validate_strip_layout(layout: StripLayout) -> StripLayout:
    """Check a strip layout exactly; return it unchanged or raise ``NestingError`` naming the culprits."""
    instance = layout.instance
    problems: list[str] = []
    counts = Counter(p.item_id for p in layout.placements)
    for item in instance.items:
        if counts.get(item.id, 0) != item.demand:
            problems.append(f"item {item.id} placed {counts.get(item.id, 0)} times, demand {item.demand}")
    unknown = set(counts) - {item.id for item in instance.items}
    problems += [f"unknown item {u}" for u in sorted(unknown)]
    if unknown:
        _raise("strip", instance.name, problems)
    shapes = layout.polygons()
    labels = [f"item {p.item_id} #{k}" for k, p in enumerate(layout.placements)]
    strip = box(0.0, 0.0, layout.length_mm, instance.strip_height_mm)
    for placement, shape, label in zip(layout.placements, shapes, labels, strict=True):
        allowed = instance.item(placement.item_id).rotations_deg
        if allowed is not None and not angle_in(placement.rotation_deg, allowed):
            problems.append(f"{label} rotated {placement.rotation_deg}°, allowed {list(allowed)}")
        outside = shape.difference(strip).area
        if outside > AREA_TOL * shape.area:
            problems.append(f"{label} lies {outside:.6g} mm² outside the strip")
    problems += _overlaps(shapes, labels, layout.kerf_mm)
    _raise("strip", instance.name, problems)
    return layout


def validate_hide_layout(layout: HideLayout) -> HideLayout:
    """Check a hide layout exactly; return it unchanged or raise ``NestingError`` naming the culprits."""
    instance = layout.instance
    problems: list[str] = []
    counts = Counter(p.piece_id for p in layout.placements)
    pieces = {p.id: p for p in instance.pieces}
    hides = {h.id: h for h in instance.hides}
    for piece_id, count in counts.items():
        if piece_id not in pieces:
            problems.append(f"unknown piece {piece_id}")
        elif count > pieces[piece_id].demand:
            problems.append(f"piece {piece_id} placed {count} times, demand {pieces[piece_id].demand}")
    problems += [f"unknown hide {p.hide_id}" for p in layout.placements if p.hide_id not in hides]
    if problems:
        _raise("hide", instance.name, problems)
    groups: dict[str, set[str]] = {}
    for k, placement in enumerate(layout.placements):
        piece, hide = pieces[placement.piece_id], hides[placement.hide_id]
        label = f"piece {piece.id} #{k} on {hide.id}"
        relative = placement.rotation_deg - hide.backbone_deg
        if not angle_in(relative, piece.rotations_deg):
            problems.append(f"{label} at {relative}° to the backbone, allowed {list(piece.rotations_deg)}")
        if placement.mirrored and not piece.mirror_allowed:
            problems.append(f"{label} is mirrored, which it may not be")
        if piece.group is not None:
            groups.setdefault(piece.group, set()).add(hide.id)
        shape = layout.polygon(placement)
        outside = shape.difference(hide.usable(1)).area
        if outside > AREA_TOL * shape.area:
            problems.append(f"{label} lies {outside:.6g} mm² outside the hide or on a hole or defect")
            continue
        for quality, part in piece.required_parts():
            placed_part = _placed(part, placement, shape, piece.polygon)
            below = placed_part.difference(hide.usable(quality)).area
            if below > AREA_TOL * shape.area:
                problems.append(f"{label}: {below:.6g} mm² needing grade {quality} lie on lower-grade leather")
    problems += [f"group {g} is split over hides {sorted(h)}" for g, h in groups.items() if len(h) > 1]
    for hide in instance.hides:
        on_hide = [(k, p) for k, p in enumerate(layout.placements) if p.hide_id == hide.id]
        shapes = [layout.polygon(p) for _, p in on_hide]
        labels = [f"piece {p.piece_id} #{k} on {hide.id}" for k, p in on_hide]
        problems += _overlaps(shapes, labels, layout.kerf_mm)
    _raise("hide", instance.name, problems)
    return layout


def _placed(part: BaseGeometry, placement: HidePlacement, placed_whole: Polygon, whole: Polygon) -> BaseGeometry:
    """``part`` of a piece moved the way the whole piece was (same mirror, rotation and translation)."""
    if part.equals(whole):
        return placed_whole
    return transform_polygon(part, placement.rotation_deg, placement.x_mm, placement.y_mm, placement.mirrored)

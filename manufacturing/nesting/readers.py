"""Readers for the nesting benchmark formats (strict: a bad file raises a typed ``InputError``).

- jagua-rs / sparrow strip JSON: ``{name, strip_height, items: [{id, demand, allowed_orientations,
  shape: {type: "simple_polygon", data: [[x, y], ...]}}]}``.
- Baldacci OR-Datasets hide JSON: ``{Name, Items: [{Demand, DemandMax, BaseQuality, Zones, Shape}],
  Objects: [{Cost, Stock, Zones: [{Quality, Shape}], Shape}]}``; shapes are ``SimplePolygon`` (a point
  list) or ``Polygon`` (``{Outer, Inner}``). Units are mm.
- sparrow's best-layout SVG: only the container's bounding box (the strip length) is read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.validation import explain_validity

from geometry.errors import InputError, UnsupportedFormatError
from manufacturing.nesting.model import (
    FULL_QUALITY,
    Hide,
    HideInstance,
    Piece,
    QualityZone,
    StripInstance,
    StripItem,
)

MAX_FILE_BYTES = 50 * 1024 * 1024


def _load_json(path: Path) -> Any:
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file", path=str(path))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"{path} is larger than {MAX_FILE_BYTES} bytes", path=str(path))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnsupportedFormatError(f"{path.name} is not JSON: {exc}", path=str(path)) from exc


def _polygon(points: Any, where: str, holes: Any = None) -> Polygon:
    try:
        polygon = Polygon(
            [(float(x), float(y)) for x, y in points],
            [[(float(x), float(y)) for x, y in ring] for ring in (holes or [])],
        )
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: shape is not a list of [x, y] points ({exc})", where=where) from exc
    if polygon.is_empty or polygon.area <= 0:
        raise InputError(f"{where}: shape has no area", where=where)
    if not polygon.is_valid:
        raise InputError(f"{where}: invalid polygon ({explain_validity(polygon)})", where=where)
    return polygon


def _number(value: Any, where: str, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where} must be a number, got {value!r}", where=where)
    if minimum is not None and value < minimum:
        raise InputError(f"{where} must be >= {minimum}, got {value!r}", where=where)
    return float(value)


def read_strip_instance(path: Path) -> StripInstance:
    """Read a jagua-rs / sparrow strip-packing instance (e.g. ESICUP shirts, swim, trousers)."""
    data = _load_json(path)
    if not isinstance(data, dict) or "strip_height" not in data or not isinstance(data.get("items"), list):
        raise UnsupportedFormatError(
            f"{path.name} is not a strip-packing instance (needs strip_height and items)", path=str(path)
        )
    height = _number(data["strip_height"], "strip_height", minimum=1e-9)
    items: list[StripItem] = []
    for index, raw in enumerate(data["items"]):
        where = f"{path.name} items[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("shape"), dict):
            raise InputError(f"{where}: an item needs a shape", where=where)
        shape = raw["shape"]
        if shape.get("type") != "simple_polygon":
            raise UnsupportedFormatError(
                f"{where}: shape type {shape.get('type')!r} is not simple_polygon", where=where
            )
        demand = int(_number(raw.get("demand", 1), f"{where}.demand", minimum=1))
        orientations = raw.get("allowed_orientations")
        rotations = None if orientations is None else tuple(float(a) for a in orientations) or (0.0,)
        items.append(StripItem(str(raw.get("id", index)), _polygon(shape.get("data"), where), demand, rotations))
    if not items:
        raise InputError(f"{path.name} has no items", path=str(path))
    return StripInstance(str(data.get("name", path.stem)), height, tuple(items))


def _shape(raw: Any, where: str) -> Polygon:
    if not isinstance(raw, dict) or "Data" not in raw:
        raise InputError(f"{where}: shape needs Type and Data", where=where)
    kind = raw.get("Type")
    if kind == "SimplePolygon":
        return _polygon(raw["Data"], where)
    if kind == "Polygon" and isinstance(raw["Data"], dict):
        return _outline_with_holes(raw["Data"].get("Outer"), raw["Data"].get("Inner") or [], where)
    raise UnsupportedFormatError(f"{where}: shape type {kind!r} is not SimplePolygon or Polygon", where=where)


def _outline_with_holes(outer: Any, inner: Any, where: str) -> Polygon:
    """Outer ring minus its holes. Holes in real hides touch the outline or each other (not a valid
    polygon as written): subtract them instead, and keep the main body (slivers cut off by holes, a few
    cm², are not usable leather)."""
    body = _polygon(outer, where)
    if not isinstance(inner, list):
        raise InputError(f"{where}: Inner must be a list of rings", where=where)
    holes = [_polygon(ring, f"{where} hole {k}") for k, ring in enumerate(inner)]
    shape = body.difference(shapely.union_all(holes)) if holes else body
    parts = [g for g in getattr(shape, "geoms", [shape]) if isinstance(g, Polygon) and g.area > 0]
    if not parts:
        raise InputError(f"{where}: the holes cover the whole shape", where=where)
    return max(parts, key=lambda g: g.area)


def _zones(raw: Any, where: str) -> tuple[QualityZone, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError(f"{where}.Zones must be a list", where=where)
    zones: list[QualityZone] = []
    for k, zone in enumerate(raw):
        at = f"{where}.Zones[{k}]"
        if not isinstance(zone, dict):
            raise InputError(f"{at} must be an object", where=at)
        quality = int(_number(zone.get("Quality"), f"{at}.Quality", minimum=0))
        shape: Polygon | MultiPolygon
        try:
            shape = _shape(zone.get("Shape"), at)
        except UnsupportedFormatError:
            raise
        except InputError:
            # A zone is an area, not a cutting line: a self-touching zone outline is repaired, not refused.
            shape = _repaired_area(zone.get("Shape"), at)
        zones.append(QualityZone(quality, shape))
    return tuple(zones)


def _repaired_area(raw: Any, where: str) -> Polygon | MultiPolygon:
    data = raw["Data"]
    outer: Any = data.get("Outer") if isinstance(data, dict) else data
    try:
        area = shapely.make_valid(Polygon([(float(x), float(y)) for x, y in outer]))
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: shape is not a list of [x, y] points ({exc})", where=where) from exc
    parts = [g for g in getattr(area, "geoms", [area]) if isinstance(g, Polygon) and g.area > 0]
    if not parts:
        raise InputError(f"{where}: zone has no area", where=where)
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def read_hide_instance(
    path: Path,
    rotations_deg: tuple[float, ...] = (0.0, 90.0, 180.0, 270.0),
    mirror_allowed: bool = False,
) -> HideInstance:
    """Read a Baldacci OR-Datasets leather instance (hides with holes, defects and quality zones).

    Pieces are named ``i<index>`` and hides ``h<index>`` (one hide per unit of ``Stock``). A missing
    ``BaseQuality`` means the piece needs full-grade leather (``FULL_QUALITY``). The files carry no
    orientation rule: every piece gets ``rotations_deg``.
    """
    data = _load_json(path)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("Items"), list)
        or not isinstance(data.get("Objects"), list)
    ):
        raise UnsupportedFormatError(
            f"{path.name} is not an OR-Datasets nesting instance (needs Items and Objects)", path=str(path)
        )
    pieces: list[Piece] = []
    for index, raw in enumerate(data["Items"]):
        where = f"{path.name} Items[{index}]"
        if not isinstance(raw, dict):
            raise InputError(f"{where} must be an object", where=where)
        base = raw.get("BaseQuality")
        pieces.append(
            Piece(
                id=f"i{index}",
                polygon=_shape(raw.get("Shape"), where),
                demand=int(_number(raw.get("Demand", 1), f"{where}.Demand", minimum=0)),
                min_quality=FULL_QUALITY if base is None else int(_number(base, f"{where}.BaseQuality", minimum=0)),
                zones=_zones(raw.get("Zones"), where),
                rotations_deg=rotations_deg,
                mirror_allowed=mirror_allowed,
            )
        )
    hides: list[Hide] = []
    for index, raw in enumerate(data["Objects"]):
        where = f"{path.name} Objects[{index}]"
        if not isinstance(raw, dict):
            raise InputError(f"{where} must be an object", where=where)
        outline = _shape(raw.get("Shape"), where)
        zones = _zones(raw.get("Zones"), where)
        stock = int(_number(raw.get("Stock", 1), f"{where}.Stock", minimum=0))
        cost = _number(raw.get("Cost", 1), f"{where}.Cost", minimum=0)
        for copy in range(stock):
            hide_id = f"h{index}" if stock == 1 else f"h{index}.{copy}"
            hides.append(Hide(hide_id, outline, zones, cost=cost))
    if not pieces or not hides:
        raise InputError(f"{path.name} needs at least one item and one object", path=str(path))
    return HideInstance(str(data.get("Name", path.stem)), tuple(pieces), tuple(hides))


_CONTAINER_BBOX = re.compile(
    r"<title>(?:container|bin), id: \d+, bbox: \[x_min: ([-\d.]+), y_min: ([-\d.]+), "
    r"x_max: ([-\d.]+), y_max: ([-\d.]+)\]"
)


def read_best_strip_length(svg_path: Path) -> float:
    """The strip length (mm) of a sparrow layout SVG (``final_best_*.svg``): its container's x extent."""
    if not svg_path.is_file():
        raise InputError(f"{svg_path} does not exist", path=str(svg_path))
    match = _CONTAINER_BBOX.search(svg_path.read_text(encoding="utf-8", errors="replace"))
    if match is None:
        raise UnsupportedFormatError(
            f"{svg_path.name} is not a sparrow layout SVG (no container bbox)", path=str(svg_path)
        )
    x_min, _, x_max, _ = (float(v) for v in match.groups())
    return x_max - x_min

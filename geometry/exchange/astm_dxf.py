"""ASTM D6673 / AAMA pattern DXF: write a graded pattern set, read one back into :mod:`geometry.pattern`.

Written as real exports are: AutoCAD R12 (AC1009), one BLOCK per piece per size inserted at the origin,
numbered layers (:data:`LAYER`), piece text ``Piece Name:`` / ``SIZE:`` / ``Quantity:`` / ``Material:`` /
``Category:`` / ``Annotation:`` inside each block, style text ``Style Name:`` / ``Creation Date:`` /
``Units: METRIC`` / ``Sample Size:`` in the model space. Units are that text (no ``$INSUNITS``).

The reader tolerates what real files do (boundaries split into several polylines, ``Units: ENGLISH``
meaning inches, LWPOLYLINE / LINE / ARC boundaries, drill holes as POINT or CIRCLE, blocks inserted off
the origin, damaged files through ``ezdxf.recover``) and refuses geometry that cannot be cut with a
:class:`PatternError` naming the piece and the problem (open, self-intersecting or missing cut line).

This module gives DXF its ASTM meaning (pieces, sizes, layers, text keys); the tags themselves, written and
read, are :mod:`geometry.exchange.dxf_tags`.
"""

from __future__ import annotations

import io
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import ezdxf
import numpy as np
from ezdxf import recover
from ezdxf.document import Drawing
from ezdxf.entities import Insert
from ezdxf.filemanagement import dxf_stream_info
from ezdxf.lldxf.const import DXFError, DXFStructureError
from ezdxf.math import Matrix44
from shapely.geometry import Polygon

from geometry.errors import PatternError, UnsupportedFormatError
from geometry.exchange.dxf_tags import BINARY_SENTINEL, R12Tags, TagEntity, read_tags, sniff_dxf, write_r12
from geometry.pattern import (
    DUPLICATE_POINT_MM,
    DrillHole,
    GradeRules,
    Notch,
    NotchKind,
    PatternPiece,
    PatternSet,
)

LAYER = {
    "cut": "1",
    "turn_point": "2",
    "curve_point": "3",
    "notch": "4",
    "grade_reference": "5",
    "mirror": "6",
    "grain": "7",
    "internal_line": "8",
    "internal_cutout": "11",
    "drill_hole": "13",
    "sew_line": "14",
    "annotation": "15",
}
# ASTM D6673 notch-type layers; a plain AAMA notch (slit) is on layer 4.
NOTCH_LAYER: dict[NotchKind, str] = {"slit": "4", "t": "80", "v": "81", "castle": "82", "check": "83"}
NOTCH_KIND_OF_LAYER: dict[str, NotchKind] = {layer: kind for kind, layer in NOTCH_LAYER.items()}
UNIT_SCALE_TO_MM = {"METRIC": 1.0, "MM": 1.0, "ENGLISH": 25.4, "INCH": 25.4, "INCHES": 25.4, "CM": 10.0}

# Ends of boundary pieces closer than this are joined into one cut line (mm).
CHAIN_GAP_MM = 0.05
# A POINT or notch this close to a cut-line vertex belongs to it (mm).
SNAP_MM = 0.05
# Arcs, bulges and splines are flattened to within this chord error (mm).
FLATTEN_MM = 0.01
DEFAULT_DRILL_DIAMETER_MM = 2.0
DEFAULT_NOTCH_DEPTH_MM = 3.0
TEXT_HEIGHT_MM = 3.0


# -- writing --------------------------------------------------------------------------------------------------


def block_name(piece: PatternPiece, taken: set[str]) -> str:
    """An R12-safe, unique block name for a piece of a size (letters, digits, ``_``, ``-``, ``$``)."""
    base = re.sub(r"[^A-Za-z0-9_$-]", "_", f"{piece.name}_{piece.size}").upper()[:31] or "PIECE"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def grade_rule_numbers(rules: GradeRules) -> dict[str, dict[int, int]]:
    """Rule number of each graded cut-line point: ``{piece name: {point index: rule number}}``, numbered
    from 1 in piece order, then point order (the numbers the DXF and the grade-rule file share)."""
    numbers: dict[str, dict[int, int]] = {}
    next_number = 1
    for rule in rules.pieces:
        numbers[rule.piece_name] = {}
        for index in rule.point_index.tolist():
            numbers[rule.piece_name][int(index)] = next_number
            next_number += 1
    return numbers


def write_astm_dxf(pattern: PatternSet, rules: GradeRules | None = None) -> bytes:
    """The pattern set as ASTM/AAMA DXF bytes (R12, cp1252): every piece of every size in ``pattern.pieces``.
    With ``rules``, each graded cut-line point carries its rule number as a ``# n`` text on layer 1, matching
    :func:`grade_rules.write_grade_rules`."""
    layers = sorted({*LAYER.values(), *NOTCH_LAYER.values()}, key=int)
    numbers = grade_rule_numbers(rules) if rules is not None else {}
    taken: set[str] = set()
    blocks, model = R12Tags(), R12Tags()
    style_text = [
        f"Style Name: {pattern.style_name}",
        f"Creation Date: {pattern.created.isoformat()}",
        "Units: METRIC",
        f"Sample Size: {pattern.sample_size}",
        f"Grade Rule Table: {rules.name}" if rules is not None else None,
    ]
    low = min(p.bounds_mm[1] for p in pattern.pieces)
    left = min(p.bounds_mm[0] for p in pattern.pieces)
    _add_text_column(model, [t for t in style_text if t], (left, low - TEXT_HEIGHT_MM * 3), LAYER["cut"])
    for piece in pattern.pieces:
        name = block_name(piece, taken)
        blocks.begin_block(name)
        _write_piece(blocks, piece, numbers.get(piece.name, {}))
        blocks.end_block()
        model.add_insert(name)
    # Layers in number order get ACI colours 1, 2, 3... (0 is BYBLOCK, which a layer cannot have: 7 instead).
    return write_r12([(layer, colour % 255 or 7) for colour, layer in enumerate(layers, start=1)], blocks, model)


def _add_text_column(layout: R12Tags, lines: list[str], at: tuple[float, float], layer: str) -> None:
    x, y = at
    for i, line in enumerate(lines):
        layout.add_text(line, (x, y - i * TEXT_HEIGHT_MM * 1.6), TEXT_HEIGHT_MM, layer)


def _write_piece(block: R12Tags, piece: PatternPiece, rule_numbers: dict[int, int]) -> None:
    block.add_polyline(piece.cut_line, LAYER["cut"], closed=True)
    kinds = piece.point_kinds()
    for (x, y), is_turn in zip(piece.cut_line.tolist(), kinds.tolist(), strict=True):
        block.add_point((x, y), LAYER["turn_point" if is_turn else "curve_point"])
    for index, number in rule_numbers.items():
        if index < len(piece.cut_line):
            x, y = piece.cut_line[index].tolist()
            block.add_text(f"# {number}", (x, y), TEXT_HEIGHT_MM / 2, LAYER["cut"])
    for notch in piece.notches:
        block.add_line((notch.x_mm, notch.y_mm), notch.end_mm, NOTCH_LAYER[notch.kind])
    if piece.grain_line is not None:
        block.add_line(*piece.grain_line, LAYER["grain"])
    if piece.mirror_line is not None:
        block.add_line(*piece.mirror_line, LAYER["mirror"])
    for line in piece.internal_lines:
        block.add_polyline(line, LAYER["internal_line"], closed=False)
    for ring in piece.internal_cutouts:
        block.add_polyline(ring, LAYER["internal_cutout"], closed=True)
    for hole in piece.drill_holes:
        block.add_circle((hole.x_mm, hole.y_mm), hole.diameter_mm / 2, LAYER["drill_hole"])
    for line in piece.stitch_lines:
        block.add_polyline(line, LAYER["sew_line"], closed=False)
    # Piece text sits inside the piece, where a cutter operator reads it.
    anchor = Polygon(piece.cut_line).representative_point()
    lines = [
        f"Piece Name: {piece.name}",
        f"SIZE: {piece.size}",
        f"Quantity: {piece.quantity}",
        f"Material: {piece.material}",
        f"Category: {piece.category}",
    ]
    _add_text_column(block, lines, (anchor.x, anchor.y), LAYER["cut"])
    annotations = [f"Annotation: {a}" for a in piece.annotations]
    _add_text_column(block, annotations, (anchor.x, anchor.y - 6 * TEXT_HEIGHT_MM * 1.6), LAYER["annotation"])


# -- reading --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AstmDxfRead:
    """What :func:`read_astm_dxf` found: the pattern set (mm), what was repaired to load it, what was
    tolerated, and the grade-rule numbers on each piece's cut line (``{(name, size): {point: rule}}``)."""

    pattern: PatternSet
    units: str
    repairs: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    grade_points: dict[tuple[str, str], dict[int, int]] = field(default_factory=dict)


def load_dxf(data: bytes, filename: str = "") -> tuple[Drawing, list[str]]:
    """A DXF document from bytes: the strict loader first, ``ezdxf.recover`` when the structure is damaged.
    Returns the document and what was repaired (empty for a clean file)."""
    sniff_dxf(data, filename)
    repairs: list[str] = []
    doc: Drawing | None = None
    if not data.startswith(BINARY_SENTINEL):
        try:
            info = dxf_stream_info(io.StringIO(data[:65536].decode("utf-8", errors="ignore")))
            text = data.decode(info.encoding or "cp1252", errors="surrogateescape")
            doc = ezdxf.read(io.StringIO(text))
        except (DXFStructureError, DXFError, LookupError, ValueError) as exc:
            repairs.append(f"strict reading failed ({exc}); recovered with ezdxf.recover")
    if doc is None:
        try:
            doc, auditor = recover.read(io.BytesIO(data))
        except (DXFStructureError, DXFError, ValueError) as exc:
            raise UnsupportedFormatError(
                f"{filename or 'the file'} is a DXF file too damaged to recover: {exc}", filename=filename
            ) from exc
        repairs += [fix.message for fix in auditor.fixes]
        # Audit only what had to be recovered: on a clean file it costs a third of the reading time.
        auditor = doc.audit()
        repairs += [fix.message for fix in auditor.fixes]
        repairs += [f"unfixed: {error.message}" for error in auditor.errors]
    return doc, repairs


def _layer(entity: Any) -> str:
    name = str(entity.dxf.get("layer", "0")).strip()
    return str(int(name)) if name.isdigit() else name.upper()


def _entity_points(entity: Any, matrix: Matrix44 | None) -> tuple[np.ndarray, bool] | None:
    """(k, 2) points of a line-like entity (in its layout's units) and whether it is closed."""
    kind = entity.dxftype()
    if kind == "LINE":
        points = np.array([entity.dxf.start, entity.dxf.end], dtype=float)[:, :2]
        closed = False
    elif kind in {"POLYLINE", "LWPOLYLINE", "ARC", "CIRCLE", "ELLIPSE", "SPLINE"}:
        if kind == "POLYLINE" and not (entity.is_2d_polyline or entity.is_3d_polyline):
            return None
        closed = bool(getattr(entity, "closed", False) or getattr(entity, "is_closed", False)) or kind in {"CIRCLE"}
        has_curves = kind in {"ARC", "CIRCLE", "ELLIPSE", "SPLINE"} or (
            kind == "LWPOLYLINE" and entity.has_arc
        ) or (kind == "POLYLINE" and any(v.dxf.get("bulge", 0) for v in entity.vertices))  # fmt: skip
        if has_curves:
            from ezdxf import path as dxfpath

            points = np.array([(v.x, v.y) for v in dxfpath.make_path(entity).flattening(FLATTEN_MM)], dtype=float)
        elif kind == "LWPOLYLINE":
            points = np.array(entity.get_points("xy"), dtype=float)
        else:
            points = np.array([(v.dxf.location.x, v.dxf.location.y) for v in entity.vertices], dtype=float)
    else:
        return None
    if len(points) == 0:
        return None
    if matrix is not None:
        points = np.array([(p.x, p.y) for p in matrix.transform_vertices([(x, y, 0.0) for x, y in points])])
    if len(points) > 2 and np.linalg.norm(points[0] - points[-1]) <= CHAIN_GAP_MM:
        points = points[:-1]
        closed = True
    return points, closed


def _xy(entity: Any, attrib: str, matrix: Matrix44 | None) -> np.ndarray:
    p = entity.dxf.get(attrib)
    if matrix is not None:
        p = matrix.transform(p)
    return np.array([p.x, p.y], dtype=float)


def _chain(parts: list[np.ndarray], what: str) -> list[np.ndarray]:
    """Join open polylines end to end (reversing as needed) into closed rings; raises on a gap."""
    rings: list[np.ndarray] = []
    open_parts = [p for p in parts]
    while open_parts:
        chain = open_parts.pop(0)
        while True:
            gap_to_start = np.linalg.norm(chain[-1] - chain[0])
            if len(chain) > 2 and gap_to_start <= CHAIN_GAP_MM:
                rings.append(chain[:-1])
                break
            best = None
            for i, part in enumerate(open_parts):
                for reverse in (False, True):
                    candidate = part[::-1] if reverse else part
                    gap = float(np.linalg.norm(candidate[0] - chain[-1]))
                    if gap <= CHAIN_GAP_MM and (best is None or gap < best[0]):
                        best = (gap, i, candidate)
            if best is None:
                raise PatternError(
                    f"{what} is open: it ends at ({chain[-1][0]:.2f}, {chain[-1][1]:.2f}) mm, "
                    f"{gap_to_start:.2f} mm from its start, and no other piece of it continues there",
                    gap_mm=round(float(gap_to_start), 3),
                )
            _, i, candidate = best
            open_parts.pop(i)
            chain = np.concatenate([chain, candidate[1:]])
    return rings


_TEXT_KEY = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$")


def _text_fields(texts: list[str]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = defaultdict(list)
    for text in texts:
        match = _TEXT_KEY.match(text)
        if match:
            fields[match.group(1).strip().upper()].append(match.group(2))
    return fields


def _parse_date(text: str, warnings: list[str]) -> date:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%m-%d-%Y", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%y"):
        try:
            return datetime.strptime(text.strip().split()[0], fmt).date()
        except (ValueError, IndexError):
            continue
    warnings.append(f"creation date {text!r} not understood; today's date used")
    return date.today()


@dataclass
class _RawPiece:
    block: str
    lines: dict[str, list[tuple[np.ndarray, bool]]] = field(default_factory=lambda: defaultdict(list))
    points: dict[str, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    circles: dict[str, list[tuple[np.ndarray, float]]] = field(default_factory=lambda: defaultdict(list))
    texts: list[str] = field(default_factory=list)
    rule_texts: list[tuple[int, np.ndarray]] = field(default_factory=list)


def _collect(entities: Any, name: str, matrix: Matrix44 | None) -> _RawPiece:
    raw = _RawPiece(name)
    for entity in entities:
        kind = entity.dxftype()
        layer = _layer(entity)
        if kind in {"TEXT", "MTEXT", "ATTRIB"}:
            text = entity.plain_text() if kind == "MTEXT" else entity.dxf.get("text", "")
            rule = re.fullmatch(r"\s*#\s*(\d+)\s*", text)
            if rule and layer == LAYER["cut"]:
                raw.rule_texts.append((int(rule.group(1)), _xy(entity, "insert", matrix)))
            else:
                raw.texts.append(text)
        elif kind == "POINT":
            raw.points[layer].append(_xy(entity, "location", matrix))
        elif kind == "CIRCLE" and layer == LAYER["drill_hole"]:
            radius = float(entity.dxf.radius) * (matrix.ux.magnitude if matrix is not None else 1.0)
            raw.circles[layer].append((_xy(entity, "center", matrix), 2 * radius))
        else:
            found = _entity_points(entity, matrix)
            if found is not None:
                raw.lines[layer].append((found[0], found[1]))
    return raw


def _notch_from_line(points: np.ndarray, ring: np.ndarray, kind: NotchKind) -> Notch:
    start, end = points[0], points[-1]
    if _distance_to_ring(end, ring) < _distance_to_ring(start, ring):
        start, end = end, start
    direction = end - start
    depth = float(np.linalg.norm(direction))
    angle = math.degrees(math.atan2(direction[1], direction[0]))
    return Notch(float(start[0]), float(start[1]), angle, kind, depth if depth > 0 else DEFAULT_NOTCH_DEPTH_MM)


def _notch_from_point(point: np.ndarray, ring: np.ndarray, kind: NotchKind) -> Notch:
    index = int(np.argmin(((ring - point) ** 2).sum(axis=1)))
    tangent = ring[(index + 1) % len(ring)] - ring[index - 1]
    angle = math.degrees(math.atan2(tangent[0], -tangent[1]))  # inward normal of a ccw ring
    return Notch(float(point[0]), float(point[1]), angle, kind, DEFAULT_NOTCH_DEPTH_MM)


def _distance_to_ring(point: np.ndarray, ring: np.ndarray) -> float:
    a = ring
    b = np.roll(ring, -1, axis=0)
    ab = b - a
    t = np.clip(((point - a) * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-18), 0.0, 1.0)
    return float(np.min(np.linalg.norm(a + t[:, None] * ab - point, axis=1)))


def _build_piece(raw: _RawPiece, fields: dict[str, list[str]], default_size: str, warnings: list[str]) -> PatternPiece:
    name = (fields.get("PIECE NAME") or [raw.block])[0] or raw.block
    size = (fields.get("SIZE") or [default_size])[0] or default_size
    where = f"piece {name!r} size {size} (block {raw.block})"
    cut_parts = raw.lines.get(LAYER["cut"], [])
    if not cut_parts:
        raise PatternError(f"{where} has no cut line (nothing on layer 1)", piece=name, size=size)
    rings = [p for p, closed in cut_parts if closed and len(p) >= 3]
    rings += _chain([p for p, closed in cut_parts if not (closed and len(p) >= 3)], f"the cut line of {where}")
    rings.sort(key=lambda r: -abs(Polygon(r).area) if len(r) >= 3 else 0.0)
    if len(rings) > 1:
        warnings.append(f"{where}: {len(rings)} closed outlines on layer 1; the largest is the cut line")
    ring = rings[0]
    if Polygon(ring).is_valid and not Polygon(ring).exterior.is_ccw:
        ring = ring[::-1]
    ring = ring[np.linalg.norm(ring - np.roll(ring, 1, axis=0), axis=1) > DUPLICATE_POINT_MM]
    turn_points = _point_flags(ring, raw.points.get(LAYER["turn_point"], []), raw.points.get(LAYER["curve_point"], []))
    notches: list[Notch] = []
    for layer, kind in NOTCH_KIND_OF_LAYER.items():
        notches += [_notch_from_line(p, ring, kind) for p, _ in raw.lines.get(layer, [])]
        notches += [_notch_from_point(p, ring, kind) for p in raw.points.get(layer, [])]
    holes = [DrillHole(float(c[0]), float(c[1]), d) for c, d in raw.circles.get(LAYER["drill_hole"], [])]
    holes += [
        DrillHole(float(p[0]), float(p[1]), DEFAULT_DRILL_DIAMETER_MM) for p in raw.points.get(LAYER["drill_hole"], [])
    ]
    cutout_parts = raw.lines.get(LAYER["internal_cutout"], [])
    cutouts = [p for p, closed in cutout_parts if closed]
    cutouts += _chain([p for p, closed in cutout_parts if not closed], f"an internal cut-out of {where}")

    def segment(layer: str) -> tuple[tuple[float, float], tuple[float, float]] | None:
        lines = raw.lines.get(layer, [])
        if not lines:
            return None
        if len(lines) > 1:
            warnings.append(f"{where}: {len(lines)} lines on layer {layer}; the first is used")
        p = lines[0][0]
        return ((float(p[0, 0]), float(p[0, 1])), (float(p[-1, 0]), float(p[-1, 1])))

    def open_lines(layer: str) -> tuple[np.ndarray, ...]:
        return tuple(np.concatenate([p, p[:1]]) if closed else p for p, closed in raw.lines.get(layer, []))

    quantity_text = (fields.get("QUANTITY") or ["1"])[0]
    try:
        quantity = max(1, int(float(quantity_text)))
    except ValueError:
        warnings.append(f"{where}: quantity {quantity_text!r} is not a number; 1 used")
        quantity = 1
    annotations = tuple(a for a in fields.get("ANNOTATION", []) if a)
    try:
        return PatternPiece(
            name=name,
            size=size,
            cut_line=ring,
            quantity=quantity,
            material=(fields.get("MATERIAL") or [""])[0],
            category=(fields.get("CATEGORY") or [""])[0],
            stitch_lines=open_lines(LAYER["sew_line"]),
            internal_lines=open_lines(LAYER["internal_line"]),
            internal_cutouts=tuple(cutouts),
            notches=tuple(notches),
            grain_line=segment(LAYER["grain"]),
            drill_holes=tuple(holes),
            turn_points=turn_points,
            annotations=annotations,
            mirror_line=segment(LAYER["mirror"]),
        )
    except PatternError as exc:
        raise PatternError(f"{where}: {exc.message}", piece=name, size=size, **exc.details) from exc


def _point_flags(ring: np.ndarray, turn: list[np.ndarray], curve: list[np.ndarray]) -> np.ndarray | None:
    """(n,) turn-point flags from the POINTs on layers 2 and 3; None when the file has neither."""
    if not turn and not curve:
        return None
    flags = np.zeros(len(ring), dtype=bool)
    if turn:
        pts = np.array(turn)
        dist2 = ((ring[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2)
        flags = dist2.min(axis=1) <= SNAP_MM**2
    return flags


@dataclass
class _Scan:
    """Raw geometry of a file in its own units: the model space and each inserted piece block."""

    model: _RawPiece
    blocks: list[_RawPiece]
    inches_header: bool
    repairs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _scan_document(doc: Drawing, repairs: list[str]) -> _Scan:
    msp = doc.modelspace()
    warnings: list[str] = []
    inserts = [e for e in msp if isinstance(e, Insert)]
    targets: list[tuple[str, Matrix44 | None]] = []
    if inserts:
        for insert in inserts:
            plain = (
                tuple(insert.dxf.insert)[:2] == (0.0, 0.0) and insert.dxf.rotation == 0
                and insert.dxf.xscale == 1 and insert.dxf.yscale == 1
            )  # fmt: skip
            targets.append((insert.dxf.name, None if plain else insert.matrix44()))
    else:
        targets = [(b.name, None) for b in doc.blocks if not b.name.startswith("*") and len(b) > 0]
    blocks = []
    for name, matrix in targets:
        if name not in doc.blocks:
            warnings.append(f"INSERT of missing block {name!r} ignored")
            continue
        blocks.append(_collect(doc.blocks[name], name, matrix))
    return _Scan(_collect(msp, "*MODEL_SPACE", None), blocks, doc.header.get("$INSUNITS", 0) == 1, repairs, warnings)


class _NotPlainError(Exception):
    """The fast scanner met something only ezdxf handles (bulges, arcs, transformed inserts, damage)."""


_FAST_SKIP = {"ATTDEF", "ATTRIB", "SOLID", "HATCH", "DIMENSION", "VIEWPORT", "3DFACE", "SEQEND", "ENDBLK", "BLOCK"}


def _fast_scan(data: bytes) -> _Scan | None:
    """Scan a clean ASCII DXF from its tags (several times faster than loading an ezdxf document); None when
    the file holds anything this scanner does not handle, so the caller falls back to ezdxf."""
    tags = read_tags(data)
    if tags is None:
        return None
    try:
        model = _RawPiece("*MODEL_SPACE")
        inserts: list[str] = []
        for entity in tags.entities:
            if entity.kind == "INSERT":
                inserts.append(_plain_insert(entity))
            else:
                _add_tag_entity(model, entity)
        blocks: dict[str, _RawPiece] = {}
        for name, entities in tags.blocks.items():
            blocks[name] = raw = _RawPiece(name)
            for entity in entities:
                if entity.kind == "INSERT":
                    raise _NotPlainError("nested insert")
                _add_tag_entity(raw, entity)
    except (ValueError, KeyError, _NotPlainError):
        return None
    if inserts:
        if any(name not in blocks for name in inserts):
            return None  # an insert of a missing block: ezdxf's reader warns about it
        chosen = [blocks[name] for name in inserts]
    else:
        chosen = [b for name, b in blocks.items() if not name.startswith("*") and (b.lines or b.texts)]
    return _Scan(model, chosen, tags.header.get("$INSUNITS") == "1")


def _plain_insert(entity: TagEntity) -> str:
    """The block an INSERT places at the origin, unscaled and unrotated; _NotPlainError for any other."""
    first = entity.first()
    plain = (
        float(first.get(10, "0")) == 0 and float(first.get(20, "0")) == 0
        and float(first.get(41, "1")) == 1 and float(first.get(42, "1")) == 1
        and float(first.get(50, "0")) == 0
    )  # fmt: skip
    if not plain:
        raise _NotPlainError("transformed insert")
    return first.get(2, "")


def _add_tag_entity(target: _RawPiece, entity: TagEntity) -> None:
    """What an entity's tags mean for a piece: outlines and markings by layer, text, rule numbers."""
    kind = entity.kind
    if kind in _FAST_SKIP:
        return
    first = entity.first()
    layer = first.get(8, "0")
    layer = str(int(layer)) if layer.isdigit() else layer.upper()
    if kind == "POLYLINE":
        flags = int(first.get(70, "0") or 0)
        if flags & (16 | 32 | 64):  # meshes and polyface meshes are no outlines
            raise _NotPlainError("mesh")
        points: list[list[float]] = []
        for vertex in entity.vertices:
            at = vertex.first()
            if float(at.get(42, "0") or 0) != 0:
                raise _NotPlainError("bulge")
            points.append([float(at[10]), float(at[20])])
        _add_line(target, layer, np.array(points), bool(flags & 1))
    elif kind == "LWPOLYLINE":
        if any(float(v) != 0 for v in entity.values(42)):
            raise _NotPlainError("bulge")
        xs = [float(v) for v in entity.values(10)]
        ys = [float(v) for v in entity.values(20)]
        _add_line(target, layer, np.column_stack([xs, ys]), bool(int(first.get(70, "0") or 0) & 1))
    elif kind == "LINE":
        points_xy = np.array([[float(first[10]), float(first[20])], [float(first[11]), float(first[21])]])
        _add_line(target, layer, points_xy, False)
    elif kind == "POINT":
        target.points[layer].append(np.array([float(first[10]), float(first[20])]))
    elif kind == "CIRCLE" and layer == LAYER["drill_hole"]:
        target.circles[layer].append((np.array([float(first[10]), float(first[20])]), 2 * float(first[40])))
    elif kind == "TEXT":
        text = first.get(1, "")
        rule = re.fullmatch(r"\s*#\s*(\d+)\s*", text)
        if rule and layer == LAYER["cut"]:
            target.rule_texts.append((int(rule.group(1)), np.array([float(first[10]), float(first[20])])))
        else:
            target.texts.append(text)
    else:
        raise _NotPlainError(kind)


def _add_line(target: _RawPiece, layer: str, points: np.ndarray, closed: bool) -> None:
    if len(points) == 0:
        return
    if len(points) > 2 and np.linalg.norm(points[0] - points[-1]) <= CHAIN_GAP_MM:
        points, closed = points[:-1], True
    target.lines[layer].append((points, closed))


def _scaled(raw: _RawPiece, scale: float) -> _RawPiece:
    if scale == 1.0:
        return raw
    out = _RawPiece(raw.block, texts=raw.texts)
    for layer, lines in raw.lines.items():
        out.lines[layer] = [(p * scale, closed) for p, closed in lines]
    for layer, points in raw.points.items():
        out.points[layer] = [p * scale for p in points]
    for layer, circles in raw.circles.items():
        out.circles[layer] = [(c * scale, d * scale) for c, d in circles]
    out.rule_texts = [(n, p * scale) for n, p in raw.rule_texts]
    return out


def read_astm_dxf(data: bytes, filename: str = "") -> AstmDxfRead:
    """Read an ASTM/AAMA pattern DXF into a :class:`PatternSet` in mm.

    Clean ASCII files are scanned tag by tag; anything else (binary, damaged, arcs and bulges, transformed
    inserts) goes through ezdxf, with ``recover`` when the strict loader fails. Raises UnsupportedFormatError
    for a file that is not DXF and PatternError for geometry that cannot be cut (the message names the piece,
    size and problem).
    """
    sniff_dxf(data, filename)
    scan = _fast_scan(data)
    if scan is None:
        doc, repairs = load_dxf(data, filename)
        scan = _scan_document(doc, repairs)
    warnings = list(scan.warnings)
    fields = _text_fields(scan.model.texts)
    units_text = (fields.get("UNITS") or [""])[0].strip().upper()
    if units_text:
        scale = UNIT_SCALE_TO_MM.get(units_text.split()[0])
        if scale is None:
            raise PatternError(
                f"{filename or 'the file'} says 'Units: {units_text}', which is neither METRIC nor ENGLISH"
            )
    elif scan.inches_header:
        scale, units_text = 25.4, "ENGLISH"
        warnings.append("no 'Units:' text; $INSUNITS says inches")
    else:
        scale, units_text = 1.0, "METRIC"
        warnings.append("no 'Units:' text; millimetres assumed")

    style_name = (fields.get("STYLE NAME") or [""])[0] or (filename.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "PATTERN")
    sample_size = (fields.get("SAMPLE SIZE") or [""])[0]
    created = _parse_date(fields["CREATION DATE"][0], warnings) if fields.get("CREATION DATE") else date.today()
    raws = [(_scaled(raw, scale), _text_fields(raw.texts)) for raw in scan.blocks if raw.lines or raw.texts]
    if not raws and scan.model.lines.get(LAYER["cut"]):
        # A flat file: one piece drawn straight in the model space.
        raws.append((_scaled(scan.model, scale), fields))
    if not raws:
        raise PatternError(f"{filename or 'the file'} has no pattern piece (no block with a cut line on layer 1)")
    sizes = [(f.get("SIZE") or [""])[0] for _, f in raws]
    default_size = sample_size or next((s for s in sizes if s), "BASE")
    pieces = [_build_piece(raw, f, default_size, warnings) for raw, f in raws]
    grade_points: dict[tuple[str, str], dict[int, int]] = {}
    for (raw, _), piece in zip(raws, pieces, strict=True):
        if raw.rule_texts:
            numbers = {}
            for number, at in raw.rule_texts:
                index = int(np.argmin(((piece.cut_line - at) ** 2).sum(axis=1)))
                numbers[index] = number
            grade_points[(piece.name, piece.size)] = numbers
    pattern = PatternSet(style_name, sample_size or default_size, tuple(pieces), created)
    return AstmDxfRead(pattern, units_text, tuple(scan.repairs), tuple(warnings), grade_points)

"""Speed and size figures of the pattern formats (``cspms bench patterns``) on a generated derby style.

The style has eight pieces (vamp, two quarters, toe cap, tongue, counter, two linings) of about 120 cut-line
points each, with notches, sew lines, drill holes and grain lines, graded over a nine-size run (36–44).
Targets: writing the whole run as ASTM DXF ≤ 2 s, reading it back ≤ 1 s.
"""

from __future__ import annotations

import math
import time
from datetime import date
from typing import Any

import ezdxf
import numpy as np
from shapely.geometry import Polygon

from geometry.exchange.astm_dxf import load_dxf, read_astm_dxf, write_astm_dxf
from geometry.exchange.cutter import (
    cutter_paths,
    naive_travel_mm,
    shelf_layout,
    travel_mm,
    write_cutter_dxf,
    write_hpgl,
)
from geometry.exchange.grade_rules import write_grade_rules
from geometry.exchange.pattern_pdf import pattern_pdf
from geometry.exchange.pattern_svg import pattern_svg
from geometry.pattern import (
    DrillHole,
    GradeRules,
    Notch,
    PatternPiece,
    PatternSet,
    PieceGradeRule,
    grade_pattern,
)

SIZE_RUN = ("36", "37", "38", "39", "40", "41", "42", "43", "44")
SAMPLE_SIZE = "40"
WRITE_TARGET_S = 2.0
READ_TARGET_S = 1.0

# name: (length mm, width mm, harmonic wobble, material, drill holes)
_BENCH_PIECES: dict[str, tuple[float, float, float, str, int]] = {
    "VAMP": (225.0, 170.0, 0.10, "calf leather 1.4 mm", 1),
    "QUARTER MEDIAL": (160.0, 80.0, 0.08, "calf leather 1.4 mm", 5),
    "QUARTER LATERAL": (165.0, 82.0, 0.08, "calf leather 1.4 mm", 5),
    "TOE CAP": (60.0, 120.0, 0.05, "calf leather 1.2 mm", 9),
    "TONGUE": (140.0, 60.0, 0.06, "kid leather 0.8 mm", 0),
    "COUNTER": (120.0, 55.0, 0.07, "calf leather 1.4 mm", 0),
    "VAMP LINING": (230.0, 175.0, 0.10, "pig lining 0.9 mm", 0),
    "QUARTER LINING": (170.0, 90.0, 0.08, "pig lining 0.9 mm", 0),
}


def _piece(name: str, index: int, points: int = 120) -> PatternPiece:
    length, width, wobble, material, holes = _BENCH_PIECES[name]
    t = np.linspace(0.0, 2 * math.pi, points, endpoint=False)
    r = 1.0 + wobble * np.sin(2 * t + index) + 0.5 * wobble * np.cos(3 * t + 0.5 * index)
    # A superellipse rounds the ends like a real upper piece: blunt, not elliptic.
    c, s = np.cos(t), np.sin(t)
    x = length / 2 * r * np.sign(c) * np.abs(c) ** 0.8
    y = width / 2 * r * np.sign(s) * np.abs(s) ** 0.8
    ring = np.column_stack([x, y])
    outline = Polygon(ring)
    inner = np.asarray(outline.buffer(-5.0).exterior.coords)[:-1]
    sew = inner[: len(inner) // 2]
    notches = []
    for k in range(4):
        i = k * points // 4 + points // 8
        tangent = ring[(i + 1) % points] - ring[i - 1]
        notches.append(Notch(float(x[i]), float(y[i]), math.degrees(math.atan2(tangent[0], -tangent[1]))))
    drill = tuple(DrillHole(-length * 0.25 + i * length * 0.5 / max(holes, 1), width * 0.15, 3.0) for i in range(holes))
    return PatternPiece(
        name=name, size=SAMPLE_SIZE, cut_line=ring, quantity=2, material=material, category="upper",
        stitch_lines=(sew,), notches=tuple(notches), drill_holes=drill,
        grain_line=((-length * 0.3, 0.0), (length * 0.3, 0.0)),
    )  # fmt: skip


def bench_style(created: date = date(2026, 1, 1)) -> tuple[PatternSet, GradeRules]:
    """The sample-size derby style and its grade rules (12 grade points per piece)."""
    pieces = tuple(_piece(name, i) for i, name in enumerate(_BENCH_PIECES))
    rules = []
    for piece in pieces:
        index = np.linspace(0, len(piece.cut_line) - 1, 12).round().astype(np.int64)
        step = piece.cut_line[index] * np.array([0.025, 0.015])
        rules.append(PieceGradeRule(piece.name, index, np.repeat(step[:, None, :], len(SIZE_RUN) - 1, axis=1)))
    sample = PatternSet("DERBY-BENCH", SAMPLE_SIZE, pieces, created)
    return sample, GradeRules("DERBY-BENCH", SIZE_RUN, SAMPLE_SIZE, tuple(rules))


def _best_seconds(action: Any, repeats: int) -> tuple[float, Any]:
    best, result = math.inf, None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    return best, result


def run_pattern_benchmark(repeats: int = 3) -> dict[str, Any]:
    """Write and read the graded run as ASTM DXF (best of ``repeats``), the other formats' sizes, and the
    round-trip error. Times in s, sizes in bytes, distances in mm."""
    sample, rules = bench_style()
    graded = grade_pattern(sample, rules)
    write_s, dxf = _best_seconds(lambda: write_astm_dxf(graded, rules), repeats)
    read_s, read = _best_seconds(lambda: read_astm_dxf(dxf, "bench.dxf"), repeats)
    worst = 0.0
    for piece in graded.pieces:
        back = read.pattern.piece(piece.name, piece.size)
        worst = max(worst, float(np.abs(back.cut_line - piece.cut_line).max()))
    doc, _ = load_dxf(dxf)
    audit = doc.audit()
    sample_pieces = shelf_layout(graded.of_size(SAMPLE_SIZE), width_mm=1200.0)
    paths = cutter_paths(sample_pieces)
    sizes = {
        "astm_dxf": len(dxf),
        "grade_rules": len(write_grade_rules(rules).encode()),
        "cutter_dxf_sample_size": len(write_cutter_dxf(paths)),
        "hpgl_sample_size": len(write_hpgl(paths)),
        "svg_sample_size": len(pattern_svg(sample_pieces).encode()),
        "pdf_sample_size": len(pattern_pdf(sample_pieces)),
    }
    return {
        "style": graded.style_name,
        "sizes": len(graded.sizes),
        "pieces_per_size": len(sample.pieces),
        "blocks": len(graded.pieces),
        "cut_line_points": int(sum(len(p.cut_line) for p in graded.pieces)),
        "write_seconds": round(write_s, 4),
        "read_seconds": round(read_s, 4),
        "write_target_seconds": WRITE_TARGET_S,
        "read_target_seconds": READ_TARGET_S,
        "meets_targets": write_s <= WRITE_TARGET_S and read_s <= READ_TARGET_S,
        "round_trip_max_error_mm": worst,
        "audit_errors": len(audit.errors),
        "file_bytes": sizes,
        "cutter_travel_mm": round(travel_mm(paths), 1),
        "cutter_travel_unplanned_mm": round(naive_travel_mm(sample_pieces), 1),
        "ezdxf_version": ezdxf.__version__,
    }

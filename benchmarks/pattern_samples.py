"""Generated pattern pieces, shared by the pattern tests and ``cspms bench patterns`` (``benchmarks.patterns``).

- The hand-made sample: a derby vamp, a quarter and a toe cap (mm, size 40), with notches, grain lines, drill
  holes, stitch lines, an internal cut-out, and grade rules for a 36–44 run.
- The bench style: eight pieces (vamp, two quarters, toe cap, tongue, counter, two linings) of about 120
  cut-line points each, with notches, sew lines, drill holes and grain lines, graded over the same run.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
from shapely.geometry import Polygon

from geometry.pattern import (
    DrillHole,
    GradeRules,
    Notch,
    NotchKind,
    PatternPiece,
    PatternSet,
    PieceGradeRule,
    grade_pattern,
)

SIZE_RUN = ("36", "37", "38", "39", "40", "41", "42", "43", "44")
SAMPLE_SIZE = "40"


def catmull_rom(control: np.ndarray, per_span: int = 8, closed: bool = True) -> np.ndarray:
    """Points on a centripetal-free (uniform) Catmull–Rom curve through ``control`` (k, 2) mm."""
    control = np.asarray(control, dtype=float)
    if closed:
        padded = np.concatenate([control[-1:], control, control[:2]])
        spans = len(control)
    else:
        padded = np.concatenate([control[:1], control, control[-1:]])
        spans = len(control) - 1
    t = np.linspace(0.0, 1.0, per_span, endpoint=False)[:, None]
    out = []
    for i in range(spans):
        p0, p1, p2, p3 = padded[i : i + 4]
        out.append(
            0.5
            * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3)
        )
    points = np.concatenate(out)
    return points if closed else np.concatenate([points, control[-1:]])


def inward_notch(ring: np.ndarray, index: int, kind: NotchKind = "slit", depth_mm: float = 3.0) -> Notch:
    """A notch at cut-line vertex ``index`` of a ccw ring, cut along the inward normal."""
    tangent = ring[(index + 1) % len(ring)] - ring[index - 1]
    angle = math.degrees(math.atan2(tangent[0], -tangent[1]))  # tangent turned +90°: inward for ccw
    return Notch(float(ring[index, 0]), float(ring[index, 1]), angle, kind, depth_mm)


def inset_line(ring: np.ndarray, inset_mm: float, start: int, stop: int) -> np.ndarray:
    """An open stitch line ``inset_mm`` inside the ring, along the part nearest to vertices start..stop."""
    inner = np.asarray(Polygon(ring).buffer(-inset_mm, join_style="mitre").exterior.coords)[:-1]
    wanted = ring[start:stop]
    nearest = [int(np.argmin(((inner - p) ** 2).sum(axis=1))) for p in wanted]
    lo, hi = min(nearest), max(nearest)
    return inner[lo : hi + 1]


def vamp(size: str = SAMPLE_SIZE) -> PatternPiece:
    control = np.array(
        [[0, 0], [8, -45], [40, -75], [100, -86], [150, -72], [176, -32], [215, -24],
         [215, 24], [176, 32], [150, 72], [100, 86], [40, 75], [8, 45]], dtype=float,
    )  # fmt: skip
    ring = catmull_rom(control, per_span=8)
    turn = np.zeros(len(ring), dtype=bool)
    turn[[6 * 8, 7 * 8]] = True  # the two corners of the tongue's back edge
    window = np.array(
        [[120 + 6 * math.cos(a), 9 * math.sin(a)] for a in np.linspace(0, 2 * math.pi, 16, endpoint=False)]
    )
    return PatternPiece(
        name="VAMP",
        size=size,
        cut_line=ring,
        quantity=2,
        material="calf leather 1.4 mm",
        category="upper",
        stitch_lines=(inset_line(ring, 6.0, 9, 40),),
        internal_lines=(np.array([[175.0, -20.0], [175.0, 20.0]]),),
        internal_cutouts=(window,),
        notches=(inward_notch(ring, 0, "v"), inward_notch(ring, 4 * 8), inward_notch(ring, 9 * 8)),
        grain_line=((60.0, 0.0), (160.0, 0.0)),
        drill_holes=(DrillHole(195.0, 0.0, 3.0),),
        turn_points=turn,
        annotations=("skive 8 mm at the throat",),
        mirror_line=((0.0, 0.0), (215.0, 0.0)),
    )


def quarter(size: str = SAMPLE_SIZE) -> PatternPiece:
    control = np.array([[0, 0], [60, -10], [130, 0], [152, 40], [120, 76], [62, 70], [12, 55], [-6, 25]], dtype=float)
    ring = catmull_rom(control, per_span=8)
    eyelets = tuple(DrillHole(128.0 - 14.0 * i, 58.0 - 1.5 * i, 4.0) for i in range(5))
    return PatternPiece(
        name="QUARTER",
        size=size,
        cut_line=ring,
        quantity=2,
        material="calf leather 1.4 mm",
        category="upper",
        stitch_lines=(inset_line(ring, 5.0, 30, 50),),
        notches=(inward_notch(ring, 8), inward_notch(ring, 40, "castle")),
        grain_line=((20.0, 30.0), (110.0, 30.0)),
        drill_holes=eyelets,
    )


def toe_cap(size: str = SAMPLE_SIZE) -> PatternPiece:
    curve = catmull_rom(
        np.array([[40, 60], [15, 55], [0, 25], [-5, 0], [0, -25], [15, -55], [40, -60]], dtype=float),
        per_span=6, closed=False,
    )  # fmt: skip
    ring = curve[::-1]  # (40,-60) .. (40,60) counter-clockwise, then the straight back edge closes it
    turn = np.zeros(len(ring), dtype=bool)
    turn[[0, -1]] = True
    brogue = tuple(DrillHole(30.0 - 0.0 * i, -40.0 + 10.0 * i, 2.5) for i in range(9))
    return PatternPiece(
        name="TOE CAP",
        size=size,
        cut_line=ring,
        quantity=2,
        material="calf leather 1.2 mm",
        category="upper",
        stitch_lines=(np.array([[34.0, -52.0], [34.0, 52.0]]),),
        notches=(inward_notch(ring, len(ring) // 2, "t"),),
        grain_line=((0.0, -30.0), (0.0, 30.0)),
        drill_holes=brogue,
        turn_points=turn,
    )


def sample_set(created: date = date(2026, 3, 14)) -> PatternSet:
    """The three sample pieces of size 40."""
    return PatternSet("DERBY-TEST", SAMPLE_SIZE, (vamp(), quarter(), toe_cap()), created)


def sample_rules() -> GradeRules:
    """Grade rules for the 36–44 run: length grows about 6.67 mm per size (Paris point), width less."""
    steps = len(SIZE_RUN) - 1
    rules = []
    for piece in (vamp(), quarter(), toe_cap()):
        ring = piece.cut_line
        index = np.linspace(0, len(ring) - 1, 8).round().astype(int)
        centre = ring.mean(axis=0)
        # Points move away from the centre in proportion: 2.5 % of length (a Paris point on 265 mm), 1.5 % width.
        step = (ring[index] - centre) * np.array([0.025, 0.015])
        rules.append(PieceGradeRule(piece.name, index, np.repeat(step[:, None, :], steps, axis=1)))
    return GradeRules("DERBY-TEST", SIZE_RUN, SAMPLE_SIZE, tuple(rules))


def graded_set() -> PatternSet:
    """The three pieces in all nine sizes of the run."""
    return grade_pattern(sample_set(), sample_rules())


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


def _bench_piece(name: str, index: int, points: int = 120) -> PatternPiece:
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
    notches = [inward_notch(ring, k * points // 4 + points // 8) for k in range(4)]
    drill = tuple(DrillHole(-length * 0.25 + i * length * 0.5 / max(holes, 1), width * 0.15, 3.0) for i in range(holes))
    return PatternPiece(
        name=name, size=SAMPLE_SIZE, cut_line=ring, quantity=2, material=material, category="upper",
        stitch_lines=(sew,), notches=tuple(notches), drill_holes=drill,
        grain_line=((-length * 0.3, 0.0), (length * 0.3, 0.0)),
    )  # fmt: skip


def bench_style(created: date = date(2026, 1, 1)) -> tuple[PatternSet, GradeRules]:
    """The sample-size derby style and its grade rules (12 grade points per piece)."""
    pieces = tuple(_bench_piece(name, i) for i, name in enumerate(_BENCH_PIECES))
    rules = []
    for piece in pieces:
        index = np.linspace(0, len(piece.cut_line) - 1, 12).round().astype(np.int64)
        step = piece.cut_line[index] * np.array([0.025, 0.015])
        rules.append(PieceGradeRule(piece.name, index, np.repeat(step[:, None, :], len(SIZE_RUN) - 1, axis=1)))
    sample = PatternSet("DERBY-BENCH", SAMPLE_SIZE, pieces, created)
    return sample, GradeRules("DERBY-BENCH", SIZE_RUN, SAMPLE_SIZE, tuple(rules))

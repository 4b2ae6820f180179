"""From a style on a last to cuttable pattern pieces: flatten, measure the strain, equalise the seams,
add the allowances.

For each piece patch (:mod:`configurator.upper`): ARAP flattening (:func:`geometry.flattening.flatten_patch`)
with the grain along the last's length (or girth), a strain report, then every seam's 2D curve set to its
3D length (:func:`geometry.flattening.correct_seams`), so mating seams are equal; then the allowances by
edge (:mod:`geometry.allowances`): lasting allowance on the feather edge, underlays where a piece lies
under its neighbour (the style's :class:`~configurator.styles.model.Lap`), folding on visible edges,
notches, stitch and skive lines, eyelets along the facings.

Left and right: each foot's own last is flattened on its own; when the two lasts mirror each other (one
foot's last used for both), the right pieces are flattened and mirrored for the left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from shapely.geometry import Point, Polygon

from configurator.styles.model import PieceSpec, Style, add_toe_dart, split_at_centre
from configurator.upper import BOTTOM, DART, PiecePatch, lay_style
from geometry.allowances import AllowanceWidths, eyelet_row, pattern_piece
from geometry.flattening import (
    StrainReport,
    correct_seams,
    flatten_patch,
    relax_keeping,
    seam_run,
    strain_report,
)
from geometry.pattern import DrillHole, PatternPiece, PatternSet
from geometry.remesh import remesh_patch
from lasts.model import LastMesh
from lasts.side import Side

# Strain budget per piece (docs/patterns.md): mean area change, p99 edge strain, in %.
AREA_BUDGET_PCT = {"flat": 2.0, "moulded": 4.0}
EDGE_P99_BUDGET_PCT = 8.0
MIN_CORRECTED_SEAM_MM = 10.0
REMESH_EDGE_MM = 3.5
MIN_EDGE_RUN_MM = 8.0
DRAFT_SHARE_OF_BUDGET = 0.85  # a flattened piece over this share of its budget is split or darted
RELAX_ITERATIONS = 30
_CLOSED_SEAM = "closed"


@dataclass(frozen=True)
class LapWidths(AllowanceWidths):
    """Allowance widths with per-label overrides: each seam's underlay comes from the style's laps."""

    by_label: dict[str, float] = field(default_factory=dict)

    def width_mm(self, label: str) -> float:
        return self.by_label.get(label, super().width_mm(label))


@dataclass(frozen=True)
class SeamFigures:
    neighbour: str
    length_3d_mm: float
    length_2d_flattened_mm: float
    length_2d_mm: float  # after the correction


@dataclass(frozen=True)
class FlatPiece:
    spec: PieceSpec
    patch: PiecePatch
    uv_mm: np.ndarray  # (n, 2) after seam correction
    strain: StrainReport  # of the corrected piece
    strain_flattened: StrainReport  # straight from ARAP
    seams: tuple[SeamFigures, ...]
    pattern: PatternPiece

    @property
    def within_budget(self) -> bool:
        budget = AREA_BUDGET_PCT["moulded" if self.spec.moulded else "flat"]
        return (
            self.strain.area_change_mean_pct <= budget
            and self.strain.edge_strain_p99_pct <= EDGE_P99_BUDGET_PCT
            and self.strain.flipped_faces == 0
        )

    def summary(self) -> dict[str, Any]:
        return {
            "piece": self.spec.name,
            "kind": self.spec.kind,
            "moulded": self.spec.moulded,
            "faces": len(self.patch.faces),
            "strain": self.strain.to_dict(),
            "strain_flattened": self.strain_flattened.to_dict(),
            "within_budget": self.within_budget,
            "seams": [
                {
                    "with": s.neighbour,
                    "length_3d_mm": round(s.length_3d_mm, 3),
                    "length_2d_flattened_mm": round(s.length_2d_flattened_mm, 3),
                    "length_2d_mm": round(s.length_2d_mm, 3),
                }
                for s in self.seams
            ],
            "net_area_mm2": round(float(self.strain.area_2d_mm2), 1),
            "cut_area_mm2": round(self.pattern.area_mm2, 1),
        }


@dataclass(frozen=True)
class StyleFlattening:
    """One shoe's pieces, flattened and made into patterns."""

    style: Style
    side: str
    pieces: tuple[FlatPiece, ...]
    seconds: float
    changes: tuple[str, ...] = ()  # what was done to pieces over their strain budget (splits, darts)

    def piece(self, name: str) -> FlatPiece:
        return next(p for p in self.pieces if p.spec.name == name)

    def seam_mismatches_mm(self) -> list[dict[str, Any]]:
        """Each mating seam's 2D length on both pieces after correction, and their difference."""
        out = []
        for piece in self.pieces:
            for seam in piece.seams:
                if piece.spec.name > seam.neighbour or not _stitched(self.style, piece.spec.name, seam.neighbour):
                    continue  # each seam once; a laced overlap is no seam
                other = next(s for s in self.piece(seam.neighbour).seams if s.neighbour == piece.spec.name)
                out.append({
                    "pieces": [piece.spec.name, seam.neighbour],
                    # A stub where three pieces meet is not equalised (see MIN_CORRECTED_SEAM_MM).
                    "stub": seam.length_3d_mm < MIN_CORRECTED_SEAM_MM,
                    "length_3d_mm": round(seam.length_3d_mm, 3),
                    "mismatch_flattened_mm": round(abs(seam.length_2d_flattened_mm - other.length_2d_flattened_mm), 3),
                    "mismatch_mm": round(abs(seam.length_2d_mm - other.length_2d_mm), 3),
                })  # fmt: skip
        return out

    def report(self) -> dict[str, Any]:
        area_3d = sum(p.strain.area_3d_mm2 for p in self.pieces)
        area_2d = sum(p.strain.area_2d_mm2 for p in self.pieces)
        return {
            "style": self.style.name,
            "side": self.side,
            "seconds": round(self.seconds, 3),
            "over_budget_changes": list(self.changes),
            "pieces": [p.summary() for p in self.pieces],
            "seams": self.seam_mismatches_mm(),
            "area_3d_mm2": round(area_3d, 1),
            "area_2d_mm2": round(area_2d, 1),
            "coverage_area_change_pct": round(100.0 * (area_2d / area_3d - 1.0), 3),
        }


def _edge_label(patch: PiecePatch, label: str, style: Style) -> str:
    """The allowance label of a patch boundary segment (see :mod:`geometry.allowances`)."""
    if label == BOTTOM:
        return "bottom"
    if label == DART:
        return "seam_over:dart"  # the legs are stitched edge to edge: no allowance
    if label.startswith("seam:"):
        neighbour = label.removeprefix("seam:")
        lap = style.lap(patch.name, neighbour)
        if lap is None or lap.closed:
            return f"seam_under:{_CLOSED_SEAM}-{neighbour}"
        if lap.over == patch.name:
            # A laced overlap's top edge is a finished edge (folded, stitched), not a seam.
            return f"seam_over:{neighbour}" if lap.stitched else f"topline:{neighbour}"
        return f"seam_under:{neighbour}"
    return "free" if patch.spec.kind == "tongue" else "topline"


def _lap_widths(style: Style, piece: PieceSpec, base: AllowanceWidths) -> LapWidths:
    widths: dict[str, float] = {}
    for lap in style.laps:
        if piece.name not in (lap.over, lap.under):
            continue
        neighbour = lap.under if lap.over == piece.name else lap.over
        if lap.closed:
            widths[f"seam_under:{_CLOSED_SEAM}-{neighbour}"] = lap.seam_mm
        elif lap.under == piece.name:
            widths[f"seam_under:{neighbour}"] = lap.underlay_mm
    fields = {k: getattr(base, k) for k in AllowanceWidths.__dataclass_fields__}
    return LapWidths(**fields, by_label=widths)


@dataclass(frozen=True)
class _Draft:
    """A patch remeshed and flattened, before its seams are equalised."""

    patch: PiecePatch
    uv_mm: np.ndarray
    strain: StrainReport
    runs: tuple[tuple[str, int, int, float, float], ...]  # (neighbour, start, end, 3D length, 2D length)

    def length_2d_with(self, neighbour: str) -> float:
        return sum(run[4] for run in self.runs if run[0] == neighbour)


_Flat = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, StrainReport]


def _flat_geometry(patch: PiecePatch) -> _Flat:
    """(vertices, faces, sg, uv, strain) of the patch remeshed evenly and flattened along its grain."""
    direction = (1.0, 0.0, 0.0) if patch.spec.grain == "length" else (0.0, 1.0, 0.0)
    # Even triangles first (the last's grid crowds at the toe and heel), on the same surface and boundary.
    first = flatten_patch(patch.vertices, patch.faces, iterations=0)  # LSCM: a layout to remesh in
    lifted, faces = remesh_patch(
        np.column_stack([patch.vertices, patch.sg]), patch.faces, first, patch.boundary, edge_mm=REMESH_EDGE_MM
    )
    vertices = lifted[:, :3]
    uv = flatten_patch(vertices, faces, align_direction=direction)
    loop = np.arange(len(patch.boundary))
    return vertices, faces, lifted[:, 3:], uv, strain_report(vertices, faces, uv, loop)


def _draft(patch: PiecePatch, cache: dict[tuple[str, bytes], _Flat] | None = None) -> _Draft:
    """The patch flattened (reusing a flattening of the same region when one is cached)."""
    key = (patch.name, patch.spec.region.wkb)
    flat = cache.get(key) if cache is not None else None
    if flat is None:
        flat = _flat_geometry(patch)
        if cache is not None:
            cache[key] = flat
    vertices, faces, sg, uv, strain = flat
    k = len(patch.boundary)
    patch = replace(patch, vertices=vertices, faces=faces, sg=sg, boundary=np.arange(k))
    runs = []
    for name, spans in patch.seam_runs().items():
        for start, end in spans:
            length_3d = _length(patch.loop_points_mm(start, end))
            length_2d = _length(uv[patch.boundary[seam_run(patch.boundary, start % k, end % k)]])
            runs.append((name, start % k, end % k, length_3d, length_2d))
    return _Draft(patch, uv, strain, tuple(runs))


def _finish(
    draft: _Draft, targets: dict[str, float], style: Style, size: str, widths: AllowanceWidths | None
) -> FlatPiece:
    """Seams set to their targets (per neighbour, shared in proportion among the runs), the piece relaxed
    round them, the allowances added."""
    patch, uv = draft.patch, draft.uv_mm
    spec = patch.spec
    # Seams (all runs with one neighbour) shorter than MIN_CORRECTED_SEAM_MM, a junction's stub, are left as
    # flattened: their mismatch is a fraction of a millimetre, and pinning them between two corrected seams
    # kinks the corner.
    total_3d: dict[str, float] = {}
    for name, _, _, length_3d, _ in draft.runs:
        total_3d[name] = total_3d.get(name, 0.0) + length_3d
    corrected = [run for run in draft.runs if total_3d[run[0]] >= MIN_CORRECTED_SEAM_MM and run[0] in targets]
    seams = [
        (start, end, length_2d * targets[name] / draft.length_2d_with(name))
        for name, start, end, _, length_2d in corrected
    ]
    if seams:
        uv = correct_seams(patch.vertices, patch.faces, uv, patch.boundary, seams)
        on_seams = np.concatenate([seam_run(patch.boundary, start, end) for start, end, _ in seams])
        uv = relax_keeping(patch.vertices, patch.faces, uv, patch.boundary[on_seams], iterations=RELAX_ITERATIONS)
    figures: dict[str, list[float]] = {}
    for name, start, end, length_3d, length_2d in draft.runs:
        total = figures.setdefault(name, [0.0, 0.0, 0.0])
        total[0] += length_3d
        total[1] += length_2d
        total[2] += _length(uv[patch.boundary[seam_run(patch.boundary, start, end)]])
    labels = [_edge_label(patch, label, style) for label in patch.segment_labels]
    labels = _merged_short_runs(labels, uv[patch.boundary])
    # The pattern's line is trued; the strain below is of the flattened surface itself.
    outline = _trued_edges(uv[patch.boundary], labels)
    holes = _eyelets(spec, outline, labels) if spec.eyelets is not None else ()
    pattern = pattern_piece(
        spec.name,
        size,
        outline,
        labels,
        _lap_widths(style, spec, widths or AllowanceWidths()),
        quantity=spec.quantity,
        material=spec.material_slot,
        category=spec.kind,
        annotations=(f"Style: {style.title}", f"Piece: {spec.name}"),
        drill_holes=holes,
    )
    return FlatPiece(
        spec=spec,
        patch=patch,
        uv_mm=uv,
        strain=strain_report(patch.vertices, patch.faces, uv, patch.boundary),
        strain_flattened=draft.strain,
        seams=tuple(SeamFigures(name, *values) for name, values in figures.items()),
        pattern=pattern,
    )


def _runs(labels: list[str]) -> list[tuple[str, list[int]]]:
    """Consecutive segments with one label, as (label, segment indices), the loop's wrap joined."""
    k = len(labels)
    start = next((i for i in range(k) if labels[i] != labels[i - 1]), 0)
    runs: list[tuple[str, list[int]]] = []
    for offset in range(k):
        i = (start + offset) % k
        if runs and runs[-1][0] == labels[i]:
            runs[-1][1].append(i)
        else:
            runs.append((labels[i], [i]))
    return runs


def _merged_short_runs(labels: list[str], outline: np.ndarray, min_mm: float = MIN_EDGE_RUN_MM) -> list[str]:
    """Runs shorter than ``min_mm`` (the stubs a cut leaves where three pieces meet) take the label of their
    longer neighbour run: an allowance needs an edge long enough to lie along."""
    segment = np.linalg.norm(np.roll(outline, -1, axis=0) - outline, axis=1)
    labels = list(labels)
    for _ in range(3):
        runs = _runs(labels)
        if len(runs) < 3:
            break
        lengths = [float(segment[idx].sum()) for _, idx in runs]
        changed = False
        for j, (label, idx) in enumerate(runs):
            if lengths[j] >= min_mm or label.startswith("seam_over:dart"):
                continue
            before, after = (j - 1) % len(runs), (j + 1) % len(runs)
            donor = before if lengths[before] >= lengths[after] else after
            for i in idx:
                labels[i] = runs[donor][0]
            changed = True
        if not changed:
            break
    return labels


def _trued_edges(outline: np.ndarray, labels: list[str], passes: int = 6) -> np.ndarray:
    """The outline with its visible and lasting edges trued (a few smoothing passes, run ends held): the cut
    along a style line zigzags by a fraction of a mesh edge, which a pattern maker would not draw."""
    outline = outline.copy()
    k = len(outline)
    for label, idx in _runs(labels):
        if not (label.startswith("topline") or label.startswith("free") or label == "bottom") or len(idx) < 3:
            continue
        positions = np.array([*idx, (idx[-1] + 1) % k])  # the run's vertices, ends included
        points = outline[positions]
        for _ in range(passes):
            points[1:-1] = 0.5 * points[1:-1] + 0.25 * (points[:-2] + points[2:])
        outline[positions] = points
    return outline


def _stitched(style: Style, a: str, b: str) -> bool:
    lap = style.lap(a, b)
    return lap is None or lap.stitched


def _seam_targets(style: Style, drafts: dict[str, _Draft]) -> dict[str, dict[str, float]]:
    """Per piece and neighbour, the 2D length both must have: the mean of their two flattened lengths (each
    side moves half the mismatch: weighting by piece size was tried and strained the big quarters more than
    it spared the small tongues)."""
    targets: dict[str, dict[str, float]] = {name: {} for name in drafts}
    for name, draft in drafts.items():
        for neighbour in {run[0] for run in draft.runs}:
            if neighbour not in drafts or not _stitched(style, name, neighbour):
                continue
            mine, theirs = draft.length_2d_with(neighbour), drafts[neighbour].length_2d_with(name)
            if mine > 0 and theirs > 0:
                targets[name][neighbour] = 0.5 * (mine + theirs)
    return targets


def _eyelets(spec: PieceSpec, outline: np.ndarray, labels: list[str]) -> tuple[DrillHole, ...]:
    """Eyelets along the lacing edge: the piece's edge over the tongue (the facing)."""
    row = spec.eyelets
    assert row is not None
    facing = [i for i, label in enumerate(labels) if label in ("seam_over:tongue", "topline:tongue")]
    if len(facing) < 2:
        return ()
    # The longest consecutive run of facing segments.
    runs: list[list[int]] = [[facing[0]]]
    for i in facing[1:]:
        if i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    longest = max(runs, key=len)
    points = outline[np.append(longest, longest[-1] + 1) % len(outline)]
    holes = eyelet_row(
        points, row.count, inset_mm=row.inset_mm, end_margins_mm=(12.0, 12.0), diameter_mm=row.diameter_mm,
        piece_outline_mm=outline,
    )  # fmt: skip
    # A hole needs leather round it: one that would cut the piece's edge is left out (the row says how many).
    keep = Polygon(outline).buffer(-(row.diameter_mm / 2.0 + 1.0))
    return tuple(h for h in holes if keep.contains(Point(h.x_mm, h.y_mm)))


def _length(points: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())


def flatten_style(
    style: Style, last: LastMesh, size: str = "sample", widths: AllowanceWidths | None = None, split: bool = True
) -> StyleFlattening:
    """Every piece of the style on this last (posed), flattened and made into patterns.

    With ``split``, a piece over its strain budget is changed as a pattern maker would: split at the centre
    line into medial and lateral halves joined by a closed seam; then, if a half over the toe is still over,
    a toe dart in its lasting edge. The flattening lists what it did (``changes``).
    """
    started = time.perf_counter()
    cache: dict[tuple[str, bytes], _Flat] = {}
    changes: list[str] = []
    darted: set[str] = set()
    while True:
        drafts = {patch.name: _draft(patch, cache) for patch in lay_style(style, last)}
        if split:
            # Decide from the flattened drafts first (cheap), with room to spare for the seam correction.
            changed_style, said = _pattern_makers_change(style, drafts, _draft_within_budget, darted)
            if said:
                style, changes = changed_style, changes + said
                continue
        targets = _seam_targets(style, drafts)
        pieces = tuple(_finish(drafts[p.name], targets[p.name], style, size, widths) for p in style.pieces)
        if not split:
            break
        # Then from the finished pieces: equalising the seams can push a piece over after all.
        finished = {p.spec.name: p for p in pieces}
        changed_style, said = _pattern_makers_change(
            style, drafts, lambda d, done=finished: done[d.patch.name].within_budget, darted
        )
        if not said:
            break
        style, changes = changed_style, changes + said
    return StyleFlattening(style, last.params.side, pieces, time.perf_counter() - started, tuple(changes))


def _pattern_makers_change(
    style: Style, drafts: dict[str, _Draft], within_budget: Any, darted: set[str]
) -> tuple[Style, list[str]]:
    """Split the two-sided pieces over budget at the centre line; else dart the one-sided ones over the toe
    (once each). Returns the changed style and what was done (nothing: the style as it was)."""
    over = [name for name, d in drafts.items() if not within_budget(d)]
    splits = [name for name in over if style.piece(name).side == "both" and style.piece(name).kind != "tongue"]
    if splits:
        said = [f"{name}: split at the centre line (closed centre seam)" for name in splits]
        return split_at_centre(style, splits), said
    darts = [name for name in over if name not in darted and _reaches_toe_bottom(drafts[name])]
    if darts:
        darted.update(darts)
        return add_toe_dart(style, darts), [f"{name}: toe dart in the lasting edge" for name in darts]
    return style, []


def _reaches_toe_bottom(draft: _Draft) -> bool:
    """A one-sided piece over the toe with a lasting edge there: where a toe dart goes."""
    spec = draft.patch.spec
    sg = draft.patch.sg[draft.patch.boundary]
    return spec.side != "both" and bool(((sg[:, 0] > 0.93) & (np.abs(sg[:, 1]) > 0.99)).any())


def _draft_within_budget(draft: _Draft) -> bool:
    """Within the budget with room to spare: equalising the seams adds strain (about a tenth, often more)."""
    budget = DRAFT_SHARE_OF_BUDGET * AREA_BUDGET_PCT["moulded" if draft.patch.spec.moulded else "flat"]
    p99_budget = DRAFT_SHARE_OF_BUDGET * EDGE_P99_BUDGET_PCT
    return draft.strain.area_change_mean_pct <= budget and draft.strain.edge_strain_p99_pct <= p99_budget


def pattern_set(flattening: StyleFlattening, size: str) -> PatternSet:
    """The pieces as a pattern set (``geometry.pattern``), ready for the pattern files."""
    return PatternSet(
        style_name=flattening.style.name,
        sample_size=size,
        pieces=tuple(p.pattern for p in flattening.pieces),
    )


@dataclass(frozen=True)
class PairFlattening:
    left: StyleFlattening
    right: StyleFlattening
    mirrored: bool  # the left pieces are the right ones mirrored (both feet on one last)
    seconds: float


def flatten_pair(
    style: Style,
    left: LastMesh,
    right: LastMesh,
    size: str = "sample",
    widths: AllowanceWidths | None = None,
    mirror_when_possible: bool = True,
) -> PairFlattening:
    """Both shoes of a pair. Each foot's own last is flattened on its own; when the two lasts mirror each
    other (one last for both feet), the right shoe is flattened and its pieces mirrored for the left."""
    started = time.perf_counter()
    right_flat = flatten_style(style, right, size, widths)
    if mirror_when_possible and _mirror_images(left, right):
        left_flat = mirror_flattening(right_flat, "left")
        return PairFlattening(left_flat, right_flat, True, time.perf_counter() - started)
    # The left shoe starts from the right one's pattern decisions (splits, darts): its last is alike.
    left_flat = flatten_style(right_flat.style, left, size, widths)
    left_flat = replace(left_flat, changes=tuple(dict.fromkeys(right_flat.changes + left_flat.changes)))
    return PairFlattening(left_flat, right_flat, False, time.perf_counter() - started)


def _mirror_images(left: LastMesh, right: LastMesh) -> bool:
    return replace(left.params, side=Side.RIGHT) == right.params and left.params.side == "left"


def mirror_flattening(flattening: StyleFlattening, side: str) -> StyleFlattening:
    """The other foot's pieces: every flat piece reflected (x → −x), windings kept outward."""
    pieces = []
    for piece in flattening.pieces:
        uv = piece.uv_mm * np.array([-1.0, 1.0])
        uv -= uv.min(axis=0)
        patch = replace(piece.patch, vertices=piece.patch.vertices * np.array([1.0, -1.0, 1.0]),
                        faces=piece.patch.faces[:, ::-1])  # fmt: skip
        pieces.append(replace(piece, patch=patch, uv_mm=uv, pattern=_mirrored_pattern(piece.pattern)))
    return replace(flattening, side=side, pieces=tuple(pieces))


def _mirrored_pattern(pattern: PatternPiece) -> PatternPiece:
    """A pattern piece reflected about x = 0 and moved back to x ≥ 0."""
    x0, _, x1, _ = pattern.bounds_mm

    def flip(points: np.ndarray) -> np.ndarray:
        out = np.asarray(points, dtype=np.float64).copy()
        out[:, 0] = x0 + x1 - out[:, 0]
        return out

    def flip_xy(point: tuple[float, float]) -> tuple[float, float]:
        return (x0 + x1 - point[0], point[1])

    return replace(
        pattern,
        cut_line=flip(pattern.cut_line)[::-1],
        stitch_lines=tuple(flip(line) for line in pattern.stitch_lines),
        internal_lines=tuple(flip(line) for line in pattern.internal_lines),
        internal_cutouts=tuple(flip(line)[::-1] for line in pattern.internal_cutouts),
        notches=tuple(replace(n, x_mm=x0 + x1 - n.x_mm, angle_deg=180.0 - n.angle_deg) for n in pattern.notches),
        grain_line=None if pattern.grain_line is None else (
            flip_xy(pattern.grain_line[0]), flip_xy(pattern.grain_line[1])
        ),
        drill_holes=tuple(replace(h, x_mm=x0 + x1 - h.x_mm) for h in pattern.drill_holes),
        turn_points=None,  # recomputed from the mirrored line
    )  # fmt: skip

"""Pattern allowances: cut line, stitch and skive lines, notches, grain line, eyelets, the assembled piece."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import LineString, Point, Polygon

from geometry.allowances import (
    AllowanceWidths,
    cut_line,
    edge_runs,
    eyelet_row,
    grain_line,
    labelled_outline,
    pattern_piece,
    seam_notches,
    skive_lines,
    stitch_lines,
)
from geometry.errors import PatternError
from geometry.flattening import check_disk, flatten_patch
from geometry.pattern import PatternPiece
from lasts.model import build_last
from tests.geometry.test_flattening import FIND_LAST, submesh


@pytest.fixture(scope="module")
def flat_quarter() -> tuple[np.ndarray, list[str]]:
    """A quarter-like piece flattened from the FIND last's side (x 60..170 mm, z 5..50 mm), cut along the mesh's
    section and around lines, its outline labelled from the 3D boundary: bottom along the low edge, a seam under
    the vamp at the toe end, the topline along the top, a seam over the counter at the heel end."""
    last = build_last(FIND_LAST, 50_000)
    grid = last.grid()
    # Cut along the mesh's own section and around lines, as a style line would run: a clean outline.
    in_x = (last.section_x_mm > 60.0) & (last.section_x_mm < 170.0)
    middle = grid[np.flatnonzero(in_x)[len(np.flatnonzero(in_x)) // 2]]
    around = (middle[:, 1] > 0) & (middle[:, 2] > 5.0) & (middle[:, 2] < 50.0)
    in_patch = np.zeros(len(last.vertices), dtype=bool)
    in_patch[1:-1] = (in_x[:, None] & around[None, :]).ravel()
    vertices, faces = submesh(last.vertices, last.faces, in_patch[last.faces].all(axis=1))
    loop = check_disk(vertices, faces)
    uv = flatten_patch(vertices, faces, align_direction=(1.0, 0.0, 0.0))
    ends = vertices[np.column_stack([loop, np.roll(loop, -1)])]
    # Segments along one section are the heel- and toe-side seams; the others run round the last.
    on_section = np.abs(ends[:, 0, 0] - ends[:, 1, 0]) < 1e-6
    toe_side = ends[:, :, 0].mean(axis=1) > 115.0
    low = ends[:, :, 2].mean(axis=1) < 27.0
    labels = np.where(
        on_section,
        np.where(toe_side, "seam_under:vamp", "seam_over:counter"),
        np.where(low, "bottom", "topline"),
    )
    return uv[loop], [str(label) for label in labels]


def _run(outline: np.ndarray, labels: list[str], label: str) -> np.ndarray:
    runs = [r for r in edge_runs(outline, labels) if r.label == label]
    assert len(runs) == 1, [r.label for r in edge_runs(outline, labels)]
    return runs[0].points


def test_labelled_quarter_has_the_four_runs(flat_quarter) -> None:
    outline, labels = flat_quarter
    assert sorted(r.label for r in edge_runs(outline, labels)) == [
        "bottom",
        "seam_over:counter",
        "seam_under:vamp",
        "topline",
    ]


def test_cut_line_contains_the_outline_and_sits_at_each_allowance(flat_quarter) -> None:
    outline, labels = flat_quarter
    cut = Polygon(cut_line(outline, labels))
    piece = Polygon(outline)
    assert cut.is_valid and cut.exterior.is_ccw and len(cut.interiors) == 0
    assert cut.buffer(1e-6).contains(piece)
    ring = cut.exterior
    for label, width in (("bottom", 20.0), ("seam_under:vamp", 8.0), ("topline", 4.0), ("seam_over:counter", 0.0)):
        run = LineString(_run(outline, labels, label))
        # Away from the corners, every point of the run is exactly its allowance from the cut line.
        stations = [run.interpolate(f, normalized=True) for f in np.linspace(0.2, 0.8, 7)]
        assert [ring.distance(p) for p in stations] == pytest.approx([width] * 7, abs=0.05), label
    # The allowance area is about perimeter × width: no wedge or spike lost or added at the corners.
    expected = sum(
        LineString(_run(outline, labels, label)).length * w
        for label, w in (("bottom", 20.0), ("seam_under:vamp", 8.0), ("topline", 4.0))
    )
    assert cut.area - piece.area == pytest.approx(expected, rel=0.15)


def test_cut_line_of_a_clockwise_outline_is_the_same(flat_quarter) -> None:
    outline, labels = flat_quarter
    reversed_labels = labels[::-1]
    reversed_labels = reversed_labels[1:] + reversed_labels[:1]
    points, back = labelled_outline(outline[::-1], reversed_labels)
    assert Polygon(points).exterior.is_ccw
    assert Polygon(cut_line(outline[::-1], reversed_labels)).symmetric_difference(
        Polygon(cut_line(outline, labels))
    ).area == pytest.approx(0.0, abs=1e-6)
    assert sorted(set(back)) == sorted(set(labels))


def test_corners_are_mitred_onto_the_neighbouring_edge() -> None:
    square = np.array([[0.0, 0.0], [100.0, 0.0], [100.0, 60.0], [0.0, 60.0]])
    labels = ["bottom", "seam_under", "topline", "seam_over"]
    cut = Polygon(cut_line(square, labels))
    # Lasting 20 below, underlay 8 right, folding 4 on top, nothing on the left: a clean rectangle.
    assert cut.equals(Polygon([(0, -20), (108, -20), (108, 64), (0, 64)]))


def test_notches_sit_on_the_cut_line_at_seam_ends_and_middles(flat_quarter) -> None:
    outline, labels = flat_quarter
    cut = Polygon(cut_line(outline, labels))
    notches = seam_notches(outline, labels)
    assert len(notches) == 6  # two seams × (start, middle, end)
    for notch in notches:
        assert cut.exterior.distance(Point(notch.x_mm, notch.y_mm)) < 1e-6
        assert notch.kind == "slit"
        # It cuts into the piece.
        assert cut.contains(Point(notch.end_mm))
    under = _run(outline, labels, "seam_under:vamp")
    starts = np.array([[n.x_mm, n.y_mm] for n in notches])
    # The underlay seam's end notches sit 8 mm out from the seam's end points.
    for end in (under[0], under[-1]):
        assert np.linalg.norm(starts - end, axis=1).min() == pytest.approx(8.0, abs=0.05)


def test_stitch_and_skive_lines_run_inside(flat_quarter) -> None:
    outline, labels = flat_quarter
    piece = Polygon(outline)
    cut = Polygon(cut_line(outline, labels))
    stitches = stitch_lines(outline, labels)
    assert len(stitches) == 2  # closing stitch on the counter seam, topline stitch
    over = LineString(_run(outline, labels, "seam_over:counter"))
    closing = min(stitches, key=lambda s: LineString(s).hausdorff_distance(over))
    assert over.distance(LineString(closing).interpolate(0.5, normalized=True)) == pytest.approx(1.5, abs=0.01)
    for line in stitches:
        assert piece.buffer(1e-6).contains(LineString(line))
    skives = skive_lines(outline, labels)
    assert len(skives) == 2  # underlay and topline
    for line in skives:
        assert cut.buffer(1e-6).contains(LineString(line))
        mid = LineString(line).interpolate(0.5, normalized=True)
        assert cut.exterior.distance(mid) == pytest.approx(7.0, abs=0.05)


def test_grain_line_runs_along_x_through_the_centroid(flat_quarter) -> None:
    outline, _ = flat_quarter
    (x0, y0), (x1, y1) = grain_line(outline)
    piece = Polygon(outline)
    assert y0 == pytest.approx(y1) == pytest.approx(piece.centroid.y)
    assert abs(x1 - x0) == pytest.approx(0.6 * np.ptp(outline[:, 0]), rel=0.05)
    assert piece.contains(LineString([(x0, y0), (x1, y1)]))


def test_eyelets_are_spaced_as_asked() -> None:
    facing = np.array([[0.0, 0.0], [10.0, 80.0]])  # a slanted facing edge
    holes = eyelet_row(facing, 5, inset_mm=12.0, spacing_mm=14.0, end_margins_mm=(8.0, 8.0))
    centres = np.array([[h.x_mm, h.y_mm] for h in holes])
    assert np.linalg.norm(np.diff(centres, axis=0), axis=1) == pytest.approx([14.0] * 4)
    assert [LineString(facing).distance(Point(c)) for c in centres] == pytest.approx([12.0] * 5)
    assert all(h.diameter_mm == 4.0 for h in holes)
    even = eyelet_row(facing, 6, inset_mm=12.0, end_margins_mm=(10.0, 10.0))
    gaps = np.linalg.norm(np.diff([[h.x_mm, h.y_mm] for h in even], axis=0), axis=1)
    assert gaps == pytest.approx([gaps[0]] * 5)
    assert gaps.sum() == pytest.approx(np.hypot(10, 80) - 20.0)
    with pytest.raises(PatternError, match="do not fit"):
        eyelet_row(facing, 8, spacing_mm=14.0)


def test_eyelets_go_to_the_inside_of_the_piece() -> None:
    square = np.array([[0.0, 0.0], [100.0, 0.0], [100.0, 60.0], [0.0, 60.0]])
    # The right edge drawn top to bottom: its left side is outside, the piece says which side is in.
    holes = eyelet_row(np.array([[100.0, 60.0], [100.0, 0.0]]), 4, inset_mm=10.0, piece_outline_mm=square)
    assert all(h.x_mm == pytest.approx(90.0) for h in holes)


def test_assembled_piece_validates(flat_quarter) -> None:
    outline, labels = flat_quarter
    facing = _run(outline, labels, "seam_under:vamp")
    holes = eyelet_row(facing, 3, inset_mm=15.0, piece_outline_mm=outline)
    piece = pattern_piece(
        "quarter lateral",
        "40",
        outline,
        labels,
        AllowanceWidths(lasting_mm=18.0),
        quantity=2,
        material="calf 1.4 mm",
        category="upper",
        annotations=("mirror for the medial side",),
        drill_holes=holes,
    )
    assert isinstance(piece, PatternPiece)
    assert piece.quantity == 2 and piece.material == "calf 1.4 mm"
    assert len(piece.notches) == 6 and len(piece.drill_holes) == 3
    assert len(piece.stitch_lines) == 2 and len(piece.internal_lines) == 3  # net outline + 2 skive lines
    assert piece.area_mm2 > Polygon(outline).area
    assert piece.outline.contains(LineString(piece.grain_line))


def test_unknown_labels_and_bad_widths_are_refused() -> None:
    square = np.array([[0.0, 0.0], [100.0, 0.0], [100.0, 60.0], [0.0, 60.0]])
    with pytest.raises(PatternError, match="edge label 'heel'"):
        cut_line(square, ["bottom", "heel", "topline", "free"])
    with pytest.raises(PatternError, match="one edge label per outline segment"):
        cut_line(square, ["bottom", "topline"])
    with pytest.raises(PatternError, match="lasting_mm"):
        AllowanceWidths(lasting_mm=-1.0)

"""ASTM D6673 / AAMA DXF: what we write is what real exports look like, reads back within 0.01 mm, passes
ezdxf's audit and LibreCAD; the reader tolerates real-world variation and refuses uncuttable geometry."""

from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path

import ezdxf
import numpy as np
import pytest

from benchmarks.pattern_samples import SAMPLE_SIZE, SIZE_RUN, graded_set, sample_rules, sample_set
from geometry.errors import PatternError, UnsupportedFormatError
from geometry.exchange.astm_dxf import LAYER, NOTCH_LAYER, load_dxf, read_astm_dxf, write_astm_dxf
from geometry.pattern import PatternPiece, PatternSet
from tests.conftest import shared_file

ROUND_TRIP_MM = 0.01


@pytest.fixture(scope="module")
def graded_dxf() -> bytes:
    return write_astm_dxf(graded_set(), sample_rules())


def assert_same_piece(a: PatternPiece, b: PatternPiece, tol_mm: float = ROUND_TRIP_MM) -> None:
    """Every point, marking and text of two pieces agrees within ``tol_mm``."""
    assert (a.name, a.size, a.quantity, a.material, a.category) == (b.name, b.size, b.quantity, b.material, b.category)
    assert a.annotations == b.annotations
    np.testing.assert_allclose(b.cut_line, a.cut_line, atol=tol_mm)
    np.testing.assert_array_equal(b.point_kinds(), a.point_kinds())
    for attr in ("stitch_lines", "internal_lines", "internal_cutouts"):
        assert len(getattr(a, attr)) == len(getattr(b, attr)), attr
        for pa, pb in zip(getattr(a, attr), getattr(b, attr), strict=True):
            np.testing.assert_allclose(pb, pa, atol=tol_mm)
    key = lambda n: (n.kind, round(n.x_mm, 1), round(n.y_mm, 1))  # noqa: E731
    for na, nb in zip(sorted(a.notches, key=key), sorted(b.notches, key=key), strict=True):
        assert na.kind == nb.kind
        np.testing.assert_allclose([nb.x_mm, nb.y_mm, *nb.end_mm], [na.x_mm, na.y_mm, *na.end_mm], atol=tol_mm)
    assert len(a.drill_holes) == len(b.drill_holes)
    for ha, hb in zip(a.drill_holes, b.drill_holes, strict=True):
        np.testing.assert_allclose([hb.x_mm, hb.y_mm, hb.diameter_mm], [ha.x_mm, ha.y_mm, ha.diameter_mm], atol=tol_mm)
    for attr in ("grain_line", "mirror_line"):
        if getattr(a, attr) is None:
            assert getattr(b, attr) is None
        else:
            np.testing.assert_allclose(np.array(getattr(b, attr)), np.array(getattr(a, attr)), atol=tol_mm)


def test_round_trip_keeps_every_point_of_every_size_within_0_01_mm(graded_dxf: bytes) -> None:
    original = graded_set()
    read = read_astm_dxf(graded_dxf, "derby.dxf")
    assert read.repairs == () and read.warnings == ()
    assert read.units == "METRIC"
    pattern = read.pattern
    assert (pattern.style_name, pattern.sample_size, pattern.created) == ("DERBY-TEST", SAMPLE_SIZE, original.created)
    assert pattern.sizes == SIZE_RUN
    assert len(pattern.pieces) == len(original.pieces) == 27
    for piece in original.pieces:
        assert_same_piece(piece, pattern.piece(piece.name, piece.size))


def test_the_file_is_r12_with_one_block_per_piece_per_size_inserted_at_the_origin(graded_dxf: bytes) -> None:
    assert b"AC1009" in graded_dxf[:400]
    assert b"$INSUNITS" not in graded_dxf  # real exports carry the units as text only
    doc, repairs = load_dxf(graded_dxf)
    assert repairs == []
    assert doc.dxfversion == "AC1009"
    inserts = [e for e in doc.modelspace() if e.dxftype() == "INSERT"]
    assert len(inserts) == 27
    assert {tuple(e.dxf.insert) for e in inserts} == {(0.0, 0.0, 0.0)}
    assert len({e.dxf.name for e in inserts}) == 27
    layers = {layer.dxf.name for layer in doc.layers}
    assert {"1", "2", "3", "4", "6", "7", "8", "11", "13", "14", "15", "80", "81", "82"} <= layers
    vamp = doc.blocks[next(e.dxf.name for e in inserts if e.dxf.name.startswith("VAMP_40"))]
    by_layer: dict[str, set[str]] = {}
    for entity in vamp:
        by_layer.setdefault(entity.dxf.layer, set()).add(entity.dxftype())
    assert {"POLYLINE", "TEXT"} <= by_layer[LAYER["cut"]]
    assert by_layer[LAYER["turn_point"]] == by_layer[LAYER["curve_point"]] == {"POINT"}
    assert by_layer[NOTCH_LAYER["slit"]] == by_layer[NOTCH_LAYER["v"]] == {"LINE"}
    assert by_layer[LAYER["drill_hole"]] == {"CIRCLE"}
    assert by_layer[LAYER["grain"]] == by_layer[LAYER["mirror"]] == {"LINE"}
    assert by_layer[LAYER["internal_cutout"]] == by_layer[LAYER["sew_line"]] == {"POLYLINE"}
    texts = {e.dxf.text for e in vamp if e.dxftype() == "TEXT"}
    assert {"Piece Name: VAMP", "SIZE: 40", "Quantity: 2", "Material: calf leather 1.4 mm", "Category: upper"} <= texts
    style = {e.dxf.text for e in doc.modelspace() if e.dxftype() == "TEXT"}
    assert {"Style Name: DERBY-TEST", "Creation Date: 2026-03-14", "Units: METRIC", "Sample Size: 40"} <= style


def test_ezdxf_audit_finds_no_error(graded_dxf: bytes) -> None:
    doc = ezdxf.read(io.StringIO(graded_dxf.decode("cp1252")))
    auditor = doc.audit()
    assert len(auditor.errors) == 0
    assert len(auditor.fixes) == 0


def librecad_pdf(dxf: Path, out_dir: Path) -> bytes:
    """LibreCAD's dxf2pdf output for ``dxf`` (``-o`` is broken in 2.2: ``-t`` a folder instead)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        ["librecad", "dxf2pdf", "-a", "-t", str(out_dir), str(dxf)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    pdf = out_dir / (dxf.stem + ".pdf")
    assert pdf.is_file(), (result.returncode, result.stdout, result.stderr)
    return pdf.read_bytes()


def test_librecad_prints_the_graded_file_to_a_pdf_page(graded_dxf: bytes, tmp_path: Path) -> None:
    dxf = tmp_path / "derby.dxf"
    dxf.write_bytes(graded_dxf)
    pdf = librecad_pdf(dxf, tmp_path / "out")
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    assert len(pdf) > 20_000  # 27 outlines with their markings, not an empty page


def test_rule_numbers_sit_on_the_grade_points(graded_dxf: bytes) -> None:
    read = read_astm_dxf(graded_dxf)
    rules = sample_rules()
    for size in SIZE_RUN:
        numbers = read.grade_points[("VAMP", size)]
        assert sorted(numbers) == rules.rule_for("VAMP").point_index.tolist()
    assert read.grade_points[("VAMP", "40")][0] == 1


# -- real-world variation --------------------------------------------------------------------------------------


def real_world_file(units: str = "ENGLISH", scale: float = 1 / 25.4, offset: tuple[float, float] = (0.0, 0.0)) -> bytes:
    """A file as other CAD systems write it: R2000, LWPOLYLINE, the boundary in three pieces (one reversed),
    drill holes as POINTs, ``Size:`` instead of ``SIZE:``, units as text, the block inserted at ``offset``."""
    piece = sample_set().piece("QUARTER", SAMPLE_SIZE)
    ring = piece.cut_line * scale
    doc = ezdxf.new("R2000")
    block = doc.blocks.new("QTR")
    thirds = np.array_split(np.arange(len(ring) + 1) % len(ring), 3)
    for k, part in enumerate(thirds):
        idx = np.concatenate([part, [(part[-1] + 1) % len(ring)]]) if k < 2 else part
        points = ring[idx]
        block.add_lwpolyline((points[::-1] if k == 1 else points).tolist(), dxfattribs={"layer": "1"})
    for hole in piece.drill_holes:
        block.add_point((hole.x_mm * scale, hole.y_mm * scale), dxfattribs={"layer": "13"})
    notch = piece.notches[0]
    block.add_line(
        np.array([notch.x_mm, notch.y_mm]) * scale, np.array(notch.end_mm) * scale, dxfattribs={"layer": "4"}
    )
    block.add_line(*(np.array(piece.grain_line) * scale), dxfattribs={"layer": "7"})
    for text in ("Piece Name: QUARTER", "Size: 9", "Quantity: 2", "Material: suede"):
        block.add_text(text, dxfattribs={"layer": "1"})
    msp = doc.modelspace()
    for text in ("Style Name: IMPORTED", "Creation Date: 03/14/2026", f"Units: {units}"):
        msp.add_text(text, dxfattribs={"layer": "1"})
    msp.add_blockref("QTR", offset)
    stream = io.StringIO()
    doc.write(stream)
    return stream.getvalue().encode("utf-8")


def test_reader_joins_split_boundaries_and_converts_english_units_to_mm() -> None:
    quarter = sample_set().piece("QUARTER", SAMPLE_SIZE)
    read = read_astm_dxf(real_world_file(), "imported.dxf")
    assert read.units == "ENGLISH"
    piece = read.pattern.piece("QUARTER", "9")
    assert read.pattern.created.isoformat() == "2026-03-14"
    assert piece.material == "suede"
    assert len(piece.cut_line) == len(quarter.cut_line)
    start = int(np.argmin(np.linalg.norm(piece.cut_line - quarter.cut_line[0], axis=1)))
    np.testing.assert_allclose(np.roll(piece.cut_line, -start, axis=0), quarter.cut_line, atol=1e-6)
    np.testing.assert_allclose(
        [(h.x_mm, h.y_mm) for h in piece.drill_holes], [(h.x_mm, h.y_mm) for h in quarter.drill_holes], atol=1e-6
    )
    assert piece.notches[0].depth_mm == pytest.approx(quarter.notches[0].depth_mm)
    assert piece.area_mm2 == pytest.approx(quarter.area_mm2, rel=1e-9)


def test_a_block_inserted_off_the_origin_is_read_where_it_is_drawn() -> None:
    quarter = sample_set().piece("QUARTER", SAMPLE_SIZE)
    read = read_astm_dxf(real_world_file("METRIC", 1.0, (100.0, 50.0)))
    piece = read.pattern.piece("QUARTER", "9")
    assert piece.bounds_mm == pytest.approx(np.add(quarter.bounds_mm, [100, 50, 100, 50]), abs=1e-6)


def test_a_damaged_file_is_recovered_and_the_repair_reported(graded_dxf: bytes) -> None:
    damaged = graded_dxf.decode("cp1252").replace("\n 10\n", "\n10.0\n", 1).encode("cp1252")
    read = read_astm_dxf(damaged, "damaged.dxf")
    assert any("recovered with ezdxf.recover" in line for line in read.repairs)
    for piece in graded_set().pieces:
        assert_same_piece(piece, read.pattern.piece(piece.name, piece.size))


# -- refusals --------------------------------------------------------------------------------------------------


def one_piece_file(ring: np.ndarray, closed: bool = True, layer: str = "1") -> bytes:
    doc = ezdxf.new("R12")
    block = doc.blocks.new("P")
    block.add_polyline2d(ring.tolist(), close=closed, dxfattribs={"layer": layer})
    block.add_text("Piece Name: HEEL TAB", dxfattribs={"layer": "1"})
    doc.modelspace().add_blockref("P", (0, 0))
    stream = io.StringIO()
    doc.write(stream)
    return stream.getvalue().encode("cp1252")


def test_an_open_cut_line_is_refused_with_the_gap() -> None:
    ring = np.array([[0.0, 0.0], [60.0, 0.0], [60.0, 30.0], [0.0, 30.0], [0.0, 2.0]])
    with pytest.raises(PatternError, match=r"cut line of piece 'HEEL TAB'.* is open: .*2\.00 mm from its start"):
        read_astm_dxf(one_piece_file(ring, closed=False))


def test_a_self_intersecting_cut_line_is_refused() -> None:
    bow_tie = np.array([[0.0, 0.0], [60.0, 30.0], [60.0, 0.0], [0.0, 20.0]])
    with pytest.raises(PatternError, match=r"piece 'HEEL TAB'.*self-intersecting"):
        read_astm_dxf(one_piece_file(bow_tie))


def test_a_piece_without_cut_line_is_refused() -> None:
    ring = np.array([[0.0, 0.0], [60.0, 0.0], [60.0, 30.0]])
    with pytest.raises(PatternError, match=r"piece 'HEEL TAB'.*has no cut line"):
        read_astm_dxf(one_piece_file(ring, layer="8"))


def test_a_real_dxf_with_no_pattern_layers_is_refused() -> None:
    # A real leather-nesting piece (shared data): one LWPOLYLINE on layer 0, no AAMA layers.
    data = shared_file("nesting/leather/Test11/dxf/i_0.dxf").read_bytes()
    with pytest.raises(PatternError, match="no pattern piece"):
        read_astm_dxf(data, "i_0.dxf")


@pytest.mark.parametrize("data", [b"solid foot\nfacet normal 0 0 1\n", b"\x89PNG\r\n\x1a\n", b"", b"0\nSECTOR\n"])
def test_a_file_that_is_not_dxf_is_refused(data: bytes) -> None:
    with pytest.raises(UnsupportedFormatError, match="not a DXF file"):
        read_astm_dxf(data, "pattern.dxf")


def test_unknown_units_text_is_refused() -> None:
    data = real_world_file("FURLONGS", 1.0)
    with pytest.raises(PatternError, match="FURLONGS"):
        read_astm_dxf(data)


def test_pattern_set_written_with_a_single_size_reads_back() -> None:
    single = PatternSet("ONE", "40", sample_set().of_size("40"))
    read = read_astm_dxf(write_astm_dxf(single))
    assert read.pattern.sizes == ("40",)
    assert read.grade_points == {}


def test_insunits_inches_without_units_text_is_read_as_inches() -> None:
    # A clean file read tag by tag honours $INSUNITS as the ezdxf path does.
    quarter = sample_set().piece("QUARTER", SAMPLE_SIZE)
    doc = ezdxf.new("R2000", units=1)
    block = doc.blocks.new("QTR")
    block.add_lwpolyline((quarter.cut_line / 25.4).tolist(), close=True, dxfattribs={"layer": "1"})
    block.add_text("Piece Name: QUARTER", dxfattribs={"layer": "1"})
    doc.modelspace().add_blockref("QTR", (0, 0))
    stream = io.StringIO()
    doc.write(stream)
    read = read_astm_dxf(stream.getvalue().encode("utf-8"))
    assert read.units == "ENGLISH"
    assert read.warnings == ("no 'Units:' text; $INSUNITS says inches",)
    assert read.pattern.pieces[0].area_mm2 == pytest.approx(quarter.area_mm2, rel=1e-9)

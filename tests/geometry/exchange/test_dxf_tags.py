"""DXF tags: R12 entities written as tag text load in ezdxf as the entities they name; a clean ASCII file reads
back as header variables, model-space entities and blocks (a POLYLINE with its vertices); anything else is None."""

from __future__ import annotations

import io
from collections.abc import Callable

import ezdxf
import numpy as np
import pytest

from geometry.errors import UnsupportedFormatError
from geometry.exchange.dxf_tags import R12Tags, TagEntity, read_tags, sniff_dxf, splice_section, write_r12


def small_file() -> bytes:
    """One block with a closed square, a point, a line, a circle and a text; the model space inserts it."""
    blocks, model = R12Tags(), R12Tags()
    blocks.begin_block("SQUARE")
    blocks.add_polyline(np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]]), "1", closed=True)
    blocks.add_point((1.5, 2.5), "2")
    blocks.add_line((0.0, 0.0), (3.0, 4.0), "4")
    blocks.add_circle((5.0, 5.0), 1.0, "13")
    blocks.add_text("Label: one\ntwo", (2.0, 2.0), 3.0, "1")
    blocks.end_block()
    model.add_insert("SQUARE")
    model.add_text("Title: small", (0.0, -5.0), 3.0, "1")
    return write_r12([("1", 1), ("2", 2), ("4", 4), ("13", 13)], blocks, model)


def test_entity_tags_are_three_wide_codes_and_round_tripping_values() -> None:
    tags = R12Tags()
    tags.add_point((0.1, 2.0), "7")
    tags.add_entity("TEXT", "1", (1, "a\r\nb"), (70, 3))
    assert tags.to_text() == "  0\nPOINT\n  8\n7\n 10\n0.1\n 20\n2.0\n 30\n0.0\n  0\nTEXT\n  8\n1\n  1\na  b\n 70\n3\n"


def test_a_polyline_is_followed_by_its_vertices_and_seqend() -> None:
    tags = R12Tags()
    tags.add_polyline(np.array([[1.0, 2.0], [3.0, 4.0]]), "8", closed=False)
    lines = tags.to_text().splitlines()
    assert lines[1::2].count("VERTEX") == 2
    assert lines[-4:] == ["  0", "SEQEND", "  8", "8"]
    assert " 70" in lines and lines[lines.index(" 70") + 1] == "0"


def test_written_file_loads_in_ezdxf_as_the_entities_it_names() -> None:
    data = small_file()
    doc = ezdxf.read(io.StringIO(data.decode("cp1252")))
    assert doc.dxfversion == "AC1009"
    assert {layer.dxf.name: layer.dxf.color for layer in doc.layers if layer.dxf.name not in {"0", "Defpoints"}} == {
        "1": 1,
        "2": 2,
        "4": 4,
        "13": 13,
    }
    block = doc.blocks["SQUARE"]
    assert [e.dxftype() for e in block] == ["POLYLINE", "POINT", "LINE", "CIRCLE", "TEXT"]
    square = next(iter(block))
    assert square.is_closed and [tuple(v.dxf.location)[:2] for v in square.vertices][2] == (10.0, 10.0)
    assert [e.dxftype() for e in doc.modelspace()] == ["INSERT", "TEXT"]
    auditor = doc.audit()
    assert len(auditor.errors) == 0 and len(auditor.fixes) == 0


def test_splice_puts_content_at_the_end_of_the_named_section() -> None:
    text = "  0\nSECTION\n  2\nBLOCKS\n  0\nENDSEC\n  0\nSECTION\n  2\nENTITIES\n  0\nENDSEC\n"
    spliced = splice_section(text, "ENTITIES", "X\n")
    assert spliced.endswith("ENTITIES\nX\n  0\nENDSEC\n")
    assert spliced.startswith(text[: text.index("  0\nSECTION\n  2\nENTITIES")])


def test_reading_gives_header_model_space_and_blocks_with_polylines_grouped() -> None:
    tags = read_tags(small_file())
    assert tags is not None
    assert tags.header["$ACADVER"] == "AC1009"
    assert [e.kind for e in tags.entities] == ["INSERT", "TEXT"]
    assert tags.entities[0].first()[2] == "SQUARE"
    block = tags.blocks["SQUARE"]
    assert [e.kind for e in block] == ["POLYLINE", "POINT", "LINE", "CIRCLE", "TEXT"]
    polyline = block[0]
    assert polyline.first()[70] == "1"
    assert [(v.first()[10], v.first()[20]) for v in polyline.vertices] == [
        ("0.0", "0.0"),
        ("10.0", "0.0"),
        ("10.0", "10.0"),
        ("0.0", "10.0"),
    ]
    assert block[4].first()[1] == "Label: one two"


def test_first_keeps_the_first_value_of_a_repeated_code() -> None:
    entity = TagEntity("LWPOLYLINE", ((8, "1"), (10, "1.0"), (20, "2.0"), (10, "3.0"), (20, "4.0")))
    assert entity.first() == {8: "1", 10: "1.0", 20: "2.0"}
    assert entity.values(10) == ["1.0", "3.0"]


def test_header_variables_of_a_newer_file_are_read() -> None:
    doc = ezdxf.new("R2000", units=1)
    doc.modelspace().add_lwpolyline([(0, 0), (1, 0), (1, 1)], dxfattribs={"layer": "1"})
    stream = io.StringIO()
    doc.write(stream)
    tags = read_tags(stream.getvalue().encode("utf-8"))
    assert tags is not None
    assert (tags.header["$ACADVER"], tags.header["$INSUNITS"]) == ("AC1015", "1")
    assert [e.kind for e in tags.entities] == ["LWPOLYLINE"]
    assert tags.entities[0].values(10) == ["0.0", "1.0", "1.0"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: "AutoCAD Binary DXF\r\n\x1a\x00" + text,  # binary
        lambda text: text.replace("\n 10\n", "\n10.0\n", 1),  # a value where a code belongs
        lambda text: text + "stray\n",  # odd line count
        lambda text: text.replace("  0\nSEQEND\n  8\n1\n  0\nPOINT\n  8\n2\n", "  0\nENDBLK\n  8\n0\n", 1),
        lambda text: text.replace("$ACADVER", "$NOVERSION"),  # not a file this reader knows
    ],
)
def test_what_the_reader_does_not_handle_is_none(damage: Callable[[str], str]) -> None:
    # (the fourth ends the block inside the polyline: no SEQEND before ENDBLK)
    assert read_tags(damage(small_file().decode("cp1252")).encode("cp1252")) is None


def test_sniff_accepts_dxf_and_refuses_other_files() -> None:
    sniff_dxf(small_file())
    sniff_dxf(b"999\ncomment\n  0\nSECTION\n")
    sniff_dxf(b"AutoCAD Binary DXF\r\n\x1a\x00")
    with pytest.raises(UnsupportedFormatError, match=r"part\.dxf is not a DXF file"):
        sniff_dxf(b"solid part\n", "part.dxf")

"""Readers: the real benchmark files parse to what the data README says; bad files raise typed errors."""

import json
from pathlib import Path

import pytest

from geometry.errors import InputError, UnsupportedFormatError
from manufacturing.nesting.model import FULL_QUALITY
from manufacturing.nesting.readers import read_best_strip_length, read_hide_instance, read_strip_instance
from tests.conftest import shared_file


@pytest.mark.parametrize(
    ("name", "height", "copies", "best_length", "best_density"),
    [
        ("shirts", 40.0, 99, 59.393, 0.9092),
        ("swim", 5752.0, 48, 5541.653, 0.7983),
        ("trousers", 79.0, 64, 235.172, 0.9262),
    ],
)
def test_esicup_instances_and_best_density(
    name: str, height: float, copies: int, best_length: float, best_density: float
) -> None:
    instance = read_strip_instance(shared_file(f"nesting/esicup/{name}.json"))
    assert instance.strip_height_mm == height
    assert sum(item.demand for item in instance.items) == copies
    assert all(item.rotations_deg == (0.0, 180.0) for item in instance.items)
    length = read_best_strip_length(shared_file(f"nesting/esicup/final_best_{name}.svg"))
    assert length == pytest.approx(best_length, abs=1e-3)
    assert instance.item_area_mm2 / (height * length) == pytest.approx(best_density, abs=1e-4)


def test_scarpa_pieces_hides_and_grades() -> None:
    instance = read_hide_instance(shared_file("nesting/leather/Test11/Scarpa.json"))
    assert [p.demand for p in instance.pieces] == [60, 60, 60, 60]
    assert [p.min_quality for p in instance.pieces] == [2, 3, 2, 2]
    # The vamp's toe needs grade 4, above its base grade 2: higher is better.
    assert [z.quality for z in instance.pieces[0].zones] == [4]
    assert instance.demand_area_mm2 == pytest.approx(5.01e6, rel=0.01)
    assert len(instance.hides) == 2
    for hide in instance.hides:
        assert len(hide.outline.interiors) >= 10  # real holes (those touching the edge become notches)
        assert {z.quality for z in hide.zones} <= {1, 2, 3}
        assert hide.usable(10).area < hide.usable(1).area <= hide.outline.area


def test_test10_missing_base_quality_means_full_grade() -> None:
    instance = read_hide_instance(shared_file("nesting/leather/Test10/Test10.json"))
    assert len(instance.pieces) == 18 and len(instance.hides) == 10
    assert instance.pieces[0].min_quality == FULL_QUALITY
    assert sum(p.demand for p in instance.pieces) == 54


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_strip_instance(tmp_path / "none.json")


def test_not_json_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b"\x00\x01 not json")
    with pytest.raises(UnsupportedFormatError):
        read_hide_instance(path)


def test_wrong_schema_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"Items": []}))
    with pytest.raises(UnsupportedFormatError, match="Items and Objects"):
        read_hide_instance(path)
    with pytest.raises(UnsupportedFormatError, match="strip_height"):
        read_strip_instance(path)


def test_bowtie_piece_is_refused_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "bowtie.json"
    bowtie = [[0, 0], [10, 10], [10, 0], [0, 20], [0, 0]]
    path.write_text(
        json.dumps(
            {"strip_height": 10, "items": [{"id": 0, "demand": 1, "shape": {"type": "simple_polygon", "data": bowtie}}]}
        )
    )
    with pytest.raises(InputError, match=r"items\[0\].*invalid polygon"):
        read_strip_instance(path)


def test_negative_demand_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "neg.json"
    path.write_text(
        json.dumps(
            {
                "strip_height": 10,
                "items": [
                    {"id": 0, "demand": -1, "shape": {"type": "simple_polygon", "data": [[0, 0], [1, 0], [1, 1]]}}
                ],
            }
        )
    )
    with pytest.raises(InputError, match="demand must be >= 1"):
        read_strip_instance(path)

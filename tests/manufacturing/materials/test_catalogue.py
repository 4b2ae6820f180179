import json
from pathlib import Path

import pytest

from manufacturing.materials.catalogue import (
    CATEGORIES,
    SATRA_HIDE_YIELDS,
    SEED_CATALOGUE,
    CatalogueError,
    catalogue_from_dict,
    default_catalogue,
    load_catalogue,
)


def test_the_seed_catalogue_covers_every_category_with_costs_suppliers_and_lead_times() -> None:
    catalogue = default_catalogue()
    assert {m.category for m in catalogue.materials.values()} == set(CATEGORIES)
    for material in catalogue.materials.values():
        assert material.unit_cost_eur > 0 and material.supplier and material.lead_time_days > 0
        if material.is_area:
            assert 0.5 < material.nesting_utilisation <= 0.95


def test_hides_come_in_every_satra_grade_with_its_yield_and_better_grades_cost_more() -> None:
    catalogue = default_catalogue()
    assert (
        catalogue.hide_yields == SATRA_HIDE_YIELDS == {"A": 0.97, "B": 0.93, "C": 0.88, "D": 0.83, "E": 0.78, "F": 0.73}
    )
    full_grain = [catalogue.get(f"full-grain-cowhide-{g}") for g in "abcdef"]
    assert [m.hide_grade for m in full_grain] == list("ABCDEF")
    costs = [m.unit_cost_eur for m in full_grain]
    assert costs == sorted(costs, reverse=True)
    assert catalogue.hide_yield(catalogue.get("suede-cowhide-c")) == 0.88
    assert catalogue.hide_yield(catalogue.get("canvas-cotton")) == 1.0


def test_sole_units_are_stocked_by_size_and_laces_by_length() -> None:
    catalogue = default_catalogue()
    for material in catalogue.of_category("outsole", "midsole", "insole"):
        assert material.unit == "pair" and material.sizes_eu == (35.0, 48.0)
    assert all(m.lengths_cm for m in catalogue.of_category("lace"))


def test_an_unknown_material_names_the_known_ones() -> None:
    with pytest.raises(CatalogueError) as caught:
        default_catalogue().get("full-grain-calf")
    assert "'full-grain-calf' is not in the catalogue" in caught.value.message
    assert "full-grain-cowhide-a" in caught.value.message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"unit": "ft2"}, "unit 'ft2'"),
        ({"hide_grade": "G"}, "hide grade 'G'"),
        ({"unit_cost_eur": -1}, "unit_cost_eur"),
        ({"nesting_utilisation": 1.5}, "nesting_utilisation"),
        ({"pack_quantity": 0}, "pack_quantity must be a number > 0"),
        ({"colour": "red"}, "unknown fields"),
    ],
)
def test_a_bad_catalogue_entry_is_named(change: dict, fragment: str) -> None:
    data = json.loads(SEED_CATALOGUE.read_text())
    data["materials"][0].update(change)
    with pytest.raises(CatalogueError) as caught:
        catalogue_from_dict(data)
    assert fragment in caught.value.message


def test_a_catalogue_file_round_trips(tmp_path: Path) -> None:
    data = json.loads(SEED_CATALOGUE.read_text())
    data["materials"] = data["materials"][:3]
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(data))
    assert len(load_catalogue(path).materials) == 3
    path.write_text("{")
    with pytest.raises(CatalogueError, match="cannot be read as JSON"):
        load_catalogue(path)

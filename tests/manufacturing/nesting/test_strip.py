"""spyrrow strip packing: a validated layout of every copy, the grain rule and the kerf kept."""

from manufacturing.nesting.model import StripInstance
from manufacturing.nesting.readers import read_strip_instance
from manufacturing.nesting.strip import nest_strip
from manufacturing.nesting.validate import validate_strip_layout
from tests.conftest import shared_file


def test_shirts_short_run_is_valid_and_dense() -> None:
    instance = read_strip_instance(shared_file("nesting/esicup/shirts.json"))
    layout = nest_strip(instance, seconds=2)
    assert len(layout.placements) == 99
    assert validate_strip_layout(layout) is layout
    assert layout.density > 0.75
    assert {round(p.rotation_deg) % 360 for p in layout.placements} <= {0, 180}
    record = layout.to_dict()
    assert set(record["placements"][0]) == {"id", "rotation", "x", "y"}


def test_kerf_keeps_items_apart() -> None:
    full = read_strip_instance(shared_file("nesting/esicup/trousers.json"))
    subset = StripInstance("trousers subset", full.strip_height_mm, full.items[:6])
    layout = nest_strip(subset, seconds=1, kerf_mm=0.5)
    shapes = layout.polygons()
    gaps = [a.distance(b) for i, a in enumerate(shapes) for b in shapes[i + 1 :]]
    assert min(gaps) >= 0.5 - 1e-6

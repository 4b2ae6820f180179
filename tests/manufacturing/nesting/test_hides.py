"""The hide engine: all demand placed and every rule met on a small hide; pairs kept together; Scarpa subset."""

from dataclasses import replace

import pytest
from shapely.geometry import box

from manufacturing.nesting.hides import HideNestConfig, nest_hides
from manufacturing.nesting.model import Hide, HideInstance, HideLayout, Piece
from manufacturing.nesting.readers import read_hide_instance
from manufacturing.nesting.validate import validate_hide_layout
from tests.conftest import shared_file


def test_small_instance_all_placed_and_valid(small_instance: HideInstance) -> None:
    layout = nest_hides(small_instance, HideNestConfig(seconds=3, kerf_mm=2.0))
    assert layout.unplaced() == {}
    validate_hide_layout(layout)  # already done inside; repeated here as the statement of the contract
    vamps = [p for p in layout.placements if p.piece_id == "vamp"]
    hide = small_instance.hides[0]
    for placement in vamps:  # full-grade pieces stay off the grade-2 belly
        assert layout.polygon(placement).intersection(hide.zones[1].polygon).area < 1e-6


def test_pairs_go_to_the_same_hide(small_instance: HideInstance) -> None:
    two_hides = replace(small_instance, hides=(small_instance.hides[0], replace(small_instance.hides[0], id="h1")))
    layout = nest_hides(two_hides.with_demand_factor(3), HideNestConfig(seconds=3))
    hides_of_pairs = {p.hide_id for p in layout.placements if p.piece_id.startswith("tongue")}
    lefts = sum(p.piece_id == "tongue-left" for p in layout.placements)
    rights = sum(p.piece_id == "tongue-right" for p in layout.placements)
    assert lefts == rights > 0
    assert hides_of_pairs  # validation (split groups raise) has already checked each group stays on one hide


def test_raised_demand_reports_what_does_not_fit(small_instance: HideInstance) -> None:
    layout = nest_hides(small_instance.with_demand_factor(10), HideNestConfig(seconds=3))
    assert layout.unplaced()
    assert 0.3 < layout.utilisation < 1.0


@pytest.mark.slow
def test_scarpa_subset_on_one_hide() -> None:
    full = read_hide_instance(shared_file("nesting/leather/Test11/Scarpa.json"))
    subset = HideInstance(full.name, tuple(replace(p, demand=10) for p in full.pieces), full.hides[:1])
    layout: HideLayout = nest_hides(subset, HideNestConfig(seconds=8, kerf_mm=1.0))
    assert layout.unplaced() == {}
    assert layout.to_dict()["consumed_hide_area"] < subset.hides[0].usable_area_mm2


def test_exact_slide_closes_the_gap_the_grid_leaves() -> None:
    """On a 10 mm grid, pieces of 97 × 53 mm end within the slide's precision (2 cells / 64) of a neighbour
    or the hide edge below and to the side; without the slide the grid leaves gaps of several mm."""
    hide = Hide("h0", box(0, 0, 400, 200))
    instance = HideInstance("grid", (Piece("p", box(0, 0, 97, 53), demand=6, rotations_deg=(0.0,)),), (hide,))

    def worst_gap(slide_cells: float) -> float:
        config = HideNestConfig(seconds=2, cell_mm=10.0, slide_cells=slide_cells, restarts=False)
        layout = nest_hides(instance, config)
        assert layout.unplaced() == {}
        shapes = [layout.polygon(p) for p in layout.placements]
        edge = hide.outline.exterior
        gaps = []
        for k, shape in enumerate(shapes):
            others = [edge, *(s for j, s in enumerate(shapes) if j != k)]
            below = min(shape.distance(o) for o in others if o.bounds[1] <= shape.bounds[1] + 1e-9)
            gaps.append(below)
        return max(gaps)

    assert worst_gap(2.0) < 20.0 / 64 + 1e-6
    assert worst_gap(0.0) > 1.0

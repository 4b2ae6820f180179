"""The engine beats the plain bottom-left-fill reference on a small instance, in the same time."""

from manufacturing.nesting.baseline import nest_hides_bottom_left
from manufacturing.nesting.hides import HideNestConfig, nest_hides
from manufacturing.nesting.model import HideInstance


def test_bottom_left_reference_is_valid(small_instance: HideInstance) -> None:
    layout = nest_hides_bottom_left(small_instance, HideNestConfig(seconds=3))
    assert all(p.rotation_deg == 0.0 for p in layout.placements)
    assert layout.placements


def test_engine_beats_bottom_left_when_demand_exceeds_the_hide(small_instance: HideInstance) -> None:
    raised = small_instance.with_demand_factor(10)
    config = HideNestConfig(seconds=4)
    engine = nest_hides(raised, config)
    reference = nest_hides_bottom_left(raised, config)
    assert engine.utilisation > reference.utilisation

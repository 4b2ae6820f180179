"""The reference hide nester: plain bottom-left fill (what the engine in ``hides.py`` must beat).

Pieces in input order, each copy in its first allowed orientation only, at the lowest, then leftmost,
feasible position of the first hide where it fits; one pass, no search. It shares the engine's raster
collision grid and exact checks, so the comparison measures the placement rule, not the geometry code.
"""

from __future__ import annotations

from dataclasses import replace

from manufacturing.nesting.hides import HideNestConfig, nest_hides
from manufacturing.nesting.model import HideInstance, HideLayout, Piece


def nest_hides_bottom_left(instance: HideInstance, config: HideNestConfig | None = None) -> HideLayout:
    """Bottom-left fill of ``instance`` (first allowed orientation, input order); validated exactly."""
    config = config or HideNestConfig()
    first_only = tuple(
        Piece(p.id, p.polygon, p.demand, p.min_quality, p.zones, p.rotations_deg[:1], False, p.group)
        for p in instance.pieces
    )
    layout = nest_hides(HideInstance(instance.name, first_only, instance.hides), replace(config, rule="bottom_left"))
    return HideLayout(instance, layout.placements, layout.kerf_mm)

"""Strip packing for rolls and sheets (textiles, synthetics, linings, EVA / TPU) with spyrrow (sparrow).

The grain rule becomes each item's allowed orientations, the kerf becomes sparrow's minimum item
separation, and the time budget is split 80 % exploration / 20 % compression by sparrow. The layout is
validated exactly (``validate_strip_layout``) before it is returned.
"""

from __future__ import annotations

import os

import spyrrow

from manufacturing.nesting.model import StripInstance, StripLayout, StripPlacement
from manufacturing.nesting.validate import validate_strip_layout


def nest_strip(
    instance: StripInstance,
    seconds: float,
    kerf_mm: float = 0.0,
    workers: int | None = None,
    seed: int | None = 0,
) -> StripLayout:
    """Pack every copy of ``instance``'s items on its strip within ``seconds`` (>= 1); lengths in mm.

    ``workers``: solver threads (default: all cores). ``seed``: the same seed and budget give the same
    layout only when the solver is not time-limited; None draws a random seed.
    """
    if seconds < 1:
        raise ValueError(f"time budget {seconds} s is under the solver's 1 s resolution")
    if kerf_mm < 0:
        raise ValueError(f"kerf {kerf_mm} mm is negative")
    items = [
        spyrrow.Item(
            item.id,
            [(float(x), float(y)) for x, y in item.polygon.exterior.coords],
            item.demand,
            None if item.rotations_deg is None else list(item.rotations_deg),
        )
        for item in instance.items
    ]
    problem = spyrrow.StripPackingInstance(instance.name, instance.strip_height_mm, items)
    config = spyrrow.StripPackingConfig(
        early_termination=False,
        total_computation_time=round(seconds),
        min_items_separation=kerf_mm or None,
        num_workers=workers or os.cpu_count() or 1,
        seed=seed,
    )
    solution = problem.solve(config)
    placements = tuple(
        StripPlacement(p.id, float(p.rotation), float(p.translation[0]), float(p.translation[1]))
        for p in solution.placed_items
    )
    return validate_strip_layout(StripLayout(instance, float(solution.width), placements, kerf_mm))

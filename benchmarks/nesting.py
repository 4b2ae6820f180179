"""Nesting benchmarks (long runs: a command, ``cspms bench nesting``, not a test).

- Strip (spyrrow): ESICUP shirts, swim, trousers at each time budget; density against the best known
  density, computed from sparrow's best layouts stored beside the instances (``final_best_*.svg``).
- Hides (our engine): Baldacci Test11 (Scarpa, shoe uppers) and Test10: first the listed demand (is it all
  placed, every rule met, and how much hide does it consume), then the demand raised (×2) until it no longer
  fits, utilisation of the usable hide area against the bottom-left-fill reference in the same time.
- Our own pieces (``style_pairs_on_hide``): 20 pairs of the derby in size 41 (flattened once on the
  FIND-like lasts, the same design ordered 20 times) on one real hide, the larger Scarpa hide: pairs and
  pieces placed, utilisation of the usable hide, hide area consumed, seconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from configurator.pattern_making import flatten_pair
from configurator.styles.library import STYLES
from lasts.model import LastParameters, build_last
from lasts.pose import pose_last
from manufacturing.nesting.baseline import nest_hides_bottom_left
from manufacturing.nesting.hides import HideNestConfig, nest_hides
from manufacturing.nesting.nest_svg import hide_layout_svg
from manufacturing.nesting.readers import read_best_strip_length, read_hide_instance, read_strip_instance
from manufacturing.nesting.strip import nest_strip
from manufacturing.nesting.style_pieces import (
    GRAIN_LIMIT_DEG,
    PIECE_GRADES,
    nest_style_pairs,
    pair_hide_pieces,
    pairs_placed,
)

STRIP_INSTANCES = ("shirts", "swim", "trousers")
# (name, file, demand factor): the factor raises the demand past what the hides hold (Scarpa ×2: 10.0 m²
# of pieces on 9.5 m² of usable hide; Test10 ×5: 52.8 m² on 46.2 m²).
HIDE_INSTANCES = (("Test11", "leather/Test11/Scarpa.json", 2.0), ("Test10", "leather/Test10/Test10.json", 5.0))
STRIP_TARGET_POINTS = 3.0  # within 3 points of the best known density
HIDE_TARGET_POINTS = 8.0  # at least 8 points of utilisation over bottom-left fill
# The FIND foot's derby last (tests/lasts/last_samples.py FIND_LIKE): stick length 272.8 mm, Paris size 41.
FIND_LIKE_LAST = LastParameters(
    stick_length_mm=272.8, ball_length_mm=189.6, ball_girth_mm=247.0, ball_width_mm=95.9,
    waist_girth_mm=230.0, instep_girth_mm=240.0, long_heel_girth_mm=332.0, short_heel_girth_mm=324.0,
    heel_width_mm=61.6, toe_box_height_mm=38.5,
)  # fmt: skip
STYLE_PAIRS = 20
STYLE_PAIRS_HIDES = "leather/Test11/Scarpa.json"  # the larger of its two hides


def bench_strip(
    data_dir: Path,
    seconds: Sequence[float],
    instances: Sequence[str] = STRIP_INSTANCES,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Density of spyrrow on each strip instance at each time budget, against the best known density."""
    rows = []
    for name in instances:
        instance = read_strip_instance(data_dir / "esicup" / f"{name}.json")
        best_length = read_best_strip_length(data_dir / "esicup" / f"final_best_{name}.svg")
        best_density = instance.item_area_mm2 / (instance.strip_height_mm * best_length)
        for budget in seconds:
            if progress:
                progress(f"strip {name} {budget:g} s")
            began = time.monotonic()
            layout = nest_strip(instance, budget)
            gap = 100 * (best_density - layout.density)
            rows.append(
                {
                    "instance": name,
                    "seconds": budget,
                    "wall_seconds": round(time.monotonic() - began, 2),
                    "length": round(layout.length_mm, 4),
                    "density": round(layout.density, 4),
                    "best_length": best_length,
                    "best_density": round(best_density, 4),
                    "points_below_best": round(gap, 2),
                    "within_target": gap <= STRIP_TARGET_POINTS,
                    "valid": True,
                }
            )
    return rows


def bench_hides(data_dir: Path, seconds: float, progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Per leather instance: the listed demand, then the demand raised past what fits, against the reference."""
    rows = []
    for name, relative, demand_factor in HIDE_INSTANCES:
        instance = read_hide_instance(data_dir / relative)
        if progress:
            progress(f"hides {name} listed demand")
        listed: dict[str, Any] = nest_hides(instance, HideNestConfig(seconds=seconds)).to_dict()
        raised = instance.with_demand_factor(demand_factor)
        if progress:
            progress(f"hides {name} demand ×{demand_factor:g}")
        engine = nest_hides(raised, HideNestConfig(seconds=seconds))
        if progress:
            progress(f"hides {name} bottom-left reference")
        reference = nest_hides_bottom_left(raised, HideNestConfig(seconds=seconds))
        gain = 100 * (engine.utilisation - reference.utilisation)
        rows.append(
            {
                "instance": name,
                "seconds": seconds,
                "listed_demand": {
                    "pieces": sum(p.demand for p in instance.pieces),
                    "placed": len(listed["placements"]),
                    "all_placed": not listed["unplaced"],
                    "unplaced": listed["unplaced"],
                    "valid": True,
                    "placed_area_mm2": listed["placed_area"],
                    "consumed_hide_area_mm2": listed["consumed_hide_area"],
                    "utilisation_of_consumed": listed["utilisation_of_consumed"],
                    "utilisation_of_all_hides": listed["utilisation"],
                    "hides_used": len({p["hide"] for p in listed["placements"]}),
                },
                "raised_demand": {
                    "factor": demand_factor,
                    "fits": not engine.unplaced(),
                    "utilisation": round(engine.utilisation, 4),
                    "bottom_left_utilisation": round(reference.utilisation, 4),
                    "points_over_bottom_left": round(gain, 2),
                    "beats_target": gain >= HIDE_TARGET_POINTS,
                },
            }
        )
    return rows


def bench_style_pairs(
    data_dir: Path,
    seconds: float = 45.0,
    pairs: int = STYLE_PAIRS,
    style: str = "derby",
    size: str = "41",
    svg_path: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """``pairs`` orders of one design (``style`` on the FIND-like lasts, flattened once) nested on the larger
    Scarpa hide within ``seconds``; the layout is validated exactly (``validate.py``) before it is reported.
    ``svg_path``: also draw the hide and the pieces there."""
    if progress:
        progress(f"style pairs: flatten {style} size {size}")
    began = time.monotonic()
    left = pose_last(build_last(FIND_LIKE_LAST.with_values(side="left"), 20_000))
    right = pose_last(build_last(FIND_LIKE_LAST.with_values(side="right"), 20_000))
    pair = flatten_pair(STYLES[style](), left, right, size)
    flatten_seconds = time.monotonic() - began
    orders = [pair_hide_pieces(pair, f"order-{k + 1}") for k in range(pairs)]
    scarpa = read_hide_instance(data_dir / STYLE_PAIRS_HIDES)
    hide = max(scarpa.hides, key=lambda h: h.usable_area_mm2)
    if progress:
        progress(f"style pairs: nest {pairs} pairs on Scarpa {hide.id}, {seconds:g} s")
    began = time.monotonic()
    layout = nest_style_pairs(f"{style}-{size}-x{pairs}", orders, [hide], HideNestConfig(seconds=seconds))
    nest_seconds = time.monotonic() - began
    if svg_path is not None:
        svg_path.write_text(hide_layout_svg(layout, hide.id))
    record = layout.to_dict()
    placed = pairs_placed(layout.instance, (p.piece_id for p in layout.placements))
    return {
        "style": style,
        "size": size,
        "hide": f"Scarpa {hide.id}",
        "seconds": seconds,
        "wall_seconds": round(nest_seconds, 2),
        "flatten_seconds": round(flatten_seconds, 2),
        "pairs_ordered": pairs,
        "pairs_placed": len(placed),
        "pieces_ordered": len(layout.instance.pieces),
        "pieces_placed": len(layout.placements),
        "pieces_off_hide": sum(len(o.off_hide) for o in orders),
        "valid": True,
        "placed_area_mm2": record["placed_area"],
        "usable_hide_area_mm2": record["usable_hide_area"],
        "utilisation": record["utilisation"],
        "consumed_hide_area_mm2": record["consumed_hide_area"],
        "utilisation_of_consumed": record["utilisation_of_consumed"],
        "grain_limit_deg": GRAIN_LIMIT_DEG,
        "grades": dict(PIECE_GRADES),
    }


def run_nesting_benchmark(
    data_dir: Path,
    strip_seconds: Sequence[float] = (10.0, 60.0),
    hide_seconds: float = 60.0,
    progress: Callable[[str], None] | None = None,
    style_pairs_seconds: float = 45.0,
    style_pairs_svg: Path | None = None,
    only: str | None = None,
) -> dict[str, Any]:
    """The whole nesting benchmark as a JSON-ready report; ``only="style-pairs"`` runs only our own pieces."""
    report: dict[str, Any] = {
        "cores": os.cpu_count(),
        "note": "timings on a shared machine are noisy; densities depend on the seed and the load",
    }
    if only not in (None, "style-pairs"):
        raise ValueError(f"only must be None or 'style-pairs', got {only!r}")
    if only is None:
        report["strip"] = bench_strip(data_dir, strip_seconds, progress=progress)
        report["hides"] = bench_hides(data_dir, hide_seconds, progress=progress)
    report["style_pairs_on_hide"] = bench_style_pairs(
        data_dir, style_pairs_seconds, svg_path=style_pairs_svg, progress=progress
    )
    return report

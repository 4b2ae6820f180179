"""The BOM benchmark (``cspms bench bom``): how long a BOM and its quote take once the pieces are flattened,
and whether each area line's quantity agrees with the pieces it lists and the utilisation and yield it
claims (recomputed here from the pieces' cut lines, independently of the BOM's own sums).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping
from typing import Any

from shapely.geometry import Polygon

from configurator.options import DesignOptions
from configurator.pattern_making import PairFlattening
from manufacturing.bom.bom import Bom, build_bom
from manufacturing.bom.cost import quote
from manufacturing.materials.catalogue import MM2_PER_UNIT

TARGETS = {"bom_ms": 100.0, "leather_consistency_pct": 2.0}


def line_consistency_pct(bom: Bom, pair: PairFlattening) -> list[dict[str, Any]]:
    """Per upper area line: the area recomputed from its pieces' cut lines ÷ the utilisation and yield the
    line claims, against its quantity (relative difference, %)."""
    pieces = {f"{shoe.side} {p.spec.name}": p for shoe in (pair.left, pair.right) for p in shoe.pieces}
    out = []
    for line in bom.lines_of("upper"):
        area = sum(Polygon(pieces[name].pattern.cut_line[:, :2]).area * pieces[name].spec.quantity
                   for name in line.pieces)  # fmt: skip
        expected = area / line.basis["utilisation"] / line.basis["hide_yield"] / MM2_PER_UNIT[line.unit]
        out.append({
            "material_id": line.material_id,
            "pieces": len(line.pieces),
            "quantity": round(line.quantity, 6),
            "recomputed": round(expected, 6),
            "difference_pct": round(100.0 * abs(line.quantity - expected) / expected, 4),
        })  # fmt: skip
    return out


def run_bom_benchmark(
    designs: Mapping[str, tuple[DesignOptions, PairFlattening, float]], repeats: int = 20
) -> dict[str, Any]:
    """``designs``: name → (options, flattened pair, EU size). Times BOM + quote ``repeats`` times each."""
    rows = []
    for name, (options, pair, size_eu) in designs.items():
        times = []
        for _ in range(max(1, repeats)):
            started = time.perf_counter()
            bom = build_bom(options, pair, size_eu)
            priced = quote(bom)
            times.append(1000.0 * (time.perf_counter() - started))
        lines = line_consistency_pct(bom, pair)
        worst = max((row["difference_pct"] for row in lines), default=0.0)
        rows.append({
            "design": name,
            "style": options.style,
            "size_eu": size_eu,
            "bom_ms_median": round(statistics.median(times), 2),
            "bom_ms_max": round(max(times), 2),
            "flatten_seconds": round(pair.seconds, 3),
            "materials_eur": round(bom.materials_eur, 2),
            "price_eur": priced.price_eur,
            "leather_lines": lines,
            "worst_difference_pct": worst,
            "meets_targets": max(times) <= TARGETS["bom_ms"] and worst <= TARGETS["leather_consistency_pct"],
        })  # fmt: skip
    return {
        "targets": TARGETS,
        "repeats": repeats,
        "designs": rows,
        "meets_targets": all(row["meets_targets"] for row in rows),
    }

"""Synthetic orders on a synthetic (or the default) factory, for ``cspms schedule``, the tests and
``cspms bench schedule``; and the report of a plan's ETAs that ``cspms schedule`` prints.

Pairs get a style, geometry in the range the style library produces (pieces, seam length, eyelets), options
drawn at the rates below, orders of 1–3 pairs sharing a due date, and a weight (3 for rush orders). Due
dates are spread so that roughly the whole load is due within the time it takes (a tight shop, where
sequencing matters).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from configurator.styles import STYLE_NAMES
from manufacturing.planning.factory import Factory, synthetic_factory
from manufacturing.planning.routing import Routing, RoutingInputs, WorkCentreKind, route
from manufacturing.planning.scheduling import Instance, Schedule, instance_from_routings

# Per-shoe geometry by style: (piece count range, seam length range mm, eyelets), from the style library.
STYLE_GEOMETRY: dict[str, tuple[tuple[int, int], tuple[float, float], int]] = {
    "derby": ((7, 9), (1600.0, 2100.0), 10),
    "oxford": ((8, 10), (1800.0, 2300.0), 10),
    "penny_loafer": ((6, 8), (1500.0, 2000.0), 0),
    "low_top_sneaker": ((9, 12), (2000.0, 2600.0), 12),
    "chelsea_boot": ((6, 8), (1700.0, 2300.0), 0),
}


@dataclass(frozen=True)
class SyntheticPair:
    pair_id: int
    order_id: int
    routing: Routing
    due_min: int
    weight: int


def synthetic_pairs(
    pairs: int, seed: int, options: bool = True, due_spread: float = 1.0, factory: Factory | None = None
) -> list[SyntheticPair]:
    """``pairs`` pairs in orders of 1–3. ``options=False`` gives every pair the base 8-operation routing
    (hand stitching, logos and memory foam off), as the benchmark asks."""
    rng = random.Random(seed)
    drafts = []
    order_id, left_in_order, due, weight = 0, 0, 0.0, 1
    for pair_id in range(1, pairs + 1):
        if left_in_order == 0:
            order_id += 1
            left_in_order = rng.choice((1, 1, 2, 3))
            weight = 3 if rng.random() < 0.15 else 1
            due = rng.random()
        left_in_order -= 1
        style = rng.choice(STYLE_NAMES)
        (p0, p1), (s0, s1), eyelets = STYLE_GEOMETRY.get(style, ((7, 9), (1600.0, 2100.0), 8))
        inputs = RoutingInputs(
            style=style, piece_count=rng.randint(p0, p1), seam_length_mm=round(rng.uniform(s0, s1), 1),
            eyelets=eyelets,
            hand_stitching=options and rng.random() < 0.15,
            memory_foam=options and rng.random() < 0.3,
            logo_method=(rng.choice(("print", "emboss", "deboss")) if options and rng.random() < 0.25 else None),
        )  # fmt: skip
        drafts.append((pair_id, order_id, route(inputs), due, weight))
    factory = factory or synthetic_factory(20, seed)
    # The load's length on the busiest kind of centre sets how far due dates spread.
    work: dict[WorkCentreKind, float] = {}
    for _, _, routing, _, _ in drafts:
        for op in routing.operations:
            work[op.kind] = work.get(op.kind, 0.0) + op.standard_minutes
    span = max(w / max(1, sum(factory.capacity(c) for c in factory.centres_of(k))) for k, w in work.items())
    return [
        SyntheticPair(pid, oid, routing, int(routing.total_minutes + due * span * due_spread), weight)
        for pid, oid, routing, due, weight in drafts
    ]


def synthetic_instance(pairs: int, seed: int, work_centres: int = 20, options: bool = True) -> tuple[Instance, Factory]:
    factory = synthetic_factory(work_centres, seed) if not options else _factory_for_options(work_centres, seed)
    jobs = synthetic_pairs(pairs, seed, options=options, factory=factory)
    specs = [(p.pair_id, p.order_id, p.routing, p.due_min, p.weight) for p in jobs]
    return instance_from_routings(factory, specs), factory


def _factory_for_options(work_centres: int, seed: int) -> Factory:
    from manufacturing.planning.factory import SYNTHETIC_SHARE
    from manufacturing.planning.routing import WorkCentreKind

    kinds = [*SYNTHETIC_SHARE, WorkCentreKind.HAND_CLOSING, WorkCentreKind.LOGO_PRINTING, WorkCentreKind.EMBOSSING,
             WorkCentreKind.INSERT_FITTING]  # fmt: skip
    return synthetic_factory(max(work_centres, len(kinds)), seed, kinds)


def schedule_report(schedule: Schedule, instance: Instance) -> dict[str, Any]:
    """ETAs per pair and order (working minutes), lateness, and the placements."""
    finish = schedule.pair_finish()
    orders: dict[int, int] = {}
    late = []
    for job in instance.jobs:
        end = finish.get(job.pair_id, instance.now)
        orders[job.order_id] = max(orders.get(job.order_id, end), end)
        if end > job.due:
            late.append(job.pair_id)
    return {
        "method": schedule.method,
        "status": schedule.status,
        "weighted_tardiness": schedule.weighted_tardiness,
        "bound": schedule.bound,
        "baselines": dict(schedule.baselines),
        "makespan_min": schedule.makespan,
        "seconds": round(schedule.seconds, 2),
        "late_pairs": len(late),
        "pair_eta_min": {str(k): v for k, v in sorted(finish.items())},
        "order_eta_min": {str(k): v for k, v in sorted(orders.items())},
        "due_min": {str(j.pair_id): j.due for j in instance.jobs},
    }

"""``cspms bench schedule``: 300 pairs × 8 operations on 20 work centres, CP-SAT against the dispatch rules
(the synthetic orders and factory: ``manufacturing.planning.synthetic``)."""

from __future__ import annotations

import time
from typing import Any

from manufacturing.planning.scheduling import dispatch, solve, validate_schedule
from manufacturing.planning.synthetic import synthetic_instance


def run_schedule_benchmark(
    pairs: int = 300, work_centres: int = 20, seconds: float = 10.0, seed: int = 2026, workers: int | None = None
) -> dict[str, Any]:
    """300 pairs × 8 operations on 20 work centres: CP-SAT within ``seconds`` (model build included) against
    EDD and ATC; CP-SAT's lower bound on the weighted tardiness says how far from optimal it can still be."""
    instance, factory = synthetic_instance(pairs, seed, work_centres, options=False)
    started = time.perf_counter()
    schedule = solve(instance, time_limit_s=seconds, workers=workers)
    wall = time.perf_counter() - started
    edd, atc = dispatch(instance, "edd"), dispatch(instance, "atc")
    problems = validate_schedule(instance, schedule)
    ops = {len(j.tasks) for j in instance.jobs}
    return {
        "pairs": len(instance.jobs),
        "operations_per_pair": sorted(ops),
        "operations": instance.task_count,
        "work_centres": len(factory.work_centres),
        "time_limit_s": seconds,
        "seed": seed,
        "method": schedule.method,
        "status": schedule.status,
        "wall_s": round(wall, 2),
        "within_time_limit": wall <= seconds,
        "weighted_tardiness": {
            "cp_sat": schedule.weighted_tardiness,
            "edd": edd.weighted_tardiness,
            "atc": atc.weighted_tardiness,
            "cp_sat_bound": schedule.bound,
        },
        "makespan_min": {"cp_sat": schedule.makespan, "edd": edd.makespan, "atc": atc.makespan},
        "improvement_vs_edd": _ratio(schedule.weighted_tardiness, edd.weighted_tardiness),
        "improvement_vs_atc": _ratio(schedule.weighted_tardiness, atc.weighted_tardiness),
        "gap_to_bound": _gap(schedule.weighted_tardiness, schedule.bound),
        "dispatch_s": {"edd": round(edd.seconds, 3), "atc": round(atc.seconds, 3)},
        "valid": not problems,
        "problems": problems[:5],
    }


def _ratio(value: float, baseline: float) -> float | None:
    return None if baseline == 0 else round(1.0 - value / baseline, 4)


def _gap(value: float, bound: float | None) -> float | None:
    if bound is None:
        return None
    return 0.0 if value == 0 else round((value - bound) / value, 4)

"""The scheduler: valid plans (checked by the validator), CP-SAT at least as good as EDD and optimal on a small
instance, the dispatch fallback above the size threshold, and re-scheduling around started work."""

import itertools

import pytest

from manufacturing.planning.scheduling import (
    Instance,
    Job,
    Placement,
    Schedule,
    Task,
    dispatch,
    reschedule,
    solve,
    validate_schedule,
    weighted_tardiness,
)
from manufacturing.planning.synthetic import synthetic_instance


def tiny() -> Instance:
    """3 pairs × 2 operations on 2 single-station centres (A then B), weights and due dates that make EDD wrong."""
    jobs = (
        Job(1, 1, due=10, weight=1, tasks=(Task(1, 10, "a", {"A": 6}), Task(1, 20, "b", {"B": 4}))),
        Job(2, 2, due=9, weight=1, tasks=(Task(2, 10, "a", {"A": 1}), Task(2, 20, "b", {"B": 8}))),
        Job(3, 3, due=12, weight=5, tasks=(Task(3, 10, "a", {"A": 2}), Task(3, 20, "b", {"B": 2}))),
    )
    return Instance(jobs, {"A": 1, "B": 1})


def brute_force_optimum(instance: Instance) -> int:
    """Best weighted tardiness over every permutation on both machines (semi-active schedules)."""
    best = None
    pairs = [j.pair_id for j in instance.jobs]
    jobs = {j.pair_id: j for j in instance.jobs}
    for order_a in itertools.permutations(pairs):
        for order_b in itertools.permutations(pairs):
            free_a = 0
            end_a = {}
            for pid in order_a:
                free_a += jobs[pid].tasks[0].durations["A"]
                end_a[pid] = free_a
            free_b, placements = 0, []
            for pid in order_b:
                start = max(free_b, end_a[pid])
                free_b = start + jobs[pid].tasks[1].durations["B"]
                placements.append(Placement(pid, 20, "B", start, free_b))
            wt, _ = weighted_tardiness(instance, placements)
            best = wt if best is None else min(best, wt)
    assert best is not None
    return best


def test_cp_sat_finds_the_brute_force_optimum_and_beats_edd() -> None:
    instance = tiny()
    schedule = solve(instance, time_limit_s=5.0, workers=2)
    assert validate_schedule(instance, schedule) == []
    assert schedule.method == "cp-sat" and schedule.status == "optimal"
    assert schedule.weighted_tardiness == brute_force_optimum(instance)
    assert schedule.bound == schedule.weighted_tardiness
    edd = dispatch(instance, "edd")
    assert validate_schedule(instance, edd) == []
    assert schedule.weighted_tardiness <= edd.weighted_tardiness


def test_the_validator_catches_broken_plans() -> None:
    instance = tiny()
    good = dispatch(instance, "edd")
    p = good.placements
    overlap = [Placement(x.pair_id, x.seq, x.centre, 0, x.end - x.start) if x.centre == "A" else x for x in p]
    wt, span = weighted_tardiness(instance, overlap)
    problems = validate_schedule(instance, Schedule(tuple(overlap), "x", "x", wt, span))
    assert any("capacity" in m for m in problems)
    early_b = [Placement(x.pair_id, x.seq, x.centre, 0, x.end - x.start) if x.seq == 20 and x.pair_id == 1 else x
               for x in p]  # fmt: skip
    eb = Schedule(tuple(early_b), "x", "x", *weighted_tardiness(instance, early_b))
    assert any("before its predecessor" in m for m in validate_schedule(instance, eb))
    missing = Schedule(p[1:], "x", "x", *weighted_tardiness(instance, p[1:]))
    assert any("not placed" in m for m in validate_schedule(instance, missing))
    wrong_centre = [Placement(x.pair_id, x.seq, "B", x.start, x.end) if x.seq == 10 else x for x in p]
    ws = Schedule(tuple(wrong_centre), "x", "x", *weighted_tardiness(instance, wrong_centre))
    assert any("not eligible" in m for m in validate_schedule(instance, ws))


@pytest.fixture(scope="module")
def medium() -> Instance:
    return synthetic_instance(40, seed=11, work_centres=20, options=True)[0]


def test_a_mixed_shop_is_planned_validly_and_cp_sat_is_no_worse_than_edd_or_atc(medium: Instance) -> None:
    schedule = solve(medium, time_limit_s=4.0, workers=2)
    assert validate_schedule(medium, schedule) == []
    assert schedule.method == "cp-sat"
    assert schedule.weighted_tardiness <= min(schedule.baselines.values())
    assert schedule.bound is not None and schedule.bound <= schedule.weighted_tardiness
    for rule in ("edd", "atc"):
        assert validate_schedule(medium, dispatch(medium, rule)) == []


def test_large_instances_fall_back_to_dispatch_rules(medium: Instance) -> None:
    schedule = solve(medium, time_limit_s=4.0, fallback_above_tasks=50)
    assert schedule.method in ("edd", "atc") and schedule.status == "heuristic"
    assert schedule.weighted_tardiness == min(schedule.baselines.values())
    assert validate_schedule(medium, schedule) == []


def test_rescheduling_keeps_started_work_and_drops_done_work(medium: Instance) -> None:
    first = solve(medium, time_limit_s=2.0, workers=2)
    now = 30
    by_key = {p.key: p for p in first.placements}
    done = {k for k, p in by_key.items() if p.end <= now}
    started = {k: (p.centre, p.start) for k, p in by_key.items() if p.start < now < p.end}
    assert done and started
    again = reschedule(medium, now, started, done, previous=first, time_limit_s=2.0)
    keys = {p.key for p in again.placements}
    assert keys.isdisjoint(done)
    for key, (centre, start) in started.items():
        p = next(x for x in again.placements if x.key == key)
        assert (p.centre, p.start) == (centre, start)
    assert all(p.start >= now for p in again.placements if p.key not in started)
    new = Instance(
        tuple(j for j in (
            type(j)(j.pair_id, j.order_id, j.due, j.weight, tuple(t for t in j.tasks if (j.pair_id, t.seq) not in done),
                    max(j.release, now)) for j in medium.jobs) if j.tasks),
        medium.capacity, {k: next(x for x in again.placements if x.key == k) for k in started}, now,
    )  # fmt: skip
    assert validate_schedule(new, again) == []

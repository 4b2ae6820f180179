"""Scheduling, pure: a flexible job shop on the factory's working-time axis (integer minutes from "now").

Each pair is a job: its operations in routing order, each on one of its eligible work centres (the centres
of its kind, with that centre's duration). Work centres hold ``capacity`` operations at once. The objective
is lexicographic: first the weighted tardiness ``Σ w_j · max(0, C_j − d_j)`` (``C_j`` the end of the pair's
last operation, ``d_j`` its due time), then the makespan.

- ``solve_cp_sat``: OR-Tools CP-SAT, one optional interval per (operation, eligible centre), no-overlap (or
  cumulative) per centre; phase 1 minimises the weighted tardiness under most of the time limit, phase 2 keeps
  it and minimises the makespan. Both phases start from a hint (the better dispatch schedule), so there is
  always an answer at least as good as the dispatch rule's; CP-SAT's bound says how far from optimal it can be.
- ``dispatch``: EDD (earliest due date) or ATC (apparent tardiness cost) list scheduling, milliseconds per
  hundred operations: the fallback for instances too large for the time limit, and the baseline.
- ``reschedule``: operations already started stay where they are (fixed), done ones drop out, the rest is
  solved again from "now".
- ``validate_schedule``: every check a schedule must pass (used by the tests and the benchmark).
"""

from __future__ import annotations

import math
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from manufacturing.planning.errors import ScheduleError
from manufacturing.planning.factory import Factory
from manufacturing.planning.routing import Operation, Routing

DEFAULT_FALLBACK_ABOVE_TASKS = 6000  # operations; above this the dispatch rules answer alone
ATC_K = 2.0  # look-ahead of ATC: slack is scaled by k × the mean operation time (Vepsalainen & Morton)
TaskKey = tuple[int, int]  # (pair id, operation seq)


@dataclass(frozen=True)
class Task:
    """One operation to schedule: its minutes on each eligible work centre."""

    pair_id: int
    seq: int
    code: str
    durations: Mapping[str, int]


@dataclass(frozen=True)
class Job:
    """One pair: operations in order, due time (working minutes from 0), weight (priority), release time."""

    pair_id: int
    order_id: int
    due: int
    weight: int
    tasks: tuple[Task, ...]
    release: int = 0


@dataclass(frozen=True)
class Placement:
    pair_id: int
    seq: int
    centre: str
    start: int
    end: int

    @property
    def key(self) -> TaskKey:
        return (self.pair_id, self.seq)


@dataclass(frozen=True)
class Instance:
    """Jobs, centre capacities, operations already started (``fixed``: they stay) and ``now`` (nothing new
    starts before it)."""

    jobs: tuple[Job, ...]
    capacity: Mapping[str, int]
    fixed: Mapping[TaskKey, Placement] = field(default_factory=dict)
    now: int = 0

    @property
    def task_count(self) -> int:
        return sum(len(j.tasks) for j in self.jobs)


@dataclass(frozen=True)
class Schedule:
    placements: tuple[Placement, ...]
    method: str  # cp-sat, edd, atc
    status: str  # optimal, feasible (cp-sat), heuristic (dispatch)
    weighted_tardiness: int
    makespan: int
    bound: float | None = None  # CP-SAT's lower bound on the weighted tardiness
    seconds: float = 0.0
    baselines: Mapping[str, int] = field(default_factory=dict)  # weighted tardiness of each dispatch rule

    def pair_finish(self) -> dict[int, int]:
        """ETA of each pair: the end of its last operation (working minutes)."""
        finish: dict[int, int] = {}
        for p in self.placements:
            finish[p.pair_id] = max(finish.get(p.pair_id, p.end), p.end)
        return finish


# ------------------------------------------------------------------------------------------------ building


def operation_durations(factory: Factory, capacity: Mapping[str, int], op: Operation) -> dict[str, int]:
    """Whole minutes of ``op`` on each staffed centre of its kind: ``ceil(standard minutes × centre speed)``."""
    return {
        c.code: max(1, math.ceil(op.standard_minutes * c.speed - 1e-9))
        for c in factory.centres_of(op.kind)
        if capacity.get(c.code, 0) > 0
    }


def instance_from_routings(
    factory: Factory,
    pairs: Iterable[tuple[int, int, Routing, int, int]],
    now: int = 0,
) -> Instance:
    """Jobs from (pair id, order id, routing, due minute, weight): each operation may run on every centre of
    its kind that has capacity, taking ``ceil(standard minutes × centre speed)``."""
    capacity = {c.code: factory.capacity(c) for c in factory.work_centres}
    jobs = []
    for pair_id, order_id, routing, due, weight in pairs:
        tasks = []
        for op in routing.operations:
            durations = operation_durations(factory, capacity, op)
            if not durations:
                raise ScheduleError(
                    f"operation {op.code} of pair {pair_id} has no staffed {op.kind.value} work centre",
                    pair_id=pair_id, operation=op.code,
                )  # fmt: skip
            tasks.append(Task(pair_id, op.seq, op.code, durations))
        jobs.append(Job(pair_id, order_id, due, weight, tuple(tasks), release=now))
    return Instance(tuple(jobs), capacity, {}, now)


def weighted_tardiness(instance: Instance, placements: Sequence[Placement]) -> tuple[int, int]:
    """(Σ w·tardiness, makespan) of ``placements``."""
    end: dict[int, int] = {}
    for p in placements:
        end[p.pair_id] = max(end.get(p.pair_id, p.end), p.end)
    wt = sum(j.weight * max(0, end.get(j.pair_id, 0) - j.due) for j in instance.jobs if j.tasks)
    return wt, max(end.values(), default=instance.now)


# ------------------------------------------------------------------------------------------------ checking


def validate_schedule(instance: Instance, schedule: Schedule) -> list[str]:
    """Every reason ``schedule`` is not a valid plan of ``instance``; empty when it is."""
    problems: list[str] = []
    placed: dict[TaskKey, Placement] = {}
    for placement in schedule.placements:
        if placement.key in placed:
            problems.append(f"operation {placement.key} is placed twice")
        placed[placement.key] = placement
    for job in instance.jobs:
        previous_end = None
        for task in job.tasks:
            p = placed.pop((job.pair_id, task.seq), None)
            if p is None:
                problems.append(f"operation {(job.pair_id, task.seq)} is not placed")
                previous_end = None
                continue
            fixed = instance.fixed.get(p.key)
            if fixed is not None:
                if fixed != p:
                    problems.append(f"started operation {p.key} moved from {fixed} to {p}")
            else:
                if p.centre not in task.durations:
                    problems.append(f"operation {p.key} on {p.centre}, which is not eligible")
                elif p.end - p.start != task.durations[p.centre]:
                    problems.append(f"operation {p.key} lasts {p.end - p.start} min, not {task.durations[p.centre]}")
                if p.start < max(instance.now, job.release):
                    problems.append(f"operation {p.key} starts at {p.start}, before now/release")
            if previous_end is not None and p.start < previous_end:
                problems.append(f"operation {p.key} starts at {p.start} before its predecessor ends ({previous_end})")
            previous_end = p.end
    problems += [f"operation {key} is not in the instance" for key in placed]
    by_centre: dict[str, list[Placement]] = defaultdict(list)
    for p in schedule.placements:
        by_centre[p.centre].append(p)
    for centre, items in by_centre.items():
        events = sorted([(p.start, 1) for p in items] + [(p.end, -1) for p in items], key=lambda e: (e[0], e[1]))
        load, cap = 0, instance.capacity.get(centre, 0)
        for at, delta in events:
            load += delta
            if load > cap:
                problems.append(f"work centre {centre} holds {load} operations at minute {at} (capacity {cap})")
                break
    wt, makespan = weighted_tardiness(instance, schedule.placements)
    if (wt, makespan) != (schedule.weighted_tardiness, schedule.makespan):
        problems.append(f"reported (tardiness, makespan) {(schedule.weighted_tardiness, schedule.makespan)}"
                        f" but the placements give {(wt, makespan)}")  # fmt: skip
    return problems


# ------------------------------------------------------------------------------------------------ dispatch


def dispatch(instance: Instance, rule: str = "edd") -> Schedule:
    """List scheduling: repeatedly take the next operation of some pair, chosen by ``rule`` among the pairs
    that could start before the earliest possible completion (Giffler–Thompson's conflict set), and put it on
    its eligible centre where it ends first. ``edd``: earliest due date first; ``atc``: apparent tardiness
    cost, ``w/p · exp(−max(0, d − remaining work − t) / (k · p̄))``."""
    if rule not in ("edd", "atc"):
        raise ScheduleError(f"unknown dispatch rule {rule!r}; use edd or atc")
    started = time.perf_counter()
    stations: dict[str, list[int]] = {c: [instance.now] * max(cap, 0) for c, cap in instance.capacity.items()}
    placements: list[Placement] = []
    for p in sorted(instance.fixed.values(), key=lambda p: p.start):
        free = stations[p.centre]
        k = min(range(len(free)), key=free.__getitem__)
        free[k] = max(free[k], p.end)
        placements.append(p)
    ready: dict[int, int] = {}
    queue: dict[int, list[Task]] = {}
    jobs = {j.pair_id: j for j in instance.jobs}
    remaining: dict[int, int] = {}
    for job in instance.jobs:
        todo = [t for t in job.tasks if (job.pair_id, t.seq) not in instance.fixed]
        fixed_end = [
            instance.fixed[task_key].end for t in job.tasks if (task_key := (job.pair_id, t.seq)) in instance.fixed
        ]
        ready[job.pair_id] = max([instance.now, job.release, *fixed_end])
        if todo:
            queue[job.pair_id] = todo
            remaining[job.pair_id] = sum(min(t.durations.values()) for t in todo)

    def best_centre(pair_id: int) -> tuple[int, int, str]:
        task = queue[pair_id][0]
        options = []
        for centre, d in task.durations.items():
            start = max(ready[pair_id], min(stations[centre]))
            options.append((start + d, start, centre))
        return min(options)

    while queue:
        options = {pid: best_centre(pid) for pid in queue}
        t_star = min(o[0] for o in options.values())
        conflict = [pid for pid, o in options.items() if o[1] < t_star]
        if rule == "edd":
            chosen = min(conflict, key=lambda pid: (jobs[pid].due, -jobs[pid].weight, pid))
        else:
            now = min(options[pid][1] for pid in conflict)
            p_bar = sum(min(queue[pid][0].durations.values()) for pid in conflict) / len(conflict)

            def atc(pid: int, now: int = now, p_bar: float = p_bar) -> tuple[float, int]:
                p = min(queue[pid][0].durations.values())
                slack = max(0.0, jobs[pid].due - remaining[pid] - now)
                return (-(jobs[pid].weight / p) * math.exp(-slack / (ATC_K * p_bar)), pid)

            chosen = min(conflict, key=atc)
        end, start, centre = options[chosen]
        task = queue[chosen].pop(0)
        free = stations[centre]
        k = min(range(len(free)), key=free.__getitem__)
        free[k] = end
        ready[chosen] = end
        remaining[chosen] -= min(task.durations.values())
        placements.append(Placement(chosen, task.seq, centre, start, end))
        if not queue[chosen]:
            del queue[chosen]
    wt, makespan = weighted_tardiness(instance, placements)
    return Schedule(tuple(placements), rule, "heuristic", wt, makespan, None, time.perf_counter() - started)


# ------------------------------------------------------------------------------------------------ CP-SAT


def solve_cp_sat(
    instance: Instance,
    time_limit_s: float = 10.0,
    hint: Schedule | None = None,
    workers: int | None = None,
    makespan_share: float = 0.2,
) -> Schedule | None:
    """Weighted tardiness, then makespan, by CP-SAT within ``time_limit_s`` (both phases together); ``None``
    when no solution was found in time (only possible without a hint)."""
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    model = cp_model.CpModel()
    horizon = max([instance.now, *(j.release for j in instance.jobs), *(p.end for p in instance.fixed.values())]) + sum(
        max(t.durations.values()) for j in instance.jobs for t in j.tasks
    )
    low = min([instance.now, *(p.start for p in instance.fixed.values())])
    starts: dict[TaskKey, cp_model.IntVar] = {}
    ends: dict[TaskKey, cp_model.IntVar] = {}
    choices: dict[TaskKey, list[tuple[str, cp_model.IntVar | None]]] = {}
    per_centre: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    job_end: dict[int, cp_model.IntVar] = {}
    for job in instance.jobs:
        previous_end = None
        for task in job.tasks:
            key = (job.pair_id, task.seq)
            fixed = instance.fixed.get(key)
            if fixed is not None:
                s = model.new_constant(fixed.start)
                e = model.new_constant(fixed.end)
                size = fixed.end - fixed.start
                per_centre[fixed.centre].append(model.new_fixed_size_interval_var(fixed.start, size, ""))
                choices[key] = [(fixed.centre, None)]
            else:
                earliest = max(instance.now, job.release)
                s = model.new_int_var(earliest, horizon, "")
                e = model.new_int_var(earliest, horizon, "")
                if len(task.durations) == 1:
                    ((centre, d),) = task.durations.items()
                    per_centre[centre].append(model.new_interval_var(s, d, e, ""))
                    choices[key] = [(centre, None)]
                else:
                    options: list[tuple[str, cp_model.IntVar | None]] = []
                    for centre, d in task.durations.items():
                        present = model.new_bool_var("")
                        per_centre[centre].append(model.new_optional_interval_var(s, d, e, present, ""))
                        options.append((centre, present))
                    model.add_exactly_one(p for _, p in options if p is not None)
                    choices[key] = options
                starts[key] = s
                ends[key] = e
            if previous_end is not None:
                model.add(s >= previous_end)
            previous_end = e
        if previous_end is not None:
            job_end[job.pair_id] = previous_end
    for centre, intervals in per_centre.items():
        cap = instance.capacity.get(centre, 0)
        if cap <= 1:
            model.add_no_overlap(intervals)
        else:
            model.add_cumulative(intervals, [1] * len(intervals), cap)
    tardiness: dict[int, cp_model.IntVar] = {}
    for job in instance.jobs:
        if job.pair_id not in job_end:
            continue
        t = model.new_int_var(0, horizon, "")
        model.add(t >= job_end[job.pair_id] - job.due)
        tardiness[job.pair_id] = t
        if hint is not None:
            # No schedule better than the hint lets any pair be later than the hint's whole tardiness allows.
            model.add(job_end[job.pair_id] <= job.due + hint.weighted_tardiness // job.weight)
    makespan = model.new_int_var(low, horizon, "")
    job_ends: list[cp_model.LinearExprT] = list(job_end.values())
    model.add_max_equality(makespan, job_ends or [low])
    weights = {j.pair_id: j.weight for j in instance.jobs}
    total = sum(weights[pid] * t for pid, t in tardiness.items())

    def add_hint(schedule: Schedule) -> None:
        # A complete hint (every variable), so CP-SAT starts from it instead of discarding it.
        model.clear_hints()
        by_key = {p.key: p for p in schedule.placements}
        for key, s in starts.items():
            p = by_key.get(key)
            if p is None:
                continue
            model.add_hint(s, p.start)
            model.add_hint(ends[key], p.end)
            for centre, present in choices[key]:
                if present is not None:
                    model.add_hint(present, centre == p.centre)
        finish = schedule.pair_finish()
        for job in instance.jobs:
            if job.pair_id in tardiness and job.pair_id in finish:
                model.add_hint(tardiness[job.pair_id], max(0, finish[job.pair_id] - job.due))
        model.add_hint(makespan, max(finish.values(), default=low))

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers or max(1, min(8, os.cpu_count() or 1))
    solver.parameters.log_search_progress = bool(os.environ.get("CSPMS_CPSAT_LOG"))
    solver.parameters.cp_model_probing_level = 0  # probing costs seconds on 2,400 intervals and finds little
    if hint is not None:
        add_hint(hint)

    def read() -> tuple[Placement, ...]:
        out = []
        for key, options in choices.items():
            fixed = instance.fixed.get(key)
            if fixed is not None:
                out.append(fixed)
                continue
            centre = next(c for c, p in options if p is None or solver.boolean_value(p))
            s = solver.value(starts[key])
            job_task = durations_of[key]
            out.append(Placement(key[0], key[1], centre, s, s + job_task[centre]))
        return tuple(out)

    durations_of = {(j.pair_id, t.seq): t.durations for j in instance.jobs for t in j.tasks}
    model.minimize(total)
    build_s = time.perf_counter() - started
    solver.parameters.max_time_in_seconds = max(0.1, (time_limit_s - build_s) * (1.0 - makespan_share))
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    phase1_optimal = status == cp_model.OPTIMAL
    bound = solver.best_objective_bound
    best_wt = round(solver.objective_value)
    placements = read()
    # Phase 2: keep the weighted tardiness, shorten the makespan.
    model.add(total <= best_wt)
    model.minimize(makespan)
    add_hint(Schedule(placements, "cp-sat", "feasible", best_wt, 0))
    solver.parameters.max_time_in_seconds = max(0.1, time_limit_s - (time.perf_counter() - started))
    status2 = solver.solve(model)
    if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        placements = read()
    wt, span = weighted_tardiness(instance, placements)
    return Schedule(
        placements, "cp-sat", "optimal" if phase1_optimal else "feasible", wt, span,
        float(best_wt if phase1_optimal else bound), time.perf_counter() - started,
    )  # fmt: skip


# ------------------------------------------------------------------------------------------------ entry points


def solve(
    instance: Instance,
    time_limit_s: float = 10.0,
    fallback_above_tasks: int = DEFAULT_FALLBACK_ABOVE_TASKS,
    hint: Schedule | None = None,
    workers: int | None = None,
) -> Schedule:
    """The best schedule within ``time_limit_s``: EDD and ATC always (baselines and hint), CP-SAT unless the
    instance has more than ``fallback_above_tasks`` operations to place."""
    started = time.perf_counter()
    rules = {rule: dispatch(instance, rule) for rule in ("edd", "atc")}
    baselines = {rule: s.weighted_tardiness for rule, s in rules.items()}
    best = min(rules.values(), key=lambda s: (s.weighted_tardiness, s.makespan))
    if (
        hint is not None
        and not validate_schedule(instance, hint)
        and ((hint.weighted_tardiness, hint.makespan) < (best.weighted_tardiness, best.makespan))
    ):
        best = hint
    to_place = instance.task_count - len(instance.fixed)
    if to_place > fallback_above_tasks or to_place == 0:
        return replace(best, baselines=baselines, seconds=time.perf_counter() - started)
    left = time_limit_s - (time.perf_counter() - started) - 0.4  # reading the solutions back takes a moment
    result = solve_cp_sat(instance, max(0.2, left), hint=best, workers=workers)
    if result is None or (result.weighted_tardiness, result.makespan) > (best.weighted_tardiness, best.makespan):
        return replace(best, baselines=baselines, seconds=time.perf_counter() - started)
    return replace(result, baselines=baselines, seconds=time.perf_counter() - started)


def reschedule(
    instance: Instance,
    now: int,
    started: Mapping[TaskKey, tuple[str, int]],
    done: Iterable[TaskKey],
    previous: Schedule | None = None,
    time_limit_s: float = 10.0,
    fallback_above_tasks: int = DEFAULT_FALLBACK_ABOVE_TASKS,
) -> Schedule:
    """Solve again at ``now`` after events: ``done`` operations drop out, ``started`` ones ((centre, start
    minute)) stay on their centre and end at ``start + duration`` (at least a minute from now when they
    overrun), the rest starts no earlier than ``now``. The previous plan, where still valid, is the hint."""
    done = set(done)
    fixed: dict[TaskKey, Placement] = {}
    jobs = []
    for job in instance.jobs:
        tasks = tuple(t for t in job.tasks if (job.pair_id, t.seq) not in done)
        for t in tasks:
            key = (job.pair_id, t.seq)
            if key in started:
                centre, start = started[key]
                if centre not in t.durations:
                    raise ScheduleError(f"operation {key} started on {centre}, which is not eligible")
                fixed[key] = Placement(key[0], key[1], centre, start, max(start + t.durations[centre], now + 1))
        if tasks:
            jobs.append(replace(job, tasks=tasks, release=max(job.release, now)))
    new = Instance(tuple(jobs), instance.capacity, fixed, now)
    hint = None
    if previous is not None:
        keep = [fixed.get(p.key, p) for p in previous.placements if p.key not in done]
        if all(p.start >= now or p.key in fixed for p in keep):
            wt, span = weighted_tardiness(new, keep)
            hint = Schedule(tuple(keep), previous.method, previous.status, wt, span)
    return solve(new, time_limit_s, fallback_above_tasks, hint=hint)

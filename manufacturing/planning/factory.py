"""The factory, pure: work centres (kind, parallel stations, shifts, skills, speed), workers with skills, and
the working calendar that turns the scheduler's working minutes into clock times.

The scheduler plans on a *working-time* axis (minutes the factory is open, counted from "now"); the calendar
maps it to dates through the shifts, so a plan never puts work on a night or a Sunday. A centre's usable
capacity is its stations, limited by the qualified workers on its shift (a closing room with 3 machines and
2 closers closes 2 uppers at a time).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from manufacturing.planning.routing import Skill, WorkCentreKind

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Shift:
    name: str
    start: time
    end: time  # same day, after start
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


EARLY = Shift("early", time(6, 0), time(14, 0))
LATE = Shift("late", time(14, 0), time(22, 0))


@dataclass(frozen=True)
class WorkCentre:
    """``stations``: how many pairs it can work on at once; ``speed``: standard minutes × speed = its minutes
    (1.0 the reference machine, 1.2 an older, slower one)."""

    code: str
    kind: WorkCentreKind
    stations: int = 1
    skills: frozenset[Skill] = frozenset()  # what its operators must know
    shifts: tuple[Shift, ...] = (EARLY,)
    speed: float = 1.0


@dataclass(frozen=True)
class Worker:
    code: str
    name: str
    skills: frozenset[Skill]
    shift: Shift = EARLY


@dataclass(frozen=True)
class Factory:
    work_centres: tuple[WorkCentre, ...]
    workers: tuple[Worker, ...] = ()
    shifts: tuple[Shift, ...] = (EARLY,)

    def centres_of(self, kind: WorkCentreKind) -> tuple[WorkCentre, ...]:
        return tuple(c for c in self.work_centres if c.kind == kind)

    def capacity(self, centre: WorkCentre) -> int:
        """Stations that can be staffed at once: limited by the workers holding every skill the centre needs
        on one of its shifts (no workers listed: the stations)."""
        if not self.workers:
            return centre.stations
        per_shift = [
            sum(1 for w in self.workers if w.shift == shift and centre.skills <= w.skills) for shift in centre.shifts
        ]
        return max(0, min(centre.stations, max(per_shift, default=0)))

    def calendar(self) -> WorkCalendar:
        return WorkCalendar(self.shifts)


@dataclass(frozen=True)
class WorkCalendar:
    """Open hours: the union of the shifts (shifts may touch, e.g. 06–14 and 14–22)."""

    shifts: tuple[Shift, ...] = field(default=(EARLY,))

    def _windows(self, day: datetime) -> list[tuple[datetime, datetime]]:
        start_of_day = day.replace(hour=0, minute=0, second=0, microsecond=0)
        spans = sorted(
            (s.start.hour * 60 + s.start.minute, s.end.hour * 60 + s.end.minute)
            for s in self.shifts
            if day.weekday() in s.weekdays
        )
        merged: list[list[int]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        return [(start_of_day + timedelta(minutes=a), start_of_day + timedelta(minutes=b)) for a, b in merged]

    def add_working_minutes(self, start: datetime, minutes: float) -> datetime:
        """The clock time ``minutes`` of open time after ``start`` (negative: before)."""
        if not any(s.weekdays for s in self.shifts):
            raise ValueError("the calendar has no open hours")
        if minutes < 0:
            return self._subtract(start, -minutes)
        left = timedelta(minutes=minutes)
        day = start
        for _ in range(3660):  # ten years of days: a plan never goes that far
            for open_at, close_at in self._windows(day):
                a, b = max(open_at, start), close_at
                if b <= a:
                    continue
                if b - a >= left:
                    return a + left
                left -= b - a
            day = (day + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        raise ValueError(f"{minutes} working minutes do not fit in ten years of this calendar")

    def _subtract(self, end: datetime, minutes: float) -> datetime:
        left = timedelta(minutes=minutes)
        day = end
        for _ in range(3660):
            for open_at, close_at in reversed(self._windows(day)):
                a, b = open_at, min(close_at, end)
                if b <= a:
                    continue
                if b - a >= left:
                    return b - left
                left -= b - a
            day = day.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(microseconds=1)
        raise ValueError(f"{minutes} working minutes do not fit in ten years of this calendar")

    def working_minutes_between(self, start: datetime, end: datetime) -> float:
        """Open minutes from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        if end < start:
            return -self.working_minutes_between(end, start)
        total = timedelta()
        day = start
        while day.replace(hour=0, minute=0, second=0, microsecond=0) <= end:
            for open_at, close_at in self._windows(day):
                a, b = max(open_at, start), min(close_at, end)
                if b > a:
                    total += b - a
            day = (day + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return total.total_seconds() / 60.0


def _centre(code: str, kind: WorkCentreKind, skill: Skill, stations: int = 1, speed: float = 1.0) -> WorkCentre:
    return WorkCentre(code, kind, stations, frozenset({skill}), (EARLY, LATE), speed)


_DEFAULT_LAYOUT: tuple[tuple[WorkCentreKind, Skill, tuple[float, ...]], ...] = (
    # kind, skill, speed of each centre of the kind (1.0 the reference machine)
    (WorkCentreKind.CUTTING, Skill.CUTTING, (1.0, 1.3)),  # a CNC knife cutter and a clicking press
    (WorkCentreKind.SKIVING, Skill.SKIVING, (1.0, 1.0)),
    (WorkCentreKind.LOGO_PRINTING, Skill.PRINTING, (1.0,)),
    (WorkCentreKind.EMBOSSING, Skill.EMBOSSING, (1.0,)),
    (WorkCentreKind.MACHINE_CLOSING, Skill.MACHINE_CLOSING, (1.0, 1.0, 1.15)),
    (WorkCentreKind.HAND_CLOSING, Skill.HAND_CLOSING, (1.0, 1.1)),
    (WorkCentreKind.LASTING, Skill.LASTING, (1.0, 1.2)),
    (WorkCentreKind.SOLE_ATTACHING, Skill.SOLE_ATTACHING, (1.0, 1.0)),
    (WorkCentreKind.INSERT_FITTING, Skill.INSERT_FITTING, (1.0,)),
    (WorkCentreKind.FINISHING, Skill.FINISHING, (1.0, 1.1)),
    (WorkCentreKind.INSPECTION, Skill.INSPECTION, (1.0,)),
    (WorkCentreKind.PACKING, Skill.PACKING, (1.0,)),
)


def default_factory() -> Factory:
    """A small bespoke-shoe workshop: 20 work centres, two shifts, 28 workers (some hold two skills)."""
    centres = tuple(
        _centre(f"{kind.value.replace('_', '-')}-{k + 1}", kind, skill, speed=speed)
        for kind, skill, speeds in _DEFAULT_LAYOUT
        for k, speed in enumerate(speeds)
    )
    workers: list[Worker] = []
    for shift in (EARLY, LATE):
        for _kind, skill, speeds in _DEFAULT_LAYOUT:
            for k in range(len(speeds)):
                extra = {Skill.SKIVING} if skill == Skill.CUTTING else set()
                if skill in (Skill.PRINTING, Skill.EMBOSSING, Skill.INSERT_FITTING) and shift == LATE:
                    continue  # the specialist benches run on the early shift only
                workers.append(
                    Worker(f"{shift.name[0]}-{skill.value}-{k + 1}", f"{skill.value} {k + 1} ({shift.name})",
                           frozenset({skill, *extra}), shift)
                )  # fmt: skip
    return Factory(centres, tuple(workers), (EARLY, LATE))


# Centres per kind in a synthetic factory of 20 (the bench's 8-operation routing uses these kinds).
SYNTHETIC_SHARE: Mapping[WorkCentreKind, float] = {
    WorkCentreKind.CUTTING: 3,
    WorkCentreKind.SKIVING: 2,
    WorkCentreKind.MACHINE_CLOSING: 4,
    WorkCentreKind.LASTING: 3,
    WorkCentreKind.SOLE_ATTACHING: 3,
    WorkCentreKind.FINISHING: 2,
    WorkCentreKind.INSPECTION: 2,
    WorkCentreKind.PACKING: 1,
}
_SKILL_OF: Mapping[WorkCentreKind, Skill] = {kind: skill for kind, skill, _ in _DEFAULT_LAYOUT}


def synthetic_factory(work_centres: int = 20, seed: int = 0, kinds: Iterable[WorkCentreKind] | None = None) -> Factory:
    """``work_centres`` single-station centres spread over the kinds in proportion to ``SYNTHETIC_SHARE``
    (at least one of each), with speeds drawn from 0.9–1.3 (seeded), on two shifts."""
    rng = random.Random(seed)
    kinds = list(kinds) if kinds is not None else list(SYNTHETIC_SHARE)
    if work_centres < len(kinds):
        raise ValueError(f"a factory needs at least {len(kinds)} work centres (one per kind)")
    weight = {k: SYNTHETIC_SHARE.get(k, 1.0) for k in kinds}
    counts = dict.fromkeys(kinds, 1)
    while sum(counts.values()) < work_centres:  # give the next centre to the kind most under its share
        total = sum(counts.values())
        kind = max(kinds, key=lambda k: weight[k] / sum(weight.values()) - counts[k] / total)
        counts[kind] += 1
    centres = tuple(
        _centre(f"{kind.value.replace('_', '-')}-{k + 1}", kind, _SKILL_OF[kind],
                speed=1.0 if k == 0 else round(rng.uniform(0.9, 1.3), 2))
        for kind in kinds
        for k in range(counts[kind])
    )  # fmt: skip
    return Factory(centres, (), (EARLY, LATE))

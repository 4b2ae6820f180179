"""Duration models, pure: how long each operation takes at each work centre (``work``), and how long a pair
waits before it (``wait``), learned from the recorded events with robust statistics.

Observations come from the pairs' events: an operation's ``started`` → its next ``finished`` / QC result is
one work observation at the start's station; the pair's previous completion → this start is one wait
observation. A model is the latest ``WINDOW`` observations per (work centre, operation, kind), summarised by
their median and MAD (median absolute deviation; σ ≈ 1.4826 MAD), so a pair left on the bench over lunch
moves nothing. Updating merges new observations into the window: incremental, order-independent within it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

WINDOW = 200
MAD_TO_SIGMA = 1.4826
PRIOR_WEIGHT = 3.0  # the standard time counts as this many observations while history is short
WORK, WAIT = "work", "wait"
_START = "started"
_ENDS = frozenset({"finished", "qc_passed", "qc_failed"})
_COMPLETIONS = frozenset({"finished", "qc_passed"})


class TimedEvent(NamedTuple):
    """The few fields the models need of a tracking event (a tuple: thousands are built per learning step)."""

    event_id: str
    pair_id: int
    station: str
    operation: str
    event_type: str
    occurred_at: datetime
    stored_id: int = 0  # the database row id: which of two events was stored later


@dataclass(frozen=True)
class Observation:
    work_centre: str
    operation: str
    kind: str  # work | wait
    minutes: float
    event_ids: tuple[str, str]  # the two events it comes from


@dataclass(frozen=True)
class RobustStat:
    count: int
    median_minutes: float
    mad_minutes: float
    samples: tuple[float, ...] = field(default_factory=tuple)

    @property
    def sigma_minutes(self) -> float:
        return MAD_TO_SIGMA * self.mad_minutes


Key = tuple[str, str, str]  # (work centre, operation, kind)


def summarise(samples: Sequence[float], count: int) -> RobustStat:
    median = statistics.median(samples)
    mad = statistics.median(abs(s - median) for s in samples)
    return RobustStat(count, round(median, 3), round(mad, 3), tuple(samples))


def update(stat: RobustStat | None, new_minutes: Iterable[float], window: int = WINDOW) -> RobustStat | None:
    """``stat`` with ``new_minutes`` merged in (the newest ``window`` kept); None when nothing is known."""
    new = [m for m in new_minutes if math.isfinite(m) and m >= 0]
    samples = [*(stat.samples if stat else ()), *new][-window:]
    if not samples:
        return stat
    return summarise(samples, (stat.count if stat else 0) + len(new))


def observations(
    events: Iterable[TimedEvent],
    minutes_between: Callable[[datetime, datetime], float],
    wanted: Callable[[TimedEvent, TimedEvent], bool] | None = None,
) -> list[Observation]:
    """Work and wait observations from events of any number of pairs (sorted here by time); with ``wanted``,
    only the (earlier, later) event pairs it accepts (the calendar arithmetic is only done for those)."""
    by_pair: dict[int, list[TimedEvent]] = {}
    for e in events:
        by_pair.setdefault(e.pair_id, []).append(e)
    out = []
    for pair_events in by_pair.values():
        open_starts: dict[str, TimedEvent] = {}
        last_completion: TimedEvent | None = None
        for e in sorted(pair_events, key=lambda e: (e.occurred_at, e.stored_id)):
            if e.event_type == _START:
                open_starts[e.operation] = e
                if last_completion is not None and (wanted is None or wanted(last_completion, e)):
                    wait = minutes_between(last_completion.occurred_at, e.occurred_at)
                    out.append(Observation(e.station, e.operation, WAIT, wait, (last_completion.event_id, e.event_id)))
            elif e.event_type in _ENDS:
                start = open_starts.pop(e.operation, None)
                if start is not None and (wanted is None or wanted(start, e)):
                    work = minutes_between(start.occurred_at, e.occurred_at)
                    if work > 0:
                        out.append(Observation(start.station, e.operation, WORK, work, (start.event_id, e.event_id)))
                if e.event_type in _COMPLETIONS:
                    last_completion = e
    return out


@dataclass
class DurationModel:
    """The stats per (work centre, operation, kind), answering estimates with fallbacks."""

    stats: dict[Key, RobustStat] = field(default_factory=dict)
    min_samples: int = 3

    def learn(self, obs: Iterable[Observation]) -> set[Key]:
        grouped: dict[Key, list[float]] = {}
        for o in obs:
            grouped.setdefault((o.work_centre, o.operation, o.kind), []).append(o.minutes)
        for key, minutes in grouped.items():
            stat = update(self.stats.get(key), minutes)
            if stat is not None:
                self.stats[key] = stat
        return set(grouped)

    def estimate(self, operation: str, centre: str | None, kind: str, standard_minutes: float) -> tuple[float, float]:
        """(median, σ) minutes of ``operation`` at ``centre`` (any centre when None or unseen there): the
        centre's own record, else every centre's pooled, shrunk toward the standard while short; the standard
        time (work) or zero (wait) when nothing is recorded."""
        stat = self.stats.get((centre, operation, kind)) if centre else None
        if stat is None or len(stat.samples) < self.min_samples:
            pooled = [s for (c, op, k), st in self.stats.items() if op == operation and k == kind for s in st.samples]
            stat = summarise(pooled, len(pooled)) if pooled else None
        prior = standard_minutes if kind == WORK else 0.0
        if stat is None:
            return prior, 0.25 * prior
        n = len(stat.samples)
        weight = PRIOR_WEIGHT if kind == WORK else 0.0
        median = (weight * prior + n * stat.median_minutes) / (weight + n)
        return median, max(stat.sigma_minutes, 0.05 * median)

    def to_json(self) -> list[dict[str, object]]:
        return [
            {"work_centre": c, "operation": op, "kind": k, "count": s.count, "median_minutes": s.median_minutes,
             "mad_minutes": s.mad_minutes, "window": len(s.samples)}
            for (c, op, k), s in sorted(self.stats.items())
        ]  # fmt: skip


def model_from(stats: Mapping[Key, RobustStat]) -> DurationModel:
    return DurationModel(dict(stats))

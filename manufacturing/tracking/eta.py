"""ETAs and delay risk: each open pair's remaining operations, timed by the learned duration models (work at
the centre plus the usual wait before it), summed into an ETA with a spread; an alert when the ETA passes
the due date, naming the bottleneck (the remaining operation that costs the most time).

The pure core (``forecast_pair``) works in working minutes from now; the shell maps them to clock times
through the factory's calendar (no work at night or at weekends).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.clock import as_utc, utc_now
from manufacturing.db.models import Pair
from manufacturing.planning.factory import WorkCalendar
from manufacturing.planning.service import load_factory
from manufacturing.planning.work_orders import Progress
from manufacturing.states import OperationState, WorkOrderState
from manufacturing.tracking import repository
from manufacturing.tracking.durations import WAIT, WORK, DurationModel, RobustStat
from manufacturing.tracking.summary import PairSummary, summaries, summary_of

Z90 = 1.2816  # the 90th percentile of a normal
_CLOSED = (WorkOrderState.DONE, WorkOrderState.CANCELLED)


@dataclass(frozen=True)
class RemainingOperation:
    code: str
    state: str
    centre: str | None  # where it runs or is planned, None when any centre of its kind
    standard_minutes: float
    elapsed_minutes: float = 0.0  # in progress: worked so far


@dataclass(frozen=True)
class Forecast:
    remaining_minutes: float  # working minutes from now, median
    sigma_minutes: float
    per_operation: tuple[tuple[str, str | None, float], ...]  # (operation, centre, minutes incl. wait)
    bottleneck: tuple[str, str | None, float] | None

    @property
    def p90_minutes(self) -> float:
        return self.remaining_minutes + Z90 * self.sigma_minutes


def forecast_pair(remaining: Sequence[RemainingOperation], model: DurationModel) -> Forecast:
    """The remaining working minutes of one pair: each open operation's expected work (less what is done, for
    one in progress) plus its expected wait; variances add (operations independent)."""
    total = variance = 0.0
    parts = []
    for op in remaining:
        work, work_sigma = model.estimate(op.code, op.centre, WORK, op.standard_minutes)
        if op.state == OperationState.IN_PROGRESS.value:
            wait, wait_sigma = 0.0, 0.0
            work = max(work - op.elapsed_minutes, 0.1 * work)  # it has run long: expect a little more, not zero
        else:
            wait, wait_sigma = model.estimate(op.code, op.centre, WAIT, 0.0)
        minutes = work + wait
        total += minutes
        variance += work_sigma**2 + wait_sigma**2
        parts.append((op.code, op.centre, round(minutes, 1)))
    bottleneck = max(parts, key=lambda p: p[2]) if parts else None
    return Forecast(round(total, 1), round(math.sqrt(variance), 1), tuple(parts), bottleneck)


def late_probability(remaining_minutes: float, sigma_minutes: float, minutes_to_due: float) -> float:
    if sigma_minutes <= 0:
        return 1.0 if remaining_minutes > minutes_to_due else 0.0
    z = (minutes_to_due - remaining_minutes) / sigma_minutes
    return round(0.5 * math.erfc(z / math.sqrt(2)), 3)


# ---------------------------------------------------------------------------------------------- shell


@dataclass(frozen=True)
class PairEta:
    serial: str
    order_id: int
    state: str
    due_at: datetime
    eta: datetime
    eta_p90: datetime
    late_probability: float
    forecast: Forecast

    @property
    def late(self) -> bool:
        return self.eta > self.due_at

    def to_json(self) -> dict[str, Any]:
        b = self.forecast.bottleneck
        return {
            "serial": self.serial, "order_id": self.order_id, "state": self.state, "due_at": self.due_at.isoformat(),
            "eta": self.eta.isoformat(), "eta_p90": self.eta_p90.isoformat(), "late": self.late,
            "late_probability": self.late_probability, "remaining_minutes": self.forecast.remaining_minutes,
            "bottleneck": {"operation": b[0], "work_centre": b[1], "minutes": b[2]} if b else None,
        }  # fmt: skip


def load_model(session: Session) -> DurationModel:
    return DurationModel({
        key: RobustStat(row.count, row.median_minutes, row.mad_minutes, tuple(row.samples))
        for key, row in repository.duration_stats(session).items()
    })  # fmt: skip


@dataclass(frozen=True)
class _Inputs:
    fingerprint: tuple[Any, ...]
    calendar: WorkCalendar
    model: DurationModel


_inputs: dict[str, _Inputs] = {}  # per database: the last calendar and models read, and what they were read from


def forecast_inputs(session: Session) -> tuple[WorkCalendar, DurationModel]:
    """The factory's calendar and the duration models, read again only when a cheap fingerprint of their tables
    changed (every learned observation and every stored centre or worker changes it): reading the models means
    parsing every stored sample, which a progress read should not pay each time."""
    fingerprint = repository.forecast_fingerprint(session)
    key = str(session.get_bind().engine.url)
    cached = _inputs.get(key)
    if cached is None or cached.fingerprint != fingerprint:
        cached = _Inputs(fingerprint, load_factory(session).calendar(), load_model(session))
        _inputs[key] = cached
    return cached.calendar, cached.model


def pair_etas(session: Session, now: datetime | None = None) -> list[PairEta]:
    """The ETA of every open pair (work order neither done nor cancelled)."""
    now = as_utc(now or utc_now())
    calendar, model = forecast_inputs(session)
    work_orders = repository.work_orders_with_pairs(session)
    progress = summaries(session, [wo.pair_id for wo in work_orders], now)
    etas = (_eta(wo.pair.serial, wo.pair.order_id, as_utc(wo.due_at), wo.operations, progress[wo.pair_id].progress(),
                 calendar, model, now) for wo in work_orders)  # fmt: skip
    return [eta for eta in etas if eta is not None]


def pair_eta(session: Session, pair_id: int, now: datetime | None = None) -> PairEta | None:
    """One pair's ETA; None when it has no work order or its work order is closed."""
    pair = session.get(Pair, pair_id)
    if pair is None:
        return None
    return eta_of_summary(session, pair.serial, pair.order_id, summary_of(session, pair_id), now)


def eta_of_summary(session: Session, serial: str, order_id: int, summary: PairSummary, now: datetime | None = None
                   ) -> PairEta | None:  # fmt: skip
    """The ETA from the pair's progress summary (no replay); None when not released or closed."""
    progress = summary.progress()
    if summary.work_order_id is None or summary.due_at is None or progress is None or progress.state in _CLOSED:
        return None  # nothing to forecast: no factory or model to read
    calendar, model = forecast_inputs(session)
    operations = repository.operations_of_work_order(session, summary.work_order_id)
    return _eta(serial, order_id, summary.due_at, operations, progress, calendar, model, as_utc(now or utc_now()))


def _eta(serial: str, order_id: int, due: datetime, operations: Sequence[Any], progress: Progress | None,
         calendar: WorkCalendar, model: DurationModel, now: datetime) -> PairEta | None:  # fmt: skip
    """``operations``: the work order's (``WorkOrderOperation`` rows or Core rows: seq, code, standard_minutes,
    planned_centre)."""
    if progress is None or progress.state in _CLOSED:
        return None
    rows = {op.seq: op for op in operations}  # the routing's operations, each with its planned centre
    remaining = []
    for st in progress.operations:
        if st.state == OperationState.DONE:
            continue
        op = rows[st.seq]
        remaining.append(RemainingOperation(
            op.code, st.state.value, st.station if st.state == OperationState.IN_PROGRESS else op.planned_centre,
            op.standard_minutes,
            calendar.working_minutes_between(as_utc(st.started_at), now) if st.started_at else 0.0,
        ))  # fmt: skip
    forecast = forecast_pair(remaining, model)
    to_due = (calendar.working_minutes_between(now, due) if due > now
              else -calendar.working_minutes_between(due, now))  # fmt: skip
    return PairEta(
        serial, order_id, progress.state.value, due,
        calendar.add_working_minutes(now, forecast.remaining_minutes),
        calendar.add_working_minutes(now, forecast.p90_minutes),
        late_probability(forecast.remaining_minutes, forecast.sigma_minutes, to_due), forecast,
    )  # fmt: skip


def delay_alerts(session: Session, now: datetime | None = None, risk_threshold: float = 0.5) -> list[PairEta]:
    """Open pairs whose ETA passes their due date (or whose chance of being late reaches ``risk_threshold``),
    latest first by how far past."""
    etas = [e for e in pair_etas(session, now) if e.late or e.late_probability >= risk_threshold]
    return sorted(etas, key=lambda e: e.due_at - e.eta)

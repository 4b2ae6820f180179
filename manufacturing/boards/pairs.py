"""The staff's list of orders and pairs: each pair with its order, style, due date and its work order's derived
state, filtered by state, style, due date, overdue and a text search on the serial or the order number, paged by
pair id; and the counts per state for the same filters.

A pair's ``state`` is its work order's state (``states.WorkOrderState``, derived from the pair's
events and read from its progress summary, ``tracking.summary``) or ``not_released`` while the pipeline has not
released one. A summary may be behind the events (a read brings it up to date), so the state is not a WHERE
clause: the database narrows by everything else (``repository.PairFilter``) and the pairs are read in id order,
a batch at a time, until a page is full. Services never commit.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from configurator.styles.library import STYLES
from geometry.errors import InputError
from manufacturing.clock import as_utc, utc_now
from manufacturing.orders import repository
from manufacturing.orders.repository import PairFilter
from manufacturing.states import WorkOrderState
from manufacturing.tracking.summary import summaries

NOT_RELEASED = "not_released"
# Read from the enum, so a state added to work orders is listed and filterable without a change here.
PAIR_STATES: tuple[str, ...] = (*(s.value for s in WorkOrderState), NOT_RELEASED)
CLOSED_STATES = frozenset({WorkOrderState.DONE.value, WorkOrderState.CANCELLED.value})
MAX_SEARCH_CHARS = 64
_BATCH = 200  # pairs read per query while a page is filled by derived state


class PairFilterError(InputError):
    """A filter the list cannot apply: an unknown state or style, an empty or too long search."""

    code = "invalid_filter"


@dataclass(frozen=True)
class PairFilters:
    """The staff's filters, checked (``PairFilters.checked``)."""

    states: frozenset[str] = frozenset()  # any of these; empty: every state
    style: str | None = None
    due_before: datetime | None = None
    overdue: bool | None = None  # True: due before ``now`` and not done or cancelled; False: the others
    text: str | None = None
    now: datetime | None = None  # when "overdue" is judged (aware); the clock by default

    @classmethod
    def checked(
        cls,
        states: Sequence[str] = (),
        style: str | None = None,
        due_before: datetime | None = None,
        overdue: bool | None = None,
        text: str | None = None,
        now: datetime | None = None,
    ) -> PairFilters:
        unknown = sorted(set(states) - set(PAIR_STATES))
        if unknown:
            raise PairFilterError(f"unknown state {', '.join(unknown)}: one of {', '.join(PAIR_STATES)}",
                                  field="state", allowed=list(PAIR_STATES))  # fmt: skip
        if style is not None and style not in STYLES:
            raise PairFilterError(f"unknown style {style!r}: one of {', '.join(sorted(STYLES))}",
                                  field="style", allowed=sorted(STYLES))  # fmt: skip
        if text is not None:
            text = text.strip()
            if not text or len(text) > MAX_SEARCH_CHARS:
                raise PairFilterError(f"search text must be 1 to {MAX_SEARCH_CHARS} characters", field="q")
            # Refused, not stripped: a search for what the box does not show would find what no one typed.
            # (SQLite ends a LIKE pattern at a NUL, matching every pair; PostgreSQL refuses the text.)
            control = next((c for c in text if unicodedata.category(c) == "Cc"), None)
            if control is not None:
                raise PairFilterError(f"search text holds a control character (U+{ord(control):04X}): serials and "
                                      "order numbers have none", field="q")  # fmt: skip
        return cls(
            states=frozenset(states),
            style=style,
            due_before=None if due_before is None else as_utc(due_before),
            overdue=overdue,
            text=text,
            now=as_utc(now or utc_now()),
        )

    @property
    def derived(self) -> bool:
        """Whether the derived state decides (the database alone cannot count or page)."""
        return bool(self.states) or self.overdue is not None

    def database_part(self) -> PairFilter:
        due_before = self.due_before
        if self.overdue:  # overdue pairs are due before now: let the database drop the rest first
            now = self.now or utc_now()
            due_before = now if due_before is None else min(due_before, now)
        return PairFilter(style=self.style, due_before=due_before, text=self.text, released_only=bool(self.overdue))


@dataclass(frozen=True)
class PairRow:
    pair_id: int
    serial: str
    order_number: str
    order_placed_at: datetime
    style: str
    design_id: int
    created_at: datetime
    state: str
    pipeline_state: str | None  # the newest pipeline run's
    work_order_id: int | None
    due_at: datetime | None
    overdue: bool
    done_fraction: float | None
    current_operation: dict[str, Any] | None  # the first operation not done: code, state, station

    def to_json(self) -> dict[str, Any]:
        return {
            "pair_id": self.pair_id, "serial": self.serial, "order_number": self.order_number,
            "order_placed_at": self.order_placed_at.isoformat(), "style": self.style, "design_id": self.design_id,
            "created_at": self.created_at.isoformat(), "state": self.state, "pipeline_state": self.pipeline_state,
            "work_order_id": self.work_order_id, "due_at": None if self.due_at is None else self.due_at.isoformat(),
            "overdue": self.overdue, "done_fraction": self.done_fraction, "current_operation": self.current_operation,
        }  # fmt: skip


def _rows(session: Session, batch: Sequence[Any], now: datetime) -> list[PairRow]:
    """Each pair's state from its work order's progress summary (one query for the batch's summaries)."""
    released = [pair.id for pair, _, _, work_order in batch if work_order is not None]
    progress = summaries(session, released)
    runs = repository.latest_run_states(session, [pair.id for pair, *_ in batch])
    rows = []
    for pair, order, design, work_order in batch:
        state, due_at, fraction, current = NOT_RELEASED, None, None, None
        summary = progress.get(pair.id)
        if work_order is not None and summary is not None and summary.work_order_id is not None:
            state, due_at, fraction = summary.state, as_utc(work_order.due_at), summary.done_fraction
            open_op = summary.current
            if open_op is not None:
                current = {"seq": open_op.seq, "code": open_op.code, "state": open_op.state.value,
                           "station": open_op.station}  # fmt: skip
        run_state = runs.get(pair.id)
        rows.append(PairRow(
            pair.id, pair.serial, order.number, as_utc(order.created_at), design.style, design.id,
            as_utc(pair.created_at), state, None if run_state is None else run_state.value,
            None if work_order is None else work_order.id, due_at,
            due_at is not None and due_at < now and state not in CLOSED_STATES, fraction, current,
        ))  # fmt: skip
    return rows


def _matching(session: Session, filters: PairFilters, after_id: int, batch_size: int = _BATCH) -> Iterator[PairRow]:
    """The pairs that pass every filter, in id order, read ``batch_size`` at a time."""
    where = filters.database_part()
    now = filters.now or utc_now()
    while True:
        batch = repository.pairs_after(session, where, after_id, batch_size)
        if not batch:
            return
        for row in _rows(session, batch, now):
            if filters.states and row.state not in filters.states:
                continue
            if filters.overdue is not None and row.overdue != filters.overdue:
                continue
            yield row
        if len(batch) < batch_size:
            return
        after_id = batch[-1][0].id


def list_pairs(session: Session, filters: PairFilters, after_id: int, limit: int) -> tuple[list[PairRow], int]:
    """(at most ``limit`` + 1 pairs after ``after_id``: the extra one says a next page exists; how many pairs
    pass the filters in all)."""
    page: list[PairRow] = []
    for row in _matching(session, filters, after_id, batch_size=max(limit + 1, 50) if filters.derived else limit + 1):
        page.append(row)
        if len(page) > limit:
            break
    if filters.derived:
        total = sum(1 for _ in _matching(session, filters, 0))
    else:
        total = repository.count_pairs(session, filters.database_part())
    return page, total


def state_counts(session: Session, filters: PairFilters) -> dict[str, Any]:
    """How many pairs are in each state (every state listed, zeros included) and overdue, for the filters other
    than the state itself."""
    counts = dict.fromkeys(PAIR_STATES, 0)
    overdue = 0
    for row in _matching(session, replace(filters, states=frozenset()), 0):
        counts[row.state] = counts.get(row.state, 0) + 1
        overdue += row.overdue
    return {"total": sum(counts.values()), "overdue": overdue, "by_state": counts}

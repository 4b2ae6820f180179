"""Every query the staff's list of orders and pairs needs: pairs with their order, design and work order, narrowed
by filters that are bound parameters (never SQL built from text), in id order for keyset pages; and each pair's
latest pipeline run state. Repositories never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from manufacturing.db.models import Design, Order, Pair, PipelineRun, WorkOrder
from manufacturing.states import RunState

LIKE_ESCAPE = "\\"


@dataclass(frozen=True)
class PairFilter:
    """What the database can narrow by itself (the derived work-order state is the service's)."""

    style: str | None = None
    due_before: datetime | None = None  # aware UTC: work orders due strictly before
    text: str | None = None  # a piece of the serial or the order number, any case
    released_only: bool = False  # only pairs with a work order


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards in ``text`` escaped: a search for ``50%`` finds "50%", not "50…". Text
    with a NUL character is a ``ValueError``: SQLite would end the pattern there and match every row."""
    if "\x00" in text:
        raise ValueError("search text holds a NUL character")
    escaped = text.lower().replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", r"\%").replace("_", r"\_")
    return f"%{escaped}%"


def _narrowed(query: Any, where: PairFilter) -> Any:  # a Select of any columns
    query = (
        query.join(Order, Pair.order_id == Order.id)
        .join(Design, Pair.design_id == Design.id)
        .outerjoin(WorkOrder, WorkOrder.pair_id == Pair.id)
    )
    if where.style is not None:
        query = query.where(Design.style == where.style)
    if where.due_before is not None:
        query = query.where(WorkOrder.due_at < where.due_before)
    if where.released_only:
        query = query.where(WorkOrder.id.is_not(None))
    if where.text:
        pattern = like_pattern(where.text)
        query = query.where(
            or_(
                func.lower(Pair.serial).like(pattern, escape=LIKE_ESCAPE),
                func.lower(Order.number).like(pattern, escape=LIKE_ESCAPE),
            )
        )
    return query


def pairs_after(session: Session, where: PairFilter, after_id: int, limit: int) -> Sequence[Any]:
    """Rows of (Pair, Order, Design, WorkOrder or None) with pair id > ``after_id``, by pair id, at most ``limit``."""
    query = select(Pair, Order, Design, WorkOrder).where(Pair.id > after_id).order_by(Pair.id).limit(limit)
    return session.execute(_narrowed(query, where)).all()


def count_pairs(session: Session, where: PairFilter) -> int:
    return int(session.scalar(_narrowed(select(func.count(Pair.id)), where)) or 0)


def latest_run_states(session: Session, pair_ids: Iterable[int]) -> dict[int, RunState]:
    """Each pair's newest pipeline run's state (pairs without a run are missing)."""
    ids = sorted(set(pair_ids))
    if not ids:
        return {}
    newest = select(func.max(PipelineRun.id)).where(PipelineRun.pair_id.in_(ids)).group_by(PipelineRun.pair_id)
    rows = session.execute(select(PipelineRun.pair_id, PipelineRun.state).where(PipelineRun.id.in_(newest)))
    return {pair_id: RunState(state) for pair_id, state in rows}

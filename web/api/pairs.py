"""The staff's orders and pairs: every pair with its order, style, due date and derived state, filtered and paged;
the counts per state; and one pair's timeline (order, pipeline, work order, shop-floor events, QC, feedback).

Filters are query parameters, validated here and bound as parameters in ``manufacturing/orders/repository.py``
(never written into SQL): ``state`` (repeatable), ``style``, ``due_before`` and ``now`` (aware ISO 8601 times),
``overdue`` and ``q`` (a piece of the serial or the order number). A bad value is a ``422`` problem.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from configurator.styles.library import STYLES
from manufacturing.accounts.roles import Capability
from manufacturing.boards.pairs import MAX_SEARCH_CHARS, PAIR_STATES, PairFilters, list_pairs, state_counts
from manufacturing.boards.timeline import pair_timeline
from manufacturing.db.session import session_scope
from web.api.auth import ShopFloorDep, requires
from web.api.deps import ResourcesDep
from web.api.pagination import PageDep, page_of
from web.api.schemas.pairs import PairCountsOut, PairRowOut, PairsPageOut, TimelineOut

# The workshop's view of every pair (pattern makers search it for orders); customers see their own pairs
# through their orders.
router = APIRouter(
    prefix="/api/pairs", tags=["pairs"], dependencies=[Depends(requires(Capability.SHOP_FLOOR, Capability.PATTERNS))]
)

# Built from the work-order states and the style library, so OpenAPI lists what is accepted today.
PairState = enum.Enum("PairState", {state: state for state in PAIR_STATES}, type=str)  # type: ignore[misc]
StyleName = enum.Enum("StyleName", {name: name for name in STYLES}, type=str)  # type: ignore[misc]


def pair_filters(
    state: Annotated[list[PairState] | None, Query(description="Work-order state (repeat for any of several).")] = None,
    style: Annotated[StyleName | None, Query(description="The design's style.")] = None,
    due_before: Annotated[datetime | None, Query(description="Due strictly before this time (with its zone).")] = None,
    overdue: Annotated[bool | None, Query(description="true: due before `now` and not done or cancelled.")] = None,
    q: Annotated[
        str | None, Query(max_length=MAX_SEARCH_CHARS, description="Part of the serial or order number.")
    ] = None,
    now: Annotated[
        datetime | None, Query(description="When `overdue` is judged; the server's clock by default.")
    ] = None,
) -> PairFilters:
    return PairFilters.checked(
        states=[s.value for s in state or ()],
        style=None if style is None else style.value,
        due_before=due_before,
        overdue=overdue,
        text=q,
        now=now,
    )


FiltersDep = Annotated[PairFilters, Depends(pair_filters)]


@router.get("")
def read_pairs(resources: ResourcesDep, filters: FiltersDep, page: PageDep) -> PairsPageOut:
    """Pairs by id (oldest first) with their order, style, due date and derived state; `total` counts every pair
    that passes the filters. Paginated with `limit` and `cursor`."""
    with session_scope(resources.sessions) as session:
        rows, total = list_pairs(session, filters, page.after_id, page.limit)
    listed = page_of(rows, page, lambda row: PairRowOut.model_validate(row.to_json()), row_id=lambda row: row.pair_id)
    return PairsPageOut(items=listed.items, limit=listed.limit, next_cursor=listed.next_cursor, total=total)


@router.get("/summary")
def read_pair_summary(resources: ResourcesDep, filters: FiltersDep) -> PairCountsOut:
    """How many pairs are in each state (all states listed) and how many are overdue, for the filters other than
    `state`."""
    with session_scope(resources.sessions) as session:
        return PairCountsOut.model_validate(state_counts(session, filters))


@router.get("/{serial}/timeline")
def read_timeline(resources: ResourcesDep, _staff: ShopFloorDep, serial: str) -> TimelineOut:
    """Everything that happened to the pair, oldest first, and its progress now."""
    with session_scope(resources.sessions) as session:
        return TimelineOut.model_validate(pair_timeline(session, serial))

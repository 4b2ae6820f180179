"""The staff's pair list on SQLite and PostgreSQL: filters bound as parameters (a LIKE wildcard in the search is
searched for), derived states filtered across the batches the list reads, pages that neither skip nor repeat,
totals and counts per state."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from manufacturing.boards.pairs import PAIR_STATES, PairFilterError, PairFilters, list_pairs, state_counts
from manufacturing.db.models import Customer, Design, Order, Pair
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.orders.repository import like_pattern
from manufacturing.planning import service as planning
from manufacturing.planning.routing import RoutingInputs
from manufacturing.planning.work_orders import EventType
from tests.conftest import new_postgres_database, sqlite_at_head

T0 = datetime(2026, 3, 16, 7, 0, tzinfo=UTC)
DERBY = RoutingInputs("derby", piece_count=8, seam_length_mm=1800.0, eyelets=10)
BOM = {"lines": [], "cost_eur": 40.0}
RELEASED, CANCELLED, UNRELEASED = 60, 12, 58  # 130 pairs: more than two of the list's batches


@dataclass
class Board:
    sessions: sessionmaker[Session]
    cancelled: set[str]
    oxford: set[str]


def make_board(url: str) -> Iterator[Board]:
    """``url``: a database at head."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    try:
        with session_scope(sessions) as session:
            customer = Customer(email="board@example.com")
            session.add(customer)
            session.flush()
            derby = Design(design_key="d-board", customer_id=customer.id, style="derby", options={"style": "derby"})
            oxford = Design(design_key="o-board", customer_id=customer.id, style="oxford", options={"style": "oxford"})
            orders = [Order(number=f"O-BOARD-{k}", customer_id=customer.id) for k in range(3)]
            session.add_all([derby, oxford, *orders])
            session.flush()
            pairs = [Pair(serial=f"CS26-B{k:03d}", order_id=orders[k % 2].id, design_id=derby.id)
                     for k in range(RELEASED + UNRELEASED - 2)]  # fmt: skip
            # Serials with LIKE's wildcards in them (a label printer's test pairs), on the third order.
            wild = ("CS26-50%OFF", "CS26-A_B")
            pairs += [Pair(serial=serial, order_id=orders[2].id, design_id=oxford.id) for serial in wild]
            session.add_all(pairs)
            session.flush()
            cancelled = set()
            for k, pair in enumerate(pairs[:RELEASED]):
                due = T0 + timedelta(days=1 + k % 6)  # due over six days
                released = planning.release_work_order(session, pair.id, DERBY, BOM, due_at=due, now=T0)
                if k % 5 == 0:
                    planning.record_operation_event(session, released.work_order.id, EventType.CANCELLED,
                                                    occurred_at=T0 + timedelta(hours=1))  # fmt: skip
                    cancelled.add(pair.serial)
        assert len(cancelled) == CANCELLED
        yield Board(sessions, cancelled, {"CS26-50%OFF", "CS26-A_B"})
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def board(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Board]:
    """Built once for each database: the tests only read it."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("board") / "board.sqlite"
        yield from make_board(sqlite_at_head(request.getfixturevalue("migrated_sqlite_template"), f"sqlite:///{path}"))
        return
    server, template = request.getfixturevalue("postgres_server_url"), request.getfixturevalue("postgres_template")
    with new_postgres_database(server, request.getfixturevalue("later_drops"), template) as url:
        yield from make_board(url)


def every_page(board: Board, filters: PairFilters, limit: int) -> tuple[list[str], set[int]]:
    """(serials of every page in order, the totals each page gave)."""
    seen, totals, after = [], set(), 0
    with session_scope(board.sessions) as session:
        while True:
            rows, total = list_pairs(session, filters, after, limit)
            totals.add(total)
            shown = rows[:limit]
            seen += [row.serial for row in shown]
            if len(rows) <= limit:
                return seen, totals
            after = shown[-1].pair_id


def test_derived_states_are_filtered_across_batches_and_pages(board: Board) -> None:
    cancelled, totals = every_page(board, PairFilters.checked(states=["cancelled"], now=T0), limit=4)
    assert set(cancelled) == board.cancelled and len(cancelled) == CANCELLED and totals == {CANCELLED}
    unreleased, totals = every_page(board, PairFilters.checked(states=["not_released"], now=T0), limit=25)
    assert len(unreleased) == len(set(unreleased)) == UNRELEASED and totals == {UNRELEASED}
    everything, totals = every_page(board, PairFilters.checked(now=T0), limit=50)
    assert len(set(everything)) == RELEASED + UNRELEASED and totals == {RELEASED + UNRELEASED}

    with session_scope(board.sessions) as session:
        counts = state_counts(session, PairFilters.checked(now=T0))
    assert set(counts["by_state"]) == set(PAIR_STATES)
    assert counts["by_state"]["cancelled"] == CANCELLED and counts["by_state"]["not_released"] == UNRELEASED
    assert counts["total"] == RELEASED + UNRELEASED
    open_released = RELEASED - CANCELLED
    assert (
        sum(n for state, n in counts["by_state"].items() if state not in ("cancelled", "not_released")) == open_released
    )


def test_style_due_date_overdue_and_search_are_bound_filters(board: Board) -> None:
    def serials(**filters: object) -> set[str]:
        found, _ = every_page(board, PairFilters.checked(**filters), limit=200)  # type: ignore[arg-type]
        return set(found)

    assert serials(style="oxford", now=T0) == board.oxford
    assert serials(text="50%") == {"CS26-50%OFF"}  # the percent sign is text, not a wildcard
    assert serials(text="a_b") == {"CS26-A_B"} and serials(text="%") == {"CS26-50%OFF"}
    assert len(serials(text="o-board-1")) == (RELEASED + UNRELEASED - 2) // 2
    assert serials(text="b007") == {"CS26-B007"}
    due_in_two_days = serials(due_before=T0 + timedelta(days=2), now=T0)
    assert len(due_in_two_days) == 10  # k % 6 == 0: due T0 + 1 day
    late = serials(overdue=True, now=T0 + timedelta(days=3, hours=1))
    assert len(late) == 30 - len({f"CS26-B{k:03d}" for k in range(0, RELEASED, 5) if k % 6 < 3})  # not cancelled
    assert not late & board.cancelled
    assert serials(overdue=True, now=T0) == set()
    assert like_pattern("50%_x\\") == "%50\\%\\_x\\\\%"


def test_bad_filters_are_refused_with_the_allowed_values() -> None:
    with pytest.raises(PairFilterError, match="unknown state exploded") as error:
        PairFilters.checked(states=["exploded"])
    assert error.value.code == "invalid_filter" and error.value.http_status == 422
    assert error.value.details["allowed"] == list(PAIR_STATES)
    with pytest.raises(PairFilterError, match="unknown style 'brogue'"):
        PairFilters.checked(style="brogue")
    with pytest.raises(PairFilterError, match="1 to 64"):
        PairFilters.checked(text="   ")
    # A NUL would end SQLite's LIKE pattern (every pair matches) and PostgreSQL refuses it: refused here, on both.
    for text in ("CS26\x00", "\x00", "a\x1bb"):
        with pytest.raises(PairFilterError, match=r"control character \(U\+00(00|1B)\)") as caught:
            PairFilters.checked(text=text)
        assert caught.value.details["field"] == "q"
    with pytest.raises(ValueError, match="NUL"):
        like_pattern("CS26\x00")
    with pytest.raises(ValueError, match="no time zone"):
        PairFilters.checked(due_before=datetime(2026, 3, 16))

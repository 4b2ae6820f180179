"""Daily output for the dashboard's line chart: operations finished per UTC day over the last days (today
included, days without any finish as zeros). ``count_per_day`` is the pure core."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.clock import as_utc, utc_now
from manufacturing.tracking import repository

MAX_DAYS = 366


def count_per_day(times: Iterable[datetime], first_day: date, days: int) -> list[dict[str, Any]]:
    """``[{"day": "2026-03-16", "operations_finished": n}, ...]`` for ``days`` days from ``first_day`` (UTC)."""
    counts = Counter(as_utc(t).date() for t in times)
    return [
        {
            "day": (first_day + timedelta(days=k)).isoformat(),
            "operations_finished": counts.get(first_day + timedelta(days=k), 0),
        }
        for k in range(days)
    ]


def daily_output(session: Session, days: int = 14, now: datetime | None = None) -> list[dict[str, Any]]:
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1 to {MAX_DAYS}")
    today = as_utc(now or utc_now()).date()
    first = today - timedelta(days=days - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    return count_per_day(repository.finish_times_since(session, since), first, days)

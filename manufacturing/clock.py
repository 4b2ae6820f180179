"""Time at the foundation: every stored timestamp is an aware UTC datetime.

One home for the two helpers every floor needs, so no domain package imports another just to read the clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from geometry.errors import InputError


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(now: datetime) -> datetime:
    """``now`` in UTC; a naive time is refused (whose clock would it be?)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise InputError(f"time {now.isoformat()} has no time zone; pass an aware (UTC) datetime")
    return now.astimezone(UTC)

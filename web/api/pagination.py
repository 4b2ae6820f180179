"""Cursor pagination for list endpoints: ``?limit=&cursor=`` in, ``{items, next_cursor}`` out.

Keyset, not offset: the cursor holds the last id the client saw, so a page is one index range scan and rows
added or changed while a client pages through never shift or repeat what it gets. The cursor is opaque to
clients (URL-safe base64 of a small JSON object); a cursor that does not decode (too long, nested, not ours) is
a 422 ``invalid_cursor``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from geometry.errors import InputError
from geometry.exchange.bounded_json import load_json
from web.api.deps import MAX_RECORD_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# The longest cursor this API gives out is 32 characters ({"after": <a 32-bit id>}); anything much longer is not
# one of ours and is refused before it is decoded.
MAX_CURSOR_CHARS = 64

T = TypeVar("T")


class InvalidCursorError(InputError):
    """A cursor this API did not give out (or one for another list)."""

    code = "invalid_cursor"


def encode_cursor(after_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor holds; ``InvalidCursorError`` for anything else, whatever its length or nesting."""
    shown = cursor[:MAX_CURSOR_CHARS]  # never echo a long cursor back whole
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursorError(f"cursor {shown!r}… is longer than any this API gives out "
                                 f"({MAX_CURSOR_CHARS} characters)", cursor=shown)  # fmt: skip
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        record = load_json(raw, max_bytes=MAX_CURSOR_CHARS, max_depth=1, source="the cursor")
    except (binascii.Error, ValueError):  # not base64, not JSON, or JSON past the limits (InputError)
        raise InvalidCursorError(f"cursor {shown!r} is not one this API gave out", cursor=shown) from None
    after = record.get("after") if isinstance(record, dict) else None
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= MAX_RECORD_ID:
        raise InvalidCursorError(f"cursor {shown!r} is not one this API gave out", cursor=shown)
    return after


@dataclass(frozen=True)
class PageRequest:
    """What the client asked for: at most ``limit`` items with ids after ``after_id``."""

    limit: int
    after_id: int


def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page; none for the first.")] = None,
) -> PageRequest:
    return PageRequest(limit=limit, after_id=0 if cursor is None else decode_cursor(cursor))


PageDep = Annotated[PageRequest, Depends(page_request)]


class Page(BaseModel, Generic[T]):
    """One page of a list, oldest first; ``next_cursor`` is null on the last page."""

    items: list[T]
    limit: int
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null when there is none.")


def page_of(rows: Sequence[Any], request: PageRequest, item: Any, row_id: Any = lambda row: row.id) -> Page[Any]:
    """The page from ``rows``, fetched as ``limit + 1`` rows ordered by id (the extra row says whether a
    next page exists); ``item`` turns a row into what the page lists."""
    more = len(rows) > request.limit
    shown = list(rows[: request.limit])
    return Page[Any](
        items=[item(row) for row in shown],
        limit=request.limit,
        next_cursor=encode_cursor(int(row_id(shown[-1]))) if more and shown else None,
    )

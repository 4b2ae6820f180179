"""Limits every request meets before a route (or pydantic) sees it (docs/api.md, "Input limits").

- A JSON body (``application/json``, ``…+json``, or no content type: FastAPI reads those as JSON too) is read
  up to ``max_json_body_bytes`` (413 beyond, refused on its ``Content-Length`` before it is read) and refused
  with a 422 when it nests deeper than ``max_json_depth``, writes ``NaN`` or ``Infinity`` or a number past the
  float range, or a NUL character in a string (``geometry.exchange.bounded_json``). Text that is not JSON at all
  goes on to the route, which answers it as before.
- The path and the query string may not hold control characters (NUL, line breaks, tabs…): no serial, number,
  e-mail address or search has one, SQLite ends a LIKE pattern at a NUL and PostgreSQL refuses it, so they are
  refused here, the same on both (422 ``control_character``).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geometry.errors import InputError, InputTooLargeError
from geometry.exchange.bounded_json import load_json
from web.api.problems import problem_of

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ControlCharacterError(InputError):
    """A path or query parameter holding a control character."""

    code = "control_character"


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return True
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def check_path_and_query(path: str, query_string: bytes) -> None:
    """Refuse a control character in the (decoded) path or in a query parameter's name or value, naming it."""
    found = _CONTROL.search(path)
    if found:
        raise ControlCharacterError(f"the path holds a control character (U+{ord(found.group()):04X}); "
                                    "paths and query parameters may not hold control characters",
                                    location="path")  # fmt: skip
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                                 errors="replace"):  # fmt: skip
        found = _CONTROL.search(name) or _CONTROL.search(value)
        if found:
            shown = _CONTROL.sub("?", name)[:40]
            raise ControlCharacterError(f"query parameter {shown} holds a control character "
                                        f"(U+{ord(found.group()):04X}); query parameters may not hold control "
                                        "characters", location=f"query.{shown}")  # fmt: skip


class InputLimitsMiddleware:
    """Refuses, as a problem response, a request that breaks the limits above; passes the others on unchanged
    (a JSON body it read is handed on whole)."""

    def __init__(self, app: ASGIApp, *, max_json_body_bytes: int, max_json_depth: int) -> None:
        self.app = app
        self.max_json_body_bytes = max_json_body_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        try:
            check_path_and_query(path, scope.get("query_string", b""))
            if scope["method"] not in _BODY_METHODS or not _is_json(_header(scope, b"content-type")):
                await self.app(scope, receive, send)
                return
            body = await self._read_json_body(scope, receive)
        except InputError as exc:
            await problem_of(exc, path)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_json_body(self, scope: Scope, receive: Receive) -> bytes:
        limit = self.max_json_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(int(declared), limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left; the route will see it the same way
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _too_large(size, limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            try:
                load_json(body, max_bytes=limit, max_depth=self.max_json_depth, source="the request body")
            except InputError:
                raise
            except ValueError:  # not JSON, not UTF-8, or an integer of thousands of digits
                pass  # the route's own parsing answers it, as it did before
        return body


def _too_large(size: int, limit: int) -> InputTooLargeError:
    return InputTooLargeError(f"the JSON body is {size} bytes or more; at most {limit} bytes are read",
                              limit_bytes=limit)  # fmt: skip


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands on the body read already, then whatever the client sends next (a disconnect)."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed

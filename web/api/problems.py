"""Errors as RFC 9457 problem details: one mapping from the CSPMS hierarchy to HTTP, no tracebacks out."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geometry.errors import CspmsError
from manufacturing.geometry_pool import ComputeBusyError

PROBLEM_MEDIA_TYPE = "application/problem+json"
# A full geometry pool frees a process within seconds (a design or a revised last takes 1-2 s of work).
COMPUTE_BUSY_RETRY_AFTER_S = 5
log = logging.getLogger(__name__)


def problem(status: int, code: str, title: str, detail: str, instance: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    body.update({"code": code, **extra})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def problem_of(exc: CspmsError, instance: str) -> JSONResponse:
    """The problem response of one of our errors (``instance``: the request's path)."""
    if exc.http_status >= 500:
        log.error("server-side error on %s: %s", instance, exc.message)
    details = {k: v for k, v in exc.details.items() if k != "traceback"}
    response = problem(exc.http_status, exc.code, type(exc).__name__, exc.message, instance, details=details)
    if exc.http_status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="cspms"'  # RFC 6750
    if exc.http_status == 429 and "retry_after_s" in details:
        response.headers["Retry-After"] = str(details["retry_after_s"])
    if isinstance(exc, ComputeBusyError):
        response.headers["Retry-After"] = str(COMPUTE_BUSY_RETRY_AFTER_S)  # RFC 9110: a 503 may say when to retry
    return response


def internal_error(instance: str) -> JSONResponse:
    return problem(500, "internal_error", "Internal error", "an unexpected error occurred; it has been logged",
                   instance)  # fmt: skip


class UnexpectedErrorMiddleware:
    """Answers an error no handler knows with the 500 problem and keeps the connection.

    Starlette's outermost error handler sends its response and then raises again, for the server to log, and the
    server then drops the connection: a client's next request on it fails without an answer. Here the error is
    logged and answered, and goes no further; only one raised after the response began still reaches the server
    (the response cannot be replaced then)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise
            log.exception("unexpected error on %s", scope.get("path", "?"))
            await internal_error(scope.get("path", ""))(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    # Added first, so it sits innermost among the middlewares, right round the routes' own handlers.
    app.add_middleware(UnexpectedErrorMiddleware)

    @app.exception_handler(CspmsError)
    async def _cspms_error(request: Request, exc: CspmsError) -> JSONResponse:
        return problem_of(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"location": ".".join(str(p) for p in err["loc"]), "message": err["msg"]} for err in exc.errors()]
        detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
        return problem(422, "invalid_request", "Invalid request", detail, request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorised", 403: "forbidden"}.get(
            exc.status_code, "http_error"
        )
        return problem(exc.status_code, code, str(exc.detail), str(exc.detail), request.url.path)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
        # A value the database cannot hold (a 40-digit id, a number past its column's range): the request's fault.
        log.info("value out of the database's range on %s: %s", request.url.path, exc)
        return problem(422, "value_out_of_range", "Value out of range",
                       "a value in the request is out of the range this API stores", request.url.path)  # fmt: skip

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Only what escapes the middlewares themselves reaches here (UnexpectedErrorMiddleware answers the rest).
        log.exception("unexpected error on %s", request.url.path)
        return internal_error(request.url.path)

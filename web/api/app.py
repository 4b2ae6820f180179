"""The FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from manufacturing.pipeline.celery_app import make_celery
from manufacturing.pipeline.resources import build_resources
from manufacturing.settings import Settings, get_settings
from web.api import (
    artifacts,
    auth,
    designs,
    feedback,
    health,
    inventory,
    jobs,
    kpis,
    lasts,
    logos,
    orders,
    pairs,
    patterns,
    planning,
    qc,
    runs,
    scans,
    size_runs,
    tracking,
)
from web.api.limits import InputLimitsMiddleware
from web.api.problems import install_problem_handlers

# The customer's pages (configurator, tracking) and the vendored three.js (web/package.json builds it).
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="CSPMS",
        summary="Custom shoe production management: a foot scan to a traceable, shipped pair.",
        version="0.1.0",
    )
    app.state.resources = build_resources(settings)
    app.state.celery = make_celery(settings)
    install_problem_handlers(app)
    # Outside the error middleware: a request over the JSON limits is answered before any route runs.
    app.add_middleware(InputLimitsMiddleware, max_json_body_bytes=settings.max_json_body_bytes,
                       max_json_depth=settings.max_json_depth)  # fmt: skip
    # The staff dashboard's and the pattern-maker page's APIs.
    staff = (qc, feedback, pairs, planning, kpis, lasts, size_runs, inventory)
    for module in (auth, orders, runs, artifacts, designs, logos, patterns, jobs, tracking, scans, *staff):
        app.include_router(module.router)
    app.include_router(auth.accounts_router)

    app.include_router(health.router)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/configurator/")

    @app.get("/pairs/{serial}/provenance", include_in_schema=False)
    def provenance_page(serial: str) -> FileResponse:
        """The public page a pair's label QR code opens (it reads GET /api/pairs/{serial}/dpp)."""
        return FileResponse(STATIC_DIR / "provenance" / "index.html", media_type="text/html")

    # html=True serves each folder's index.html; /vendor holds three.js, copied from npm by `make install`.
    for page in ("configurator", "track", "login", "provenance", "staff", "patterns", "common", "vendor"):
        app.mount(f"/{page}", StaticFiles(directory=STATIC_DIR / page, html=True, check_dir=False), name=page)

    return app

"""The FastAPI application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from manufacturing.pipeline.celery_app import make_celery
from manufacturing.pipeline.resources import build_resources
from manufacturing.settings import Settings, get_settings
from web.api import artifacts, designs, jobs, orders, patterns, runs, scans, tracking
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
    for module in (orders, runs, artifacts, designs, patterns, jobs, tracking, scans):
        app.include_router(module.router)

    @app.get("/api/health", tags=["health"])
    def health() -> dict[str, Any]:
        with app.state.resources.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "database": app.state.resources.engine.dialect.name}

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/configurator/")

    # html=True serves each folder's index.html; /vendor holds three.js, copied from npm by `make install`.
    for page in ("configurator", "track", "vendor"):
        app.mount(f"/{page}", StaticFiles(directory=STATIC_DIR / page, html=True, check_dir=False), name=page)

    return app

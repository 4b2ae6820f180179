"""``cspms serve`` (the web app and an embedded worker), ``cspms worker`` and ``cspms settings``."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from typing import Annotated

import typer

from manufacturing.settings import get_settings


def _die_with_parent() -> None:
    # uvicorn re-raises the SIGTERM it caught once it has shut down, so `serve` may end before its `finally`:
    # the kernel then tells the embedded worker (Linux PR_SET_PDEATHSIG), however `serve` ended.
    # Not Linux: `serve`'s `finally` (or the service manager) stops the worker.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default: CSPMS_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: CSPMS_PORT).")] = None,
    embedded_worker: Annotated[
        bool, typer.Option(help="Also start a pipeline worker process (embedded profile).")
    ] = True,
) -> None:
    """Start the web app (and, by default, a pipeline worker beside it)."""
    import uvicorn

    from manufacturing.db.migrate import ensure_schema_current
    from manufacturing.db.session import make_engine
    from web.api.app import create_app

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    ensure_schema_current(make_engine(settings.resolved_database_url))
    worker = None
    if embedded_worker:
        # No thread runs yet in this process, so preexec_fn is safe here.
        worker = subprocess.Popen([sys.executable, "-m", "web.cli", "worker"], preexec_fn=_die_with_parent)  # noqa: PLW1509
    try:
        # A bounded graceful shutdown: an open keep-alive connection must not keep the worker beside it alive.
        uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port,
                    timeout_graceful_shutdown=10)  # fmt: skip
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()


def worker(
    concurrency: Annotated[
        int | None, typer.Option(help="Worker processes (default: CSPMS_WORKER_CONCURRENCY).")
    ] = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "INFO",
) -> None:
    """Start a pipeline worker that takes stage tasks from the broker (embedded, Redis or RabbitMQ)."""
    from manufacturing.pipeline.celery_app import app as celery_app

    settings = get_settings()
    celery_app.worker_main(
        [
            "worker",
            f"--loglevel={loglevel}",
            f"--concurrency={concurrency or settings.worker_concurrency}",
            "--without-gossip",
            "--without-mingle",
            f"--hostname=cspms-{os.getpid()}@%h",
        ]
    )


def show_settings() -> None:
    """Print every setting (CSPMS_* variable), its default and its meaning, as a Markdown table."""
    from manufacturing.settings import settings_reference_markdown

    typer.echo(settings_reference_markdown(), nl=False)

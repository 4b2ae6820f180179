"""``cspms serve`` (the web app and an embedded worker), ``cspms worker`` and ``cspms settings``."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from typing import Annotated

import typer

from manufacturing.settings import get_settings


def _log_supervision() -> None:
    """The supervisor's restarts on stderr beside uvicorn's lines (nothing else configures logging here)."""
    import logging

    logger = logging.getLogger("manufacturing.pipeline.supervision")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _die_with_parent() -> None:
    # Called by the embedded worker itself (`--die-with-parent`), not in a preexec_fn: `serve` has threads.
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
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Web server processes (default: CSPMS_WEB_WORKERS).")
    ] = None,
) -> None:
    """Start the web app (and, by default, a pipeline worker beside it)."""
    import uvicorn

    from manufacturing.accounts.keys import session_keyring
    from manufacturing.db.migrate import ensure_schema_current
    from manufacturing.db.session import make_engine
    from web.api.app import create_app

    settings = get_settings()
    if host or port:  # the app's allowed origins follow the address it serves, in every web process
        settings = settings.model_copy(update={"host": host or settings.host, "port": port or settings.port})
        os.environ.update(CSPMS_HOST=settings.host, CSPMS_PORT=str(settings.port))
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    # Embedded profile: the session key file is made now, owner-only. Production: no strong key, no start.
    session_keyring(settings)
    ensure_schema_current(make_engine(settings.resolved_database_url))
    supervisor = None
    if embedded_worker:
        from manufacturing.pipeline.supervision import WorkerSupervisor

        _log_supervision()
        supervisor = WorkerSupervisor(settings)  # restarts the worker whenever it dies, until stopped
        supervisor.start()
    processes = workers or settings.resolved_web_workers
    try:
        # A bounded graceful shutdown: an open keep-alive connection must not keep the worker beside it alive.
        if processes > 1:  # each process builds its own app (from the same CSPMS_* environment)
            uvicorn.run("web.api.app:create_app", factory=True, workers=processes, host=host or settings.host,
                        port=port or settings.port, timeout_graceful_shutdown=10)  # fmt: skip
        else:
            uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port,
                        timeout_graceful_shutdown=10)  # fmt: skip
    finally:
        if supervisor is not None:
            supervisor.stop()  # SIGTERM, a bounded warm shutdown, then SIGKILL


def worker(
    concurrency: Annotated[
        int | None, typer.Option(help="Worker processes (default: CSPMS_WORKER_CONCURRENCY).")
    ] = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level.")] = "INFO",
    die_with_parent: Annotated[
        int | None, typer.Option(hidden=True, help="`serve`'s pid: end with it (its embedded worker).")
    ] = None,
) -> None:
    """Start a pipeline worker that takes stage tasks from the broker (embedded, Redis or RabbitMQ)."""
    from manufacturing.pipeline.celery_app import app as celery_app

    if die_with_parent is not None:
        _die_with_parent()
        if os.getppid() != die_with_parent:  # `serve` ended before the kernel was told: end now
            raise typer.Exit(0)
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

"""The ``cspms`` command line. Errors print one line to stderr and exit non-zero; never a traceback."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from geometry.errors import CspmsError, InputError, InputTooLargeError
from manufacturing.settings import get_settings
from web.cli.accounts import user_app
from web.cli.bench import bench_app
from web.cli.bom import bom_command
from web.cli.inventory import inventory_app
from web.cli.lasts import last_app
from web.cli.nesting import nest_app
from web.cli.patterns import pattern_app
from web.cli.planning import schedule_command
from web.cli.qc import feedback_summary_command, qc_report_command
from web.cli.scans import scan_app
from web.cli.sizes import size_app
from web.cli.styles import style_app
from web.cli.tracking import kpi_command, ledger_verify_command, mqtt_listen_command

app = typer.Typer(
    help="CSPMS: custom shoe production management, from foot scan to a traceable pair.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
order_app = typer.Typer(help="Orders through the whole pipeline.", no_args_is_help=True)
pipeline_app = typer.Typer(help="The pipeline's runs: resume the stalled ones.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(order_app, name="order")
app.add_typer(pipeline_app, name="pipeline")
app.add_typer(scan_app, name="scan")
app.add_typer(size_app, name="size")
app.add_typer(last_app, name="last")
app.add_typer(style_app, name="style")
app.add_typer(pattern_app, name="pattern")
app.add_typer(nest_app, name="nest")
app.add_typer(bench_app, name="bench")
app.add_typer(user_app, name="user")
app.add_typer(inventory_app, name="inventory")
app.command("bom")(bom_command)
app.command("schedule")(schedule_command)
app.command("kpi")(kpi_command)
ledger_app = typer.Typer(help="Traceability ledger.", no_args_is_help=True)
ledger_app.command("verify")(ledger_verify_command)
app.add_typer(ledger_app, name="ledger")
qc_app = typer.Typer(help="Quality control.", no_args_is_help=True)
qc_app.command("report")(qc_report_command)
app.add_typer(qc_app, name="qc")
feedback_app = typer.Typer(help="Fit feedback.", no_args_is_help=True)
feedback_app.command("summary")(feedback_summary_command)
app.add_typer(feedback_app, name="feedback")
tracking_app = typer.Typer(help="Shop-floor tracking.", no_args_is_help=True)
tracking_app.command("listen")(mqtt_listen_command)
app.add_typer(tracking_app, name="tracking")

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1
err_console = Console(stderr=True)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Create or migrate the database to the latest schema (SQLite or PostgreSQL, from settings)."""
    from manufacturing.db.migrate import upgrade

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url, revision)
    typer.echo(f"database at revision {revision}: {_safe_url(settings.resolved_database_url)}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's current schema revision."""
    from manufacturing.db.migrate import current_revision, head_revision
    from manufacturing.db.session import make_engine

    engine = make_engine(get_settings().resolved_database_url)
    typer.echo(f"current: {current_revision(engine)}  head: {head_revision()}")


@pipeline_app.command("resume")
def pipeline_resume(
    idle_seconds: Annotated[
        float, typer.Option(help="A run whose stage has been silent this long is resent (longer than any stage).")
    ] = 600.0,
) -> None:
    """Resend the remaining stages of runs that stalled (a worker killed, a broker restarted), and remove temp
    files killed writers left in the store; run it from a timer. Stages are idempotent, so a resend never
    duplicates work."""
    from manufacturing.db.migrate import ensure_schema_current
    from manufacturing.pipeline.celery_app import make_celery
    from manufacturing.pipeline.resources import build_resources
    from manufacturing.pipeline.tasks import recover_stalled_work

    settings = get_settings()
    resources = build_resources(settings)
    ensure_schema_current(resources.engine)
    resumed, swept = recover_stalled_work(resources, make_celery(settings), idle_seconds)
    typer.echo(f"resumed {len(resumed)} run(s)" + (f": {', '.join(map(str, resumed))}" if resumed else "")
               + (f"; removed {swept} stale temp file(s)" if swept else ""))  # fmt: skip


@app.command("settings")
def show_settings() -> None:
    """Print every setting (CSPMS_* variable), its default and its meaning, as a Markdown table."""
    from manufacturing.settings import settings_reference_markdown

    typer.echo(settings_reference_markdown(), nl=False)


@order_app.command("run")
def order_run(
    scan: Annotated[Path, typer.Option(help="Foot scan file (STL, OBJ, PLY, OFF, GLB/glTF, 3MF, XYZ).")],
    options: Annotated[Path, typer.Option(help="Design options JSON, e.g. examples/options-derby.json.")],
    out: Annotated[Path, typer.Option(help="Folder to write every artifact and manifest.json to.")],
    email: Annotated[str, typer.Option(help="Customer e-mail the order is filed under.")] = "walk-in@cspms.local",
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON on stdout.")] = False,
) -> None:
    """Place an order and run its whole pipeline in this process, writing every artifact to OUT."""
    from configurator.options import parse_options
    from manufacturing.db.migrate import ensure_schema_current
    from manufacturing.db.session import session_scope
    from manufacturing.orders.service import place_order
    from manufacturing.pipeline.local import run_pipeline_in_process
    from manufacturing.pipeline.reports import describe_run, export_run_artifacts
    from manufacturing.pipeline.resources import build_resources

    settings = get_settings()
    scan_bytes = read_input_file(scan, settings.max_upload_bytes)
    design_options = parse_options(read_input_file(options, 1024 * 1024), source=str(options))
    resources = build_resources(settings)
    ensure_schema_current(resources.engine)
    with session_scope(resources.sessions) as session:
        placed = place_order(
            session,
            resources.store,
            customer_email=email,
            scan_filename=scan.name,
            scan_bytes=scan_bytes,
            options=design_options,
        )
    total = len(placed.run_ids) * len(placed.stages)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=err_console, disable=as_json or not err_console.is_terminal,
    ) as progress:  # fmt: skip
        task = progress.add_task(f"order {placed.order_number}", total=total)
        for run_id in placed.run_ids:
            run_pipeline_in_process(
                resources,
                run_id,
                on_stage_done=lambda o: progress.update(task, advance=1, description=f"{o.stage}: {o.state}"),
            )
    with session_scope(resources.sessions) as session:
        runs = [describe_run(session, run_id) for run_id in placed.run_ids]
        written = export_run_artifacts(session, resources.store, placed.run_ids[0], out)
    manifest: dict[str, Any] = {
        "order_number": placed.order_number,
        "pair_serials": list(placed.pair_serials),
        "state": "succeeded" if all(r["state"] == "succeeded" for r in runs) else "failed",
        "runs": runs,
        "files": sorted(p.name for p in written),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    if as_json:
        typer.echo(json.dumps(manifest, indent=2))
    else:
        typer.echo(f"order {placed.order_number}: {manifest['state']}; {len(written)} files in {out}/")
        for name in manifest["files"]:
            typer.echo(f"  {name}")
    failed = next((r for r in runs if r["error"]), None)
    if failed is not None:
        err = failed["error"]
        raise _CommandFailedError(f"{err['code']}: {err['message']}", EXIT_USER_ERROR)


def _die_with_parent() -> None:
    # uvicorn re-raises the SIGTERM it caught once it has shut down, so `serve` may end before its `finally`:
    # the kernel then tells the embedded worker (Linux PR_SET_PDEATHSIG), however `serve` ended.
    # Not Linux: `serve`'s `finally` (or the service manager) stops the worker.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


@app.command("serve")
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


@app.command("worker")
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


class _CommandFailedError(Exception):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def read_input_file(path: Path, max_bytes: int) -> bytes:
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file", path=str(path))
    size = path.stat().st_size
    if size > max_bytes:
        raise InputTooLargeError(f"{path} is {size} bytes, over the limit of {max_bytes}", path=str(path))
    return path.read_bytes()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    """Entry point: run the app, turning every error into one line on stderr and an exit code."""
    try:
        # Without standalone mode click returns a command's exit code (typer.Exit) instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except _CommandFailedError as fail:
        err_console.print(f"error: {fail}", highlight=False, soft_wrap=True)
        sys.exit(fail.exit_code)
    except CspmsError as exc:
        err_console.print(f"error: {exc.code}: {exc.message}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_USER_ERROR if exc.expected else EXIT_INTERNAL_ERROR)
    except typer.Exit as exit_:
        sys.exit(exit_.exit_code)
    except typer.Abort:
        err_console.print("aborted", highlight=False)
        sys.exit(130)
    except Exception as exc:  # the last line of defence: one line, not a traceback
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        err_console.print(f"error: internal_error: {type(exc).__name__}: {exc}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_INTERNAL_ERROR)

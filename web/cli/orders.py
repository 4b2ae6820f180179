"""``cspms order run`` (an order through its whole pipeline in this process) and ``cspms pipeline resume``
(resend the stalled runs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from manufacturing.settings import get_settings
from web.cli.failures import EXIT_USER_ERROR, CommandFailedError
from web.cli.inputs import read_input_file

err_console = Console(stderr=True)


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
        raise CommandFailedError(f"{err['code']}: {err['message']}", EXIT_USER_ERROR)


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
    from manufacturing.pipeline.recovery import recover_stalled_work
    from manufacturing.pipeline.resources import build_resources

    settings = get_settings()
    resources = build_resources(settings)
    ensure_schema_current(resources.engine)
    resumed, swept = recover_stalled_work(resources, make_celery(settings), idle_seconds)
    typer.echo(f"resumed {len(resumed)} run(s)" + (f": {', '.join(map(str, resumed))}" if resumed else "")
               + (f"; removed {swept} stale temp file(s)" if swept else ""))  # fmt: skip

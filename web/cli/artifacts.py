"""``cspms artifacts``: the artifact store's upkeep."""

from __future__ import annotations

from typing import Annotated

import typer

from manufacturing.settings import get_settings


def artifacts_sweep(
    older_than_hours: Annotated[
        float | None,
        typer.Option(min=0.0, help="Only blobs older than this (default: CSPMS_ORPHAN_BLOB_MIN_AGE_S)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would be removed; remove nothing.")] = False,
) -> None:
    """Remove the blobs no record names (a crash between a blob's write and its record's commit left them) and
    the temp files of killed writers; the workers' periodic recovery does the same every hour."""
    from manufacturing.artifacts.orphans import sweep_orphan_blobs
    from manufacturing.db.migrate import ensure_schema_current
    from manufacturing.pipeline.resources import build_resources

    settings = get_settings()
    resources = build_resources(settings)
    ensure_schema_current(resources.engine)
    age_s = settings.orphan_blob_min_age_s if older_than_hours is None else older_than_hours * 3600.0
    swept = sweep_orphan_blobs(resources.sessions, resources.store, age_s, dry_run=dry_run)
    temp_files = 0 if dry_run else resources.store.sweep_temp_files(older_than_s=age_s)
    verb = "would remove" if dry_run else "removed"
    temp_note = f"; removed {temp_files} stale temp file(s)" if temp_files else ""
    typer.echo(f"{verb} {swept.removed} orphan blob(s), {swept.removed_bytes:,} bytes; {swept.kept} old blob(s) "
               f"are named by a record{temp_note}")  # fmt: skip

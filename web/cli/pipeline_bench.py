"""``cspms bench pipeline``: orders end to end through real workers, embedded vs PostgreSQL + Redis."""

from __future__ import annotations

import json as json_module
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

SHARED_TEMPLATE = Path("../shared/data/feet/find_template.obj")


def bench_pipeline_command(
    orders: Annotated[int, typer.Option(help="Orders per (profile, worker count).", min=1)] = 20,
    workers: Annotated[
        list[int] | None, typer.Option(help="Worker processes; repeat for several runs (default: 1 and 2).")
    ] = None,
    profile: Annotated[
        list[str] | None, typer.Option(help="embedded or production; repeat for both (default: both).")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON report here.")] = None,
    template: Annotated[Path, typer.Option(help="Template foot mesh (made ~100k faces).")] = SHARED_TEMPLATE,
    postgres_url: Annotated[str, typer.Option(help="PostgreSQL server; a throwaway database is made on it.")] = (
        os.environ.get("CSPMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ),
    redis_url: Annotated[str, typer.Option(help="Redis database used only by the benchmark (it is purged).")] = (
        "redis://127.0.0.1:6379/13"
    ),
) -> None:
    """End-to-end latency per order (scan → work order) p50 / p95 and throughput, for 1 and 2 workers."""
    from geometry.errors import InputError
    from manufacturing.pipeline.bench import PROFILES, PipelineBenchConfig, run_pipeline_benchmark

    profiles = tuple(profile or PROFILES)
    unknown = set(profiles) - set(PROFILES)
    if unknown:
        raise InputError(f"unknown profile {sorted(unknown)}; use embedded or production", profile=sorted(unknown))
    if not template.is_file():
        raise InputError(f"{template} does not exist (clone shared/ beside the repository)", path=str(template))
    with tempfile.TemporaryDirectory(prefix="cspms-bench-pipeline-") as work_dir:
        config = PipelineBenchConfig(
            template_path=template,
            work_dir=Path(work_dir),
            orders=orders,
            workers=tuple(workers or (1, 2)),
            profiles=profiles,
            postgres_url=postgres_url,
            redis_url=redis_url,
        )
        report = run_pipeline_benchmark(config)
    text = json_module.dumps(report, indent=2)
    if out is not None:
        out.write_text(text)
    if json:
        typer.echo(text)
        return
    for name, runs in report["profiles"].items():
        for key, run in runs.items():
            latency = run["latency_seconds"]
            typer.echo(
                f"{name} {key}: p50 {latency['p50']} s, p95 {latency['p95']} s, "
                f"{run['throughput_orders_per_min']} orders/min, lost {run['lost']}, "
                f"duplicates {run['duplicate_artifacts'] + run['duplicate_work_orders']}"
            )

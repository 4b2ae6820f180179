"""``cspms bench pipeline`` (orders end to end through real workers, embedded vs PostgreSQL + Redis) and
``cspms bench soak`` (many orders through the production profile under injected faults, then an audit)."""

from __future__ import annotations

import json as json_module
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

SHARED_TEMPLATE = Path("../shared/data/feet/find_template.obj")
# Exit code of a soak that lost an order or did something twice (1 and 2 are the CLI's error codes).
EXIT_SOAK_FAILED = 3

# The options both pipeline benchmarks take.
JsonOption = Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")]
OutOption = Annotated[Path | None, typer.Option(help="Also write the JSON report here.")]
TemplateOption = Annotated[Path, typer.Option(help="Template foot mesh (made ~100k faces).")]
PostgresUrlOption = Annotated[str, typer.Option(help="PostgreSQL server; a throwaway database is made on it.")]
DEFAULT_POSTGRES_URL = os.environ.get("CSPMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def bench_pipeline_command(
    orders: Annotated[int, typer.Option(help="Orders per (profile, worker count).", min=1)] = 20,
    workers: Annotated[
        list[int] | None, typer.Option(help="Worker processes; repeat for several runs (default: 1 and 2).")
    ] = None,
    profile: Annotated[
        list[str] | None, typer.Option(help="embedded or production; repeat for both (default: both).")
    ] = None,
    json: JsonOption = False,
    out: OutOption = None,
    template: TemplateOption = SHARED_TEMPLATE,
    postgres_url: PostgresUrlOption = DEFAULT_POSTGRES_URL,
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
    _check_template(template)
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
    if _write_report(report, out, json):
        return
    for name, runs in report["profiles"].items():
        for key, run in runs.items():
            latency = run["latency_seconds"]
            typer.echo(
                f"{name} {key}: p50 {latency['p50']} s, p95 {latency['p95']} s, "
                f"{run['throughput_orders_per_min']} orders/min, lost {run['lost']}, "
                f"duplicates {run['duplicate_artifacts'] + run['duplicate_work_orders']}"
            )


def bench_soak_command(
    orders: Annotated[int, typer.Option(help="Orders put through (each its own 100k-face scan).", min=1)] = 1000,
    workers: Annotated[int, typer.Option(help="`cspms worker` processes (one pool process each).", min=1)] = 2,
    broker: Annotated[str, typer.Option(help="redis (a private redis-server) or rabbitmq (a private vhost).")] = (
        "redis"
    ),
    fault_every_s: Annotated[float, typer.Option(help="Seconds between two faults.")] = 20.0,
    faults: Annotated[
        str, typer.Option(help="Fault kinds, comma-separated and injected in turn (or all, or none).")
    ] = "kill-stage,kill-worker,broker-restart,db-drop",
    resume_every_s: Annotated[float, typer.Option(help="Seconds between two resumes of stalled runs.")] = 10.0,
    resume_idle_s: Annotated[
        float, typer.Option(help="A run idle this long is resumed (longer than any stage and its retries).")
    ] = 30.0,
    seed: Annotated[int, typer.Option(help="Random seed: which worker a fault hits, the style rotation.")] = 2026,
    json: JsonOption = False,
    out: OutOption = None,
    template: TemplateOption = SHARED_TEMPLATE,
    postgres_url: PostgresUrlOption = DEFAULT_POSTGRES_URL,
    rabbitmq_url: Annotated[str, typer.Option(help="RabbitMQ server; a private vhost is made on it.")] = (
        os.environ.get("CSPMS_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
    ),
    timeout_s: Annotated[
        float | None, typer.Option(help="Give up after this long (default: 120 s + 8 s per order).")
    ] = None,
    work_dir: Annotated[
        Path | None, typer.Option(help="Keep the worker logs and the artifact store here (default: a temp folder).")
    ] = None,
) -> None:
    """Orders through real workers on PostgreSQL + a private broker while faults are injected; exits 3 if
    an order was lost or anything was duplicated."""
    from manufacturing.pipeline.soak import SoakConfig, parse_fault_kinds, run_soak

    _check_template(template)

    def soak_in(folder: Path) -> dict:
        config = SoakConfig(
            template_path=template,
            work_dir=folder,
            orders=orders,
            workers=workers,
            broker=broker,
            fault_every_s=fault_every_s,
            faults=parse_fault_kinds(faults),
            resume_every_s=resume_every_s,
            resume_idle_s=resume_idle_s,
            seed=seed,
            postgres_url=postgres_url,
            rabbitmq_url=rabbitmq_url,
            timeout_s=timeout_s,
        )
        return run_soak(config, log=lambda line: typer.echo(line, err=True))

    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
        report = soak_in(work_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="cspms-bench-soak-") as folder:
            report = soak_in(Path(folder))
    if not _write_report(report, out, json):
        latency = report["latency_seconds"]
        typer.echo(
            f"{report['orders']} orders: {report['succeeded']} succeeded, {report['failed']} failed "
            f"{report['failed_by_error_code']}, {report['lost']} lost; duplicates: stage runs "
            f"{report['duplicate_stage_runs']}, work orders {report['duplicate_work_orders']}, artifacts "
            f"{report['duplicate_artifacts']}; blobs {report['blobs']} ({report['blobs_missing']} missing, "
            f"{report['blobs_corrupt']} corrupt), {report['stray_temp_files']} stray temp files"
        )
        typer.echo(
            f"{report['wall_seconds']} s, {report['throughput_orders_per_min']} orders/min, latency p50 "
            f"{latency['p50']} s, p95 {latency['p95']} s; faults {report['faults_by_kind']}; "
            f"{report['resume']['runs_resumed']} runs resumed; {report['stop_reason']}"
        )
    if not report["ok"]:
        raise typer.Exit(EXIT_SOAK_FAILED)


def _check_template(template: Path) -> None:
    from geometry.errors import InputError

    if not template.is_file():
        raise InputError(f"{template} does not exist (clone shared/ beside the repository)", path=str(template))


def _write_report(report: dict, out: Path | None, as_json: bool) -> bool:
    """Write the report to ``out``; print it with ``--json`` (then the caller prints nothing else)."""
    text = json_module.dumps(report, indent=2)
    if out is not None:
        out.write_text(text)
    if as_json:
        typer.echo(text)
    return as_json

"""``cspms bench``: accuracy and speed figures, written as JSON (long runs: commands, not tests).

Each command checks its inputs, runs one benchmark of this package and prints its report: the JSON with
``--json`` (and to ``--out``), else a few lines. The group is registered by the command line's root
(web/cli/main.py); the benchmarks are imported only when a command runs, so ``cspms`` starts fast.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

SHARED_DATA = Path("../shared/data")
FIND_TEMPLATE = SHARED_DATA / "feet/find_template.obj"
ANSUR_EXTRACT = SHARED_DATA / "anthropometry/ansur2_foot_extract.csv"
SHARED_NESTING = SHARED_DATA / "nesting"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEFAULT_POSTGRES_URL = os.environ.get("CSPMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Exit code of a soak that lost an order or did something twice (1 and 2 are the CLI's error codes).
EXIT_SOAK_FAILED = 3

# The options many benchmarks take.
SeedOption = Annotated[int, typer.Option(help="Random seed: the same seed gives the same cohort.")]
WorkersOption = Annotated[int, typer.Option(help="Worker processes.")]
TemplateOption = Annotated[Path, typer.Option(help="Template foot mesh.")]
AnsurOption = Annotated[Path, typer.Option(help="ANSUR II foot extract (CSV).")]
OutOption = Annotated[Path | None, typer.Option(help="Also write the JSON report here.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")]
# The pipeline benchmarks' (their ``--json`` option is named ``json``).
DenseTemplateOption = Annotated[Path, typer.Option(help="Template foot mesh (made ~100k faces).")]
PostgresUrlOption = Annotated[str, typer.Option(help="PostgreSQL server; a throwaway database is made on it.")]


SECOND_FOOT = SHARED_DATA / "feet/dupontgu_left_foot.stl"


def bench_scan(
    count: Annotated[
        int, typer.Option("--count", "--feet", help="People (ANSUR II rows); each artefact is applied to each foot.",
                          min=1)
    ] = 10,
    artefacts: Annotated[
        str, typer.Option(help="Comma-separated artefacts to apply ('all', or some of those the report lists).")
    ] = "all",
    seed: SeedOption = 2026,
    workers: WorkersOption = 2,
    template: TemplateOption = FIND_TEMPLATE,
    second_foot: Annotated[Path, typer.Option(help="The second real foot (a consumer scan, cut low).")] = SECOND_FOOT,
    ansur: AnsurOption = ANSUR_EXTRACT,
    cloud_points: Annotated[int, typer.Option(help="Points in each point-cloud scan.", min=1000)] = 200_000,
    speed_repeats: Annotated[int, typer.Option(help="Timed runs for the speed figures (0 skips them).")] = 0,
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Scan ingest against what real scanners do (cut low, flattened, a leg, mirrored, two feet, noise, holes,
    no scale, clouds; imprints and non-feet to refuse), per artefact; the two real files as they are."""
    from benchmarks.cohort import ARTEFACTS
    from benchmarks.scans import BenchConfig, foot_jobs, run_scan_benchmark, run_speed_benchmark
    from geometry.errors import InputError

    _check_shared(template, second_foot, ansur)
    chosen = tuple(ARTEFACTS) if artefacts == "all" else tuple(a.strip() for a in artefacts.split(",") if a.strip())
    unknown = [a for a in chosen if a not in ARTEFACTS]
    if unknown or not chosen:
        raise InputError(f"unknown artefact(s) {', '.join(unknown) or '(none given)'}; use 'all' or some of "
                         f"{', '.join(ARTEFACTS)}", artefacts=unknown)  # fmt: skip
    config = BenchConfig(
        foot_files={"find": template, "dupontgu": second_foot}, ansur_path=ansur, count=count, seed=seed,
        workers=workers, cloud_points=cloud_points, artefacts=chosen,
    )  # fmt: skip
    total = len(foot_jobs(config))
    report = _with_progress("feet", total, lambda advance: run_scan_benchmark(config, progress=advance))
    if speed_repeats:
        report["speed"] = run_speed_benchmark(template, repeats=speed_repeats)
    if _emit_json(report, out, as_json):
        return
    typer.echo(f"{report['scans']} scans in {report['seconds_total']} s")
    for name, row in report["artefacts"].items():
        refused = sum(row["refused"].values())
        typer.echo(
            f"{name:32s} {row['measured']:3d} measured {refused:3d} refused {row['crashed']:2d} crashed; "
            f"side right {row['side_correct']}/{row['side_checked']}; p95 length {row['foot_length_p95_mm']} mm, "
            f"ball girth {row['ball_girth_p95_mm']} mm; {row['seconds_p50']} / {row['seconds_p95']} s"
        )
    for name, target in report["targets"].items():
        verdict = "met" if target["met"] else "NOT met"
        typer.echo(f"target {name}: {target['value']} (target {target['target']}) {verdict}")
    if "speed" in report:
        speed = report["speed"]
        typer.echo(
            f"speed: {speed['mesh_faces']}-face mesh {speed['mesh_seconds']} s; 200k cloud {speed['cloud_seconds']} s"
        )


def bench_last(
    feet: Annotated[int, typer.Option(help="Cohort feet (ANSUR II rows, FIND template deformed).")] = 200,
    seed: SeedOption = 2026,
    workers: WorkersOption = 2,
    template: TemplateOption = FIND_TEMPLATE,
    ansur: AnsurOption = ANSUR_EXTRACT,
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Last fitting on a cohort (error and time per foot), build time, and the FIND foot's fits by style."""
    from benchmarks.lasts import LastBenchConfig, build_time_ms, find_fits, run_last_benchmark, shaped_fits

    _check_shared(template, ansur)
    config = LastBenchConfig(template_path=template, ansur_path=ansur, feet=feet, seed=seed, workers=workers)
    report = _with_progress("feet", feet, lambda advance: run_last_benchmark(config, progress=advance))
    report["build_50k"] = build_time_ms()
    report["find"] = find_fits(template)
    report["shaped"] = shaped_fits(template.parent)  # both real feet, every style, shaped to the foot
    if _emit_json(report, out, as_json):
        return
    typer.echo(
        f"{report['fitted']}/{report['feet']} fitted; max error per foot {report['max_error_per_foot_mm']} mm; "
        f"solver {report['solver_seconds']} s; build {report['build_50k']}; meets targets: {report['meets_targets']}"
    )
    for style, fit in report["find"].items():
        typer.echo(f"FIND {style}: toe room {fit['toe_room_mm']} mm, girth deltas {fit['girth_deltas_mm']}")
    shaped = report["shaped"]
    typer.echo(f"shaped lasts: {shaped['fits']} fits, {shaped['seconds']} s; misses {shaped['fits_missing']}")


def bench_flatten(
    lasts: Annotated[int, typer.Option(help="Cohort feet, each fitted with every style's last.")] = 50,
    seed: SeedOption = 2026,
    workers: WorkersOption = 2,
    template: TemplateOption = FIND_TEMPLATE,
    ansur: AnsurOption = ANSUR_EXTRACT,
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Five styles flattened on cohort lasts, both feet: strain per piece, seams, coverage, time per pair."""
    from benchmarks.flatten import FlattenBenchConfig, run_flatten_benchmark

    _check_shared(template, ansur)
    config = FlattenBenchConfig(template_path=template, ansur_path=ansur, lasts=lasts, seed=seed, workers=workers)
    report = _with_progress("lasts", lasts, lambda advance: run_flatten_benchmark(config, progress=advance))
    if _emit_json(report, out, as_json):
        return
    for name, style in report["styles"].items():
        typer.echo(
            f"{name}: {style['flattened']} flattened, pair {style['pair_seconds']} s, seams max "
            f"{style['seam_mismatch_max_mm']} mm, changes {style['changes']}"
        )


def bench_patterns(
    repeats: Annotated[int, typer.Option(help="Timed runs; the best counts.", min=1)] = 3,
    scan: Annotated[
        Path | None, typer.Option(help="Foot scan for the real style run (default: the FIND foot); 'none' skips it.")
    ] = FIND_TEMPLATE,
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Pattern files: write and read a graded derby run (9 sizes × 8 pieces) as ASTM DXF; file sizes."""
    from benchmarks.patterns import run_pattern_benchmark, run_style_run_benchmark

    report = run_pattern_benchmark(repeats=repeats)
    if scan is not None and scan.name != "none":
        report["style_size_run"] = run_style_run_benchmark(scan, repeats=repeats)
    if _emit_json(report, out, as_json):
        return
    typer.echo(
        f"{report['blocks']} blocks ({report['sizes']} sizes × {report['pieces_per_size']} pieces): "
        f"write {report['write_seconds']} s (≤ {report['write_target_seconds']}), "
        f"read {report['read_seconds']} s (≤ {report['read_target_seconds']}), "
        f"round trip {report['round_trip_max_error_mm']} mm, audit errors {report['audit_errors']}, "
        f"meets targets: {report['meets_targets']}"
    )
    for name, size in report["file_bytes"].items():
        typer.echo(f"  {name:<24} {size:>10} bytes")


def bench_nesting(
    seconds: Annotated[
        list[float] | None, typer.Option(help="Strip time budgets in seconds (repeat the option).")
    ] = None,
    hide_seconds: Annotated[float, typer.Option(help="Time budget per hide run, seconds.")] = 60.0,
    data: Annotated[Path, typer.Option(help="shared/data/nesting folder.")] = SHARED_NESTING,
    out: OutOption = None,
    as_json: JsonOption = False,
    only: Annotated[
        str | None, typer.Option(help="Run only one part: 'style-pairs' (20 derby pairs on one Scarpa hide).")
    ] = None,
    style_pairs_seconds: Annotated[
        float, typer.Option(help="Time budget for the 20 style pairs on one hide, seconds.", min=0.1)
    ] = 45.0,
    svg: Annotated[Path | None, typer.Option(help="Also draw the style-pairs hide layout here (SVG).")] = None,
) -> None:
    """Strip density against the best known (ESICUP), hide utilisation against bottom-left fill (Baldacci),
    and 20 pairs of our own derby pieces on one real hide."""
    from benchmarks.nesting import run_nesting_benchmark
    from geometry.errors import InputError

    if not data.is_dir():
        raise InputError(f"{data} does not exist (clone shared/ beside the repository)", path=str(data))
    if only not in (None, "style-pairs"):
        raise typer.BadParameter("--only takes 'style-pairs'", param_hint="--only")
    report: dict[str, Any] = run_nesting_benchmark(
        data,
        tuple(seconds or (10.0, 60.0)),
        hide_seconds,
        progress=lambda step: typer.echo(step, err=True),
        style_pairs_seconds=style_pairs_seconds,
        style_pairs_svg=svg,
        only=only,
    )
    if _emit_json(report, out, as_json):
        return
    for row in report.get("strip", []):
        typer.echo(
            f"strip {row['instance']:8s} {row['seconds']:>4g} s: density {row['density']:.2%} "
            f"(best {row['best_density']:.2%}, {row['points_below_best']} points below)"
        )
    for row in report.get("hides", []):
        listed, raised = row["listed_demand"], row["raised_demand"]
        typer.echo(
            f"hides {row['instance']}: listed demand {listed['placed']}/{listed['pieces']} placed; "
            f"×{raised['factor']:g}: {raised['utilisation']:.2%} vs bottom-left {raised['bottom_left_utilisation']:.2%}"
        )
    pairs = report["style_pairs_on_hide"]
    typer.echo(
        f"style pairs ({pairs['style']} {pairs['size']}) on {pairs['hide']}: {pairs['pairs_placed']}/"
        f"{pairs['pairs_ordered']} pairs, {pairs['pieces_placed']} pieces, {pairs['utilisation']:.2%} of the usable "
        f"hide, consumed {pairs['consumed_hide_area_mm2'] / 1e6:.3f} m², {pairs['wall_seconds']} s"
    )


def bench_bom(
    scan: Annotated[Path, typer.Option(help="Foot scan the lasts are fitted to.")] = FIND_TEMPLATE,
    examples: Annotated[Path, typer.Option(help="Folder of options-*.json designs.")] = EXAMPLES,
    repeats: Annotated[int, typer.Option(help="Timed BOM + quote runs per design.")] = 20,
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """BOM speed (≤ 100 ms once the pieces are flattened) and leather consistency (each area line within 2 %
    of its pieces' cut areas ÷ the utilisation and yield it claims), for every example design."""
    from benchmarks.bom import run_bom_benchmark
    from configurator.options import parse_options
    from geometry.errors import InputError
    from manufacturing.designs.service import design_on_lasts
    from web.cli.styles import last_parameters_from_scans

    files = sorted(examples.glob("options-*.json"))
    if not files:
        raise InputError(f"no options-*.json in {examples}", path=str(examples))
    _check_shared(scan)
    designs = {}
    for path in files:
        options = parse_options(path.read_bytes(), source=path.name)
        typer.echo(f"flattening {path.name}", err=True)
        made = design_on_lasts(options, last_parameters_from_scans([scan], options.style, options.fit_preference))
        designs[path.stem.removeprefix("options-")] = (options, made.pieces, made.size_eu)
    report = run_bom_benchmark(designs, repeats)
    if _emit_json(report, out, as_json):
        return
    for row in report["designs"]:
        typer.echo(
            f"{row['design']:<16} EU {row['size_eu']:g}: BOM + quote {row['bom_ms_median']:.1f} ms median, "
            f"{row['bom_ms_max']:.1f} ms max; leather lines within {row['worst_difference_pct']:.3f} %; "
            f"materials {row['materials_eur']:.2f}, price {row['price_eur']:.2f} EUR"
        )
    typer.echo(f"meets targets (≤ 100 ms, ≤ 2 %): {report['meets_targets']}")


def bench_schedule(
    pairs: Annotated[int, typer.Option(help="Pairs, 8 operations each.", min=1)] = 300,
    work_centres: Annotated[int, typer.Option(help="Work centres.", min=8)] = 20,
    seconds: Annotated[float, typer.Option(help="Time limit, seconds (model build included).", min=0.5)] = 10.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """300 pairs × 8 operations on 20 work centres within 10 s: CP-SAT against EDD, ATC and its own bound."""
    from benchmarks.schedule import run_schedule_benchmark

    report = run_schedule_benchmark(pairs, work_centres, seconds, seed)
    if _emit_json(report, out, as_json):
        return
    wt = report["weighted_tardiness"]
    typer.echo(
        f"{report['pairs']} pairs × {report['operations_per_pair']} ops on {report['work_centres']} centres in "
        f"{report['wall_s']} s ({report['method']}, {report['status']}): weighted tardiness {wt['cp_sat']} "
        f"(EDD {wt['edd']}, ATC {wt['atc']}, bound {wt['cp_sat_bound']}), valid {report['valid']}"
    )


def bench_tracking(
    database_url: Annotated[str, typer.Option(help="PostgreSQL server; a throwaway database is made on it.")] = (
        DEFAULT_POSTGRES_URL
    ),
    pairs: Annotated[int, typer.Option(help="Pairs receiving events.", min=1)] = 500,
    events_per_pair: Annotated[int, typer.Option(help="Events per pair.", min=2)] = 40,
    batch: Annotated[int, typer.Option(help="Events per request.", min=1)] = 100,
    small_batch: Annotated[int, typer.Option(help="Events per request of the small-batch run.", min=1)] = 10,
    concurrency: Annotated[int, typer.Option(help="Client threads.", min=1)] = 4,
    rate: Annotated[float, typer.Option(help="Offered events/s of the open-loop runs.", min=1)] = 1000.0,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes (one per core).", min=1)] = 2,
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ingest through uvicorn on loopback (PostgreSQL), ETA error on a simulated factory, tamper detection.

    Ingest runs: saturation (closed loop, ``batch`` per request), the offered ``rate`` in batches of ``batch`` and
    of ``small_batch`` (open loop: p99 at a sustained rate), and single-event requests (closed loop)."""
    from benchmarks.tracking import TrackingBenchConfig, run_tracking_benchmark

    config = TrackingBenchConfig(
        postgres_url=database_url, pairs=pairs, events_per_pair=events_per_pair, batch=batch,
        small_batch=small_batch, concurrency=concurrency, rate=rate, workers=workers,
    )  # fmt: skip
    report = run_tracking_benchmark(config)
    if _emit_json(report, out, as_json):
        return
    runs = {name: run for name, run in report["ingest"].items() if isinstance(run, dict)}
    lines = [f"ingest {name}: {r['events_per_s']} events/s, p99 {r['latency_ms']['p99']} ms per request of "
             f"{r['batch']} ({r['load']}, {r['concurrency']} clients)"
             for name, r in runs.items()]  # fmt: skip
    typer.echo(
        "\n".join(
            [
                *lines,
                f"ETA median abs error {report['eta']['median_abs_error_min']}",
                f"tamper detected {report['tamper']['detected']}/{report['tamper']['mutations']}",
            ]
        )
    )


def bench_web(
    scan: Annotated[Path, typer.Option(help="Foot scan the design is fitted to.")] = FIND_TEMPLATE,
    repeats: Annotated[int, typer.Option(min=1, help="Timed runs per figure.")] = 5,
    base_url: Annotated[
        str | None, typer.Option(help="Measure this running app instead of starting one (e.g. http://127.0.0.1:8000).")
    ] = None,
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """The configurator's figures in headless chromium: first 3D render (≤ 2 s), colour change (≤ 100 ms),
    new style or size → new preview (≤ 1.5 s), GLB size (≤ 2 MB)."""
    from playwright.sync_api import sync_playwright

    from benchmarks.web import launch_chromium, run_web_benchmark, running_app
    from manufacturing.accounts.outbox import outbox_folder
    from manufacturing.settings import Settings

    _check_shared(scan)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            if base_url is not None:  # an app on this machine, with these settings: its mail is in our outbox
                report = run_web_benchmark(base_url, browser, scan, repeats, outbox_folder(Settings()))
            else:
                with (
                    tempfile.TemporaryDirectory(prefix="cspms-bench-web-") as tmp,
                    running_app(Path(tmp) / "var") as url,
                ):
                    report = run_web_benchmark(url, browser, scan, repeats, Path(tmp) / "var" / "outbox")
        finally:
            browser.close()
    if _emit_json(report, out, as_json):
        return
    typer.echo(
        f"first render {report['first_render_ms']['max']} ms (≤ 2000); colour change "
        f"{report['colour_change_ms']['max']} ms (≤ 100); new style {report['new_preview_ms']['style']['max']} ms, "
        f"new size {report['new_preview_ms']['size']['max']} ms (≤ 1500); GLB ≤ {report['glb_bytes']['max']} bytes "
        f"(≤ 2 MB); meets targets: {report['meets_targets']}"
    )


def bench_pipeline(
    orders: Annotated[int, typer.Option(help="Orders per (profile, worker count).", min=1)] = 20,
    workers: Annotated[
        list[int] | None, typer.Option(help="Worker processes; repeat for several runs (default: 1 and 2).")
    ] = None,
    profile: Annotated[
        list[str] | None, typer.Option(help="embedded or production; repeat for both (default: both).")
    ] = None,
    json: JsonOption = False,
    out: OutOption = None,
    template: DenseTemplateOption = FIND_TEMPLATE,
    postgres_url: PostgresUrlOption = DEFAULT_POSTGRES_URL,
    redis_url: Annotated[str, typer.Option(help="Redis database used only by the benchmark (it is purged).")] = (
        "redis://127.0.0.1:6379/13"
    ),
) -> None:
    """End-to-end latency per order (scan → work order) p50 / p95 and throughput, for 1 and 2 workers."""
    from benchmarks.pipeline import PROFILES, PipelineBenchConfig, run_pipeline_benchmark
    from geometry.errors import InputError

    profiles = tuple(profile or PROFILES)
    unknown = set(profiles) - set(PROFILES)
    if unknown:
        raise InputError(f"unknown profile {sorted(unknown)}; use embedded or production", profile=sorted(unknown))
    _check_shared(template)
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
    if _emit_json(report, out, json):
        return
    for name, runs in report["profiles"].items():
        for key, run in runs.items():
            latency = run["latency_seconds"]
            typer.echo(
                f"{name} {key}: p50 {latency['p50']} s, p95 {latency['p95']} s, "
                f"{run['throughput_orders_per_min']} orders/min, lost {run['lost']}, "
                f"duplicates {run['duplicate_artifacts'] + run['duplicate_work_orders']}"
            )


def bench_soak(
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
    template: DenseTemplateOption = FIND_TEMPLATE,
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
    from benchmarks.soak import SoakConfig, parse_fault_kinds, run_soak

    _check_shared(template)

    def soak_in(folder: Path) -> dict[str, Any]:
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
    if not _emit_json(report, out, json):
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


def _check_shared(*paths: Path) -> None:
    from geometry.errors import InputError

    for path in paths:
        if not path.is_file():
            raise InputError(f"{path} does not exist (clone shared/ beside the repository)", path=str(path))


def _with_progress(label: str, total: int, run: Callable[[Callable[[], None]], dict[str, Any]]) -> dict[str, Any]:
    """``run(advance)`` with a progress bar on stderr that ``advance`` moves one step."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task(label, total=total)
        return run(lambda: progress.advance(task))


def _emit_json(report: dict[str, Any], out: Path | None, as_json: bool) -> bool:
    """Write the report to ``out``; print it with ``--json`` (then the caller prints nothing else)."""
    text = json.dumps(report, indent=2)
    if out is not None:
        out.write_text(text)
    if as_json:
        typer.echo(text)
    return as_json


bench_app = typer.Typer(help="Benchmarks that write their figures as JSON.", no_args_is_help=True)
bench_app.command("scan")(bench_scan)
bench_app.command("last")(bench_last)
bench_app.command("patterns")(bench_patterns)
bench_app.command("nesting")(bench_nesting)
bench_app.command("bom")(bench_bom)
bench_app.command("schedule")(bench_schedule)
bench_app.command("tracking")(bench_tracking)
bench_app.command("web")(bench_web)
bench_app.command("pipeline")(bench_pipeline)
bench_app.command("soak")(bench_soak)
bench_app.command("flatten")(bench_flatten)


def bench_ledger(
    pairs: Annotated[int, typer.Option(help="Pairs in the ledger.")] = 20,
    events: Annotated[int, typer.Option(help="Events per pair.")] = 16,
    trials: Annotated[int, typer.Option(help="Tamperings of each kind, before and after the day is sealed.")] = 5,
    database_url: Annotated[
        str | None, typer.Option(help="A PostgreSQL server to make a throwaway database on (default: SQLite).")
    ] = None,
    seed: SeedOption = 2026,
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ledger tampering (single edits, inserts, deletes, consistent rewrites, root rows, the published file)
    detected after the next interval seal, sealed day or not: detected/total per kind."""
    from benchmarks.ledger import LedgerBenchConfig, run_ledger_benchmark

    config = LedgerBenchConfig(database_url=database_url, pairs=pairs, events_per_pair=events, trials=trials, seed=seed)
    report = run_ledger_benchmark(config)
    if _emit_json(report, out, as_json):
        return
    for name, modes in report["kinds"].items():
        tallies = (f"{mode}: {t['detected']}/{t['total']} (named {t['named']})" for mode, t in modes.items())
        typer.echo(f"{name:30s} " + "  ".join(tallies))
    typer.echo(f"detected {report['detected']}/{report['total']} (chain and day checks alone: "
               f"{report['detected_by_chain_and_day_checks']})")  # fmt: skip


bench_app.command("ledger")(bench_ledger)


def bench_reads(
    database: Annotated[str, typer.Option(help="sqlite (a file in a temp folder) or postgres.")] = "sqlite",
    database_url: PostgresUrlOption = DEFAULT_POSTGRES_URL,
    orders: Annotated[int, typer.Option(help="Orders of 1–3 pairs, each pair with its run and events.", min=1)] = 100,
    clients: Annotated[int, typer.Option(help="Concurrent keep-alive connections.", min=1)] = 16,
    seconds: Annotated[float, typer.Option(help="Load per endpoint, seconds.", min=1)] = 10.0,
    workers: Annotated[int | None, typer.Option(help="Server processes (default: CSPMS_WEB_WORKERS's).")] = None,
    big_pair_events: Annotated[int, typer.Option(help="Events of the one busy pair.", min=1)] = 20_000,
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Order status and pair progress through `cspms serve` at 16 clients (requests/s, p50/p95/p99), and the
    progress read of a pair with 20,000 events; targets ≥ 500 requests/s, p99 ≤ 100 ms, ≤ 20 ms."""
    from benchmarks.reads import ReadsBenchConfig, run_reads_benchmark

    if database not in ("sqlite", "postgres"):
        raise typer.BadParameter("sqlite or postgres", param_hint="--database")
    config = ReadsBenchConfig(database=database, postgres_url=database_url, orders=orders, clients=clients,
                              seconds=seconds, workers=workers, big_pair_events=big_pair_events)  # fmt: skip
    report = run_reads_benchmark(config)
    if _emit_json(report, out, as_json):
        return
    for name in ("order_status", "pair_progress"):
        r = report[name]
        typer.echo(f"{name}: {r['requests_per_s']} requests/s, p50 {r['latency_ms']['p50']} ms, p99 "
                   f"{r['latency_ms']['p99']} ms, {r['errors']} errors ({report['database']})")  # fmt: skip
    big = report["big_pair"]
    typer.echo(f"{big['events']}-event pair: progress {big['over_http']['p50']} ms over HTTP, "
               f"{big['in_process_ms']['p50']} ms in process; meets targets: {report['meets_targets']}")  # fmt: skip


bench_app.command("reads")(bench_reads)


def bench_hostile(
    template: TemplateOption = FIND_TEMPLATE,
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Hostile uploads and requests against `cspms serve`: server errors (target 0), peak memory added per upload
    against its size limit (≤ 2×) and /api/health latency while each runs (≤ 200 ms)."""
    from benchmarks.hostile import HostileBenchConfig, run_hostile_benchmark

    _check_shared(template)
    report = run_hostile_benchmark(HostileBenchConfig(template_path=template))
    if _emit_json(report, out, as_json):
        return
    for row in report["cases"]:
        typer.echo(f"{row['status']:>3} {row['case']}: +{row['peak_memory_added_bytes'] / 2**20:.0f} MiB, "
                   f"health max {row['health_ms']['max']} ms")  # fmt: skip
    typer.echo(f"server errors {report['server_errors']}, dropped {report['dropped_connections']}, memory ratio "
               f"{report['peak_memory_added_max_ratio_to_limit']}, health max "
               f"{report['health_during_uploads_ms']['max']} ms; meets targets: {report['meets_targets']}")  # fmt: skip


bench_app.command("hostile")(bench_hostile)

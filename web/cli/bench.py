"""``cspms bench``: accuracy and speed figures, written as JSON (long runs: commands, not tests)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from web.cli.bom import bench_bom_command
from web.cli.nesting import bench_nesting_command
from web.cli.patterns import bench_patterns_command
from web.cli.pipeline_bench import bench_pipeline_command, bench_soak_command
from web.cli.planning import bench_schedule_command
from web.cli.tracking import bench_tracking_command
from web.cli.webbench import bench_web_command

bench_app = typer.Typer(help="Benchmarks that write their figures as JSON.", no_args_is_help=True)

SHARED_DATA = Path("../shared/data")

# The options every cohort benchmark takes.
SeedOption = Annotated[int, typer.Option(help="Random seed: the same seed gives the same cohort.")]
WorkersOption = Annotated[int, typer.Option(help="Worker processes.")]
TemplateOption = Annotated[Path, typer.Option(help="Template foot mesh.")]
AnsurOption = Annotated[Path, typer.Option(help="ANSUR II foot extract (CSV).")]
OutOption = Annotated[Path | None, typer.Option(help="Also write the JSON report here.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")]


@bench_app.command("scan")
def bench_scan(
    feet: Annotated[int, typer.Option(help="Generated feet (ANSUR II rows, FIND template deformed).")] = 200,
    seed: SeedOption = 2026,
    workers: WorkersOption = 2,
    template: TemplateOption = SHARED_DATA / "feet/find_template.obj",
    ansur: AnsurOption = SHARED_DATA / "anthropometry/ansur2_foot_extract.csv",
    speed_repeats: Annotated[int, typer.Option(help="Timed runs for the speed figures (0 skips them).")] = 15,
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Scan accuracy on a generated cohort (meshes and noisy holed clouds), invariance, and speed."""
    from lasts.scan_benchmark import BenchConfig, run_scan_benchmark, run_speed_benchmark

    _check_shared(template, ansur)
    config = BenchConfig(template_path=template, ansur_path=ansur, feet=feet, seed=seed, workers=workers)
    report = _with_progress("feet", feet, lambda advance: run_scan_benchmark(config, progress=advance))
    if speed_repeats:
        report["speed"] = run_speed_benchmark(template, repeats=speed_repeats)
    if _emit_json(report, out, as_json):
        return
    for kind in ("mesh", "cloud"):
        part = report[kind]
        typer.echo(
            f"{kind:5s}: {part['measured']}/{report['feet']} measured, side right {part['side_correct']}, "
            f"units right {part['units_correct']}, worst p95 length {part['worst_p95_length_mm']} mm, "
            f"girth {part['worst_p95_girth_mm']} mm, meets targets: {part['meets_targets']}"
        )
    if "speed" in report:
        speed = report["speed"]
        typer.echo(
            f"speed: {speed['mesh_faces']}-face mesh {speed['mesh_seconds']} s; 200k cloud {speed['cloud_seconds']} s"
        )


@bench_app.command("last")
def bench_last(
    feet: Annotated[int, typer.Option(help="Cohort feet (ANSUR II rows, FIND template deformed).")] = 200,
    seed: SeedOption = 2026,
    workers: WorkersOption = 2,
    template: TemplateOption = SHARED_DATA / "feet/find_template.obj",
    ansur: AnsurOption = SHARED_DATA / "anthropometry/ansur2_foot_extract.csv",
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Last fitting on a cohort (error and time per foot), build time, and the FIND foot's fits by style."""
    from lasts.last_benchmark import LastBenchConfig, build_time_ms, find_fits, run_last_benchmark

    _check_shared(template, ansur)
    config = LastBenchConfig(template_path=template, ansur_path=ansur, feet=feet, seed=seed, workers=workers)
    report = _with_progress("feet", feet, lambda advance: run_last_benchmark(config, progress=advance))
    report["build_50k"] = build_time_ms()
    report["find"] = find_fits(template)
    if _emit_json(report, out, as_json):
        return
    typer.echo(
        f"{report['fitted']}/{report['feet']} fitted; max error per foot {report['max_error_per_foot_mm']} mm; "
        f"solver {report['solver_seconds']} s; build {report['build_50k']}; meets targets: {report['meets_targets']}"
    )
    for style, fit in report["find"].items():
        typer.echo(f"FIND {style}: toe room {fit['toe_room_mm']} mm, girth deltas {fit['girth_deltas_mm']}")


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


# Benchmarks whose commands live beside their domain's CLI.
bench_app.command("patterns")(bench_patterns_command)
bench_app.command("nesting")(bench_nesting_command)
bench_app.command("bom")(bench_bom_command)
bench_app.command("schedule")(bench_schedule_command)
bench_app.command("tracking")(bench_tracking_command)
bench_app.command("web")(bench_web_command)
bench_app.command("pipeline")(bench_pipeline_command)
bench_app.command("soak")(bench_soak_command)


@bench_app.command("flatten")
def bench_flatten(
    lasts: Annotated[int, typer.Option(help="Cohort feet, each fitted with every style's last.")] = 50,
    seed: SeedOption = 2026,
    workers: WorkersOption = 2,
    template: TemplateOption = SHARED_DATA / "feet/find_template.obj",
    ansur: AnsurOption = SHARED_DATA / "anthropometry/ansur2_foot_extract.csv",
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Five styles flattened on cohort lasts, both feet: strain per piece, seams, coverage, time per pair."""
    from configurator.flatten_benchmark import FlattenBenchConfig, run_flatten_benchmark

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

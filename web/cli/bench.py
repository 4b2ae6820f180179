"""``cspms bench``: accuracy and speed figures, written as JSON (long runs: commands, not tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

bench_app = typer.Typer(help="Benchmarks that write their figures as JSON.", no_args_is_help=True)

SHARED_DATA = Path("../shared/data")


@bench_app.command("scan")
def bench_scan(
    feet: Annotated[int, typer.Option(help="Generated feet (ANSUR II rows, FIND template deformed).")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same cohort.")] = 2026,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    template: Annotated[Path, typer.Option(help="Template foot mesh.")] = SHARED_DATA / "feet/find_template.obj",
    ansur: Annotated[Path, typer.Option(help="ANSUR II foot extract (CSV).")] = (
        SHARED_DATA / "anthropometry/ansur2_foot_extract.csv"
    ),
    speed_repeats: Annotated[int, typer.Option(help="Timed runs for the speed figures (0 skips them).")] = 15,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON report here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")] = False,
) -> None:
    """Scan accuracy on a generated cohort (meshes and noisy holed clouds), invariance, and speed."""
    from geometry.errors import InputError
    from lasts.scan_benchmark import BenchConfig, run_scan_benchmark, run_speed_benchmark

    for path in (template, ansur):
        if not path.is_file():
            raise InputError(f"{path} does not exist (clone shared/ beside the repository)", path=str(path))
    config = BenchConfig(template_path=template, ansur_path=ansur, feet=feet, seed=seed, workers=workers)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task("feet", total=feet)
        report = run_scan_benchmark(config, progress=lambda: progress.advance(task))
    if speed_repeats:
        report["speed"] = run_speed_benchmark(template, repeats=speed_repeats)
    text = json.dumps(report, indent=2)
    if out is not None:
        out.write_text(text)
    if as_json:
        typer.echo(text)
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

"""``cspms nest``: nest pieces on a strip (rolls, sheets) or on hides (leather), and ``cspms bench nesting``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

nest_app = typer.Typer(
    help="Nesting: strip packing for rolls and sheets, hide nesting for leather.", no_args_is_help=True
)

SHARED_NESTING = Path("../shared/data/nesting")


@nest_app.command("strip")
def nest_strip_command(
    instance: Annotated[Path, typer.Argument(help="Strip instance, jagua-rs / sparrow JSON.")],
    seconds: Annotated[int, typer.Option(help="Time budget in seconds.", min=1)] = 10,
    kerf: Annotated[float, typer.Option(help="Minimum gap between pieces (kerf), in the file's units.", min=0)] = 0.0,
    svg: Annotated[Path | None, typer.Option(help="Also draw the layout here (SVG).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print length, density and placements as JSON.")] = False,
) -> None:
    """Pack every copy of the items on the strip as short as possible (spyrrow), validated exactly."""
    from manufacturing.nesting.nest_svg import strip_layout_svg
    from manufacturing.nesting.readers import read_strip_instance
    from manufacturing.nesting.strip import nest_strip

    layout = nest_strip(read_strip_instance(instance), seconds, kerf_mm=kerf)
    if svg is not None:
        svg.write_text(strip_layout_svg(layout))
    record = layout.to_dict()
    if as_json:
        typer.echo(json.dumps(record, indent=2))
        return
    typer.echo(
        f"{layout.instance.name}: {len(layout.placements)} pieces, length {layout.length_mm:.3f}, "
        f"density {layout.density:.2%}"
    )


@nest_app.command("hides")
def nest_hides_command(
    instance: Annotated[Path, typer.Argument(help="Hide instance, OR-Datasets (Baldacci) JSON, mm.")],
    seconds: Annotated[float, typer.Option(help="Time budget in seconds.", min=0.1)] = 10.0,
    kerf: Annotated[float, typer.Option(help="Minimum gap between pieces (kerf), mm.", min=0)] = 0.0,
    demand_factor: Annotated[float, typer.Option(help="Multiply every piece's demand.", min=0)] = 1.0,
    baseline: Annotated[bool, typer.Option(help="Use the plain bottom-left-fill reference instead.")] = False,
    svg_dir: Annotated[Path | None, typer.Option(help="Also draw each used hide here (hide-<id>.svg).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print utilisation, placements, unplaced as JSON.")] = False,
) -> None:
    """Nest the pieces on the hides around holes, defects and quality zones, validated exactly."""
    from manufacturing.nesting.baseline import nest_hides_bottom_left
    from manufacturing.nesting.hides import HideNestConfig, nest_hides
    from manufacturing.nesting.nest_svg import hide_layout_svg
    from manufacturing.nesting.readers import read_hide_instance

    problem = read_hide_instance(instance)
    if demand_factor != 1.0:
        problem = problem.with_demand_factor(demand_factor)
    config = HideNestConfig(seconds=seconds, kerf_mm=kerf)
    layout = nest_hides_bottom_left(problem, config) if baseline else nest_hides(problem, config)
    if svg_dir is not None:
        svg_dir.mkdir(parents=True, exist_ok=True)
        for hide_id in sorted({p.hide_id for p in layout.placements}):
            (svg_dir / f"hide-{hide_id}.svg").write_text(hide_layout_svg(layout, hide_id))
    record = layout.to_dict()
    if as_json:
        typer.echo(json.dumps(record, indent=2))
        return
    typer.echo(
        f"{problem.name}: {len(layout.placements)} pieces on {len({p.hide_id for p in layout.placements})} hides, "
        f"utilisation {layout.utilisation:.2%} of the usable hide area, placed {layout.placed_area_mm2 / 1e6:.3f} m²"
    )
    unplaced = record["unplaced"]
    typer.echo("  all demand placed" if not unplaced else f"  unplaced: {unplaced}")


def bench_nesting_command(
    seconds: Annotated[
        list[float] | None, typer.Option(help="Strip time budgets in seconds (repeat the option).")
    ] = None,
    hide_seconds: Annotated[float, typer.Option(help="Time budget per hide run, seconds.")] = 60.0,
    data: Annotated[Path, typer.Option(help="shared/data/nesting folder.")] = SHARED_NESTING,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON report here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")] = False,
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
    from geometry.errors import InputError
    from manufacturing.nesting.bench import run_nesting_benchmark

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
    text = json.dumps(report, indent=2)
    if out is not None:
        out.write_text(text)
    if as_json:
        typer.echo(text)
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

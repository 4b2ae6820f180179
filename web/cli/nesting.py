"""``cspms nest``: nest pieces on a strip (rolls, sheets) or on hides (leather)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


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

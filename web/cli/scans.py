"""``cspms scan``: measure foot scans from the command line."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer


class UnitsChoice(StrEnum):
    AUTO = "auto"
    MM = "mm"
    CM = "cm"
    M = "m"
    IN = "in"


class SideChoice(StrEnum):
    AUTO = "auto"
    LEFT = "left"
    RIGHT = "right"


def measure(
    file: Annotated[Path, typer.Argument(help="Scan: STL, OBJ, PLY, OFF, GLB/glTF, 3MF, XYZ/ASC or PCD.")],
    units: Annotated[UnitsChoice, typer.Option(help="File units; auto tells them from the foot's size.")] = (
        UnitsChoice.AUTO
    ),
    side: Annotated[SideChoice, typer.Option(help="Left or right foot; auto detects it.")] = SideChoice.AUTO,
    cut_height: Annotated[
        float, typer.Option(help="Drop the leg above this fraction of the foot length.", min=0.3, max=1.5)
    ] = 0.6,
    sheet: Annotated[Path | None, typer.Option(help="Also write the measurement sheet (SVG) here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full record as JSON.")] = False,
) -> None:
    """Measure a foot scan: side, units, landmarks and every measurement in mm."""
    from lasts.scans import IngestOptions, ingest_scan
    from lasts.sheet import measurement_sheet_svg
    from lasts.side import Side
    from manufacturing.settings import get_settings
    from web.cli.inputs import read_input_file

    data = read_input_file(file, get_settings().max_upload_bytes)
    foot_side: Side | Literal["auto"] = "auto" if side is SideChoice.AUTO else Side(side.value)
    foot = ingest_scan(data, file.name, IngestOptions(units=units.value, side=foot_side, cut_height=cut_height))
    if sheet is not None:
        svg = measurement_sheet_svg(foot.surface.vertices, foot.landmarks, foot.measurements, file.name, foot.side)
        sheet.write_text(svg)
    record = foot.to_dict()
    if as_json:
        typer.echo(json.dumps(record, indent=2))
        return
    typer.echo(
        f"{file.name}: {foot.side} foot, units {foot.units.unit}" + (" (detected)" if foot.units.detected else "")
    )
    for key, value in foot.measurements.values().items():
        shown = "not reached by the scan" if value is None else f"{value:8.1f} mm"
        typer.echo(f"  {key.removesuffix('_mm').replace('_', ' '):<20} {shown}")

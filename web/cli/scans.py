"""``cspms scan``: measure foot scans from the command line."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:
    from lasts.scans import MeasuredFoot


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
    side: Annotated[
        SideChoice,
        typer.Option(
            help="Confirm the side: measured as it even if the shape shows the other (mirrored back, flagged). "
            "auto: the shape tells it, checked against a side in the file name."
        ),
    ] = SideChoice.AUTO,
    cut_height: Annotated[
        float, typer.Option(help="Drop the leg above this fraction of the foot length.", min=0.3, max=1.5)
    ] = 0.6,
    known_length_mm: Annotated[
        float | None,
        typer.Option(
            help="The foot's length in mm, for a scan of unknown scale (photogrammetry): it sets the scale.",
            min=90.0,
            max=480.0,
        ),
    ] = None,
    scale: Annotated[
        float | None, typer.Option(help="mm per file unit, for a scan of unknown scale (instead of --units).")
    ] = None,
    sheet: Annotated[Path | None, typer.Option(help="Also write the measurement sheet (SVG) here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full record as JSON.")] = False,
) -> None:
    """Measure a foot scan: side, units, landmarks and every measurement in mm (both feet of a file holding a
    pair)."""
    from lasts.scans import IngestOptions, MeasuredPair, ingest_feet
    from lasts.sheet import measurement_sheet_svg
    from lasts.side import Side
    from manufacturing.settings import get_settings
    from web.cli.inputs import read_input_file

    data = read_input_file(file, get_settings().max_upload_bytes)
    foot_side: Side | Literal["auto"] = "auto" if side is SideChoice.AUTO else Side(side.value)
    options = IngestOptions(units=units.value, side=foot_side, cut_height=cut_height, mm_per_unit=scale,
                            known_length_mm=known_length_mm)  # fmt: skip
    measured = ingest_feet(data, file.name, options)
    feet = measured.feet if isinstance(measured, MeasuredPair) else (measured,)
    if sheet is not None:
        for foot in feet:  # a pair: one sheet per foot, named for its side
            path = sheet if len(feet) == 1 else sheet.with_name(f"{sheet.stem}-{foot.side}{sheet.suffix}")
            path.write_text(measurement_sheet_svg(foot.surface.vertices, foot.landmarks, foot.measurements,
                                                  file.name, foot.side, foot.partial))  # fmt: skip
    if as_json:
        typer.echo(json.dumps(measured.to_dict(), indent=2))
        return
    if len(feet) > 1:
        typer.echo(f"{file.name}: two feet, {' and '.join(str(foot.side) for foot in feet)}: each measured on its own")
    for foot in feet:
        _echo_foot(file.name, foot)


def _echo_foot(name: str, foot: MeasuredFoot) -> None:
    """One foot's side, units, measurements, and what the scan lacks, as text."""
    units_said = f"units {foot.units.unit}" + (" (detected)" if foot.units.detected else "")
    if foot.units.unit == "user":
        units_said = f"scale {foot.units.mm_per_unit:.6g} mm per file unit (given)"
    typer.echo(f"{name}: {foot.side} foot{_side_said(foot)}, {units_said}")
    for key, value in foot.measurements.values().items():
        estimate = foot.measurements.estimated.get(key)
        shown = "not reached by the scan" if value is None else f"{value:8.1f} mm"
        if value is None and estimate is not None:
            shown = f"≈{estimate.value_mm:7.0f} ± {estimate.uncertainty_95_mm:.0f} mm (estimated: {estimate.method})"
        typer.echo(f"  {key.removesuffix('_mm').replace('_', ' '):<20} {shown}")
    for warning in foot.measurements.warnings:
        typer.echo(f"  warning: {warning}")
    for note in () if foot.partial is None else foot.partial.notes:
        typer.echo(f"  note: {note}")


def _side_said(foot: MeasuredFoot) -> str:
    """How the side was settled, when not by the shape alone: `` (as confirmed, mirrored back...)``."""
    decision = foot.side_decision
    if decision is None or decision.source == "anatomy":
        return ""
    if decision.mirrored:
        return f" (as confirmed; the scan showed a {decision.anatomy} foot: mirrored back)"
    return {"confirmed": " (as confirmed)", "claimed": f" (as the {decision.claimed_by} says: its shape cannot tell)",
            "pair": " (the other foot of the pair: its shape cannot tell)"}[decision.source.value]  # fmt: skip

"""``cspms size``: convert shoe sizes between systems and size a foot from a scan or its measurements."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from lasts.sizes import SIZE_SYSTEMS
from web.cli.scans import SideChoice, UnitsChoice

MAX_MEASUREMENTS_BYTES = 1024 * 1024
ALL = "all"


def convert(
    size: Annotated[float, typer.Argument(help="The size to convert, e.g. 42 or 8.5.")],
    from_system: Annotated[str, typer.Option("--from", help=f"System of SIZE: {', '.join(SIZE_SYSTEMS)}.")],
    to_system: Annotated[str, typer.Option("--to", help="Target system, or 'all'.")] = ALL,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Convert a size label to other systems (nearest stock size, as charts do), with the foot length it fits."""
    from lasts.sizes import SYSTEMS, convert_size, foot_length_mm, format_size, get_size_system

    source = get_size_system(from_system)
    targets = _systems(to_system, exclude=source.name)
    length_mm = foot_length_mm(size, source.name)
    converted = {name: convert_size(size, source.name, name) for name in targets}
    if as_json:
        record = {"size": size, "from": source.name, "to": converted, "foot_length_mm": round(length_mm, 2)}
        typer.echo(json.dumps(record, indent=2))
        return
    given = f"{source.label} {format_size(size)}"
    for name, value in converted.items():
        typer.echo(f"{given} = {SYSTEMS[name].label} {format_size(value)}")
    typer.echo(f"foot length {length_mm:.1f} mm")


def size_for(
    scan: Annotated[Path | None, typer.Option(help="Foot scan: STL, OBJ, PLY, OFF, GLB/glTF, 3MF, XYZ.")] = None,
    measurements: Annotated[
        Path | None, typer.Option(help="Measurements JSON (as `cspms scan measure --json` prints) instead of a scan.")
    ] = None,
    system: Annotated[str, typer.Option(help="Size system, or 'all'.")] = ALL,
    units: Annotated[UnitsChoice, typer.Option(help="Scan units; auto tells them from the foot's size.")] = (
        UnitsChoice.AUTO
    ),
    side: Annotated[SideChoice, typer.Option(help="Left or right foot; auto detects it.")] = SideChoice.AUTO,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Size a foot: the stock size (rounded up: never shorter than the foot) and nearest width in each system."""
    from geometry.errors import InputError
    from lasts.sizes import nearest_stock_size

    names = _systems(system)
    if scan is not None and measurements is None:
        foot = _foot_from_scan(scan, units, side)
    elif measurements is not None and scan is None:
        foot = _foot_from_measurements(measurements)
    else:
        raise InputError("give exactly one of --scan FILE or --measurements FILE.json")
    sizes = {
        name: nearest_stock_size(
            foot["foot_length_mm"], foot["ball_girth_mm"], name, ball_width_mm=foot["ball_width_mm"]
        ).to_dict()
        for name in names
    }
    if as_json:
        typer.echo(json.dumps({**foot, "sizes": sizes}, indent=2))
        return
    width_text = "" if foot["ball_width_mm"] is None else f", ball width {foot['ball_width_mm']:.1f} mm"
    typer.echo(
        f"{foot['source']}: {foot['side'] or 'unknown side'} foot, length {foot['foot_length_mm']:.1f} mm, "
        f"ball girth {foot['ball_girth_mm']:.1f} mm{width_text}"
    )
    for stock in sizes.values():
        girth = stock["ball_girth_difference_mm"]
        girth_text = "" if girth is None else f", ball girth {girth:+.1f} mm"
        typer.echo(f"  {stock['label']:<28} stock vs foot: length {stock['length_difference_mm']:+.1f} mm{girth_text}")


def _systems(choice: str, exclude: str | None = None) -> list[str]:
    from lasts.sizes import get_size_system

    if choice.lower() == ALL:
        return [name for name in SIZE_SYSTEMS if name != exclude]
    return [get_size_system(choice).name]


def _foot_from_scan(scan: Path, units: UnitsChoice, side: SideChoice) -> dict[str, Any]:
    from lasts.scans import IngestOptions, ingest_scan
    from lasts.side import Side
    from manufacturing.settings import get_settings
    from web.cli.inputs import read_input_file

    data = read_input_file(scan, get_settings().max_upload_bytes)
    foot_side: Side | Literal["auto"] = "auto" if side is SideChoice.AUTO else Side(side.value)
    measured = ingest_scan(data, scan.name, IngestOptions(units=units.value, side=foot_side))
    values = measured.measurements.values()
    return {
        "source": scan.name,
        "side": measured.side,
        "foot_length_mm": values["foot_length_mm"],
        "ball_girth_mm": values["ball_girth_mm"],
        "ball_width_mm": values["ball_width_mm"],
    }


def _foot_from_measurements(path: Path) -> dict[str, Any]:
    from geometry.errors import InputError
    from web.cli.inputs import read_input_file

    try:
        record = json.loads(read_input_file(path, MAX_MEASUREMENTS_BYTES))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is not JSON: {exc}", path=str(path)) from None
    if not isinstance(record, dict):
        raise InputError(f"{path} must hold a JSON object with foot_length_mm and ball_girth_mm", path=str(path))
    missing = [key for key in ("foot_length_mm", "ball_girth_mm") if record.get(key) is None]
    if missing:
        raise InputError(f"{path} lacks {' and '.join(missing)} (mm)", path=str(path), missing=missing)
    for key in ("foot_length_mm", "ball_girth_mm", "ball_width_mm"):
        value = record.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InputError(f"{path}: {key} must be a number of mm, not {value!r}", path=str(path), key=key)
    return {
        "source": path.name,
        "side": record.get("side"),
        "foot_length_mm": float(record["foot_length_mm"]),
        "ball_girth_mm": float(record["ball_girth_mm"]),
        "ball_width_mm": None if record.get("ball_width_mm") is None else float(record["ball_width_mm"]),
    }

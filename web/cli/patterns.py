"""``cspms pattern``: check and convert pattern files."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

MAX_PATTERN_BYTES = 64 * 1024 * 1024


class ConvertTarget(StrEnum):
    PLT = "plt"
    DXF_CUTTER = "dxf-cutter"
    SVG = "svg"
    PDF = "pdf"


def _read_pattern(file: Path) -> Any:
    from geometry.exchange.astm_dxf import read_astm_dxf
    from web.cli.inputs import read_input_file

    return read_astm_dxf(read_input_file(file, MAX_PATTERN_BYTES), file.name)


def check(
    file: Annotated[Path, typer.Argument(help="ASTM D6673 / AAMA pattern DXF.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Read and validate a pattern DXF: every piece, its size, area, perimeter, markings; what was tolerated."""
    read = _read_pattern(file)
    pattern = read.pattern
    pieces = [
        {
            "name": p.name,
            "size": p.size,
            "quantity": p.quantity,
            "material": p.material,
            "category": p.category,
            "cut_line_points": len(p.cut_line),
            "area_mm2": round(p.area_mm2, 1),
            "perimeter_mm": round(p.perimeter_mm, 1),
            "bounds_mm": [round(v, 2) for v in p.bounds_mm],
            "notches": len(p.notches),
            "drill_holes": len(p.drill_holes),
            "sew_lines": len(p.stitch_lines),
            "internal_lines": len(p.internal_lines),
            "internal_cutouts": len(p.internal_cutouts),
            "grain_line": p.grain_line is not None,
        }
        for p in pattern.pieces
    ]
    record = {
        "file": file.name,
        "style": pattern.style_name,
        "sample_size": pattern.sample_size,
        "created": pattern.created.isoformat(),
        "units_in_file": read.units,
        "sizes": list(pattern.sizes),
        "pieces": pieces,
        "repairs": list(read.repairs),
        "warnings": list(read.warnings),
    }
    if as_json:
        typer.echo(json.dumps(record, indent=2))
        return
    typer.echo(
        f"{file.name}: style {pattern.style_name}, {len(pattern.piece_names)} pieces × {len(pattern.sizes)} sizes "
        f"({', '.join(pattern.sizes)}), sample size {pattern.sample_size}, units {read.units}"
    )
    for piece in pieces:
        typer.echo(
            f"  {piece['name']:<20} {piece['size']:>5}  area {piece['area_mm2']:>9.1f} mm²  "
            f"perimeter {piece['perimeter_mm']:>7.1f} mm  notches {piece['notches']}  holes {piece['drill_holes']}"
        )
    for line in read.repairs:
        typer.echo(f"  repaired: {line}")
    for line in read.warnings:
        typer.echo(f"  warning: {line}")


def convert(
    file: Annotated[Path, typer.Argument(help="ASTM D6673 / AAMA pattern DXF.")],
    to: Annotated[ConvertTarget, typer.Option("--to", help="plt (HPGL), dxf-cutter (plain DXF), svg or pdf.")],
    out: Annotated[Path, typer.Option(help="Output file.")],
    size: Annotated[str | None, typer.Option(help="Only this size (default: every size).")] = None,
    width_mm: Annotated[float, typer.Option(help="Width of the cutting table / layout, mm.", min=50)] = 1000.0,
) -> None:
    """Convert a pattern DXF for a cutter (HPGL, plain DXF) or for people (SVG preview, tiled 1:1 PDF)."""
    from geometry.errors import PatternError
    from geometry.exchange.cutter import cutter_paths, shelf_layout, write_cutter_dxf, write_hpgl
    from geometry.exchange.pattern_pdf import pattern_pdf
    from geometry.exchange.pattern_svg import pattern_svg

    pattern = _read_pattern(file).pattern
    pieces = pattern.of_size(size) if size is not None else pattern.pieces
    if not pieces:
        raise PatternError(f"{file.name} has no size {size} (sizes: {', '.join(pattern.sizes)})")
    placed = shelf_layout(pieces, width_mm=width_mm)
    title = f"{pattern.style_name}" + (f" size {size}" if size else "")
    if to is ConvertTarget.PLT:
        out.write_bytes(write_hpgl(cutter_paths(placed)))
    elif to is ConvertTarget.DXF_CUTTER:
        out.write_bytes(write_cutter_dxf(cutter_paths(placed)))
    elif to is ConvertTarget.SVG:
        out.write_text(pattern_svg(placed, title), encoding="utf-8")
    else:
        out.write_bytes(pattern_pdf(placed, title))
    typer.echo(f"{out}: {len(placed)} pieces as {to.value}")

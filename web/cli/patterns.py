"""``cspms pattern``: check and convert pattern files; ``bench_patterns_command`` is ``cspms bench patterns``."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

pattern_app = typer.Typer(
    help="Pattern files: ASTM/AAMA DXF in, cutter DXF / HPGL / SVG / PDF out.", no_args_is_help=True
)

MAX_PATTERN_BYTES = 64 * 1024 * 1024


class ConvertTarget(StrEnum):
    PLT = "plt"
    DXF_CUTTER = "dxf-cutter"
    SVG = "svg"
    PDF = "pdf"


def _read_pattern(file: Path) -> Any:
    from geometry.exchange.astm_dxf import read_astm_dxf
    from web.cli.main import read_input_file

    return read_astm_dxf(read_input_file(file, MAX_PATTERN_BYTES), file.name)


@pattern_app.command("check")
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


@pattern_app.command("convert")
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


def bench_patterns_command(
    repeats: Annotated[int, typer.Option(help="Timed runs; the best counts.", min=1)] = 3,
    scan: Annotated[
        Path | None, typer.Option(help="Foot scan for the real style run (default: the FIND foot); 'none' skips it.")
    ] = Path("../shared/data/feet/find_template.obj"),
    out: Annotated[Path | None, typer.Option(help="Also write the JSON report here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")] = False,
) -> None:
    """Pattern files: write and read a graded derby run (9 sizes × 8 pieces) as ASTM DXF; file sizes."""
    from geometry.exchange.pattern_bench import run_pattern_benchmark

    report = run_pattern_benchmark(repeats=repeats)
    if scan is not None and scan.name != "none":
        from manufacturing.patterns.bench import run_style_run_benchmark

        report["style_size_run"] = run_style_run_benchmark(scan, repeats=repeats)
    text = json.dumps(report, indent=2)
    if out is not None:
        out.write_text(text)
    if as_json:
        typer.echo(text)
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

"""``cspms style``: the style library, and a style's pattern pieces on a foot's lasts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from web.cli.lasts import FitChoice, StyleChoice

if TYPE_CHECKING:
    from lasts.fitting import FitPreference
    from lasts.model import LastParameters
    from lasts.side import Side

STYLE_SHEET_FACE_COUNT = 3_000


def list_styles(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every style with its pieces, material slots and laps."""
    from configurator.styles.library import STYLES

    styles: list[dict[str, Any]] = []
    for make in STYLES.values():
        style = make()
        styles.append({
            "name": style.name,
            "title": style.title,
            "pieces": [
                {"name": p.name, "kind": p.kind, "material_slot": p.material_slot, "moulded": p.moulded}
                for p in style.pieces
            ],
            "laps": [{"over": lap.over, "under": lap.under, "closed": lap.closed} for lap in style.laps],
        })  # fmt: skip
    if as_json:
        typer.echo(json.dumps(styles, indent=2))
        return
    for entry in styles:
        names = ", ".join(p["name"] for p in entry["pieces"])
        typer.echo(f"{entry['name']:<16} {entry['title']}: {names}")


def flatten(
    out: Annotated[Path, typer.Option(help="Folder for the pattern files and the report.")],
    style: Annotated[StyleChoice, typer.Option(help="Style to lay on the lasts.")] = StyleChoice.DERBY,
    scan: Annotated[
        list[Path] | None, typer.Option(help="Foot scan; give two (left and right) for a pair with its own lasts.")
    ] = None,
    last: Annotated[
        list[Path] | None, typer.Option(help="A last's .params.json or last.json; one is mirrored for the other foot.")
    ] = None,
    size: Annotated[str, typer.Option(help="Size label written on the pieces.")] = "sample",
    fit_preference: Annotated[FitChoice, typer.Option("--fit", help="Fit preference (with --scan).")] = (
        FitChoice.REGULAR
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the pattern report as JSON.")] = False,
) -> None:
    """A pair's pattern pieces: the style cut on each foot's last, flattened with a strain report, seams
    equalised, allowances added; ASTM DXF, cutter DXF and PLT, SVG, tiled PDF and strain maps per foot."""
    from configurator.pattern_lasts import flatten_on_lasts, pair_lasts
    from configurator.style_sheet import style_sheet_svg
    from geometry.errors import InputError
    from lasts.fitting import FitPreference
    from lasts.model import build_last
    from lasts.pose import pose_last
    from manufacturing.patterns.files import pair_files

    if bool(scan) == bool(last):
        raise InputError("give --scan (one or two) or --last (one or two), not both and not neither")
    sources = scan or last or []
    if len(sources) > 2:
        raise InputError(f"{len(sources)} files: a pair has two feet")
    if scan:
        params = last_parameters_from_scans(sources, style.value, FitPreference(fit_preference.value))
    else:
        params = last_parameters_from_files(sources)
    lasts = pair_lasts(params)
    pair = flatten_on_lasts(style.value, lasts, size)
    stem = f"{style.value}-{size}"
    files = pair_files(pair, size, stem)
    for side, flat, foot_last in (("left", pair.left, lasts.left), ("right", pair.right, lasts.right)):
        # The pieces on a coarse copy of the foot's last: a picture, not geometry.
        coarse = pose_last(build_last(foot_last.params, STYLE_SHEET_FACE_COUNT))
        files[f"{stem}-{side}.style.svg"] = style_sheet_svg(flat.style, coarse).encode()
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    report = json.loads(files[f"{stem}.patterns.json"])
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    for side in ("left", "right"):
        shoe = report[side]
        typer.echo(f"{side}: {shoe['style']} in {shoe['seconds']} s; {len(shoe['pieces'])} pieces")
        for change in shoe["over_budget_changes"]:
            typer.echo(f"  changed: {change}")
        for piece in shoe["pieces"]:
            strain = piece["strain"]
            mark = "" if piece["within_budget"] else "  OVER BUDGET"
            typer.echo(
                f"  {piece['piece']:<18} area change {strain['area_change_mean_pct']:5.2f} %  edge strain p99 "
                f"{strain['edge_strain_p99_pct']:5.2f} %{mark}"
            )
        worst = max((s["mismatch_mm"] for s in shoe["seams"]), default=0.0)
        typer.echo(f"  mating seams: largest mismatch {worst:.3f} mm after correction")
    typer.echo(f"wrote {len(files)} files to {out}{' (left mirrored from right)' if pair.mirrored else ''}")


def last_parameters_from_scans(paths: list[Path], style: str, fit: FitPreference) -> dict[Side, LastParameters]:
    """Each scanned foot's own fitted last, by side (one scan: one side; ``pair_lasts`` mirrors it)."""
    from lasts.fitted import fitted_last
    from lasts.scans import ingest_scan
    from manufacturing.settings import get_settings
    from web.cli.inputs import read_input_file

    params: dict[Side, LastParameters] = {}
    for path in paths:
        foot = ingest_scan(read_input_file(path, get_settings().max_upload_bytes), path.name)
        if foot.side in params:
            from geometry.errors import InputError

            raise InputError(f"two {foot.side} feet: give one left and one right scan")
        measured = foot.record()
        params[foot.side] = fitted_last(measured.completed_mm, measured.side, style, fit).fit.last.params
    return params


def last_parameters_from_files(paths: list[Path]) -> dict[Side, LastParameters]:
    """Each given last's parameters, by side (a .params.json or a last.json)."""
    from geometry.errors import InputError
    from lasts.model import LastParameters
    from manufacturing.settings import get_settings
    from web.cli.inputs import read_input_file

    by_side: dict[Side, LastParameters] = {}
    for path in paths:
        try:
            record = json.loads(read_input_file(path, get_settings().max_upload_bytes))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{path.name} is not JSON: {exc}") from None
        if not isinstance(record, dict):
            raise InputError(f"{path.name} holds no last parameters")
        params = LastParameters.from_dict(record.get("parameters", record))
        if params.side in by_side:
            raise InputError(f"two {params.side} lasts: give one left and one right")
        by_side[params.side] = params
    return by_side

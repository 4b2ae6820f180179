"""``cspms last``: fit a last to a foot (on the parametric last or a stored base last), grade a size run from a last,
and the base-last library (``cspms last base add|list``)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from lasts.measurements import Measurements
    from lasts.model import LastParameters
    from lasts.side import Side

MAX_MEASUREMENTS_BYTES = 1_000_000


class StyleChoice(StrEnum):
    OXFORD = "oxford"
    DERBY = "derby"
    PENNY_LOAFER = "penny_loafer"
    LOW_TOP_SNEAKER = "low_top_sneaker"
    CHELSEA_BOOT = "chelsea_boot"


class FitChoice(StrEnum):
    SNUG = "snug"
    REGULAR = "regular"
    ROOMY = "roomy"


class ToeChoice(StrEnum):
    STYLE = "style"
    ROUND = "round"
    ALMOND = "almond"
    SQUARE = "square"
    POINTED = "pointed"


class SideChoice(StrEnum):
    AUTO = "auto"
    LEFT = "left"
    RIGHT = "right"


class GradeModeChoice(StrEnum):
    ARITHMETIC = "arithmetic"
    ALLOMETRIC = "allometric"


class UnitsChoice(StrEnum):
    AUTO = "auto"
    MM = "mm"
    CM = "cm"
    M = "m"
    IN = "in"


def _read_measurements(path: Path, side: Side | None) -> Measurements:
    """A measurements JSON: ``cspms scan measure --json`` output, or a flat ``{key_mm: value}`` object; the
    foot's side is ``side`` when given, else the JSON's."""
    from geometry.errors import InputError
    from lasts.measurements import MeasurementsError, measurements_from_json
    from manufacturing.settings import get_settings
    from web.cli.inputs import read_input_file

    data = read_input_file(path, min(MAX_MEASUREMENTS_BYTES, get_settings().max_upload_bytes))
    try:
        record = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path.name} is not JSON: {exc}", path=str(path)) from None
    if not isinstance(record, dict):
        raise InputError(f"{path.name} holds no object of measurements", path=str(path))
    values = record.get("measurements", record)
    if not isinstance(values, dict):
        raise InputError(f"{path.name}: 'measurements' is not an object", path=str(path))
    foot_side = side if side is not None else record.get("side")
    if foot_side is None:
        raise InputError("the measurements name no side: give --side left or --side right")
    try:
        return measurements_from_json(values, foot_side)
    except MeasurementsError as exc:
        raise InputError(f"{path.name}: {exc.message}", path=str(path)) from None


def fit(
    out: Annotated[Path, typer.Option(help="Folder to write the last's files and last.json to.")],
    scan: Annotated[Path | None, typer.Option(help="Foot scan (any format `cspms scan measure` reads).")] = None,
    measurements: Annotated[
        Path | None, typer.Option(help="Measurements JSON (`cspms scan measure --json` output, or {key_mm: value}).")
    ] = None,
    side: Annotated[SideChoice, typer.Option(help="Left or right; auto takes the scan's or the JSON's.")] = (
        SideChoice.AUTO
    ),
    style: Annotated[StyleChoice, typer.Option(help="Style: sets the allowances, heel height and toe.")] = (
        StyleChoice.DERBY
    ),
    fit_preference: Annotated[FitChoice, typer.Option("--fit", help="Fit preference.")] = FitChoice.REGULAR,
    toe_shape: Annotated[ToeChoice, typer.Option(help="Toe shape; 'style' takes the style's.")] = ToeChoice.STYLE,
    name: Annotated[str, typer.Option(help="File stem of the last's files.")] = "last",
    base: Annotated[
        str | None, typer.Option(help="A stored base last (`cspms last base list`) to fit from; default: parametric.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print last.json on stdout.")] = False,
) -> None:
    """Fit a last to a foot: targets from the fit rules, the solved last, posed; meshes, drawing, report."""
    from geometry.errors import InputError
    from lasts.fitted import fitted_last, last_files
    from lasts.fitting import FitPreference
    from lasts.model import ToeShape
    from lasts.side import Side

    if (scan is None) == (measurements is None):
        raise InputError("give exactly one of --scan and --measurements")
    base_last = _base_last_params(base, style.value) if base is not None else None
    given_side = None if side is SideChoice.AUTO else Side(side.value)
    foot_vertices = foot_faces = None
    if scan is not None:
        from lasts.scans import IngestOptions, ingest_scan
        from manufacturing.settings import get_settings
        from web.cli.inputs import read_input_file

        options = IngestOptions(side=given_side or "auto")  # a given side is the foot's side
        foot = ingest_scan(read_input_file(scan, get_settings().max_upload_bytes), scan.name, options)
        measured = foot.record()
        foot_vertices, foot_faces = foot.surface.vertices, foot.surface.faces
    else:
        assert measurements is not None
        measured = _read_measurements(measurements, given_side)
    foot_side = measured.side
    shape = None if toe_shape is ToeChoice.STYLE else ToeShape(toe_shape.value)
    fit = FitPreference(fit_preference.value)
    # Values the scan does not give are fitted to their estimates (flagged in the scan's record).
    result = fitted_last(measured.completed_mm, foot_side, style.value, fit, shape, foot_vertices,
                         foot_faces=foot_faces, base_last=base_last)  # fmt: skip
    files = last_files(result, name, foot_vertices, foot_faces, measured.values_mm["foot_length_mm"])
    out.mkdir(parents=True, exist_ok=True)
    for file_name, data in files.items():
        (out / file_name).write_bytes(data)
    record = json.loads(files[f"{name}.json"])
    if as_json:
        typer.echo(json.dumps(record, indent=2))
        return
    typer.echo(
        f"{foot_side} last for a {style.value} ({fit_preference.value}): max error {record['max_error_mm']:.2f} mm "
        f"after {record['solver']['steps']} steps, {record['solver']['seconds']:.2f} s"
    )
    for key, target in record["targets"].items():
        typer.echo(f"  {key.removesuffix('_mm').replace('_', ' '):<20} {target:8.1f} → {record['achieved'][key]:8.1f}")
    if result.report is not None:
        typer.echo(f"  toe room {result.report.toe_room_mm:.1f} mm")
        for warning in result.report.warnings:
            typer.echo(f"  warning: {warning}")
    typer.echo(f"wrote {len(files)} files to {out}")


def grade(
    last: Annotated[Path, typer.Argument(help="The base last: its .params.json, or the last.json of `last fit`.")],
    sizes: Annotated[str, typer.Option(help="Size run: 38-46 (every stock step), or 40,41,42.")],
    out: Annotated[Path, typer.Option(help="Folder for one last per size and grade.json.")],
    system: Annotated[str, typer.Option(help="Size system: eu, uk, us_men, us_women, mondopoint, cn, jp.")] = "eu",
    mode: Annotated[GradeModeChoice, typer.Option(help="Grade rules.")] = GradeModeChoice.ARITHMETIC,
    base_size: Annotated[
        float | None, typer.Option(help="The base last's size; default: from its stick length.")
    ] = None,
    girth_per_size: Annotated[
        float | None, typer.Option(help="Girth step per size, mm (default 0.75 × the length step).")
    ] = None,
    formats: Annotated[str, typer.Option(help="Mesh formats per size, comma-separated (stl,obj,3mf,glb).")] = "stl",
    as_json: Annotated[bool, typer.Option("--json", help="Print grade.json on stdout.")] = False,
) -> None:
    """Grade a size run from one last: each size solved to its graded targets, measured and checked."""
    from geometry.errors import InputError
    from lasts.drawing import last_drawing_svg
    from lasts.export import last_mesh_bytes
    from lasts.grading import GradeRules, grade_lasts, parse_size_run
    from lasts.model import LastParameters
    from lasts.pose import pose_last
    from manufacturing.settings import get_settings
    from web.cli.inputs import read_input_file

    raw = read_input_file(last, min(MAX_MEASUREMENTS_BYTES, get_settings().max_upload_bytes))
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{last.name} is not JSON: {exc}") from None
    if not isinstance(record, dict):
        raise InputError(f"{last.name} holds no last parameters")
    params = LastParameters.from_dict(record.get("parameters", record))
    rules = GradeRules(system=system, mode=mode.value, girth_per_size_mm=girth_per_size)
    run = grade_lasts(params, parse_size_run(sizes, system), rules, base_size)
    out.mkdir(parents=True, exist_ok=True)
    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    summary: dict[str, Any] = {
        "system": system,
        "mode": mode.value,
        "length_per_size_mm": round(rules.length_per_size_mm, 3),
        "girth_per_size_mm": round(rules.girth_step_mm, 3),
        "sizes": [],
    }
    for graded in run:
        stem = f"last-{graded.label.replace(' ', '-').lower()}"
        posed = pose_last(graded.fit.last)
        for fmt in wanted:
            (out / f"{stem}.{fmt}").write_bytes(last_mesh_bytes(posed.vertices, posed.faces, fmt, stem))
        (out / f"{stem}.params.json").write_text(json.dumps(graded.fit.last.params.to_dict(), indent=2) + "\n")
        (out / f"{stem}.drawing.svg").write_text(last_drawing_svg(graded.fit.last, graded.label, graded.fit.achieved))
        summary["sizes"].append(graded.summary() | {"stem": stem})
    summary["all_within_tolerance"] = all(g.within_tolerance for g in run)
    (out / "grade.json").write_text(json.dumps(summary, indent=2) + "\n")
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    for graded in run:
        mark = "ok" if graded.within_tolerance else "OUT OF TOLERANCE"
        typer.echo(
            f"{graded.label:>10}: stick {graded.fit.achieved['foot_length_mm']:.1f} mm, ball girth "
            f"{graded.fit.achieved['ball_girth_mm']:.1f} mm, max error {graded.fit.max_error_mm:.2f} mm {mark}"
        )
    typer.echo(f"wrote {len(run)} lasts to {out}")


def _base_last_params(name: str, style: str) -> LastParameters | None:
    """A stored base last's parameters for a fit of ``style`` (None for the parametric default)."""
    from manufacturing.db.session import session_scope
    from manufacturing.lasts_library.service import base_last_params
    from web.cli.database import session_factory

    with session_scope(session_factory()) as session:
        return base_last_params(session, name, style)


def base_add(
    file: Annotated[Path, typer.Argument(help="The scanned last: STL, OBJ, 3MF, PLY (any pose, left or right).")],
    name: Annotated[str, typer.Option(help="The name the base last is stored and fitted under (`--base NAME`).")],
    style: Annotated[
        StyleChoice | None, typer.Option(help="The style it is the base of; default: a base for any style.")
    ] = None,
    units: Annotated[UnitsChoice, typer.Option(help="The file's units; auto tells them from the last's size.")] = (
        UnitsChoice.AUTO
    ),
    side: Annotated[SideChoice, typer.Option(help="Left or right; auto tells it from the toe's swing.")] = (
        SideChoice.AUTO
    ),
    toe_shape: Annotated[ToeChoice, typer.Option(help="Toe shape; 'style' takes the outline's closest.")] = (
        ToeChoice.STYLE
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print what was stored and detected as JSON.")] = False,
) -> None:
    """Import a scanned last as a base last: oriented, unposed, measured, expressed as our last, stored by name."""
    from geometry.exchange.meshes import ReadLimits
    from geometry.exchange.threemf import ArchiveLimits
    from lasts.model import ToeShape
    from lasts.side import Side
    from manufacturing.artifacts import ArtifactStore
    from manufacturing.db.session import session_scope
    from manufacturing.lasts_library.service import add_base_last
    from manufacturing.settings import get_settings
    from web.cli.database import session_factory
    from web.cli.inputs import read_input_file

    settings = get_settings()
    data = read_input_file(file, settings.max_upload_bytes)
    limits = ReadLimits(max_elements=settings.max_scan_elements,
                        archive=ArchiveLimits(max_unpacked_bytes=settings.max_unpacked_bytes))  # fmt: skip
    with session_scope(session_factory()) as session:
        added = add_base_last(
            session, ArtifactStore(settings.resolved_artifact_dir), data, file.name, name,
            style=None if style is None else style.value, units=units.value,
            side=None if side is SideChoice.AUTO else Side(side.value),
            toe_shape=None if toe_shape is ToeChoice.STYLE else ToeShape(toe_shape.value), limits=limits,
        )  # fmt: skip
        record = added.to_dict()
    if as_json:
        typer.echo(json.dumps(record, indent=2))
        return
    found = record["import"]
    units_words = f"{found['units']}, {'detected' if found['units_detected'] else 'as given'}"
    typer.echo(f"stored base last {record['name']!r} ({record['style'] or 'any style'}) from {file.name} "
               f"({found['format']}, {units_words}; a {found['scanned_side']} last, stored right)")  # fmt: skip
    typer.echo(f"  stick length {found['stick_length_mm']:.1f} mm, ball length {found['ball_length_mm']:.1f} mm, "
               f"heel height {found['heel_height_mm']:.1f} mm, toe spring {found['toe_spring_mm']:.1f} mm, "
               f"cone {found['cone_height_mm']:.1f} mm, {found['toe_shape']} toe")  # fmt: skip
    for key in ("ball_girth_mm", "ball_width_mm", "waist_girth_mm", "instep_girth_mm", "long_heel_girth_mm",
                "short_heel_girth_mm", "heel_width_mm", "toe_height_mm"):  # fmt: skip
        if key in found["measurements"]:
            typer.echo(f"  {key.removesuffix('_mm').replace('_', ' '):<20} {found['measurements'][key]:8.1f}")
    deviation = found["deviation"]
    typer.echo(f"  rebuilt vs scanned: p95 {deviation['p95_mm']:.2f} mm, max {deviation['max_mm']:.2f} mm "
               f"({deviation['max_off_feather_mm']:.2f} mm off the feather edge)")  # fmt: skip
    for note in found["notes"]:
        typer.echo(f"  note: {note}")


def base_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the library as JSON.")] = False,
) -> None:
    """The base-last library: the parametric default (every style's base) and every stored base last."""
    from manufacturing.db.session import session_scope
    from manufacturing.lasts_library.service import list_base_lasts
    from web.cli.database import session_factory

    with session_scope(session_factory()) as session:
        rows = [entry.to_dict() for entry in list_base_lasts(session)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return

    def mm(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    typer.echo(f"{'name':28s} {'style':16s} {'stick':>7s} {'heel':>6s} {'spring':>6s} {'toe':8s} {'p95':>6s} "
               f"{'max':>6s}  source")  # fmt: skip
    for r in rows:
        style = r["style"] or ("every style" if r["default"] else "any style")
        p95 = "-" if r["deviation_p95_mm"] is None else f"{r['deviation_p95_mm']:.2f}"
        worst = "-" if r["deviation_max_mm"] is None else f"{r['deviation_max_mm']:.2f}"
        typer.echo(f"{r['name']:28s} {style:16s} {mm(r['stick_length_mm']):>7s} {mm(r['heel_height_mm']):>6s} "
                   f"{mm(r['toe_spring_mm']):>6s} {r['toe_shape'] or '-':8s} {p95:>6s} {worst:>6s}  "
                   f"{r['source_filename'] or 'built to each foot'}")  # fmt: skip

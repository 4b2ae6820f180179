"""``cspms bom``: a design's bill of materials and price quote, from a foot scan or a last; and
``cspms bench bom`` (:func:`bench_bom_command`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

SHARED_DATA = Path("../shared/data")
DEFAULT_SCAN = SHARED_DATA / "feet/find_template.obj"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
def _design_pair(design: Any, scan: Path | None, last: Path | None, size: float | None) -> tuple[Any, float]:
    """(flattened pair, EU size) of the design on the scan's fitted lasts or on the given last."""
    from configurator.pattern_making import flatten_pair
    from configurator.styles.library import STYLES
    from geometry.errors import InputError
    from lasts.grading import eu_size_of_last
    from web.cli.styles import lasts_from_files, lasts_from_scans

    if scan is not None and last is not None:
        raise InputError("give --scan or --last, not both")
    if last is not None:
        lasts = lasts_from_files([last])
    else:
        lasts = lasts_from_scans([scan or DEFAULT_SCAN], design.style, design.fit_preference.value)
    size_eu = size if size is not None else eu_size_of_last(lasts["right"].params)
    label = f"EU{size_eu:g}"
    return flatten_pair(STYLES[design.style](), lasts["left"], lasts["right"], label), size_eu


def bom_command(
    design: Annotated[Path, typer.Argument(help="Design options JSON, e.g. examples/options-derby.json.")],
    scan: Annotated[
        Path | None, typer.Option(help=f"Foot scan the lasts are fitted to (default: {DEFAULT_SCAN}).")
    ] = None,
    last: Annotated[Path | None, typer.Option(help="A last's .params.json (mirrored for the other foot).")] = None,
    size: Annotated[
        float | None, typer.Option(help="EU size of the bottom units (default: from the last's length).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the BOM and the quote as JSON.")] = False,
) -> None:
    """A pair's bill of materials (every line says how it was computed) and its price quote."""
    from configurator.options import parse_options
    from manufacturing.bom.bom import build_bom
    from manufacturing.bom.cost import quote
    from web.cli.main import read_input_file

    options = parse_options(read_input_file(design, 1024 * 1024), source=design.name)
    pair, size_eu = _design_pair(options, scan, last, size)
    bom = build_bom(options, pair, size_eu)
    priced = quote(bom)
    if as_json:
        typer.echo(json.dumps({"bom": bom.to_dict(), "quote": priced.to_dict()}, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{options.style}, EU {size_eu:g}: bill of materials per pair ({bom.currency})")
    for line in bom.lines:
        typer.echo(
            f"  {line.group:<13} {line.material_id:<27} {line.quantity:>10.4f} {line.unit:<5} "
            f"× {line.unit_cost_eur:>8.3f} = {line.cost_eur:>7.2f}"
        )
        typer.echo(f"      {line.how}")
    per_pair = priced.to_dict()["per_pair"]
    typer.echo(
        f"materials {per_pair['materials_eur']:.2f}  labour {per_pair['labour_eur']:.2f} "
        f"({per_pair['labour_minutes']:.0f} min)  overhead {per_pair['overhead_eur']:.2f}  "
        f"cost {per_pair['cost_eur']:.2f}"
    )
    order = priced.price_eur * bom.pairs
    typer.echo(f"price {priced.price_eur:.2f} EUR per pair ex VAT; {bom.pairs} pair(s): {order:.2f}")


def bench_bom_command(
    scan: Annotated[Path, typer.Option(help="Foot scan the lasts are fitted to.")] = DEFAULT_SCAN,
    examples: Annotated[Path, typer.Option(help="Folder of options-*.json designs.")] = EXAMPLES,
    repeats: Annotated[int, typer.Option(help="Timed BOM + quote runs per design.")] = 20,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON report here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout.")] = False,
) -> None:
    """BOM speed (≤ 100 ms once the pieces are flattened) and leather consistency (each area line within 2 %
    of its pieces' cut areas ÷ the utilisation and yield it claims), for every example design."""
    from configurator.options import parse_options
    from geometry.errors import InputError
    from manufacturing.bom.bench import run_bom_benchmark

    files = sorted(examples.glob("options-*.json"))
    if not files:
        raise InputError(f"no options-*.json in {examples}", path=str(examples))
    if not scan.is_file():
        raise InputError(f"{scan} does not exist (clone shared/ beside the repository)", path=str(scan))
    designs = {}
    for path in files:
        options = parse_options(path.read_bytes(), source=path.name)
        typer.echo(f"flattening {path.name}", err=True)
        pair, size_eu = _design_pair(options, scan, None, None)
        designs[path.stem.removeprefix("options-")] = (options, pair, size_eu)
    report = run_bom_benchmark(designs, repeats)
    text = json.dumps(report, indent=2)
    if out is not None:
        out.write_text(text)
    if as_json:
        typer.echo(text)
        return
    for row in report["designs"]:
        typer.echo(
            f"{row['design']:<16} EU {row['size_eu']:g}: BOM + quote {row['bom_ms_median']:.1f} ms median, "
            f"{row['bom_ms_max']:.1f} ms max; leather lines within {row['worst_difference_pct']:.3f} %; "
            f"materials {row['materials_eur']:.2f}, price {row['price_eur']:.2f} EUR"
        )
    typer.echo(f"meets targets (≤ 100 ms, ≤ 2 %): {report['meets_targets']}")

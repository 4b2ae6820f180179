"""``cspms bom``: a design's bill of materials and price quote, from a foot scan or a last."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from configurator.options import DesignOptions
    from manufacturing.designs.service import DesignedPair

SHARED_DATA = Path("../shared/data")
DEFAULT_SCAN = SHARED_DATA / "feet/find_template.obj"


def _designed_pair(options: DesignOptions, scan: Path | None, last: Path | None, size: float | None) -> DesignedPair:
    """The design on the scan's fitted lasts or on the given last: its pieces, BOM and quote."""
    from geometry.errors import InputError
    from manufacturing.designs.service import design_on_lasts
    from web.cli.styles import last_parameters_from_files, last_parameters_from_scans

    if scan is not None and last is not None:
        raise InputError("give --scan or --last, not both")
    if last is not None:
        params = last_parameters_from_files([last])
    else:
        params = last_parameters_from_scans([scan or DEFAULT_SCAN], options.style, options.fit_preference)
    return design_on_lasts(options, params, size_eu=size)


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
    from web.cli.inputs import read_input_file

    options = parse_options(read_input_file(design, 1024 * 1024), source=design.name)
    made = _designed_pair(options, scan, last, size)
    bom, priced, size_eu = made.bom, made.quote, made.size_eu
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

"""``cspms inventory``: stock on hand, receiving lots, reorder points and safety stock, purchase suggestions,
purchase orders, and the work orders waiting for material (docs/inventory.md)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer

from web.cli.database import session_factory

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ServiceLevel = Annotated[float, typer.Option(help="Cycle service level the safety stock is sized for (0.5–0.999).")]
HistoryDays = Annotated[int, typer.Option(help="Days of released work orders the demand is measured over.", min=1)]
CoverDays = Annotated[float, typer.Option(help="An order brings the position up to ROP + this many days of demand.")]


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _qty(value: float) -> str:
    return f"{value:,.3f}".replace(",", " ")


def stock_command(
    material: Annotated[str | None, typer.Option(help="Only this material (catalogue id).")] = None,
    all_materials: Annotated[bool, typer.Option("--all", help="Also the materials with no stock at all.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Stock per material: on hand, reserved for work orders, free, on order and waited for."""
    from manufacturing.db.session import session_scope
    from manufacturing.purchasing import positions

    with session_scope(session_factory()) as session:
        rows = [r.to_dict() for r in positions.stock_report(session)]
    if material is not None:
        rows = [r for r in rows if r["material_id"] == material]
        if not rows:
            from manufacturing.materials.catalogue import default_catalogue

            default_catalogue().get(material)  # names the known ones
    elif not all_materials:
        rows = [r for r in rows if r["on_hand"] or r["reserved"] or r["on_order"] or r["shortage"]]
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        typer.echo("no stock (cspms inventory receive MATERIAL QTY --batch ... to receive a lot)")
        return
    typer.echo(
        f"{'material':28s} {'unit':5s} {'on hand':>11s} {'reserved':>11s} {'free':>11s} {'on order':>11s} "
        f"{'waited for':>11s} {'lots':>4s} {'value €':>10s}"
    )
    for r in rows:
        typer.echo(
            f"{r['material_id']:28s} {r['unit']:5s} {_qty(r['on_hand']):>11s} {_qty(r['reserved']):>11s} "
            f"{_qty(r['available']):>11s} {_qty(r['on_order']):>11s} {_qty(r['shortage']):>11s} "
            f"{r['lots']:>4d} {r['value_eur']:>10.2f}"
        )


def receive_command(
    material: Annotated[str, typer.Argument(help="Catalogue material id, e.g. full-grain-cowhide-b.")],
    quantity: Annotated[float, typer.Argument(help="Quantity in the material's unit (m², pairs, m, pieces, g).")],
    batch: Annotated[str, typer.Option(help="The supplier's batch (or the hide bundle's) number.")],
    supplier: Annotated[str | None, typer.Option(help="Supplier (default: the catalogue's).")] = None,
    grade: Annotated[str | None, typer.Option(help="Hides: the grade they were sorted at (A best … F).")] = None,
    unit: Annotated[str | None, typer.Option(help="The unit QTY is in; refused unless it is the material's.")] = None,
    cost: Annotated[float | None, typer.Option(help="Unit cost in EUR (default: the catalogue's).")] = None,
    note: Annotated[str, typer.Option(help="A note kept on the lot.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Receive a lot; work orders waiting for material are then reserved, earliest due first."""
    from manufacturing.db.session import session_scope
    from manufacturing.planning import kits

    with session_scope(session_factory()) as session:
        received = kits.receive_and_reserve(
            session,
            material,
            quantity,
            batch=batch,
            supplier=supplier,
            grade=grade,
            unit=unit,
            unit_cost_eur=cost,
            note=note,
        ).to_dict()
    if as_json:
        _echo_json(received)
        return
    lot = received["lot"]
    grade_words = f" grade {lot['grade']}" if lot["grade"] else ""
    typer.echo(
        f"lot {lot['id']}: {_qty(lot['received'])} {lot['unit']} of {lot['material_id']}{grade_words}, "
        f"batch {lot['batch']} from {lot['supplier']}"
    )
    if received["reserved_work_orders"]:
        typer.echo(f"reserved for work orders {', '.join(map(str, received['reserved_work_orders']))}")
    if received["still_waiting"]:
        typer.echo(f"still waiting: work orders {', '.join(map(str, received['still_waiting']))}")


def reorder_command(
    service_level: ServiceLevel = 0.95,
    history_days: HistoryDays = 90,
    cover_days: CoverDays = 14.0,
    all_materials: Annotated[bool, typer.Option("--all", help="Every material, not only those with demand.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Reorder points and safety stock from the released demand and each material's lead time, and the position."""
    from manufacturing.db.session import session_scope
    from manufacturing.purchasing import positions

    with session_scope(session_factory()) as session:
        lines = [
            line.to_dict()
            for line in positions.reorder_report(
                session, service_level=service_level, history_days=history_days, cover_days=cover_days
            )
        ]
    if not all_materials:
        lines = [x for x in lines if x["mean_daily_demand"] or x["on_hand"] or x["shortage"] or x["on_order"]]
    if as_json:
        _echo_json(lines)
        return
    if not lines:
        typer.echo(f"no demand in the last {history_days} days and no stock")
        return
    typer.echo(f"service level {service_level:.1%}, demand over {history_days} days, cover {cover_days:g} days")
    typer.echo(
        f"{'material':28s} {'unit':5s} {'d̄/day':>9s} {'σ/day':>9s} {'L d':>4s} {'safety':>10s} "
        f"{'ROP':>10s} {'position':>10s} {'order':>10s}"
    )
    for x in lines:
        typer.echo(
            f"{x['material_id']:28s} {x['unit']:5s} {x['mean_daily_demand']:>9.4f} "
            f"{x['sigma_daily_demand']:>9.4f} {x['lead_time_days']:>4d} {_qty(x['safety_stock']):>10s} "
            f"{_qty(x['reorder_point']):>10s} {_qty(x['position']):>10s} "
            f"{_qty(x['suggested_quantity']) if x['needs_order'] else '-':>10s}"
        )


def suggest_command(
    service_level: ServiceLevel = 0.95,
    history_days: HistoryDays = 90,
    cover_days: CoverDays = 14.0,
    as_json: JsonOption = False,
) -> None:
    """Purchase-order suggestions, by supplier: what to order now, why, and what it costs."""
    from manufacturing.db.session import session_scope
    from manufacturing.purchasing import positions

    with session_scope(session_factory()) as session:
        suggestions = [
            s.to_dict()
            for s in positions.suggest_purchases(
                session, service_level=service_level, history_days=history_days, cover_days=cover_days
            )
        ]
    if as_json:
        _echo_json(suggestions)
        return
    if not suggestions:
        typer.echo("nothing to order")
        return
    for s in suggestions:
        typer.echo(f"{s['supplier']} (lead time {s['lead_time_days']} days): €{s['cost_eur']:.2f}")
        for line in s["lines"]:
            typer.echo(
                f"  {line['material_id']:28s} {_qty(line['quantity']):>11s} {line['unit']:5s} "
                f"€{line['cost_eur']:>9.2f}  {line['reason']}"
            )


def shortages_command(as_json: JsonOption = False) -> None:
    """Work orders waiting for material, earliest due first, with what each is short of."""
    from manufacturing.db.session import session_scope
    from manufacturing.planning import kits

    with session_scope(session_factory()) as session:
        waiting = [w.to_dict() for w in kits.waiting_work_orders(session)]
    if as_json:
        _echo_json(waiting)
        return
    if not waiting:
        typer.echo("no work order waits for material")
    for w in waiting:
        typer.echo(f"work order {w['work_order_id']} ({w['pair_serial']}, due {w['due_at']}): {w['reason']}")


def _parse_lines(lines: list[str]) -> list[tuple[str, float]]:
    from manufacturing.inventory.errors import InventoryInputError

    out = []
    for text in lines:
        material, _, quantity = text.partition("=")
        try:
            out.append((material.strip(), float(quantity)))
        except ValueError:
            raise InventoryInputError(f"a line is MATERIAL=QUANTITY, got {text!r}", line=text) from None
    return out


def po_place_command(
    supplier: Annotated[
        str | None, typer.Option(help="Only this supplier's suggestion, or the supplier of --line.")
    ] = None,
    line: Annotated[
        list[str] | None,
        typer.Option(help="MATERIAL=QUANTITY to order by hand (repeat); without it the suggestions are placed."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Place purchase orders: one per supplier from the suggestions, or one with the given lines."""
    from manufacturing.db.session import session_scope
    from manufacturing.inventory.errors import InventoryInputError
    from manufacturing.purchasing import orders as purchasing

    with session_scope(session_factory()) as session:
        if line:
            if supplier is None:
                raise InventoryInputError("--line needs --supplier", field="supplier")
            orders = [purchasing.place_purchase_order(session, supplier, _parse_lines(line))]
        else:
            orders = purchasing.place_suggested_orders(session, supplier=supplier)
        placed = [o.to_dict() for o in orders]
    if as_json:
        _echo_json(placed)
        return
    if not placed:
        typer.echo("nothing to order")
    for o in placed:
        typer.echo(
            f"{o['number']} to {o['supplier']}: {len(o['lines'])} lines, €{o['cost_eur']:.2f}, "
            f"expected {datetime.fromisoformat(o['expected_at']).date()}"
        )


def po_receive_command(
    number: Annotated[str, typer.Argument(help="The purchase order's number (PO-000001) or id.")],
    batch: Annotated[str | None, typer.Option(help="The supplier's batch (default: the order number).")] = None,
    line: Annotated[
        list[str] | None, typer.Option(help="MATERIAL=QUANTITY received (repeat); default: everything still open.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Receive a purchase order into lots; waiting work orders are then reserved."""
    from manufacturing.db.session import session_scope
    from manufacturing.purchasing import orders as purchasing

    quantities = dict(_parse_lines(line)) if line else None
    with session_scope(session_factory()) as session:
        receipt = purchasing.receive_purchase_order(session, number, batch=batch, quantities=quantities).to_dict()
    if as_json:
        _echo_json(receipt)
        return
    order = receipt["purchase_order"]
    typer.echo(f"{order['number']}: {order['state']}")
    for lot in receipt["lots"]:
        typer.echo(f"  lot {lot['id']}: {_qty(lot['received'])} {lot['unit']} of {lot['material_id']}")
    if receipt["reserved_work_orders"]:
        typer.echo(f"reserved for work orders {', '.join(map(str, receipt['reserved_work_orders']))}")


def po_list_command(as_json: JsonOption = False) -> None:
    """Every purchase order with its derived state (open, partly received, received, cancelled)."""
    from manufacturing.db.session import session_scope
    from manufacturing.purchasing import orders as purchasing

    with session_scope(session_factory()) as session:
        orders = [o.to_dict() for o in purchasing.purchase_orders(session)]
    if as_json:
        _echo_json(orders)
        return
    if not orders:
        typer.echo("no purchase orders")
    for o in orders:
        typer.echo(f"{o['number']}  {o['state']:15s} {o['supplier']}  €{o['cost_eur']:.2f}")

"""``cspms inventory`` as a user runs it (a real process on its own database): receive, stock, a work order
waiting for leather, the suggestion placed as a purchase order and received, reorder points; errors on one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from manufacturing.db.models import Customer, Design, Order, Pair
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.planning import service as planning
from manufacturing.planning.routing import RoutingInputs
from manufacturing.settings import Settings
from tests.conftest import REPO_ROOT

LEATHER = "full-grain-cowhide-b"


def cspms(*args: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSPMS_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120
    )


def as_json(*args: str, var_dir: Path):
    result = cspms(*args, "--json", var_dir=var_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def release_short_work_order(var_dir: Path) -> int:
    """A pair released against the CLI's database with no leather in stock (after a first command made it)."""
    engine = make_engine(Settings(var_dir=var_dir).resolved_database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            customer = Customer(email="cli-stores@example.com")
            session.add(customer)
            session.flush()
            design = Design(design_key="d-cli", customer_id=customer.id, style="derby", options={"style": "derby"})
            order = Order(number="O-CLI-INV", customer_id=customer.id)
            session.add_all([design, order])
            session.flush()
            pair = Pair(serial="CS26-CLIINV", order_id=order.id, design_id=design.id)
            session.add(pair)
            session.flush()
            bom = {"lines": [{"material_id": LEATHER, "quantity": 0.16, "unit": "m2"}]}
            now = datetime.now(UTC)
            released = planning.release_work_order(
                session, pair.id, RoutingInputs("derby", 8, 1800.0, 10), bom, due_at=now + timedelta(days=4), now=now
            )
            return released.work_order.id
    finally:
        engine.dispose()


def test_receive_stock_shortages_purchase_and_reorder(tmp_path: Path) -> None:
    got = as_json("inventory", "receive", "outsole-rubber-dress", "40", "--batch", "S-26", var_dir=tmp_path)
    assert got["lot"]["received"] == 40.0 and got["lot"]["unit"] == "pair"
    text = cspms("inventory", "receive", LEATHER, "0.1", "--batch", "H-1", "--grade", "A", var_dir=tmp_path)
    assert text.returncode == 0 and "m2 of full-grain-cowhide-b grade A, batch H-1" in text.stdout
    stock = {row["material_id"]: row for row in as_json("inventory", "stock", var_dir=tmp_path)}
    assert set(stock) == {"outsole-rubber-dress", LEATHER} and stock[LEATHER]["on_hand"] == 0.1

    wo = release_short_work_order(tmp_path)
    (waiting,) = as_json("inventory", "shortages", var_dir=tmp_path)
    assert waiting["work_order_id"] == wo and waiting["shortages"][0]["available"] == 0.1
    shown = cspms("inventory", "shortages", var_dir=tmp_path).stdout
    assert f"work order {wo} (CS26-CLIINV" in shown and "needs 0.16 m2, 0.1 m2 available" in shown

    (suggested,) = as_json("inventory", "suggest", var_dir=tmp_path)
    assert [(x["material_id"], x["quantity"]) for x in suggested["lines"]] == [(LEATHER, 4.6)]
    (placed,) = as_json("inventory", "po", "place", var_dir=tmp_path)
    assert placed["number"] == "PO-000001" and placed["supplier"] == suggested["supplier"]
    hand = cspms(
        "inventory",
        "po",
        "place",
        "--supplier",
        "Kraft Pack Lda. (Maia, PT)",
        "--line",
        "box-shoe-kraft=25",
        var_dir=tmp_path,
    )
    assert hand.returncode == 0 and hand.stdout.startswith("PO-000002 to Kraft Pack")
    receipt = as_json("inventory", "po", "receive", "PO-000001", var_dir=tmp_path)
    assert receipt["purchase_order"]["state"] == "received" and receipt["reserved_work_orders"] == [wo]
    assert as_json("inventory", "shortages", var_dir=tmp_path) == []
    orders = {o["number"]: o["state"] for o in as_json("inventory", "po", "list", var_dir=tmp_path)}
    assert orders == {"PO-000001": "received", "PO-000002": "open"}

    reorder = {x["material_id"]: x for x in as_json("inventory", "reorder", var_dir=tmp_path)}
    leather = reorder[LEATHER]
    # one release of 0.16 m² in 90 days: mean 0.16/90 per day; L = 28 days
    assert abs(leather["mean_daily_demand"] - round(0.16 / 90, 6)) < 1e-9 and leather["lead_time_days"] == 28
    assert leather["reorder_point"] > 28 * 0.16 / 90 and leather["on_hand"] == 4.7
    assert reorder["box-shoe-kraft"]["on_order"] == 25.0


def test_errors_are_one_line_with_their_code(tmp_path: Path) -> None:
    wrong = cspms("inventory", "receive", "outsole-rubber-dress", "2", "--batch", "S", "--unit", "m2", var_dir=tmp_path)
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == "error: wrong_unit: outsole-rubber-dress is stocked in pair, not m2"
    unknown = cspms("inventory", "po", "receive", "PO-000009", var_dir=tmp_path)
    assert unknown.returncode == 2 and "unknown_purchase_order" in unknown.stderr
    bad_line = cspms("inventory", "po", "place", "--supplier", "X", "--line", "box-shoe-kraft", var_dir=tmp_path)
    assert bad_line.returncode == 2 and "a line is MATERIAL=QUANTITY" in bad_line.stderr

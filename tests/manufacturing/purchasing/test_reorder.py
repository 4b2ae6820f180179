"""The pure purchasing core: reorder point and safety stock with hand-computed values, a reorder line that covers
the waiting demand in whole packs, suggestions by supplier."""

from __future__ import annotations

import math

import pytest

from manufacturing.inventory.errors import InventoryInputError
from manufacturing.materials.catalogue import default_catalogue
from manufacturing.purchasing.reorder import (
    StockPosition,
    daily_demand_stats,
    purchase_suggestions,
    purchase_unit,
    reorder_line,
    reorder_point,
    round_up_to_pack,
    safety_stock,
    suggested_order,
    z_for_service_level,
)

CAT = default_catalogue()


def test_safety_stock_and_reorder_point_by_hand() -> None:
    z = z_for_service_level(0.95)
    assert z == pytest.approx(1.644854, abs=1e-6)
    # four days of demand 0, 2, 0, 2: mean 1, sample σ = √((1 + 1 + 1 + 1) / 3) = √(4/3)
    mean, sigma = daily_demand_stats([0.0, 2.0, 0.0, 2.0])
    assert (mean, sigma) == (1.0, pytest.approx(math.sqrt(4 / 3)))
    # L = 9 days: SS = 1.644854 × 1.154701 × 3 = 5.69794; ROP = 1 × 9 + 5.69794
    assert safety_stock(z, sigma, 9) == pytest.approx(5.69794, abs=1e-5)
    assert reorder_point(mean, 9, safety_stock(z, sigma, 9)) == pytest.approx(14.69794, abs=1e-5)
    # position 2: order up to ROP + 14 days of mean demand = 28.69794 − 2 = 26.69794 → 6 hides of 4.6 m² = 27.6
    assert suggested_order(2.0, 14.69794, 1.0, 14, None) == pytest.approx(26.69794, abs=1e-5)
    assert suggested_order(2.0, 14.69794, 1.0, 14, 4.6) == pytest.approx(27.6)
    assert suggested_order(15.0, 14.69794, 1.0, 14, 4.6) == 0.0  # above the reorder point: nothing
    assert round_up_to_pack(4.6, 4.6) == pytest.approx(4.6) and round_up_to_pack(0.0, 4.6) == 0.0
    with pytest.raises(InventoryInputError, match="service level"):
        z_for_service_level(1.0)


def test_a_reorder_line_covers_the_waiting_demand_and_rounds_to_whole_hides_pairs_and_cones() -> None:
    leather = CAT.get("full-grain-cowhide-b")  # lead time 28 days, sold by the hide (4.6 m²)
    assert (leather.lead_time_days, purchase_unit(leather)) == (28, 4.6)
    assert (
        purchase_unit(CAT.get("outsole-rubber-dress")) == 1.0 and purchase_unit(CAT.get("thread-bonded-nylon")) == 1500
    )
    # no history: ROP 0; 0.5 m² free, 0.7 m² waited for → position −0.2 → 0.2 m² → one hide
    stock = StockPosition(leather.id, "m2", on_hand=0.9, reserved=0.4, on_order=0.0, shortage=0.7)
    line = reorder_line(leather, stock, [0.0] * 30, z_for_service_level(0.95), cover_days=14)
    assert stock.available == pytest.approx(0.5) and stock.position == pytest.approx(-0.2)
    assert (line.reorder_point, line.safety_stock, line.suggested) == (0.0, 0.0, pytest.approx(4.6))
    soles = reorder_line(
        CAT.get("outsole-rubber-dress"),
        StockPosition("outsole-rubber-dress", "pair", shortage=1.0),
        [0.0] * 30,
        1.645,
        14,
    )
    assert soles.suggested == 1.0
    suggestions = purchase_suggestions([line, soles])
    assert [s.supplier for s in suggestions] == sorted([leather.supplier, CAT.get("outsole-rubber-dress").supplier])
    by_supplier = {s.supplier: s for s in suggestions}
    assert by_supplier[leather.supplier].cost_eur == pytest.approx(4.6 * 56.0)
    assert "work orders wait for 0.7 m2" in by_supplier[leather.supplier].lines[0].reason

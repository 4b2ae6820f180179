"""The pure inventory core: balances from movements, allocation across lots (FIFO, grade or better), the
all-or-nothing kit, the BOM's demand, shares in proportion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from manufacturing.inventory.errors import InventoryInputError, WrongUnitError
from manufacturing.inventory.model import (
    LotBalance,
    Movement,
    MovementKind,
    allocation_order,
    bom_demand,
    check_grade,
    family,
    fold_balances,
    plan_reservation,
    reservations_of,
    split_in_proportion,
)
from manufacturing.inventory.shortage import Shortage
from manufacturing.materials.catalogue import CatalogueError, default_catalogue

CAT = default_catalogue()
T = datetime(2026, 3, 1, tzinfo=UTC)


def lot(lot_id: int, material_id: str, available: float, day: int, grade: str | None = None, reserved: float = 0.0):
    material = CAT.get(material_id)
    return LotBalance(
        lot_id,
        material_id,
        grade or material.hide_grade,
        T + timedelta(days=day),
        material.unit,
        available + reserved,
        reserved,
    )


def test_balances_and_reservations_fold_from_the_movements() -> None:
    moves = [
        Movement(1, MovementKind.RECEIVE, 10.0),
        Movement(1, MovementKind.RESERVE, 4.0, work_order_id=7),
        Movement(1, MovementKind.CONSUME, 3.0, work_order_id=7),
        Movement(1, MovementKind.UNRESERVE, 1.0, work_order_id=7),
        Movement(1, MovementKind.CONSUME_UNRESERVED, 0.5, work_order_id=7),
        Movement(1, MovementKind.ADJUST, -0.25),
        Movement(2, MovementKind.RECEIVE, 5.0),
        Movement(2, MovementKind.RESERVE, 2.0, work_order_id=8),
    ]
    balances = fold_balances(moves)
    # on hand 10 − 3 − 0.5 − 0.25; reserved 4 − 3 − 1
    assert balances[1] == pytest.approx((6.25, 0.0)) and balances[2] == (5.0, 2.0)
    assert reservations_of(moves) == {(8, 2): 2.0}  # work order 7 holds nothing any more


def test_allocation_takes_its_own_grade_first_in_receipt_order_then_better_grades_never_worse() -> None:
    b = CAT.get("full-grain-cowhide-b")
    lots = [
        lot(1, "full-grain-cowhide-b", 0.3, day=1),
        lot(2, "full-grain-cowhide-a", 1.0, day=0),
        lot(3, "full-grain-cowhide-b", 0.5, day=2),
        lot(4, "full-grain-cowhide-c", 5.0, day=0),
        lot(5, "full-grain-cowhide-b", 2.0, day=0, grade="C"),  # graded down at receipt
        lot(6, "suede-cowhide-a", 9.0, day=0),  # another leather
    ]
    assert family(b) == "full-grain-cowhide" and family(CAT.get("canvas-cotton")) == "canvas-cotton"
    assert [x.lot_id for x in allocation_order(lots, b, CAT)] == [1, 3, 2]
    small = plan_reservation({b.id: 0.6}, lots, CAT)
    assert [(t.lot_id, round(t.quantity, 9)) for t in small.allocations[0].takes] == [(1, 0.3), (3, 0.3)]
    large = plan_reservation({b.id: 1.0}, lots, CAT)
    assert [(t.lot_id, round(t.quantity, 9)) for t in large.allocations[0].takes] == [(1, 0.3), (3, 0.5), (2, 0.2)]
    too_much = plan_reservation({b.id: 2.0}, lots, CAT)
    assert not too_much.complete and too_much.allocations == ()
    assert too_much.shortages == (Shortage(b.id, 2.0, pytest.approx(1.8), "m2"),)
    assert too_much.shortages[0].sentence() == "full-grain-cowhide-b needs 2 m2, 1.8 m2 available (short 0.2 m2)"


def test_a_kit_is_all_or_nothing_and_lines_of_one_leather_share_its_lots_best_grade_first() -> None:
    lots = [
        lot(1, "full-grain-cowhide-b", 0.8, day=0),
        lot(2, "full-grain-cowhide-c", 0.2, day=0),
        lot(3, "full-grain-cowhide-a", 0.3, day=0),
        lot(4, "outsole-rubber-dress", 1.0, day=0),
    ]
    kit = plan_reservation(
        {"full-grain-cowhide-c": 0.5, "full-grain-cowhide-b": 0.8, "outsole-rubber-dress": 1.0}, lots, CAT
    )
    assert kit.complete
    takes = {a.material_id: [(t.lot_id, round(t.quantity, 9)) for t in a.takes] for a in kit.allocations}
    assert takes == {
        "full-grain-cowhide-b": [(1, 0.8)],
        "full-grain-cowhide-c": [(2, 0.2), (3, 0.3)],
        "outsole-rubber-dress": [(4, 1.0)],
    }
    short = plan_reservation({"full-grain-cowhide-b": 0.8, "outsole-rubber-dress": 2.0}, lots, CAT)
    assert short.allocations == () and [s.material_id for s in short.shortages] == ["outsole-rubber-dress"]
    assert short.shortages[0].available == 1.0 and short.shortages[0].unit == "pair"


def test_bom_demand_sums_lines_per_material_and_names_what_is_wrong() -> None:
    bom = {
        "lines": [
            {"material_id": "lining-cowhide-b", "quantity": 0.05, "unit": "m2"},
            {"material_id": "lining-cowhide-b", "quantity": 0.07, "unit": "m2"},
            {"material_id": "eyelet-brass-4mm", "quantity": 10, "unit": "piece"},
        ]
    }
    assert bom_demand(bom, CAT) == {"lining-cowhide-b": pytest.approx(0.12), "eyelet-brass-4mm": 10.0}
    with pytest.raises(WrongUnitError, match="stocked in m2, not dm2"):
        bom_demand({"lines": [{"material_id": "lining-cowhide-b", "quantity": 1, "unit": "dm2"}]}, CAT)
    with pytest.raises(InventoryInputError, match="names no material_id"):
        bom_demand({"lines": [{"material": "calf-black", "quantity": 0.2}]}, CAT)
    with pytest.raises(CatalogueError, match="'calf-black' is not in the catalogue"):
        bom_demand({"lines": [{"material_id": "calf-black", "quantity": 0.2}]}, CAT)
    with pytest.raises(InventoryInputError, match="quantity must be more than 0"):
        bom_demand({"lines": [{"material_id": "box-shoe-kraft", "quantity": 0}]}, CAT)
    with pytest.raises(InventoryInputError, match="not a hide"):
        check_grade(CAT.get("canvas-cotton"), "A")
    with pytest.raises(InventoryInputError, match="hide grade 'G'"):
        check_grade(CAT.get("full-grain-cowhide-b"), "g")
    assert check_grade(CAT.get("full-grain-cowhide-b"), None) == "B"


def test_splitting_in_proportion_adds_up_exactly() -> None:
    shares = split_in_proportion(0.1234567, {3: 0.1, 1: 0.2, 2: 0.3})
    assert sum(shares[k] for k in sorted(shares)) == 0.1234567
    assert shares[1] == pytest.approx(0.1234567 * 0.2 / 0.6)
    assert split_in_proportion(1.0, {1: 0.0, 2: 0.0}) == {1: 0.5, 2: 0.5}

"""Consumption at cutting from a real nest: the derby's flattened upper pieces of two released pairs nested on a
hide, cut by an actual cutting job; the stock books the nest's area, gives back what the BOM reserved but the
nest did not use, records the variance, and books a resent completion once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from configurator.options import parse_options, style_piece_keys
from configurator.pattern_making import PairFlattening, flatten_pair
from configurator.styles.library import STYLES
from lasts.model import build_last
from lasts.pose import pose_last
from manufacturing.bom.bom import build_bom, piece_material_id
from manufacturing.cutting import service as cutting
from manufacturing.cutting.plan import CutPiece
from manufacturing.db.models import StockMovement
from manufacturing.db.session import session_scope
from manufacturing.inventory import lots as inventory_lots
from manufacturing.inventory.errors import ShortageError
from manufacturing.planning import kits
from manufacturing.planning import service as planning
from manufacturing.planning.routing import RoutingInputs
from manufacturing.purchasing import positions
from tests.lasts.last_samples import FIND_LIKE
from tests.manufacturing.cutting.conftest import hide_nest
from tests.manufacturing.inventory.conftest import T0, InventoryDb

LEATHER = "full-grain-cowhide-b"  # the derby's default upper leather (the tongue is grade C)
HIDE_M2 = 4.6


@pytest.fixture(scope="module")
def derby() -> PairFlattening:
    left = pose_last(build_last(FIND_LIKE.with_values(side="left"), 20_000))
    right = pose_last(build_last(FIND_LIKE.with_values(side="right"), 20_000))
    return flatten_pair(STYLES["derby"](), left, right, "41")


def release_pairs(db: InventoryDb, derby: PairFlattening, pair_ids: list[int]) -> dict:
    """Stock for everything but the upper leather (one hide of it), then the pairs released with the real BOM."""
    bom = build_bom(parse_options({"style": "derby"}), derby, 41.0).to_dict()
    inputs = RoutingInputs("derby", len(derby.right.pieces), 1800.0, 0)
    with session_scope(db.sessions) as session:
        for material_id in {line["material_id"] for line in bom["lines"]}:
            quantity = HIDE_M2 if material_id == LEATHER else 1000.0
            kits.receive_and_reserve(session, material_id, quantity, batch="OPEN", now=T0 - timedelta(days=1))
        for pair_id in pair_ids:
            released = planning.release_work_order(session, pair_id, inputs, bom, T0 + timedelta(days=5), now=T0)
            assert released.work_order.progress.material_reserved
    return bom


def leather_pieces(derby: PairFlattening, pair_ids: list[int], names: set[str] | None = None) -> dict[str, CutPiece]:
    options = parse_options({"style": "derby"})
    style_names, _ = style_piece_keys("derby")
    return {
        f"p{pair}-{shoe.side}-{piece.spec.name}": CutPiece(pair, piece.pattern)
        for pair in pair_ids
        for shoe in (derby.left, derby.right)
        for piece in shoe.pieces
        if piece_material_id(piece, options, style_names)[0] == LEATHER and (names is None or piece.spec.name in names)
    }


def cut(db: InventoryDb, pieces: Mapping[str, CutPiece], minute: int, machine: str = "cutter-1") -> cutting.Completed:
    now = T0 + timedelta(minutes=minute)
    with session_scope(db.sessions) as session:
        job = cutting.create_hide_job(
            session, db.store, hide_nest(dict(pieces)), material=LEATHER, pieces=pieces, now=now
        )
        cutting.claim_job(session, job.id, machine, lease_seconds=900, now=now)
        cutting.start_cutting(session, job.id, machine, now=now)
        return cutting.complete(session, job.id, machine, now=now + timedelta(minutes=5))


def leather_lot(db: InventoryDb) -> inventory_lots.LotView:
    with session_scope(db.sessions) as session:
        (lot,) = inventory_lots.lots(session, LEATHER, include_empty=True)
        return lot


def test_the_nest_is_consumed_exactly_and_the_unused_reservation_comes_back(
    inventory_db: InventoryDb, derby: PairFlattening
) -> None:
    pairs = inventory_db.pair_ids[:2]
    bom = release_pairs(inventory_db, derby, pairs)
    upper = next(line for line in bom["lines"] if line["material_id"] == LEATHER)
    tongue = next(line for line in bom["lines"] if line["material_id"] == "full-grain-cowhide-c")
    before = leather_lot(inventory_db)
    assert before.reserved == pytest.approx(2 * upper["quantity"])  # the BOM's estimate, reserved at release

    done = cut(inventory_db, leather_pieces(derby, pairs), minute=10)
    used = done.consumption
    assert used is not None and used.first and done.first and done.events_added == 2
    assert done.job.consumed_area_mm2 > done.job.placed_area_mm2 > 0
    assert used.consumed == done.job.consumed_area_mm2 / 1e6
    assert used.estimate == pytest.approx(2 * upper["quantity"])
    after = leather_lot(inventory_db)
    # on hand = received − the nest's consumption, exactly; nothing of this leather stays reserved
    assert after.on_hand == pytest.approx(HIDE_M2 - done.job.consumed_area_mm2 / 1e6, abs=1e-12)
    assert after.reserved == pytest.approx(0.0, abs=1e-12)
    assert used.released == pytest.approx(max(0.0, 2 * upper["quantity"] - used.consumed), abs=1e-12)
    with session_scope(inventory_db.sessions) as session:
        moves = session.scalars(select(StockMovement).where(StockMovement.cutting_job_id == done.job.id)).all()
        rows = {r.material.id: r for r in positions.stock_report(session)}
    consumed = [m for m in moves if m.kind in ("consume", "consume_unreserved")]
    assert sum(m.quantity for m in consumed) == pytest.approx(used.consumed, abs=1e-12)
    assert sum(m.variance for m in consumed) == pytest.approx(used.consumed - used.estimate, abs=1e-12)
    assert {m.work_order_id for m in consumed} == {p.work_order_id for p in used.pairs} and len(used.pairs) == 2
    assert all(m.demand_material_id == LEATHER for m in moves if m.kind != "consume_unreserved")
    assert all("cutting job" in m.note and "hide hide-A" in m.note for m in moves)
    # the other lines stay reserved for the pairs: the tongue's grade C leather, soles, boxes
    assert rows["full-grain-cowhide-c"].stock.reserved == pytest.approx(2 * tongue["quantity"])
    assert rows["outsole-rubber-dress"].stock.reserved == 2.0
    assert rows[LEATHER].stock.on_hand == pytest.approx(after.on_hand)

    with session_scope(inventory_db.sessions) as session:  # the machine resends its completion
        count = session.scalar(select(func.count()).select_from(StockMovement))
        again = cutting.complete(session, done.job.id, "cutter-1", now=T0 + timedelta(minutes=20))
        assert session.scalar(select(func.count()).select_from(StockMovement)) == count
    assert again.consumption is not None and not again.consumption.first and not again.first
    assert again.consumption.consumed == pytest.approx(used.consumed)
    assert again.consumption.estimate == pytest.approx(used.estimate)
    assert leather_lot(inventory_db).on_hand == pytest.approx(after.on_hand, abs=1e-12)


def test_a_pair_cut_in_two_jobs_keeps_its_reservation_until_its_last_job(
    inventory_db: InventoryDb, derby: PairFlattening
) -> None:
    pair = inventory_db.pair_ids[2]
    bom = release_pairs(inventory_db, derby, [pair])
    upper = next(line for line in bom["lines"] if line["material_id"] == LEATHER)["quantity"]
    vamps = leather_pieces(derby, [pair], {"vamp_medial", "vamp_lateral"})
    quarters = leather_pieces(derby, [pair], {"quarter_medial", "quarter_lateral"})
    assert len(vamps) == len(quarters) == 4
    with session_scope(inventory_db.sessions) as session:  # both jobs are nested before either is cut
        for k, pieces in enumerate((vamps, quarters)):
            cutting.create_hide_job(
                session,
                inventory_db.store,
                hide_nest(dict(pieces)),
                material=LEATHER,
                pieces=pieces,
                now=T0 + timedelta(minutes=k),
            )
    first = cut(inventory_db, vamps, minute=10).consumption
    assert first is not None and first.released == 0.0
    assert first.estimate == pytest.approx(upper / 2)  # 4 of its 8 pieces of this leather
    held = leather_lot(inventory_db).reserved
    assert held == pytest.approx(max(upper - first.consumed, 0.0), abs=1e-12)
    second = cut(inventory_db, quarters, minute=20).consumption
    assert second is not None and second.estimate == pytest.approx(upper / 2)
    lot = leather_lot(inventory_db)
    assert lot.reserved == pytest.approx(0.0, abs=1e-12)
    assert lot.on_hand == pytest.approx(HIDE_M2 - first.consumed - second.consumed, abs=1e-12)


def test_pairs_without_work_orders_cut_from_free_stock_and_unreceived_leather_is_refused(
    inventory_db: InventoryDb, derby: PairFlattening
) -> None:
    pairs = inventory_db.pair_ids[3:5]
    pieces = leather_pieces(derby, pairs, {"vamp_medial"})
    with pytest.raises(ShortageError, match="never received"):
        cut(inventory_db, pieces, minute=1)
    with session_scope(inventory_db.sessions) as session:
        kits.receive_and_reserve(session, LEATHER, HIDE_M2, batch="H-9", now=T0)
    used = cut(inventory_db, pieces, minute=2).consumption
    assert used is not None and used.estimate == 0.0 and [p.work_order_id for p in used.pairs] == [None, None]
    assert sum(p.consumed for p in used.pairs) == pytest.approx(used.consumed)  # shared by piece count
    assert used.pairs[0].consumed == pytest.approx(used.consumed / 2)
    assert leather_lot(inventory_db).available == pytest.approx(HIDE_M2 - used.consumed, abs=1e-12)

"""Every query about lots and stock movements (and the work orders and cutting jobs they name). Repositories
never commit.

Balances are sums over ``stock_movement`` (the effects in ``model.EFFECTS``), computed in SQL. Writers that
decide from balances (reserve, consume, receive) first take ``lock_families``: on PostgreSQL a transaction-scoped
advisory lock per leather or material family, taken in sorted order (no deadlocks), so two releases cannot
both reserve the same free quantity; the balance queries that follow run after the lock, so they see what the
previous holder committed. SQLite serialises writers itself (one writer at a time, busy timeout).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from sqlalchemy import Float, case, cast, func, select, text
from sqlalchemy.orm import Session

from manufacturing.db.models import (
    CuttingJob,
    Pair,
    StockLot,
    StockMovement,
    WorkOrder,
)
from manufacturing.inventory.errors import UnknownLotError
from manufacturing.inventory.model import EFFECTS, EPS, LotBalance, MovementKind


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"cspms-inventory:{name}".encode()).digest()[:8], "big", signed=True)


def lock_families(session: Session, families: Iterable[str]) -> None:
    """Hold each family's stock lock until the transaction ends (PostgreSQL; SQLite has one writer anyway)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for name in sorted(set(families)):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _advisory_key(name)})


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def add_all(session: Session, rows: Sequence[object]) -> None:
    session.add_all(rows)
    session.flush()


def _effect(index: int):  # type: ignore[no-untyped-def]
    whens = [(StockMovement.kind == kind.value, StockMovement.quantity * signs[index])
             for kind, signs in EFFECTS.items() if signs[index]]  # fmt: skip
    return func.coalesce(func.sum(cast(case(*whens, else_=0.0), Float)), 0.0)


def lot_balances(session: Session, material_ids: Iterable[str] | None = None) -> list[LotBalance]:
    """Every lot (of ``material_ids``, or all) with its on-hand and reserved quantities."""
    query = (
        select(StockLot, _effect(0), _effect(1))
        .outerjoin(StockMovement, StockMovement.lot_id == StockLot.id)
        .group_by(StockLot.id)
        .order_by(StockLot.received_at, StockLot.id)
    )
    if material_ids is not None:
        query = query.where(StockLot.material_id.in_(sorted(set(material_ids))))
    return [
        LotBalance(lot.id, lot.material_id, lot.grade, lot.received_at, lot.unit, float(on_hand), float(reserved))
        for lot, on_hand, reserved in session.execute(query).all()
    ]


def lots_by_id(session: Session, lot_ids: Iterable[int]) -> dict[int, StockLot]:
    ids = sorted(set(lot_ids))
    if not ids:
        return {}
    return {lot.id: lot for lot in session.scalars(select(StockLot).where(StockLot.id.in_(ids))).all()}


def received_of_lots(session: Session, lot_ids: Iterable[int]) -> dict[int, float]:
    ids = sorted(set(lot_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(StockMovement.lot_id, func.sum(StockMovement.quantity))
        .where(StockMovement.lot_id.in_(ids), StockMovement.kind == MovementKind.RECEIVE.value)
        .group_by(StockMovement.lot_id)
    ).all()
    return {lot_id: float(q) for lot_id, q in rows}


def get_lot(session: Session, lot_id: int) -> StockLot:
    lot = session.get(StockLot, lot_id)
    if lot is None:
        raise UnknownLotError(f"stock lot {lot_id} does not exist", lot_id=lot_id)
    return lot


def outstanding_reservations(session: Session, work_order_ids: Sequence[int]) -> dict[tuple[int, int, str], float]:
    """(work order, lot, BOM material served) → what is still reserved for it (only positive ones)."""
    if not work_order_ids:
        return {}
    rows = session.execute(
        select(StockMovement.work_order_id, StockMovement.lot_id, StockMovement.demand_material_id, _effect(1))
        .where(StockMovement.work_order_id.in_(list(work_order_ids)))
        .group_by(StockMovement.work_order_id, StockMovement.lot_id, StockMovement.demand_material_id)
        .order_by(StockMovement.work_order_id, StockMovement.lot_id, StockMovement.demand_material_id)
    ).all()
    return {
        (int(wo), int(lot), str(demand)): float(q)
        for wo, lot, demand, q in rows
        if wo is not None and demand is not None and float(q) > EPS
    }


def movements(
    session: Session,
    *,
    lot_id: int | None = None,
    work_order_id: int | None = None,
    cutting_job_id: int | None = None,
    material_id: str | None = None,
) -> Sequence[StockMovement]:
    query = select(StockMovement).order_by(StockMovement.occurred_at, StockMovement.id)
    if lot_id is not None:
        query = query.where(StockMovement.lot_id == lot_id)
    if work_order_id is not None:
        query = query.where(StockMovement.work_order_id == work_order_id)
    if cutting_job_id is not None:
        query = query.where(StockMovement.cutting_job_id == cutting_job_id)
    if material_id is not None:
        query = query.where(StockMovement.material_id == material_id)
    return session.scalars(query).all()


def work_orders_of_pairs(session: Session, pair_ids: Sequence[int]) -> dict[int, WorkOrder]:
    if not pair_ids:
        return {}
    rows = session.scalars(select(WorkOrder).where(WorkOrder.pair_id.in_(list(pair_ids)))).all()
    return {wo.pair_id: wo for wo in rows}


def pairs_of_work_orders(session: Session, work_order_ids: Iterable[int]) -> dict[int, int]:
    """Work order → its pair."""
    ids = sorted(set(work_order_ids))
    if not ids:
        return {}
    rows = session.execute(select(WorkOrder.id, WorkOrder.pair_id).where(WorkOrder.id.in_(ids))).all()
    return {int(wo_id): int(pair_id) for wo_id, pair_id in rows}


def pair_serials(session: Session, pair_ids: Sequence[int]) -> dict[int, str]:
    if not pair_ids:
        return {}
    return dict(session.execute(select(Pair.id, Pair.serial).where(Pair.id.in_(list(pair_ids)))).tuples().all())


def get_cutting_job(session: Session, job_id: int) -> CuttingJob:
    from geometry.errors import NotFoundError

    job = session.get(CuttingJob, job_id)
    if job is None:
        raise NotFoundError(f"cutting job {job_id} does not exist", job_id=job_id)
    return job


def cutting_jobs_of_materials(session: Session, material_ids: Iterable[str]) -> Sequence[CuttingJob]:
    return session.scalars(
        select(CuttingJob).where(CuttingJob.material.in_(sorted(set(material_ids)))).order_by(CuttingJob.id)
    ).all()

"""What cutting really consumed: a finished cutting job's nest booked against the stock, shared among its pairs,
taken from each pair's reservation first, with the variance against the BOM estimate on every movement.
Services never commit; every call takes ``now`` (aware UTC; the clock by default)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.clock import as_utc, utc_now
from manufacturing.db.models import CuttingJob, StockMovement
from manufacturing.inventory import repository
from manufacturing.inventory.errors import ShortageError, WrongUnitError
from manufacturing.inventory.model import (
    EPS,
    LotBalance,
    MovementKind,
    Take,
    allocation_order,
    can_serve,
    family,
    family_members,
    split_in_proportion,
    take_in_order,
)
from manufacturing.inventory.reservations import ending_movements, work_order_demand
from manufacturing.inventory.shortage import Shortage
from manufacturing.materials.catalogue import MM2_PER_UNIT, Catalogue, Material, default_catalogue
from manufacturing.states import CuttingJobState


@dataclass(frozen=True)
class PairConsumption:
    pair_id: int | None  # None: the consumption of pairs without a work order, on a repeat
    work_order_id: int | None
    consumed: float  # this pair's share of the nest's consumption
    estimate: float  # this pair's share of its BOM estimate for the leather
    released: float  # reservation given back (the pair has no other open job of this material)

    @property
    def variance(self) -> float:
        return self.consumed - self.estimate


@dataclass(frozen=True)
class CuttingConsumption:
    cutting_job_id: int
    material_id: str
    unit: str
    consumed: float  # the nest's consumption: the job's consumed area in the material's unit
    pairs: tuple[PairConsumption, ...]
    first: bool  # False: this job's consumption was already booked; nothing changed

    @property
    def estimate(self) -> float:
        return sum(p.estimate for p in self.pairs)

    @property
    def released(self) -> float:
        return sum(p.released for p in self.pairs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cutting_job_id": self.cutting_job_id,
            "material_id": self.material_id,
            "unit": self.unit,
            "consumed": round(self.consumed, 6),
            "estimate": round(self.estimate, 6),
            "variance": round(self.consumed - self.estimate, 6),
            "released": round(self.released, 6),
            "first": self.first,
            "pairs": [
                {
                    "pair_id": p.pair_id,
                    "work_order_id": p.work_order_id,
                    "consumed": round(p.consumed, 6),
                    "estimate": round(p.estimate, 6),
                    "variance": round(p.variance, 6),
                    "released": round(p.released, 6),
                }
                for p in self.pairs
            ],
        }


def cuttable_material(material_id: str, catalogue: Catalogue | None = None) -> Material:
    """The catalogue material a cutting job cuts: it must exist and be stocked by area (m², dm²)."""
    material = (catalogue or default_catalogue()).get(material_id)
    if not material.is_area:
        raise WrongUnitError(
            f"{material.id} is stocked in {material.unit}: cutting jobs consume area (m2 or dm2)",
            material=material.id,
            unit=material.unit,
        )
    return material


def _placements(job: CuttingJob) -> list[tuple[str, int]]:
    return [(str(p["piece_id"]), int(p["pair_id"])) for p in job.layout.get("placements", ())]


def _summary_of_booked(
    session: Session, job: CuttingJob, booked: Sequence[StockMovement], material: Material
) -> CuttingConsumption:
    used = (MovementKind.CONSUME.value, MovementKind.CONSUME_UNRESERVED.value)
    per_order: dict[int | None, list[StockMovement]] = {}
    for m in booked:
        per_order.setdefault(m.work_order_id, []).append(m)
    pair_of = repository.pairs_of_work_orders(session, [wo_id for wo_id in per_order if wo_id is not None])
    pairs = []
    for wo_id, rows in per_order.items():
        got = sum(m.quantity for m in rows if m.kind in used)
        measured = [m.variance for m in rows if m.kind in used and m.variance is not None]
        released = sum(m.quantity for m in rows if m.kind == MovementKind.UNRESERVE.value)
        pair_id = None if wo_id is None else pair_of[wo_id]
        pairs.append(PairConsumption(pair_id, wo_id, got, got - sum(measured) if measured else 0.0, released))
    consumed = sum(m.quantity for m in booked if m.kind in used)
    return CuttingConsumption(
        job.id, material.id, material.unit, consumed, tuple(sorted(pairs, key=lambda p: p.pair_id or 0)), first=False
    )


def _cut_demands(material: Material, demand: Mapping[str, float], catalogue: Catalogue) -> list[str]:
    """The BOM materials of a pair that a job of ``material`` cuts: that material itself, else the lines of its
    leather that it may serve (a better hide cut for a worse grade's line)."""
    if material.id in demand:
        return [material.id]
    return [m for m in demand if can_serve(material, material.hide_grade, catalogue.get(m))]


def _cut_movement(
    job_id: int,
    now: datetime,
    balances: Mapping[int, LotBalance],
    work_order_id: int | None,
    share: float,
    estimate: float,
    take: Take,
    kind: MovementKind,
    demand: str | None,
    note: str,
) -> StockMovement:
    """One pair's cut from one lot; it carries its part of the pair's variance (share − BOM estimate)."""
    lot = balances[take.lot_id]
    variance = take.quantity * (1.0 - estimate / share) if share > EPS and estimate > EPS else None
    return StockMovement(
        lot_id=take.lot_id,
        material_id=lot.material_id,
        kind=kind.value,
        quantity=take.quantity,
        unit=lot.unit,
        work_order_id=work_order_id,
        cutting_job_id=job_id,
        demand_material_id=demand,
        variance=variance,
        occurred_at=now,
        note=note,
    )


def consume_cutting_job(
    session: Session, job_id: int, now: datetime | None = None, catalogue: Catalogue | None = None
) -> CuttingConsumption:
    """Book what a finished cutting job really consumed: its nest's ``consumed_area_mm2`` in the material's unit,
    shared among its pairs in proportion to their BOM estimate for what it cuts (by piece count when none),
    each share taken from that pair's reservation first, then from free stock of the leather. A pair with no
    other open job of this material gets the rest of that reservation back. Every consumption movement carries
    its part of the variance (nest − BOM estimate). Idempotent: a job already booked books nothing."""
    now, catalogue = as_utc(now or utc_now()), catalogue or default_catalogue()
    job = repository.get_cutting_job(session, job_id)
    material = cuttable_material(job.material, catalogue)
    members = [m.id for m in family_members(catalogue, material)]
    repository.lock_families(session, [family(material)])
    booked = repository.movements(session, cutting_job_id=job.id)
    if booked:
        return _summary_of_booked(session, job, booked, material)
    quantity = job.consumed_area_mm2 / MM2_PER_UNIT[material.unit]
    placements = _placements(job)
    pair_ids = sorted({pair for _, pair in placements})
    work_orders = repository.work_orders_of_pairs(session, pair_ids)
    # Each pair's pieces in this job, and in all its live jobs of this material (the BOM line's share).
    here = {p: sum(1 for _, q in placements if q == p) for p in pair_ids}
    everywhere = dict.fromkeys(pair_ids, 0)
    other_open: set[int] = set()
    for other in repository.cutting_jobs_of_materials(session, [material.id]):
        if other.state == CuttingJobState.FAILED:
            continue
        for _, p in _placements(other):
            if p in everywhere:
                everywhere[p] += 1
                if other.id != job.id and other.state != CuttingJobState.DONE:
                    other_open.add(p)
    cuts: dict[int, list[str]] = {}
    estimate: dict[int, float] = {}
    for p in pair_ids:
        wo = work_orders.get(p)
        demand = work_order_demand(wo, catalogue) if wo is not None else {}
        cuts[p] = _cut_demands(material, demand, catalogue)
        estimate[p] = sum(demand[m] for m in cuts[p]) * here[p] / max(everywhere[p], 1)
    weights = estimate if sum(estimate.values()) > EPS else {p: float(here[p]) for p in pair_ids}
    shares = split_in_proportion(quantity, weights)
    outstanding = repository.outstanding_reservations(session, [wo.id for wo in work_orders.values()])
    balances = {b.lot_id: b for b in repository.lot_balances(session, members)}
    if not balances:
        raise ShortageError(
            [Shortage(material.id, quantity, 0.0, material.unit)],
            f"cutting job {job.id} consumed leather that was never received",
        )
    free = {lot_id: b.available for lot_id, b in balances.items()}
    where = f"cutting job {job.id}, {job.container_kind} {job.container_ref}"
    rows: list[StockMovement] = []
    results = []
    for p in pair_ids:
        wo = work_orders.get(p)
        wo_id = wo.id if wo is not None else None
        # This pair's movements: bound now, explicitly, to this pair's work order, share and estimate.
        cut = functools.partial(_cut_movement, job.id, now, balances, wo_id, shares[p], estimate[p])
        held = {
            (lot_id, demand): q
            for (w, lot_id, demand), q in outstanding.items()
            if w == wo_id and demand in cuts[p] and lot_id in balances
        }
        order = sorted(held, key=lambda key: (balances[key[0]].received_at, key[0], key[1]))
        left = shares[p]
        for key in order:
            quantity_here = min(held[key], left)
            if quantity_here > EPS:
                rows.append(
                    cut(
                        Take(key[0], quantity_here),
                        MovementKind.CONSUME,
                        key[1],
                        f"pair {p} cut from its reservation ({where})",
                    )
                )
                held[key] -= quantity_here
                left -= quantity_here
        if left > EPS:  # the nest used more than was reserved: free stock of this leather, best-matching first
            candidates = [(b.lot_id, free[b.lot_id]) for b in allocation_order(balances.values(), material, catalogue)]
            extra, left = take_in_order(candidates, left)
            for extra_take in extra:
                rows.append(
                    cut(
                        extra_take,
                        MovementKind.CONSUME_UNRESERVED,
                        None,
                        f"pair {p} cut beyond its reservation ({where})",
                    )
                )
                free[extra_take.lot_id] -= extra_take.quantity
        if left > EPS:  # more than the free stock: the cut happened; book it and let a count find the hide
            lot_id = max(balances.values(), key=lambda b: (b.on_hand, b.lot_id)).lot_id
            rows.append(
                cut(
                    Take(lot_id, left),
                    MovementKind.CONSUME_UNRESERVED,
                    None,
                    f"pair {p} cut beyond the free stock: count this lot ({where})",
                )
            )
            free[lot_id] -= left
        released = 0.0
        if wo_id is not None and p not in other_open:
            note = f"pair {p} reserved but not used by the nest ({where})"
            ending = ending_movements(session, wo_id, held, MovementKind.UNRESERVE, now, note, cutting_job_id=job.id)
            rows.extend(ending)
            released = sum(r.quantity for r in ending)
        results.append(PairConsumption(p, wo_id, shares[p], estimate[p], released))
    repository.add_all(session, rows)
    return CuttingConsumption(job.id, material.id, material.unit, quantity, tuple(results), first=True)

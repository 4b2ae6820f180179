"""Cost and price quote of a pair: materials (the BOM) + labour (operation minutes × station rates) +
overhead, then the margin → the configurator's price.

Labour takes any list of ``(operation, minutes, station rate EUR/h)``: the routing's operations when there
is a routing for the design, else :func:`standard_operations`, a simple standard-time model read from the
BOM's figures (docs/bom.md lists every time and rate and where it comes from).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from geometry.errors import InputError
from manufacturing.bom.bom import Bom

# Fully loaded station rates, EUR per hour (wage + social charges + the station's machines), docs/bom.md.
STATION_RATES_EUR_H: Mapping[str, float] = {
    "cutting": 26.0,
    "skiving": 24.0,
    "closing": 24.0,
    "hand_closing": 28.0,
    "lasting": 27.0,
    "soling": 27.0,
    "finishing": 22.0,
    "qc": 24.0,
    "packing": 20.0,
}


@dataclass(frozen=True)
class StandardTimes:
    """Minutes per unit of work (shop standards to be replaced by measured times; docs/bom.md)."""

    cutting_setup_min: float = 3.0  # per pair: hide chosen, inspected and marked
    cutting_per_piece_min: float = 0.5
    skiving_per_piece_min: float = 0.3
    closing_prep_per_piece_min: float = 0.4  # marking, cementing, folding
    closing_per_m_min: float = 10.0  # machine stitching, handling included
    hand_closing_per_m_min: float = 30.0  # saddle stitch
    eyelet_min: float = 0.15
    lasting_min: float = 20.0
    soling_min: float = 15.0
    finishing_min: float = 12.0
    logo_min: float = 4.0
    qc_min: float = 5.0
    packing_min: float = 3.0


@dataclass(frozen=True)
class Operation:
    """One operation of a pair: ``minutes`` at a station costing ``rate_eur_h`` per hour."""

    name: str
    minutes: float
    rate_eur_h: float
    how: str = ""

    @property
    def cost_eur(self) -> float:
        return self.minutes / 60.0 * self.rate_eur_h

    def to_dict(self) -> dict[str, Any]:
        return {"operation": self.name, "minutes": round(self.minutes, 2), "rate_eur_h": self.rate_eur_h,
                "cost_eur": round(self.cost_eur, 4), **({"how": self.how} if self.how else {})}  # fmt: skip


def operations_from(rows: Iterable[tuple[str, float, float] | Operation]) -> list[Operation]:
    """Operations from ``(operation, minutes, station rate EUR/h)`` tuples (a routing's), checked."""
    out = []
    for row in rows:
        op = row if isinstance(row, Operation) else Operation(str(row[0]), float(row[1]), float(row[2]))
        if not (op.minutes >= 0 and op.rate_eur_h >= 0):
            raise InputError(f"operation {op.name}: minutes and rate must be ≥ 0, got {op.minutes}, {op.rate_eur_h}")
        out.append(op)
    return out


def standard_operations(
    bom: Bom, times: StandardTimes | None = None, rates: Mapping[str, float] = STATION_RATES_EUR_H
) -> list[Operation]:
    """A pair's operations by the standard-time model, from the BOM's counts and seam lengths."""
    t = times or StandardTimes()
    f = bom.figures
    pieces = f["pieces_cut"] + f.get("lining_pieces_cut", 0.0)
    machine_m = f.get("machine_stitch_mm", 0.0) / 1000.0
    hand_m = f.get("hand_stitch_mm", 0.0) / 1000.0
    eyelets = f.get("eyelets", 0.0)
    ops = [
        Operation("cutting", t.cutting_setup_min + t.cutting_per_piece_min * pieces, rates["cutting"],
                  f"{t.cutting_setup_min:g} min setup + {pieces:.0f} pieces (outer and lining) × "
                  f"{t.cutting_per_piece_min:g} min"),
        Operation("skiving", t.skiving_per_piece_min * f["pieces_cut"], rates["skiving"],
                  f"{f['pieces_cut']:.0f} outer pieces × {t.skiving_per_piece_min:g} min"),
        Operation("closing", t.closing_prep_per_piece_min * pieces + t.closing_per_m_min * machine_m,
                  rates["closing"], f"{pieces:.0f} pieces × {t.closing_prep_per_piece_min:g} min + "
                  f"{machine_m:.2f} m machine stitching × {t.closing_per_m_min:g} min/m"),
    ]  # fmt: skip
    if hand_m > 0:
        ops.append(Operation("hand closing", t.hand_closing_per_m_min * hand_m, rates["hand_closing"],
                             f"{hand_m:.2f} m saddle stitch × {t.hand_closing_per_m_min:g} min/m"))  # fmt: skip
    if eyelets > 0:
        ops.append(Operation("eyelet setting", t.eyelet_min * eyelets, rates["closing"],
                             f"{eyelets:.0f} eyelets × {t.eyelet_min:g} min"))  # fmt: skip
    ops += [
        Operation("lasting", t.lasting_min, rates["lasting"], "per pair: toe, seat and sides lasted"),
        Operation("sole attaching", t.soling_min, rates["soling"], "per pair: roughing, cementing, pressing"),
        Operation("finishing", t.finishing_min, rates["finishing"], "per pair: delasting, insoles, cream, polish"),
    ]
    if f.get("logo", 0.0):
        ops.append(Operation("logo", t.logo_min, rates["finishing"], "emboss or print, per pair"))
    ops += [
        Operation("inspection", t.qc_min, rates["qc"], "per pair"),
        Operation("packing", t.packing_min, rates["packing"], "per pair"),
    ]
    return ops


@dataclass(frozen=True)
class QuoteRules:
    overhead_pct: float = 25.0  # of materials + labour: rent, energy, supervision, design, admin
    margin_pct: float = 55.0  # gross margin on the price (ex VAT)
    round_to_eur: float = 5.0  # prices end in 0 or 5

    def __post_init__(self) -> None:
        if not (self.overhead_pct >= 0 and 0 <= self.margin_pct < 100 and self.round_to_eur >= 0):
            raise InputError("overhead ≥ 0 %, margin in [0, 100) %, rounding ≥ 0 EUR")


@dataclass(frozen=True)
class Quote:
    """A pair's cost and price (EUR, ex VAT); ``pairs`` identical pairs in the order."""

    bom: Bom
    operations: tuple[Operation, ...]
    rules: QuoteRules = field(default_factory=QuoteRules)

    @property
    def materials_eur(self) -> float:
        return self.bom.materials_eur

    @property
    def labour_eur(self) -> float:
        return sum(op.cost_eur for op in self.operations)

    @property
    def labour_minutes(self) -> float:
        return sum(op.minutes for op in self.operations)

    @property
    def overhead_eur(self) -> float:
        return (self.materials_eur + self.labour_eur) * self.rules.overhead_pct / 100.0

    @property
    def cost_eur(self) -> float:
        return self.materials_eur + self.labour_eur + self.overhead_eur

    @property
    def price_eur(self) -> float:
        """cost ÷ (1 − margin), rounded up to ``round_to_eur``."""
        raw = self.cost_eur / (1.0 - self.rules.margin_pct / 100.0)
        step = self.rules.round_to_eur
        if step <= 0:
            return round(raw, 2)
        return float(-(-raw // step) * step)

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.bom.currency,
            "pairs": self.bom.pairs,
            "per_pair": {
                "materials_eur": round(self.materials_eur, 2),
                "labour_eur": round(self.labour_eur, 2),
                "labour_minutes": round(self.labour_minutes, 1),
                "overhead_eur": round(self.overhead_eur, 2),
                "cost_eur": round(self.cost_eur, 2),
                "price_eur": self.price_eur,
            },
            "order_price_eur": round(self.price_eur * self.bom.pairs, 2),
            "overhead_pct": self.rules.overhead_pct,
            "margin_pct": self.rules.margin_pct,
            "operations": [op.to_dict() for op in self.operations],
            "how": (
                f"materials {self.materials_eur:.2f} + labour {self.labour_eur:.2f} ({self.labour_minutes:.0f} min) "
                f"+ overhead {self.rules.overhead_pct:g} % {self.overhead_eur:.2f} = cost {self.cost_eur:.2f}; "
                f"÷ (1 − margin {self.rules.margin_pct:g} %) rounded up to {self.rules.round_to_eur:g} EUR = "
                f"price {self.price_eur:.2f} EUR per pair ex VAT"
            ),
        }


def quote(
    bom: Bom,
    operations: Sequence[tuple[str, float, float] | Operation] | None = None,
    rules: QuoteRules | None = None,
) -> Quote:
    """The price quote of ``bom``'s pair; ``operations`` (a routing's) default to the standard-time model."""
    ops = operations_from(operations) if operations is not None else standard_operations(bom)
    return Quote(bom, tuple(ops), rules or QuoteRules())

"""Inventory and purchasing: what the stores routes take and give (quantities are in each material's unit:
m², pairs, m, pieces, g)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from manufacturing.states import PurchaseOrderState
from web.api.schemas.common import IsoTime, Record, Within

# Quantities in a material's unit (m², pairs, m, pieces, g) and prices: finite, and short of absurd.
MAX_QUANTITY = 1e9
MAX_UNIT_COST_EUR = 1e6
Quantity = Annotated[float, Within(0, MAX_QUANTITY)]

# ---------------------------------------------------------------------------------------------- requests


class ReceiveIn(BaseModel):
    material_id: str = Field(description="Catalogue material id, e.g. full-grain-cowhide-b.")
    quantity: Quantity = Field(description="In the material's unit (m², pairs, m, pieces, g).")
    unit: str | None = Field(None, description="The unit `quantity` is in: refused unless it is the material's.")
    batch: str = Field(min_length=1, max_length=100, description="The supplier's batch or hide bundle number.")
    supplier: str | None = Field(None, max_length=200, description="The catalogue's supplier when omitted.")
    grade: str | None = Field(None, description="Hides: the SATRA grade they were sorted at (A best … F).")
    unit_cost_eur: Annotated[float, Within(0, MAX_UNIT_COST_EUR, "EUR")] | None = Field(
        None, description="The catalogue's price when omitted."
    )
    note: str = Field("", max_length=2000)
    received_at: datetime | None = Field(None, description="When it came in (with its zone); now by default.")


class AdjustIn(BaseModel):
    delta: Annotated[float, Within(-MAX_QUANTITY, MAX_QUANTITY)] | None = Field(
        None, description="A signed correction, in the lot's unit."
    )
    counted: Annotated[float, Within(0, MAX_QUANTITY, low_included=True)] | None = Field(
        None, description="The physical count: the lot is set to it."
    )
    note: str = Field(min_length=1, max_length=2000, description="Why (a count, damage, a hide found).")

    @model_validator(mode="after")
    def one_of(self) -> AdjustIn:
        if (self.delta is None) == (self.counted is None):
            raise ValueError("give either delta or counted")
        return self


class OrderLineIn(BaseModel):
    material_id: str
    quantity: Quantity = Field(description="In the material's unit.")


class PurchaseOrderIn(BaseModel):
    """Either ``lines`` for ``supplier``, or ``from_suggestions`` (one order per supplier, or ``supplier``'s)."""

    supplier: str | None = Field(None, max_length=200)
    lines: list[OrderLineIn] = Field(default_factory=list)
    from_suggestions: bool = False
    note: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def lines_or_suggestions(self) -> PurchaseOrderIn:
        if self.from_suggestions == bool(self.lines):
            raise ValueError("give either lines (with a supplier) or from_suggestions")
        if self.lines and not self.supplier:
            raise ValueError("an order with lines names its supplier")
        return self


class ReceiptIn(BaseModel):
    batch: str | None = Field(None, max_length=100, description="The order number when omitted.")
    quantities: dict[str, Annotated[float, Within(0, MAX_QUANTITY, low_included=True)]] | None = Field(
        None, description="Material id → quantity received; everything still open when omitted."
    )
    grades: dict[str, str] | None = Field(None, description="Hides: material id → the grade they came at.")


# ---------------------------------------------------------------------------------------------- responses


class ShortageOut(Record):
    """``needed`` of a material, only ``available`` free."""

    material_id: str
    needed: float
    available: float
    unit: str


class StockRowOut(Record):
    material_id: str
    name: str
    category: str
    unit: str
    grade: str | None = Field(description="Hides: the catalogue grade.")
    supplier: str
    on_hand: float
    reserved: float
    available: float
    on_order: float = Field(description="Open purchase-order lines not received yet.")
    shortage: float = Field(description="What waiting work orders need of it and could not reserve.")
    lots: int
    value_eur: float


class LotOut(Record):
    id: int
    material_id: str
    supplier: str
    batch: str
    grade: str | None
    unit: str
    unit_cost_eur: float | None
    received_at: IsoTime
    received: float
    on_hand: float
    reserved: float
    available: float
    purchase_order_line_id: int | None
    note: str


class MovementOut(Record):
    """A stock movement: an append-only fact (receipt, reservation, issue, adjustment…)."""

    id: int
    lot_id: int | None
    material_id: str
    kind: str
    quantity: float = Field(description="Signed, in the material's unit.")
    unit: str
    work_order_id: int | None
    cutting_job_id: int | None
    demand_material_id: str | None
    variance: float | None = Field(description="Cutting: consumed minus the BOM estimate.")
    occurred_at: IsoTime
    note: str


class LotWithMovementsOut(LotOut):
    movements: list[MovementOut]


class ReceivedLotOut(Record):
    lot: LotOut
    reserved_work_orders: list[int] = Field(description="Work orders that now hold their kit.")
    still_waiting: list[int] = Field(description="Work orders still short of material.")


class ReorderLineOut(Record):
    material_id: str
    unit: str
    supplier: str
    lead_time_days: int
    on_hand: float
    reserved: float
    available: float
    on_order: float
    shortage: float
    position: float = Field(description="available + on order − shortage.")
    mean_daily_demand: float
    sigma_daily_demand: float
    safety_stock: float
    reorder_point: float
    needs_order: bool
    suggested_quantity: float
    pack_quantity: float | None = Field(description="Orders are rounded up to it; null: ordered as computed.")


class ReorderOptionsOut(Record):
    service_level: float
    history_days: int
    cover_days: float


class ReorderReportOut(ReorderOptionsOut):
    materials: list[ReorderLineOut]


class SuggestedLineOut(Record):
    material_id: str
    quantity: float
    unit: str
    unit_cost_eur: float
    cost_eur: float
    reason: str


class PurchaseSuggestionOut(Record):
    supplier: str
    lead_time_days: int = Field(description="The longest of its lines'.")
    cost_eur: float
    lines: list[SuggestedLineOut]


class PurchaseSuggestionsOut(ReorderOptionsOut):
    suppliers: list[PurchaseSuggestionOut]
    cost_eur: float


class PurchaseOrderLineOut(Record):
    id: int
    material_id: str
    quantity: float
    unit: str
    unit_cost_eur: float
    received: float


class PurchaseOrderOut(Record):
    id: int
    number: str
    supplier: str
    state: PurchaseOrderState
    placed_at: IsoTime
    expected_at: IsoTime
    cost_eur: float
    lines: list[PurchaseOrderLineOut]
    note: str


class PlacedPurchaseOrdersOut(Record):
    purchase_orders: list[PurchaseOrderOut]


class OrderReceiptOut(Record):
    purchase_order: PurchaseOrderOut
    lots: list[LotOut]
    reserved_work_orders: list[int]
    still_waiting: list[int]


class WaitingWorkOrderOut(Record):
    work_order_id: int
    pair_id: int
    pair_serial: str
    due_at: IsoTime
    reason: str = Field(description="The shortages in words.")
    shortages: list[ShortageOut]


class WaitingWorkOrdersOut(Record):
    work_orders: list[WaitingWorkOrderOut]

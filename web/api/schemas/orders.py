"""Orders: what placing one answers, and an order read back with its pairs and their pipeline runs."""

from __future__ import annotations

from pydantic import BaseModel

from web.api.schemas.common import IsoTime, Record
from web.api.schemas.runs import RunOut


class PlacedOrderOut(BaseModel):
    order_number: str
    design_id: int
    foot_scan_id: int
    pair_serials: list[str]
    run_ids: list[int]
    stages: list[str]


class OrderPairOut(Record):
    serial: str
    design_id: int
    runs: list[RunOut]


class OrderOut(Record):
    order_number: str
    created_at: IsoTime
    pairs: list[OrderPairOut]

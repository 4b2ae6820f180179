"""The KPIs of ``manufacturing/tracking/kpi.py`` and the daily output of ``throughput.py``."""

from __future__ import annotations

from pydantic import Field

from web.api.schemas.common import IsoDate, Record


class HoursSummaryOut(Record):
    n: int = Field(description="How many orders it summarises.")
    median_h: float
    p90_h: float


class DailyOutputOut(Record):
    day: IsoDate = Field(description="A UTC day.")
    operations_finished: int


class KpisOut(Record):
    pairs: int
    pairs_done: int
    orders: int
    orders_done: int
    order_lead_time: HoursSummaryOut | None = Field(description="Order placed → its last pair done; null: none done.")
    order_processing_time: HoursSummaryOut | None = Field(description="First operation started → last pair done.")
    on_time_delivery: float | None = Field(description="Share of the pairs done by their due date.")
    output_per_worker: dict[str, int] = Field(description="Worker code → operations finished.")
    defect_rate: float | None = Field(description="Failed inspections / inspections.")
    first_pass_yield: float | None
    daily_output: list[DailyOutputOut] = Field(description="Operations finished per UTC day, oldest first.")

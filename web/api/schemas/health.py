"""The health check's answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HealthOut(BaseModel):
    status: Literal["ok"] = Field(description="Always `ok`: a failing database makes the check a 500 instead.")
    database: str = Field(description="The database dialect the app talks to (`postgresql`, `sqlite`).")

"""Why a demand cannot be served: a material, what is needed, what is free, in its unit. A plain value at the
bottom of inventory, so its errors, its core, and the work orders that wait for material can all name it
without importing one another."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Shortage:
    """Why a demand cannot be reserved: ``needed`` of ``material_id``, only ``available`` free (``unit``)."""

    material_id: str
    needed: float
    available: float
    unit: str

    @property
    def missing(self) -> float:
        return max(self.needed - self.available, 0.0)

    def sentence(self) -> str:
        return (
            f"{self.material_id} needs {quantity_text(self.needed)} {self.unit}, "
            f"{quantity_text(max(self.available, 0.0))} {self.unit} available (short {quantity_text(self.missing)} "
            f"{self.unit})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "material_id": self.material_id,
            "needed": round(self.needed, 6),
            "available": round(max(self.available, 0.0), 6),
            "unit": self.unit,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Shortage:
        return cls(str(data["material_id"]), float(data["needed"]), float(data["available"]), str(data["unit"]))


def quantity_text(value: float) -> str:
    """A quantity as people read it in a reason: 4 significant digits, thousands spaced."""
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}".replace(",", " ")

"""Errors the stores or a planner can get back from inventory, each with its code and HTTP status."""

from __future__ import annotations

from collections.abc import Sequence

from geometry.errors import ConflictError, InputError, NotFoundError
from manufacturing.inventory.shortage import Shortage


class InventoryInputError(InputError):
    """A stock request that cannot be right: a quantity that is not a positive number, a grade on a material
    that is not a hide, an unknown movement kind."""

    code = "inventory_input_error"


class WrongUnitError(InventoryInputError):
    """A quantity given in another unit than the material is stocked in (it is never converted silently)."""

    code = "wrong_unit"


class UnknownLotError(NotFoundError):
    """A lot id the stock does not hold."""

    code = "unknown_lot"


class ShortageError(ConflictError):
    """Not enough free stock for a request (409): names each material, what was needed, what is available and
    the unit."""

    code = "material_shortage"

    def __init__(self, shortages: Sequence[Shortage], what: str = "") -> None:
        self.shortages = tuple(shortages)
        reasons = "; ".join(s.sentence() for s in self.shortages)
        super().__init__(f"{what + ': ' if what else ''}{reasons}", shortages=[s.to_dict() for s in self.shortages])

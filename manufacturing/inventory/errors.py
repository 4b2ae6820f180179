"""Errors the stores, a planner or a buyer can get back from inventory, each with its code and HTTP status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from geometry.errors import ConflictError, InputError, NotFoundError

if TYPE_CHECKING:
    from manufacturing.inventory.model import Shortage


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


class UnknownPurchaseOrderError(NotFoundError):
    """A purchase order number or id that does not exist."""

    code = "unknown_purchase_order"


class PurchaseOrderError(ConflictError):
    """A purchase-order request that contradicts the order's state: receiving a cancelled or fully received
    order, cancelling one that was received."""

    code = "purchase_order_conflict"


class ShortageError(ConflictError):
    """Not enough free stock for a request (409): names each material, what was needed, what is available and
    the unit."""

    code = "material_shortage"

    def __init__(self, shortages: Sequence[Shortage], what: str = "") -> None:
        self.shortages = tuple(shortages)
        reasons = "; ".join(s.sentence() for s in self.shortages)
        super().__init__(f"{what + ': ' if what else ''}{reasons}", shortages=[s.to_dict() for s in self.shortages])

"""Errors a buyer can get back from purchasing, each with its code and HTTP status."""

from __future__ import annotations

from geometry.errors import ConflictError, NotFoundError


class UnknownPurchaseOrderError(NotFoundError):
    """A purchase order number or id that does not exist."""

    code = "unknown_purchase_order"


class PurchaseOrderError(ConflictError):
    """A purchase-order request that contradicts the order's state: receiving a cancelled or fully received
    order, cancelling one that was received."""

    code = "purchase_order_conflict"

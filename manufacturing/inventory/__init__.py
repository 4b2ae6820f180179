"""Inventory: stock lots and their movements, receiving and counts, a work order's kit reserved, given back or
backflushed, and consumption at cutting. Purchasing (reorder points, purchase orders) is
``manufacturing.purchasing``."""

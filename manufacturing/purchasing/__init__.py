"""Purchasing: reorder points, suggestions by supplier, and purchase orders received into inventory's lots."""

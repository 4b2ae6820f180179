"""Inventory and purchasing: stock lots, reservations, consumption at cutting, reorder points, purchase orders."""

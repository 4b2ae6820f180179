"""Purchasing's tests run on the stores' database (pairs, no work orders yet), on SQLite and PostgreSQL."""

from tests.manufacturing.inventory.conftest import inventory_db

__all__ = ["inventory_db"]  # the fixture, shared with the inventory tests

"""Who may do what: the roles and what each can reach. The routes name the capability they need
(web/api/auth.py); this table says which roles hold it, in one place (docs/api.md shows it)."""

from __future__ import annotations

import enum
from collections.abc import Mapping


class Role(enum.StrEnum):
    CUSTOMER = "customer"  # own scans, designs, orders and pairs only
    STAFF = "staff"  # the shop floor: orders, tracking, QC, inventory, planning, KPIs
    PATTERN_MAKER = "pattern_maker"  # designs, pattern files, strain and fit reports
    ADMIN = "admin"  # everything, and accounts


class Capability(enum.StrEnum):
    OWN_DESIGNS = "own_designs"  # scans, designs, orders of one's own customer record
    ALL_DESIGNS = "all_designs"  # any customer's scans, designs, orders (read), on behalf of a customer (write)
    PATTERNS = "patterns"  # pattern files and reports
    SHOP_FLOOR = "shop_floor"  # tracking events, QC, inventory, planning, dashboard, KPIs
    ACCOUNTS = "accounts"  # create and disable accounts


ROLE_CAPABILITIES: Mapping[Role, frozenset[Capability]] = {
    Role.CUSTOMER: frozenset({Capability.OWN_DESIGNS}),
    Role.STAFF: frozenset({Capability.ALL_DESIGNS, Capability.SHOP_FLOOR}),
    Role.PATTERN_MAKER: frozenset({Capability.ALL_DESIGNS, Capability.PATTERNS}),
    Role.ADMIN: frozenset(Capability),
}


def can(role: Role, capability: Capability) -> bool:
    return capability in ROLE_CAPABILITIES[role]

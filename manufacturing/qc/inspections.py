"""Judging an inspection, pure: the inspector's values against the inspection's own template copy.

Each measured item passes when its value lies within its limits; each check item is the inspector's pass or
fail, and a failed check with ``photo_on_fail`` needs a photo. The inspection passes when every item does.
A failure carries the defect codes of its failed items and names one operation to rework: of the operations
the failed items send the pair back to, the earliest in the routing (redoing it redoes what follows).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from manufacturing.qc.errors import InspectionError
from manufacturing.qc.templates import ItemKind, QcTemplate, TemplateItem

CLOSING_ALIAS = "closing"
_CLOSING_CODES = ("closing_hand", "closing_machine")


@dataclass(frozen=True)
class ItemResult:
    code: str
    kind: ItemKind
    passed: bool
    value: float | None  # measured items
    defect_code: str | None  # when failed
    rework_to: str | None  # when failed: the routing operation
    photos: int

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "kind": self.kind.value, "passed": self.passed, "value": self.value,
                "defect_code": self.defect_code, "rework_to": self.rework_to, "photos": self.photos}  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    passed: bool
    items: tuple[ItemResult, ...]
    defect_codes: tuple[str, ...]  # of the failed items, in template order, each once
    rework_to: str | None  # the operation the pair goes back to, when failed

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "items": [i.to_json() for i in self.items],
                "defect_codes": list(self.defect_codes), "rework_to": self.rework_to}  # fmt: skip


def resolve_operation(code: str, routing_codes: Sequence[str]) -> str:
    """A template's operation name as the routing spells it (``closing`` → the routing's closing)."""
    if code == CLOSING_ALIAS:
        found = next((c for c in routing_codes if c in _CLOSING_CODES), None)
        if found is None:
            raise InspectionError("the routing has no closing operation")
        return found
    if routing_codes and code not in routing_codes:
        raise InspectionError(f"the routing has no operation {code!r}", operation=code)
    return code


def within_limits(item: TemplateItem, value: float) -> bool:
    return (item.lower is None or value >= item.lower) and (item.upper is None or value <= item.upper)


def evaluate(
    template: QcTemplate,
    measurements: Mapping[str, float],
    checks: Mapping[str, bool],
    photo_counts: Mapping[str, int] | None = None,
    routing_codes: Sequence[str] = (),
) -> Outcome:
    """Judge one inspection. Every measured item needs a value (``measurements``, in the item's unit), every
    check item a verdict (``checks``); anything else is refused (``InspectionError``)."""
    photo_counts = dict(photo_counts or {})
    known = {i.code for i in template.items}
    unknown = sorted((set(measurements) | set(checks) | set(photo_counts)) - known)
    if unknown:
        raise InspectionError(f"not in template {template.code}: {', '.join(unknown)}", items=unknown)
    results = []
    for item in template.items:
        photos = int(photo_counts.get(item.code, 0))
        if item.kind == ItemKind.MEASURED:
            if item.code not in measurements:
                raise InspectionError(f"{item.code} ({item.label}) is not measured", item=item.code)
            measured = float(measurements[item.code])
            if math.isnan(measured):
                raise InspectionError(f"{item.code} is not a number", item=item.code)
            value: float | None = measured
            passed = within_limits(item, measured)
        else:
            if item.code not in checks:
                raise InspectionError(f"{item.code} ({item.label}) is not checked", item=item.code)
            value, passed = None, bool(checks[item.code])
            if not passed and item.photo_on_fail and photos == 0:
                raise InspectionError(f"{item.code} failed: a photo is required", item=item.code)
        rework = None if passed else resolve_operation(item.rework_to, routing_codes)
        results.append(ItemResult(item.code, item.kind, passed, value, None if passed else item.defect_code,
                                  rework, photos))  # fmt: skip
    failed = [r for r in results if not r.passed]
    defects = tuple(dict.fromkeys(r.defect_code for r in failed if r.defect_code))
    rework_to = None
    if failed:
        targets = [r.rework_to for r in failed if r.rework_to]
        order = {c: k for k, c in enumerate(routing_codes)}
        rework_to = min(targets, key=lambda c: (order.get(c, len(order)), targets.index(c)))
    return Outcome(not failed, tuple(results), defects, rework_to)

"""Errors a planner or a shop-floor terminal can get back from planning, each with its code and HTTP status."""

from __future__ import annotations

from geometry.errors import ConflictError, InputError


class RoutingError(InputError):
    """Routing inputs that cannot be routed: an unknown style or logo method, a negative seam length."""

    code = "routing_error"


class OperationEventError(ConflictError):
    """An operation event that contradicts the work order (409): starting an operation that is not ready,
    finishing one that never started, a QC result on an operation that is not a QC point."""

    code = "operation_event_conflict"


class AwaitingMaterialError(OperationEventError):
    """An operation that consumes components cannot start: the work order's kit is not reserved (409). The
    message and ``details.shortages`` name each short material, what it needs, what is free and the unit."""

    code = "awaiting_material"


class ScheduleError(InputError):
    """A scheduling instance that cannot be scheduled: an operation with no eligible work centre."""

    code = "schedule_error"

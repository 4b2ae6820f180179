"""Errors a QC terminal can get back, each with its code and HTTP status."""

from __future__ import annotations

from geometry.errors import ConflictError, InputError


class InspectionError(InputError):
    """Inspection input that cannot be judged: an unknown checkpoint, a missing or unknown item, a failed
    check without its photo."""

    code = "inspection_error"


class InspectionConflictError(ConflictError):
    """An inspection that contradicts what is stored (409): recording different results for a finished
    inspection, inspecting a pair whose operation is not ready for it."""

    code = "inspection_conflict"

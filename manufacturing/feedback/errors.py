"""Errors fit feedback can give back, each with its code and HTTP status."""

from __future__ import annotations

from geometry.errors import ConflictError, InputError


class FeedbackError(InputError):
    """Feedback that cannot be read: an unknown region, answer or detail, no answer at all."""

    code = "feedback_error"


class FeedbackConflictError(ConflictError):
    """Feedback that contradicts what is stored (409): a pair not delivered yet, other answers already stored
    for the pair, a pair whose fitted last is not stored."""

    code = "feedback_conflict"

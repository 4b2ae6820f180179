"""Nesting's own error: a layout that breaks a rule is the engine's bug, not the user's input."""

from __future__ import annotations

from geometry.errors import CspmsError


class NestingError(CspmsError):
    """A nesting engine returned a layout that breaks a rule (overlap, outside the container, on a defect,
    wrong quality, kerf, orientation or demand): a bug in the engine, never the user's fault."""

    code = "nesting_error"
    http_status = 500

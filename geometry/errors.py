"""The project's error hierarchy.

It lives in the bottom layer so every package can raise and catch it. Each error has a
stable ``code`` (for APIs, logs and tests) and an ``http_status`` that the web layer maps
to an RFC 9457 problem-details response. Errors also inherit the matching Python built-in
(``ValueError``, ``LookupError``, ``OSError``) so callers can catch either.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CspmsError(Exception):
    """Base of every error CSPMS raises on purpose.

    ``message`` is written for the person who has to act on it; ``details`` carries
    machine-readable context (file name, offending value, limit).
    """

    code: ClassVar[str] = "cspms_error"
    http_status: ClassVar[int] = 500
    # Expected errors come from the user's input: record them and stop; never retry.
    expected: ClassVar[bool] = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class InputError(CspmsError, ValueError):
    """Input that cannot be used: a corrupt file, wrong units, an impossible value."""

    code = "input_error"
    http_status = 422
    expected = True


class UnsupportedFormatError(InputError):
    """A file whose content is no format we read."""

    code = "unsupported_format"
    http_status = 415


class InputTooLargeError(InputError):
    """A file or request beyond the configured size limit."""

    code = "input_too_large"
    http_status = 413


class NotFoundError(CspmsError, LookupError):
    """A named record or artifact that does not exist."""

    code = "not_found"
    http_status = 404
    expected = True


class ConflictError(CspmsError):
    """A request that contradicts what is already stored (a state change that is not allowed)."""

    code = "conflict"
    http_status = 409
    expected = True


class StorageError(CspmsError, OSError):
    """The artifact store or database could not keep what was asked (disk full, permissions)."""

    code = "storage_error"
    http_status = 507


class ConfigurationError(CspmsError):
    """Settings that cannot work (an unknown broker scheme, an unreachable database)."""

    code = "configuration_error"
    http_status = 500


class PatternError(InputError):
    """A pattern piece or pattern file whose geometry cannot be cut: an open, self-intersecting or missing cut
    line, non-finite coordinates, a feature that makes no sense (a drill hole of negative diameter)."""

    code = "pattern_error"


class FlatteningError(InputError):
    """A 3D piece patch that cannot be flattened: not a disk (holes, several parts, a closed surface),
    non-manifold or inconsistently wound faces, degenerate geometry, or seams that cannot reach their length."""

    code = "flattening_error"

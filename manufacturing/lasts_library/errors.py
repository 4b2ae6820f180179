"""Errors the base-last library gives back, each with its code and HTTP status."""

from __future__ import annotations

from geometry.errors import ConflictError, InputError, NotFoundError


class BaseLastNameError(InputError):
    """A base last's name that cannot be one: empty, too long, not printable, or the parametric default's."""

    code = "invalid_base_last_name"


class BaseLastExistsError(ConflictError):
    """A base last of that name is stored already (409): pick another name."""

    code = "base_last_exists"


class BaseLastNotFoundError(NotFoundError):
    """No base last of that name is stored; the message lists those that are."""

    code = "base_last_not_found"


class BaseLastStyleError(InputError):
    """A base last asked for a style it was not stored for, or a style no last is fitted for."""

    code = "base_last_style"

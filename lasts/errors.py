"""Errors about scans and feet: each names what is wrong with the input and what to do."""

from __future__ import annotations

from geometry.errors import InputError


class ScanError(InputError):
    """A scan that cannot be turned into a measured foot."""

    code = "scan_error"


class AmbiguousUnitsError(ScanError):
    """The scan's size fits more than one unit; the caller must say which."""

    code = "ambiguous_units"


class ImplausibleFootSizeError(ScanError):
    """No unit makes the scan the size of a human foot (or the given unit makes it impossible)."""

    code = "implausible_foot_size"


class NotAFootError(ScanError):
    """The shape's proportions are not those of a foot (a cube, a sphere, a shoe box...)."""

    code = "not_a_foot"


class IncompleteFootError(ScanError):
    """Part of the foot is missing: the heel or toes cut off, or only the sole (no upper surface)."""

    code = "incomplete_foot"


class SeveralFeetError(ScanError):
    """More than one foot-sized object in one file (scan each foot on its own)."""

    code = "several_feet"


class LastError(InputError):
    """Last parameters or fit targets no last can have; the message names the conflicting numbers."""

    code = "impossible_last"


class SizeError(InputError):
    """A shoe size, size system or fitting that cannot be used: unknown system, not a number, no human foot."""

    code = "size_error"

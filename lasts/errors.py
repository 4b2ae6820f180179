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
    """More than one foot-sized object in one file: a pair (measure both with ``lasts.scans.ingest_feet``,
    or say which foot to measure), or more than two (scan each foot on its own)."""

    code = "several_feet"


class SideError(ScanError):
    """The foot's side cannot be settled from the scan and what was said about it."""

    code = "side_error"


class SideMismatchError(SideError):
    """The side the file name or the customer claims is not the side the foot's shape shows: a mirrored
    export or the wrong file. Upload the other foot, or confirm the side (measured as it, flagged)."""

    code = "side_mismatch"


class SideUncertainError(SideError):
    """The foot's shape does not tell left from right (weak or contradicting cues) and nothing says which
    foot it is: the caller must say."""

    code = "side_uncertain"


class LastError(InputError):
    """Last parameters or fit targets no last can have; the message names the conflicting numbers."""

    code = "impossible_last"


class SizeError(InputError):
    """A shoe size, size system or fitting that cannot be used: unknown system, not a number, no human foot."""

    code = "size_error"


class ScaleNeededError(ImplausibleFootSizeError):
    """The scan's size makes a foot in no unit (an unscaled photogrammetry model): the caller must give its
    scale or one length known in mm (the foot's)."""

    code = "scale_needed"


class ImplausibleMeasurementError(ScanError):
    """A measurement no human foot has for its length (a share of the foot length outside human ranges):
    a scan that is not what it seems, or measured wrongly. The message names the value and the range."""

    code = "implausible_measurement"


class ImprintError(NotAFootError):
    """A foam-box imprint or a plantar-only surface: the negative of a sole, not a foot. A last needs the
    whole foot (scan the foot itself, or the plaster cast of the imprint)."""

    code = "imprint_not_foot"

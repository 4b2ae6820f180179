"""A foot's (and its last's) side. One definition for scans, measurements, lasts and everything above them.

A ``StrEnum``: a ``Side`` is equal to its value (``Side.LEFT == "left"``) and is written to JSON as it, so
records stored before it existed read the same.
"""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"

    @property
    def other(self) -> Side:
        """The other foot (a last mirrored for it has the same parameters and this side)."""
        return Side.RIGHT if self is Side.LEFT else Side.LEFT

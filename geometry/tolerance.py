"""One tolerance object for geometric choices, instead of magic numbers in every function."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    """Distances in mm."""

    # Outline points closer than this are one point (a zero-length segment has no direction).
    same_point_mm: float = 1e-6


TOL = Tolerance()

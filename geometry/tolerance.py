"""One tolerance object for geometric comparisons, instead of magic numbers in every function."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    """Distances in mm."""

    # Points closer than this are the same point.
    merge_mm: float = 1e-6
    # Half-thickness of the slab of cloud points taken as lying on a cutting plane.
    cloud_slab_mm: float = 1.0
    # Smallest length of a segment or edge worth keeping.
    min_length_mm: float = 1e-4


TOL = Tolerance()

"""Small hide instances built by hand: fast, and every rule (holes, defects, grades, pairs) exercised."""

from __future__ import annotations

import pytest
from shapely.geometry import Polygon, box

from manufacturing.nesting.model import FULL_QUALITY, Hide, HideInstance, Piece, QualityZone


def small_hide(hide_id: str = "h0") -> Hide:
    """A 600 × 400 mm hide with a round hole, a defect (grade 0) and a grade-2 belly zone along one edge."""
    hole = Polygon(
        [
            (300 + 25 * c, 200 + 25 * s)
            for c, s in ((1, 0), (0.7, 0.7), (0, 1), (-0.7, 0.7), (-1, 0), (-0.7, -0.7), (0, -1), (0.7, -0.7))
        ]
    )
    outline = Polygon(box(0, 0, 600, 400).exterior.coords, [hole.exterior.coords])
    zones = (QualityZone(0, box(100, 300, 130, 330)), QualityZone(2, box(0, 0, 600, 60)))
    return Hide(hide_id, outline, zones)


@pytest.fixture
def small_instance() -> HideInstance:
    """Vamps need full grade; quarters accept grade 2; two pairs grouped."""
    vamp = Polygon([(0, 0), (120, 0), (140, 40), (120, 80), (0, 80), (-15, 40)])
    quarter = Polygon([(0, 0), (90, 0), (90, 50), (0, 35)])
    pieces = (
        Piece("vamp", vamp, demand=4, min_quality=FULL_QUALITY, rotations_deg=(0.0, 180.0), group=None),
        Piece("quarter", quarter, demand=6, min_quality=2, rotations_deg=(0.0, 90.0, 180.0, 270.0)),
        Piece("tongue-left", box(0, 0, 40, 70), demand=2, min_quality=2, group="pair-1"),
        Piece("tongue-right", box(0, 0, 40, 70), demand=2, min_quality=2, group="pair-1"),
    )
    return HideInstance("small", pieces, (small_hide(),))

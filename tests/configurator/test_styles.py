import pytest
import shapely
from shapely.geometry import box

from configurator.styles import STYLE_NAMES
from configurator.styles.library import STYLES
from configurator.styles.model import Lap, PieceSpec, Style, StyleError, check_style


def test_the_library_has_every_catalogued_style() -> None:
    assert set(STYLES) == set(STYLE_NAMES)


@pytest.mark.parametrize("name", sorted(STYLES))
def test_each_style_partitions_its_covered_upper_without_overlaps(name: str) -> None:
    style = STYLES[name]()
    union = shapely.union_all([p.region for p in style.pieces])
    assert sum(p.region.area for p in style.pieces) == pytest.approx(union.area, rel=1e-9)
    # medial and lateral pieces keep to their side of the style coordinates
    for piece in style.pieces:
        if piece.name.endswith("_medial"):
            assert piece.side == "medial"
        if piece.name.endswith("_lateral"):
            assert piece.side == "lateral"
    # every lap names two pieces that really meet
    for lap in style.laps:
        a, b = style.piece(lap.over).region, style.piece(lap.under).region
        assert a.distance(b) < 1e-9, (lap.over, lap.under)


def test_an_overlapping_or_misnamed_style_is_refused() -> None:
    a = PieceSpec("vamp", "vamp", box(0.5, -1, 1, 1), "upper")
    b = PieceSpec("quarter", "quarter", box(0.0, -1, 0.6, 1), "upper")
    with pytest.raises(StyleError, match="vamp and quarter overlap"):
        check_style(Style("bad", "Bad", (a, b), ()))
    c = PieceSpec("quarter", "quarter", box(0.0, -1, 0.5, 1), "upper")
    with pytest.raises(StyleError, match="unknown piece 'cap'"):
        check_style(Style("bad", "Bad", (a, c), (Lap(over="cap", under="vamp"),)))

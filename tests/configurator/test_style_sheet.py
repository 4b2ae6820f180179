from lxml import etree

from configurator.style_sheet import style_sheet_svg
from configurator.styles.library import STYLES
from geometry.exchange.svg_colours import PIECE_COLOURS
from lasts.model import build_last
from lasts.pose import pose_last
from tests.lasts.last_samples import FIND_LIKE


def test_the_style_sheet_colours_every_piece_in_three_views() -> None:
    style = STYLES["oxford"]()
    svg = style_sheet_svg(style, pose_last(build_last(FIND_LIKE, 3_000)))
    root = etree.fromstring(svg.encode())
    text = " ".join(root.itertext())
    for words in ("lateral side", "medial side", "from above", *(p.name for p in style.pieces)):
        assert words in text
    fills = {p.get("fill") for p in root.iter("{http://www.w3.org/2000/svg}polygon")}
    assert set(PIECE_COLOURS[: len(style.pieces)]) <= fills

import numpy as np
import pytest
from lxml import etree

from lasts.drawing import insole_outline_mm, last_drawing_svg, plan_outline_mm, side_outline_mm
from lasts.model import build_last
from tests.lasts.last_samples import FIND_LIKE

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def last():
    return build_last(FIND_LIKE, 20_000)


def test_outlines_span_the_last(last) -> None:
    side, plan, insole = side_outline_mm(last), plan_outline_mm(last), insole_outline_mm(last)
    for outline in (side, plan, insole):
        assert np.ptp(outline[:, 0]) == pytest.approx(FIND_LIKE.stick_length_mm, abs=0.5)
    assert side[:, 1].max() == pytest.approx(last.top_mm, abs=1.0)
    # the widest top-view section is at least the ball width; the insole is narrower than the plan
    assert np.ptp(plan[:, 1]) >= FIND_LIKE.ball_width_mm - 1.0
    assert np.ptp(insole[:, 1]) < np.ptp(plan[:, 1])


def test_the_drawing_is_an_svg_with_three_views_and_the_parameter_table(last) -> None:
    svg = last_drawing_svg(last, "FIND derby", {"ball_girth_mm": 247.0})
    root = etree.fromstring(svg.encode())
    text = " ".join(root.itertext())
    for words in ("Side view", "Top view", "Bottom", "Parameters", "Stick length", "247.0"):
        assert words in text
    assert len(root.findall(f".//{SVG}polygon")) >= 3

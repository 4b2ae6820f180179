import io
from dataclasses import replace

import numpy as np
import pytest
from lxml import etree
from PIL import Image

from lasts.drawing import insole_outline_mm, last_drawing_svg, plan_outline_mm, side_outline_mm
from lasts.fitted import FittedLast
from lasts.fitting import measure_last
from lasts.model import build_last
from lasts.pictures import last_and_foot_png, sections_png
from lasts.scans import MeasuredFoot
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


def test_a_shaped_lasts_drawing_says_it_is_shaped_without_printing_the_field(find_shaped: FittedLast) -> None:
    svg = last_drawing_svg(find_shaped.fit.last, "FIND derby, shaped")
    text = " ".join(etree.fromstring(svg.encode()).itertext())
    assert "to the foot, ≤" in text and "shape-v1" not in text


def test_the_pictures_are_pngs_of_the_last_and_its_sections(find_shaped: FittedLast, find_foot: MeasuredFoot) -> None:
    last = build_last(find_shaped.fit.last.params, 8_000)
    foot = find_foot.surface
    views = last_and_foot_png(last, foot.vertices, foot.faces, "FIND derby", px_per_mm=0.6)
    image = Image.open(io.BytesIO(views))
    assert image.format == "PNG" and image.width > 600
    # the room colouring is there: some pixels red (the last presses), some blue (room)
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(int)
    assert ((pixels[:, 0] > 150) & (pixels[:, 2] < 110)).sum() > 50
    assert ((pixels[:, 2] > 150) & (pixels[:, 0] < 110)).sum() > 50
    lines = {line.name: line for line in measure_last(last).girth_lines}
    planes = [(name, lines[name].origin, lines[name].normal) for name in ("ball", "instep")]
    sections = sections_png(last, foot.vertices, foot.faces, planes, "sections",
                            base=build_last(replace(last.params, shape=None), 8_000))  # fmt: skip
    assert Image.open(io.BytesIO(sections)).format == "PNG"

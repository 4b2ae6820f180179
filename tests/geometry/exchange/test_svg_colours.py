"""SVG colours: ramps hit their stops and clip outside 0..1, palettes cycle, golden-ratio hues stay apart, and
each legend is well-formed SVG with its swatches, ticks and labels."""

from __future__ import annotations

import colorsys
from itertools import pairwise

import numpy as np
import pytest
from lxml import etree

from geometry.exchange.svg_colours import (
    BLUE_WHITE_RED,
    NEST_COLOURS,
    RED_WHITE_BLUE,
    cycled,
    golden_hue,
    gradient_legend_svg,
    hex_colours,
    ramp_hex,
    ramp_rgb,
    swatch_key_svg,
    swatch_strip_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(fragment: str) -> etree._Element:
    return etree.fromstring(f'<svg xmlns="http://www.w3.org/2000/svg">{fragment}</svg>'.encode())


def test_a_ramp_passes_through_its_stops_and_clips_outside_0_to_1() -> None:
    at_stops = ramp_rgb(np.linspace(0, 1, len(BLUE_WHITE_RED)), BLUE_WHITE_RED)
    np.testing.assert_allclose(at_stops, BLUE_WHITE_RED, atol=1e-9)
    np.testing.assert_allclose(ramp_rgb(np.array([-3.0, 7.0]), BLUE_WHITE_RED), BLUE_WHITE_RED[[0, -1]])
    halfway = ramp_rgb(np.array([0.25]), RED_WHITE_BLUE)[0]
    np.testing.assert_allclose(halfway, [255.0, 127.5, 127.5])


def test_ramp_works_in_the_units_of_its_stops() -> None:
    unit = np.array([[0.0, 0.0, 0.0], [1.0, 0.5, 0.25]])
    np.testing.assert_allclose(ramp_rgb(np.array([0.5]), unit), [[0.5, 0.25, 0.125]])


def test_hex_colours_round_to_the_nearest_level() -> None:
    assert hex_colours(np.array([[0.0, 127.4, 254.6], [255.0, 16.0, 1.5]])) == ["#007fff", "#ff1002"]
    assert ramp_hex(np.array([0.0, 0.5, 1.0]), RED_WHITE_BLUE) == ["#ff0000", "#ffffff", "#0000ff"]


def test_palettes_cycle() -> None:
    assert cycled(NEST_COLOURS, 0) == cycled(NEST_COLOURS, len(NEST_COLOURS)) == NEST_COLOURS[0]
    assert cycled(NEST_COLOURS, 3) == NEST_COLOURS[3]


def test_golden_hues_of_neighbours_are_far_apart_and_never_repeat_early() -> None:
    colours = [golden_hue(n) for n in range(40)]
    assert len(set(colours)) == 40
    hues = [colorsys.rgb_to_hls(*(int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)))[0] for c in colours]
    for a, b in pairwise(hues):
        assert min(abs(a - b), 1 - abs(a - b)) > 0.3


def test_the_gradient_legend_runs_from_high_at_the_top_to_low_with_labelled_ticks() -> None:
    root = parse(gradient_legend_svg(BLUE_WHITE_RED, -2.0, 2.0, "% <area>", x=100.0, y=50.0))
    stops = root.findall(f".//{SVG}stop")
    assert [s.get("stop-color") for s in stops] == ramp_hex(np.linspace(1, 0, 5), BLUE_WHITE_RED)
    legend = root.find(f"{SVG}g[@id='legend']")
    bar = legend.find(f"{SVG}rect")
    assert (bar.get("x"), bar.get("y"), bar.get("height"), bar.get("fill")) == ("100.0", "50.0", "160.0", "url(#ramp)")
    texts = [t.text for t in legend.findall(f"{SVG}text")]
    assert texts == ["-2.00", "-1.00", "+0.00", "+1.00", "+2.00", "% <area>"]
    ticks = legend.findall(f"{SVG}text")
    assert float(ticks[0].get("y")) > float(ticks[-2].get("y"))  # low at the bottom


def test_the_swatch_strip_has_one_swatch_per_colour_and_its_labels() -> None:
    colours = ramp_hex(np.linspace(0, 1, 13), RED_WHITE_BLUE)
    fragment = swatch_strip_svg(colours, 10.0, 20.0, [(0, "-6 mm pressed"), (160, "+6 mm room")])
    root = parse(fragment)
    rects = root.findall(f"{SVG}rect")
    assert [r.get("fill") for r in rects] == colours
    assert [r.get("x") for r in rects[:3]] == ["10", "28", "46"]
    labels = [(t.get("x"), t.text) for t in root.findall(f"{SVG}text")]
    assert labels == [("10", "-6 mm pressed"), ("170", "+6 mm room")]


@pytest.mark.parametrize("columns", [1, 2, 3])
def test_the_key_fills_rows_across_its_columns(columns: int) -> None:
    entries = [(cycled(NEST_COLOURS, k), f"piece {k} & co") for k in range(5)]
    root = parse(swatch_key_svg(entries, 20, 100.0, columns=columns, column_px=230, row_px=22))
    rects = root.findall(f"{SVG}rect")
    texts = root.findall(f"{SVG}text")
    assert [t.text for t in texts] == [label for _, label in entries]
    assert [r.get("fill") for r in rects] == [colour for colour, _ in entries]
    assert {float(r.get("x")) for r in rects} == {20 + 230 * c for c in range(min(columns, 5))}
    rows = -(-5 // columns)
    assert max(float(t.get("y")) for t in texts) == pytest.approx(100.0 + 22 * (rows - 1))

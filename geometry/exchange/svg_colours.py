"""The colours of every SVG drawing, and the legends that explain them: one home, so drawings of the same thing
look the same and a new drawing picks a ramp instead of inventing one.

- Ramps (a value → a colour): stops in sRGB 0..255 interpolated linearly (:func:`ramp_rgb`, :func:`ramp_hex`).
- Palettes (the k-th thing → a colour): fixed tuples cycled by :func:`cycled`; :func:`golden_hue` for
  an unbounded count of things (pairs on a schedule).
- Legends as SVG fragments: a gradient bar with ticks, a strip of swatches, a key of swatches and labels.

Pure functions of their arguments: the caller places the legend (its x and y in the drawing's units).
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence
from xml.sax.saxutils import escape

import numpy as np
from numpy.typing import NDArray

# -- ramps -------------------------------------------------------------------------------------------------------

# Diverging, for signed values: blue (negative), white (zero), red (positive).
BLUE_WHITE_RED = np.array([[33, 102, 172], [146, 197, 222], [247, 247, 247], [244, 165, 130], [178, 24, 43]], float)
# Sequential, for values from zero up: pale yellow to deep blue.
YELLOW_GREEN_BLUE = np.array([[255, 255, 204], [161, 218, 180], [65, 182, 196], [44, 127, 184], [37, 52, 148]], float)
# Diverging the other way round, for room: red (pressed), white (contact), blue (room).
RED_WHITE_BLUE = np.array([[255, 0, 0], [255, 255, 255], [0, 0, 255]], float)


def ramp_rgb(values01: np.ndarray, stops: np.ndarray) -> NDArray[np.float64]:
    """(n, 3) colours of ``values01`` (n,) on the ramp through ``stops`` (k, 3), evenly spaced from 0 to 1;
    values outside 0..1 take the end colours. In the stops' units (sRGB 0..255 here, 0..1 for 3D materials)."""
    pos = np.clip(np.asarray(values01, dtype=np.float64), 0.0, 1.0) * (len(stops) - 1)
    low = np.minimum(pos.astype(np.int64), len(stops) - 2)
    share = (pos - low)[:, None]
    rgb: NDArray[np.float64] = stops[low] * (1 - share) + stops[low + 1] * share
    return rgb


def hex_colours(rgb255: np.ndarray) -> list[str]:
    """``#rrggbb`` of each (n, 3) sRGB 0..255 colour, rounded to the nearest level."""
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in np.rint(rgb255).astype(int).tolist()]


def ramp_hex(values01: np.ndarray, stops: np.ndarray) -> list[str]:
    """``#rrggbb`` of each of ``values01`` (n,) on the ramp through ``stops`` (sRGB 0..255)."""
    return hex_colours(ramp_rgb(values01, stops))


# -- palettes ----------------------------------------------------------------------------------------------------

# Tableau's classic ten (matplotlib's "tab:" colours), by name: lines and labels that mean one thing each.
TAB10 = {
    "blue": "#1f77b4",
    "orange": "#ff7f0e",
    "green": "#2ca02c",
    "red": "#d62728",
    "purple": "#9467bd",
    "brown": "#8c564b",
    "pink": "#e377c2",
    "grey": "#7f7f7f",
    "olive": "#bcbd22",
    "cyan": "#17becf",
}
# Tableau 10 (2016) without its grey: items laid out on a grey strip or a tan hide.
LAYOUT_COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
# Light fills for the pieces of a style on a last: dark enough to tell from the grey upper.
PIECE_COLOURS = (
    "#d9a066", "#8fb4d9", "#a3c98f", "#e3a1b5", "#c2a8e0", "#e8d47a",
    "#8fd1c9", "#d6b39c", "#b0b0e8", "#f0b27a", "#9fd8a0", "#e89aa8",
)  # fmt: skip
# Paler fills for pattern pieces in a nest: the black markings stay readable on them.
NEST_COLOURS = ("#f2d7b6", "#cfe3f3", "#d8ecd0", "#f3d1dc", "#e6dcf2", "#f6efc2", "#d4efec", "#ecd6c8")


def cycled(palette: Sequence[str], k: int) -> str:
    """The k-th colour of ``palette``, starting over when it runs out."""
    return palette[k % len(palette)]


def golden_hue(n: int, lightness: float = 0.62, saturation: float = 0.55) -> str:
    """A colour for thing number ``n`` of an unbounded count: hues step by the golden ratio, so neighbours
    (n, n + 1) get distant hues and no two of the first dozens are alike."""
    hue = (n * 0.618033988749895) % 1.0
    return hex_colours(np.array([colorsys.hls_to_rgb(hue, lightness, saturation)]) * 255)[0]


# -- legends -----------------------------------------------------------------------------------------------------


def gradient_legend_svg(
    stops: np.ndarray,
    low: float,
    high: float,
    label: str,
    x: float,
    y: float,
    height: float = 160.0,
    ticks: int = 5,
    gradient_id: str = "ramp",
) -> str:
    """A vertical bar of the ramp through ``stops`` (``high`` at the top) with ``ticks`` labelled values and
    ``label`` (the unit) above it: a ``<defs>`` line with the gradient, then ``<g id="legend">``."""
    gradient = "".join(
        f'<stop offset="{i / (len(stops) - 1):.2f}" stop-color="{colour}"/>'
        for i, colour in enumerate(ramp_hex(np.linspace(1, 0, len(stops)), stops))
    )
    marks = "".join(
        f'<text x="{x + 18:.1f}" y="{y + height * (1 - f) + 4:.1f}" font-size="10">{low + f * (high - low):+.2f}</text>'
        for f in np.linspace(0, 1, ticks)
    )
    return (
        f'<defs><linearGradient id="{gradient_id}" x1="0" y1="0" x2="0" y2="1">{gradient}</linearGradient></defs>\n'
        f'<g id="legend"><rect x="{x:.1f}" y="{y:.1f}" width="14" height="{height}" fill="url(#{gradient_id})" '
        f'stroke="black" stroke-width="0.5"/>{marks}<text x="{x:.1f}" y="{y - 6:.1f}" font-size="10">'
        f"{escape(label)}</text></g>"
    )


def swatch_strip_svg(
    colours: Sequence[str], x: float, y: float, labels: Sequence[tuple[float, str]], swatch_px: float = 18.0
) -> str:
    """A row of ``colours`` as swatches from (x, y), one per line, then ``labels`` under it on one line, each
    ``(offset from x, text)``."""
    swatches = [
        f'<rect x="{x + i * swatch_px:.0f}" y="{y:.0f}" width="{swatch_px:g}" height="12" fill="{colour}"/>'
        for i, colour in enumerate(colours)
    ]
    texts = "".join(
        f'<text x="{x + dx:.0f}" y="{y + 26:.0f}" font-size="10">{escape(text)}</text>' for dx, text in labels
    )
    return "\n".join([*swatches, texts])


def swatch_key_svg(
    entries: Sequence[tuple[str, str]], x: float, y: float, columns: int = 2, column_px: float = 230, row_px: float = 22
) -> str:
    """A key: each ``(colour, label)`` as a swatch and its label, filled row by row in ``columns`` from (x, y)
    (the first row's text baseline), one element per line. Its height is ``row_px`` per row."""
    parts = []
    for k, (colour, label) in enumerate(entries):
        left = x + (k % columns) * column_px
        base = y + (k // columns) * row_px
        parts.append(f'<rect x="{left}" y="{base - 11}" width="14" height="14" fill="{colour}"/>')
        parts.append(f'<text x="{left + 20}" y="{base}" font-size="12">{escape(label)}</text>')
    return "\n".join(parts)

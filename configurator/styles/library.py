"""The house styles. Each is one function of style lines and pieces in (s, g) style coordinates
(:mod:`lasts.upper_coords`): adding a style is adding one such definition to ``STYLES``.

Heights quoted in comments are on a 273 mm last (the FIND foot's): the lines scale with the last.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from configurator.styles.model import (
    UPPER_DOMAIN,
    EyeletRow,
    Lap,
    PieceSpec,
    Style,
    ahead_of,
    between_sides,
    check_style,
    lateral_half,
    medial_half,
    mirror_g,
    piece_region,
    polyline,
)

# A low shoe's topline, medial side, heel → the front of the collar: 62 mm at the back seam, 50 mm under
# the malleoli, rising to the instep where the lacing (or the throat) starts.
LOW_TOPLINE = polyline(
    [(0.0016, 0.0), (0.006, -0.35), (0.02, -0.56), (0.06, -0.645), (0.15, -0.665), (0.26, -0.63),
     (0.33, -0.48), (0.37, -0.26), (0.40, -0.10)],
    samples=40,
)  # fmt: skip
TONGUE_TOP_S = 0.37  # the tongue reaches this far back, over the ankle front


def _opening_and_tongue(
    topline_medial: np.ndarray, lacing_end_s: float, lacing_half_gap: float
) -> tuple[BaseGeometry, BaseGeometry]:
    """The opening of a laced low shoe (not covered) and the tongue's visible region."""
    inside = between_sides(topline_medial, mirror_g(topline_medial))
    opening = inside.intersection(box(-0.5, -1.5, TONGUE_TOP_S, 1.5))
    front = inside.intersection(box(TONGUE_TOP_S, -1.5, 1.5, 1.5))
    start_s = float(topline_medial[-1, 0])
    strip = box(start_s - 1e-3, -lacing_half_gap, lacing_end_s, lacing_half_gap)
    return opening, front.union(strip)


def derby() -> Style:
    """Open lacing: the quarters (with their facings and eyelets) lie on top of the vamp."""
    throat_s, gap = 0.60, 0.035
    opening, tongue = _opening_and_tongue(LOW_TOPLINE, throat_s, gap)
    covered = UPPER_DOMAIN.difference(opening)
    quarter_seam = polyline(
        [(0.555, -1.0), (0.575, -0.5), (0.60, -gap), (0.60, gap), (0.57, 0.5), (0.53, 1.0)], samples=30
    )
    vamp = ahead_of(quarter_seam).intersection(covered).difference(tongue)
    quarters = covered.difference(vamp).difference(tongue)
    eyelets = EyeletRow(count=5, start_s=0.42, end_s=0.575)
    style = Style(
        name="derby",
        title="Derby (open lacing)",
        pieces=(
            PieceSpec("vamp", "vamp", piece_region(vamp), "upper"),
            PieceSpec("quarter_medial", "quarter", piece_region(medial_half(quarters)), "upper", eyelets=eyelets),
            PieceSpec("quarter_lateral", "quarter", piece_region(lateral_half(quarters)), "upper", eyelets=eyelets),
            PieceSpec("tongue", "tongue", piece_region(tongue), "tongue"),
        ),
        laps=(
            Lap(over="quarter_medial", under="vamp", underlay_mm=10.0),
            Lap(over="quarter_lateral", under="vamp", underlay_mm=10.0),
            Lap(over="quarter_medial", under="tongue", underlay_mm=12.0, stitched=False),
            Lap(over="quarter_lateral", under="tongue", underlay_mm=12.0, stitched=False),
            Lap(over="vamp", under="tongue", underlay_mm=10.0),
            Lap(over="quarter_lateral", under="quarter_medial", closed=True),
        ),
        lines={"topline": LOW_TOPLINE, "quarter_seam": quarter_seam},
    )
    check_style(style)
    return style


def oxford() -> Style:
    """Closed lacing and a toe cap: the vamp lies on top of the quarters, the cap on the vamp."""
    throat_s, gap = 0.585, 0.02
    opening, tongue = _opening_and_tongue(LOW_TOPLINE, throat_s, gap)
    covered = UPPER_DOMAIN.difference(opening)
    vamp_seam = polyline(
        [(0.55, -1.0), (0.565, -0.5), (0.583, -0.1), (0.585, 0.0), (0.58, 0.1), (0.56, 0.5), (0.525, 1.0)],
        samples=30,
    )
    cap_line = polyline([(0.765, -1.0), (0.79, -0.5), (0.80, 0.0), (0.79, 0.5), (0.755, 1.0)], samples=30)
    cap = ahead_of(cap_line)
    vamp = ahead_of(vamp_seam).intersection(covered).difference(cap).difference(tongue)
    quarters = covered.difference(ahead_of(vamp_seam)).difference(tongue)
    eyelets = EyeletRow(count=5, start_s=0.42, end_s=0.565)
    style = Style(
        name="oxford",
        title="Oxford (closed lacing, toe cap)",
        pieces=(
            PieceSpec("toe_cap", "toe_cap", piece_region(cap), "upper", moulded=True),
            PieceSpec("vamp", "vamp", piece_region(vamp), "upper"),
            PieceSpec("quarter_medial", "quarter", piece_region(medial_half(quarters)), "upper", eyelets=eyelets),
            PieceSpec("quarter_lateral", "quarter", piece_region(lateral_half(quarters)), "upper", eyelets=eyelets),
            PieceSpec("tongue", "tongue", piece_region(tongue), "tongue"),
        ),
        laps=(
            Lap(over="toe_cap", under="vamp", underlay_mm=8.0),
            Lap(over="vamp", under="quarter_medial", underlay_mm=10.0),
            Lap(over="vamp", under="quarter_lateral", underlay_mm=10.0),
            Lap(over="quarter_medial", under="tongue", underlay_mm=12.0, stitched=False),
            Lap(over="quarter_lateral", under="tongue", underlay_mm=12.0, stitched=False),
            Lap(over="vamp", under="tongue", underlay_mm=10.0),
            Lap(over="quarter_lateral", under="quarter_medial", closed=True),
        ),
        lines={"topline": LOW_TOPLINE, "vamp_seam": vamp_seam, "cap_line": cap_line},
    )
    check_style(style)
    return style


def penny_loafer() -> Style:
    """A slip-on: the topline runs round the instep, a saddle strap lies across the vamp."""
    topline = polyline(
        [(0.0016, 0.0), (0.006, -0.35), (0.02, -0.56), (0.06, -0.645), (0.15, -0.665), (0.27, -0.62),
         (0.36, -0.45), (0.41, -0.22), (0.435, 0.0)],
        samples=40,
    )  # fmt: skip
    inside = between_sides(topline[:-1], mirror_g(topline))
    covered = UPPER_DOMAIN.difference(inside)
    vamp_seam = polyline([(0.50, -1.0), (0.49, -0.6), (0.47, -0.45), (0.47, 0.45), (0.49, 0.6), (0.48, 1.0)], 30)
    saddle = box(0.46, -0.42, 0.54, 0.42)  # crosses the vamp seam: the vamp stays one piece round it
    vamp = ahead_of(vamp_seam).intersection(covered).difference(saddle)
    quarters = covered.difference(ahead_of(vamp_seam)).difference(saddle)
    style = Style(
        name="penny_loafer",
        title="Penny loafer",
        pieces=(
            PieceSpec("vamp", "vamp", piece_region(vamp), "upper"),
            PieceSpec("saddle", "saddle", piece_region(saddle), "upper", grain="girth"),
            PieceSpec("quarter_medial", "quarter", piece_region(medial_half(quarters)), "upper"),
            PieceSpec("quarter_lateral", "quarter", piece_region(lateral_half(quarters)), "upper"),
        ),
        laps=(
            Lap(over="saddle", under="vamp", underlay_mm=8.0),
            Lap(over="saddle", under="quarter_medial", underlay_mm=8.0),
            Lap(over="saddle", under="quarter_lateral", underlay_mm=8.0),
            Lap(over="vamp", under="quarter_medial", underlay_mm=10.0),
            Lap(over="vamp", under="quarter_lateral", underlay_mm=10.0),
            Lap(over="quarter_lateral", under="quarter_medial", closed=True),
        ),
        lines={"topline": topline, "vamp_seam": vamp_seam},
    )
    check_style(style)
    return style


def low_top_sneaker() -> Style:
    """Mudguard, vamp, quarters, eyestays and a heel counter over them, a padded tongue."""
    throat_s, gap = 0.62, 0.035
    opening, tongue = _opening_and_tongue(LOW_TOPLINE, throat_s, gap)
    covered = UPPER_DOMAIN.difference(opening)
    mudguard_line = polyline([(0.70, -1.0), (0.76, -0.6), (0.82, -0.2), (0.83, 0.0), (0.82, 0.2), (0.76, 0.6),
                              (0.69, 1.0)], samples=30)  # fmt: skip
    quarter_seam = polyline(
        [(0.58, -1.0), (0.60, -0.5), (0.62, -gap), (0.62, gap), (0.60, 0.5), (0.56, 1.0)], samples=30
    )
    eyestay_medial = between_sides(
        polyline([(0.40, -0.10), (0.44, -0.19), (0.52, -0.25), (0.62, -0.26)]), polyline([(0.40, -gap), (0.62, -gap)])
    )
    eyestays = eyestay_medial.union(between_sides(
        polyline([(0.40, gap), (0.62, gap)]), polyline([(0.40, 0.10), (0.44, 0.19), (0.52, 0.25), (0.62, 0.26)])
    ))  # fmt: skip
    counter_line = polyline([(0.24, -1.0), (0.20, -0.8), (0.10, -0.62), (0.10, 0.62), (0.20, 0.8), (0.24, 1.0)], 30)
    counter = covered.difference(ahead_of(counter_line))
    mudguard = ahead_of(mudguard_line)
    vamp = ahead_of(quarter_seam).intersection(covered).difference(mudguard).difference(tongue).difference(eyestays)
    quarters = covered.difference(ahead_of(quarter_seam)).difference(tongue).difference(eyestays).difference(counter)
    eyelets = EyeletRow(count=6, start_s=0.43, end_s=0.60, inset_mm=9.0)
    style = Style(
        name="low_top_sneaker",
        title="Low-top sneaker",
        pieces=(
            PieceSpec("mudguard", "toe_cap", piece_region(mudguard), "overlay", moulded=True),
            PieceSpec("vamp", "vamp", piece_region(vamp), "upper"),
            PieceSpec("quarter_medial", "quarter", piece_region(medial_half(quarters)), "upper"),
            PieceSpec("quarter_lateral", "quarter", piece_region(lateral_half(quarters)), "upper"),
            PieceSpec("eyestay_medial", "facing", piece_region(medial_half(eyestays)), "overlay", eyelets=eyelets),
            PieceSpec("eyestay_lateral", "facing", piece_region(lateral_half(eyestays)), "overlay", eyelets=eyelets),
            PieceSpec("counter", "counter", piece_region(counter), "overlay", moulded=True),
            PieceSpec("tongue", "tongue", piece_region(tongue), "tongue"),
        ),
        laps=(
            Lap(over="mudguard", under="vamp", underlay_mm=10.0),
            Lap(over="quarter_medial", under="vamp", underlay_mm=10.0),
            Lap(over="quarter_lateral", under="vamp", underlay_mm=10.0),
            Lap(over="eyestay_medial", under="quarter_medial", underlay_mm=8.0),
            Lap(over="eyestay_lateral", under="quarter_lateral", underlay_mm=8.0),
            Lap(over="eyestay_medial", under="vamp", underlay_mm=8.0),
            Lap(over="eyestay_lateral", under="vamp", underlay_mm=8.0),
            Lap(over="counter", under="quarter_medial", underlay_mm=10.0),
            Lap(over="counter", under="quarter_lateral", underlay_mm=10.0),
            Lap(over="eyestay_medial", under="tongue", underlay_mm=12.0, stitched=False),
            Lap(over="eyestay_lateral", under="tongue", underlay_mm=12.0, stitched=False),
            Lap(over="vamp", under="tongue", underlay_mm=10.0),
        ),
        lines={"topline": LOW_TOPLINE, "mudguard": mudguard_line, "quarter_seam": quarter_seam,
               "counter": counter_line},
    )  # fmt: skip
    check_style(style)
    return style


def chelsea_boot() -> Style:
    """An ankle boot: a one-piece front (vamp), back quarters, elastic gussets on both sides."""
    # The shaft's top runs round the cone a little under its top (the cone's flat top is the opening).
    topline = polyline([(0.012, 0.0), (0.03, -0.10), (0.10, -0.14), (0.25, -0.14), (0.33, -0.08), (0.345, 0.0)], 30)
    opening = between_sides(topline[:-1], mirror_g(topline))
    covered = UPPER_DOMAIN.difference(opening)
    front_seam = polyline([(0.50, -1.0), (0.42, -0.6), (0.34, -0.35), (0.30, -0.12)], samples=30)
    front = ahead_of(
        polyline([(0.50, -1.0), (0.42, -0.6), (0.34, -0.35), (0.28, -0.12), (0.28, 0.12), (0.34, 0.35),
                  (0.42, 0.6), (0.48, 1.0)], samples=40)
    )  # fmt: skip
    gusset_medial = between_sides(
        polyline([(0.20, -0.13), (0.24, -0.45), (0.30, -0.56)]),
        polyline([(0.31, -0.13), (0.33, -0.40), (0.30, -0.56)]),
    )
    gussets = gusset_medial.union(mirror_region(gusset_medial))
    vamp = front.intersection(covered).difference(gussets)
    quarters = covered.difference(front).difference(gussets)
    style = Style(
        name="chelsea_boot",
        title="Chelsea boot",
        pieces=(
            PieceSpec("vamp", "vamp", piece_region(vamp), "upper"),
            PieceSpec("quarter_medial", "quarter", piece_region(medial_half(quarters)), "upper"),
            PieceSpec("quarter_lateral", "quarter", piece_region(lateral_half(quarters)), "upper"),
            PieceSpec("gusset_medial", "gusset", piece_region(medial_half(gussets)), "elastic"),
            PieceSpec("gusset_lateral", "gusset", piece_region(lateral_half(gussets)), "elastic"),
        ),
        laps=(
            Lap(over="quarter_medial", under="vamp", underlay_mm=10.0),
            Lap(over="quarter_lateral", under="vamp", underlay_mm=10.0),
            Lap(over="vamp", under="gusset_medial", underlay_mm=8.0),
            Lap(over="vamp", under="gusset_lateral", underlay_mm=8.0),
            Lap(over="quarter_medial", under="gusset_medial", underlay_mm=8.0),
            Lap(over="quarter_lateral", under="gusset_lateral", underlay_mm=8.0),
            Lap(over="quarter_lateral", under="quarter_medial", closed=True),
        ),
        lines={"topline": topline, "front_seam": front_seam},
    )
    check_style(style)
    return style


def mirror_region(region: BaseGeometry) -> BaseGeometry:
    from shapely import affinity

    return affinity.scale(region, xfact=1.0, yfact=-1.0, origin=(0.0, 0.0))


STYLES: dict[str, Callable[[], Style]] = {
    "oxford": oxford,
    "derby": derby,
    "penny_loafer": penny_loafer,
    "low_top_sneaker": low_top_sneaker,
    "chelsea_boot": chelsea_boot,
}

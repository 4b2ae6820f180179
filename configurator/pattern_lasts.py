"""The lasts a design's pieces are flattened on: each foot's last built at pattern resolution and posed; a
foot without a last of its own gets the other foot's mirror image (the same parameters, the other side).

The patterns stage, a design's quote, ``cspms bom``, ``cspms style flatten`` and size runs all flatten on
these lasts, so the pieces a quote is priced from are the pieces that are cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from configurator.pattern_making import PairFlattening, flatten_pair
from configurator.styles.library import STYLES
from lasts.errors import LastError
from lasts.model import LastMesh, LastParameters, build_last
from lasts.pose import pose_last
from lasts.side import Side

PATTERN_FACE_COUNT = 20_000
"""Faces of a last the pieces are laid on and flattened from. The pieces are remeshed evenly afterwards
(``pattern_making.REMESH_EDGE_MM``), so this only has to carry the last's shape (about 1 mm facets on a
foot-sized last) while a pair flattens in a second or two. One number for every caller: changing it changes
every pattern, BOM and quote (bump the patterns stage's version with it)."""


@dataclass(frozen=True)
class PairLasts:
    """Both feet's lasts at pattern resolution, posed (mm)."""

    left: LastMesh
    right: LastMesh


def pattern_last(params: LastParameters) -> LastMesh:
    """One foot's last at pattern resolution, posed on its heel height and toe spring."""
    return pose_last(build_last(params, PATTERN_FACE_COUNT))


def pair_lasts(params: Mapping[Side, LastParameters]) -> PairLasts:
    """Both feet's lasts from one foot's parameters (the other foot's is its mirror image) or from each
    foot's own, keyed by the side they are for."""
    if not params or len(params) > 2:
        raise LastError(f"a pair has one or two lasts, not {len(params)}")
    built = {Side(side): pattern_last(replace(p, side=Side(side))) for side, p in params.items()}
    for side in (Side.LEFT, Side.RIGHT):
        if side not in built:
            built[side] = pattern_last(replace(params[side.other], side=side))
    return PairLasts(left=built[Side.LEFT], right=built[Side.RIGHT])


def flatten_on_lasts(style: str, lasts: PairLasts, size_label: str) -> PairFlattening:
    """The style's pieces for both feet, flattened on the pair's lasts (``size_label`` written on them)."""
    return flatten_pair(STYLES[style](), lasts.left, lasts.right, size_label)

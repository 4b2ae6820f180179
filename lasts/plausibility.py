"""Is each measurement one a human foot has? Every value as a share of the foot length, against one table of
ranges (``lasts/data/foot_population.json``: ANSUR II's 6,068 people for what ANSUR measures, the FIND
template for the rest; ``lasts.foot_population`` fits it). Measuring calls it on every scan; fitting a last
reads the same table.

Out of range on a whole scan: ``ImplausibleMeasurementError`` naming the value and the range in words. On a
partial scan (cut low, holes), where a value out of range is what the missing part did to it, a warning.

Before any of that, ``check_not_imprint`` refuses what only looks like a foot's size: a foam-box imprint or a
sole alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from lasts.errors import ImplausibleMeasurementError, ImprintError
from lasts.foot_population import ShareRange, foot_population


def plausible_shares() -> Mapping[str, ShareRange]:
    """Each measurement's plausible share of the foot length (the one table)."""
    return foot_population().shares


def measurement_words(key: str) -> str:
    """``ball_width_mm`` → ``ball width``."""
    return key.removesuffix("_mm").replace("_", " ")


@dataclass(frozen=True)
class ImplausibleValue:
    """A measurement outside its human range, as a share of the foot length."""

    key: str
    value_mm: float
    foot_length_mm: float
    range: ShareRange

    @property
    def share(self) -> float:
        return self.value_mm / self.foot_length_mm

    def sentence(self) -> str:
        """``ball width 125 mm is 49 % of the foot length; feet measure 30–47 %``."""
        low, high = self.range.low, self.range.high
        # Enough digits that the share does not print as one of the bounds it is outside.
        digits = 0 if round(self.share * 100) not in (round(low * 100), round(high * 100)) else 1
        return (
            f"{measurement_words(self.key)} {self.value_mm:.0f} mm is {self.share * 100:.{digits}f} % of the foot "
            f"length ({self.foot_length_mm:.0f} mm); feet measure {low * 100:.0f}–{high * 100:.0f} %"
        )


def implausible_values(
    values_mm: Mapping[str, float | None], keys: Iterable[str] | None = None
) -> list[ImplausibleValue]:
    """The values (of ``keys``, default every one the table has) outside their share of the foot length."""
    length = values_mm.get("foot_length_mm")
    if length is None or not length > 0:
        return []
    shares = plausible_shares()
    found = []
    for key in shares if keys is None else keys:
        value = values_mm.get(key)
        bounds = shares.get(key)
        if value is None or bounds is None:
            continue
        if not bounds.low <= value / length <= bounds.high:
            found.append(ImplausibleValue(key, float(value), float(length), bounds))
    return found


def check_plausible(values_mm: Mapping[str, float | None], partial: bool = False) -> tuple[str, ...]:
    """Refuse values no foot has (``ImplausibleMeasurementError``, each named with its range). On a ``partial``
    scan (one that says it is cut or holed) they are returned as warnings instead."""
    found = implausible_values(values_mm)
    if not found:
        return ()
    if partial:
        return tuple(f"{v.sentence()} (on a partial scan: doubtful)" for v in found)
    raise ImplausibleMeasurementError(
        "; ".join(v.sentence() for v in found) + ": no foot measures that; is the scan a foot, whole and scaled right?",
        values={v.key: round(v.value_mm, 1) for v in found},
        ranges={v.key: [v.range.low, v.range.high] for v in found},
    )


# A foam box is a block: its convex hull fills most of its box along the principal axes (a foot's fills 35-55 %).
_BLOCK_FILL = 0.8
# ... with a hollow: this share of its points lies deeper inside the hull than this share of its length (5 mm
# on a foam box for a 260 mm foot; a plain block's points all lie on its hull).
_HOLLOW_SHARE = 0.03
_HOLLOW_DEPTH = 0.02
# A sole alone is thin: feet are at least a quarter as high as long even cut at 60 mm (FIND: 0.25).
_SOLE_ONLY_THICKNESS = 0.15
_SHAPE_SAMPLE_POINTS = 20_000


def check_not_imprint(points: np.ndarray) -> None:
    """Refuse an imprint before it is taken for a foot (``ImprintError``, saying what it looks like): a foam box
    (a block with the sole's negative pressed into one face) or a sole alone (a plantar scan, a footprint, an
    insole: thin, no upper). ``points`` : (n, 3) float, any units (the file's), any pose."""
    points = points[:: max(1, len(points) // _SHAPE_SAMPLE_POINTS)]
    centred = points - points.mean(axis=0)
    _, axes = np.linalg.eigh(centred.T @ centred)
    extents = np.ptp(centred @ axes, axis=0)  # thinnest first
    size = " × ".join(f"{e:.3g}" for e in extents[::-1])
    if extents[0] < _SOLE_ONLY_THICKNESS * extents[2]:
        raise ImprintError(
            f"the scan is {extents[0] / extents[2]:.0%} as thick as it is long: a sole alone (a plantar scan, a "
            "footprint or an insole), with no upper surface; a last needs the whole foot up to the ankle",
            thickness_file_units=float(extents[0]), length_file_units=float(extents[2]),
        )  # fmt: skip
    try:
        hull = ConvexHull(points)
    except QhullError:
        return  # no volume: the flatness checks refuse it
    if hull.volume < _BLOCK_FILL * float(np.prod(extents)):
        return
    depth = -(points @ hull.equations[:, :3].T + hull.equations[:, 3]).max(axis=1)
    hollow = float(np.mean(depth > _HOLLOW_DEPTH * extents[2]))
    if hollow >= _HOLLOW_SHARE:
        raise ImprintError(
            f"the scan is a block ({size} file units) with a hollow in it: a foam-box imprint, the negative of the "
            "sole, not a foot; scan the foot itself, or a plaster cast of the imprint",
            extents_file_units=[float(e) for e in extents[::-1]], hollow_share=round(hollow, 3),
        )  # fmt: skip

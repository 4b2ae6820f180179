"""Foot landmarks, found automatically on a surface in the measuring frame (no clicks).

Every rule uses fractions of the foot length L, so it works for any size; each is drawn and explained in
docs/measurements.md. ``m`` below is the medial coordinate (``y * medial_sign``), so rules read the same
for left and right feet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from lasts.surface import FootSurface


@dataclass(frozen=True)
class LandmarkRules:
    """Where to look, as fractions of the foot length L (documented defaults, overridable)."""

    pternion_max_height: float = 0.25
    mtp1_region: tuple[float, float] = (0.60, 0.85)
    mtp5_region: tuple[float, float] = (0.55, 0.75)
    # Extremes on a flat border are unstable along it: take the middle of all points within this distance.
    plateau_mm: float = 0.75
    instep_position: float = 0.50
    arch_region: tuple[float, float] = (0.30, 0.60)
    malleolus_heights: tuple[float, float] = (0.15, 0.60)
    malleolus_region: tuple[float, float] = (-0.05, 0.45)


DEFAULT_LANDMARK_RULES = LandmarkRules()


@dataclass(frozen=True)
class Landmarks:
    """Named points (3,) in mm, in the measuring frame."""

    pternion: np.ndarray
    toe_tip: np.ndarray
    mtp1: np.ndarray
    mtp5: np.ndarray
    instep: np.ndarray
    arch: np.ndarray
    sphyrion: np.ndarray | None

    def as_dict(self) -> dict[str, list[float]]:
        named = {
            "pternion": self.pternion,
            "toe_tip": self.toe_tip,
            "mtp1": self.mtp1,
            "mtp5": self.mtp5,
            "instep": self.instep,
            "arch": self.arch,
            "sphyrion": self.sphyrion,
        }
        return {k: [round(float(c), 3) for c in v] for k, v in named.items() if v is not None}


def _plateau_centre(points: np.ndarray, score: np.ndarray, plateau_mm: float) -> np.ndarray:
    """The middle of the points whose score is within ``plateau_mm`` of the best (x, z), with the best score."""
    best = score.max()
    top = points[score >= best - plateau_mm]
    centre = top.mean(axis=0)
    winner = points[int(np.argmax(score))]
    # Keep the extreme's own lateral coordinate (the measurement), the plateau's middle for x and z.
    return np.array([centre[0], winner[1], centre[2]])


def find_landmarks(
    surface: FootSurface, medial_sign: float, rules: LandmarkRules = DEFAULT_LANDMARK_RULES
) -> Landmarks:
    v = surface.vertices
    x, y, z = v.T
    length = float(x.max())
    m = y * medial_sign

    low = z < rules.pternion_max_height * length
    pternion = v[low][int(np.argmin(x[low]))]
    toe_tip = v[int(np.argmax(x))]

    def region(bounds: tuple[float, float]) -> np.ndarray:
        return (x >= bounds[0] * length) & (x <= bounds[1] * length)

    r1 = region(rules.mtp1_region)
    mtp1 = _plateau_centre(v[r1], m[r1], rules.plateau_mm)
    r5 = region(rules.mtp5_region)
    mtp5 = _plateau_centre(v[r5], -m[r5], rules.plateau_mm)

    band = np.abs(x - rules.instep_position * length) < 2.0
    instep_points = v[band]
    instep = instep_points[int(np.argmax(instep_points[:, 2]))].copy()
    instep[0] = rules.instep_position * length

    arch = _arch_apex(v, m, length, rules)
    sphyrion = _medial_malleolus(v, m, length, rules)
    return Landmarks(
        pternion=pternion, toe_tip=toe_tip, mtp1=mtp1, mtp5=mtp5, instep=instep, arch=arch, sphyrion=sphyrion
    )


def _arch_apex(v: np.ndarray, m: np.ndarray, length: float, rules: LandmarkRules) -> np.ndarray:
    """Highest point of the medial arch's underside: per 2 mm slice across the midfoot, the lowest point in
    the medial third of the slice; the apex is the highest of those."""
    x, _, z = v.T
    start, stop = rules.arch_region[0] * length, rules.arch_region[1] * length
    inside = (x >= start) & (x <= stop) & (z < 0.25 * length)
    slices = np.floor((x[inside] - start) / 2.0).astype(np.int64)
    pts, med = v[inside], m[inside]
    count = slices.max() + 1
    m_max = np.full(count, -np.inf)
    m_min = np.full(count, np.inf)
    np.maximum.at(m_max, slices, med)
    np.minimum.at(m_min, slices, med)
    medial_third = med >= m_max[slices] - (m_max[slices] - m_min[slices]) / 3.0
    lowest = np.full(count, np.inf)
    np.minimum.at(lowest, slices[medial_third], pts[medial_third, 2])
    apex_slice = int(np.argmax(np.where(np.isfinite(lowest), lowest, -np.inf)))
    candidates = medial_third & (slices == apex_slice)
    chosen = pts[candidates][int(np.argmin(pts[candidates, 2]))]
    return chosen


def _medial_malleolus(v: np.ndarray, m: np.ndarray, length: float, rules: LandmarkRules) -> np.ndarray | None:
    """The medial malleolus: the most prominent bulge of the ankle's medial profile.

    Per 2 mm height slice of the rear of the foot, the most medial point; the malleolus is the peak of that
    profile with the greatest prominence. None when the scan stops before the profile turns (no peak).
    """
    x, _, z = v.T
    top = float(z.max()) - 2.0
    low = rules.malleolus_heights[0] * length
    region = (z >= low) & (z <= top) & (x >= rules.malleolus_region[0] * length)
    region &= x <= rules.malleolus_region[1] * length
    if region.sum() < 10:
        return None
    slices = np.floor((z[region] - low) / 2.0).astype(np.int64)
    profile = np.full(slices.max() + 1, -np.inf)
    np.maximum.at(profile, slices, m[region])
    filled = np.isfinite(profile)
    if filled.sum() < 5:
        return None
    profile = np.interp(np.arange(len(profile)), np.flatnonzero(filled), profile[filled])
    peaks, props = find_peaks(np.concatenate([[-np.inf], profile, [-np.inf]]), prominence=0.5)
    peaks -= 1
    inner = (peaks > 0) & (peaks < len(profile) - 1)  # a peak at the scan's top edge is no bulge
    if not inner.any():
        return None
    peak = int(peaks[inner][np.argmax(props["prominences"][inner])])
    in_slice = region.copy()
    in_slice[region] = slices == peak
    return v[in_slice][int(np.argmax(m[in_slice]))]

"""Foot landmarks, found automatically on a surface in the measuring frame (no clicks).

Every rule uses fractions of the foot length L, so it works for any size; each is drawn and explained in
docs/measurements.md. ``m`` below is the medial coordinate (``y * medial_sign``), so rules read the same
for left and right feet.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from geometry.arrays import BoolArray, FloatArray
from lasts.orientation import PTERNION_MAX_HEIGHT, pternion_search_height
from lasts.surface import FootSurface


@dataclass(frozen=True)
class LandmarkRules:
    """Where to look, as fractions of the foot length L (documented defaults, overridable)."""

    pternion_max_height: float = PTERNION_MAX_HEIGHT
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


def _plateau_centre(points: np.ndarray, score: np.ndarray, plateau_mm: float, axis: int) -> FloatArray:
    """An extreme point, steadied: the middle of all points whose ``score`` is within ``plateau_mm`` of the
    best, except along ``axis`` (the measured direction), which keeps the extreme's own coordinate."""
    best = int(np.argmax(score))
    centre: FloatArray = points[score >= score[best] - plateau_mm].mean(axis=0)
    centre[axis] = points[best, axis]
    return centre


def _border_bulge(surface: FootSurface, outward_sign: float, length: float, bounds: tuple[float, float]) -> FloatArray:
    """A metatarsal head: where the border (``outward_sign`` × y: the medial or the lateral one) bulges most in
    the region; x from a parabola fit of the border's profile where it was scanned (a bridged hole is flatter
    than the head it lost), y from the outermost point of the surface's section there, z the middle of the
    section's points within the plateau of it (a flat, upright border has no one outermost point; a coarse
    mesh's vertices miss it, its section does not)."""
    v = surface.vertices
    x = v[:, 0]
    bulge_x = _peak_x(x, v[:, 1] * outward_sign, surface.scanned, bounds[0] * length, bounds[1] * length)
    section = surface.section_points(np.array([bulge_x, 0.0, 0.0]), np.array([1.0, 0.0, 0.0]))
    if len(section) < 3:
        section = v[np.abs(x - bulge_x) <= 1.0]
    point = _plateau_centre(section, section[:, 1] * outward_sign, DEFAULT_LANDMARK_RULES.plateau_mm, axis=1)
    point[0] = bulge_x
    return point


def find_landmarks(
    surface: FootSurface,
    medial_sign: float,
    rules: LandmarkRules = DEFAULT_LANDMARK_RULES,
    flattened_sole: bool = False,
) -> Landmarks:
    """The landmarks of a surface in its measuring frame. ``flattened_sole``: the sole was pressed flat on a
    scanner's glass (``lasts.coverage``), so the arch's underside is sought nearer the medial border, where
    it still rises off the glass."""
    v = surface.vertices
    x, y, z = v.T
    length = float(x.max())
    m = y * medial_sign

    low = z < pternion_search_height(z, length, rules.pternion_max_height)
    pternion = _plateau_centre(v[low], -x[low], rules.plateau_mm, axis=0)
    toe_tip = _plateau_centre(v, x, rules.plateau_mm, axis=0)

    def region(bounds: tuple[float, float]) -> BoolArray:
        inside: BoolArray = (x >= bounds[0] * length) & (x <= bounds[1] * length)
        return inside

    mtp1 = _border_bulge(surface, medial_sign, length, rules.mtp1_region)
    mtp5 = _border_bulge(surface, -medial_sign, length, rules.mtp5_region)

    band = np.abs(x - rules.instep_position * length) < 2.0
    instep_points = v[band]
    # The dorsum's top, steadied like the other extremes (middle of the points within the plateau).
    instep = _plateau_centre(instep_points, instep_points[:, 2], rules.plateau_mm, axis=2)
    instep[0] = rules.instep_position * length

    arch = _arch_apex(v, m, length, rules, flattened_sole)
    sphyrion = medial_malleolus(v, m, length, rules)
    return Landmarks(
        pternion=pternion, toe_tip=toe_tip, mtp1=mtp1, mtp5=mtp5, instep=instep, arch=arch, sphyrion=sphyrion
    )


def _slice_profile(values: np.ndarray, slices: np.ndarray, count: int, reducer: str) -> np.ndarray:
    """Per-slice max or min of ``values`` (NaN where a slice is empty)."""
    out = np.full(count, -np.inf if reducer == "max" else np.inf)
    (np.maximum if reducer == "max" else np.minimum).at(out, slices, values)
    return np.where(np.isfinite(out), out, np.nan)


def _smooth(profile: np.ndarray, window: int = 5) -> FloatArray:
    """Moving median (ignoring NaN), so one slice's noise or hole cannot make an extreme."""
    padded = np.pad(profile, window // 2, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-empty windows stay NaN, as intended
        smoothed: FloatArray = np.nanmedian(windows, axis=1)
    return smoothed


def _arch_apex(
    v: np.ndarray, m: np.ndarray, length: float, rules: LandmarkRules, flattened_sole: bool = False
) -> np.ndarray:
    """Highest point of the medial arch's underside, seen along a line 10 % of the foot length inside the
    medial border: per 2 mm slice across the midfoot, the lowest surface point within 2 mm of that line;
    the profile is median-smoothed over five slices and its highest slice is the apex. On a sole flattened
    on glass, where the sole rests on it nearer the border than that, the line runs midway between the
    border and the edge of the resting sole (points within 2 mm of the floor): the pressed arch still rises
    off the glass there, 0.1 L in it lies on the glass."""
    x, _, z = v.T
    start, stop = rules.arch_region[0] * length, rules.arch_region[1] * length
    inside = (x >= start) & (x <= stop) & (z < 0.25 * length)
    pts, med = v[inside], m[inside]
    slices = np.floor((pts[:, 0] - start) / 2.0).astype(np.int64)
    count = int(slices.max()) + 1
    border = _smooth(_slice_profile(med, slices, count, "max"))
    inset = np.full(count, 0.1 * length)
    if flattened_sole:
        resting = pts[:, 2] <= float(v[:, 2].min()) + 2.0
        resting_edge = _slice_profile(med[resting], slices[resting], count, "max")
        gap = border - resting_edge
        inset = np.where(np.isfinite(gap), np.minimum(inset, 0.5 * np.maximum(gap, 0.0)), inset)
    # Below 0.15 L only: where the underside is missing (a scan hole) the dorsum above must not count.
    on_line = (np.abs(med - (border[slices] - inset[slices])) <= 2.0) & (pts[:, 2] < 0.15 * length)
    underside = _smooth(_slice_profile(pts[on_line, 2], slices[on_line], count, "min"))
    apex = int(np.nanargmax(underside))
    # The smoothed profile may take the apex from a neighbour: look up y within two slices of it.
    in_apex = on_line & (np.abs(slices - apex) <= 2)
    y_apex = float(pts[in_apex, 1].mean()) if in_apex.any() else float(pts[on_line, 1].mean())
    return np.array([start + (apex + 0.5) * 2.0, y_apex, float(underside[apex])])


def _peak_x(x: np.ndarray, score: np.ndarray, scanned: np.ndarray, start: float, stop: float) -> float:
    """x of the bulge of a border: the vertex of a parabola fitted to the smoothed per-mm border profile
    within 2 mm of its top (stable where the border is flat or has holes). A slice whose border bridges a
    hole of the scan (no scanned vertex within 0.5 mm of it) has no value: the fit spans the gap."""
    inside = (x >= start) & (x <= stop)
    slices = np.floor(x[inside] - start).astype(np.int64)
    count = int(slices.max()) + 1
    border = _slice_profile(score[inside], slices, count, "max")
    seen = scanned[inside]
    scanned_border = _slice_profile(score[inside][seen], slices[seen], count, "max")
    border[~(scanned_border >= border - 0.5)] = np.nan
    profile = _smooth(border)
    centres = start + np.arange(count) + 0.5
    near_top = np.isfinite(profile) & (profile >= np.nanmax(profile) - 2.0)
    if near_top.sum() >= 3:
        a, b, _ = np.polyfit(centres[near_top], profile[near_top], 2)
        if a < 0:
            return float(np.clip(-b / (2 * a), centres[near_top].min(), centres[near_top].max()))
    return float(centres[int(np.nanargmax(profile))])


def medial_malleolus(v: np.ndarray, m: np.ndarray, length: float, rules: LandmarkRules) -> np.ndarray | None:
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
    apex: FloatArray = v[in_slice][int(np.argmax(m[in_slice]))]
    return apex

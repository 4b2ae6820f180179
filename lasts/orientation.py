"""Putting a foot in its measuring frame, and telling left from right.

The frame (see docs/measurements.md): sole on the floor z = 0, +z up; the foot axis — from the heel
centre to the tip of the 2nd toe — along +x; the pternion (back of the heel) at x = 0 and the heel centre
at y = 0. The frame is right-handed, so the medial side is -y on a left foot and +y on a right foot.

Method, each step independent of the scan's pose and (until units are known) of its scale, and none of
them needing the leg (customers' scans are often cut 60-120 mm above the floor, flat, with no ankle):
1. Floor: of the planes the foot can rest on (convex hull facets under its centroid), the one the foot
   touches at both ends over which its toes and forefoot stand lowest (the toes are thin and low).
2. Long axis: principal axis of the points projected on the floor.
3. Heel end: votes from the end heights (the toes are low), the widths (the forefoot is wider than the
   heel) and where the top of the scan lies (over the heel: the leg, or the cut of a low scan).
4. Medial side: votes from the arch (lifted off the floor medially), the footprint (its medial edge is
   concave, also on a sole flattened on glass), the hallux (the front toes lie medially) and the ball
   line (MTP1 lies further forward than MTP5), with a confidence (``SideEvidence``): weak or
   contradicting votes leave the side uncertain rather than guessed.
5. Axis refinement: heel centre (middle of the heel's width) to the 2nd toe tip (the second toe-tip
   peak of the front outline counted from the medial side), twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.ndimage import maximum_filter1d, median_filter
from scipy.signal import find_peaks
from scipy.spatial import ConvexHull

from geometry.arrays import BoolArray, FloatArray
from lasts.errors import NotAFootError
from lasts.side import Side


@dataclass(frozen=True)
class FootFrame:
    """A rigid transform from scan coordinates (already in mm) into the measuring frame, and the side."""

    rotation: np.ndarray  # (3, 3): frame = rotation @ (p - origin)
    origin: np.ndarray  # (3,), mm, in scan coordinates
    side: Side
    side_votes: dict[str, float]

    def apply(self, points: np.ndarray) -> FloatArray:
        """(n, 3) scan points, mm -> (n, 3) frame points, mm."""
        framed: FloatArray = (np.asarray(points) - self.origin) @ self.rotation.T
        return framed

    @property
    def medial_sign(self) -> float:
        """+1 when medial is +y (right foot), -1 when medial is -y (left foot)."""
        return 1.0 if self.side == "right" else -1.0

    @property
    def side_evidence(self) -> SideEvidence:
        """What the foot's shape says of its side (``side`` may be a side given by the user instead)."""
        return SideEvidence(self.side_votes)

    def then(self, other: FootFrame) -> FootFrame:
        """This frame followed by ``other`` (a frame found in this one's coordinates), with its side."""
        return FootFrame(
            rotation=other.rotation @ self.rotation,
            origin=self.origin + self.rotation.T @ other.origin,
            side=other.side,
            side_votes=other.side_votes,
        )

    def matrix(self) -> np.ndarray:
        """(4, 4) homogeneous transform scan -> frame."""
        transform = np.eye(4)
        transform[:3, :3] = self.rotation
        transform[:3, 3] = -self.rotation @ self.origin
        return transform


def principal_axis(centred: np.ndarray) -> np.ndarray:
    """Unit direction (3,) of greatest spread of centred points (from the 3x3 covariance: order-free)."""
    _, vectors = np.linalg.eigh(centred.T @ centred)
    return vectors[:, -1]


def candidate_support_directions(
    hull: ConvexHull, count: int = 12, separation_deg: float = 20.0, centres: int = 800
) -> np.ndarray:
    """Outward normals (k, 3) of the convex hull's broadest sides, at least ``separation_deg`` apart.

    The ``centres`` largest hull faces are weighed by the hull area whose normal lies within 10 degrees
    of theirs, then taken greedily by weight, each replaced by its cone's area-weighted mean normal.
    Scale-free and independent of the pose (the candidates are the hull's own normals).
    """
    points = hull.points
    triangles = points[hull.simplices]
    areas = 0.5 * np.linalg.norm(np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0]), axis=1)
    normals = hull.equations[:, :3]
    largest = np.argsort(-areas, kind="stable")[:centres]
    in_cone = (normals[largest].astype(np.float32) @ normals.T.astype(np.float32)) >= np.cos(np.radians(10.0))
    weight = in_cone @ areas.astype(np.float32)
    chosen: list[np.ndarray] = []
    for rank in np.argsort(-weight, kind="stable"):
        members = in_cone[rank]
        direction = (normals[members] * areas[members, None]).sum(axis=0)
        direction /= np.linalg.norm(direction)  # the cone's area-weighted mean normal
        if all(direction @ c < np.cos(np.radians(separation_deg)) for c in chosen):
            chosen.append(direction)
            if len(chosen) == count:
                break
    return np.array(chosen)


@dataclass(frozen=True)
class FloorRules:
    """How the floor is told from the other planes the foot can rest on (fractions of the length L)."""

    # Both ends touch: the points within this fraction of the extent of a plane span at least min_spread L.
    contact: float = 0.05
    min_spread: float = 0.6
    # The toes and the forefoot stand this high over the floor at most (0.11-0.19 L on real and generated
    # feet, cut or not; 0.2-0.4 L over a side of the foot or the top of a low cut scan).
    toe_end: float = 0.15
    forefoot_end: float = 0.3
    # Ends lifted more than this off the plane (the heel under the tilted top of a cut scan) count against it.
    end_lift: float = 0.02
    end_region: float = 0.12
    lift_weight: float = 2.0
    # The ankle rising over the heel (full scans) adds to the score; a plane the foot cannot rest on loses.
    rise_weight: float = 0.2
    unstable_penalty: float = 0.05
    resting_cone_deg: float = 15.0


DEFAULT_FLOOR_RULES = FloorRules()


def floor_normal(points: np.ndarray, rules: FloorRules = DEFAULT_FLOOR_RULES) -> np.ndarray:
    """Outward (downward) unit normal (3,) of the support plane under the sole.

    Candidates are the hull's broad sides, each made exact as the facet the foot rests on near it (the one
    under its centroid, as under gravity). The floor is one the foot touches at both ends (heel and
    forefoot span ``min_spread`` of the length) over which the toe end (``toe_end`` of the length) and the
    forefoot (``forefoot_end``) stand lowest: a foot is thin and low at the toes whatever the height it is
    cut at. Against it count the ends lifted off the plane (the top of a low-cut scan touches the toes and
    the front of the cut, not the heel) and planes the foot cannot rest on; the ankle rising over the heel
    adds a little (the back of the heel and leg of a full scan also touches a plane at both ends, but there
    the toes stand high). Measured on the FIND foot and 24 ANSUR II deformations of it, and dupontgu's
    scan, each whole and cut at 60-120 mm, with and without 1 mm noise: the floor wins by 0.036 or more.
    """
    centred = points - points.mean(axis=0)
    # Along the principal axis, not the largest side of the axis-aligned box: the same in every pose.
    extent = float(np.ptp(centred @ principal_axis(centred)))
    hull = ConvexHull(points)
    best_score, best = -np.inf, None
    for direction in candidate_support_directions(hull):
        exact = _resting_facet(hull, direction, rules.resting_cone_deg)
        down = direction if exact is None else exact
        up = -down
        flat = centred - np.outer(centred @ up, up)
        along = flat @ principal_axis(flat)
        length = float(np.ptp(along))
        height = centred @ up
        height -= height.min()
        spread = float(np.ptp(along[height < rules.contact * extent])) / length
        if spread < rules.min_spread:
            continue
        toe_end = min(float(height[end].max()) for end in _ends(along, rules.toe_end)) / length
        fore_heights = [float(height[end].max()) / length for end in _ends(along, rules.forefoot_end)]
        lift = max(float(height[end].min()) for end in _ends(along, rules.end_region)) / length
        score = -toe_end - min(fore_heights) - rules.lift_weight * max(0.0, lift - rules.end_lift)
        score += rules.rise_weight * abs(fore_heights[0] - fore_heights[1])
        if exact is None:
            score -= rules.unstable_penalty
        if score > best_score:
            best_score, best = score, down
    if best is None:
        raise NotAFootError("no side of the shape rests on a floor at both ends, as a foot's sole does")
    return resting_facet_normal(hull, best)


def _ends(along: np.ndarray, fraction: float) -> tuple[BoolArray, BoolArray]:
    """The points within ``fraction`` of the length from each end of ``along``."""
    start, stop = float(along.min()), float(along.max())
    reach = fraction * (stop - start)
    return along < start + reach, along > stop - reach


def _resting_facet(hull: ConvexHull, approximate_down: np.ndarray, cone_deg: float) -> FloatArray | None:
    """Normal of the hull facet (within ``cone_deg`` of ``approximate_down``) the shape rests on: the one
    containing the centroid's projection along its own normal, as under gravity (the largest such); None
    when the shape cannot rest on any facet there."""
    points = hull.points
    normals = hull.equations[:, :3]
    near = np.flatnonzero(normals @ approximate_down >= np.cos(np.radians(cone_deg)))
    centroid = points.mean(axis=0)
    triangles = points[hull.simplices[near]]  # (k, 3, 3)
    n = normals[near]
    offsets = np.einsum("kj,kj->k", triangles[:, 0] - centroid, n)
    foot = centroid + offsets[:, None] * n  # projections onto each facet's plane
    # Barycentric test, vectorised over facets.
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    v0, v1, v2 = b - a, c - a, foot - a
    d00 = np.einsum("kj,kj->k", v0, v0)
    d01 = np.einsum("kj,kj->k", v0, v1)
    d11 = np.einsum("kj,kj->k", v1, v1)
    d20 = np.einsum("kj,kj->k", v2, v0)
    d21 = np.einsum("kj,kj->k", v2, v1)
    denominator = d00 * d11 - d01 * d01
    with np.errstate(divide="ignore", invalid="ignore"):
        v = (d11 * d20 - d01 * d21) / denominator
        w = (d00 * d21 - d01 * d20) / denominator
    inside = (v >= -1e-9) & (w >= -1e-9) & (v + w <= 1 + 1e-9)
    if not inside.any():
        return None
    # Coplanar facets share a plane; take the largest containing one.
    areas = 0.5 * np.linalg.norm(np.cross(v0, v1), axis=1)
    down: FloatArray = n[inside][int(np.argmax(areas[inside]))]
    return down


def resting_facet_normal(hull: ConvexHull, approximate_down: np.ndarray) -> np.ndarray:
    """The hull facet the shape rests on when set down near ``approximate_down``: the one (within 30
    degrees of it) that contains the centroid's projection along its own normal, as under gravity;
    ``approximate_down`` itself when there is none."""
    down = _resting_facet(hull, approximate_down, 30.0)
    return approximate_down if down is None else down


def heel_end_votes(along: np.ndarray, across: np.ndarray, height: np.ndarray) -> dict[str, float]:
    """Which end of the foot is the heel, from points on the floor (height from it, along and across the long
    axis): signed votes within ±1, positive when the heel is at the low end of ``along``.

    - height: the toes are thin and low; the heel end reaches up (to the leg, or to where the scan is cut);
    - width: the forefoot (0.1-0.35 L from the front, low) is wider than the heel and midfoot;
    - top: the top of the scan (the leg, or the cut of a low scan) lies over the rear half.
    None needs the leg: a scan cut flat at 60 mm has its ends nearly as high, but is still wider in front.
    """
    length = float(np.ptp(along))
    start, stop = float(along.min()), float(along.max())
    rear, front = along < start + 0.15 * length, along > stop - 0.15 * length
    votes = {"height": float(np.clip((height[rear].max() - height[front].max()) / (0.05 * length), -1, 1))}
    low = height < 0.1 * length

    def width(lo: float, hi: float) -> float:
        band = low & (along >= lo) & (along <= hi)
        return float(np.ptp(across[band])) if band.sum() > 2 else 0.0

    rear_width = width(start + 0.1 * length, start + 0.35 * length)
    front_width = width(stop - 0.35 * length, stop - 0.1 * length)
    votes["width"] = float(np.clip((front_width - rear_width) / (0.05 * length), -1, 1))
    top = height > 0.9 * float(height.max())
    votes["top"] = float(np.clip((0.5 * (start + stop) - float(along[top].mean())) / (0.1 * length), -1, 1))
    return votes


def rough_frame(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Scale-free first alignment: rows (x, y, z) with z up from the floor and x from heel to toe.

    Returns the rotation (3, 3) and the foot's length along x in the points' units.
    """
    up = -floor_normal(points)
    centred = points - points.mean(axis=0)
    flat = centred - np.outer(centred @ up, up)
    x_axis = principal_axis(flat)
    x_axis = x_axis - (x_axis @ up) * up
    x_axis /= np.linalg.norm(x_axis)
    along = centred @ x_axis
    height = centred @ up
    length = float(along.max() - along.min())
    if sum(heel_end_votes(along, centred @ np.cross(up, x_axis), height - height.min()).values()) < 0:
        x_axis = -x_axis
    y_axis = np.cross(up, x_axis)
    return np.vstack([x_axis, y_axis, up]), length


@dataclass(frozen=True)
class SideRules:
    """When the votes tell the side (each vote within ±1; see ``detect_side``)."""

    # Net evidence (the votes' sum less the votes against it) needed to tell the side: 0.8, most of one
    # vote (dupontgu's flattened scan nets 1.7, the FIND foot and its deformations 2.5 or more).
    min_net_votes: float = 0.8


DEFAULT_SIDE_RULES = SideRules()


@dataclass(frozen=True)
class SideEvidence:
    """What the foot's shape says about its side: signed votes (positive: medial is +y, a right foot;
    negative: a left foot), each within ±1 (the ball line's within ±0.5: it is the least sure)."""

    votes: Mapping[str, float]
    rules: SideRules = DEFAULT_SIDE_RULES

    @property
    def total(self) -> float:
        return float(sum(self.votes.values()))

    @property
    def against(self) -> float:
        """How much the votes that disagree with the total weigh."""
        sign = 1.0 if self.total >= 0 else -1.0
        return float(sum(-v * sign for v in self.votes.values() if v * sign < 0))

    @property
    def net(self) -> float:
        return abs(self.total) - self.against

    @property
    def confidence(self) -> float:
        """0 (no idea) to 1 (two full votes of net evidence or more)."""
        return float(np.clip(self.net / 2.0, 0.0, 1.0))

    @property
    def side(self) -> Side | None:
        """The side the anatomy says; None when the votes are too weak or contradict each other."""
        if self.net < self.rules.min_net_votes:
            return None
        return Side.RIGHT if self.total > 0 else Side.LEFT

    @property
    def leaning(self) -> Side:
        """The side the votes lean to, however weakly (to orient an uncertain foot; never to report)."""
        return Side.RIGHT if self.total > 0 else Side.LEFT

    def explanation(self) -> str:
        """The votes in words, e.g. ``arch: left (0.9), hallux: right (0.3)``."""
        shown = [f"{name}: {'right' if v > 0 else 'left'} ({abs(v):.1f})" for name, v in self.votes.items()
                 if abs(v) >= 0.05]  # fmt: skip
        return ", ".join(shown) or "no anatomical cue"


def detect_side(frame_points: np.ndarray, foot_length: float) -> tuple[Side, dict[str, float]]:
    """Left or right, from points in a frame with z up and x from heel to toe (heel at x = 0); the side the
    votes lean to and the votes (``SideEvidence`` says whether they are enough).

    Votes are signed: positive means the medial side is +y (a right foot). None uses the leg.
    - arch: in the midfoot the underside is lifted on the medial side;
    - footprint: the plantar outline (per slice, the points within 0.015 L of its lowest) lies laterally
      in the midfoot, leaving a wider gap to the foot's medial border: true of a sole flattened on glass too,
      where the arch is pressed down but its medial wall still curves up;
    - hallux: the front toes (the front 8 %) lie medial of the forefoot's middle (the big toe is the largest,
      the lesser toes slant back laterally; true also when the 2nd toe is the longest);
    - ball: the medial bulge of the forefoot (MTP1) lies further forward than the lateral one (MTP5); only
      when both borders bulge clearly, and at half weight (a flat or flattened border has no clear bulge).
    """
    x, y, z = frame_points.T
    length = foot_length
    votes: dict[str, float] = {}
    low = z < 0.25 * length
    mid = (x > 0.35 * length) & (x < 0.6 * length) & low
    if mid.sum() > 20:
        centre = np.median(y[mid])
        plus = mid & (y > centre)
        minus = mid & (y < centre)
        if plus.any() and minus.any():
            lift_plus = np.percentile(z[plus], 5)
            lift_minus = np.percentile(z[minus], 5)
            votes["arch"] = float(np.clip((lift_plus - lift_minus) / (0.02 * length), -1, 1))
    footprint = _footprint_vote(x, y, z, length)
    if footprint is not None:
        votes["footprint"] = footprint
    fore = (x > 0.6 * length) & (x < 0.85 * length) & low
    toes = x > 0.92 * length
    if fore.sum() > 20 and toes.sum() > 5:
        middle = 0.5 * (y[fore].max() + y[fore].min())
        votes["hallux"] = float(np.clip((y[toes].mean() - middle) / (0.06 * length), -1, 1))
    ball = (x > 0.5 * length) & (x < 0.85 * length) & low
    if ball.sum() > 30:
        plus_x = _border_bulge_x(x[ball], y[ball], length)
        minus_x = _border_bulge_x(x[ball], -y[ball], length)
        if plus_x is not None and minus_x is not None:
            votes["ball"] = 0.5 * float(np.clip((plus_x - minus_x) / (0.04 * length), -1, 1))
    return SideEvidence(votes).leaning, votes


def _footprint_vote(x: np.ndarray, y: np.ndarray, z: np.ndarray, length: float) -> float | None:
    """Per 2 % slice of the midfoot (0.3-0.6 L), the gap between the foot's border (below 0.25 L) and the
    footprint's (its points within 0.015 L of the slice's lowest), on each side: the medial gap is wider."""
    band = (x > 0.3 * length) & (x < 0.6 * length) & (z < 0.25 * length)
    if band.sum() < 20:
        return None
    xs, ys, zs = x[band], y[band], z[band]
    slices = np.floor(xs / (0.02 * length)).astype(np.int64)
    slices -= slices.min()
    count = int(slices.max()) + 1
    lowest = np.full(count, np.inf)
    np.minimum.at(lowest, slices, zs)
    contact = zs < lowest[slices] + 0.015 * length
    edges = []
    for values, mask in ((ys, np.ones_like(contact)), (ys, contact), (-ys, np.ones_like(contact)), (-ys, contact)):
        edge = np.full(count, -np.inf)
        np.maximum.at(edge, slices[mask], values[mask])
        edges.append(edge)
    plus_gap, minus_gap = edges[0] - edges[1], edges[2] - edges[3]
    usable = np.isfinite(plus_gap) & np.isfinite(minus_gap)
    if usable.sum() < 3:
        return None
    return float(np.clip((np.median(plus_gap[usable]) - np.median(minus_gap[usable])) / (0.03 * length), -1, 1))


def _border_bulge_x(x: np.ndarray, outward: np.ndarray, length: float) -> float | None:
    """x of the forefoot border's bulge (0.5-0.85 L; ``outward``: how far out each point is), from the
    median-smoothed per-1 % profile; None unless it stands 2 mm out of the border on both sides."""
    start, step = 0.5 * length, 0.01 * length
    count = 35
    slices = np.clip(np.floor((x - start) / step).astype(np.int64), 0, count - 1)
    profile = np.full(count, -np.inf)
    np.maximum.at(profile, slices, outward)
    filled = np.isfinite(profile)
    if filled.sum() < 0.6 * count:
        return None
    profile = median_filter(np.interp(np.arange(count), np.flatnonzero(filled), profile[filled]), 5, mode="nearest")
    top = int(np.argmax(profile))
    if profile[top] - profile[: max(top, 1)].min() < 2.0 or profile[top] - profile[top:].min() < 2.0:
        return None
    centres = start + (np.arange(count) + 0.5) * step
    return float(centres[profile >= profile[top] - 0.5].mean())


# Across the forefoot (0.8-0.9 L), the 2nd toe lies about this fraction of the width from the medial
# edge (measured on the FIND foot and its ANSUR II deformations: 0.49-0.51).
_SECOND_TOE_ACROSS = 0.48


def second_toe_tip(frame_points: np.ndarray, foot_length_mm: float, medial_sign: float) -> np.ndarray:
    """(x, y) of the 2nd toe tip, mm: of the toe-tip peaks of the front outline, the one nearest where the
    2nd toe lies (about half-way across the forefoot); the outline there when no peak is near."""
    x, y = frame_points[:, 0], frame_points[:, 1]
    fore = x > 0.7 * foot_length_mm
    bin_mm = 1.0
    yb = np.floor(y[fore] / bin_mm).astype(np.int64)
    yb -= yb.min()
    front = np.full(yb.max() + 1, -np.inf)
    np.maximum.at(front, yb, x[fore])
    valid = np.isfinite(front)
    y_centres = (np.arange(len(front)) + 0.5) * bin_mm + np.floor(y[fore].min() / bin_mm) * bin_mm
    profile = np.where(valid, front, np.interp(np.arange(len(front)), np.flatnonzero(valid), front[valid]))
    order = slice(None, None, -1) if medial_sign > 0 else slice(None)
    profile, y_centres = profile[order], y_centres[order]  # medial first
    # A 3 mm running maximum closes one-bin gaps of a sparse or holed cloud before looking for tips.
    profile = maximum_filter1d(profile, size=3, mode="nearest")
    peaks, _ = find_peaks(profile, prominence=1.5, distance=int(8 / bin_mm))
    # Only tips near the front count as toes (not a bulge of the lateral border).
    peaks = peaks[profile[peaks] >= profile.max() - 0.12 * foot_length_mm]
    # Where the 2nd toe should be: about half-way across the forefoot (0.8-0.9 L) from its medial edge.
    band = (x > 0.8 * foot_length_mm) & (x < 0.9 * foot_length_mm)
    if band.sum() < 3:  # a foot's forefoot is there, however coarse the scan: a shape without one is none
        raise NotAFootError(
            f"the shape has no surface across its front (80-90 % of its {foot_length_mm:.0f} mm length), where a "
            "foot has its forefoot and toes: it is not a foot",
            length_mm=round(foot_length_mm, 1),
        )  # fmt: skip
    medial = y[band] * medial_sign
    width = float(np.ptp(medial))
    expected_y = (float(medial.max()) - _SECOND_TOE_ACROSS * width) * medial_sign
    distance = np.abs(y_centres[peaks] - expected_y)
    if len(peaks) and distance.min() <= 0.15 * width:
        peak = int(peaks[int(np.argmin(distance))])
    else:  # toes fused or lost in a scan hole: the front outline where the 2nd toe should be
        peak = int(np.argmin(np.abs(y_centres - expected_y)))
    # Finer than the 1 mm bins: the middle of the toe's rounded tip (its points within 1.5 mm of the
    # front, within 4 mm across), so a tilt of a tenth of a degree does not come from rounding.
    tip = fore & (np.abs(y - y_centres[peak]) <= 4.0)
    tip &= x >= x[tip].max() - 1.5
    return np.array([profile[peak], float(y[tip].mean())])


# The pternion is sought below this fraction of the foot length (the leg above may reach further back).
PTERNION_MAX_HEIGHT = 0.25


# ... and this far (mm) under the top of a scan cut lower than that: the cut's edge is no part of the heel.
_PTERNION_UNDER_CUT_MM = 5.0


def pternion_search_height(
    heights_mm: np.ndarray, foot_length_mm: float, fraction: float = PTERNION_MAX_HEIGHT
) -> float:
    """Height (mm) below which the pternion is sought: ``fraction`` of the foot length, or 5 mm under the top
    of a scan cut lower (the edge of a cut, or of its smoothed cap, may stand out behind the heel's curve)."""
    return min(fraction * foot_length_mm, float(heights_mm.max()) - _PTERNION_UNDER_CUT_MM)


def pternion_x(frame_points: np.ndarray, foot_length_mm: float) -> float:
    """x of the back of the heel: the rearmost point below a quarter of the foot length (the leg above
    may reach further back), and under the top of a scan cut lower."""
    low = frame_points[:, 2] < pternion_search_height(frame_points[:, 2], foot_length_mm)
    return float(frame_points[low, 0].min())


def heel_centre_y(frame_points: np.ndarray, foot_length_mm: float) -> float:
    """Middle of the heel's width 10 % of the foot length in front of the heel back, below 10 % height."""
    x, y, z = frame_points.T
    band = (np.abs(x - 0.1 * foot_length_mm) < 0.02 * foot_length_mm) & (z < 0.1 * foot_length_mm)
    if band.sum() < 3:
        band = x < 0.15 * foot_length_mm
    return float(0.5 * (y[band].max() + y[band].min()))


def orient_foot(
    points_mm: np.ndarray, side: Side | Literal["auto"] = "auto", rough_rotation: np.ndarray | None = None
) -> tuple[FootFrame, float]:
    """The measuring frame of a foot given as points (n, 3) in mm; returns the frame and the foot length (mm).

    ``rough_rotation`` (from ``rough_frame`` on the same points in any units) saves computing it again.
    """
    rotation = rough_rotation if rough_rotation is not None else rough_frame(points_mm)[0]
    local = points_mm @ rotation.T
    framed = local - np.array([local[:, 0].min(), 0.0, local[:, 2].min()])
    length = float(framed[:, 0].max())
    framed[:, 0] -= pternion_x(framed, length)
    length = float(framed[:, 0].max())
    detected, votes = detect_side(framed, length)
    chosen = detected if side == "auto" else Side(side)
    medial_sign = 1.0 if chosen == "right" else -1.0
    for _ in range(2):
        toe = second_toe_tip(framed, length, medial_sign)
        heel = np.array([0.1 * length, heel_centre_y(framed, length)])
        angle = np.arctan2(toe[1] - heel[1], toe[0] - heel[0])
        cos, sin = np.cos(angle), np.sin(angle)
        spin = np.array([[cos, sin, 0.0], [-sin, cos, 0.0], [0.0, 0.0, 1.0]])
        framed = framed @ spin.T
        rotation = spin @ rotation
        framed[:, 0] -= pternion_x(framed, length)
        framed[:, 1] -= heel_centre_y(framed, length)
        length = float(framed[:, 0].max())
    origin_scan = _origin_in_scan(points_mm, rotation, framed)
    return FootFrame(rotation=rotation, origin=origin_scan, side=chosen, side_votes=votes), length


def _origin_in_scan(points_mm: np.ndarray, rotation: np.ndarray, framed: np.ndarray) -> FloatArray:
    # framed = rotation @ (p - origin)  =>  origin = p - rotation.T @ framed, the same for every point.
    origin: FloatArray = points_mm[0] - rotation.T @ framed[0]
    return origin

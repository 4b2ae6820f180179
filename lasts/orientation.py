"""Putting a foot in its measuring frame, and telling left from right.

The frame (see docs/measurements.md): sole on the floor z = 0, +z up; the foot axis — from the heel
centre to the tip of the 2nd toe — along +x; the pternion (back of the heel) at x = 0 and the heel centre
at y = 0. The frame is right-handed, so the medial side is -y on a left foot and +y on a right foot.

Method, each step independent of the scan's pose and (until units are known) of its scale:
1. Floor: of the convex hull's broad sides, one the foot touches at both ends (heel and forefoot) and
   over which the ends stand most unequally high (ankle over the heel, low toes).
2. Long axis: principal axis of the points projected on the floor.
3. Heel end: the ankle rises over the heel, so the rear reaches higher than the front.
4. Medial side: the medial arch is lifted off the floor, so in the midfoot the underside is higher on
   the medial side; the big toe (the front-most toe on most feet) breaks ties.
5. Axis refinement: heel centre (middle of the heel's width) to the 2nd toe tip (the second toe-tip
   peak of the front outline counted from the medial side), twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.ndimage import maximum_filter1d
from scipy.signal import find_peaks
from scipy.spatial import ConvexHull

from geometry.arrays import FloatArray
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


def floor_normal(points: np.ndarray) -> np.ndarray:
    """Outward (downward) unit normal (3,) of the support plane under the sole.

    Of the hull's broad sides, the floor is one the foot touches at both ends (heel and forefoot: the
    points within 5 % of the principal extent of its plane span half the length or more) and over which
    the two ends stand most unequally high (the ankle over the heel, the toes low). A side of the foot touches
    its plane along the whole length too, but both ends rise about equally from it. The back of the heel
    and leg can touch a plane at both ends too, with the toes standing up from it; but there the lower
    end (the leg's top) stands as high as the leg is deep, while a foot's toes stay below about 0.3 of
    its length. Score: the rise, weighted from 0 to 1 as the contact spread goes from 45 % to 75 % of the
    length, and from 1 to 0 as the lower end's height goes from 35 % to 45 % of it. The winner is
    refined to the hull facet the foot rests on (``resting_facet_normal``).
    """
    centred = points - points.mean(axis=0)
    # Along the principal axis, not the largest side of the axis-aligned box: the same in every pose.
    extent = float(np.ptp(centred @ principal_axis(centred)))
    hull = ConvexHull(points)
    best_rise, best = -1.0, None
    for direction in candidate_support_directions(hull):
        up = -direction
        flat = centred - np.outer(centred @ up, up)
        along = flat @ principal_axis(flat)
        length = float(np.ptp(along))
        height = centred @ up
        height -= height.min()
        spread = float(np.ptp(along[height < 0.05 * extent])) / length
        rear = along < along.min() + 0.3 * length
        front = along > along.max() - 0.3 * length
        rear_height, front_height = float(height[rear].max()), float(height[front].max())
        rise = abs(rear_height - front_height) / length
        lower_end = min(rear_height, front_height) / length
        # Weighted, not gated, so a foot near the threshold cannot flip between candidates.
        score = rise * float(np.clip((spread - 0.45) / 0.3, 0.0, 1.0))
        score *= float(np.clip((0.45 - lower_end) / 0.1, 0.0, 1.0))
        if score > best_rise:
            best_rise, best = score, direction
    if best is None or best_rise <= 0:
        raise NotAFootError("no side of the shape rests on a floor at both ends, as a foot's sole does")
    return resting_facet_normal(hull, best)


def resting_facet_normal(hull: ConvexHull, approximate_down: np.ndarray) -> np.ndarray:
    """The hull facet the shape rests on when set down near ``approximate_down``: the one (within 30
    degrees of it) that contains the centroid's projection along its own normal, as under gravity."""
    points = hull.points
    normals = hull.equations[:, :3]
    near = np.flatnonzero(normals @ approximate_down >= np.cos(np.radians(30.0)))
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
        return approximate_down
    # Coplanar facets share a plane; take the largest containing one.
    areas = 0.5 * np.linalg.norm(np.cross(v0, v1), axis=1)
    down: FloatArray = n[inside][int(np.argmax(areas[inside]))]
    return down


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
    rear = along < along.min() + 0.3 * length
    front = along > along.max() - 0.3 * length
    if height[front].max() > height[rear].max():
        x_axis = -x_axis  # the ankle rises over the heel: the higher end is the rear
    y_axis = np.cross(up, x_axis)
    return np.vstack([x_axis, y_axis, up]), length


def detect_side(frame_points: np.ndarray, foot_length: float) -> tuple[Side, dict[str, float]]:
    """Left or right, from points in a frame with z up and x from heel to toe (heel at x = 0).

    Votes are signed: positive means the medial side is +y (a right foot).
    """
    x, y, z = frame_points.T
    votes: dict[str, float] = {}
    # Arch: underside height on each side of the midfoot.
    mid = (x > 0.35 * foot_length) & (x < 0.6 * foot_length) & (z < 0.25 * foot_length)
    if mid.sum() > 20:
        centre = np.median(y[mid])
        plus = mid & (y > centre)
        minus = mid & (y < centre)
        if plus.any() and minus.any():
            lift_plus = np.percentile(z[plus], 5)
            lift_minus = np.percentile(z[minus], 5)
            votes["arch"] = float(np.clip((lift_plus - lift_minus) / (0.02 * foot_length), -2, 2))
    # Big toe: the front-most point lies medial of the forefoot's middle.
    fore = x > 0.75 * foot_length
    if fore.sum() > 20:
        tip_y = y[np.argmax(x)]
        middle = 0.5 * (y[fore].max() + y[fore].min())
        votes["big_toe"] = float(np.clip((tip_y - middle) / (0.1 * foot_length), -1, 1))
    total = sum(votes.values())
    return (Side.RIGHT if total > 0 else Side.LEFT), votes


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


def pternion_x(frame_points: np.ndarray, foot_length_mm: float) -> float:
    """x of the back of the heel: the rearmost point below a quarter of the foot length (the leg above
    may reach further back)."""
    low = frame_points[:, 2] < PTERNION_MAX_HEIGHT * foot_length_mm
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

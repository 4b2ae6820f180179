"""Putting a foot in its measuring frame, and telling left from right.

The frame (see docs/measurements.md): sole on the floor z = 0, +z up; the foot axis — from the heel
centre to the tip of the 2nd toe — along +x; the pternion (back of the heel) at x = 0 and the heel centre
at y = 0. The frame is right-handed, so the medial side is -y on a left foot and +y on a right foot.

Method, each step independent of the scan's pose and (until units are known) of its scale:
1. Long axis and rough up: the first principal axis; up is the direction across it in which one end
   (the heel, under the ankle) rises highest above the other (the toes).
2. Floor: among the convex hull's downward faces, the normal direction carrying the most hull area:
   the support plane bridging heel and ball.
3. Heel end: the end that rose highest in step 1.
4. Medial side: the medial arch is lifted off the floor, so in the midfoot the underside is higher on
   the medial side; the big toe (the front-most toe on most feet) breaks ties.
5. Axis refinement: heel centre (middle of the heel's width) to the 2nd toe tip (the second toe-tip
   peak of the front outline counted from the medial side), twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.signal import find_peaks
from scipy.spatial import ConvexHull

Side = Literal["left", "right"]


@dataclass(frozen=True)
class FootFrame:
    """A rigid transform from scan coordinates (already in mm) into the measuring frame, and the side."""

    rotation: np.ndarray  # (3, 3): frame = rotation @ (p - origin)
    origin: np.ndarray  # (3,), mm, in scan coordinates
    side: Side
    side_votes: dict[str, float]

    def apply(self, points: np.ndarray) -> np.ndarray:
        """(n, 3) scan points, mm -> (n, 3) frame points, mm."""
        return (np.asarray(points) - self.origin) @ self.rotation.T

    @property
    def medial_sign(self) -> float:
        """+1 when medial is +y (right foot), -1 when medial is -y (left foot)."""
        return 1.0 if self.side == "right" else -1.0

    def matrix(self) -> np.ndarray:
        """(4, 4) homogeneous transform scan -> frame."""
        transform = np.eye(4)
        transform[:3, :3] = self.rotation
        transform[:3, 3] = -self.rotation @ self.origin
        return transform


def up_and_long_axis(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rough ``up`` and heel-to-toe unit vectors (3,), scale-free.

    The long axis is the first principal axis. Up is the direction across it in which the heel end
    rises highest above the toe end: the ankle stands over the heel while the toes stay low.
    """
    centred = points - points.mean(axis=0)
    sample = centred[:: max(1, len(centred) // 20000)]
    _, _, vt = np.linalg.svd(sample, full_matrices=False)
    long_axis, e2, e3 = vt
    along = centred @ long_axis
    low, high = along.min(), along.max()
    end_a = centred[along < low + 0.3 * (high - low)]
    end_b = centred[along > high - 0.3 * (high - low)]
    angles = np.radians(np.arange(0.0, 360.0, 1.0))
    candidates = np.outer(np.cos(angles), e2) + np.outer(np.sin(angles), e3)  # (360, 3)
    rise = (end_a @ candidates.T).max(axis=0) - (end_b @ candidates.T).max(axis=0)
    best = int(np.argmax(np.abs(rise)))
    up = candidates[best]
    heel_to_toe = long_axis if rise[best] > 0 else -long_axis
    return up, heel_to_toe


def floor_normal(points: np.ndarray, rough_up: np.ndarray, cone_deg: float = 10.0) -> np.ndarray:
    """Outward (downward) unit normal (3,) of the support plane under the heel and the ball.

    Among the convex hull's faces that face down (within 40 degrees of -up), the normal direction
    carrying the most hull area: the sole's support plane, bridging heel and ball.
    """
    hull = ConvexHull(points)
    triangles = points[hull.simplices]
    cross = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    areas = 0.5 * np.linalg.norm(cross, axis=1)
    normals = hull.equations[:, :3]
    downward = normals @ -rough_up >= np.cos(np.radians(40.0))
    normals, areas = normals[downward], areas[downward]
    # Candidate directions are the hull normals themselves, so the result does not depend on the pose.
    within = (normals @ normals.T) >= np.cos(np.radians(cone_deg))
    best = normals[int(np.argmax(within.astype(np.float64) @ areas))]
    members = (normals @ best) >= np.cos(np.radians(cone_deg))
    mean = (normals[members] * areas[members, None]).sum(axis=0)
    return mean / np.linalg.norm(mean)


def rough_frame(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Scale-free first alignment: rows (x, y, z) with z up from the floor and x from heel to toe.

    Returns the rotation (3, 3) and the foot's length along x in the points' units.
    """
    rough_up, heel_to_toe = up_and_long_axis(points)
    up = -floor_normal(points, rough_up)
    x_axis = heel_to_toe - (heel_to_toe @ up) * up
    x_axis /= np.linalg.norm(x_axis)
    y_axis = np.cross(up, x_axis)
    along = points @ x_axis
    return np.vstack([x_axis, y_axis, up]), float(along.max() - along.min())


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
    return ("right" if total > 0 else "left"), votes


def second_toe_tip(frame_points: np.ndarray, foot_length_mm: float, medial_sign: float) -> np.ndarray:
    """(x, y) of the 2nd toe tip: the second peak of the front outline from the medial side (mm)."""
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
    peaks, _ = find_peaks(profile, prominence=1.0, distance=int(8 / bin_mm))
    # The big toe is the first prominent peak; its neighbour laterally is the 2nd toe.
    if len(peaks) >= 2:
        peak = peaks[1]
    elif len(peaks) == 1:
        peak = peaks[0]
    else:
        peak = int(np.argmax(profile))
    return np.array([profile[peak], y_centres[peak]])


def pternion_x(frame_points: np.ndarray, foot_length_mm: float) -> float:
    """x of the back of the heel: the rearmost point below a quarter of the foot length (the leg above
    may reach further back)."""
    low = frame_points[:, 2] < 0.25 * foot_length_mm
    return float(frame_points[low, 0].min())


def heel_centre_y(frame_points: np.ndarray, foot_length_mm: float) -> float:
    """Middle of the heel's width 10 % of the foot length in front of the heel back, below 10 % height."""
    x, y, z = frame_points.T
    band = (np.abs(x - 0.1 * foot_length_mm) < 0.02 * foot_length_mm) & (z < 0.1 * foot_length_mm)
    if band.sum() < 3:
        band = x < 0.15 * foot_length_mm
    return float(0.5 * (y[band].max() + y[band].min()))


def orient_foot(points_mm: np.ndarray, side: Side | Literal["auto"] = "auto") -> tuple[FootFrame, float]:
    """The measuring frame of a foot given as points (n, 3) in mm; returns the frame and the foot length (mm)."""
    rotation, _ = rough_frame(points_mm)
    local = points_mm @ rotation.T
    framed = local - np.array([local[:, 0].min(), 0.0, local[:, 2].min()])
    length = float(framed[:, 0].max())
    framed[:, 0] -= pternion_x(framed, length)
    length = float(framed[:, 0].max())
    detected, votes = detect_side(framed, length)
    chosen: Side = detected if side == "auto" else side
    medial_sign = 1.0 if chosen == "right" else -1.0
    for _ in range(2):
        toe = second_toe_tip(framed, length, medial_sign)
        heel = np.array([0.1 * length, heel_centre_y(framed, length)])
        angle = np.arctan2(toe[1] - heel[1], toe[0] - heel[0])
        cos, sin = np.cos(angle), np.sin(angle)
        spin = np.array([[cos, sin, 0.0], [-sin, cos, 0.0], [0.0, 0.0, 1.0]])
        framed = framed @ spin.T
        rotation = spin @ rotation
        framed = framed - np.array([pternion_x(framed, length), heel_centre_y(framed, length), 0.0])
        length = float(framed[:, 0].max())
    origin_scan = _origin_in_scan(points_mm, rotation, framed)
    return FootFrame(rotation=rotation, origin=origin_scan, side=chosen, side_votes=votes), length


def _origin_in_scan(points_mm: np.ndarray, rotation: np.ndarray, framed: np.ndarray) -> np.ndarray:
    # framed = rotation @ (p - origin)  =>  origin = p - rotation.T @ framed, the same for every point.
    return points_mm[0] - rotation.T @ framed[0]

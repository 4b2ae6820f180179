"""Posing a last: its heel raised to the heel height and its toe to the toe spring.

A last is fitted standing (bottom on z = 0, like the foot it is measured against) and then posed the way
it stands in the shoe: the bottom line is bent like a beam. Each point keeps its distance along the
bottom (the stick length stays) and its height above the bottom (the sections keep their shape): a point
at (x, y, z) goes to c(x) + z·n(x) + y·ŷ, where c is the posed bottom line parametrised by arc length and
n its upward normal. The bottom line is straight under the heel seat, bends through the shank into the
tread (flat on the ground under the ball) and bends up again into the toe spring.

Where the bend is sharp and the last is tall, points above the bottom would pass through one another
(height × curvature ≥ 1): such a heel height is one this last cannot take, and posing says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import brentq

from geometry.arrays import FloatArray
from lasts.errors import LastError
from lasts.landmarks import Landmarks
from lasts.model import LastMesh, LastParameters


@dataclass(frozen=True)
class PoseProportions:
    """Where the bottom bends, as fractions of the ball length B (tread) and the stick length L (bends)."""

    tread_start: float = 0.86  # × B: the bottom meets the ground this far from the heel
    tread_end: float = 1.04  # × B: and leaves it for the toe spring here
    shank_bend: float = 0.38  # × L: the heel's bend runs over this length behind the tread
    toe_bend: float = 0.20  # × L: the toe spring's bend runs over this length ahead of the tread
    max_squeeze: float = 0.85  # height × curvature beyond this crushes the upper over the shank


DEFAULT_POSE = PoseProportions()


@dataclass(frozen=True)
class BottomLine:
    """The posed bottom line, sampled densely by arc length s (mm) from the heel."""

    s_mm: np.ndarray
    points_xz_mm: np.ndarray  # (k, 2)
    angle_rad: np.ndarray  # tangent angle above the horizontal
    curvature_per_mm: np.ndarray

    def place(self, points: np.ndarray) -> np.ndarray:
        """Standing (x along the bottom, y, z above it) → posed coordinates."""
        s = np.clip(points[:, 0], self.s_mm[0], self.s_mm[-1])
        base_x = np.interp(s, self.s_mm, self.points_xz_mm[:, 0])
        base_z = np.interp(s, self.s_mm, self.points_xz_mm[:, 1])
        angle = np.interp(s, self.s_mm, self.angle_rad)
        # Points past either end (the poles sit exactly on them) continue along the end tangents.
        beyond = points[:, 0] - s
        height = points[:, 2]
        x = base_x + beyond * np.cos(angle) - height * np.sin(angle)
        z = base_z + beyond * np.sin(angle) + height * np.cos(angle)
        return np.column_stack([x, points[:, 1], z])


def _angles_rad(s: np.ndarray, knots: tuple[float, float, float, float], heel: float, toe: float) -> np.ndarray:
    """Tangent angle along the bottom: −heel under the seat, 0 on the tread, +toe at the tip; smooth bends."""
    a, b, c, d = knots

    def smooth(t: np.ndarray) -> FloatArray:
        clipped: FloatArray = np.clip(t, 0.0, 1.0)
        return clipped * clipped * (3.0 - 2.0 * clipped)

    return -heel * (1.0 - smooth((s - a) / (b - a))) + toe * smooth((s - c) / (d - c))


def _bottom_line(length_mm: float, knots: tuple[float, float, float, float], heel: float, toe: float) -> BottomLine:
    s = np.linspace(0.0, length_mm, 2048)
    angle = _angles_rad(s, knots, heel, toe)
    ds = np.diff(s)
    mid = 0.5 * (angle[1:] + angle[:-1])
    x = np.concatenate([[0.0], np.cumsum(np.cos(mid) * ds)])
    z = np.concatenate([[0.0], np.cumsum(np.sin(mid) * ds)])
    # The tread lies on the ground: z = 0 where the angle is 0.
    on_tread = int(np.searchsorted(s, 0.5 * (knots[1] + knots[2])))
    z -= z[on_tread]
    curvature = np.gradient(angle, s)
    return BottomLine(s, np.column_stack([x, z]), angle, curvature)


def _bend_for_rise_rad(length_mm: float, knots: tuple[float, float, float, float], rise_mm: float, end: str) -> float:
    """The tangent angle at one end that lifts that end of the bottom by ``rise_mm``."""
    if rise_mm <= 0.0:
        return 0.0

    def lift(angle: float) -> float:
        line = _bottom_line(length_mm, knots, angle if end == "heel" else 0.0, angle if end == "toe" else 0.0)
        return float(line.points_xz_mm[0 if end == "heel" else -1, 1]) - rise_mm

    if lift(1.4) < 0.0:
        raise LastError(f"{end} rise {rise_mm:.1f} mm: the last's bottom cannot bend that far")
    return float(brentq(lift, 0.0, 1.4, xtol=1e-6))


def posed_bottom_line(p: LastParameters, pose: PoseProportions = DEFAULT_POSE) -> BottomLine:
    """The bottom line of the posed last: its heel end ``heel_height_mm`` and its toe end ``toe_spring_mm``
    above the ground, the tread on it."""
    length = p.stick_length_mm
    ball = p.ball_length_mm
    b, c = pose.tread_start * ball, min(pose.tread_end * ball, length - 2.0)
    knots = (max(1.0, b - pose.shank_bend * length), b, c, min(length, c + pose.toe_bend * length))
    heel = _bend_for_rise_rad(length, knots, p.heel_height_mm, "heel")
    toe = _bend_for_rise_rad(length, knots, p.toe_spring_mm, "toe")
    return _bottom_line(length, knots, heel, toe)


def pose_last(last: LastMesh, pose: PoseProportions = DEFAULT_POSE) -> LastMesh:
    """The last standing on its heel height and toe spring (``params.heel_height_mm``, ``toe_spring_mm``).

    Heel height is the height of the bottom line's heel end (under the heel point) above the ground; toe
    spring that of its toe end. Raises :class:`LastError` when the bend would fold the upper over the
    shank: a heel height this last cannot take.
    """
    p = last.params
    line = posed_bottom_line(p, pose)
    vertices = last.vertices
    # Heights over the sharpest bend: the upper there must not fold onto itself.
    kappa = np.interp(vertices[:, 0], line.s_mm, line.curvature_per_mm)
    squeeze = vertices[:, 2] * kappa
    worst = int(np.argmax(squeeze))
    if squeeze[worst] > pose.max_squeeze:
        rear = vertices[worst, 0] < pose.tread_start * p.ball_length_mm
        asked = f"heel height {p.heel_height_mm:.1f} mm" if rear else f"toe spring {p.toe_spring_mm:.1f} mm"
        where = "shank" if rear else "toe"
        raise LastError(
            f"{asked} is one this last cannot take: its {where} would bend with a radius of "
            f"{1.0 / kappa[worst]:.0f} mm under a section {vertices[worst, 2]:.0f} mm tall (the upper there "
            "would fold)"
        )
    posed = line.place(vertices)
    return replace(
        last,
        vertices=posed,
        landmarks=_posed_landmarks(last.landmarks, line),
        feather_medial=line.place(last.feather_medial),
        feather_lateral=line.place(last.feather_lateral),
        posed=True,
    )


def _posed_landmarks(marks: Landmarks, line: BottomLine) -> Landmarks:
    def moved(point: np.ndarray) -> FloatArray:
        placed: FloatArray = line.place(np.asarray(point, dtype=np.float64)[None])[0]
        return placed

    return Landmarks(
        pternion=moved(marks.pternion),
        toe_tip=moved(marks.toe_tip),
        mtp1=moved(marks.mtp1),
        mtp5=moved(marks.mtp5),
        instep=moved(marks.instep),
        arch=moved(marks.arch),
        sphyrion=None if marks.sphyrion is None else moved(marks.sphyrion),
    )

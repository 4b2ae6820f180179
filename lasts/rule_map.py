"""The last maker's rule map: how much room a custom last leaves the foot, region by region and round the section.

Room is the signed distance from the foot's surface to the last's (+ space between them, − the last inside the
foot: the upper presses there), as the fit report measures it. The rule map turns the style's fit rules
(:class:`lasts.fitting.FitRules`: the toe allowance, the girth eases with the sock allowance and the fit
preference, the heel width ease, the toe box clearance) into a target room at every point of the foot:

- a girth change Δg on a roughly convex section is an offset of Δg / 2π all round it (the perimeter of a convex
  curve offset by r grows by 2πr), so each girth's allowance becomes that offset round its section: the heel
  (short heel girth), the ankle front (long heel girth), the instep, the waist and the ball; between the stations
  the room runs linearly;
- the sides carry the width rules: the heel's sides half the heel width ease each, the ball's sides a little over
  the foot (Menz et al. 2014: lasts of well-fitting shoes average +1.4 mm ball width, −0.7 mm ball girth);
- round and ahead of the toes the style's base last decides (its toe allowance and toe shape): no target, only
  that the last must not press the toes (the least room, 0 mm); over the toes the toe box clears the highest toe
  by the toe box clearance (a least room too: the toe box bridges the lower toes and the hollows between them,
  it does not print them);
- the sole stands on the insole, the last's bottom: flat at the heel seat, the ball and the toes (the target room
  of a sole point there is its height above the floor), rising under the arch to the foot's plantar surface (an
  insole that supports the arch: room 0), so that the last's girths there are the foot's tape girths and not
  the foot's plus the hollow under its arch;
- the back curve is the base's (the shaping keeps it, lasts.shaping): no target there, only that it presses no
  deeper than the heel girth's room; the heel seat is the bottom's (the sole's rule), its rounding the heel's.

Every choice is in :class:`RoomRules` (documented defaults, overridable) and docs/lasts.md draws the map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from geometry.arrays import FloatArray, IndexArray
from lasts.fitting import FitTargets
from lasts.model import DEFAULT_PROPORTIONS, LastParameters, LastProportions


class Zone(IntEnum):
    """Where on the foot a point is, for the rule that sets its room."""

    UPPER = 0  # the dorsum and the rounded parts between it and the sides: the girth's room
    SIDE = 1  # facing across (medial or lateral): the width rules
    SOLE = 2  # facing down near the floor: stands on the insole
    BACK = 3  # the heel's back curve: the base decides (no target)
    TOES = 4  # ahead of the ball, round the toes and ahead of them: the style's toe decides (no target)
    TOE_BOX = 5  # over the toes: at least the toe box clearance (no target)


ZONE_NAMES = {zone: zone.name.lower() for zone in Zone}


@dataclass(frozen=True)
class RoomRules:
    """The rule map's choices (mm, or shares of the foot length L), overridable per factory."""

    # Menz et al. 2014 (J Foot Ankle Res 7:3): the lasts of well-fitting shoes are 1.4 mm wider at the ball than
    # their wearers' feet: 0.7 mm on each side.
    ball_side_room_mm: float = 0.7
    side_normal: float = 0.77  # |normal y| over this (within 40 degrees of across): a side
    sole_normal: float = -0.85  # normal z under this (within 30 degrees of straight down), below sole_height: the sole
    sole_height: float = 0.10  # × L
    back_normal: float = -0.7  # normal x under this, in the heel region: the back curve
    heel_region: float = 0.28  # × L, as the fit report's heel region
    # The toes' zone starts this far ahead of the ball line (× L): the toe shape is the style's from there on.
    toes_after_ball: float = 0.06
    toe_box_normal: float = 0.5  # normal z over this, in the toes' zone: over the toes (the toe box's roof)
    least_toe_room_mm: float = 0.0  # round and ahead of the toes the last may not press at all
    # Under the arch the last's bottom rises to the plantar surface (1; 0 keeps it flat, filling the arch): from
    # the heel seat (ramping up to the ankle front) to the waist (ramping down to this far behind the ball line,
    # × L).
    arch_support: float = 1.0
    arch_end_before_ball: float = 0.03


DEFAULT_ROOM_RULES = RoomRules()


@dataclass(frozen=True)
class Station:
    """One place along the foot where a fit rule sets the room: x (mm, from the heel), the room round the section
    and on its sides (mm), and the rule it comes from."""

    name: str
    x_mm: float
    girth_room_mm: float
    side_room_mm: float
    rule: str


@dataclass(frozen=True)
class RuleMap:
    """Target room (mm) at every point of one foot for one style's last."""

    stations: tuple[Station, ...]
    foot_length_mm: float
    ball_x_mm: float
    toe_box_room_mm: float
    toe_allowance_mm: float
    arch_mm: tuple[float, float, float, float]  # the insole rises from the first to the second, falls to the last
    rules: RoomRules = DEFAULT_ROOM_RULES

    def insole_lift(self, x_mm: np.ndarray) -> FloatArray:
        """(n,) how far the last's bottom rises to the plantar surface at x (0 flat on the floor, 1 on the foot)."""
        a, b, c, d = self.arch_mm
        lift: FloatArray = self.rules.arch_support * np.interp(x_mm, [a, b, c, d], [0.0, 1.0, 1.0, 0.0])
        return lift

    @property
    def toes_start_mm(self) -> float:
        return self.ball_x_mm + self.rules.toes_after_ball * self.foot_length_mm

    def zones(self, points: np.ndarray, normals: np.ndarray) -> IndexArray:
        """(n,) :class:`Zone` of foot points (n, 3) mm with their outward unit normals (n, 3)."""
        r, length = self.rules, self.foot_length_mm
        x, z = points[:, 0], points[:, 2]
        zone = np.full(len(points), int(Zone.UPPER), dtype=np.int64)
        zone[np.abs(normals[:, 1]) > r.side_normal] = Zone.SIDE
        zone[(x < r.heel_region * length) & (normals[:, 0] < r.back_normal)] = Zone.BACK
        zone[(normals[:, 2] < r.sole_normal) & (z < r.sole_height * length)] = Zone.SOLE
        toes = x >= self.toes_start_mm
        zone[toes] = Zone.TOES
        zone[toes & (normals[:, 2] > r.toe_box_normal)] = Zone.TOE_BOX
        return zone

    def _along(self, x: np.ndarray, values: list[float]) -> FloatArray:
        at: FloatArray = np.interp(x, [s.x_mm for s in self.stations], values)
        return at

    def target_room_mm(self, points: np.ndarray, normals: np.ndarray) -> FloatArray:
        """(n,) the room the rules ask for at foot points (n, 3) with their outward normals, mm; NaN where the
        style's base last decides (round, ahead of and over the toes; the back curve)."""
        x = points[:, 0]
        zone = self.zones(points, normals)
        girth = self._along(x, [s.girth_room_mm for s in self.stations])
        side = self._along(x, [s.side_room_mm for s in self.stations])
        # How far a side point faces across: the width rule there, the girth's room as it turns to the top.
        across = np.clip((np.abs(normals[:, 1]) - 0.5) / (self.rules.side_normal - 0.5), 0.0, 1.0)
        room = girth + (side - girth) * across
        # The sole's room is its height above the insole: the floor, or under the arch the sole itself.
        room = np.where(zone == Zone.SOLE, np.maximum(points[:, 2], 0.0) * (1.0 - self.insole_lift(x)), room)
        return np.where(np.isin(zone, [Zone.TOES, Zone.TOE_BOX, Zone.BACK]), np.nan, room)

    def least_room_mm(self, points: np.ndarray, normals: np.ndarray) -> FloatArray:
        """(n,) the least room the last may leave (deeper is a press the rules do not ask for), mm: the target
        where there is one; over the toes the toe box clearance, round them ``least_toe_room_mm``; on the back
        curve the heel girth's room."""
        room = self.target_room_mm(points, normals)
        zone = self.zones(points, normals)
        least = np.where(zone == Zone.TOE_BOX, self.toe_box_room_mm, self.rules.least_toe_room_mm)
        least = np.where(zone == Zone.BACK, self.stations[0].girth_room_mm, least)
        return np.where(np.isnan(room), least, room)

    def region_reduction_mm(self, start_mm: float, stop_mm: float) -> float:
        """The deepest room the rules ask for between two places along the foot (the stations there and the room
        interpolated at both ends), mm: a region of the fit report may press this deep by rule."""
        xs = [start_mm, stop_mm, *(s.x_mm for s in self.stations if start_mm <= s.x_mm <= stop_mm)]
        lows = [min(g, s) for g, s in zip(
            self._along(np.array(xs), [s.girth_room_mm for s in self.stations]),
            self._along(np.array(xs), [s.side_room_mm for s in self.stations]), strict=True)]  # fmt: skip
        if stop_mm > self.toes_start_mm:
            lows.append(min(self.toe_box_room_mm, self.rules.least_toe_room_mm))
        return float(min(lows))

    def to_dict(self) -> dict[str, object]:
        """The map as ``last.json`` shows it: each station's room round the section and on the sides (mm)."""
        stations = [
            {"name": s.name, "x_mm": round(s.x_mm, 1), "girth_room_mm": round(s.girth_room_mm, 2),
             "side_room_mm": round(s.side_room_mm, 2), "rule": s.rule}
            for s in self.stations
        ]  # fmt: skip
        return {
            "stations": stations,
            "toe_box_room_mm": round(self.toe_box_room_mm, 2),
            "toes_from_mm": round(self.toes_start_mm, 1),
            "toe_allowance_mm": round(self.toe_allowance_mm, 2),
            "arch_support": {"x_mm": [round(x, 1) for x in self.arch_mm], "share": self.rules.arch_support},
        }


def rule_map(
    targets: FitTargets,
    base: LastParameters,
    foot_length_mm: float,
    rules: RoomRules = DEFAULT_ROOM_RULES,
    proportions: LastProportions = DEFAULT_PROPORTIONS,
) -> RuleMap:
    """The rule map of a style's last for a foot: the allowances of ``targets`` (``fit_targets``) laid along the
    foot at the base last's stations (its ball line is the foot's; the rear stations are fractions of the ball
    length, ``LastProportions``)."""
    allow = targets.allowances

    def offset(key: str) -> float:
        return allow[key] / (2.0 * math.pi)

    ball = base.ball_length_mm
    ball_x = ball - 0.5 * proportions.lateral_ball_offset * base.stick_length_mm  # between MTP1 and MTP5
    heel_side = 0.5 * allow["heel_width_mm"]
    stations = (
        Station("heel", 0.0, offset("short_heel_girth_mm"), heel_side, "short heel girth / 2π; heel width / 2"),
        Station("heel seat", proportions.heel_station * ball, offset("short_heel_girth_mm"), heel_side,
                "short heel girth / 2π; heel width / 2"),
        Station("ankle front", proportions.ankle_station * ball, offset("long_heel_girth_mm"),
                offset("long_heel_girth_mm"), "long heel girth / 2π"),
        Station("instep", proportions.instep_station * ball, offset("instep_girth_mm"), offset("instep_girth_mm"),
                "instep girth / 2π"),
        Station("waist", proportions.waist_station * ball, offset("waist_girth_mm"), offset("waist_girth_mm"),
                "waist girth / 2π"),
        Station("ball", ball_x, offset("ball_girth_mm"), rules.ball_side_room_mm,
                "ball girth / 2π; ball width over the foot (Menz 2014)"),
        Station("toe tip", foot_length_mm, offset("ball_girth_mm"), rules.ball_side_room_mm, "as the ball"),
    )  # fmt: skip
    return RuleMap(
        stations=stations,
        foot_length_mm=foot_length_mm,
        ball_x_mm=ball_x,
        toe_box_room_mm=allow["toe_height_mm"],
        toe_allowance_mm=allow["foot_length_mm"],
        arch_mm=(
            proportions.heel_station * ball,
            proportions.ankle_station * ball,
            proportions.waist_station * ball,
            ball_x - rules.arch_end_before_ball * foot_length_mm,
        ),
        rules=rules,
    )

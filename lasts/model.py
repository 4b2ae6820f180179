"""The parametric last: a smooth, watertight mesh lofted from cross-sections set by named parameters.

The last is built *standing*, in the frame the foot is measured in (docs/measurements.md): bottom on
z = 0, heel back (pternion) at x = 0, toe tip at x = stick length, medial side at +y for a right last
(mirrored for a left one). Each transverse section (a plane x = const) is one closed curve: a flat bottom
(the insole outline), rounded feather corners, and an upper superellipse up to the top profile. Along x,
the top height, the medial and lateral half-widths and the centre line are monotone cubic curves (PCHIP)
through values at stations (fractions of the length); the heel and toe are rounded by elliptic end factors
so that each end closes on one vertex. Heel height and toe spring are a bend of the bottom line applied
afterwards (:func:`pose_last`): girths are measured and fitted standing, like the foot. docs/lasts.md
draws it.

Named parameters set the shape at their stations: the ball, waist and instep girths are the girths of
the transverse sections there; the heel girths set the cone front and the fullness of the rear. The
measured girths (plane sections through the landmarks, :mod:`lasts.measurements`) differ from these by a
few mm; :mod:`lasts.fitting` solves the parameters that make the *measured* values hit their targets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any

import numpy as np
from scipy.interpolate import PchipInterpolator

from geometry.arrays import FloatArray
from lasts.errors import LastError
from lasts.landmarks import Landmarks
from lasts.side import Side


class ToeShape(StrEnum):
    ROUND = "round"
    ALMOND = "almond"
    SQUARE = "square"
    POINTED = "pointed"


@dataclass(frozen=True)
class ToeGeometry:
    """How a toe shape draws the front of the last (top view)."""

    outline_power: float  # end exponent of the half-widths: 2 is a round end, higher blunter, lower sharper
    medial_turn: float  # fraction of the length where the medial side starts to turn in
    lateral_turn: float
    tip_shift: float  # tip moved toward medial, as a fraction of the ball's medial half-width


TOE_GEOMETRY: dict[ToeShape, ToeGeometry] = {
    ToeShape.ROUND: ToeGeometry(2.0, 0.84, 0.76, 0.30),
    ToeShape.ALMOND: ToeGeometry(1.7, 0.82, 0.74, 0.20),
    ToeShape.SQUARE: ToeGeometry(4.0, 0.90, 0.84, 0.25),
    ToeShape.POINTED: ToeGeometry(1.35, 0.78, 0.70, 0.08),
}


@dataclass(frozen=True)
class LastProportions:
    """Where the stations sit and how the shape runs between them.

    Rear stations are fractions of the ball length B (heel to MTP1), which the last shares with the foot;
    the rest are fractions of the stick length L, which includes the toe allowance. House defaults, drawn
    from the FIND foot and common last drawings; overridable per factory.
    """

    heel_station: float = 0.23  # heel width (× B)
    cone_front: float = 0.30  # where the flat top of the cone ends (× B)
    ankle_station: float = 0.49  # front of the ankle, over which the long heel girth runs (× B)
    instep_station: float = 0.678  # the foot's instep point: 0.50 of the foot length = 0.678 B (FIND)
    waist_station: float = 0.77  # (× B)
    lateral_ball_offset: float = 0.107  # MTP5 this far behind MTP1 (the FIND foot: 27 mm of 257)
    toe_box_station: float = 0.85  # the toe height is measured over the front 15 %
    heel_round: float = 0.13  # top-view heel rounding length
    heel_under: float = 0.035  # the heel's bottom turns up over this length
    back_lean: float = 0.035  # the back curve reaches the cone top this far forward
    toe_under: float = 0.10  # the bottom rises to the tip over this length (before toe spring)
    toe_over: float = 0.15  # the top falls to the tip over this length
    medial_share_heel: float = 0.50
    # Half-widths at stations relative to the ball's (medial, lateral): the last narrows behind the ball.
    instep_width: tuple[float, float] = (0.84, 0.88)
    waist_width: tuple[float, float] = (0.90, 0.88)
    toe_box_width: tuple[float, float] = (0.95, 0.86)
    tip_width: tuple[float, float] = (0.85, 0.72)
    tip_height: float = 0.42  # toe tip height, fraction of the toe box height
    upper_power_front: float = 1.8  # superellipse exponent of the upper, forepart
    upper_power_rear: float = 3.0  # the rear (heel and cone) is boxier
    taper_rear: float = 0.6  # the heel hugs the foot's narrow back
    taper_ankle: float = 0.35
    taper_front: float = 0.30  # sides lean in: width lost at the top, fraction of the width at the feather
    # The medial wall of the midfoot stands up (the foot's medial arch and navicular): its taper is this
    # share of the lateral one between the ankle and the ball.
    medial_wall_taper_share: float = 0.4
    # Under the medial arch the insole narrows (the foot stands on its lateral band there): the medial
    # bottom half-width's share of the bottom ratio at [ankle, instep, waist] stations.
    medial_bottom_share: tuple[float, float, float] = (0.80, 0.62, 0.72)
    min_feather_share: float = 0.35  # feather corner height at most this share of a section's height
    # The top (the foot's dorsum) runs medially of the section centre, over the first metatarsal and the
    # big toe: the top point's offset as a share of the medial half-width at [ankle, instep, ball, toe box]
    # (the FIND foot: 0.3 at the instep point, 0.5 at the ball).
    ridge_share: tuple[float, float, float, float] = (0.10, 0.30, 0.30, 0.15)


DEFAULT_PROPORTIONS = LastProportions()


class LastParameterError(LastError):
    """A last parameter that is not a number in the range any last has (NaN, infinite, 1e308, text); the message
    and ``details['field']`` name it, ``details['allowed']`` says the range in words."""

    code = "invalid_last_parameter"


@dataclass(frozen=True)
class NumberRange:
    """The values a number may take at all, ``low`` to ``high`` (excluded unless ``*_included``)."""

    low: float
    high: float
    unit: str = "mm"
    low_included: bool = False
    high_included: bool = False

    def __contains__(self, value: float) -> bool:
        above = value >= self.low if self.low_included else value > self.low
        below = value <= self.high if self.high_included else value < self.high
        return math.isfinite(value) and above and below

    @property
    def words(self) -> str:
        low = f"{'at least' if self.low_included else 'more than'} {self.low:g}"
        high = f"{'at most' if self.high_included else 'less than'} {self.high:g}"
        return f"a finite number {low} and {high}{f' {self.unit}' if self.unit else ''}"


# Sanity bounds, checked as parameters are read and again before a last is built: no last is a metre long,
# so a larger number is a slip (or an attack), never a shape. check_parameters then checks that they go together.
_SIZE = NumberRange(0.0, 1000.0)
_SIGNED = NumberRange(-1000.0, 1000.0)  # shifts, and heights whose sign check_parameters judges (naming why)
PARAMETER_RANGES: dict[str, NumberRange] = {
    "stick_length_mm": _SIZE,
    "ball_length_mm": _SIZE,
    "ball_girth_mm": _SIZE,
    "ball_width_mm": _SIZE,
    "waist_girth_mm": _SIZE,
    "instep_girth_mm": _SIZE,
    "long_heel_girth_mm": _SIZE,
    "short_heel_girth_mm": _SIZE,
    "heel_width_mm": _SIZE,
    "toe_box_height_mm": _SIZE,
    "heel_height_mm": _SIGNED,
    "toe_spring_mm": _SIGNED,
    "cone_height_mm": _SIZE,
    "feather_height_mm": _SIZE,
    "bottom_width_ratio": NumberRange(0.0, 1.0, unit="", high_included=True),
    "inflare_mm": _SIGNED,
    "back_lean_mm": _SIGNED,
}


@dataclass(frozen=True)
class LastParameters:
    """A last's named parameters, mm unless named otherwise (docs/lasts.md defines each)."""

    stick_length_mm: float
    ball_length_mm: float  # heel to the ball line (MTP1), along the axis
    ball_girth_mm: float
    ball_width_mm: float
    waist_girth_mm: float
    instep_girth_mm: float
    long_heel_girth_mm: float
    short_heel_girth_mm: float
    heel_width_mm: float
    toe_box_height_mm: float
    heel_height_mm: float = 25.0  # pitch: heel seat above the ground (posed last)
    toe_spring_mm: float = 20.0  # toe tip above the ground (posed last)
    toe_shape: ToeShape = ToeShape.ROUND
    cone_height_mm: float | None = None  # top of the last; default max(0.52 L, 0.43 long heel girth)
    feather_height_mm: float = 7.0  # feather line (bottom edge) above the bottom
    bottom_width_ratio: float = 0.86  # insole outline width / last width at each station
    inflare_mm: float = 5.0  # toe tip swung toward medial (bottom outline)
    back_lean_mm: float | None = None  # back curve: how far forward it reaches the cone top; default 0.035 L
    side: Side = Side.RIGHT

    @property
    def cone_top_mm(self) -> float:
        # Tall enough that the long heel tape's tightest plane passes under the top, as it does on a leg:
        # a long heel girth big for the length needs a taller cone.
        if self.cone_height_mm is not None:
            return self.cone_height_mm
        ankle, _ = _heel_controls_mm(self)
        return max(0.52 * self.stick_length_mm, ankle + 30.0)

    @property
    def medial_sign(self) -> float:
        return 1.0 if self.side == "right" else -1.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["toe_shape"] = self.toe_shape.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LastParameters:
        """The parameters from their JSON (``last.params.json``); ``LastError`` for unknown or missing names,
        ``LastParameterError`` naming a number that is not one, or is out of :data:`PARAMETER_RANGES`."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise LastError(f"unknown last parameter(s): {', '.join(unknown)}")
        for name, allowed in PARAMETER_RANGES.items():
            value = data.get(name)
            if value is None:  # missing (the constructor names it) or an optional one left to its default
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise LastParameterError(f"{name} is {_shown(value)}: {allowed.words} is needed",
                                         field=name, allowed=allowed.words)  # fmt: skip
        check_numbers(data)
        try:
            values = dict(data)
            if "toe_shape" in values:
                values["toe_shape"] = ToeShape(values["toe_shape"])
            if "side" in values:
                values["side"] = Side(values["side"])
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise LastError(f"last parameters are incomplete or wrong: {exc}") from None

    def with_values(self, **changes: Any) -> LastParameters:
        return replace(self, **changes)


def _shown(value: object) -> str:
    """A refused value for a message, cut short (a refused value may be long)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_float(value: float) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer past the float range
        return math.inf


def check_numbers(numbers: Mapping[str, Any]) -> None:
    """Refuse a number of :data:`PARAMETER_RANGES` that is not finite or out of its range (``LastParameterError``
    naming the field and the range); names not given, or None, pass."""
    for name, allowed in PARAMETER_RANGES.items():
        value = numbers.get(name)
        if value is not None and _as_float(value) not in allowed:
            raise LastParameterError(f"{name} is {_shown(value)}: {allowed.words} is needed",
                                     field=name, allowed=allowed.words)  # fmt: skip


def check_parameters(p: LastParameters, proportions: LastProportions = DEFAULT_PROPORTIONS) -> None:
    """Reject combinations no last can have, naming the conflicting numbers."""
    L = p.stick_length_mm
    numbers = {f.name: getattr(p, f.name) for f in fields(p) if f.name.endswith("_mm")}
    check_numbers(asdict(p))
    if not 120.0 <= L <= 520.0:
        raise LastError(f"stick length {L:.1f} mm is outside the lasts this system builds (120-520 mm)")
    positive = (
        "ball_girth_mm",
        "ball_width_mm",
        "waist_girth_mm",
        "instep_girth_mm",
        "long_heel_girth_mm",
        "short_heel_girth_mm",
        "heel_width_mm",
        "toe_box_height_mm",
        "feather_height_mm",
    )
    for name in positive:
        if numbers[name] <= 0:
            raise LastError(f"{name} is {numbers[name]:.1f}: it must be positive")
    if p.heel_height_mm < 0 or p.toe_spring_mm < 0:
        raise LastError(
            f"heel height {p.heel_height_mm:.1f} mm and toe spring {p.toe_spring_mm:.1f} mm cannot be negative"
        )
    for name in ("ball_girth_mm", "waist_girth_mm", "instep_girth_mm"):
        if numbers[name] <= 2.0 * p.ball_width_mm * proportions.waist_width[0]:
            raise LastError(
                f"{name.removesuffix('_mm').replace('_', ' ')} {numbers[name]:.1f} mm is not more "
                f"than twice the ball width {p.ball_width_mm:.1f} mm: no section can be that flat"
            )
    if p.ball_girth_mm <= 2.0 * p.ball_width_mm:
        raise LastError(
            f"ball girth {p.ball_girth_mm:.1f} mm is not more than twice the ball width "
            f"{p.ball_width_mm:.1f} mm: a tape around the ball is longer than across it and back"
        )
    if p.long_heel_girth_mm < p.short_heel_girth_mm * 0.9 or p.long_heel_girth_mm > 1.6 * L:
        raise LastError(
            f"long heel girth {p.long_heel_girth_mm:.1f} mm does not go with short heel girth "
            f"{p.short_heel_girth_mm:.1f} mm and stick length {L:.1f} mm"
        )
    if not 0.60 * L <= p.ball_length_mm <= 0.80 * L:
        raise LastError(f"ball length {p.ball_length_mm:.1f} mm is not 60-80 % of the stick length {L:.1f} mm")
    if not 0.25 * L <= p.ball_width_mm <= 0.55 * L:
        raise LastError(f"ball width {p.ball_width_mm:.1f} mm is not 25-55 % of the stick length {L:.1f} mm")
    if not 0.5 * p.ball_width_mm <= p.heel_width_mm <= 1.0 * p.ball_width_mm:
        raise LastError(
            f"heel width {p.heel_width_mm:.1f} mm is not 50-100 % of the ball width {p.ball_width_mm:.1f} mm"
        )
    if p.toe_box_height_mm >= _top_heights_mm(p, proportions)[3] or p.toe_box_height_mm < 8.0:
        raise LastError(
            f"toe box height {p.toe_box_height_mm:.1f} mm must be 8 mm or more and lower than the last at the ball"
        )
    max_heel = 0.40 * L
    if p.heel_height_mm > max_heel:
        raise LastError(
            f"heel height {p.heel_height_mm:.1f} mm: a {L:.0f} mm last takes at most "
            f"{max_heel:.0f} mm (40 % of its length) before its bend folds the heel"
        )
    if p.toe_spring_mm > 0.15 * L:
        raise LastError(f"toe spring {p.toe_spring_mm:.1f} mm is more than 15 % of the stick length {L:.1f} mm")


@dataclass(frozen=True)
class LastMesh:
    """A built last: triangle mesh (mm, standing frame) and what it was built from."""

    vertices: np.ndarray  # (n, 3)
    faces: np.ndarray  # (m, 3), outward, watertight
    params: LastParameters
    landmarks: Landmarks
    grid_shape: tuple[int, int]  # (sections, points per section): vertices[1:-1] reshape to it
    section_x_mm: np.ndarray  # (sections,)
    feather_medial: np.ndarray  # (sections, 3) feather line points
    feather_lateral: np.ndarray
    posed: bool = False  # True once :func:`lasts.pose.pose_last` has raised the heel (not measurable then)

    @property
    def top_mm(self) -> float:
        return self.params.cone_top_mm

    def grid(self) -> np.ndarray:
        return self.vertices[1:-1].reshape(*self.grid_shape, 3)


# --- profiles along the last -------------------------------------------------------------------------


def _top_heights_mm(p: LastParameters, prop: LastProportions) -> np.ndarray:
    """Top heights at [cone front, ankle, instep, ball, toe box] before girth solving: first guesses that
    :func:`_station_heights_mm` replaces at the girth stations."""
    L = p.stick_length_mm
    return np.array([p.cone_top_mm, 0.40 * L, 0.33 * L, 0.21 * L, p.toe_box_height_mm])


@dataclass(frozen=True)
class _Profiles:
    """Smooth functions of x (mm) that every section is cut from."""

    length: float
    ball_length: float
    top: PchipInterpolator
    medial: PchipInterpolator
    lateral: PchipInterpolator
    centre_shift: float  # toe tip y, medial positive
    heel_point: float
    back_lean: float
    tip_height: float
    rear_taper: float
    prop: LastProportions
    toe: ToeGeometry
    feather: float
    bottom_ratio: float
    ridge_share: PchipInterpolator

    def end_factor(self, x: np.ndarray, start: float, stop: float, power: float = 2.0) -> np.ndarray:
        """1 before ``start``, falling to 0 at ``stop`` along a superellipse of exponent ``power``."""
        u = np.clip((x - start) / (stop - start), 0.0, 1.0)
        return (1.0 - u**power) ** (1.0 / power)

    def sections(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Section descriptors at x: bottom, feather and top heights, half-widths, centre."""
        L, prop = self.length, self.prop
        heel_back = self.end_factor(-x, -prop.heel_round * L, 0.0)  # top-view heel rounding
        toe_m = self.end_factor(x, self.toe.medial_turn * L, L, self.toe.outline_power)
        toe_l = self.end_factor(x, self.toe.lateral_turn * L, L, self.toe.outline_power)
        medial = self.medial(x) * heel_back * toe_m
        lateral = self.lateral(x) * heel_back * toe_l
        # Side view: bottom rises into the heel's back and the toe tip; the top falls to both ends.
        under = self.end_factor(-x, -prop.heel_under * L, 0.0)
        bottom = self.heel_point * (1.0 - under)
        toe_up = self.end_factor(x, (1.0 - prop.toe_under) * L, L)
        bottom = np.where(x > 0.5 * L, self.tip_height * (1.0 - toe_up), bottom)
        back = self.end_factor(-x, -self.back_lean, 0.0)
        top = self.top(x)
        top = np.where(x < 0.5 * L, self.heel_point + (top - self.heel_point) * back, top)
        toe_down = self.end_factor(x, (1.0 - prop.toe_over) * L, L)
        top = np.where(x > 0.5 * L, self.tip_height + (top - self.tip_height) * toe_down, top)
        feather = bottom + np.minimum(self.feather, prop.min_feather_share * (top - bottom))
        ramp = np.clip((x / L - 0.55) / 0.45, 0.0, 1.0)
        centre = self.centre_shift * ramp * ramp * (3.0 - 2.0 * ramp)
        B = self.ball_length
        blend = np.clip((x / B - prop.ankle_station) / (prop.waist_station - prop.ankle_station), 0.0, 1.0)
        power = prop.upper_power_rear + (prop.upper_power_front - prop.upper_power_rear) * blend
        # The heel hugs the foot's narrow back (strong taper); the ankle keeps room for the malleoli.
        taper = np.interp(
            x / B,
            [prop.heel_station, prop.ankle_station, prop.waist_station],
            [self.rear_taper, prop.taper_ankle, prop.taper_front],
        )
        return {
            "bottom": bottom,
            "feather": feather,
            "top": top,
            "medial": medial,
            "lateral": lateral,
            "centre": centre,
            "power": power,
            "bottom_ratio": np.full_like(x, self.bottom_ratio, dtype=np.float64),
            "bottom_ratio_medial": self.bottom_ratio * np.interp(
                x / B,
                [prop.heel_station, prop.ankle_station, prop.instep_station, prop.waist_station, 1.0],
                [1.0, *prop.medial_bottom_share, 1.0],
            ),
            "taper": taper,
            "taper_medial": taper * np.interp(
                x / B, [prop.ankle_station, prop.instep_station, prop.waist_station, 1.0],
                [1.0, prop.medial_wall_taper_share, prop.medial_wall_taper_share, 1.0],
            ),
            "ridge": self.ridge_share(x) * medial,
        }


# Share of each section's points per part, from the bottom centre round the medial side and back.
_PART_SHARES = (("flat", 0.11), ("corner", 0.09), ("upper", 0.30))


def section_rings(d: dict[str, np.ndarray], n_around: int) -> np.ndarray:
    """(s, n_around, 3 without x) section curves as (y, z) pairs, medial at +y: bottom centre → medial flat
    → medial feather corner → medial upper → top → lateral upper → lateral corner → lateral flat."""
    per_side = n_around // 2
    counts = [max(2, round(share * n_around)) for _, share in _PART_SHARES]
    counts[-1] = per_side - counts[0] - counts[1]
    ys, zs = [], []
    for side_sign, half in ((1.0, d["medial"]), (-1.0, d["lateral"])):
        b = (d["bottom_ratio_medial"] if side_sign > 0 else d["bottom_ratio"]) * half
        t_flat = (np.arange(counts[0]) / counts[0])[None, :]
        y_flat = b[:, None] * t_flat
        z_flat = np.repeat(d["bottom"][:, None], counts[0], axis=1)
        phi = (np.arange(counts[1]) / counts[1] * (np.pi / 2))[None, :]
        y_corner = b[:, None] + (half - b)[:, None] * np.sin(phi)
        z_corner = d["feather"][:, None] - (d["feather"] - d["bottom"])[:, None] * np.cos(phi)
        psi = (np.arange(counts[2]) / counts[2] * (np.pi / 2))[None, :]
        exponent = (2.0 / d["power"])[:, None]
        rise = np.sin(psi) ** exponent  # height fraction above the feather line
        # Shear the upper medially so its top point sits over the ridge (medial +, both halves alike).
        taper = d["taper_medial"] if side_sign > 0 else d["taper"]
        y_upper = half[:, None] * np.cos(psi) ** exponent * (1.0 - taper[:, None] * rise)
        y_upper += side_sign * d["ridge"][:, None] * rise
        z_upper = d["feather"][:, None] + (d["top"] - d["feather"])[:, None] * rise
        y_side = np.concatenate([y_flat, y_corner, y_upper], axis=1)
        z_side = np.concatenate([z_flat, z_corner, z_upper], axis=1)
        if side_sign > 0:
            ys.append(y_side)
            zs.append(z_side)
        else:  # the lateral side runs top → bottom, so the ring continues round
            ys.append(-y_side[:, ::-1])
            zs.append(z_side[:, ::-1])
    # The lateral half starts at the top point the medial half stops short of.
    lateral_y = np.concatenate([d["ridge"][:, None], ys[1][:, :-1]], axis=1)
    lateral_z = np.concatenate([d["top"][:, None], zs[1][:, :-1]], axis=1)
    y = np.concatenate([ys[0], lateral_y], axis=1) + d["centre"][:, None]
    z = np.concatenate([zs[0], lateral_z], axis=1)
    return np.stack([y, z], axis=-1)


def _ring_perimeters_mm(rings: np.ndarray) -> FloatArray:
    closed = np.concatenate([rings, rings[:, :1]], axis=1)
    perimeters: FloatArray = np.linalg.norm(np.diff(closed, axis=1), axis=-1).sum(axis=1)
    return perimeters


def _height_for_girth_mm(
    girth_mm: float, d: dict[str, np.ndarray], label: str, stretch: float = 1.0
) -> float:
    """The top height at which one station's section has this girth (sections grow with height);
    ``stretch`` lengthens the section across, for a girth taken on a plane oblique to the axis."""
    candidates = np.linspace(float(d["feather"][0]) + 2.0, 0.8 * girth_mm, 160)
    many = {k: np.repeat(v, len(candidates)) for k, v in d.items()}
    many["top"] = candidates
    rings = section_rings(many, 96)
    rings[..., 0] *= stretch
    perimeters = _ring_perimeters_mm(rings)
    if girth_mm <= perimeters[0] or girth_mm >= perimeters[-1]:
        raise LastError(
            f"{label} girth {girth_mm:.1f} mm is impossible for a section "
            f"{float(d['medial'][0] + d['lateral'][0]):.1f} mm wide "
            f"(possible {perimeters[0]:.0f}-{perimeters[-1]:.0f} mm)"
        )
    return float(np.interp(girth_mm, perimeters, candidates))


def _profiles(p: LastParameters, prop: LastProportions) -> _Profiles:
    L = p.stick_length_mm
    toe = TOE_GEOMETRY[p.toe_shape]
    x_b1 = p.ball_length_mm
    x_b5 = x_b1 - prop.lateral_ball_offset * L
    dx = x_b1 - x_b5
    # The centre line swings medially ahead of mid-length, so MTP1 and MTP5 sit on different centres.
    ramp = np.clip((np.array([x_b1, x_b5]) / L - 0.55) / 0.45, 0.0, 1.0)
    shift = (toe.tip_shift * 0.47 * p.ball_width_mm + p.inflare_mm) * ramp * ramp * (3.0 - 2.0 * ramp)
    across = float(np.sqrt(max(p.ball_width_mm**2 - dx**2, 1.0))) - float(shift[0] - shift[1])
    medial_ball = 0.47 * across  # the FIND foot: MTP1 44 mm, MTP5 48 mm from the axis
    lateral_ball = across - medial_ball
    heel_m = prop.medial_share_heel * p.heel_width_mm
    heel_l = p.heel_width_mm - heel_m
    # No width station between the instep and MTP5: they can lie close together, and a station there kinks.
    B = p.ball_length_mm
    stations = np.array(
        [
            0.0,
            prop.heel_station * B,
            prop.ankle_station * B,
            prop.instep_station * B,
            x_b5,
            x_b1,
            prop.toe_box_station * L,
            L,
        ]
    )
    medial = np.array(
        [
            heel_m,
            heel_m,
            heel_m,
            prop.instep_width[0] * medial_ball,
            0.985 * medial_ball,
            medial_ball,
            prop.toe_box_width[0] * medial_ball,
            prop.tip_width[0] * medial_ball,
        ]
    )
    lateral = np.array(
        [
            heel_l,
            heel_l,
            heel_l,
            prop.instep_width[1] * lateral_ball,
            lateral_ball,
            0.985 * lateral_ball,
            prop.toe_box_width[1] * lateral_ball,
            prop.tip_width[1] * lateral_ball,
        ]
    )
    medial_fn = PchipInterpolator(stations, medial)
    lateral_fn = PchipInterpolator(stations, lateral)
    tip_height = prop.tip_height * p.toe_box_height_mm
    # The heel girths: the long one runs over the ankle front, the short one round the rear's fullness.
    ankle_top, heel_point = _heel_controls(p)
    guess = _top_heights_mm(p, prop)
    top_stations = np.array(
        [
            0.0,
            prop.cone_front * B,
            prop.ankle_station * B,
            prop.instep_station * B,
            prop.waist_station * B,
            0.5 * (x_b1 + x_b5),
            prop.toe_box_station * L,
            L,
        ]
    )
    top = np.array(
        [
            p.cone_top_mm,
            p.cone_top_mm,
            ankle_top,
            guess[2],
            0.5 * (guess[2] + guess[3]),
            guess[3],
            p.toe_box_height_mm,
            0.9 * p.toe_box_height_mm,
        ]
    )
    draft = _Profiles(
        L,
        p.ball_length_mm,
        PchipInterpolator(top_stations, top),
        medial_fn,
        lateral_fn,
        toe.tip_shift * 0.47 * p.ball_width_mm + p.inflare_mm,
        heel_point,
        p.back_lean_mm if p.back_lean_mm is not None else prop.back_lean * L,
        tip_height,
        prop.taper_rear,
        prop,
        toe,
        p.feather_height_mm,
        p.bottom_width_ratio,
        PchipInterpolator(
            [0.0, prop.ankle_station * B, prop.instep_station * B, x_b1, prop.toe_box_station * L, L],
            [0.0, *prop.ridge_share, 0.0],
        ),
    )
    # Solve the top height at each girth station so its section has the named girth.
    ball_stretch = p.ball_width_mm / float(np.sqrt(max(p.ball_width_mm**2 - dx**2, 1.0)))
    for index, girth, label, stretch in (
        (3, p.instep_girth_mm, "instep", 1.0),
        (4, p.waist_girth_mm, "waist", 1.0),
        (5, p.ball_girth_mm, "ball", ball_stretch),
    ):
        d = draft.sections(np.array([top_stations[index]]))
        top[index] = _height_for_girth_mm(girth, d, label, stretch)
    if not top[2] > top[3]:
        top[2] = top[3] + 0.5 * (top[1] - top[3])
    return replace(draft, top=PchipInterpolator(top_stations, top))


def _heel_controls_mm(p: LastParameters) -> tuple[float, float]:
    """(top height at the ankle station, heel point height), mm, from the two heel girths, before the
    cone top bounds the ankle.

    The long heel tape runs over the ankle front, the short one from the heel point (the back curve's
    most backward point) to the instep: each girth mostly follows its own control. A linear model of
    their response, measured on a 272 mm last and scaled by length, is inverted here; the fit solver
    removes what it leaves (a few mm).
    """
    f = p.stick_length_mm / 272.0
    d_long = p.long_heel_girth_mm - 319.0 * f
    d_short = p.short_heel_girth_mm - 327.2 * f
    # d_long = da - 0.07 dh ;  d_short = 0.19 da - 0.85 dh
    dh = (d_short - 0.19 * d_long) / (0.19 * 0.07 - 0.85)
    da = d_long + 0.07 * dh
    L = p.stick_length_mm
    return max(100.0 * f + da, 0.2 * L), float(np.clip(24.5 * f + dh, 0.04 * L, 0.3 * L))


def _heel_controls(p: LastParameters) -> tuple[float, float]:
    """(top height at the ankle station, heel point height), mm: the ankle stays under the cone top."""
    ankle, heel_point = _heel_controls_mm(p)
    return min(ankle, p.cone_top_mm - 1.0), heel_point


def _section_x_mm(length_mm: float, sections: int) -> np.ndarray:
    """Section positions, denser at both ends where the last turns fastest (cosine spacing)."""
    t = np.arange(1, sections + 1) / (sections + 1)
    return 0.5 * length_mm * (1.0 - np.cos(np.pi * t))


def build_last(
    params: LastParameters, face_count: int = 50_000, proportions: LastProportions = DEFAULT_PROPORTIONS
) -> LastMesh:
    """The standing last as a closed, outward-facing triangle mesh of about ``face_count`` faces."""
    check_parameters(params, proportions)
    prof = _profiles(params, proportions)
    n_around = max(24, 2 * round(np.sqrt(face_count / 2.0) / 2.0))
    sections = max(12, round(face_count / (2 * n_around)))
    x = _section_x_mm(params.stick_length_mm, sections)
    d = prof.sections(x)
    rings = section_rings(d, n_around)
    grid = np.concatenate([np.repeat(x[:, None, None], n_around, axis=1), rings], axis=-1)
    heel_end = prof.sections(np.array([0.0]))
    toe_end = prof.sections(np.array([params.stick_length_mm]))
    heel_pole = np.array([0.0, 0.0, prof.heel_point])
    toe_pole = np.array([params.stick_length_mm, float(toe_end["centre"][0]), prof.tip_height])
    del heel_end
    vertices = np.concatenate([heel_pole[None], grid.reshape(-1, 3), toe_pole[None]])
    faces = _grid_faces(sections, n_around)
    side_flip = params.medial_sign
    vertices[:, 1] *= side_flip
    if side_flip < 0:
        faces = faces[:, ::-1]
    feather = feather_index(n_around)
    grid_v = vertices[1:-1].reshape(sections, n_around, 3)
    landmarks = _landmarks(params, prof, proportions, vertices)
    return LastMesh(
        vertices=vertices,
        faces=faces,
        params=params,
        landmarks=landmarks,
        grid_shape=(sections, n_around),
        section_x_mm=x,
        feather_medial=grid_v[:, feather].copy(),
        feather_lateral=grid_v[:, n_around - feather].copy(),
    )


def feather_index(n_around: int) -> int:
    """Index round a section of its medial feather point (the lateral one is ``n_around`` minus it): the
    bottom's edge, where the flat bottom turns into the side."""
    return max(2, round(_PART_SHARES[0][1] * n_around))


def _grid_faces(sections: int, n_around: int) -> np.ndarray:
    """Triangles of a tube of ``sections`` rings closed by a pole at each end (vertex 0 and the last)."""
    ring = np.arange(n_around)
    nxt = (ring + 1) % n_around
    base = 1 + np.arange(sections - 1)[:, None] * n_around
    a, b = base + ring, base + nxt
    c, e = a + n_around, b + n_around
    # Rings run bottom → medial (+y) → top → lateral: anticlockwise seen from the toe (+y is on the viewer's
    # right there), so (a, b, c) faces outward.
    quads = np.concatenate([np.stack([a, b, c], -1), np.stack([b, e, c], -1)], axis=1).reshape(-1, 3)
    first = np.stack([np.zeros(n_around, dtype=np.int64), 1 + nxt, 1 + ring], -1)
    tip = 1 + sections * n_around
    last = 1 + (sections - 1) * n_around
    end = np.stack([np.full(n_around, tip), last + ring, last + nxt], -1)
    return np.concatenate([first, quads, end]).astype(np.int64)


def _landmarks(p: LastParameters, prof: _Profiles, prop: LastProportions, vertices: np.ndarray) -> Landmarks:
    """The foot's landmarks on the last, where the parameters put them (the ball line is drawn on a last)."""
    L = p.stick_length_mm
    x_b1 = p.ball_length_mm
    x_b5 = x_b1 - prop.lateral_ball_offset * L
    ball = prof.sections(np.array([x_b1, x_b5]))
    s = p.medial_sign
    mtp1 = np.array([x_b1, s * (ball["centre"][0] + ball["medial"][0]), ball["feather"][0]])
    mtp5 = np.array([x_b5, s * (ball["centre"][1] - ball["lateral"][1]), ball["feather"][1]])
    x_i = prop.instep_station * p.ball_length_mm
    inst = prof.sections(np.array([x_i]))
    instep = np.array([x_i, s * inst["centre"][0], inst["top"][0]])
    arch = np.array([0.55 * p.ball_length_mm, 0.0, 0.0])  # a last's bottom has no arch: height 0
    return Landmarks(
        pternion=vertices[0].copy(),
        toe_tip=vertices[-1].copy(),
        mtp1=mtp1,
        mtp5=mtp5,
        instep=instep,
        arch=arch,
        sphyrion=None,
    )

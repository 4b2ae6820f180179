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

import base64
import binascii
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

import numpy as np
from scipy.interpolate import PchipInterpolator, RectBivariateSpline

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


class LastShapeError(LastParameterError):
    """A last's shape field that is not one: not the text ``LastShape.to_text`` writes, the wrong grid, or a
    displacement that is not a finite number of mm within :data:`MAX_SHAPE_MM`."""

    code = "invalid_last_shape"


# A shaped last moves at most this far from the last its named parameters build (mm): more is no last's shape.
MAX_SHAPE_MM = 60.0
SHAPE_GRID = (64, 64)  # rows along (heel pole to toe pole) x columns round the section
_SHAPE_TEXT_PREFIX = "shape-v1"
_SHAPE_STEP_MM = 0.01  # the text keeps the displacement to 0.01 mm (int16)


@dataclass(frozen=True, eq=False)
class LastShape:
    """How a custom last departs from the one its named parameters build: a smooth displacement of its surface
    (mm), in the *right* last's frame (x along, y toward medial, z up; a left last mirrors it with the mesh).

    ``displacement_mm[i, j]`` is the displacement at along-fraction ``i / (rows - 1)`` (0 the heel pole, 1 the toe
    pole; the sections' cosine spacing, :func:`along_fraction`) and around-fraction ``j / columns`` (0 the bottom
    centre, 0.5 the top, :func:`ring_around_fractions`). Any mesh of the last takes it by bicubic interpolation,
    so a last shaped once is the same shape at every face count, graded size and side.
    """

    displacement_mm: np.ndarray  # (rows, columns, 3)

    def __post_init__(self) -> None:
        field = np.array(self.displacement_mm, dtype=np.float64)
        if field.ndim != 3 or field.shape[2] != 3 or field.shape[0] < 4 or field.shape[1] < 8:
            raise LastShapeError(
                f"the last's shape is a {'x'.join(map(str, field.shape))} grid: rows (at least 4) x columns (at "
                "least 8) x 3 displacements are needed", field="shape",
            )  # fmt: skip
        if not np.isfinite(field).all() or np.abs(field).max() > MAX_SHAPE_MM:
            raise LastShapeError(
                f"the last's shape moves the surface {np.nanmax(np.abs(field)):.1f} mm or is not finite: at most "
                f"{MAX_SHAPE_MM:g} mm from the last its parameters build", field="shape",
            )  # fmt: skip
        # Kept to the 0.01 mm the parameters file carries: a shape read back is the shape written.
        field = np.round(field / _SHAPE_STEP_MM) * _SHAPE_STEP_MM
        field.flags.writeable = False
        object.__setattr__(self, "displacement_mm", field)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LastShape) and np.array_equal(self.displacement_mm, other.displacement_mm)

    def __hash__(self) -> int:
        return hash(self.displacement_mm.tobytes())

    @property
    def grid(self) -> tuple[int, int]:
        rows, columns, _ = self.displacement_mm.shape
        return rows, columns

    def scaled(self, factor: float) -> LastShape:
        """The shape of a last ``factor`` times this one's size (a graded size)."""
        return LastShape(self.displacement_mm * factor)

    def _splines(self) -> list[RectBivariateSpline]:
        rows, columns = self.grid
        along = np.linspace(0.0, 1.0, rows)
        pad = 3  # round the section the field is periodic: wrap a few columns on both sides
        around = (np.arange(-pad, columns + pad)) / columns
        wrapped = np.concatenate(
            [self.displacement_mm[:, -pad:], self.displacement_mm, self.displacement_mm[:, :pad]], axis=1
        )
        return [RectBivariateSpline(along, around, wrapped[..., k], kx=3, ky=3, s=0) for k in range(3)]

    def at_grid(self, along: np.ndarray, around: np.ndarray) -> FloatArray:
        """(a, c, 3) displacement, mm, at every pair of along-fractions (a,) and around-fractions (c,)."""
        along = np.clip(np.asarray(along, dtype=np.float64), 0.0, 1.0)
        around = np.asarray(around, dtype=np.float64) % 1.0
        order = np.argsort(around)  # the spline wants increasing points
        out = np.empty((len(along), len(around), 3))
        for k, spline in enumerate(self._splines()):
            out[:, order, k] = spline(along, around[order], grid=True)
        return out

    def at_points(self, along: np.ndarray, around: np.ndarray) -> FloatArray:
        """(k, 3) displacement, mm, at k points given by their along- and around-fractions (k,)."""
        along = np.clip(np.asarray(along, dtype=np.float64), 0.0, 1.0)
        around = np.asarray(around, dtype=np.float64) % 1.0
        return np.stack([spline(along, around, grid=False) for spline in self._splines()], axis=-1)

    def pole_mm(self, end: int) -> FloatArray:
        """(3,) displacement of the heel pole (``end`` 0) or the toe pole (-1): one point, its row's mean."""
        pole: FloatArray = self.displacement_mm[end].mean(axis=0)
        return pole

    def to_text(self) -> str:
        """The shape as it travels in ``last.params.json``: ``shape-v1:ROWS:COLUMNS:`` and the displacements in
        0.01 mm as little-endian int16, base64 (a 64 x 64 field is 33 kB)."""
        rows, columns = self.grid
        steps = np.round(self.displacement_mm / _SHAPE_STEP_MM).astype("<i2")
        return f"{_SHAPE_TEXT_PREFIX}:{rows}:{columns}:{base64.b64encode(steps.tobytes()).decode('ascii')}"

    @classmethod
    def from_text(cls, text: object) -> LastShape:
        """The shape from :meth:`to_text`'s text; ``LastShapeError`` for anything else."""
        if not isinstance(text, str) or len(text) > 1_000_000:
            raise LastShapeError(f"the last's shape is {_shown(text)}: the text a shaped last's parameters carry "
                                 "is needed", field="shape")  # fmt: skip
        try:
            prefix, rows_text, columns_text, data = text.split(":")
            rows, columns = int(rows_text), int(columns_text)
            if prefix != _SHAPE_TEXT_PREFIX or not (4 <= rows <= 512 and 8 <= columns <= 512):
                raise ValueError(prefix)
            raw = base64.b64decode(data.encode("ascii"), validate=True)
            steps = np.frombuffer(raw, dtype="<i2").reshape(rows, columns, 3)
        except (ValueError, TypeError, UnicodeEncodeError, binascii.Error):
            raise LastShapeError(f"the last's shape {_shown(text)} is not a shape field "
                                 f"({_SHAPE_TEXT_PREFIX}:rows:columns:base64)", field="shape") from None  # fmt: skip
        return cls(steps.astype(np.float64) * _SHAPE_STEP_MM)


def along_fraction(x_mm: np.ndarray, length_mm: float) -> FloatArray:
    """Along-fraction (0 heel pole, 1 toe pole) of positions x along a last of this stick length: the inverse of
    the sections' cosine spacing (:func:`_section_x_mm`)."""
    fraction: FloatArray = np.arccos(np.clip(1.0 - 2.0 * np.asarray(x_mm) / length_mm, -1.0, 1.0)) / np.pi
    return fraction


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
    shape: LastShape | None = None  # a custom last's departure from this parametric one (lasts.shaping)

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
        """As JSON (``last.params.json``); ``shape`` only for a shaped last, as :meth:`LastShape.to_text`."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "shape"}
        data["toe_shape"] = self.toe_shape.value
        if self.shape is not None:
            data["shape"] = self.shape.to_text()
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
        values = dict(data)
        if values.get("shape") is not None:
            values["shape"] = LastShape.from_text(values["shape"])  # LastShapeError names what is wrong
        try:
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
    check_numbers({f.name: getattr(p, f.name) for f in fields(p) if f.name in PARAMETER_RANGES})
    if p.shape is not None and not isinstance(p.shape, LastShape):
        raise LastShapeError(f"the last's shape is {_shown(p.shape)}, not a shape field", field="shape")
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
# Where each part starts round the section, as a fraction of the way round (the medial half is 0 to 0.5).
_PART_STARTS = (0.0, 0.11, 0.20, 0.50)


def ring_around_fractions(n_around: int) -> np.ndarray:
    """(n_around,) each ring point's place round the section, 0 to 1: bottom centre 0, medial feather 0.11, top 0.5,
    lateral feather 0.89. The same point of the section has the same fraction at every face count (each part's
    points are spread evenly over its share), so a field given on these fractions lands alike on every mesh."""
    per_side = n_around // 2
    counts = [max(2, round(share * n_around)) for _, share in _PART_SHARES]
    counts[-1] = per_side - counts[0] - counts[1]
    medial = np.concatenate(
        [start + (stop - start) * np.arange(count) / count
         for start, stop, count in zip(_PART_STARTS[:-1], _PART_STARTS[1:], counts, strict=True)]
    )  # fmt: skip
    # The lateral half runs from the top back down to the bottom, stopping short of the bottom centre.
    lateral = 1.0 - np.concatenate([[0.5], medial[:0:-1]])
    return np.concatenate([medial, lateral])


def section_points(d: dict[str, np.ndarray], around: np.ndarray) -> np.ndarray:
    """(s, n, 2) the (y, z) points of each section (descriptors ``d`` of s sections) at the fractions ``around``
    (n,) round it, medial at +y: bottom centre → medial flat → medial feather corner → medial upper → top →
    lateral upper → lateral corner → lateral flat."""
    u = np.asarray(around, dtype=np.float64)[None, :] % 1.0
    medial_half = u <= 0.5
    m = np.where(medial_half, u, 1.0 - u)  # the same place on the medial half
    sign = np.where(medial_half, 1.0, -1.0)

    def each(name_medial: str, name_lateral: str) -> np.ndarray:
        return np.where(medial_half, d[name_medial][:, None], d[name_lateral][:, None])

    half = each("medial", "lateral")
    b = each("bottom_ratio_medial", "bottom_ratio") * half
    taper = each("taper_medial", "taper")
    bottom, feather, top = d["bottom"][:, None], d["feather"][:, None], d["top"][:, None]
    exponent = (2.0 / d["power"])[:, None]
    ridge = d["ridge"][:, None]
    flat_t = np.clip(m / _PART_STARTS[1], 0.0, 1.0)
    phi = np.clip((m - _PART_STARTS[1]) / (_PART_STARTS[2] - _PART_STARTS[1]), 0.0, 1.0) * (np.pi / 2)
    psi = np.clip((m - _PART_STARTS[2]) / (_PART_STARTS[3] - _PART_STARTS[2]), 0.0, 1.0) * (np.pi / 2)
    rise = np.sin(psi) ** exponent  # height fraction above the feather line
    # The upper is sheared medially so its top point sits over the ridge (medial +, both halves alike).
    y_upper = sign * half * np.cos(psi) ** exponent * (1.0 - taper * rise) + ridge * rise
    y = np.where(
        m < _PART_STARTS[1],
        sign * b * flat_t,
        np.where(m < _PART_STARTS[2], sign * (b + (half - b) * np.sin(phi)), y_upper),
    )
    z = np.where(
        m < _PART_STARTS[1],
        bottom + 0.0 * flat_t,
        np.where(m < _PART_STARTS[2], feather - (feather - bottom) * np.cos(phi), feather + (top - feather) * rise),
    )
    return np.stack([y + d["centre"][:, None], z], axis=-1)


def section_rings(d: dict[str, np.ndarray], n_around: int) -> np.ndarray:
    """(s, n_around, 2) section curves as (y, z) pairs, medial at +y (:func:`section_points` at the ring's
    fractions, :func:`ring_around_fractions`)."""
    return section_points(d, ring_around_fractions(n_around))


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
    """The standing last as a closed, outward-facing triangle mesh of about ``face_count`` faces (shaped by
    ``params.shape`` when it has one: its landmarks and feather lines move with the surface)."""
    check_parameters(params, proportions)
    prof = _profiles(params, proportions)
    n_around = max(24, 2 * round(np.sqrt(face_count / 2.0) / 2.0))
    sections = max(12, round(face_count / (2 * n_around)))
    x = _section_x_mm(params.stick_length_mm, sections)
    d = prof.sections(x)
    rings = section_rings(d, n_around)
    grid = np.concatenate([np.repeat(x[:, None, None], n_around, axis=1), rings], axis=-1)
    toe_end = prof.sections(np.array([params.stick_length_mm]))
    heel_pole = np.array([0.0, 0.0, prof.heel_point])
    toe_pole = np.array([params.stick_length_mm, float(toe_end["centre"][0]), prof.tip_height])
    if params.shape is not None:
        # The shape is given in the right last's frame: applied before a left last is mirrored.
        grid += params.shape.at_grid(_section_along(sections), ring_around_fractions(n_around))
        heel_pole += params.shape.pole_mm(0)
        toe_pole += params.shape.pole_mm(-1)
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


def _section_along(sections: int) -> FloatArray:
    """Along-fractions of the sections (the poles are 0 and 1): :func:`_section_x_mm` before its cosine."""
    along: FloatArray = np.arange(1, sections + 1) / (sections + 1)
    return along


def parametric_surface(
    params: LastParameters,
    along: np.ndarray,
    around: np.ndarray,
    proportions: LastProportions = DEFAULT_PROPORTIONS,
) -> FloatArray:
    """(a, c, 3) points, mm, of the last its named parameters build (its shape left out), at every pair of
    along-fractions (a,) and around-fractions (c,), in the last's own frame (a left last mirrored): the surface a
    shape field is laid on. Along-fractions 0 and 1 are the heel and toe poles."""
    check_parameters(params, proportions)
    prof = _profiles(params, proportions)
    along = np.asarray(along, dtype=np.float64)
    x = 0.5 * params.stick_length_mm * (1.0 - np.cos(np.pi * along))
    rings = section_points(prof.sections(x), np.asarray(around, dtype=np.float64))
    points = np.concatenate([np.repeat(x[:, None, None], rings.shape[1], axis=1), rings], axis=-1)
    points[:, :, 1] *= params.medial_sign
    return points


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
    """The foot's landmarks on the last, where the parameters put them (the ball line is drawn on a last), moved
    with the surface on a shaped last."""
    L = p.stick_length_mm
    x_b1 = p.ball_length_mm
    x_b5 = x_b1 - prop.lateral_ball_offset * L
    ball = prof.sections(np.array([x_b1, x_b5]))
    mtp1 = np.array([x_b1, ball["centre"][0] + ball["medial"][0], ball["feather"][0]])
    mtp5 = np.array([x_b5, ball["centre"][1] - ball["lateral"][1], ball["feather"][1]])
    x_i = prop.instep_station * p.ball_length_mm
    inst = prof.sections(np.array([x_i]))
    instep = np.array([x_i, inst["centre"][0], inst["top"][0]])
    arch = np.array([0.55 * p.ball_length_mm, 0.0, 0.0])  # a last's bottom has no arch: height 0
    marks = np.stack([mtp1, mtp5, instep, arch])
    if p.shape is not None:
        # Each mark's place on the surface: the medial feather corner's top, the lateral one's, the top, the bottom.
        around = np.array([_PART_STARTS[2], 1.0 - _PART_STARTS[2], 0.5, 0.0])
        marks += p.shape.at_points(along_fraction(marks[:, 0], L), around)
    marks[:, 1] *= p.medial_sign
    return Landmarks(
        pternion=vertices[0].copy(),
        toe_tip=vertices[-1].copy(),
        mtp1=marks[0],
        mtp5=marks[1],
        instep=marks[2],
        arch=marks[3],
        sphyrion=None,
    )

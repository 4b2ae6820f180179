"""Foot (and last) measurements in mm, one definition each, on a surface in the measuring frame.

Girths are tape girths: the convex-hull perimeter of a plane section (a tape bridges hollows). Where a
definition says "smallest", the plane is searched and the tightest loop is kept. docs/measurements.md
explains and draws every one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from geometry.errors import InputError
from lasts.landmarks import Landmarks
from lasts.side import Side
from lasts.surface import FootSurface

_INVALID_MM = 1e6  # girth given to planes outside a definition's limits (finite, for the optimiser)


@dataclass(frozen=True)
class MeasureRules:
    """Documented, overridable choices (fractions of foot length L unless a unit is named)."""

    heel_width_region: float = 0.25  # rear part of the foot searched for the heel's greatest width
    heel_width_max_height: float = 0.12
    toe_region: float = 0.15  # front part of the foot searched for the toe height
    waist_steps: int = 24
    # Tilt of planes pivoting on the heel (degrees from the floor) searched for the long heel girth.
    long_heel_angles_deg: tuple[float, float] = (20.0, 80.0)
    # A girth plane must stay this far below the top of the scan (where the leg was cut), mm.
    cut_margin_mm: float = 3.0
    ankle_above_malleolus_mm: float = 15.0


DEFAULT_MEASURE_RULES = MeasureRules()


@dataclass(frozen=True)
class GirthLine:
    """Where a girth was taken: the plane (origin, normal) and the tape's path, all mm."""

    name: str
    origin: np.ndarray
    normal: np.ndarray
    ring: np.ndarray


class EstimateMethod(StrEnum):
    """How a value the scan does not give was completed (lasts/completion.py, docs/measurements.md)."""

    ANSUR_REGRESSION = "ansur_ii_regression"  # a linear regression on 6,068 people of ANSUR II
    TEMPLATE_RATIO = "find_template_ratio"  # the FIND template foot's proportion to a measured girth


class EstimateReason(StrEnum):
    """Why a value was estimated instead of measured."""

    NOT_IN_SCAN = "not_in_scan"  # the scan stops below it (or never reaches it)
    HOLE_IN_SCAN = "hole_in_scan"  # the tape would span a hole of the scan
    IMPLAUSIBLE = "implausible"  # measured out of human range on a partial scan
    NOT_TYPED = "not_typed"  # a foot made from typed measurements: the template's value, not the customer's


@dataclass(frozen=True)
class Estimate:
    """A measurement the scan does not give, completed by a model: its value and the half-width of its 95 %
    interval (mm), the model, and why it was needed. Never a measurement: records flag it as ``estimated``."""

    value_mm: float
    uncertainty_95_mm: float
    method: EstimateMethod
    reason: EstimateReason = EstimateReason.NOT_IN_SCAN

    def to_json(self) -> dict[str, float | str]:
        return {"value_mm": round(self.value_mm, 1), "uncertainty_95_mm": round(self.uncertainty_95_mm, 1),
                "method": self.method.value, "reason": self.reason.value}  # fmt: skip


@dataclass(frozen=True)
class FootMeasurements:
    """A surface's measurements (mm), None where the surface does not give one. ``estimated`` completes the
    Nones of a scanned foot (lasts/completion.py); a last's are all measured."""

    foot_length_mm: float
    ball_girth_mm: float
    ball_width_mm: float
    ball_length_mm: float
    instep_girth_mm: float | None
    waist_girth_mm: float | None
    long_heel_girth_mm: float | None
    short_heel_girth_mm: float | None
    heel_width_mm: float
    arch_height_mm: float
    toe_height_mm: float
    ankle_girth_mm: float | None
    girth_lines: list[GirthLine] = field(default_factory=list, compare=False, repr=False)
    estimated: Mapping[str, Estimate] = field(default_factory=dict, compare=False)
    # Said of a partial scan's values that are kept though out of human range (lasts/plausibility.py).
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def values(self) -> dict[str, float | None]:
        """The measured values by name (``MEASUREMENT_KEYS`` order), rounded to 0.01 mm; never the estimates."""
        raw = ((key, getattr(self, key)) for key in MEASUREMENT_KEYS)
        return {k: (None if v is None else round(float(v), 2)) for k, v in raw}

    def of_side(self, side: Side) -> Measurements:
        """These measurements as the record that leaves the measuring code (rounded to 0.01 mm)."""
        return Measurements(side, self.values(), self.estimated, self.warnings)


_NOT_MEASUREMENTS = frozenset({"girth_lines", "estimated", "warnings"})
# Every measurement's name, in the order records and sheets list them.
MEASUREMENT_KEYS: tuple[str, ...] = tuple(f.name for f in fields(FootMeasurements) if f.name not in _NOT_MEASUREMENTS)


class MeasurementsError(InputError):
    """Measurements that cannot be read: not an object, a value that is not a number of mm, no side."""

    code = "invalid_measurements"


@dataclass(frozen=True)
class Measurements:
    """A foot's measurements where they cross a boundary (a scan's record and database row, the API, the
    CLI's files): the foot's side and every measurement of ``MEASUREMENT_KEYS`` in mm, None where the scan
    did not reach it or the file did not give it. ``estimated`` completes some of those Nones with a model's
    value and uncertainty (never a measured one: a name is in one or the other); ``completed_mm`` is both, for
    what needs every value (a last's fit). ``warnings`` say what is doubtful about measured values (a partial
    scan's). Read and written by ``measurements_from_json`` and ``measurements_to_json`` only."""

    side: Side
    values_mm: Mapping[str, float | None]
    estimated: Mapping[str, Estimate] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted((set(self.values_mm) | set(self.estimated)) - set(MEASUREMENT_KEYS))
        if unknown:
            raise MeasurementsError(f"unknown measurement(s): {', '.join(unknown)}", keys=unknown)
        both = [key for key in self.estimated if self.values_mm.get(key) is not None]
        if both:
            raise MeasurementsError(f"{', '.join(both)}: both measured and estimated; a value is one or the other",
                                    keys=both)  # fmt: skip
        # Every name present (None where not measured), and read-only like the record around it.
        values = {key: self.values_mm.get(key) for key in MEASUREMENT_KEYS}
        estimated = {key: self.estimated[key] for key in MEASUREMENT_KEYS if key in self.estimated}
        object.__setattr__(self, "side", Side(self.side))
        object.__setattr__(self, "values_mm", MappingProxyType(values))
        object.__setattr__(self, "estimated", MappingProxyType(estimated))
        object.__setattr__(self, "warnings", tuple(self.warnings))

    @property
    def completed_mm(self) -> Mapping[str, float | None]:
        """Every value: measured where measured, else the estimate's value (``estimated`` says which)."""
        return MappingProxyType({
            key: value if value is not None or key not in self.estimated else round(self.estimated[key].value_mm, 1)
            for key, value in self.values_mm.items()
        })  # fmt: skip


def measurements_to_json(measurements: Measurements) -> dict[str, Any]:
    """The measurements as JSON, ``{"foot_length_mm": 262.1, ..., "ankle_girth_mm": null}`` (every name, in
    ``MEASUREMENT_KEYS`` order), then, only when there are some, ``"estimated": {"ankle_girth_mm": {"value_mm":
    231.4, "uncertainty_95_mm": 21.8, "method": "ansur_ii_regression", "reason": "not_in_scan"}}`` and
    ``"warnings": [...]``. The side travels beside them (the record's ``side`` key, the scan row's own column,
    the API's ``side`` field): ``measurements.side``."""
    written: dict[str, Any] = dict(measurements.values_mm)
    if measurements.estimated:
        written[ESTIMATED_KEY] = {key: e.to_json() for key, e in measurements.estimated.items()}
    if measurements.warnings:
        written[WARNINGS_KEY] = list(measurements.warnings)
    return written


ESTIMATED_KEY = "estimated"
WARNINGS_KEY = "warnings"


# No foot measures a metre, or nothing (a flat foot's arch may stand at 0): a value outside is a slip or an attack,
# refused where it is read.
MAX_MEASUREMENT_MM = 1000.0
_MAY_BE_ZERO = frozenset({"arch_height_mm"})


def measurements_from_json(data: object, side: object) -> Measurements:
    """The record from its JSON: an object holding the measurements by name (other keys, such as a scan
    record's ``landmarks`` or ``scan``, are not the measurements' and are passed over; a name it lacks is None),
    and the foot's side, ``"left"`` or ``"right"``. ``MeasurementsError`` names what is wrong: a value that is not
    a finite number of mm more than 0 and less than ``MAX_MEASUREMENT_MM``, among others."""
    if not isinstance(data, Mapping):
        raise MeasurementsError(f"the measurements are {type(data).__name__}, not an object of values in mm")
    if side is None:
        raise MeasurementsError("the measurements name no side: left or right")
    if side not in (Side.LEFT, Side.RIGHT):
        raise MeasurementsError(f"side {side!r}: left or right", side=str(side))
    values: dict[str, float | None] = {}
    for key in MEASUREMENT_KEYS:
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise MeasurementsError(f"{key} is {value!r}, not a number of mm", key=key)
        millimetres = None if value is None else _finite_or_inf(value)
        low_ok = millimetres is not None and (millimetres >= 0.0 if key in _MAY_BE_ZERO else millimetres > 0.0)
        if millimetres is not None and not (low_ok and millimetres < MAX_MEASUREMENT_MM):  # NaN fails this too
            allowed = f"{'at least' if key in _MAY_BE_ZERO else 'more than'} 0 and less than {MAX_MEASUREMENT_MM:g} mm"
            raise MeasurementsError(f"{key} is {str(value)[:40]}: a finite number {allowed} is needed", key=key,
                                    allowed=allowed)  # fmt: skip
        values[key] = millimetres
    return Measurements(Side(str(side)), values, _estimates_from_json(data.get(ESTIMATED_KEY)),
                        _warnings_from_json(data.get(WARNINGS_KEY)))  # fmt: skip


def _estimates_from_json(data: object) -> dict[str, Estimate]:
    """``measurements_to_json``'s ``estimated``; absent (a record from before estimates, a typed file): none."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise MeasurementsError(f"estimated is {type(data).__name__}, not an object of estimates by name")
    estimates: dict[str, Estimate] = {}
    for key, entry in data.items():
        if key not in MEASUREMENT_KEYS:
            raise MeasurementsError(f"estimated {str(key)[:40]!r}: no such measurement", key=str(key)[:40])
        if not isinstance(entry, Mapping):
            raise MeasurementsError(f"the estimate of {key} is not an object", key=key)
        value, uncertainty = _number(entry.get("value_mm")), _number(entry.get("uncertainty_95_mm"))
        if value is None or uncertainty is None:
            raise MeasurementsError(f"the estimate of {key} needs value_mm and uncertainty_95_mm in mm", key=key)
        if not (0.0 < value < MAX_MEASUREMENT_MM and 0.0 <= uncertainty < MAX_MEASUREMENT_MM):
            raise MeasurementsError(f"the estimate of {key} is {value!r} ± {uncertainty!r} mm: no foot's", key=key)
        try:
            method = EstimateMethod(str(entry.get("method")))
            reason = EstimateReason(str(entry.get("reason", EstimateReason.NOT_IN_SCAN.value)))
        except ValueError:
            raise MeasurementsError(f"the estimate of {key} names an unknown method or reason", key=key) from None
        estimates[key] = Estimate(value, uncertainty, method, reason)
    return estimates


def _number(value: object) -> float | None:
    """A JSON number as a float (inf past the float range); None for anything else, booleans included."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return _finite_or_inf(value)


def _warnings_from_json(data: object) -> tuple[str, ...]:
    if data is None:
        return ()
    if not isinstance(data, list) or not all(isinstance(w, str) for w in data):
        raise MeasurementsError("warnings is not a list of sentences")
    return tuple(w[:500] for w in data[:50])


def _finite_or_inf(value: float) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer past the float range
        return float("inf")


def scan_top_mm(surface: FootSurface, landmarks: Landmarks) -> float:
    """Height (mm) up to which the surface's horizontal sections are whole: below the leg's cap (faces that
    face up, above the sphyrion or else 0.35 L) or the scan's rim. No girth is taken above it."""
    length = float(landmarks.toe_tip[0] - landmarks.pternion[0])
    cap_floor = landmarks.sphyrion[2] if landmarks.sphyrion is not None else 0.35 * length
    return surface.complete_height_mm(cap_min_height_mm=float(cap_floor))


def _plane_through_line(pivot: np.ndarray, tilt_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """The plane containing the transverse line (along y) through ``pivot``, rising forward at ``tilt_deg``."""
    tilt = np.radians(tilt_deg)
    return pivot, np.array([-np.sin(tilt), 0.0, np.cos(tilt)])


def _tightest(
    surface: FootSurface,
    pivot: np.ndarray,
    angles_deg: tuple[float, float],
    valid: Callable[[np.ndarray], bool],
    top_mm: float,
    top_is_cut: bool = True,
) -> tuple[float, float] | None:
    """Smallest girth over planes through ``pivot`` tilted within ``angles_deg`` whose section is ``valid``
    and stays below ``top_mm``; (girth, angle), or None when there is none, or when the girth still falls
    towards planes that pass above ``top_mm``: the smallest lies above where the scan stops (a scan cut
    low), and the tightest plane below it is not the girth's."""

    def section(angle: float) -> np.ndarray:
        return surface.section_points(*_plane_through_line(pivot, angle))

    def girth_at(angle: float) -> float:
        points = section(angle)
        if len(points) < 3 or not valid(points) or points[:, 2].max() >= top_mm:
            return _INVALID_MM
        return surface.girth_mm(*_plane_through_line(pivot, angle), points)

    coarse = np.linspace(angles_deg[0], angles_deg[1], 13)
    values = np.array([girth_at(a) for a in coarse])
    if (values >= _INVALID_MM).all():
        return None
    best = int(np.argmin(values))
    inside = 0 < best < len(coarse) - 1
    if top_is_cut and inside and values[best + 1] >= _INVALID_MM and values[best - 1] > values[best]:
        above = section(float(coarse[best + 1]))
        if len(above) >= 3 and above[:, 2].max() >= top_mm:
            return None
    step = coarse[1] - coarse[0]
    low, high = max(angles_deg[0], coarse[best] - step), min(angles_deg[1], coarse[best] + step)
    result = minimize_scalar(girth_at, bounds=(low, high), method="bounded", options={"xatol": 0.1})
    if result.fun < _INVALID_MM and result.fun <= values[best]:
        return float(result.fun), float(result.x)
    return float(values[best]), float(coarse[best])


def measure_foot(
    surface: FootSurface,
    landmarks: Landmarks,
    rules: MeasureRules = DEFAULT_MEASURE_RULES,
    top_mm: float | None = None,
) -> FootMeasurements:
    """Every measurement of a foot or a last. ``top_mm``: where the surface's top is known (a last's cone
    top); otherwise it is found (the leg's cut, a cap or the scan's rim)."""
    v = surface.vertices
    x, _, z = v.T
    length = float(landmarks.toe_tip[0] - landmarks.pternion[0])
    # Sections must stay below the top.
    top = top_mm if top_mm is not None else scan_top_mm(surface, landmarks)
    lines: list[GirthLine] = []

    def girth(name: str, origin: np.ndarray, normal: np.ndarray) -> float:
        lines.append(GirthLine(name, origin, normal, surface.girth_ring(origin, normal)))
        return surface.girth_mm(origin, normal)

    # Ball: vertical plane through MTP1 and MTP5.
    mtp_line = landmarks.mtp5 - landmarks.mtp1
    ball_normal = np.cross(mtp_line, [0.0, 0.0, 1.0])
    ball_normal /= np.linalg.norm(ball_normal)
    ball_girth = girth("ball", landmarks.mtp1, ball_normal)
    ball_width = float(np.linalg.norm(mtp_line[:2]))
    ball_length = float(landmarks.mtp1[0] - landmarks.pternion[0])

    below_cut = top - rules.cut_margin_mm
    x_axis = np.array([1.0, 0.0, 0.0])

    def transverse(x_mm: float) -> tuple[np.ndarray, float | None]:
        """The section across the foot at ``x_mm`` and its girth; None where it reaches the scan's top (the tape
        would lie on a cut scan's cap, not on the foot)."""
        points = surface.section_points(np.array([x_mm, 0.0, 0.0]), x_axis)
        if len(points) < 3 or points[:, 2].max() >= below_cut:
            return points, None
        return points, surface.girth_mm(np.array([x_mm, 0.0, 0.0]), x_axis, points)

    instep_girth = None
    if transverse(float(landmarks.instep[0]))[1] is not None:
        instep_girth = girth("instep", landmarks.instep, x_axis)

    # Waist: the smallest transverse girth between the instep and the ball (of the sections below the top).
    ball_x = min(landmarks.mtp1[0], landmarks.mtp5[0])
    waist_xs = np.linspace(landmarks.instep[0], ball_x, rules.waist_steps)
    waist_values = np.array([transverse(float(wx))[1] or np.inf for wx in waist_xs])
    waist_girth = None
    if np.isfinite(waist_values).any():
        waist_x = float(waist_xs[int(np.argmin(waist_values))])
        waist_girth = girth("waist", np.array([waist_x, 0.0, 0.0]), x_axis)

    # Long heel: planes pivoting on the heel's back-bottom corner, over the front of the ankle.
    heel_corner = np.array([landmarks.pternion[0], 0.0, 0.0])
    long_heel = _tightest(
        surface,
        heel_corner,
        rules.long_heel_angles_deg,
        lambda p: bool(p[:, 0].max() > heel_corner[0] + 0.2 * length),
        below_cut,
        top_is_cut=top_mm is None,
    )
    long_heel_girth = None
    if long_heel is not None:
        long_heel_girth = girth("long_heel", *_plane_through_line(heel_corner, long_heel[1]))

    # Short heel: the plane through the pternion and the instep point, both on transverse lines.
    rise = landmarks.instep - landmarks.pternion
    short_heel_girth = None
    if landmarks.instep[2] < below_cut:
        tilt_deg = float(np.degrees(np.arctan2(rise[2], rise[0])))
        pivot = np.array([landmarks.pternion[0], 0.0, landmarks.pternion[2]])
        short_heel_girth = girth("short_heel", *_plane_through_line(pivot, tilt_deg))

    heel_width = _greatest_width(v, length, rules)

    toe = x >= landmarks.toe_tip[0] - rules.toe_region * length
    toe_height = float(z[toe].max())
    arch_height = float(landmarks.arch[2])

    ankle_girth = None
    if landmarks.sphyrion is not None:
        low = landmarks.sphyrion[2] + rules.ankle_above_malleolus_mm
        if below_cut - low >= 5.0:
            heights = np.linspace(low, below_cut, 12)
            up = np.array([0.0, 0.0, 1.0])
            values = [surface.girth_mm(np.array([0.0, 0.0, h]), up) for h in heights]
            narrowest = int(np.argmin(values))
            # Still narrowing at the top: the scan stops below the leg's narrowest part, so no ankle girth.
            if narrowest < len(heights) - 1:
                ankle_girth = girth("ankle", np.array([0.0, 0.0, float(heights[narrowest])]), up)

    return FootMeasurements(
        foot_length_mm=length,
        ball_girth_mm=ball_girth,
        ball_width_mm=ball_width,
        ball_length_mm=ball_length,
        instep_girth_mm=instep_girth,
        waist_girth_mm=waist_girth,
        long_heel_girth_mm=long_heel_girth,
        short_heel_girth_mm=short_heel_girth,
        heel_width_mm=heel_width,
        arch_height_mm=arch_height,
        toe_height_mm=toe_height,
        ankle_girth_mm=ankle_girth,
        girth_lines=lines,
    )


def _greatest_width(v: np.ndarray, length: float, rules: MeasureRules) -> float:
    """Heel width: the greatest across-the-axis width of the rear of the foot, in 2 mm slices, below a height."""
    x, y, z = v.T
    rear = (x <= rules.heel_width_region * length) & (z <= rules.heel_width_max_height * length)
    slices = np.floor(x[rear] / 2.0).astype(np.int64)
    slices -= slices.min()
    count = slices.max() + 1
    high = np.full(count, -np.inf)
    low = np.full(count, np.inf)
    np.maximum.at(high, slices, y[rear])
    np.minimum.at(low, slices, y[rear])
    return float(np.max(high - low))

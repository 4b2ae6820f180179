"""From a measured foot to a last: fit rules give the targets, a solver finds the shape that meets them.

Targets are foot measurements plus allowances (:class:`FitRules`: by style, toe shape and fit
preference; defaults and their sources in docs/lasts.md). The solver changes the last's named girth
and width parameters until the last, *measured with the foot's own definitions* (:func:`measure_last`),
hits every target: Broyden's method (one build and one measurement per step, the Jacobian updated from
what each step did), started from identity because each parameter mainly moves its own measurement.
It solves on a coarse mesh, then polishes on the final one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from lasts.errors import LastError
from lasts.measurements import FootMeasurements, measure_foot
from lasts.model import DEFAULT_PROPORTIONS, LastMesh, LastParameters, LastProportions, ToeShape, build_last
from lasts.plausibility import plausible_shares
from lasts.side import Side
from lasts.surface import FootSurface
from lasts.units import DEFAULT_UNIT_RANGES


class FitPreference(StrEnum):
    """How the customer likes the shoe to fit: each moves the toe allowance and every girth (``FitRules``)."""

    SNUG = "snug"
    REGULAR = "regular"
    ROOMY = "roomy"


# Measurement keys the solver drives, each with the parameter that mainly moves it.
SOLVED: tuple[tuple[str, str], ...] = (
    ("ball_girth_mm", "ball_girth_mm"),
    ("waist_girth_mm", "waist_girth_mm"),
    ("instep_girth_mm", "instep_girth_mm"),
    ("long_heel_girth_mm", "long_heel_girth_mm"),
    ("short_heel_girth_mm", "short_heel_girth_mm"),
    ("heel_width_mm", "heel_width_mm"),
    ("toe_height_mm", "toe_box_height_mm"),
)
# Set exactly by a parameter: no solving.
DIRECT: tuple[tuple[str, str], ...] = (
    ("foot_length_mm", "stick_length_mm"),
    ("ball_length_mm", "ball_length_mm"),
    ("ball_width_mm", "ball_width_mm"),
)
TARGET_KEYS: tuple[str, ...] = tuple(k for k, _ in DIRECT + SOLVED)


@dataclass(frozen=True)
class StyleAllowances:
    """Allowances of one style (mm; girth allowances are added to the foot's girth, negative = tighter)."""

    toe_allowance_mm: float
    ball_girth_ease_mm: float = 0.0
    waist_girth_ease_mm: float = -12.7
    instep_girth_ease_mm: float = -12.7
    long_heel_girth_ease_mm: float = -6.0
    short_heel_girth_ease_mm: float = -12.7
    heel_width_ease_mm: float = -2.0
    toe_box_clearance_mm: float = 0.0
    heel_height_mm: float = 25.0
    toe_spring_mm: float = 20.0  # domain.md: about 20 mm by default, more for stiffer soles
    toe_shape: ToeShape = ToeShape.ROUND


@dataclass(frozen=True)
class FitRules:
    """Targets = foot + allowances. Defaults from ../shared/docs/domain.md (sources in docs/lasts.md):

    - toe allowance 15 mm common default (16.5 women's to 20 mm men's plain lasts); pointed toes need more;
    - a fitting last keeps the ball girth at foot measure and takes waist, instep and heel about two
      widths (1/2 inch = 12.7 mm) narrower; slip-ons keep more at the instep and long heel, where the
      foot must get in;
    - sock allowance 4-6 mm (5 mm), added to every girth;
    - fit preference moves every girth and the toe allowance by a documented step.
    """

    styles: dict[str, StyleAllowances] = field(
        default_factory=lambda: {
            "oxford": StyleAllowances(toe_allowance_mm=16.0, toe_shape=ToeShape.ALMOND),
            "derby": StyleAllowances(toe_allowance_mm=16.0),
            "penny_loafer": StyleAllowances(
                toe_allowance_mm=15.0,
                ball_girth_ease_mm=-2.0,
                instep_girth_ease_mm=-6.0,
                long_heel_girth_ease_mm=0.0,
                heel_height_mm=22.0,
            ),
            "low_top_sneaker": StyleAllowances(
                toe_allowance_mm=13.0,
                ball_girth_ease_mm=2.0,
                heel_height_mm=12.0,
                toe_spring_mm=10.0,
                toe_box_clearance_mm=2.0,
            ),
            "chelsea_boot": StyleAllowances(
                toe_allowance_mm=16.0,
                instep_girth_ease_mm=-6.0,
                long_heel_girth_ease_mm=0.0,
                heel_height_mm=30.0,
            ),
        }
    )
    # Extra toe allowance by toe shape: a pointed toe has no room where the toes are.
    toe_shape_allowance_mm: dict[ToeShape, float] = field(
        default_factory=lambda: {ToeShape.ROUND: 0.0, ToeShape.ALMOND: 2.0, ToeShape.SQUARE: 0.0, ToeShape.POINTED: 6.0}
    )
    # Fit preference: (toe allowance change, girth change) in mm.
    preference_mm: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {"snug": (-2.0, -3.0), "regular": (0.0, 0.0), "roomy": (3.0, 4.0)}
    )
    sock_allowance_mm: float = 5.0


DEFAULT_FIT_RULES = FitRules()


@dataclass(frozen=True)
class FitTargets:
    """What the last must measure, and how each number was made (for the report)."""

    values: dict[str, float]
    allowances: dict[str, float]
    style: str
    fit: FitPreference
    toe_shape: ToeShape
    heel_height_mm: float
    toe_spring_mm: float
    notes: tuple[str, ...] = ()


# A last's short heel girth (heel point to instep) stays under its long one (heel to ankle front): the
# two planes share the heel and the long one reaches higher up the cone.
MIN_HEEL_GIRTH_GAP_MM = 2.0


def fit_targets(
    foot: dict[str, float | None],
    style: str = "derby",
    fit: FitPreference = FitPreference.REGULAR,
    toe_shape: ToeShape | None = None,
    rules: FitRules = DEFAULT_FIT_RULES,
) -> FitTargets:
    """Targets for a last from a foot's measurements (keys as ``cspms scan measure`` prints them)."""
    if style not in rules.styles:
        raise LastError(f"unknown style {style!r}: known styles are {', '.join(sorted(rules.styles))}")
    if fit not in rules.preference_mm:
        raise LastError(f"unknown fit {fit!r}: snug, regular or roomy")
    checked = _checked_foot(foot)
    allow = rules.styles[style]
    shape = toe_shape or allow.toe_shape
    toe_change, girth_change = rules.preference_mm[fit]
    sock = rules.sock_allowance_mm
    allowances = {
        "foot_length_mm": allow.toe_allowance_mm + rules.toe_shape_allowance_mm[shape] + toe_change,
        "ball_length_mm": 0.0,
        "ball_width_mm": 0.0,
        "ball_girth_mm": allow.ball_girth_ease_mm + sock + girth_change,
        "waist_girth_mm": allow.waist_girth_ease_mm + sock + girth_change,
        "instep_girth_mm": allow.instep_girth_ease_mm + sock + girth_change,
        "long_heel_girth_mm": allow.long_heel_girth_ease_mm + sock + girth_change,
        "short_heel_girth_mm": allow.short_heel_girth_ease_mm + sock + girth_change,
        "heel_width_mm": allow.heel_width_ease_mm,
        "toe_height_mm": allow.toe_box_clearance_mm,
    }
    for key, value in allowances.items():
        if key.endswith("girth_mm") and value < -25.0:
            raise LastError(
                f"{key.removesuffix('_mm')} allowance {value:.1f} mm takes more than 25 mm off the "
                "foot: no foot goes into that last"
            )
    if allowances["foot_length_mm"] < 0:
        raise LastError(
            f"toe allowance {allowances['foot_length_mm']:.1f} mm is negative: the last would be shorter than the foot"
        )
    values = {key: checked[key] + allowances[key] for key in TARGET_KEYS}
    notes = []
    ceiling = values["long_heel_girth_mm"] - MIN_HEEL_GIRTH_GAP_MM
    if values["short_heel_girth_mm"] > ceiling:
        notes.append(
            f"short heel girth target {values['short_heel_girth_mm']:.1f} mm lowered to {ceiling:.1f} mm: a last's "
            f"short heel girth stays {MIN_HEEL_GIRTH_GAP_MM:.0f} mm under its long heel girth "
            f"({values['long_heel_girth_mm']:.1f} mm)"
        )
        allowances["short_heel_girth_mm"] += ceiling - values["short_heel_girth_mm"]
        values["short_heel_girth_mm"] = ceiling
    return FitTargets(
        values,
        allowances,
        style,
        FitPreference(fit),
        shape,
        allow.heel_height_mm,
        allow.toe_spring_mm,
        tuple(notes),
    )


def _checked_foot(foot: dict[str, float | None]) -> dict[str, float]:
    """The foot's values the targets are made of; a foot outside human ranges, or with a missing
    measurement, is refused by name."""
    low, high = DEFAULT_UNIT_RANGES.possible_mm
    checked: dict[str, float] = {}
    for key in TARGET_KEYS:
        value = foot.get(key)
        if value is None:
            raise LastError(
                f"the foot has no {key.removesuffix('_mm').replace('_', ' ')}: a last needs it "
                "(rescan with the heel and ankle front in view, or give it in the measurements file)"
            )
        if not np.isfinite(value) or value <= 0:
            raise LastError(f"{key} is {value}: not a positive number")
        checked[key] = float(value)
    length = checked["foot_length_mm"]
    if not low <= length <= high:
        raise LastError(f"foot length {length:.1f} mm is outside human feet ({low:.0f}-{high:.0f} mm)")
    # The one table of human shares of the foot length (ANSUR II and FIND; the scan's plausibility check reads it).
    ratios = {key: (share.low, share.high) for key, share in plausible_shares().items() if key in checked}
    for key, (lo, hi) in ratios.items():
        ratio = checked[key] / length
        if not lo <= ratio <= hi:
            raise LastError(
                f"{key.removesuffix('_mm').replace('_', ' ')} {checked[key]:.1f} mm is "
                f"{ratio:.2f} of the foot length {length:.1f} mm; human feet have {lo:.2f}-{hi:.2f}"
            )
    if checked["ball_girth_mm"] <= 2.0 * checked["ball_width_mm"]:
        raise LastError(
            f"ball girth {checked['ball_girth_mm']:.1f} mm is not more than twice the ball width "
            f"{checked['ball_width_mm']:.1f} mm: impossible for any foot"
        )
    return checked


def measure_last(last: LastMesh) -> FootMeasurements:
    """The last measured with the foot's definitions (lasts/measurements.py), up to its cone top."""
    return measure_foot(FootSurface(last.vertices, last.faces), last.landmarks, top_mm=last.top_mm)


@dataclass(frozen=True)
class LastFit:
    last: LastMesh
    targets: dict[str, float]
    achieved: dict[str, float]
    iterations: int
    seconds: float
    # Targets shown but not driven (a shaped last's widths follow its rule map): left out of ``max_error_mm``.
    free_keys: tuple[str, ...] = ()

    @property
    def errors_mm(self) -> dict[str, float]:
        return {k: self.achieved[k] - v for k, v in self.targets.items()}

    @property
    def max_error_mm(self) -> float:
        return max(abs(e) for k, e in self.errors_mm.items() if k not in self.free_keys)


def _measured(last: LastMesh, keys: list[str]) -> np.ndarray:
    values = measure_last(last).values()
    out = []
    for key in keys:
        value = values[key]
        if value is None:  # the heel girth's plane left the cone: a last that cannot carry this target
            raise LastError(
                f"the last's {key.removesuffix('_mm').replace('_', ' ')} cannot be measured: the "
                "target asks for an ankle higher than the last's cone"
            )
        out.append(value)
    return np.array(out)


def solve_last(
    targets: dict[str, float],
    base: LastParameters,
    face_count: int = 50_000,
    solve_face_count: int = 12_000,
    tolerance_mm: float = 0.05,
    max_steps: int = 40,
    proportions: LastProportions = DEFAULT_PROPORTIONS,
) -> LastFit:
    """Parameters whose built last measures ``targets`` (keys of :data:`TARGET_KEYS`)."""
    start = time.perf_counter()
    direct = {param: targets[key] for key, param in DIRECT}
    params = base.with_values(**direct)
    if params.shape is not None:
        # A shaped last's landmarks move with its shape: set each direct parameter off by what the shape adds.
        measured = measure_last(build_last(params, solve_face_count, proportions)).values()
        params = params.with_values(**{param: direct[param] + targets[key] - float(measured[key] or targets[key])
                                       for key, param in DIRECT})  # fmt: skip
    keys = [k for k, _ in SOLVED]
    names = [p for _, p in SOLVED]
    goal = np.array([targets[k] for k in keys])
    u = goal.copy()  # first guess: each parameter at its own target
    jacobian = np.eye(len(keys))
    steps = 0
    coupled = [names.index("long_heel_girth_mm"), names.index("short_heel_girth_mm")]

    def residual(values: np.ndarray, faces: int) -> tuple[np.ndarray, LastMesh]:
        trial = params.with_values(**dict(zip(names, (float(v) for v in values), strict=True)))
        last = build_last(trial, faces, proportions)
        return _measured(last, keys) - goal, last

    def finite_difference_columns(columns: list[int], r: np.ndarray, faces: int) -> int:
        for column in columns:
            probe = u.copy()
            probe[column] += 4.0
            jacobian[:, column] = (residual(probe, faces)[0] - r) / 4.0
        return len(columns)

    # The coarse mesh's girths carry about 0.1 mm of facet noise: get near there, then polish on the fine one.
    for faces, tol in ((solve_face_count, max(0.2, tolerance_mm)), (face_count, tolerance_mm)):
        phase_end = steps + max_steps // 2
        r, last = residual(u, faces)
        if faces == solve_face_count:
            # The two heel girths move each other: measure their columns once instead of assuming identity.
            steps += finite_difference_columns(coupled, r, faces)
        best = (float(np.abs(r).max()), u, r, last)
        stalled = refreshed = 0
        while best[0] > tol and steps < phase_end:
            step = -np.linalg.solve(jacobian, r)
            # Keep a step physical: no girth moves more than 30 mm at once.
            step *= min(1.0, 30.0 / max(np.abs(step).max(), 1e-9))
            try:
                r_new, last_new = residual(u + step, faces)
            except LastError:
                step *= 0.5  # the step left the buildable shapes: go half as far and learn nothing
                steps += 1
                continue
            steps += 1
            jacobian += np.outer(r_new - r - jacobian @ step, step) / float(step @ step)
            u, r, last = u + step, r_new, last_new
            if float(np.abs(r).max()) < best[0]:
                best, stalled = (float(np.abs(r).max()), u, r, last), 0
            else:
                stalled += 1
            if stalled >= 2:
                # On the fine mesh a measured slope costs too much; on the coarse one it is tried once.
                if faces != solve_face_count or refreshed >= 1:
                    break  # the target is out of this last's reach (or within the facet noise)
                # Broyden's secant updates have lost the slope (the tightest-plane girths are not smooth):
                # measure the whole Jacobian at the best point and go on from there.
                _, u, r, last = best
                steps += finite_difference_columns(list(range(len(keys))), r, faces)
                stalled, refreshed = 0, refreshed + 1
        _, u, r, last = best
    achieved = {k: float(v) for k, v in measure_last(last).values().items() if k in targets and v is not None}
    return LastFit(last, dict(targets), achieved, steps, time.perf_counter() - start)


def base_parameters(fit_targets_: FitTargets, side: Side) -> LastParameters:
    """Starting parameters for a fit: the targets, the style's heel height, toe spring and toe shape."""
    v = fit_targets_.values
    return LastParameters(
        stick_length_mm=v["foot_length_mm"],
        ball_length_mm=v["ball_length_mm"],
        ball_girth_mm=v["ball_girth_mm"],
        ball_width_mm=v["ball_width_mm"],
        waist_girth_mm=v["waist_girth_mm"],
        instep_girth_mm=v["instep_girth_mm"],
        long_heel_girth_mm=v["long_heel_girth_mm"],
        short_heel_girth_mm=v["short_heel_girth_mm"],
        heel_width_mm=v["heel_width_mm"],
        toe_box_height_mm=v["toe_height_mm"],
        heel_height_mm=fit_targets_.heel_height_mm,
        toe_spring_mm=fit_targets_.toe_spring_mm,
        toe_shape=fit_targets_.toe_shape,
        side=Side(side),
    )


def fit_last(
    foot: dict[str, float | None],
    side: Side,
    style: str = "derby",
    fit: FitPreference = FitPreference.REGULAR,
    toe_shape: ToeShape | None = None,
    rules: FitRules = DEFAULT_FIT_RULES,
    face_count: int = 50_000,
) -> tuple[FitTargets, LastFit]:
    """The whole fit: targets from the foot and the rules, then the solved last."""
    targets = fit_targets(foot, style, fit, toe_shape, rules)
    return targets, solve_last(targets.values, base_parameters(targets, side), face_count)

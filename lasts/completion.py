"""Measure what is in the scan, estimate what is not.

Customers' scans are cut 60-120 mm above the floor, or have holes: the long heel girth, the ankle, sometimes
the top of the instep are not in them. A girth whose tape would rest on the scan's cut (within
``cut_margin_mm`` + ``top_reach_mm`` of the top), or span a hole wider than ``hole_gap_mm``, is not the
foot's: it is dropped, and every such value, and every one the scan never reached, is estimated:

- long heel and ankle girth: the ANSUR II regressions on the five measures every scan gives (foot length,
  ball girth, ball width, heel width, ball length), their cross-validated p95 error as the 95 % uncertainty;
- instep, waist and short heel girth (ANSUR has none): the FIND template's proportion to the ball girth
  (to the long heel girth for the short heel), with the p95 error such a one-foot proportion makes on a girth
  ANSUR has (about 7 %), combined with the uncertainty of an estimated base.

Each estimate is flagged with its uncertainty (mm, 95 %), method and reason (``lasts.measurements.Estimate``);
the values stay None among the measured ones. Figures in docs/measurements.md ("Estimated values").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
from scipy.spatial import cKDTree

from geometry.sections import mesh_plane_section
from lasts.errors import IncompleteFootError
from lasts.foot_population import PREDICTORS, RATIO_OF, REGRESSED, FootPopulation, foot_population
from lasts.landmarks import Landmarks
from lasts.measurements import (
    DEFAULT_MEASURE_RULES,
    Estimate,
    EstimateMethod,
    EstimateReason,
    FootMeasurements,
    GirthLine,
    MeasureRules,
    scan_top_mm,
)
from lasts.plausibility import check_plausible, implausible_values, measurement_words
from lasts.surface import FootSurface

# What may be estimated, in the order it is (the short heel girth leans on the long one).
ESTIMABLE: tuple[str, ...] = (
    "long_heel_girth_mm", "ankle_girth_mm", "instep_girth_mm", "waist_girth_mm", "short_heel_girth_mm",
)  # fmt: skip
# Without these no estimate can be made, and no last fitted: a scan that cuts them is refused.
_NEEDED_GIRTHS = frozenset({"ball_girth_mm"})


@dataclass(frozen=True)
class CompletionRules:
    """Documented, overridable choices (mm)."""

    # A tape this close above the highest valid plane (``cut_margin_mm`` under the scan's top) rests on the cut.
    top_reach_mm: float = 2.0
    # A tape spanning a hole wider than this may miss the girth by more than an estimate would (a 40 mm chord
    # across a convex side of 30 mm radius is 3 mm short of the arc, a 60 mm one 10 mm).
    hole_gap_mm: float = 40.0


DEFAULT_COMPLETION_RULES = CompletionRules()


def girth_key(line: GirthLine) -> str:
    return f"{line.name}_girth_mm"


def hole_gap_mm(surface: FootSurface, origin: np.ndarray, normal: np.ndarray) -> float:
    """Widest gap (mm) the plane's section has where the surface is missing: the section of the scanned
    surface (a cloud's bridged surface counts as missing) is cut into open chains at the holes' rims; each
    open end is paired with the nearest other one. 0.0 for a closed section."""
    faces = surface.faces
    if surface.scanned_mask is not None:
        faces = faces[surface.scanned_mask[faces].all(axis=1)]
    segments = mesh_plane_section(surface.vertices, faces, origin, normal)
    if len(segments) < 2:
        return 0.0
    points = segments.reshape(-1, 3)
    # An end point shared by two segments is inside a chain; one alone ends a chain at a hole's rim.
    neighbours = cKDTree(points).query_ball_point(points, r=1e-6, return_length=True)
    ends = points[np.asarray(neighbours) % 2 == 1]
    if len(ends) < 2:
        return 0.0
    distance = np.asarray(cKDTree(ends).query(ends, k=2)[0])
    return float(distance[:, 1].max())


def unreached_girths(
    surface: FootSurface,
    landmarks: Landmarks,
    measured: FootMeasurements,
    measure_rules: MeasureRules = DEFAULT_MEASURE_RULES,
    rules: CompletionRules = DEFAULT_COMPLETION_RULES,
) -> dict[str, tuple[EstimateReason, str]]:
    """Girths the scan does not give whole, with the reason and a sentence: never measured (the scan stops
    below them), resting on the scan's cut, or spanning a hole."""
    top_mm = scan_top_mm(surface, landmarks)
    reach_mm = top_mm - measure_rules.cut_margin_mm - rules.top_reach_mm
    found: dict[str, tuple[EstimateReason, str]] = {}
    for line in measured.girth_lines:
        key = girth_key(line)
        if len(line.ring) and float(line.ring[:, 2].max()) >= reach_mm:
            words = measurement_words(key)
            found[key] = (
                EstimateReason.NOT_IN_SCAN,
                f"the scan stops at {top_mm:.0f} mm, where the {words}'s tape would rest",
            )
            continue
        gap = hole_gap_mm(surface, line.origin, line.normal)
        if gap > rules.hole_gap_mm:
            words = measurement_words(key)
            found[key] = (EstimateReason.HOLE_IN_SCAN, f"the {words}'s tape would span a {gap:.0f} mm hole of the scan")
    values = measured.values()
    for key in ESTIMABLE:
        if values[key] is None and key not in found:
            found[key] = (EstimateReason.NOT_IN_SCAN, f"the scan (up to {top_mm:.0f} mm) does not reach the "
                          f"{measurement_words(key)}")  # fmt: skip
    return found


def estimate(
    key: str,
    values_mm: Mapping[str, float | None],
    estimated: Mapping[str, Estimate],
    population: FootPopulation,
    reason: EstimateReason = EstimateReason.NOT_IN_SCAN,
) -> Estimate:
    """One value the scan does not give, from the measured ones (``PREDICTORS`` and the ratio's base, else its
    estimate in ``estimated``)."""
    if key in REGRESSED:
        regression = population.regressions[key]
        predictors = {name: _measured(values_mm, name) for name in PREDICTORS}
        return _rounded(regression.predict_mm(predictors), regression.cv_p95_abs_error_mm,
                        EstimateMethod.ANSUR_REGRESSION, reason)  # fmt: skip
    base_key = RATIO_OF[key]
    base = values_mm.get(base_key)
    base_uncertainty = 0.0
    if base is None:
        base, base_uncertainty = estimated[base_key].value_mm, estimated[base_key].uncertainty_95_mm
    ratio = population.template.ratio(key)
    value = ratio * base
    uncertainty = math.hypot(population.template.p95_relative_error * value, ratio * base_uncertainty)
    return _rounded(value, uncertainty, EstimateMethod.TEMPLATE_RATIO, reason)


def _rounded(value_mm: float, uncertainty_mm: float, method: EstimateMethod, reason: EstimateReason) -> Estimate:
    """To 0.1 mm (records keep that much), so an estimate reads back from JSON as it was made."""
    return Estimate(round(value_mm, 1), round(uncertainty_mm, 1), method, reason)


def _measured(values_mm: Mapping[str, float | None], key: str) -> float:
    value = values_mm.get(key)
    if value is None:
        raise IncompleteFootError(f"the scan gives no {measurement_words(key)}: nothing can be estimated without it",
                                  missing=key)  # fmt: skip
    return float(value)


def complete_measurements(
    surface: FootSurface,
    landmarks: Landmarks,
    measured: FootMeasurements,
    partial: bool = False,
    rules: CompletionRules = DEFAULT_COMPLETION_RULES,
    population: FootPopulation | None = None,
) -> FootMeasurements:
    """The scan's measurements with what it does not give whole set to None and estimated (``estimated``), after
    the plausibility check: values out of human range refuse the scan, unless it is ``partial`` (as its
    coverage says, or as its cut girths show), where they are estimated instead if they can be, else kept with a
    warning. ``IncompleteFootError`` when the ball girth itself is not in the scan."""
    population = population or foot_population()
    unreached = unreached_girths(surface, landmarks, measured, rules=rules)
    needed = sorted(_NEEDED_GIRTHS & set(unreached))
    if needed:
        raise IncompleteFootError(
            "; ".join(unreached[key][1] for key in needed)
            + ": a last cannot be made without it; rescan with the whole forefoot in view",
            missing=needed,
        )
    values = {key: (None if key in unreached else value) for key, value in measured.values().items()}
    # Evidence of a partial scan: a girth it cuts or holes, or a heel girth it never reaches (every scan may
    # stop below the ankle girth: that alone says nothing).
    partial = partial or any(key != "ankle_girth_mm" for key in unreached)
    warnings = check_plausible(values, partial=partial)
    reasons = {key: reason for key, (reason, _) in unreached.items()}
    if warnings:
        for doubtful in implausible_values(values, ESTIMABLE):
            values[doubtful.key] = None  # what the missing part did to it: estimated instead
            reasons[doubtful.key] = EstimateReason.IMPLAUSIBLE
        warnings = check_plausible(values, partial=True)
    estimated: dict[str, Estimate] = {}
    for key in ESTIMABLE:
        if values[key] is None:
            estimated[key] = estimate(key, values, estimated, population, reasons.get(key, EstimateReason.NOT_IN_SCAN))
    dropped = {key: None for key in ESTIMABLE if values[key] is None and measured.values()[key] is not None}
    lines = [line for line in measured.girth_lines if girth_key(line) not in dropped]
    return replace(measured, girth_lines=lines, estimated=estimated, warnings=warnings, **cast(dict[str, Any], dropped))

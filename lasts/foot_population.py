"""What human feet measure: the statistics that complete a partial scan and bound a plausible one.

Fitted here on real data and shipped as ``lasts/data/foot_population.json`` (the data itself stays in
``shared/data``, outside production):

- **ANSUR II** (US Army 2012 survey, public domain; Gordon et al. 2014, NATICK/TR-15/007; 6,068 people):
  ordinary least squares of the long heel girth (``heelanklecircumference``) and the ankle girth
  (``anklecircumference``) on the five foot measures every scan gives (foot length, ball girth, ball width =
  ``footbreadthhorizontal``, heel width = ``heelbreadth``, ball length = ``balloffootlength``), cross-validated
  on held-out people (10 folds); a share-of-length range for each measure ANSUR has.
- **FIND** (the template foot, Boyne et al. 2022): the girths ANSUR lacks (instep, waist, short heel) as the
  template's proportions to a girth the scan measures; how far such a one-foot proportion misses is
  measured on a girth ANSUR has (the template's long heel girth ÷ ball girth, applied to ANSUR's people).

``fit_foot_population`` refits everything from the CSV and the template's measurements; a test checks the
shipped file against a refit. docs/measurements.md ("Estimated values", "Plausibility") gives the figures.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

POPULATION_PATH = Path(__file__).resolve().parent / "data" / "foot_population.json"

# ANSUR II columns (mm) for our measurements; the definitions match closely (docs/measurements.md).
ANSUR_COLUMNS: Mapping[str, str] = {
    "foot_length_mm": "footlength",
    "ball_girth_mm": "balloffootcircumference",
    "ball_width_mm": "footbreadthhorizontal",
    "heel_width_mm": "heelbreadth",
    "ball_length_mm": "balloffootlength",
    "long_heel_girth_mm": "heelanklecircumference",
    "ankle_girth_mm": "anklecircumference",
}
# What every scan measures (a scan without them is refused): the regressions' inputs.
PREDICTORS: tuple[str, ...] = ("foot_length_mm", "ball_girth_mm", "ball_width_mm", "heel_width_mm", "ball_length_mm")
REGRESSED: tuple[str, ...] = ("long_heel_girth_mm", "ankle_girth_mm")
# Girths ANSUR lacks, each as the template's proportion to the girth beside it.
RATIO_OF: Mapping[str, str] = {
    "instep_girth_mm": "ball_girth_mm",
    "waist_girth_mm": "ball_girth_mm",
    "short_heel_girth_mm": "long_heel_girth_mm",
}
TEMPLATE_KEYS: tuple[str, ...] = (
    "foot_length_mm", "ball_girth_mm", "instep_girth_mm", "waist_girth_mm", "long_heel_girth_mm",
    "short_heel_girth_mm", "toe_height_mm", "arch_height_mm",
)  # fmt: skip
# A FIND-based share range takes the ANSUR spread of the girth it is most like.
_SPREAD_LIKE: Mapping[str, str] = {
    "instep_girth_mm": "ball_girth_mm",
    "waist_girth_mm": "ball_girth_mm",
    "short_heel_girth_mm": "long_heel_girth_mm",
}
# Shares no survey gives: wide judgement ranges around the template's (toes stand 6-25 % of L high; a flat
# foot's arch may touch the floor). Kept from the fit-time check they came from (lasts/fitting.py).
_JUDGED_SHARES: Mapping[str, tuple[float, float]] = {"toe_height_mm": (0.06, 0.25), "arch_height_mm": (0.0, 0.15)}
# ANSUR's extremes are widened by this share of the median for the differences between a tape on a standing
# person and our definitions on a scan.
SHARE_MARGIN = 0.03
CV_FOLDS = 10
CV_SEED = 0


@dataclass(frozen=True)
class Regression:
    """``target ≈ intercept + Σ coefficient × predictor`` (mm), with how well it predicts held-out people."""

    target: str
    ansur_column: str
    intercept_mm: float
    coefficients: Mapping[str, float]
    people: int
    r2: float
    residual_sd_mm: float
    cv_rmse_mm: float
    cv_p95_abs_error_mm: float  # the half-width of the 95 % interval an estimate carries

    def predict_mm(self, values_mm: Mapping[str, float]) -> float:
        return self.intercept_mm + sum(c * values_mm[key] for key, c in self.coefficients.items())


@dataclass(frozen=True)
class TemplateProportions:
    """The template foot's measured values (mm) and how far a one-foot proportion misses (p95, share of the value)."""

    name: str
    values_mm: Mapping[str, float]
    p95_relative_error: float

    def ratio(self, target: str) -> float:
        return self.values_mm[target] / self.values_mm[RATIO_OF[target]]


@dataclass(frozen=True)
class ShareRange:
    """Plausible value as a share of the foot length, and where the range comes from."""

    low: float
    high: float
    source: str


@dataclass(frozen=True)
class FootPopulation:
    regressions: Mapping[str, Regression]
    template: TemplateProportions
    shares: Mapping[str, ShareRange]
    source: str


def read_ansur_columns(csv_path: Path) -> dict[str, np.ndarray]:
    """ANSUR II's foot columns we use, by our measurement names, (n,) float mm."""
    with csv_path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: np.array([float(row[column]) for row in rows]) for key, column in ANSUR_COLUMNS.items()}


def _least_squares(design: np.ndarray, target: np.ndarray) -> np.ndarray:
    coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
    solved: np.ndarray = coefficients
    return solved


def fit_regression(people: Mapping[str, np.ndarray], target: str) -> Regression:
    """OLS of ``target`` on ``PREDICTORS``, with its residual SD and its errors on held-out people (10 folds)."""
    design = np.column_stack([np.ones(len(people[target]))] + [people[key] for key in PREDICTORS])
    y = people[target]
    coefficients = _least_squares(design, y)
    residual = y - design @ coefficients
    n, p = design.shape
    fold = np.random.default_rng(CV_SEED).permutation(n) % CV_FOLDS
    held_out = np.empty(n)
    for k in range(CV_FOLDS):
        train = fold != k
        held_out[~train] = y[~train] - design[~train] @ _least_squares(design[train], y[train])
    return Regression(
        target=target,
        ansur_column=ANSUR_COLUMNS[target],
        intercept_mm=float(coefficients[0]),
        coefficients={key: float(c) for key, c in zip(PREDICTORS, coefficients[1:], strict=True)},
        people=n,
        r2=float(1.0 - residual @ residual / np.sum((y - y.mean()) ** 2)),
        residual_sd_mm=float(np.sqrt(residual @ residual / (n - p))),
        cv_rmse_mm=float(np.sqrt(np.mean(held_out**2))),
        cv_p95_abs_error_mm=float(np.percentile(np.abs(held_out), 95)),
    )


def _share_ranges(people: Mapping[str, np.ndarray], template_mm: Mapping[str, float]) -> dict[str, ShareRange]:
    """ANSUR's extremes as shares of the foot length, widened by ``SHARE_MARGIN`` of the median share and rounded
    outwards to 0.01; FIND's share stretched by the ANSUR spread of the girth it is most like; judged ranges."""
    length = people["foot_length_mm"]
    shares: dict[str, ShareRange] = {}
    spreads: dict[str, tuple[float, float]] = {}
    for key in ANSUR_COLUMNS:
        if key == "foot_length_mm":
            continue
        share = people[key] / length
        low, high, median = float(share.min()), float(share.max()), float(np.median(share))
        spreads[key] = (low / median, high / median)
        shares[key] = _widened(low, high, median, f"ANSUR II {ANSUR_COLUMNS[key]}, 6,068 people")
    for key, like in _SPREAD_LIKE.items():
        share = template_mm[key] / template_mm["foot_length_mm"]
        low, high = share * spreads[like][0], share * spreads[like][1]
        shares[key] = _widened(low, high, share, f"FIND template × ANSUR II spread of {ANSUR_COLUMNS[like]}")
    for key, (low, high) in _JUDGED_SHARES.items():
        shares[key] = ShareRange(low, high, "judgement around the FIND template (no survey measures it)")
    return shares


def _widened(low: float, high: float, median: float, source: str) -> ShareRange:
    margin = SHARE_MARGIN * median
    return ShareRange(float(np.floor((low - margin) * 100) / 100), float(np.ceil((high + margin) * 100) / 100), source)


def fit_foot_population(
    ansur_csv: Path, template_mm: Mapping[str, float], template_name: str = "FIND"
) -> FootPopulation:
    """Everything ``foot_population.json`` holds, from ANSUR II's CSV and the template foot's measured values
    (``TEMPLATE_KEYS``, mm, as ``lasts.scans.ingest_scan`` measures the FIND template)."""
    people = read_ansur_columns(ansur_csv)
    template = {key: float(template_mm[key]) for key in TEMPLATE_KEYS}
    # A one-foot proportion tried on a girth ANSUR has: the template's long heel ÷ ball girth on every person.
    proportion = template["long_heel_girth_mm"] / template["ball_girth_mm"]
    truth = people["long_heel_girth_mm"]
    relative = np.abs(truth - proportion * people["ball_girth_mm"]) / truth
    return FootPopulation(
        regressions={target: fit_regression(people, target) for target in REGRESSED},
        template=TemplateProportions(template_name, template, float(np.percentile(relative, 95))),
        shares=_share_ranges(people, template),
        source=(
            "ANSUR II (Gordon et al. 2014, NATICK/TR-15/007, public domain), ansur2_foot_extract.csv; "
            f"{template_name} template foot (Boyne et al. 2022, MIT), measured by lasts.scans.ingest_scan"
        ),
    )


def foot_population_to_json(population: FootPopulation) -> dict[str, Any]:
    def rounded(value: float) -> float:
        return float(f"{value:.6g}")

    return {
        "source": population.source,
        "regressions": {
            target: {
                "ansur_column": r.ansur_column,
                "intercept_mm": rounded(r.intercept_mm),
                "coefficients": {key: rounded(c) for key, c in r.coefficients.items()},
                "people": r.people,
                "r2": rounded(r.r2),
                "residual_sd_mm": rounded(r.residual_sd_mm),
                "cv_folds": CV_FOLDS,
                "cv_rmse_mm": rounded(r.cv_rmse_mm),
                "cv_p95_abs_error_mm": rounded(r.cv_p95_abs_error_mm),
            }
            for target, r in population.regressions.items()
        },
        "template": {
            "name": population.template.name,
            "values_mm": {key: round(v, 2) for key, v in population.template.values_mm.items()},
            "p95_relative_error": rounded(population.template.p95_relative_error),
            "ratio_of": dict(RATIO_OF),
        },
        "plausible_shares": {
            key: {"low": s.low, "high": s.high, "source": s.source} for key, s in population.shares.items()
        },
    }


def foot_population_from_json(data: Mapping[str, Any]) -> FootPopulation:
    regressions = {
        target: Regression(
            target=target,
            ansur_column=r["ansur_column"],
            intercept_mm=float(r["intercept_mm"]),
            coefficients={key: float(c) for key, c in r["coefficients"].items()},
            people=int(r["people"]),
            r2=float(r["r2"]),
            residual_sd_mm=float(r["residual_sd_mm"]),
            cv_rmse_mm=float(r["cv_rmse_mm"]),
            cv_p95_abs_error_mm=float(r["cv_p95_abs_error_mm"]),
        )
        for target, r in data["regressions"].items()
    }
    template = data["template"]
    return FootPopulation(
        regressions=regressions,
        template=TemplateProportions(
            template["name"],
            {k: float(v) for k, v in template["values_mm"].items()},
            float(template["p95_relative_error"]),
        ),
        shares={
            k: ShareRange(float(s["low"]), float(s["high"]), s["source"]) for k, s in data["plausible_shares"].items()
        },
        source=data["source"],
    )


def write_foot_population(population: FootPopulation, path: Path = POPULATION_PATH) -> None:
    """Ship a refit: ``write_foot_population(fit_foot_population(csv, template_values))``."""
    path.write_text(json.dumps(foot_population_to_json(population), indent=1, ensure_ascii=False) + "\n")


@lru_cache(maxsize=1)
def foot_population() -> FootPopulation:
    """The shipped statistics (read once per process)."""
    return foot_population_from_json(json.loads(POPULATION_PATH.read_text()))

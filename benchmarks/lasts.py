"""The last benchmark (``cspms bench last``): fit accuracy and time on a cohort, build time, FIND fits.

For each of N feet (ANSUR II rows, the FIND template deformed to them, measured clean like the scan
benchmark's truth), the styles take turns: the foot's fit targets are solved and the solved last measured
with the foot's own definitions; the error is achieved − target per measurement, the time the solver's.
Then the build time of a 50k-face last, and on the FIND foot itself, per style, the fit report's toe room
and the girth deltas (last − foot).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.cohort import abs_stats, measured_cohort_foot, read_ansur_targets
from lasts.deformation import FootTargets, measured_template
from lasts.fit_report import fit_report
from lasts.fitting import DEFAULT_FIT_RULES, TARGET_KEYS, fit_last
from lasts.model import build_last
from lasts.pose import pose_last
from lasts.side import Side

TARGETS = {"error_p95_mm": 0.5, "seconds_p95": 1.5, "build_ms_50k": 200.0}
STYLES = tuple(DEFAULT_FIT_RULES.styles)


@dataclass(frozen=True)
class LastBenchConfig:
    template_path: Path
    ansur_path: Path
    feet: int = 200
    seed: int = 2026
    workers: int = 2


def _one_foot(args: tuple[Path, FootTargets, int, str]) -> dict[str, Any]:
    template_path, targets, seed, style = args
    result: dict[str, Any] = {"subject": targets.subject, "seed": seed, "style": style}
    try:
        measured = measured_cohort_foot(template_path, targets, seed)
        _, fit = fit_last(measured.measurements.values(), Side.LEFT, style)
        pose_last(fit.last)
    except Exception as exc:  # a failure is a result of the benchmark, reported with its seed
        result["error"] = f"{type(exc).__name__}: {exc}"
        return result
    result["errors_mm"] = fit.errors_mm
    result["max_error_mm"] = fit.max_error_mm
    result["seconds"] = fit.seconds
    result["steps"] = fit.iterations
    return result


def build_time_ms(face_count: int = 50_000, repeats: int = 20) -> dict[str, Any]:
    """Build time of a standing last of ``face_count`` faces (the FIND foot's derby targets)."""
    from lasts.model import LastParameters

    params = LastParameters(
        stick_length_mm=272.8, ball_length_mm=189.6, ball_girth_mm=247.0, ball_width_mm=95.9,
        waist_girth_mm=230.0, instep_girth_mm=240.0, long_heel_girth_mm=332.0, short_heel_girth_mm=324.0,
        heel_width_mm=61.6, toe_box_height_mm=38.5,
    )  # fmt: skip
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        last = build_last(params, face_count)
        times.append(1000.0 * (time.perf_counter() - started))
    return {
        "faces": len(last.faces),
        "p50_ms": round(float(np.percentile(times, 50)), 2),
        "p95_ms": round(float(np.percentile(times, 95)), 2),
    }


def find_fits(template_path: Path) -> dict[str, Any]:
    """Per style on the FIND foot: toe room, region room and girth deltas (last − foot), mm."""
    foot = measured_template(template_path)
    values = foot.measurements.values()
    measured_mm = {k: v for k, v in values.items() if v is not None}  # fit_last refuses a foot missing a target
    out: dict[str, Any] = {}
    for style in STYLES:
        _, fit = fit_last(values, foot.side, style)
        report = fit_report(foot.surface.vertices, measured_mm["foot_length_mm"], fit.last.vertices, fit.last.faces)
        out[style] = {
            "toe_room_mm": round(report.toe_room_mm, 2),
            "girth_deltas_mm": {
                k: round(fit.achieved[k] - measured_mm[k], 2)
                for k in TARGET_KEYS
                if k.endswith("girth_mm")
            },
            "max_error_mm": round(fit.max_error_mm, 3),
            "regions": report.regions,
            "warnings": report.warnings,
        }
    return out


def run_last_benchmark(config: LastBenchConfig, progress: Any = None) -> dict[str, Any]:
    targets = read_ansur_targets(config.ansur_path)
    rng = np.random.default_rng(config.seed)
    chosen = rng.choice(len(targets), size=config.feet, replace=False)
    jobs = [
        (config.template_path, targets[int(i)], int(config.seed * 1000 + n), STYLES[n % len(STYLES)])
        for n, i in enumerate(chosen)
    ]
    results = []
    with ProcessPoolExecutor(max_workers=max(1, min(config.workers, os.cpu_count() or 1))) as pool:
        for result in pool.map(_one_foot, jobs, chunksize=2):
            results.append(result)
            if progress is not None:
                progress()
    ok = [r for r in results if "error" not in r]
    failed = [r for r in results if "error" in r]
    per_key = {key: abs_stats([r["errors_mm"][key] for r in ok]) for key in TARGET_KEYS}
    worst = abs_stats([r["max_error_mm"] for r in ok])
    seconds = abs_stats([r["seconds"] for r in ok])
    return {
        "feet": len(results),
        "seed": config.seed,
        "fitted": len(ok),
        "failures": len(failed),
        "failed": failed[:10],
        "abs_error_mm": per_key,
        "max_error_per_foot_mm": worst,
        "feet_over_error_target": sum(r["max_error_mm"] > TARGETS["error_p95_mm"] for r in ok),
        "worst_feet": [
            {k: r[k] for k in ("subject", "seed", "style", "max_error_mm", "steps")}
            for r in sorted(ok, key=lambda r: -r["max_error_mm"])[:5]
        ],
        "solver_seconds": seconds,
        "solver_steps": abs_stats([r["steps"] for r in ok]),
        "targets": TARGETS,
        "meets_targets": bool(
            ok and not failed and worst["p95"] <= TARGETS["error_p95_mm"] and seconds["p95"] <= TARGETS["seconds_p95"]
        ),
    }

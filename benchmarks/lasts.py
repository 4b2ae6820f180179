"""The last benchmark (``cspms bench last``): fit accuracy and time on a cohort, build time, FIND fits.

For each of N feet (ANSUR II rows, the FIND template deformed to them, measured clean like the scan
benchmark's truth), the styles take turns: the foot's fit targets are solved and the solved last measured
with the foot's own definitions; the error is achieved − target per measurement, the time the solver's.
Then the build time of a 50k-face last, and on the FIND foot itself, per style, the fit report's toe room
and the girth deltas (last − foot).

:func:`shaped_fits`: on both real feet (the FIND template, a full scan in metres; dupontgu's left foot, a consumer
scan cut about 100 mm above the floor), every style's last shaped to the foot (lasts.shaping): per region the
deepest press (1 % quantile) against the rule map's own room there, the room error (p95 of |achieved − target|),
the girth errors, the toe room against the toe allowance, and the time of the whole fit.
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
from lasts.errors import LastError
from lasts.fit_report import fit_report
from lasts.fitted import fitted_last
from lasts.fitting import DEFAULT_FIT_RULES, TARGET_KEYS, fit_last
from lasts.model import build_last
from lasts.pose import pose_last
from lasts.scans import IngestOptions, ingest_scan
from lasts.side import Side

TARGETS = {"error_p95_mm": 0.5, "seconds_p95": 1.5, "build_ms_50k": 200.0}
# The shaped last (issue 19): no region pressed deeper than its rule's room + 1.5 mm, the room error's p95 per region
# at most 1.5 mm, every girth within 0.5 mm of its target, the toe room within 1 mm of the toe allowance, and the
# whole fit (solve, shape, pose, report) in 3 s at the 95th percentile on 2 cores.
SHAPED_TARGETS = {"beyond_rule_mm": 1.5, "error_p95_mm": 1.5, "girth_error_mm": 0.5, "toe_room_error_mm": 1.0,
                  "seconds_p95": 3.0}  # fmt: skip
# The real feet, read as any scan is (the low-cut consumer scan's side from its anatomy, its leg girths estimated).
REAL_FEET: tuple[tuple[str, str, IngestOptions], ...] = (
    ("find", "find_template.obj", IngestOptions()),
    ("dupontgu", "dupontgu_left_foot.stl", IngestOptions()),
)
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


def shaped_fits(feet_dir: Path, styles: tuple[str, ...] = STYLES) -> dict[str, Any]:
    """Every style's last shaped to each real foot of ``feet_dir`` (:data:`REAL_FEET`), with the figures of
    :data:`SHAPED_TARGETS` per foot and style, and over all of them."""
    out: dict[str, Any] = {"targets": SHAPED_TARGETS, "feet": {}}
    seconds: list[float] = []
    misses: dict[str, int] = {key: 0 for key in SHAPED_TARGETS if key != "seconds_p95"}
    for label, name, options in REAL_FEET:
        foot = ingest_scan((feet_dir / name).read_bytes(), name, options)
        values = foot.record().completed_mm
        per_style: dict[str, Any] = {}
        for style in styles:
            started = time.perf_counter()
            try:
                result = fitted_last(values, foot.side, style, foot_vertices=foot.surface.vertices,
                                     foot_faces=foot.surface.faces)  # fmt: skip
            except LastError as exc:  # a failure is a result of the benchmark
                per_style[style] = {"error": str(exc)}
                for key in misses:
                    misses[key] += 1
                continue
            took = time.perf_counter() - started
            seconds.append(took)
            per_style[style] = figures = _shaped_figures(result, took)
            for key in misses:
                misses[key] += not figures["meets"][key]
        out["feet"][label] = {"side": str(foot.side), "foot_length_mm": values["foot_length_mm"], "styles": per_style}
    out["seconds"] = {
        "p50": round(float(np.percentile(seconds, 50)), 2) if seconds else None,
        "p95": round(float(np.percentile(seconds, 95)), 2) if seconds else None,
        "max": round(max(seconds), 2) if seconds else None,
    }
    out["fits"] = len(seconds)
    out["fits_missing"] = misses
    fast = bool(seconds) and out["seconds"]["p95"] <= SHAPED_TARGETS["seconds_p95"]
    out["meets_targets"] = {**{key: misses[key] == 0 for key in misses}, "seconds_p95": fast}
    return out


def _shaped_figures(result: Any, seconds: float) -> dict[str, Any]:
    """One shaped fit's figures: per region the press beyond the rule and the room error, the girth errors, toe room."""
    report = result.report
    regions = {
        name: {key: stats.get(key) for key in ("min_room_mm", "rule_room_mm", "beyond_rule_mm", "error_p95_mm",
                                                "judged_share")}
        for name, stats in report.regions.items()
    }  # fmt: skip
    girths = {k: round(v, 2) for k, v in result.fit.errors_mm.items() if k.endswith("girth_mm")}
    allowance = result.targets.allowances["foot_length_mm"]
    toe_error = report.toe_room_mm - allowance
    worst_beyond = max(r["beyond_rule_mm"] or 0.0 for r in regions.values())
    errors = [r["error_p95_mm"] for r in regions.values() if r["error_p95_mm"] is not None]
    meets = {
        "beyond_rule_mm": worst_beyond <= SHAPED_TARGETS["beyond_rule_mm"],
        "error_p95_mm": max(errors, default=0.0) <= SHAPED_TARGETS["error_p95_mm"],
        "girth_error_mm": max(abs(v) for v in girths.values()) <= SHAPED_TARGETS["girth_error_mm"],
        "toe_room_error_mm": abs(toe_error) <= SHAPED_TARGETS["toe_room_error_mm"],
    }
    return {
        "shaped": result.shaping is not None,
        "regions": regions,
        "girth_errors_mm": girths,
        "toe_room_mm": round(report.toe_room_mm, 2),
        "toe_allowance_mm": round(allowance, 2),
        "widths_mm": None if result.shaping is None else result.shaping.record()["widths_mm"],
        "seconds": round(seconds, 2),
        "meets": meets,
    }

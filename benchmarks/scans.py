"""The scan benchmark (``cspms bench scan``): accuracy on a generated cohort, invariance, and speed.

For each of N feet (ANSUR II rows, FIND template deformed to them): the ground truth is the full
pipeline on the clean generated mesh in its measuring frame, mm, left foot. Then a mesh variant (random
pose, units, mirroring, file format) and a cloud variant (200k points, σ noise, 10 % missing, 1 % outliers,
random pose, units, mirroring) are measured blind (units and side auto) and compared with the truth.
"""

from __future__ import annotations

import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from benchmarks.cohort import (
    abs_stats,
    cloud_variant,
    dense_template_mesh,
    mesh_file_bytes,
    mesh_variant,
    read_ansur_targets,
)
from lasts.deformation import FootTargets, deform_template, measured_template
from lasts.scans import IngestOptions, ingest_scan
from lasts.side import Side

LENGTHS = (
    "foot_length_mm",
    "ball_width_mm",
    "ball_length_mm",
    "heel_width_mm",
    "arch_height_mm",
    "toe_height_mm",
)
GIRTHS = (
    "ball_girth_mm",
    "instep_girth_mm",
    "waist_girth_mm",
    "long_heel_girth_mm",
    "short_heel_girth_mm",
    "ankle_girth_mm",
)
TARGETS = {"mesh": (1.0, 2.0), "cloud": (2.0, 3.0)}  # p95 limits (lengths, girths), mm


@dataclass(frozen=True)
class BenchConfig:
    template_path: Path
    ansur_path: Path
    feet: int = 200
    seed: int = 2026
    workers: int = 2
    cloud_points: int = 200_000


def _one_foot(args: tuple[Path, FootTargets, int, int]) -> dict[str, Any]:
    template_path, targets, seed, cloud_points = args
    rng = np.random.default_rng(seed)
    foot = deform_template(measured_template(template_path), targets, rng)
    canonical = mesh_file_bytes(foot.vertices, foot.faces, "ply")
    try:
        truth = ingest_scan(canonical, "truth.ply", IngestOptions(units="mm", side=Side.LEFT))
    except Exception as exc:  # the clean foot itself failed: a finding, reported with its seed
        return {"subject": targets.subject, "seed": seed, "truth_error": f"{type(exc).__name__}: {exc}"}
    result: dict[str, Any] = {
        "subject": targets.subject,
        "targets": {
            "foot_length_mm": targets.foot_length_mm,
            "ball_width_mm": targets.ball_width_mm,
            "ball_girth_mm": targets.ball_girth_mm,
        },
        "truth": truth.measurements.values(),
        "faces": len(foot.faces),
    }
    for variant in (mesh_variant(foot, rng), cloud_variant(foot, rng, points=cloud_points)):
        started = time.perf_counter()
        try:
            measured = ingest_scan(variant.data, variant.filename)
        except Exception as exc:  # a failure is a result of the benchmark, not a crash of it
            where = traceback.extract_tb(exc.__traceback__)[-1]
            result[variant.kind] = {"error": f"{type(exc).__name__}: {exc} ({where.name}:{where.lineno})"}
            continue
        result[variant.kind] = {
            "seconds": time.perf_counter() - started,
            "side_ok": measured.side == variant.side,
            "units_ok": measured.units.unit == variant.unit,
            "values": measured.measurements.values(),
        }
    return result


def run_scan_benchmark(config: BenchConfig, progress: Any = None) -> dict[str, Any]:
    targets = read_ansur_targets(config.ansur_path)
    rng = np.random.default_rng(config.seed)
    chosen = rng.choice(len(targets), size=config.feet, replace=False)
    jobs = [
        (config.template_path, targets[int(i)], int(config.seed * 1000 + n), config.cloud_points)
        for n, i in enumerate(chosen)
    ]
    results = []
    with ProcessPoolExecutor(max_workers=max(1, min(config.workers, os.cpu_count() or 1))) as pool:
        for result in pool.map(_one_foot, jobs, chunksize=2):
            results.append(result)
            if progress is not None:
                progress()
    failed_truth = [r for r in results if "truth_error" in r]
    results = [r for r in results if "truth_error" not in r]
    report: dict[str, Any] = {
        "feet": len(results) + len(failed_truth),
        "seed": config.seed,
        "cloud_points": config.cloud_points,
        "clean_mesh_failures": len(failed_truth),
        "clean_mesh_failed": failed_truth[:10],
    }
    for kind in ("mesh", "cloud"):
        ok = [r for r in results if "values" in r.get(kind, {})]
        per_measure = {}
        for key in LENGTHS + GIRTHS:
            errors = [
                r[kind]["values"][key] - r["truth"][key]
                for r in ok
                if r[kind]["values"][key] is not None and r["truth"][key] is not None
            ]
            per_measure[key] = abs_stats(errors)
        length_limit, girth_limit = TARGETS[kind]
        worst_length = max((per_measure[k].get("p95", 0.0) for k in LENGTHS), default=0.0)
        worst_girth = max((per_measure[k].get("p95", 0.0) for k in GIRTHS), default=0.0)
        seconds = [r[kind]["seconds"] for r in ok]
        report[kind] = {
            "measured": len(ok),
            "failed": [r[kind]["error"] for r in results if "error" in r.get(kind, {})][:10],
            "failures": sum("error" in r.get(kind, {}) for r in results),
            "side_correct": sum(r[kind]["side_ok"] for r in ok),
            "units_correct": sum(r[kind]["units_ok"] for r in ok),
            "abs_error_mm": per_measure,
            "worst_p95_length_mm": worst_length,
            "worst_p95_girth_mm": worst_girth,
            "meets_targets": worst_length <= length_limit and worst_girth <= girth_limit and len(ok) == len(results),
            "seconds": {
                "p50": round(float(np.percentile(seconds, 50)), 3) if seconds else None,
                "p95": round(float(np.percentile(seconds, 95)), 3) if seconds else None,
            },
        }
    report["ansur_fit_abs_mm"] = {
        key: abs_stats([r["truth"][key] - r["targets"][key] for r in results])
        for key in ("foot_length_mm", "ball_width_mm", "ball_girth_mm")
    }
    return report


def run_speed_benchmark(template_path: Path, repeats: int = 15, seed: int = 7) -> dict[str, Any]:
    """Time a ~100k-face mesh and a 200k-point cloud through ingest + measurement (p50 / p95 seconds)."""
    vertices, faces = dense_template_mesh(template_path, 100_000)
    mesh_bytes = mesh_file_bytes(vertices, faces, "stl")
    rng = np.random.default_rng(seed)
    surface = trimesh.Trimesh(vertices, faces, process=False)
    cloud = np.asarray(trimesh.sample.sample_surface(surface, 200_000, seed=seed)[0])
    cloud = cloud + rng.normal(0.0, 0.0005, size=cloud.shape)  # 0.5 mm, the template is in metres
    cloud_bytes = "\n".join(f"{x:.7g} {y:.7g} {z:.7g}" for x, y, z in cloud).encode()

    def timed(data: bytes, name: str) -> list[float]:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            ingest_scan(data, name)
            times.append(time.perf_counter() - started)
        return times

    mesh_times = timed(mesh_bytes, "foot-100k.stl")
    cloud_times = timed(cloud_bytes, "foot-200k.xyz")
    return {
        "mesh_faces": len(faces),
        "mesh_seconds": {
            "p50": float(np.percentile(mesh_times, 50)),
            "p95": float(np.percentile(mesh_times, 95)),
        },
        "cloud_points": 200_000,
        "cloud_seconds": {
            "p50": float(np.percentile(cloud_times, 50)),
            "p95": float(np.percentile(cloud_times, 95)),
        },
        "targets_seconds": {"mesh": 1.0, "cloud": 5.0},
    }

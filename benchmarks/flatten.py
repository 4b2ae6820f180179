"""The flattening benchmark (``cspms bench flatten``): five styles on a cohort of fitted lasts.

For each cohort foot (ANSUR II rows, the FIND template deformed to them, measured clean) and each style:
the style's own fitted last, posed, for the left foot and its mirror image for the right, each flattened
on its own (no mirroring shortcut, as when both feet have their own lasts). Per piece: mean area change
and p99 edge strain against the budget (≤ 2 % area on flat pieces, ≤ 4 % on moulded ones, p99 edge strain
≤ 8 %); mating-seam mismatch after correction; coverage (flattened vs 3D area); what had to be split or
darted; and the time of the whole pair.
"""

from __future__ import annotations

import os
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.cohort import measured_cohort_foot, read_ansur_targets
from configurator.pattern_making import AREA_BUDGET_PCT, EDGE_P99_BUDGET_PCT, flatten_pair
from configurator.styles.library import STYLES
from lasts.deformation import FootTargets
from lasts.fitting import fit_last
from lasts.model import build_last
from lasts.pose import pose_last
from lasts.side import Side

PATTERN_FACE_COUNT = 20_000
TARGETS = {"pair_seconds_p95": 1.5, "seam_mismatch_mm": 0.3, "edge_p99_pct": EDGE_P99_BUDGET_PCT, **{
    f"area_change_{kind}_pct": value for kind, value in AREA_BUDGET_PCT.items()}}  # fmt: skip


@dataclass(frozen=True)
class FlattenBenchConfig:
    template_path: Path
    ansur_path: Path
    lasts: int = 50
    seed: int = 2026
    workers: int = 2


def _one_foot(args: tuple[Path, FootTargets, int]) -> dict[str, Any]:
    template_path, targets, seed = args
    out: dict[str, Any] = {"subject": targets.subject, "seed": seed, "styles": {}}
    try:
        values = measured_cohort_foot(template_path, targets, seed).measurements.values()
    except Exception as exc:  # a failure is a result, reported with its seed
        out["error"] = f"{type(exc).__name__}: {exc}"
        return out
    for name, make in STYLES.items():
        try:
            _, fit = fit_last(values, Side.LEFT, name)
            left = pose_last(build_last(fit.last.params, PATTERN_FACE_COUNT))
            right = pose_last(build_last(replace(fit.last.params, side=Side.RIGHT), PATTERN_FACE_COUNT))
            pair = flatten_pair(make(), left, right, mirror_when_possible=False)
        except Exception as exc:
            out["styles"][name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        pieces = []
        for shoe in (pair.left, pair.right):
            for piece in shoe.pieces:
                pieces.append({
                    "piece": piece.spec.name,
                    "kind": "moulded" if piece.spec.moulded else "flat",
                    "area_change_pct": piece.strain.area_change_mean_pct,
                    "edge_p99_pct": piece.strain.edge_strain_p99_pct,
                    "flipped": piece.strain.flipped_faces,
                    "within_budget": piece.within_budget,
                })  # fmt: skip
        all_seams = [s for shoe in (pair.left, pair.right) for s in shoe.seam_mismatches_mm()]
        seams = [s["mismatch_mm"] for s in all_seams if not s["stub"]]
        stubs = [s["mismatch_mm"] for s in all_seams if s["stub"]]
        out["styles"][name] = {
            "seconds": pair.seconds,
            "pieces": pieces,
            "seam_mismatch_max_mm": max(seams, default=0.0),
            "stub_mismatch_max_mm": max(stubs, default=0.0),
            "coverage_pct": [shoe.report()["coverage_area_change_pct"] for shoe in (pair.left, pair.right)],
            "changes": list(pair.right.changes),
        }
    return out


def _p(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def run_flatten_benchmark(config: FlattenBenchConfig, progress: Any = None) -> dict[str, Any]:
    targets = read_ansur_targets(config.ansur_path)
    rng = np.random.default_rng(config.seed)
    chosen = rng.choice(len(targets), size=config.lasts, replace=False)
    jobs = [(config.template_path, targets[int(i)], int(config.seed * 1000 + n)) for n, i in enumerate(chosen)]
    results = []
    with ProcessPoolExecutor(max_workers=max(1, min(config.workers, os.cpu_count() or 1))) as pool:
        for result in pool.map(_one_foot, jobs):
            results.append(result)
            if progress is not None:
                progress()
    report: dict[str, Any] = {
        "lasts": config.lasts,
        "seed": config.seed,
        "workers": config.workers,
        "targets": TARGETS,
        "foot_failures": [r for r in results if "error" in r][:10],
        "styles": {},
    }
    for name in STYLES:
        runs = [r["styles"][name] for r in results if name in r.get("styles", {})]
        ok = [run for run in runs if "error" not in run]
        by_piece: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for run in ok:
            for piece in run["pieces"]:
                by_piece[piece["piece"]].append(piece)
        changes: dict[str, int] = defaultdict(int)
        for run in ok:
            for change in run["changes"]:
                changes[change] += 1
        seconds = [run["seconds"] for run in ok]
        report["styles"][name] = {
            "flattened": len(ok),
            "failed": [run["error"] for run in runs if "error" in run][:5],
            "pair_seconds": {"p50": _p(seconds, 50), "p95": _p(seconds, 95), "max": _p(seconds, 100)},
            "seam_mismatch_max_mm": max((run["seam_mismatch_max_mm"] for run in ok), default=None),
            # junction stubs under 10 mm are not equalised; their mismatch is reported apart
            "stub_mismatch_max_mm": max((run["stub_mismatch_max_mm"] for run in ok), default=None),
            "coverage_pct_range": [
                min((c for run in ok for c in run["coverage_pct"]), default=None),
                max((c for run in ok for c in run["coverage_pct"]), default=None),
            ],
            "changes": dict(changes),
            "pieces": {
                piece: {
                    "kind": items[0]["kind"],
                    "shoes": len(items),
                    "within_budget_share": round(sum(i["within_budget"] for i in items) / len(items), 3),
                    "area_change_pct": {"p50": _p([i["area_change_pct"] for i in items], 50),
                                        "p95": _p([i["area_change_pct"] for i in items], 95)},
                    "edge_p99_pct": {"p50": _p([i["edge_p99_pct"] for i in items], 50),
                                     "p95": _p([i["edge_p99_pct"] for i in items], 95)},
                    "flipped_faces_max": max(i["flipped"] for i in items),
                }
                for piece, items in by_piece.items()
            },
        }
    all_pieces = [p for s in report["styles"].values() for p in s["pieces"].values()]
    report["pieces_within_budget_share"] = (
        round(float(np.mean([p["within_budget_share"] for p in all_pieces])), 3) if all_pieces else None
    )
    return report



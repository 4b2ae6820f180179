"""A real style's size run through the pattern files: the FIND foot's derby last graded over nine EU sizes,
each size's pieces flattened, all written as one ASTM/AAMA DXF and read back (``cspms bench patterns``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from configurator.pattern_making import flatten_style, pattern_set
from configurator.styles.library import STYLES
from geometry.exchange.astm_dxf import read_astm_dxf, write_astm_dxf
from geometry.pattern import PatternSet
from lasts.fitting import fit_last
from lasts.grading import GradeRules, grade_lasts
from lasts.model import build_last
from lasts.pose import pose_last
from lasts.scans import ingest_scan

SIZES_EU = (38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0)


def style_size_run(scan_path: Path, style: str = "derby") -> tuple[PatternSet, dict[str, float]]:
    """The size run's pattern set (all sizes, right foot) and how long each step took (s)."""
    started = time.perf_counter()
    foot = ingest_scan(scan_path.read_bytes(), scan_path.name)
    _, fit = fit_last(foot.measurements.values(), "right", style)
    fitted = time.perf_counter()
    run = grade_lasts(fit.last.params, list(SIZES_EU), GradeRules(system="eu"), face_count=20_000)
    graded = time.perf_counter()
    pieces = []
    for size in run:
        last = pose_last(build_last(size.fit.last.params, 20_000))
        label = size.label.removeprefix("EU ")
        pieces += pattern_set(flatten_style(STYLES[style](), last, label), label).pieces
    flattened = time.perf_counter()
    patterns = PatternSet(style_name=style, sample_size="41", pieces=tuple(pieces))
    return patterns, {
        "fit_seconds": round(fitted - started, 3),
        "grade_seconds": round(graded - fitted, 3),
        "flatten_seconds": round(flattened - graded, 3),
    }


def run_style_run_benchmark(scan_path: Path, style: str = "derby", repeats: int = 3) -> dict[str, Any]:
    patterns, making = style_size_run(scan_path, style)
    write = min(_timed(lambda: write_astm_dxf(patterns)) for _ in range(repeats))
    data = write_astm_dxf(patterns)
    read = min(_timed(lambda: read_astm_dxf(data, "run.dxf")) for _ in range(repeats))
    back = read_astm_dxf(data, "run.dxf").pattern
    # Point for point where the counts agree; else (a reader merging a doubled point) the outlines' distance.
    worst = max(_outline_error_mm(back.piece(p.name, p.size).cut_line, p.cut_line) for p in patterns.pieces)
    return {
        "style": style,
        "sizes": len(patterns.sizes),
        "blocks": len(patterns.pieces),
        "making": making,
        "write_seconds": round(write, 4),
        "read_seconds": round(read, 4),
        "round_trip_max_error_mm": round(worst, 6),
        "astm_dxf_bytes": len(data),
        "meets_targets": write <= 2.0 and read <= 1.0 and worst <= 0.01,
    }


def _outline_error_mm(read: np.ndarray, written: np.ndarray) -> float:
    if read.shape == written.shape:
        return float(np.abs(read - written).max())
    from shapely.geometry import Polygon

    return float(Polygon(read).exterior.hausdorff_distance(Polygon(written).exterior))


def _timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started

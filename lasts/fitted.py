"""A foot's last, whole: fitted, posed, reported on, and written as the files a last maker uses.

One entry point for the CLI (``cspms last fit``) and the pipeline's last stage, so both give the same
files: the posed last as STL / OBJ / 3MF (mm) and GLB (m, +Y up), its parameters (JSON), its drawing
(SVG), the fit report's heat map (SVG, when the foot's surface is known) and ``last.json``: targets,
achieved values (the same keys as the scan's measurements), errors, the fit report and the file list.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lasts.drawing import last_drawing_svg
from lasts.errors import LastError
from lasts.export import LAST_MESH_FORMATS, last_mesh_bytes
from lasts.fit_report import FitReport, fit_report, heat_map_svg
from lasts.fitting import (
    DEFAULT_FIT_RULES,
    TARGET_KEYS,
    FitPreference,
    FitRules,
    FitTargets,
    LastFit,
    fit_last,
    fit_targets,
    measure_last,
)
from lasts.model import LastMesh, LastParameters, ToeShape, build_last
from lasts.pose import pose_last
from lasts.side import Side


@dataclass(frozen=True)
class FittedLast:
    side: Side
    targets: FitTargets
    fit: LastFit
    posed: LastMesh
    report: FitReport | None

    def record(self, files: list[str] | None = None) -> dict[str, Any]:
        """``last.json``: what the last was asked to be, what it is, and how well it fits the foot."""
        fit = self.fit
        return {
            "side": self.side,
            "style": self.targets.style,
            "fit": self.targets.fit,
            "toe_shape": self.targets.toe_shape.value,
            "targets": {k: round(v, 2) for k, v in fit.targets.items()},
            "allowances": {k: round(v, 2) for k, v in self.targets.allowances.items()},
            "achieved": {k: round(v, 2) for k, v in fit.achieved.items()},
            "errors_mm": {k: round(v, 3) for k, v in fit.errors_mm.items()},
            "max_error_mm": round(fit.max_error_mm, 3),
            "solver": {"steps": fit.iterations, "seconds": round(fit.seconds, 3)},
            "parameters": fit.last.params.to_dict(),
            "fit_report": None if self.report is None else self.report.to_dict(),
            "files": sorted(files or []),
        }


def fitted_last(
    foot_values: Mapping[str, float | None],
    side: Side,
    style: str = "derby",
    fit: FitPreference = FitPreference.REGULAR,
    toe_shape: ToeShape | None = None,
    foot_vertices: np.ndarray | None = None,
    rules: FitRules = DEFAULT_FIT_RULES,
) -> FittedLast:
    """Fit, pose and (with the foot's surface, mm in its measuring frame) report."""
    if side not in (Side.LEFT, Side.RIGHT):
        raise LastError(f"side {side!r}: left or right")
    targets, solved = fit_last(dict(foot_values), side, style, fit, toe_shape, rules)
    report = None
    if foot_vertices is not None:
        # The fit is judged standing, foot and last in the same frame: the foot was scanned standing.
        last = solved.last
        report = fit_report(foot_vertices, _foot_length_mm(foot_values), last.vertices, last.faces)
    return FittedLast(Side(side), targets, solved, pose_last(solved.last), report)


def revised_last(
    foot_values: Mapping[str, float | None],
    params: LastParameters,
    style: str = "derby",
    fit: FitPreference = FitPreference.REGULAR,
    foot_vertices: np.ndarray | None = None,
    rules: FitRules = DEFAULT_FIT_RULES,
    face_count: int = 50_000,
) -> FittedLast:
    """The foot's last made from given parameters (a revision fit feedback asked for) instead of solved: the
    targets are still the foot's plus the style's allowances, so ``last.json`` shows how far the revision
    moved from them; posed and reported on like ``fitted_last``."""
    targets = fit_targets(dict(foot_values), style, fit, None, rules)
    last = build_last(params, face_count)
    measured = measure_last(last).values()
    achieved = {k: float(value) for k in TARGET_KEYS if (value := measured.get(k)) is not None}
    solved = LastFit(last, {k: v for k, v in targets.values.items() if k in achieved}, achieved, 0, 0.0)
    report = None
    if foot_vertices is not None:
        report = fit_report(foot_vertices, _foot_length_mm(foot_values), last.vertices, last.faces)
    return FittedLast(params.side, targets, solved, pose_last(last), report)


def _foot_length_mm(foot_values: Mapping[str, float | None]) -> float:
    """The foot's length, once its targets are made (``fit_targets`` refuses a foot without one)."""
    length = foot_values.get("foot_length_mm")
    if length is None:
        raise LastError("the foot has no foot length: a last needs it")
    return float(length)


def last_files(
    result: FittedLast,
    stem: str,
    foot_vertices: np.ndarray | None = None,
    foot_faces: np.ndarray | None = None,
    foot_length_mm: float | None = None,
) -> dict[str, bytes]:
    """Every file of the last, by file name: meshes, parameters, drawing, heat map, ``last.json``."""
    posed = result.posed
    files: dict[str, bytes] = {
        f"{stem}.{fmt}": last_mesh_bytes(posed.vertices, posed.faces, fmt, stem) for fmt in LAST_MESH_FORMATS
    }
    files[f"{stem}.params.json"] = (json.dumps(result.fit.last.params.to_dict(), indent=2) + "\n").encode()
    drawing = last_drawing_svg(result.fit.last, f"{stem}: {result.targets.style}", result.fit.achieved)
    files[f"{stem}.drawing.svg"] = drawing.encode()
    if result.report is not None and foot_vertices is not None and foot_faces is not None and foot_length_mm:
        standing = result.fit.last
        svg = heat_map_svg(
            foot_vertices,
            foot_faces,
            standing.vertices,
            standing.faces,
            result.report,
            f"{stem}: fit of the {result.side} foot",
            foot_length_mm,
        )
        files[f"{stem}.fit-report.svg"] = svg.encode()
    record = result.record([*files, f"{stem}.json"])
    files[f"{stem}.json"] = (json.dumps(record, indent=2) + "\n").encode()
    return files

"""A foot's last, whole: fitted, posed, reported on, and written as the files a last maker uses.

One entry point for the CLI (``cspms last fit``) and the pipeline's last stage, so both give the same
files: the posed last as STL / OBJ / 3MF (mm) and GLB (m, +Y up), its parameters (JSON), its drawing
(SVG), the fit report's heat map (SVG, when the foot's surface is known) and ``last.json``: targets,
achieved values (the same keys as the scan's measurements), errors, the fit report and the file list.

With the foot's surface (a scan) the last is *shaped to the foot*: the style's parametric last solved to the
targets, then deformed toward the foot under the rule map (:mod:`lasts.shaping`, :mod:`lasts.rule_map`); its
parameters carry the deformation. From typed measurements alone it is the parametric last.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lasts.base_lasts import fit_on_base
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
    fit_targets,
    measure_last,
)
from lasts.model import LastMesh, LastParameters, ToeShape, build_last
from lasts.pose import pose_last
from lasts.rule_map import DEFAULT_ROOM_RULES, RoomRules, rule_map
from lasts.shaping import DEFAULT_SHAPING_RULES, ShapedLast, ShapingError, ShapingRules, shape_last
from lasts.side import Side


@dataclass(frozen=True)
class FittedLast:
    side: Side
    targets: FitTargets
    fit: LastFit
    posed: LastMesh
    report: FitReport | None
    shaping: ShapedLast | None = None  # how the last was shaped to the foot (None: the parametric last)
    unshaped: str | None = None  # why a last with the foot's surface is not shaped to it

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
            "shaping": self.shaping.record() if self.shaping is not None else (
                None if self.unshaped is None else {"not_shaped": self.unshaped}),
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
    foot_faces: np.ndarray | None = None,
    room_rules: RoomRules = DEFAULT_ROOM_RULES,
    shaping_rules: ShapingRules = DEFAULT_SHAPING_RULES,
    base_last: LastParameters | None = None,
) -> FittedLast:
    """Fit, pose and (with the foot's surface, mm in its measuring frame) report. With the surface's faces too, the
    last is shaped to the foot (the parametric last solved to the targets is the base); without, it is the
    parametric last. ``base_last``: a stored base last's parameters (``lasts.base_lasts``), the fit's starting
    shape instead of the parametric last."""
    if side not in (Side.LEFT, Side.RIGHT):
        raise LastError(f"side {side!r}: left or right")
    shaping: ShapedLast | None = None
    unshaped = None
    if foot_vertices is not None and foot_faces is not None:
        # The base is solved on the coarse mesh only: the shaping's correction brings every girth to its target.
        targets, base = fit_on_base(dict(foot_values), side, style, fit, toe_shape, rules, base_last, 12_000)
        length = _foot_length_mm(foot_values)
        rules_map = rule_map(targets, base.last.params, length, room_rules)
        try:
            shaping = shape_last(base, foot_vertices, foot_faces, rules_map, shaping_rules)
        except ShapingError as exc:  # the parametric last then, said so in last.json
            unshaped = f"the last could not be shaped to this foot ({exc}): it is the style's parametric last"
    if shaping is not None:
        solved = shaping.fit
    else:
        targets, solved = fit_on_base(dict(foot_values), side, style, fit, toe_shape, rules, base_last)
    report = None
    if foot_vertices is not None:
        # The fit is judged standing, foot and last in the same frame: the foot was scanned standing.
        last = solved.last
        report = fit_report(foot_vertices, _foot_length_mm(foot_values), last.vertices, last.faces,
                            rule_map=None if shaping is None else shaping.rule_map, foot_faces=foot_faces)  # fmt: skip
    return FittedLast(Side(side), targets, solved, pose_last(solved.last), report, shaping, unshaped)


def revised_last(
    foot_values: Mapping[str, float | None],
    params: LastParameters,
    style: str = "derby",
    fit: FitPreference = FitPreference.REGULAR,
    foot_vertices: np.ndarray | None = None,
    rules: FitRules = DEFAULT_FIT_RULES,
    face_count: int = 50_000,
    foot_faces: np.ndarray | None = None,
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
        # A shaped last is judged against the rule map it was shaped to (the foot's and the style's, as fitting).
        length = _foot_length_mm(foot_values)
        rules_map = None if params.shape is None else rule_map(targets, params, length)
        report = fit_report(foot_vertices, length, last.vertices, last.faces, rule_map=rules_map,
                            foot_faces=foot_faces)  # fmt: skip
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

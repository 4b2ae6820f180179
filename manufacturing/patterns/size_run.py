"""A pair's design as a size run of patterns, for the pattern-maker.

The pair's last (its newest revision from fit feedback, else the one the pipeline fitted) is graded over the run
(``lasts.grading.grade_lasts``), each size's last is laid with the style and flattened
(``configurator.pattern_making``), and the run is written as the pattern-maker's files:

- one ASTM/AAMA DXF with every piece of every size (one block per piece per size, as ``cspms bench patterns``);
- the run's pieces laid out in rows (``PREVIEW_WIDTH_MM``) as a cutter DXF, an HPGL ``.plt``, an SVG and a tiled
  A4 PDF at 1:1;
- ``report.json``: per size, the graded last against its targets and each piece's strain.

Making a run costs about 1.5 s a size (grade + flatten), so it is stored: artifacts of stage
``patterns.size_run`` keyed by the sha256 of everything that decides them (last, style, side, size system,
sizes); asking again reads them back. The web server makes them in its geometry pool (``size_run_files`` in another
process, with a deadline). Services never commit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from configurator.pattern_lasts import PATTERN_FACE_COUNT, pattern_last
from configurator.pattern_making import flatten_style, pattern_set
from configurator.styles.library import STYLES
from geometry.errors import ConflictError, InputError
from geometry.exchange.astm_dxf import write_astm_dxf
from geometry.exchange.cutter import cutter_paths, shelf_layout, write_cutter_dxf, write_hpgl
from geometry.exchange.pattern_pdf import pattern_pdf
from geometry.exchange.pattern_svg import pattern_svg
from geometry.pattern import PatternPiece, PatternSet
from lasts.errors import LastError, SizeError
from lasts.grading import GradeRules, grade_lasts, parse_size_run
from lasts.model import LastParameters
from lasts.side import Side
from lasts.sizes import get_size_system
from manufacturing.artifacts import ArtifactStore
from manufacturing.db import repositories
from manufacturing.db.models import Artifact, Pair
from manufacturing.feedback.service import current_last
from manufacturing.geometry_pool import GeometryPool
from manufacturing.patterns.files import PREVIEW_WIDTH_MM
from manufacturing.states import StageState

SIZE_RUN_STAGE = "patterns.size_run"
SIZE_RUN_VERSION = 1  # bump when the same inputs would give other files
MAX_SIZES = 12  # about 20 s of grading and flattening: a pattern-maker's run, not the whole range at once
KIND_PREFIX = "size_run."
_FORMATS = {  # kind suffix → (file suffix, media type)
    "dxf": (".dxf", "application/dxf"),
    "cutter.dxf": (".cutter.dxf", "application/dxf"),
    "plt": (".plt", "application/vnd.hp-hpgl"),
    "svg": (".svg", "image/svg+xml"),
    "pdf": (".pdf", "application/pdf"),
    "report.json": (".report.json", "application/json"),
}
_LAST_FIT = "last.fit"
_DONE = (StageState.SUCCEEDED, StageState.REUSED)


class SizeRunError(InputError):
    """A size run that cannot be made: sizes that do not parse, too many, an unknown size system or side."""

    code = "invalid_size_run"


@dataclass(frozen=True)
class SizeRunRequest:
    sizes: tuple[float, ...]
    system: str
    side: Side

    @classmethod
    def parse(cls, sizes: str, system: str = "eu", side: str = "right") -> SizeRunRequest:
        """``sizes`` as ``38-46`` (every stock step of the system) or ``40,41,42.5``."""
        try:
            get_size_system(system)
            parsed = parse_size_run(sizes, system)
        except (LastError, SizeError) as exc:
            raise SizeRunError(str(exc), sizes=sizes, system=system) from None
        if side not in (Side.LEFT, Side.RIGHT):
            raise SizeRunError(f"side {side!r}: left or right", side=side)
        if not parsed:
            raise SizeRunError(f"size run {sizes!r} has no size", sizes=sizes)
        if len(parsed) > MAX_SIZES:
            raise SizeRunError(f"{len(parsed)} sizes in one run: at most {MAX_SIZES}", sizes=sizes)
        if len(set(parsed)) != len(parsed):
            raise SizeRunError(f"size run {sizes!r} repeats a size", sizes=sizes)
        return cls(tuple(sorted(parsed)), system, Side(side))


@dataclass(frozen=True)
class SizeRun:
    input_key: str
    files: tuple[Artifact, ...]  # one per kind, in ``_FORMATS`` order
    report: dict[str, Any]
    first: bool  # False: the run was made before; it was read back


@dataclass(frozen=True)
class SizeRunFiles:
    """What ``size_run_files`` makes (it crosses back from the geometry pool): each file's bytes by kind suffix
    (``_FORMATS``) and the report."""

    files: dict[str, bytes]
    report: dict[str, Any]


def _label(graded_label: str, system: str) -> str:
    """The size as the files name it: ``41`` for EU (as the patterns stage), else ``UK-8``."""
    return graded_label.removeprefix("EU ") if system == "eu" else graded_label.replace(" ", "-")


def size_run_files(params: LastParameters, style: str, request: SizeRunRequest, stem: str) -> SizeRunFiles:
    """Pure: the files and report of the run made on ``params`` (mm)."""
    if style not in STYLES:
        raise SizeRunError(f"unknown style {style!r}", style=style)
    base = replace(params, side=request.side)
    # Graded and flattened at the patterns stage's resolution: a run's sample size is the pair's own pieces.
    graded = grade_lasts(base, list(request.sizes), GradeRules(system=request.system), face_count=PATTERN_FACE_COUNT)
    pieces: list[PatternPiece] = []
    sizes: list[dict[str, Any]] = []
    for size in graded:
        label = _label(size.label, request.system)
        flat = flatten_style(STYLES[style](), pattern_last(size.fit.last.params), label)
        pieces += pattern_set(flat, label).pieces
        sizes.append({
            "size": size.size, "label": label, "last": size.summary(),
            "over_budget_changes": list(flat.changes),
            "pieces": [{"piece": p.spec.name, "kind": p.spec.kind, "within_budget": p.within_budget,
                        "area_change_mean_pct": round(p.strain.area_change_mean_pct, 3),
                        "edge_strain_p99_pct": round(p.strain.edge_strain_p99_pct, 3),
                        "flipped_faces": p.strain.flipped_faces, "cut_area_mm2": round(p.pattern.area_mm2, 1)}
                       for p in flat.pieces],
        })  # fmt: skip
    labels = [s["label"] for s in sizes]
    title = f"{STYLES[style]().title}, sizes {labels[0]}–{labels[-1]} ({request.system.upper()}), {request.side}"
    # The base last's own size anchors the run; the sample size is the run's size nearest to it.
    anchor = min(sizes, key=lambda s: abs(s["last"]["targets"]["foot_length_mm"] - params.stick_length_mm))
    patterns = PatternSet(style_name=style, sample_size=anchor["label"], pieces=tuple(pieces))
    laid_out = shelf_layout(patterns.pieces, PREVIEW_WIDTH_MM)
    paths = cutter_paths(laid_out)
    files: dict[str, bytes] = {
        "dxf": write_astm_dxf(patterns),
        "cutter.dxf": write_cutter_dxf(paths),
        "plt": write_hpgl(paths),
        "svg": pattern_svg(laid_out, title).encode(),
        "pdf": pattern_pdf(laid_out, title),
    }
    report: dict[str, Any] = {
        "style": style, "side": request.side, "system": request.system, "sizes": sizes,
        "sample_size": anchor["label"], "pieces_per_size": len(pieces) // max(1, len(sizes)),
        "all_lasts_within_tolerance": all(s["last"]["within_tolerance"] for s in sizes),
        "all_pieces_within_budget": all(p["within_budget"] for s in sizes for p in s["pieces"]),
        "files": [f"{stem}{_FORMATS[k][0]}" for k in _FORMATS],
    }  # fmt: skip
    files["report.json"] = (json.dumps(report, indent=2) + "\n").encode()
    return SizeRunFiles(files, report)


def pair_last(session: Session, store: ArtifactStore, pair: Pair) -> tuple[LastParameters, dict[str, Any]]:
    """The last a re-order of the pair's design is made on: the newest revision from fit feedback, else the
    ``last.params.json`` of the pair's latest run whose ``last.fit`` stage finished (409 before that)."""
    revision = current_last(session, pair.design.design_key)
    if revision is not None:
        return LastParameters.from_dict(revision.parameters), {"source": "revision", "revision": revision.revision,
                                                               "artifact_id": revision.artifact_id}  # fmt: skip
    for run in reversed(repositories.runs_for_pair(session, pair.id)):
        stage_run = repositories.get_stage_run(session, run.id, _LAST_FIT)
        if stage_run is None or stage_run.state not in _DONE:
            continue
        for artifact in repositories.artifacts_by_ids(session, stage_run.artifact_ids or []):
            if artifact.kind == "last.params.json":
                params = LastParameters.from_dict(json.loads(store.read_bytes(artifact.sha256)))
                return params, {"source": "fitted", "revision": None, "artifact_id": artifact.id}
    raise ConflictError(f"pair {pair.serial} has no fitted last yet: ask again when its last.fit stage is done",
                        pair=pair.serial)  # fmt: skip


def _input_key(params: LastParameters, style: str, request: SizeRunRequest) -> str:
    decided_by = {"last": params.to_dict(), "style": style, "side": request.side, "system": request.system,
                  "sizes": list(request.sizes)}  # fmt: skip
    digest = hashlib.sha256(json.dumps(decided_by, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"size_run:{digest}"


def _stem(style: str, request: SizeRunRequest) -> str:
    first, last = (f"{s:g}" for s in (request.sizes[0], request.sizes[-1]))
    return f"{style}-{request.system}{first}-{last}-{request.side}"


def make_size_run(
    session: Session, store: ArtifactStore, pair: Pair, request: SizeRunRequest, pool: GeometryPool | None = None
) -> SizeRun:
    """The run's files for the pair's design: read back when made before, else made and stored now. ``pool``:
    where they are made (None: in this process)."""
    params, source = pair_last(session, store, pair)
    style = pair.design.style
    key = _input_key(params, style, request)
    stored = {a.kind: a for a in repositories.find_stage_outputs(session, key, SIZE_RUN_STAGE, SIZE_RUN_VERSION)}
    kinds = [f"{KIND_PREFIX}{k}" for k in _FORMATS]
    if all(kind in stored for kind in kinds):
        report = json.loads(store.read_bytes(stored[f"{KIND_PREFIX}report.json"].sha256))
        return SizeRun(key, tuple(stored[k] for k in kinds), report, first=False)
    stem = _stem(style, request)
    task = (params, style, request, stem)
    made = pool.run(size_run_files, *task, what="making the size run") if pool is not None else size_run_files(*task)
    made.report["last"] = source
    made.files["report.json"] = (json.dumps(made.report, indent=2) + "\n").encode()
    files = []
    for suffix, (file_suffix, media_type) in _FORMATS.items():
        files.append(repositories.add_artifact(
            session, store.put_bytes(made.files[suffix]), kind=f"{KIND_PREFIX}{suffix}",
            filename=f"{stem}{file_suffix}", media_type=media_type, input_key=key, stage=SIZE_RUN_STAGE,
            stage_version=SIZE_RUN_VERSION,
        ))  # fmt: skip
    return SizeRun(key, tuple(files), made.report, first=True)

"""The pipeline's stages: each adapts one pure domain function to stored inputs and artifacts.

A stage names its input (``input_key``) and its version; the runner reuses an existing artifact for the
same (input, stage, version), so reruns are no-ops. Bump ``version`` whenever a stage's output would change.

To add a stage: write the pure function in its domain package, add a ``Stage`` here whose ``run`` loads
what it needs from the context, calls it and returns ``StageOutput``s, and list it in ``ORDER_PIPELINE``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from configurator.options import DesignOptions, parse_options
from geometry.exchange.meshes import write_ply
from lasts.fitting import FitPreference
from lasts.measurements import measurements_from_json, measurements_to_json
from lasts.scans import IngestOptions, MeasuredFoot, ingest_scan
from lasts.sheet import measurement_sheet_svg
from lasts.side import Side
from lasts.side_claims import claimed_side_from_filename
from lasts.typed_foot import TypedFoot, typed_foot_measurements
from manufacturing.artifacts import ArtifactStore
from manufacturing.db.models import Design, FootScan, Pair, PipelineRun

if TYPE_CHECKING:
    from manufacturing.designs.service import DesignedPair


@dataclass(frozen=True)
class StageOutput:
    kind: str
    filename: str
    media_type: str
    data: bytes


@dataclass
class StageContext:
    """What a stage may read: the run's pair, design and scan, and the artifact store."""

    session: Session
    store: ArtifactStore
    run: PipelineRun

    @property
    def pair(self) -> Pair:
        return self.run.pair

    @property
    def design(self) -> Design:
        return self.pair.design

    @property
    def scan(self) -> FootScan:
        scan = self.design.foot_scan
        assert scan is not None, "order pipelines always have a scan"
        return scan

    @property
    def ingest_options(self) -> IngestOptions:
        """As the scan was read when it was uploaded: as the side the customer confirmed (or the foot of a
        two-foot file the row is), else as its shape shows, checked against its file name."""
        side = self.scan.confirmed_side
        return IngestOptions(side=Side(side) if side is not None else "auto")

    @property
    def typed_foot(self) -> TypedFoot | None:
        """What was typed, for a foot made from typed measurements; None for a scan."""
        return None if self.scan.typed is None else TypedFoot.from_dict(self.scan.typed)

    def scan_bytes(self) -> bytes:
        return self.store.read_bytes(self.scan.upload_artifact.sha256)


@dataclass(frozen=True)
class Stage:
    name: str
    version: int
    description: str
    input_key: Callable[[StageContext], str]
    run: Callable[[StageContext], list[StageOutput]]
    # Optional: copy facts from the outputs onto domain records (e.g. the scan summary).
    record: Callable[[StageContext, list[StageOutput]], None] | None = None


def json_output(kind: str, filename: str, payload: dict[str, Any]) -> StageOutput:
    data = json.dumps(payload, indent=2, sort_keys=True).encode()
    return StageOutput(kind=kind, filename=filename, media_type="application/json", data=data)


def scan_measure_key(scan_sha256: str, options: IngestOptions, filename: str, typed: bool = False) -> str:
    """``scan.measure``'s input key: the scan's content and how it is read, the side claimed (by its file name)
    included: the same bytes claimed or confirmed as the other side are another measurement (or a refusal).
    ``typed``: a foot made from typed measurements (its record says which values were typed)."""
    claimed = options.claimed_side
    if claimed == "from_filename":
        claimed = claimed_side_from_filename(filename)
    typed_part = ":typed" if typed else ""
    return (f"scan:{scan_sha256}:units={options.units}:side={options.side}:claimed={claimed}"
            f":cut={options.cut_height}{typed_part}")  # fmt: skip


def _scan_key(ctx: StageContext) -> str:
    return scan_measure_key(ctx.scan.sha256, ctx.ingest_options, ctx.scan.original_filename, ctx.scan.typed is not None)


def measure_scan(
    data: bytes, filename: str, options: IngestOptions, typed: TypedFoot | None = None
) -> list[StageOutput]:
    """``scan.measure``'s work on a scan file: the measurement record, the measurement sheet and the oriented
    foot surface (also run outside any pipeline run, for a scan uploaded on its own). ``typed``: the file is a
    foot made from these typed measurements."""
    return scan_measure_outputs(ingest_scan(data, filename, options), filename, typed)


def scan_measure_outputs(foot: MeasuredFoot, filename: str, typed: TypedFoot | None = None) -> list[StageOutput]:
    """``scan.measure``'s outputs for a measured foot (one of a two-foot file's, measured together)."""
    record = foot.to_dict()
    if typed is not None:  # the girths it took from the template are estimates, not the customer's
        record.update(measurements_to_json(typed_foot_measurements(foot.record())))
    sheet = measurement_sheet_svg(foot.surface.vertices, foot.landmarks, foot.measurements, filename, foot.side)
    return [
        json_output("scan.measurements", "foot-measurements.json", record),
        StageOutput("scan.sheet", "measurement-sheet.svg", "image/svg+xml", sheet.encode()),
        StageOutput(
            "foot.surface",
            "foot-oriented.ply",
            "application/octet-stream",
            write_ply(foot.surface.vertices, foot.surface.faces),
        ),
    ]


def record_scan_measurements(scan: FootScan, outputs: list[StageOutput]) -> None:
    """Copy ``scan.measure``'s record onto the scan: its summary, side and units, its measurements (estimates
    and warnings included) with the landmarks (the row keeps the side in its own column), what of the foot
    the scan holds and how its side was settled."""
    record = json.loads(next(o for o in outputs if o.kind == "scan.measurements").data)
    foot = measurements_from_json(record, record.get("side"))
    scan.summary = record["scan"]
    scan.side = foot.side.value
    scan.units_detected = record["units_detected"]
    scan.measurements = {**measurements_to_json(foot), "landmarks": record["landmarks"]}
    scan.coverage = record.get("coverage")
    scan.side_decision = record.get("side_decision")


SCAN_MEASURE = Stage(
    name="scan.measure",
    version=2,  # 2: the record says what of the foot the scan holds, how its side was settled, what is estimated
    description=(
        "Read the scan, keep one foot (the one confirmed, of a two-foot file), detect units, settle the side "
        "(checked against the file name), orient it, find landmarks, measure it and estimate what the scan "
        "lacks; store the measurements, the measurement sheet and the oriented foot surface."
    ),
    input_key=_scan_key,
    run=lambda ctx: measure_scan(ctx.scan_bytes(), ctx.scan.original_filename, ctx.ingest_options, ctx.typed_foot),
    record=lambda ctx, outputs: record_scan_measurements(ctx.scan, outputs),
)


def _stage_output_bytes(ctx: StageContext, stage: Stage, kind: str) -> bytes:
    """An earlier stage's artifact for this run (the runner has made it before this stage runs)."""
    from manufacturing.db.repositories import find_artifact

    artifact = find_artifact(ctx.session, stage.input_key(ctx), stage.name, stage.version, kind)
    if artifact is None:
        raise LookupError(f"{stage.name} has not stored its {kind} for this run")
    return ctx.store.read_bytes(artifact.sha256)


def _fit_preference(ctx: StageContext) -> FitPreference:
    return FitPreference(ctx.design.options.get("fit_preference", FitPreference.REGULAR))


def _last_key(ctx: StageContext) -> str:
    key = f"{_scan_key(ctx)}|style={ctx.design.style}|fit={_fit_preference(ctx)}"
    revision = _last_revision(ctx)
    # A re-order after fit feedback is made on the newest revision of the design's last: a new key, new files.
    return key if revision is None else f"{key}|last_revision={revision.id}"


def _last_revision(ctx: StageContext) -> Any:
    from manufacturing.feedback.service import current_last

    return current_last(ctx.session, ctx.design.design_key)


_MEDIA = {".json": "application/json", ".svg": "image/svg+xml", ".glb": "model/gltf-binary", ".pdf": "application/pdf"}


def _file_outputs(prefix: str, files: dict[str, bytes], stem: str) -> list[StageOutput]:
    """One output per file; its kind is the prefix and the file name without the run's stem (kinds are short
    and the same for every design: ``patterns.right.dxf``, ``last.stl``)."""
    outputs = []
    for name, data in files.items():
        suffix = name[name.rfind(".") :]
        kind = f"{prefix}.{name.removeprefix(stem).lstrip('-.') or name}"
        outputs.append(StageOutput(kind, name, _MEDIA.get(suffix, "application/octet-stream"), data))
    return outputs


def _run_last_fit(ctx: StageContext) -> list[StageOutput]:
    from dataclasses import replace

    from geometry.exchange.meshes import read_mesh
    from lasts.fitted import fitted_last, last_files, revised_last
    from lasts.model import LastParameters

    record = json.loads(_stage_output_bytes(ctx, SCAN_MEASURE, "scan.measurements"))
    foot = measurements_from_json(record, record.get("side"))
    surface = read_mesh(_stage_output_bytes(ctx, SCAN_MEASURE, "foot.surface"), "foot.ply")
    revision = _last_revision(ctx)
    if revision is not None:
        params = replace(LastParameters.from_dict(revision.parameters), side=foot.side)  # the scanned foot
        result = revised_last(foot.completed_mm, params, ctx.design.style, _fit_preference(ctx), surface.vertices,
                              foot_faces=surface.faces)  # fmt: skip
    else:
        result = fitted_last(foot.completed_mm, foot.side, ctx.design.style, _fit_preference(ctx), None,
                             surface.vertices, foot_faces=surface.faces)  # fmt: skip
    files = last_files(result, "last", surface.vertices, surface.faces, foot.values_mm["foot_length_mm"])
    return _file_outputs("last", files, "last")


LAST_FIT = Stage(
    name="last.fit",
    version=2,  # 2: the last is shaped to the foot's surface (lasts.shaping)
    description=(
        "Fit the style's last to the measured foot (targets = foot + the style's allowances), shape it to the foot "
        "under the style's rule map, pose it, report the fit; store the meshes (STL, OBJ, 3MF, GLB), parameters, "
        "drawing, fit report and last.json."
    ),
    input_key=_last_key,
    run=_run_last_fit,
)


def _run_patterns(ctx: StageContext) -> list[StageOutput]:
    from lasts.model import LastParameters
    from manufacturing.designs.service import design_on_lasts
    from manufacturing.patterns.files import pair_files

    params = LastParameters.from_dict(json.loads(_stage_output_bytes(ctx, LAST_FIT, "last.params.json")))
    size = str(ctx.design.options.get("size") or "custom")
    options = parse_options(ctx.design.options)
    # One scanned foot: its last, and its mirror image for the other foot.
    made = design_on_lasts(options, {params.side: params}, size_label=size)
    stem = f"{ctx.design.style}-{size}"
    outputs = _file_outputs("patterns", pair_files(made.pieces, size, stem), stem)
    # The BOM needs the flattened pieces themselves, which live only here: computed with them.
    return [*outputs, json_output("bom.record", "bom.json", _bom_record(ctx, options, made))]


def _bom_record(ctx: StageContext, options: DesignOptions, made: DesignedPair) -> dict[str, Any]:
    """The pair's BOM and quote, and what routing needs of its geometry (per shoe)."""
    shoe = made.pieces.right
    return {
        "bom": made.bom.to_dict(),
        "quote": made.quote.to_dict(),
        "routing_inputs": {
            "style": ctx.design.style,
            "piece_count": len(shoe.pieces),
            "seam_length_mm": round(sum(s["length_3d_mm"] for s in shoe.seam_mismatches_mm()), 1),
            "eyelets": sum(len(p.pattern.drill_holes) for p in shoe.pieces),
            "hand_stitching": options.hand_stitching,
            "memory_foam": options.memory_foam,
            "logo_method": options.logo.method if options.logo is not None else None,
        },
    }


PATTERNS_MAKE = Stage(
    name="patterns.make",
    version=2,
    description=(
        "Lay the style on the pair's lasts, flatten every piece (strain report, seams equalised, allowances); "
        "store ASTM DXF, cutter DXF and PLT, SVG, PDF and strain maps per foot, the pattern report, and the "
        "pair's bill of materials and quote (bom.json)."
    ),
    input_key=lambda ctx: f"{_last_key(ctx)}|size={ctx.design.options.get('size') or 'custom'}",
    run=_run_patterns,
)

DEFAULT_LEAD_TIME_DAYS = 14  # a pair's due date when the order gives none


def _run_work_order(ctx: StageContext) -> list[StageOutput]:
    record = json.loads(_stage_output_bytes(ctx, PATTERNS_MAKE, "bom.record"))
    return [json_output("work_order.request", "work-order.json", {
        "pair_serial": ctx.pair.serial,
        "routing_inputs": record["routing_inputs"],
        "bom": record["bom"],
    })]  # fmt: skip


def _record_work_order(ctx: StageContext, outputs: list[StageOutput]) -> None:
    """Release the pair's work order (idempotent: a pair keeps the one it was released with)."""
    from datetime import timedelta

    from manufacturing.planning.routing import RoutingInputs
    from manufacturing.planning.service import release_work_order

    request = json.loads(outputs[0].data)
    due = ctx.pair.created_at + timedelta(days=DEFAULT_LEAD_TIME_DAYS)
    release_work_order(ctx.session, ctx.pair.id, RoutingInputs(**request["routing_inputs"]), request["bom"], due)


WORK_ORDER_RELEASE = Stage(
    name="work_order.release",
    version=1,
    description="Release the pair's work order with copies of its routing (from the pieces' geometry) and BOM.",
    input_key=lambda ctx: f"pair:{ctx.pair.serial}|{PATTERNS_MAKE.input_key(ctx)}",
    run=_run_work_order,
    record=_record_work_order,
)

STAGES: dict[str, Stage] = {stage.name: stage for stage in (SCAN_MEASURE, LAST_FIT, PATTERNS_MAKE, WORK_ORDER_RELEASE)}

# The stages an order's pair goes through, in order.
ORDER_PIPELINE: tuple[str, ...] = ("scan.measure", "last.fit", "patterns.make", "work_order.release")

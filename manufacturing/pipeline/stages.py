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
from typing import Any

from sqlalchemy.orm import Session

from geometry.exchange.meshes import write_ply
from lasts.scans import IngestOptions, ingest_scan
from lasts.sheet import measurement_sheet_svg
from manufacturing.artifacts import ArtifactStore
from manufacturing.db.models import Design, FootScan, Pair, PipelineRun


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
        return IngestOptions()

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


def _scan_key(ctx: StageContext) -> str:
    options = ctx.ingest_options
    return f"scan:{ctx.scan.sha256}:units={options.units}:side={options.side}:cut={options.cut_height}"


def _run_scan_measure(ctx: StageContext) -> list[StageOutput]:
    foot = ingest_scan(ctx.scan_bytes(), ctx.scan.original_filename, ctx.ingest_options)
    sheet = measurement_sheet_svg(
        foot.surface.vertices, foot.landmarks, foot.measurements, ctx.scan.original_filename, foot.side
    )
    return [
        json_output("scan.measurements", "foot-measurements.json", foot.to_dict()),
        StageOutput("scan.sheet", "measurement-sheet.svg", "image/svg+xml", sheet.encode()),
        StageOutput(
            "foot.surface",
            "foot-oriented.ply",
            "application/octet-stream",
            write_ply(foot.surface.vertices, foot.surface.faces),
        ),
    ]


def _record_scan_measurements(ctx: StageContext, outputs: list[StageOutput]) -> None:
    record = json.loads(outputs[0].data)
    ctx.scan.summary = record["scan"]
    ctx.scan.side = record["side"]
    ctx.scan.units_detected = record["units_detected"]
    ctx.scan.measurements = {k: v for k, v in record.items() if k.endswith("_mm") or k == "landmarks"}


SCAN_MEASURE = Stage(
    name="scan.measure",
    version=1,
    description=(
        "Read the scan, keep one foot, detect units and side, orient it, find landmarks and measure it; "
        "store the measurements, the measurement sheet and the oriented foot surface."
    ),
    input_key=_scan_key,
    run=_run_scan_measure,
    record=_record_scan_measurements,
)

STAGES: dict[str, Stage] = {stage.name: stage for stage in (SCAN_MEASURE,)}

# The stages an order's pair goes through, in order.
ORDER_PIPELINE: tuple[str, ...] = ("scan.measure",)

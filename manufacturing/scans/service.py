"""Foot scans: store an upload and measure it now, as the pipeline's ``scan.measure`` stage does (the same
stored outputs serve both: a file measured before is not measured again); a foot from typed measurements,
made into a scan file first; a scan's measurements read back. Services never commit.

An upload is read as the side the customer confirmed, if any (kept on the row, so its order's pipeline reads it
the same way); a file name claiming the other foot is refused saying what to send. A file holding both feet
becomes two scans, one per foot, measured together.

An upload arrives staged (written and hashed, under no key yet): it becomes a blob only once it has been
measured, so a rejected file leaves nothing in the store. The web server measures in its geometry pool
(``manufacturing/geometry_pool.py``, off its event loop, with a deadline); the pool's process reads the staged
file itself, so the bytes never cross a pipe.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from geometry.errors import ConfigurationError, NotFoundError
from geometry.exchange.meshes import ReadLimits
from geometry.exchange.threemf import ArchiveLimits
from lasts.errors import SeveralFeetError, SideMismatchError
from lasts.measurements import Measurements, measurements_from_json
from lasts.scans import IngestOptions, MeasuredPair, ingest_feet
from lasts.side import Side
from lasts.typed_foot import TypedFoot, typed_foot_mesh
from manufacturing.artifacts import ArtifactStore, StagedBlob
from manufacturing.db import repositories
from manufacturing.db.models import FootScan
from manufacturing.geometry_pool import GeometryPool
from manufacturing.pipeline.runner import StageResult, reuse_or_compute
from manufacturing.pipeline.stages import (
    SCAN_MEASURE,
    StageOutput,
    measure_scan,
    record_scan_measurements,
    scan_measure_key,
    scan_measure_outputs,
)
from manufacturing.settings import Settings


def upload_ingest_options(settings: Settings, side: Side | None = None) -> IngestOptions:
    """How an upload is read: the stage's options (so an order reuses the measurement), the settings' limits;
    ``side``: the side the customer confirmed (None: the one the scan's shape shows)."""
    archive = ArchiveLimits(max_unpacked_bytes=settings.max_unpacked_bytes)
    return IngestOptions(side=side or "auto", read_limits=ReadLimits(max_elements=settings.max_scan_elements,
                                                                     archive=archive))  # fmt: skip


def measure_scan_file(
    path: Path, filename: str, options: IngestOptions, typed: TypedFoot | None = None
) -> list[StageOutput]:
    """``scan.measure``'s work on a staged scan file (what a geometry pool's process runs)."""
    return measure_scan(path.read_bytes(), filename, options, typed)


def measure_feet_file(path: Path, filename: str, options: IngestOptions) -> list[tuple[Side, list[StageOutput]]]:
    """``scan.measure``'s work on both feet of a two-foot file, measured together: each foot's outputs as the
    stage makes them with that side confirmed (an order for either foot reuses them). ``SeveralFeetError``
    unless they are a left and a right foot."""
    measured = ingest_feet(path.read_bytes(), filename, options)
    if not isinstance(measured, MeasuredPair):  # read as one foot after all
        return [(measured.side, scan_measure_outputs(measured, filename))]
    if not measured.is_left_and_right:
        raise SeveralFeetError(
            f"the file holds two {measured.sides[0]} feet: upload the left and the right foot, in one file or each "
            "on its own", sides=[str(side) for side in measured.sides],
        )  # fmt: skip
    return [(foot.side, scan_measure_outputs(foot, filename)) for foot in measured.feet]


def store_and_measure_scan(
    session: Session,
    store: ArtifactStore,
    *,
    customer_email: str,
    filename: str,
    data: bytes | StagedBlob,
    options: IngestOptions | None = None,
    typed: TypedFoot | None = None,
    pool: GeometryPool | None = None,
) -> FootScan:
    """Measure the upload (or reuse the stage's stored outputs), then store it and its ``FootScan`` with the
    measurements recorded (no commit). ``pool``: where to measure (None: in this process). A file that cannot
    be measured is discarded: it leaves no blob. ``typed``: the file is a foot made from typed measurements.

    A file holding a left and a right foot gives two scans, one per foot, each the other's ``other_foot_id``:
    the one returned is the foot the customer confirmed or the file name claims, else the left."""
    staged = data if isinstance(data, StagedBlob) else store.stage_bytes(data)
    options = options or IngestOptions()
    try:
        feet = _measured_feet(session, store, staged, filename, options, typed, pool)
        blob = store.commit(staged)
    except SideMismatchError as exc:
        store.discard(staged)
        said = _mismatch_for_upload(exc, filename)
        if said is exc:
            raise
        raise said from exc
    except BaseException:
        store.discard(staged)
        raise
    customer = repositories.get_or_create_customer(session, customer_email)
    upload = repositories.add_artifact(
        session, blob, kind="scan.upload", filename=filename, media_type="application/octet-stream",
        input_key=f"scan:{blob.sha256}", stage="upload", stage_version=1,
    )  # fmt: skip
    scans = []
    for side, result in feet:
        scan = FootScan(
            customer=customer, original_filename=filename, sha256=blob.sha256, size_bytes=blob.size_bytes,
            upload_artifact=upload, summary={}, confirmed_side=None if side is None else side.value,
            typed=None if typed is None else typed.to_dict(),
        )  # fmt: skip
        session.add(scan)
        record_scan_measurements(scan, result.outputs)
        scans.append(scan)
    session.flush()
    if len(scans) == 2:
        scans[0].other_foot_id, scans[1].other_foot_id = scans[1].id, scans[0].id
        session.flush()
    return scans[0]


def _measured_feet(
    session: Session,
    store: ArtifactStore,
    staged: StagedBlob,
    filename: str,
    options: IngestOptions,
    typed: TypedFoot | None,
    pool: GeometryPool | None,
) -> list[tuple[Side | None, StageResult]]:
    """The stage's results for each foot to store, with the side its row reads the scan as (None: as its shape
    shows): the one foot; or, of a two-foot file, the foot asked for and the other one, or (none asked) both."""

    def run(task: Callable[..., Any], *args: Any) -> Any:
        return task(*args) if pool is None else pool.run(task, *args, what="measuring the scan")

    def measured(side_options: IngestOptions) -> StageResult:
        key = scan_measure_key(staged.sha256, side_options, filename, typed is not None)
        task = (staged.path, filename, side_options, typed)
        return reuse_or_compute(session, store, SCAN_MEASURE, key, lambda: run(measure_scan_file, *task))

    confirmed = None if options.side == "auto" else Side(options.side)
    try:
        first = measured(options)
    except SeveralFeetError as exc:
        if exc.details.get("feet") != 2:
            raise
        return _both_feet(session, store, staged, filename, options, run)
    record = _measurement_record(first.outputs)
    if record.get("feet_in_file") != 2:
        return [(confirmed, first)]
    other = Side(record["side"]).other
    return [(confirmed, first), (other, measured(replace(options, side=other)))]


def _both_feet(
    session: Session,
    store: ArtifactStore,
    staged: StagedBlob,
    filename: str,
    options: IngestOptions,
    run: Callable[..., Any],
) -> list[tuple[Side | None, StageResult]]:
    """Both feet of a two-foot file, measured together once (unless both are stored already)."""
    measured: dict[Side, list[StageOutput]] = {}

    def outputs_of(side: Side) -> list[StageOutput]:
        if not measured:
            measured.update(run(measure_feet_file, staged.path, filename, options))
        return measured[side]

    results: list[tuple[Side | None, StageResult]] = []
    for side in (Side.LEFT, Side.RIGHT):
        key = scan_measure_key(staged.sha256, replace(options, side=side), filename)
        results.append((side, reuse_or_compute(session, store, SCAN_MEASURE, key, partial(outputs_of, side))))
    return results


def _measurement_record(outputs: list[StageOutput]) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(next(o for o in outputs if o.kind == "scan.measurements").data)
    return record


def _mismatch_for_upload(exc: SideMismatchError, filename: str) -> SideMismatchError:
    """The refusal of a scan whose file name claims the other side, saying what to send with the upload."""
    claimed, anatomy = exc.details.get("claimed"), exc.details.get("anatomy")
    if exc.details.get("claimed_by") != "file name" or claimed is None or anatomy is None:
        return exc
    return SideMismatchError(
        f"{filename!r} is named as the {claimed} foot, but the foot in it is a {anatomy} foot. Upload it again with "
        f"the side confirmed: side={anatomy} if it is the {anatomy} foot (its name is wrong), or side={claimed} if it "
        f"is the {claimed} foot exported mirrored (it is then mirrored back, and its record says so)",
        **exc.details,
    )


def typed_foot_file(foot: TypedFoot, template: Path) -> tuple[str, bytes]:
    """A scan file (name, PLY bytes) of the template foot made to typed measurements (docs/measurements.md),
    to be stored and measured like an upload."""
    if not template.is_file():
        raise ConfigurationError(f"the template foot {template} is missing (CSPMS_FOOT_TEMPLATE_PATH)")
    data = typed_foot_mesh(foot, template)
    return f"typed-{foot.side}-{foot.foot_length_mm:g}x{foot.ball_girth_mm:g}.ply", data


def get_scan(session: Session, scan_id: int, may_see: Callable[[int], bool] | None = None) -> FootScan:
    """The scan; one whose customer ``may_see`` refuses reads as missing (its existence is not the caller's to
    learn)."""
    scan = session.get(FootScan, scan_id)
    if scan is None or (may_see is not None and not may_see(scan.customer_id)):
        raise NotFoundError(f"foot scan {scan_id} does not exist", foot_scan_id=scan_id)
    return scan


def scan_measurements(scan: FootScan) -> Measurements | None:
    """The scan's side and measurements; None until it is measured."""
    if not scan.measurements or scan.side is None:
        return None
    return measurements_from_json(scan.measurements, scan.side)  # the row keeps the side in its own column

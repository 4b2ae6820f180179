"""Foot scans: store an upload and measure it now, as the pipeline's ``scan.measure`` stage does (the same
stored outputs serve both: a file measured before is not measured again); a foot from typed measurements,
made into a scan file first; a scan's measurements read back. Services never commit.

An upload arrives staged (written and hashed, under no key yet): it becomes a blob only once it has been
measured, so a rejected file leaves nothing in the store. The web server measures in its geometry pool
(``manufacturing/geometry_pool.py``, off its event loop, with a deadline); the pool's process reads the staged
file itself, so the bytes never cross a pipe.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from geometry.errors import ConfigurationError, NotFoundError
from geometry.exchange.meshes import ReadLimits
from geometry.exchange.threemf import ArchiveLimits
from lasts.measurements import Measurements, measurements_from_json
from lasts.scans import IngestOptions
from lasts.typed_foot import TypedFoot, typed_foot_mesh
from manufacturing.artifacts import ArtifactStore, StagedBlob
from manufacturing.db import repositories
from manufacturing.db.models import FootScan
from manufacturing.geometry_pool import GeometryPool
from manufacturing.pipeline.runner import reuse_or_compute
from manufacturing.pipeline.stages import (
    SCAN_MEASURE,
    StageOutput,
    measure_scan,
    record_scan_measurements,
    scan_measure_key,
)
from manufacturing.settings import Settings


def upload_ingest_options(settings: Settings) -> IngestOptions:
    """How an upload is read: the stage's options (so an order reuses the measurement), the settings' limits."""
    archive = ArchiveLimits(max_unpacked_bytes=settings.max_unpacked_bytes)
    return IngestOptions(read_limits=ReadLimits(max_elements=settings.max_scan_elements, archive=archive))


def measure_scan_file(path: Path, filename: str, options: IngestOptions) -> list[StageOutput]:
    """``scan.measure``'s work on a staged scan file (what a geometry pool's process runs)."""
    return measure_scan(path.read_bytes(), filename, options)


def store_and_measure_scan(
    session: Session,
    store: ArtifactStore,
    *,
    customer_email: str,
    filename: str,
    data: bytes | StagedBlob,
    options: IngestOptions | None = None,
    pool: GeometryPool | None = None,
) -> FootScan:
    """Measure the upload (or reuse the stage's stored outputs), then store it and its ``FootScan`` with the
    measurements recorded (no commit). ``pool``: where to measure (None: in this process). A file that cannot
    be measured is discarded: it leaves no blob."""
    staged = data if isinstance(data, StagedBlob) else store.stage_bytes(data)
    options = options or IngestOptions()
    try:
        key = scan_measure_key(staged.sha256, options)  # the stage's key: an order reuses this measurement
        task = (staged.path, filename, options)

        def measure() -> list[StageOutput]:
            if pool is None:
                return measure_scan_file(*task)
            return pool.run(measure_scan_file, *task, what="measuring the scan")

        result = reuse_or_compute(session, store, SCAN_MEASURE, key, measure)
        blob = store.commit(staged)
    except BaseException:
        store.discard(staged)
        raise
    customer = repositories.get_or_create_customer(session, customer_email)
    upload = repositories.add_artifact(
        session, blob, kind="scan.upload", filename=filename, media_type="application/octet-stream",
        input_key=f"scan:{blob.sha256}", stage="upload", stage_version=1,
    )  # fmt: skip
    scan = FootScan(
        customer=customer, original_filename=filename, sha256=blob.sha256, size_bytes=blob.size_bytes,
        upload_artifact=upload, summary={},
    )  # fmt: skip
    session.add(scan)
    record_scan_measurements(scan, result.outputs)
    session.flush()
    return scan


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

"""Foot scans: store an upload and measure it now, as the pipeline's ``scan.measure`` stage does (the same
stored outputs serve both: a file measured before is not measured again); a foot from typed measurements,
made into a scan file first; a scan's measurements read back. Services never commit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from geometry.errors import ConfigurationError, NotFoundError
from geometry.exchange.meshes import sniff_mesh_format
from lasts.measurements import Measurements, measurements_from_json
from lasts.scans import IngestOptions
from lasts.typed_foot import TypedFoot, typed_foot_mesh
from manufacturing.artifacts import ArtifactStore
from manufacturing.db import repositories
from manufacturing.db.models import FootScan
from manufacturing.pipeline.runner import reuse_or_compute
from manufacturing.pipeline.stages import SCAN_MEASURE, measure_scan, record_scan_measurements, scan_measure_key


def store_and_measure_scan(
    session: Session, store: ArtifactStore, *, customer_email: str, filename: str, data: bytes
) -> FootScan:
    """Store the upload and its ``FootScan``, measure it (or reuse the stage's stored outputs), record the
    measurements on the scan (no commit)."""
    sniff_mesh_format(data, filename)  # refuse non-scan files before anything is stored
    customer = repositories.get_or_create_customer(session, customer_email)
    blob = store.put_bytes(data)
    upload = repositories.add_artifact(
        session, blob, kind="scan.upload", filename=filename, media_type="application/octet-stream",
        input_key=f"scan:{blob.sha256}", stage="upload", stage_version=1,
    )  # fmt: skip
    scan = FootScan(
        customer=customer, original_filename=filename, sha256=blob.sha256, size_bytes=blob.size_bytes,
        upload_artifact=upload, summary={},
    )  # fmt: skip
    session.add(scan)
    options = IngestOptions()  # as the stage reads an order's scan, so an order reuses this measurement
    key = scan_measure_key(blob.sha256, options)
    result = reuse_or_compute(session, store, SCAN_MEASURE, key, lambda: measure_scan(data, filename, options))
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

"""Scans measured on upload: stored as the pipeline's own scan.measure outputs (reused for the same file),
recorded on the scan as typed measurements, and hidden from other customers."""

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from geometry.errors import NotFoundError
from lasts.side import Side
from manufacturing.db.models import Artifact, FootScan
from manufacturing.db.session import session_scope
from manufacturing.pipeline.resources import Resources, build_resources
from manufacturing.pipeline.stages import SCAN_MEASURE
from manufacturing.scans.service import get_scan, scan_measurements, store_and_measure_scan
from manufacturing.settings import Settings


@pytest.fixture
def resources(migrated_settings: Settings) -> Iterator[Resources]:
    built = build_resources(migrated_settings)
    yield built
    built.engine.dispose()


def _upload(resources: Resources, data: bytes) -> tuple[int, int]:
    with session_scope(resources.sessions) as session:
        scan = store_and_measure_scan(session, resources.store, customer_email="walker@example.com",
                                      filename="find_template.obj", data=data)  # fmt: skip
        return scan.id, scan.customer_id


def test_an_upload_is_measured_once_and_read_back_typed(resources: Resources, find_template_bytes: bytes) -> None:
    first, customer_id = _upload(resources, find_template_bytes)
    second, _ = _upload(resources, find_template_bytes)
    with session_scope(resources.sessions) as session:
        scans = [get_scan(session, scan_id, lambda owner: owner == customer_id) for scan_id in (first, second)]
        measured = [scan_measurements(scan) for scan in scans]
        assert measured[0] is not None and measured[0] == measured[1]
        assert measured[0].side is Side.LEFT and 250 < (measured[0].values_mm["foot_length_mm"] or 0) < 265
        assert "landmarks" in scans[0].measurements and scans[0].side == "left"
        # The second upload of the same file reused the first one's outputs: one set is stored.
        stored = session.scalars(select(Artifact).where(Artifact.stage == SCAN_MEASURE.name)).all()
        assert sorted(a.kind for a in stored) == ["foot.surface", "scan.measurements", "scan.sheet"]
        with pytest.raises(NotFoundError):
            get_scan(session, first, lambda owner: False)


def test_a_scan_is_unmeasured_until_it_has_measurements() -> None:
    assert scan_measurements(FootScan(original_filename="x.obj", sha256="0" * 64, size_bytes=1, summary={})) is None

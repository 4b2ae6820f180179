"""A scan measured in the geometry pool that runs past its deadline is stopped with an error naming the work, and
leaves nothing stored (no scan, no blob)."""

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from manufacturing.db.migrate import upgrade
from manufacturing.db.models import FootScan
from manufacturing.db.session import session_scope
from manufacturing.geometry_pool import ComputeTimeoutError, GeometryPool, PoolLimits
from manufacturing.pipeline.resources import Resources, build_resources
from manufacturing.scans.service import store_and_measure_scan
from manufacturing.settings import Settings


@pytest.fixture
def resources(settings: Settings) -> Iterator[Resources]:
    built = build_resources(settings)
    upgrade(settings.resolved_database_url)
    yield built
    built.engine.dispose()


def test_a_scan_past_its_deadline_names_the_work_and_stores_nothing(
    resources: Resources, find_template_bytes: bytes
) -> None:
    pool = GeometryPool(PoolLimits(workers=1, timeout_s=0.05, queue=0))  # measuring the FIND foot: about 1 s
    try:
        pool.run(time.time)  # started: the deadline counts from the measuring's start
        with pytest.raises(ComputeTimeoutError) as stopped, session_scope(resources.sessions) as session:
            store_and_measure_scan(session, resources.store, customer_email="walker@example.com",
                                   filename="find_template.obj", data=find_template_bytes, pool=pool)  # fmt: skip
    finally:
        pool.shutdown()
    assert stopped.value.message.startswith("measuring the scan took longer than 0.05 s and ")
    with session_scope(resources.sessions) as session:
        assert session.scalar(select(func.count()).select_from(FootScan)) == 0
    assert not [p for p in resources.store.root.rglob("*") if p.is_file()]

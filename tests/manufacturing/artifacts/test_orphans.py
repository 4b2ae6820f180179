"""Orphan blobs against the database: only blobs no artifact names, older than the age, are removed."""

import os
import time
from collections.abc import Iterator

import pytest

from manufacturing.artifacts.orphans import sweep_orphan_blobs
from manufacturing.db import repositories
from manufacturing.db.session import session_scope
from manufacturing.pipeline.celery_app import make_celery
from manufacturing.pipeline.recovery import RecoveryContext, periodic_jobs
from manufacturing.pipeline.resources import Resources, build_resources
from manufacturing.settings import Settings


@pytest.fixture
def resources(migrated_settings: Settings) -> Iterator[Resources]:
    built = build_resources(migrated_settings)
    yield built
    built.engine.dispose()


def test_blobs_no_artifact_names_are_swept_once_old(resources: Resources) -> None:
    store = resources.store
    named, orphan = store.put_bytes(b"a stored measurement"), store.put_bytes(b"left by a crash")
    with session_scope(resources.sessions) as session:
        repositories.add_artifact(session, named, kind="scan.measurements", filename="m.json",
                                  media_type="application/json", input_key="scan:x", stage="scan.measure",
                                  stage_version=1)  # fmt: skip
    assert sweep_orphan_blobs(resources.sessions, store, older_than_s=3600).removed == 0  # both young
    day_ago = time.time() - 86_400
    for blob in (named, orphan):
        os.utime(store.root / blob.storage_key, (day_ago, day_ago))
    swept = sweep_orphan_blobs(resources.sessions, store, older_than_s=3600)
    assert (swept.removed, swept.removed_bytes, swept.kept) == (1, len(b"left by a crash"), 1)
    assert store.exists(named.sha256) and not store.exists(orphan.sha256)


def test_the_periodic_recovery_sweeps_orphans(resources: Resources) -> None:
    orphan = resources.store.put_bytes(b"left by a crash")
    day_ago = time.time() - 2 * 86_400
    os.utime(resources.store.root / orphan.storage_key, (day_ago, day_ago))
    (job,) = [j for j in periodic_jobs(resources.settings) if j.name == "orphan-blobs"]
    summary = job.run(RecoveryContext(resources, make_celery(resources.settings)))
    assert summary == f"removed 1 orphan blob(s), {len(b'left by a crash')} bytes"
    assert not resources.store.exists(orphan.sha256)

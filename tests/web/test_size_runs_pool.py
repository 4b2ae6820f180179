"""A size run is made in the server's geometry pool, not on the event loop: a run that overruns its deadline is a
typed 503 in plain words and leaves no file."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from manufacturing.accounts.roles import Role
from manufacturing.db.models import Artifact
from manufacturing.db.session import session_scope
from manufacturing.geometry_pool import geometry_pool
from manufacturing.patterns.size_run import SIZE_RUN_STAGE
from manufacturing.pipeline.runner import execute_stage
from manufacturing.settings import Settings
from tests.web.floor import place_order
from tests.web.test_designs_pool import client_of


def test_a_size_run_past_its_deadline_is_a_typed_503_and_leaves_no_file(
    settings: Settings, find_template_bytes: bytes
) -> None:
    settings.scan_measure_timeout_s = 0.3  # grading and flattening a size takes about 1.5 s
    with client_of(settings, Role.ADMIN) as client:
        resources = client.app.state.resources
        placed = place_order(client, find_template_bytes)
        with session_scope(resources.sessions) as session:  # the pair's last, fitted as the pipeline does
            for stage in ("scan.measure", "last.fit"):
                assert execute_stage(session, resources.store, placed["run_ids"][0], stage).ok, stage
        geometry_pool(settings).run(time.time)  # the pool's processes started (the first pool: seconds)
        started = time.monotonic()
        refused = client.post(f"/api/orders/{placed['order_number']}/size-runs", json={"sizes": "41,42"})
        refused_s = time.monotonic() - started
        with session_scope(resources.sessions) as session:
            files = session.scalar(select(func.count()).select_from(Artifact).where(Artifact.stage == SIZE_RUN_STAGE))
    assert refused.status_code == 503 and refused.json()["code"] == "compute_timeout", refused.text
    assert refused.json()["detail"].startswith("making the size run took longer than 0.3 s and ")
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused_s < 2.0 and files == 0  # stopped at its deadline, not after the 3 s of work

"""Fit feedback's revised last is solved in the server's geometry pool, between a transaction that reads and one
that writes: past its deadline or with the pool full it is a typed 503 in plain words that stores nothing (a full
pool says when to try again, and the same answers sent again make the revision), and while the last is solved the
database takes other writes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manufacturing.accounts.roles import Role
from manufacturing.db.models import Artifact, Customer, FitFeedback, LastRevision
from manufacturing.db.session import session_scope
from manufacturing.feedback.service import REVISION_STAGE
from manufacturing.geometry_pool import geometry_pool
from manufacturing.settings import Settings
from tests.manufacturing.feedback.test_service import fitted
from tests.manufacturing.qc.shop import make_shop
from tests.web.test_designs_pool import client_of

BALL_TIGHT = {"answers": {"ball": "tight"}}


@contextmanager
def delivered_pair(settings: Settings) -> Iterator[tuple[TestClient, str]]:
    """A staff client and the serial of a delivered pair whose last the pipeline fitted (no revision yet)."""
    with client_of(settings, Role.ADMIN) as client:
        resources = client.app.state.resources
        shops = contextmanager(make_shop)(settings.resolved_database_url, settings.var_dir)
        with shops as shop:
            assert shop.store.root == resources.store.root  # the app reads the files the shop stored
            pair_id = shop.pair_ids[0]
            fitted(shop, pair_id)
            shop.run_through(pair_id)
            yield client, "CS26-QC0"


def stored(client: TestClient) -> tuple[int, int, int]:
    """(feedback rows, last revisions, revision files)."""
    with session_scope(client.app.state.resources.sessions) as session:
        return (
            session.scalar(select(func.count()).select_from(FitFeedback)) or 0,
            session.scalar(select(func.count()).select_from(LastRevision)) or 0,
            session.scalar(select(func.count()).select_from(Artifact).where(Artifact.stage == REVISION_STAGE)) or 0,
        )


def test_a_revision_past_its_deadline_is_a_typed_503_and_stores_nothing(settings: Settings) -> None:
    settings.scan_measure_timeout_s = 0.3  # building, measuring and solving the last takes about 2 s
    with delivered_pair(settings) as (client, serial):
        geometry_pool(settings).run(time.time)  # the pool's processes started (the first pool: seconds)
        started = time.monotonic()
        refused = client.post(f"/api/pairs/{serial}/fit-feedback", json=BALL_TIGHT)
        refused_s = time.monotonic() - started
        nothing = stored(client)
        read = client.get(f"/api/pairs/{serial}/fit-feedback")
    assert refused.status_code == 503, refused.text
    problem = refused.json()
    assert refused.headers["content-type"] == "application/problem+json" and "retry-after" not in refused.headers
    assert problem["code"] == "compute_timeout" and problem["instance"] == f"/api/pairs/{serial}/fit-feedback"
    assert problem["detail"].startswith("making the revised last took longer than 0.3 s and ")
    assert refused_s < 3.0  # stopped at its deadline, not after the work
    assert nothing == (0, 0, 0) and read.status_code == 404


def test_a_revision_finding_the_pool_full_is_refused_at_once_and_can_be_sent_again(settings: Settings) -> None:
    settings.scan_measure_workers, settings.scan_measure_queue = 1, 0
    with delivered_pair(settings) as (client, serial):
        pool = geometry_pool(settings)
        pool.run(time.time)  # started, so the sleep below holds its one process from the start
        holding = threading.Thread(target=pool.run, args=(time.sleep, 1.0))
        holding.start()
        time.sleep(0.2)
        started = time.monotonic()
        refused = client.post(f"/api/pairs/{serial}/fit-feedback", json=BALL_TIGHT)
        refused_s = time.monotonic() - started
        holding.join(30)
        nothing = stored(client)

        answers: list[httpx.Response] = []  # the same answers again, once the process is free
        sending = threading.Thread(
            target=lambda: answers.append(client.post(f"/api/pairs/{serial}/fit-feedback", json=BALL_TIGHT))
        )
        sending.start()
        time.sleep(0.5)  # its reads are done; the last is being solved in the pool
        write_started = time.monotonic()
        with session_scope(client.app.state.resources.sessions) as session:
            session.add(Customer(email="walk-in@example.com"))
        write_s = time.monotonic() - write_started
        solving = sending.is_alive()
        sending.join(60)
    assert refused.status_code == 503 and refused.json()["code"] == "compute_busy", refused.text
    assert refused.headers["retry-after"] == "5"  # a few seconds: a process frees within a task's time
    assert "making the revised last could not start" in refused.json()["detail"] and refused_s < 1.0
    assert nothing == (0, 0, 0)
    assert solving and write_s < 0.5, (solving, write_s)  # no write lock is held while the last is solved
    assert answers[0].status_code == 201, answers[0].text
    body = answers[0].json()
    assert (body["base"]["revision"], body["revision"]["revision"]) == (1, 2)
    assert body["revision"]["measured"]["ball_girth_mm"] - body["base"]["measured"]["ball_girth_mm"] > 3.0

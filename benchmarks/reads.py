"""``cspms bench reads``: the read throughput of order status and pair progress through a real server (issue 18,
finding 11), on SQLite or PostgreSQL, and the progress read of a pair with 20,000 events.

The shop is made first, in this process: orders of 1–3 pairs, each with a finished pipeline run (four stages,
their artifacts), a released work order and its floor events through ingest (so each pair's progress summary is
kept as in production), and one pair with 20,000 events. Then ``cspms serve`` runs on a free loopback port (its
own var folder, no embedded worker, ``--workers``) and a load generator in this process keeps ``clients``
keep-alive connections busy (closed loop: each sends its next request when the last is answered) for ``seconds``
per endpoint, on random orders or pairs, signed in as a staff account. The load generator is asyncio over raw
HTTP/1.1, so that it costs the two cores as little as possible; it shares them with the server all the same.

Targets (issue 18): ≥ 500 requests/s and p99 ≤ 100 ms for each endpoint at 16 clients on 2 cores, load generator
included; the 20,000-event pair's progress read ≤ 20 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import statistics
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy.orm import Session

from benchmarks.web import running_app
from manufacturing.accounts.roles import Role
from manufacturing.accounts.service import add_account
from manufacturing.accounts.tokens import issue_token
from manufacturing.db.migrate import upgrade
from manufacturing.db.models import Artifact, Customer, Design, Order, Pair, PipelineRun, StageRun
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.db.throwaway import throwaway_postgres
from manufacturing.pipeline.stages import ORDER_PIPELINE
from manufacturing.planning import service as planning
from manufacturing.planning.routing import RoutingInputs
from manufacturing.settings import Settings
from manufacturing.states import RunState, StageState
from manufacturing.tracking.events import parse_events
from manufacturing.tracking.ingest import ingest_committed
from manufacturing.tracking.service import pair_progress

TARGET_REQUESTS_PER_S = 500.0
TARGET_P99_MS = 100.0
TARGET_BIG_PAIR_MS = 20.0
DERBY = RoutingInputs("derby", piece_count=8, seam_length_mm=1800.0, eyelets=10)
BOM = {"lines": [], "cost_eur": 40.0}
OPERATIONS = ["cutting", "skiving", "closing_machine", "lasting", "sole_attaching", "finishing", "qc_final", "packing"]


@dataclass(frozen=True)
class ReadsBenchConfig:
    database: str = "sqlite"  # or "postgres"
    postgres_url: str = ""
    orders: int = 100
    clients: int = 16
    seconds: float = 10.0  # of load per endpoint
    workers: int | None = None  # server processes; None: the setting's default for the database
    big_pair_events: int = 20_000
    seed: int = 2026


def run_reads_benchmark(config: ReadsBenchConfig) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cspms-reads-") as folder:
        var = Path(folder)
        if config.database == "postgres":
            with throwaway_postgres(config.postgres_url, prefix="cspms_reads") as url:
                return _run(url, var, config)
        return _run(f"sqlite:///{var / 'cspms.sqlite'}", var, config)


def _run(url: str, var: Path, config: ReadsBenchConfig) -> dict[str, Any]:
    secret_key = secrets.token_urlsafe(32)
    t = time.perf_counter()
    shop = make_shop(url, secret_key, config)
    setup_s = time.perf_counter() - t
    big = big_pair_in_process(url, shop.big_serial)
    workers = config.workers or Settings(database_url=url).resolved_web_workers
    load_before = os.getloadavg()[0]  # the cores are shared: say how busy they were
    with running_server(url, var, secret_key, workers) as (host, port):
        headers = {"Authorization": f"Bearer {shop.token}"}
        orders = [f"/api/orders/{n}" for n in shop.order_numbers]
        progress = [f"/api/pairs/{s}/progress" for s in shop.serials]
        run_load(host, port, orders[:50] + progress[:50], headers, config.clients, 2.0, config.seed)  # warm up
        report = {
            "order_status": run_load(host, port, orders, headers, config.clients, config.seconds, config.seed),
            "pair_progress": run_load(host, port, progress, headers, config.clients, config.seconds, config.seed),
            "big_pair": {**big, "over_http": sequential(host, port, f"/api/pairs/{shop.big_serial}/progress",
                                                        headers, 50)},
        }  # fmt: skip
    return {
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "server": f"cspms serve, {workers} worker process(es), uvicorn, loopback",
        "cores": os.cpu_count(), "clients": config.clients, "seconds_per_endpoint": config.seconds,
        "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "shop": {"orders": len(shop.order_numbers), "pairs": len(shop.serials), "events": shop.events,
                 "setup_s": round(setup_s, 1)},
        **report,
        "targets": {"requests_per_s": TARGET_REQUESTS_PER_S, "p99_ms": TARGET_P99_MS,
                    "big_pair_progress_ms": TARGET_BIG_PAIR_MS},
        "meets_targets": all(report[k]["requests_per_s"] >= TARGET_REQUESTS_PER_S
                             and report[k]["latency_ms"]["p99"] <= TARGET_P99_MS
                             for k in ("order_status", "pair_progress"))
        and report["big_pair"]["over_http"]["p50"] <= TARGET_BIG_PAIR_MS,
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------- the shop


@dataclass(frozen=True)
class BenchShop:
    order_numbers: list[str]
    serials: list[str]
    big_serial: str
    token: str
    events: int


def make_shop(url: str, secret_key: str, config: ReadsBenchConfig) -> BenchShop:
    """Orders of 1–3 pairs, each pair with a finished pipeline run (artifacts per stage) and a released work
    order, its events ingested (a random share of its routing done); one more pair with ``big_pair_events``."""
    rng = random.Random(config.seed)
    # Three days of history up to now: due dates two days ahead, as on a working floor (the ETA's calendar walks
    # from the events to now and to the due date).
    t0 = (datetime.now(UTC) - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    numbers, serials, events = [], [], 0
    try:
        with session_scope(sessions) as session:
            staff = add_account(session, "reads@bench.example.com", secrets.token_urlsafe(16), Role.STAFF)
            customer = Customer(email="reads-customer@bench.example.com")
            session.add(customer)
            session.flush()
            design = Design(design_key="bench-reads", customer_id=customer.id, style="derby",
                            options={"style": "derby"})  # fmt: skip
            session.add(design)
            session.flush()
            pair_ids = []
            for k in range(config.orders + 1):
                order = Order(number=f"O-READS-{k:05d}", customer_id=customer.id)
                session.add(order)
                session.flush()
                for j in range(1 if k == config.orders else rng.choice((1, 1, 2, 3))):
                    pair = Pair(serial=f"CS26-R{k:05d}{j}", order_id=order.id, design_id=design.id)
                    session.add(pair)
                    session.flush()
                    _add_finished_run(session, pair.id, k * 10 + j, t0)
                    planning.release_work_order(session, pair.id, DERBY, BOM, due_at=t0 + timedelta(days=5), now=t0)
                    pair_ids.append(pair.id)
                    if k < config.orders:
                        serials.append(pair.serial)
                if k < config.orders:
                    numbers.append(order.number)
            token = issue_token(Settings(secret_key=SecretStr(secret_key)), staff)
        messages = []
        for serial in serials:
            messages += _floor_events(serial, rng.randint(0, 2 * len(OPERATIONS)), t0)
        for k in range(0, len(messages), 500):
            events += ingest_committed(sessions, parse_events(messages[k : k + 500])).stored
        big_serial = f"CS26-R{config.orders:05d}0"
        big = _busy_events(big_serial, config.big_pair_events, t0)
        for k in range(0, len(big), 1000):
            events += ingest_committed(sessions, parse_events(big[k : k + 1000])).stored
    finally:
        engine.dispose()
    return BenchShop(numbers, serials, big_serial, token, events)


def _add_finished_run(session: Session, pair_id: int, salt: int, t0: datetime) -> None:
    """A succeeded pipeline run of the four stages, each with three artifacts (rows only: reads never open them)."""
    run = PipelineRun(pair_id=pair_id, stages=list(ORDER_PIPELINE), state=RunState.SUCCEEDED, started_at=t0,
                      finished_at=t0)  # fmt: skip
    for stage in ORDER_PIPELINE:
        artifacts = [Artifact(kind=f"{stage}.{n}", filename=f"{stage}-{n}.bin", media_type="application/octet-stream",
                              sha256=uuid.uuid4().hex * 2, size_bytes=1000, storage_key=f"bench/{salt}/{stage}/{n}",
                              input_key=f"bench:{salt}", stage=stage) for n in range(3)]  # fmt: skip
        session.add_all(artifacts)
        session.flush()
        run.stage_runs.append(StageRun(stage=stage, stage_version=1, state=StageState.SUCCEEDED, attempts=1,
                                       started_at=t0, finished_at=t0, duration_ms=100.0,
                                       artifact_ids=[a.id for a in artifacts]))  # fmt: skip
    session.add(run)


def _message(serial: str, operation: str, event_type: str, at: datetime, **payload: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "pair_serial": serial, "station": operation.upper()[:8],
            "operation": operation, "event_type": event_type, "occurred_at": at.isoformat(), "reader_id": "rfid-1",
            "payload": payload}  # fmt: skip


def _floor_events(serial: str, steps: int, t0: datetime) -> list[dict[str, Any]]:
    """The first ``steps`` starts and finishes of the derby routing, 10 minutes apart."""
    out = []
    for k in range(steps):
        op = OPERATIONS[k // 2]
        kind = "started" if k % 2 == 0 else ("qc_passed" if op == "qc_final" else "finished")
        out.append(_message(serial, op, kind, t0 + timedelta(minutes=10 * (k + 1)), worker="W-1"))
    return out


def _busy_events(serial: str, count: int, t0: datetime) -> list[dict[str, Any]]:
    """``count`` events on one pair: its routing started and finished, with a blocked/unblocked pair and three
    reader scans between each step (a pair that went round a busy floor for weeks)."""
    out: list[dict[str, Any]] = []
    at = t0
    k = 0
    while len(out) < count:
        op = OPERATIONS[(k // 2) % len(OPERATIONS)] if k < 2 * len(OPERATIONS) else "packing"
        at += timedelta(seconds=30)
        if k < 2 * len(OPERATIONS):
            kind = "started" if k % 2 == 0 else ("qc_passed" if op == "qc_final" else "finished")
            out.append(_message(serial, op, kind, at))
        for scan in range(3):
            out.append(_message(serial, op, "scanned", at + timedelta(seconds=scan + 1)))
        if k < 2 * len(OPERATIONS) - 1:
            out.append(_message(serial, op, "blocked", at + timedelta(seconds=5)))
            out.append(_message(serial, op, "unblocked", at + timedelta(seconds=6)))
        k += 1
    return out[:count]


def big_pair_in_process(url: str, serial: str, repeats: int = 50) -> dict[str, Any]:
    """The 20,000-event pair's progress read in this process (``tracking.service.pair_progress``, its own unit of
    work each time), ms."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    try:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            with session_scope(sessions) as session:
                progress = pair_progress(session, serial)
            times.append((time.perf_counter() - t) * 1000)
    finally:
        engine.dispose()
    return {"events": progress["events"], "state": progress["work_order"]["state"],
            "in_process_ms": {"p50": round(statistics.median(times), 2), "max": round(max(times), 2)}}  # fmt: skip


# ---------------------------------------------------------------------------------------------- the server


@contextmanager
def running_server(url: str, var: Path, secret_key: str, workers: int, timeout_s: float = 240.0
                   ) -> Iterator[tuple[str, int]]:  # fmt: skip
    """``cspms serve`` on a free loopback port (no embedded worker: reads only); yields (host, port)."""
    settings = {"CSPMS_DATABASE_URL": url, "CSPMS_SECRET_KEY": secret_key, "CSPMS_WEB_WORKERS": str(workers)}
    with running_app(var / "var", embedded_worker=False, timeout_s=timeout_s, env=settings) as base_url:
        address = urllib.parse.urlsplit(base_url)
        yield str(address.hostname), int(address.port or 80)


# ---------------------------------------------------------------------------------------------- the load


def run_load(host: str, port: int, paths: list[str], headers: dict[str, str], clients: int, seconds: float,
             seed: int) -> dict[str, Any]:  # fmt: skip
    """``clients`` connections in a closed loop for ``seconds``, each GETting random ``paths``: requests/s and the
    latency percentiles (ms) of the requests answered."""
    latencies: list[float] = []
    errors: list[str] = []

    async def client(k: int, stop_at: float) -> None:
        rng = random.Random(seed + k)
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < stop_at:
                path = rng.choice(paths)
                request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()
                t = time.perf_counter()
                writer.write(request)
                status, body = await _response(reader)
                latencies.append((time.perf_counter() - t) * 1000)
                if status != 200 and len(errors) < 1000:
                    errors.append(f"{status} {path}: {body[:200]!r}")
        finally:
            writer.close()

    async def main() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(client(k, start + seconds) for k in range(clients)))
        return time.perf_counter() - start

    wall = asyncio.run(main())
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else 0.0

    return {"requests": len(latencies), "wall_s": round(wall, 2), "requests_per_s": round(len(latencies) / wall, 1),
            "latency_ms": {"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99),
                           "max": round(ordered[-1], 1) if ordered else 0.0},
            "errors": len(errors), "first_errors": errors[:3]}  # fmt: skip


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response (uvicorn gives a Content-Length, or chunks)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    if "content-length" in fields:
        return status, await reader.readexactly(int(fields["content-length"]))
    body = b""
    while True:  # chunked
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, body
        body += chunk[:-2]


def sequential(host: str, port: int, path: str, headers: dict[str, str], repeats: int) -> dict[str, float]:
    """One client, one request at a time: each request's time (ms), p50 and max."""
    times: list[float] = []

    async def main() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        try:
            for _ in range(repeats):
                t = time.perf_counter()
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode())
                status, body = await _response(reader)
                if status != 200:
                    raise RuntimeError(f"GET {path}: {status} {body[:200]!r}")
                times.append((time.perf_counter() - t) * 1000)
        finally:
            writer.close()

    asyncio.run(main())
    return {"p50": round(statistics.median(times), 2), "max": round(max(times), 2)}

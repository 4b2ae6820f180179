"""``cspms bench pipeline``: orders end to end through real ``cspms worker`` processes.

Each order is a ~100k-face scan (the FIND template, subdivided then decimated as in ``cspms bench scan``), scaled
by a tiny per-order factor so its sha256 differs and nothing is reused: every order computes every stage
(scan.measure → last.fit → patterns.make → work_order.release). Two profiles, the same code:

- embedded: SQLite + the filesystem broker, W worker processes on this machine;
- production: a throwaway PostgreSQL database + Redis, W worker processes.

Orders are fed closed-loop with W in flight (one per worker), so latency is an order's own time through the
pipeline (placed → last stage done, from the run's recorded timestamps) rather than time spent behind a
backlog, and throughput is the saturated rate. After each run the database and the store are audited: runs
lost (unfinished), duplicated stage runs, work orders or artifact rows, and blobs that do not hash to their key.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select

from benchmarks.cohort import dense_template_mesh, mesh_file_bytes
from configurator.options import parse_options
from manufacturing.db.migrate import upgrade
from manufacturing.db.models import Artifact, Pair, PipelineRun, StageRun, WorkOrder
from manufacturing.db.session import run_after_commit, session_scope
from manufacturing.db.throwaway import throwaway_postgres
from manufacturing.orders.service import place_order
from manufacturing.pipeline.celery_app import make_celery
from manufacturing.pipeline.enqueue import enqueue_pipeline
from manufacturing.pipeline.resources import Resources, build_resources
from manufacturing.settings import Settings
from manufacturing.states import RunState

PROFILES = ("embedded", "production")
# The targets for one order end to end on 2 cores.
TARGET_P50_S = 5.0
TARGET_P95_S = 8.0


@dataclass(frozen=True)
class PipelineBenchConfig:
    template_path: Path
    work_dir: Path
    orders: int = 20
    workers: tuple[int, ...] = (1, 2)
    profiles: tuple[str, ...] = PROFILES
    postgres_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    redis_url: str = "redis://127.0.0.1:6379/13"
    style: str = "derby"
    order_timeout_s: float = 120.0
    scan_faces: int = 100_000


def order_scan_bytes(vertices: np.ndarray, faces: np.ndarray, index: int) -> bytes:
    """Order ``index``'s scan as binary STL: the mesh scaled by 1 + 2e-5·(index + 1), so every order is unique."""
    return mesh_file_bytes(vertices * (1.0 + 2e-5 * (index + 1)), faces, "stl")


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment a ``cspms worker`` needs to share ``settings`` with this process."""
    env = dict(os.environ)
    env.update(
        CSPMS_VAR_DIR=str(settings.var_dir),
        CSPMS_DATABASE_URL=settings.resolved_database_url,
        CSPMS_ARTIFACT_DIR=str(settings.resolved_artifact_dir),
        CSPMS_BROKER_URL=settings.broker_url,
        CSPMS_BROKER_POLL_SECONDS=str(settings.broker_poll_seconds),
        CSPMS_TASK_MAX_RETRIES=str(settings.task_max_retries),
        CSPMS_TASK_RETRY_BACKOFF_SECONDS=str(settings.task_retry_backoff_seconds),
    )
    return env


@dataclass
class WorkerProcess:
    """One ``cspms worker`` subprocess (its own process group, so the pool children can be killed with it)."""

    settings: Settings
    log_path: Path
    concurrency: int = 1
    launcher: list[str] | None = None  # replaces ``python -m web.cli`` (tests use it to inject faults)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self, ready_timeout_s: float = 60.0) -> None:
        command = [*(self.launcher or [sys.executable, "-m", "web.cli"]), "worker", f"--concurrency={self.concurrency}"]
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, env=worker_env(self.settings), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + ready_timeout_s
        while time.monotonic() < deadline:
            if b" ready." in self.log_path.read_bytes()[self._log_offset :]:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"worker did not become ready; log:\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def pool_children(self) -> list[int]:
        """Pids of the prefork pool's processes (the ones that run tasks)."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def kill(self) -> None:
        """SIGKILL the worker and its pool at once (a machine lost), then reap it."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@contextmanager
def running_workers(settings: Settings, count: int, log_dir: Path) -> Iterator[list[WorkerProcess]]:
    workers = [WorkerProcess(settings, log_dir / f"worker-{i}.log") for i in range(count)]
    try:
        for worker in workers:
            worker.start()
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def place_and_enqueue(resources: Resources, celery: Any, scan_bytes: bytes, style: str = "derby") -> int:
    """Place a one-pair order and enqueue its run after the commit, as the API does; returns the run id."""
    with session_scope(resources.sessions) as session:
        placed = place_order(
            session,
            resources.store,
            customer_email="bench@example.com",
            scan_filename="foot-100k.stl",
            scan_bytes=scan_bytes,
            options=parse_options({"style": style, "pairs": 1}),
        )
        run_id = placed.run_ids[0]
        run_after_commit(session, lambda: enqueue_pipeline(celery, run_id, list(placed.stages)))
    return run_id


def finished_runs(resources: Resources, run_ids: list[int]) -> dict[int, PipelineRun]:
    if not run_ids:
        return {}
    with session_scope(resources.sessions) as session:
        runs = session.scalars(
            select(PipelineRun).where(
                PipelineRun.id.in_(run_ids), PipelineRun.state.in_([RunState.SUCCEEDED, RunState.FAILED])
            )
        ).all()
        return {run.id: run for run in runs}


def audit(resources: Resources, run_ids: list[int]) -> dict[str, Any]:
    """What a run of orders left behind: lost runs, duplicates, and blobs that do not match their key."""
    with session_scope(resources.sessions) as session:
        runs = session.scalars(select(PipelineRun).where(PipelineRun.id.in_(run_ids))).all()
        states = [run.state for run in runs]
        duplicate_stage_runs = session.execute(
            select(func.count()).select_from(
                select(StageRun.pipeline_run_id, StageRun.stage)
                .group_by(StageRun.pipeline_run_id, StageRun.stage)
                .having(func.count() > 1)
                .subquery()
            )
        ).scalar_one()
        duplicate_work_orders = session.execute(
            select(func.count()).select_from(
                select(WorkOrder.pair_id).group_by(WorkOrder.pair_id).having(func.count() > 1).subquery()
            )
        ).scalar_one()
        duplicate_artifacts = session.execute(
            select(func.count()).select_from(
                select(Artifact.input_key, Artifact.stage, Artifact.stage_version, Artifact.kind)
                .group_by(Artifact.input_key, Artifact.stage, Artifact.stage_version, Artifact.kind)
                .having(func.count() > 1)
                .subquery()
            )
        ).scalar_one()
        pairs = session.scalar(select(func.count()).select_from(Pair))
        work_orders = session.scalar(select(func.count()).select_from(WorkOrder))
        blobs = session.scalars(select(Artifact.sha256).distinct()).all()
        attempts = [sr.attempts for sr in session.scalars(select(StageRun)).all()]
    missing = [sha for sha in blobs if not resources.store.exists(sha)]
    corrupt = [sha for sha in blobs if sha not in missing and not resources.store.verify(sha)]
    tmp_dir = resources.store.root / "tmp"
    stray_tmp = sorted(p.name for p in tmp_dir.iterdir()) if tmp_dir.is_dir() else []
    return {
        "orders": len(run_ids),
        "succeeded": states.count(RunState.SUCCEEDED),
        "failed": states.count(RunState.FAILED),
        "lost": len(run_ids) - states.count(RunState.SUCCEEDED) - states.count(RunState.FAILED),
        "pairs": pairs,
        "work_orders": work_orders,
        "duplicate_stage_runs": duplicate_stage_runs,
        "duplicate_work_orders": duplicate_work_orders,
        "duplicate_artifacts": duplicate_artifacts,
        "blobs": len(blobs),
        "blobs_missing": len(missing),
        "blobs_corrupt": len(corrupt),
        "stray_temp_files": len(stray_tmp),
        "stage_runs_retried": sum(1 for a in attempts if a > 1),
    }


def run_orders(
    resources: Resources,
    celery: Any,
    scans: Callable[[int], bytes],
    orders: int,
    in_flight: int,
    style: str = "derby",
    timeout_s: float = 120.0,
    progress: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Feed ``orders`` orders keeping ``in_flight`` unfinished; per-order latency from the run's timestamps."""
    run_ids: list[int] = []
    pending: dict[int, float] = {}
    latencies: list[float] = []
    started = time.perf_counter()
    while len(latencies) < orders:
        while len(pending) < in_flight and len(run_ids) < orders:
            run_id = place_and_enqueue(resources, celery, scans(len(run_ids)), style)
            run_ids.append(run_id)
            pending[run_id] = time.monotonic()
        for run_id, run in finished_runs(resources, list(pending)).items():
            del pending[run_id]
            assert run.finished_at is not None
            latencies.append((run.finished_at - run.created_at).total_seconds())
            if progress is not None:
                progress()
        if any(time.monotonic() - placed > timeout_s for placed in pending.values()):
            break  # counted as lost by the audit
        time.sleep(0.05)
    wall_s = time.perf_counter() - started
    report = {
        "wall_seconds": round(wall_s, 2),
        "throughput_orders_per_min": round(60.0 * len(latencies) / wall_s, 2),
        "latency_seconds": _percentiles(latencies),
        **audit(resources, run_ids),
    }
    return report


def _offset_scan_bytes(vertices: np.ndarray, faces: np.ndarray, offset: int, index: int) -> bytes:
    return order_scan_bytes(vertices, faces, offset + index)


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    return {
        "p50": round(float(np.percentile(values, 50)), 3),
        "p95": round(float(np.percentile(values, 95)), 3),
        "max": round(float(max(values)), 3),
    }


def _profile_settings(profile: str, work_dir: Path, database_url: str, broker_url: str) -> Settings:
    base = Settings(var_dir=work_dir / "var", broker_poll_seconds=0.05, task_retry_backoff_seconds=0.5)
    if profile == "embedded":
        return base
    return base.model_copy(update={"database_url": database_url, "broker_url": broker_url})


@contextmanager
def _profile_database(profile: str, config: PipelineBenchConfig) -> Iterator[str]:
    if profile == "embedded":
        yield ""
    else:
        with throwaway_postgres(config.postgres_url, prefix="cspms_bench") as url:
            yield url


def _purge_broker(celery: Any) -> None:
    celery.control.purge()  # a dedicated Redis database: leftovers of an interrupted run would point at nothing


def run_pipeline_benchmark(config: PipelineBenchConfig, progress: Callable[[], None] | None = None) -> dict[str, Any]:
    vertices, faces = dense_template_mesh(config.template_path, config.scan_faces)
    report: dict[str, Any] = {
        "orders": config.orders,
        "scan_faces": len(faces),
        "style": config.style,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()),
        "feeding": "closed loop, one order in flight per worker",
        "targets_seconds": {"p50": TARGET_P50_S, "p95": TARGET_P95_S},
        "profiles": {},
    }
    offset = 0
    for profile in config.profiles:
        for worker_count in config.workers:
            run_dir = config.work_dir / f"{profile}-w{worker_count}-{uuid.uuid4().hex[:6]}"
            run_dir.mkdir(parents=True)
            with _profile_database(profile, config) as database_url:
                settings = _profile_settings(profile, run_dir, database_url, config.redis_url)
                resources = build_resources(settings)
                upgrade(settings.resolved_database_url)
                celery = make_celery(settings)
                if profile == "production":
                    _purge_broker(celery)
                try:
                    with running_workers(settings, worker_count, run_dir):
                        result = run_orders(
                            resources,
                            celery,
                            # every (profile, W) gets scans no other run has seen
                            partial(_offset_scan_bytes, vertices, faces, offset),
                            config.orders,
                            in_flight=worker_count,
                            style=config.style,
                            timeout_s=config.order_timeout_s,
                            progress=progress,
                        )
                finally:
                    resources.engine.dispose()
            offset += config.orders
            latency = result["latency_seconds"]
            result["meets_targets"] = (
                result["lost"] == 0
                and latency["p50"] is not None
                and latency["p50"] <= TARGET_P50_S
                and latency["p95"] <= TARGET_P95_S
            )
            report["profiles"].setdefault(profile, {})[f"workers_{worker_count}"] = result
    report["load_average_at_end"] = list(os.getloadavg())
    return report

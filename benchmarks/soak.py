"""``cspms bench soak``: many orders through real workers on the production profile while faults are injected
on a timer, then an audit that no order was lost and nothing was done twice (issue #11).

The profile is production's: a throwaway PostgreSQL database, a broker of the soak's own (a private
``redis-server`` with an append-only file fsynced on every write, or a private RabbitMQ virtual host), one
artifact folder shared by W real ``cspms worker`` processes (one pool process each).

Orders are fed closed loop with W + 1 in flight: a steady pace that follows what the workers can do under
faults. All at once up front would make an order's latency its place in the backlog, and would make every
queued run look stalled to the periodic resume (whose idle clock starts at placement), which would then
re-send the whole backlog. The spare order keeps every worker busy while one run waits to be resumed.

One fault every S seconds, cycling through the chosen kinds:

- ``kill-stage``: SIGKILL of a pool process while it runs a stage (the OOM killer's way);
- ``kill-worker``: SIGKILL of a whole worker and its pool (a machine lost), then the worker is started again;
- ``broker-restart``: Redis ``SHUTDOWN`` and a start again after an outage (RabbitMQ: every connection of the
  vhost closed with ``rabbitmqctl close_all_connections``);
- ``db-drop``: ``pg_terminate_backend`` on every connection the workers hold.

Every R seconds ``resume_stalled_runs`` re-sends the runs idle for longer than any stage takes, as the
production timer (``cspms pipeline resume``) does.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from benchmarks.brokers import PrivateRabbitVhost, PrivateRedis, free_port
from benchmarks.cohort import dense_template_mesh
from benchmarks.pipeline import WorkerProcess, audit, finished_runs, order_scan_bytes, place_and_enqueue
from configurator.styles import STYLE_NAMES
from geometry.errors import InputError
from manufacturing.db.migrate import upgrade
from manufacturing.db.models import PipelineRun, StageRun
from manufacturing.db.session import session_scope
from manufacturing.db.throwaway import throwaway_postgres
from manufacturing.pipeline.celery_app import make_celery
from manufacturing.pipeline.recovery import recover_stalled_work
from manufacturing.pipeline.resources import Resources, build_resources
from manufacturing.settings import Settings
from manufacturing.states import RunState, StageState

FAULT_KINDS = ("kill-stage", "kill-worker", "broker-restart", "db-drop")
BROKERS = ("redis", "rabbitmq")
# The workers' connections are told apart by name, so db-drop cuts theirs and not the soak's own.
WORKER_APPLICATION_NAME = "cspms-soak-worker"
SOAK_APPLICATION_NAME = "cspms-soak"
PLACE_ATTEMPTS = 3
STATUS_EVERY_S = 30.0


@dataclass(frozen=True)
class SoakConfig:
    """One soak. ``timeout_s`` defaults to 120 s + 8 s per order (about twice the time one worker needs)."""

    template_path: Path
    work_dir: Path
    orders: int = 1000
    workers: int = 2
    broker: str = "redis"
    fault_every_s: float = 20.0
    faults: tuple[str, ...] = FAULT_KINDS
    resume_every_s: float = 10.0
    resume_idle_s: float = 30.0  # longer than any stage takes, its retry backoff included
    seed: int = 2026
    postgres_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    broker_outage_s: float = 2.0
    timeout_s: float | None = None
    scan_faces: int = 100_000

    def __post_init__(self) -> None:
        problems = []
        if self.orders < 1:
            problems.append(f"orders must be at least 1, not {self.orders}")
        if self.workers < 1:
            problems.append(f"workers must be at least 1, not {self.workers}")
        if self.broker not in BROKERS:
            problems.append(f"broker {self.broker!r} is not one of {', '.join(BROKERS)}")
        unknown = sorted(set(self.faults) - set(FAULT_KINDS))
        if unknown:
            problems.append(f"unknown fault kind(s) {', '.join(unknown)}; choose from {', '.join(FAULT_KINDS)}")
        for name in ("fault_every_s", "resume_every_s", "resume_idle_s"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be positive, not {getattr(self, name)}")
        if problems:
            raise InputError("; ".join(problems), problems=problems)

    @property
    def in_flight(self) -> int:
        return self.workers + 1

    @property
    def deadline_s(self) -> float:
        return self.timeout_s if self.timeout_s is not None else 120.0 + 8.0 * self.orders

    @property
    def stall_limit_s(self) -> float:
        """No run finishing for this long ends the soak early (what is left is counted as lost)."""
        return max(600.0, 20.0 * self.resume_idle_s)


def parse_fault_kinds(spec: str) -> tuple[str, ...]:
    """``kill-stage,db-drop`` → the kinds, in that order; ``all`` is every kind, ``none`` is no fault."""
    words = [word.strip() for word in spec.split(",") if word.strip()]
    if words == ["all"]:
        return FAULT_KINDS
    if words == ["none"]:
        return ()
    unknown = sorted(set(words) - set(FAULT_KINDS))
    if unknown or not words:
        raise InputError(
            f"unknown fault kind(s) {', '.join(unknown) or repr(spec)}; "
            f"use a comma-separated list of {', '.join(FAULT_KINDS)}, or all, or none",
            faults=spec,
        )
    return tuple(dict.fromkeys(words))


class SoakBroker(Protocol):
    @property
    def url(self) -> str: ...

    def restart(self) -> dict[str, Any]: ...


@dataclass
class _RedisBroker:
    server: PrivateRedis
    outage_s: float

    @property
    def url(self) -> str:
        return self.server.url

    def restart(self) -> dict[str, Any]:
        self.server.stop()  # SHUTDOWN: the append-only file keeps the queued and the unacked messages
        time.sleep(self.outage_s)
        self.server.start()
        return {"outage_seconds": self.outage_s}


@dataclass
class _RabbitBroker:
    vhost: PrivateRabbitVhost

    @property
    def url(self) -> str:
        return self.vhost.url

    def restart(self) -> dict[str, Any]:
        self.vhost.close_connections("cspms soak fault")
        return {"vhost": self.vhost.name}


@contextmanager
def private_broker(config: SoakConfig) -> Iterator[SoakBroker]:
    if config.broker == "redis":
        server = PrivateRedis(free_port(), config.work_dir / "redis")
        server.start()
        try:
            yield _RedisBroker(server, config.broker_outage_s)
        finally:
            server.stop()
    else:
        vhost = PrivateRabbitVhost(config.rabbitmq_url)
        vhost.create()
        try:
            yield _RabbitBroker(vhost)
        finally:
            vhost.delete()


def _named_connections(database_url: str, application_name: str) -> str:
    url = make_url(database_url)
    return url.update_query_dict({"application_name": application_name}).render_as_string(hide_password=False)


def _cpu_ticks(pid: int) -> int | None:
    """User + system CPU time of a process in clock ticks (``/proc/<pid>/stat``); None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of proc(5)


@dataclass
class _Soak:
    """The soak's moving parts; the main thread feeds orders, one thread injects faults, one resumes."""

    config: SoakConfig
    resources: Resources
    workers: list[WorkerProcess]
    broker: SoakBroker
    scans: Callable[[int], bytes]
    log: Callable[[str], None]
    rng: random.Random
    styles: tuple[str, ...]
    started: float = field(default_factory=time.monotonic)
    stop: threading.Event = field(default_factory=threading.Event)
    run_ids: list[int] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    placement_errors: list[dict[str, Any]] = field(default_factory=list)
    unexpected_worker_exits: list[dict[str, Any]] = field(default_factory=list)
    resume_calls: int = 0
    resume_errors: list[dict[str, Any]] = field(default_factory=list)
    resends: int = 0
    resumed_runs: set[int] = field(default_factory=set)
    temp_files_swept: int = 0

    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def note(self, message: str) -> None:
        self.log(f"[{self.elapsed_s():7.1f} s] {message}")

    # Feeding ---------------------------------------------------------------------------------------------

    def feed(self) -> dict[str, Any]:
        """Place the orders W + 1 in flight until every one finished, or the deadline, or a long stall."""
        celery = make_celery(self.resources.settings)
        pending: set[int] = set()
        latencies: list[float] = []
        finished = 0
        last_finish = last_status = time.monotonic()
        stop_reason = "all finished"
        while finished < self.config.orders:
            while len(pending) < self.config.in_flight and len(self.run_ids) < self.config.orders:
                run_id = self._place(celery, len(self.run_ids))
                self.run_ids.append(run_id)
                pending.add(run_id)
            for run_id, run in finished_runs(self.resources, sorted(pending)).items():
                pending.discard(run_id)
                finished += 1
                last_finish = time.monotonic()
                assert run.finished_at is not None
                latencies.append((run.finished_at - run.created_at).total_seconds())
            if self.elapsed_s() > self.config.deadline_s:
                stop_reason = f"timeout after {self.config.deadline_s:.0f} s"
                break
            if time.monotonic() - last_finish > self.config.stall_limit_s:
                stop_reason = f"no run finished for {self.config.stall_limit_s:.0f} s"
                break
            if time.monotonic() - last_status > STATUS_EVERY_S:
                last_status = time.monotonic()
                self.note(
                    f"{finished}/{self.config.orders} finished, {len(pending)} in flight, "
                    f"{len(self.faults)} faults, {len(self.resumed_runs)} runs resumed"
                )
            time.sleep(0.2)
        return {"latencies": latencies, "stop_reason": stop_reason}

    def _place(self, celery: Any, index: int) -> int:
        """Place order ``index`` as the API does; on an error the client sees, place it again."""
        style = self.styles[index % len(self.styles)]
        scan = self.scans(index)
        for attempt in range(1, PLACE_ATTEMPTS + 1):
            try:
                return place_and_enqueue(self.resources, celery, scan, style)
            except Exception as exc:  # the client's view: the request failed (its order may still be stored)
                self.placement_errors.append({"t_s": round(self.elapsed_s(), 1), "error": _one_line(exc)})
                self.note(f"placing order {index} failed (attempt {attempt}): {_one_line(exc)}")
                stored = self._untracked_runs()
                if stored:
                    # Committed, only the enqueue after the commit failed: the periodic resume sends it.
                    return stored[0]
                if attempt == PLACE_ATTEMPTS:
                    raise
                time.sleep(1.0)
        raise AssertionError("unreachable")

    def _untracked_runs(self) -> list[int]:
        with session_scope(self.resources.sessions) as session:
            stored = session.scalars(select(PipelineRun.id).order_by(PipelineRun.id)).all()
        tracked = set(self.run_ids)
        return [run_id for run_id in stored if run_id not in tracked]

    # Faults ----------------------------------------------------------------------------------------------

    def inject_faults(self) -> None:
        kinds = itertools.cycle(self.config.faults) if self.config.faults else None
        next_fault = self.started + self.config.fault_every_s
        while not self.stop.wait(timeout=max(0.0, min(1.0, next_fault - time.monotonic()))):
            self._restart_dead_workers()
            if kinds is None or time.monotonic() < next_fault:
                continue
            kind = next(kinds)
            at_s = self.elapsed_s()
            injectors: dict[str, Callable[[], dict[str, Any]]] = {
                "kill-stage": self._kill_stage,
                "kill-worker": self._kill_worker,
                "broker-restart": self.broker.restart,
                "db-drop": self._drop_worker_connections,
            }
            try:
                detail = injectors[kind]()
            except Exception as exc:  # a fault that could not be injected is reported, not fatal
                detail = {"error": _one_line(exc)}
            self.faults.append({"t_s": round(at_s, 1), "kind": kind, **detail})
            self.log(f"[{at_s:7.1f} s] fault {kind}: " + ", ".join(f"{k} {v}" for k, v in detail.items()))
            next_fault = max(next_fault + self.config.fault_every_s, time.monotonic())

    def _restart_dead_workers(self) -> None:
        for index, worker in enumerate(self.workers):
            if worker.process is None or worker.process.poll() is None:
                continue
            exit_code = worker.process.returncode
            self.unexpected_worker_exits.append({"t_s": round(self.elapsed_s(), 1), "worker": index, "code": exit_code})
            self.note(f"worker {index} exited by itself (code {exit_code}); starting it again")
            try:
                worker.start()
            except RuntimeError as exc:  # tried again on the next tick
                self.note(f"worker {index} did not start again: {_one_line(exc)}")

    def _running_stages(self) -> list[str]:
        with session_scope(self.resources.sessions) as session:
            rows = session.execute(
                select(StageRun.pipeline_run_id, StageRun.stage).where(StageRun.state == StageState.RUNNING)
            ).all()
        return [f"{run_id}:{stage}" for run_id, stage in rows]

    def _kill_stage(self) -> dict[str, Any]:
        """SIGKILL the pool process of a worker that is busy (it used CPU in the last 0.3 s), or any one."""
        order = self.rng.sample(range(len(self.workers)), len(self.workers))
        children = [(index, pid) for index in order for pid in self.workers[index].pool_children()]
        if not children:
            return {"skipped": "no pool process"}
        before = {pid: _cpu_ticks(pid) or 0 for _, pid in children}
        time.sleep(0.3)
        busy = [(index, pid) for index, pid in children if (_cpu_ticks(pid) or 0) > before[pid]]
        index, pid = (busy or children)[0]
        running = self._running_stages()
        os.kill(pid, signal.SIGKILL)
        return {"worker": index, "pid": pid, "busy": bool(busy), "stages_running": running}

    def _kill_worker(self) -> dict[str, Any]:
        index = self.rng.randrange(len(self.workers))
        running = self._running_stages()
        self.workers[index].kill()
        restarted = time.monotonic()
        self.workers[index].start()
        return {"worker": index, "stages_running": running, "restart_seconds": round(time.monotonic() - restarted, 1)}

    def _drop_worker_connections(self) -> dict[str, Any]:
        with self.resources.engine.connect() as connection:
            dropped = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = :name"
                ),
                {"name": WORKER_APPLICATION_NAME},
            ).scalar_one()
        return {"connections_dropped": int(dropped), "stages_running": self._running_stages()}

    # Resume ----------------------------------------------------------------------------------------------

    def resume_periodically(self) -> None:
        celery = make_celery(self.resources.settings)  # its own app, as the timer's process would have
        while not self.stop.wait(timeout=self.config.resume_every_s):
            try:
                resumed, swept = recover_stalled_work(self.resources, celery, idle_seconds=self.config.resume_idle_s)
            except Exception as exc:  # the broker or the database is away right now: the next tick tries again
                self.resume_errors.append({"t_s": round(self.elapsed_s(), 1), "error": _one_line(exc)})
                continue
            self.resume_calls += 1
            self.resends += len(resumed)
            self.resumed_runs.update(resumed)
            self.temp_files_swept += swept
            if resumed:
                self.note(f"resumed run(s) {', '.join(map(str, resumed))}")


def _one_line(exc: BaseException, chars: int = 240) -> str:
    return f"{type(exc).__name__}: {exc}".replace("\n", " ")[:chars]


def latency_percentiles(seconds: list[float]) -> dict[str, float | None]:
    if not seconds:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    values = np.asarray(seconds)
    return {
        "p50": round(float(np.percentile(values, 50)), 2),
        "p95": round(float(np.percentile(values, 95)), 2),
        "p99": round(float(np.percentile(values, 99)), 2),
        "max": round(float(values.max()), 2),
    }


def failed_error_codes(resources: Resources, run_ids: list[int]) -> dict[str, int]:
    with session_scope(resources.sessions) as session:
        codes = session.scalars(
            select(PipelineRun.error_code).where(PipelineRun.id.in_(run_ids), PipelineRun.state == RunState.FAILED)
        ).all()
    return dict(Counter(code or "unknown" for code in codes))


def soak_settings(config: SoakConfig, database_url: str, broker_url: str) -> Settings:
    """Production settings (default retries and backoff) on the soak's database, broker and folder."""
    return Settings(
        var_dir=config.work_dir / "var",
        database_url=_named_connections(database_url, SOAK_APPLICATION_NAME),
        broker_url=broker_url,
        artifact_dir=config.work_dir / "artifacts",
    )


def run_soak(config: SoakConfig, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the soak and audit it; ``report['ok']`` is False when an order was lost or anything duplicated."""
    vertices, faces = dense_template_mesh(config.template_path, config.scan_faces)
    rng = random.Random(config.seed)
    styles = tuple(rng.sample(STYLE_NAMES, len(STYLE_NAMES)))
    report: dict[str, Any] = {
        "orders_requested": config.orders,
        "workers": config.workers,
        "broker": config.broker,
        "in_flight": config.in_flight,
        "feeding": "closed loop, workers + 1 orders in flight",
        "scan_faces": len(faces),
        "styles": list(styles),
        "fault_every_seconds": config.fault_every_s,
        "fault_kinds": list(config.faults),
        "resume_every_seconds": config.resume_every_s,
        "resume_idle_seconds": config.resume_idle_s,
        "seed": config.seed,
        "timeout_seconds": config.deadline_s,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    with throwaway_postgres(config.postgres_url, prefix="cspms_soak") as database_url, private_broker(config) as broker:
        settings = soak_settings(config, database_url, broker.url)
        upgrade(settings.resolved_database_url)
        resources = build_resources(settings)
        try:
            scans = partial(order_scan_bytes, vertices, faces)  # order i's scan: unique, nothing reused
            report.update(_soak(config, resources, broker, scans, rng, styles, log))
        finally:
            resources.engine.dispose()
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def _soak(
    config: SoakConfig,
    resources: Resources,
    broker: SoakBroker,
    scans: Callable[[int], bytes],
    rng: random.Random,
    styles: tuple[str, ...],
    log: Callable[[str], None] | None,
) -> dict[str, Any]:
    """Workers up, then orders fed while the fault and resume threads run; the audit once all is stopped."""
    worker_settings = resources.settings.model_copy(
        update={"database_url": _named_connections(resources.settings.database_url, WORKER_APPLICATION_NAME)}
    )
    workers = [WorkerProcess(worker_settings, config.work_dir / f"worker-{i}.log") for i in range(config.workers)]
    soak = _Soak(
        config=config,
        resources=resources,
        workers=workers,
        broker=broker,
        scans=scans,
        log=log or (lambda _message: None),
        rng=rng,
        styles=styles,
    )
    threads = [
        threading.Thread(target=soak.inject_faults, name="soak-faults", daemon=True),
        threading.Thread(target=soak.resume_periodically, name="soak-resume", daemon=True),
    ]
    try:
        for worker in workers:
            worker.start()
        soak.started = time.monotonic()
        for thread in threads:
            thread.start()
        fed = soak.feed()
        wall_s = soak.elapsed_s()
    finally:
        soak.stop.set()
        for thread in threads:
            if thread.is_alive():
                thread.join(timeout=120)
        for worker in workers:
            worker.stop()  # warm shutdown: a stage in hand finishes, so the store audit sees no write midway
    return _summary(soak, fed, wall_s)


def _summary(soak: _Soak, fed: dict[str, Any], wall_s: float) -> dict[str, Any]:
    resources = soak.resources
    latencies: list[float] = fed["latencies"]
    checked = audit(resources, soak.run_ids)
    duplicated = checked["duplicate_stage_runs"] + checked["duplicate_work_orders"] + checked["duplicate_artifacts"]
    not_placed = soak.config.orders - len(soak.run_ids)
    return {
        "stop_reason": fed["stop_reason"],
        "ok": checked["lost"] == 0
        and not_placed == 0
        and duplicated == 0
        and checked["blobs_missing"] == 0
        and checked["blobs_corrupt"] == 0,
        "wall_seconds": round(wall_s, 1),
        "throughput_orders_per_min": round(60.0 * len(latencies) / wall_s, 2) if wall_s > 0 else None,
        "latency_seconds": latency_percentiles(latencies),
        "orders_not_placed": not_placed,
        **checked,
        "failed_by_error_code": failed_error_codes(resources, soak.run_ids),
        "faults_by_kind": dict(Counter(fault["kind"] for fault in soak.faults)),
        "faults_not_injected": sum(1 for fault in soak.faults if "error" in fault or "skipped" in fault),
        "faults": soak.faults,
        "resume": {
            "calls": soak.resume_calls,
            "resends": soak.resends,
            "runs_resumed": len(soak.resumed_runs),
            "temp_files_swept": soak.temp_files_swept,
            "errors": soak.resume_errors,
        },
        "placement_errors": soak.placement_errors,
        "unexpected_worker_exits": soak.unexpected_worker_exits,
    }

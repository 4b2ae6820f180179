"""Whether the pipeline can make progress: the database answers, the broker accepts connections, a worker is
alive (its heartbeat is fresh), and queued work is being taken. ``/api/health`` reports it.

Cheap on purpose (a load balancer asks every few seconds): two indexed queries and a scan of unfinished runs,
a few small files, and a broker connection check whose answer is kept for a couple of seconds.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from manufacturing.clock import utc_now
from manufacturing.db.models import PipelineRun, StageRun
from manufacturing.db.session import session_scope
from manufacturing.pipeline.heartbeat import heartbeat_dir, read_heartbeats
from manufacturing.pipeline.resources import Resources
from manufacturing.settings import Settings
from manufacturing.states import RunState

BROKER_TIMEOUT_S = 0.5
BROKER_ANSWER_KEPT_S = 2.0


@dataclass(frozen=True)
class DatabaseHealth:
    reachable: bool
    dialect: str


@dataclass(frozen=True)
class BrokerHealth:
    reachable: bool
    kind: str  # filesystem, redis, amqp: never the host


@dataclass(frozen=True)
class WorkerHealth:
    alive: bool
    workers: int  # processes with a fresh heartbeat
    heartbeat_age_s: float | None  # the freshest
    restarts: int  # by `cspms serve`'s supervisors, since they started
    last_restart_age_s: float | None


@dataclass(frozen=True)
class QueueHealth:
    waiting_runs: int  # queued or running
    oldest_wait_s: float | None  # the longest any unfinished run has gone without stage activity
    last_task_age_s: float | None  # since a worker last took a stage
    stuck: bool  # work has waited `queue_stuck_after_s` and no worker took anything meanwhile


@dataclass(frozen=True)
class PipelineHealth:
    database: DatabaseHealth
    broker: BrokerHealth
    worker: WorkerHealth
    queue: QueueHealth

    @property
    def problems(self) -> list[str]:
        """One short sentence per fault, for the people on call (no host, no trace)."""
        found = []
        if not self.database.reachable:
            found.append("the database does not answer")
        if not self.broker.reachable:
            found.append("the broker does not accept connections")
        if not self.worker.alive:
            found.append("no worker has a fresh heartbeat")
        if self.queue.stuck:
            found.append("queued work is waiting and no worker has taken a task")
        return found

    @property
    def ok(self) -> bool:
        return not self.problems


def check_pipeline(resources: Resources) -> PipelineHealth:
    settings, now = resources.settings, utc_now()
    try:
        with session_scope(resources.sessions) as session:
            session.execute(text("SELECT 1"))
            queue = queue_health(session, now, settings.queue_stuck_after_s)
        reachable = True
    except SQLAlchemyError:
        queue, reachable = QueueHealth(waiting_runs=0, oldest_wait_s=None, last_task_age_s=None, stuck=False), False
    return PipelineHealth(
        database=DatabaseHealth(reachable, resources.engine.dialect.name),
        broker=broker_health(settings),
        worker=worker_health(settings, now),
        queue=queue,
    )


def worker_health(settings: Settings, now: datetime) -> WorkerHealth:
    beats = read_heartbeats(heartbeat_dir(settings))
    fresh = [b for b in beats if b.age_s(now) <= settings.worker_stale_after_s]
    workers = [b for b in fresh if b.role == "worker"]
    supervisors = [b for b in fresh if b.role == "supervisor"]
    restarted = [b.last_restart_at for b in supervisors if b.last_restart_at is not None]
    return WorkerHealth(
        alive=bool(workers),
        workers=len(workers),
        heartbeat_age_s=min((b.age_s(now) for b in workers), default=None),
        restarts=sum(b.restarts for b in supervisors),
        last_restart_age_s=(now - max(restarted)).total_seconds() if restarted else None,
    )


def queue_health(session: Session, now: datetime, stuck_after_s: float) -> QueueHealth:
    """From the runs: unfinished ones, how long each has gone without activity, and the latest stage taken."""
    unfinished = session.execute(
        select(PipelineRun.created_at, func.max(StageRun.started_at), func.max(StageRun.finished_at))
        .outerjoin(StageRun, StageRun.pipeline_run_id == PipelineRun.id)
        .where(PipelineRun.state.in_([RunState.QUEUED, RunState.RUNNING]))
        .group_by(PipelineRun.id)
    ).all()
    # The newest stage run is the latest first take; a retaken stage belongs to an unfinished run (above).
    newest_take = session.scalar(select(StageRun.started_at).order_by(StageRun.id.desc()).limit(1))
    takes = [t for t in (newest_take, *(row[1] for row in unfinished)) if t is not None]
    last_take = max(takes, default=None)
    idle_s = [(now - max(t for t in row if t is not None)).total_seconds() for row in unfinished]
    oldest_wait_s = max(idle_s, default=None)
    last_task_age_s = (now - last_take).total_seconds() if last_take is not None else None
    stuck = (
        oldest_wait_s is not None
        and oldest_wait_s > stuck_after_s
        and (last_task_age_s is None or last_task_age_s > stuck_after_s)
    )
    return QueueHealth(len(unfinished), oldest_wait_s, last_task_age_s, stuck)


@dataclass
class _Answer:
    reachable: bool
    at_s: float


_broker_answers: dict[str, _Answer] = {}
_broker_lock = threading.Lock()


def broker_health(settings: Settings) -> BrokerHealth:
    """Whether the broker accepts a connection, asked at most every ``BROKER_ANSWER_KEPT_S`` per process."""
    kind = settings.broker_url.split("://", 1)[0].replace("rediss", "redis").replace("pyamqp", "amqp")
    with _broker_lock:
        kept = _broker_answers.get(settings.broker_url)
        if kept is not None and time.monotonic() - kept.at_s < BROKER_ANSWER_KEPT_S:
            return BrokerHealth(kept.reachable, kind)
    reachable = broker_reachable(settings)
    with _broker_lock:
        _broker_answers[settings.broker_url] = _Answer(reachable, time.monotonic())
    return BrokerHealth(reachable, kind)


def broker_reachable(settings: Settings, timeout_s: float = BROKER_TIMEOUT_S) -> bool:
    """The embedded broker: its queue folder is writable. Redis: it answers PING. RabbitMQ: its port accepts
    a connection (a full AMQP handshake costs tens of ms; a refused or silent port is what goes wrong)."""
    if settings.uses_embedded_broker:
        queue = settings.broker_dir / "queue"
        return queue.is_dir() and os.access(queue, os.W_OK)
    if settings.broker_url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(settings.broker_url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()
    parts = urlsplit(settings.broker_url)
    default_port = 5671 if parts.scheme == "amqps" else 5672
    try:
        with socket.create_connection((parts.hostname or "localhost", parts.port or default_port), timeout_s):
            return True
    except OSError:
        return False

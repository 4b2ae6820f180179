"""The health check's answer."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from web.api.schemas.common import Record


class DatabaseOut(Record):
    reachable: bool = Field(description="Whether the database answered `SELECT 1`.")
    dialect: str = Field(description="The database dialect the app talks to (`postgresql`, `sqlite`).")


class BrokerOut(Record):
    reachable: bool = Field(description="Whether the broker accepted a connection (checked at most every 2 s).")
    kind: str = Field(description="`filesystem` (the embedded broker), `redis` or `amqp`.")


class WorkerOut(Record):
    alive: bool = Field(description="Whether at least one worker wrote its heartbeat recently.")
    workers: int = Field(description="Workers with a fresh heartbeat.")
    heartbeat_age_s: float | None = Field(description="Age of the freshest worker heartbeat (s); null: none.")
    restarts: int = Field(description="Times `cspms serve` restarted its embedded worker after it died.")
    last_restart_age_s: float | None = Field(description="Time since the last such restart (s); null: none.")


class QueueOut(Record):
    waiting_runs: int = Field(description="Pipeline runs queued or running.")
    oldest_wait_s: float | None = Field(
        description="The longest any of them has gone without stage activity (s); null: none waits."
    )
    last_task_age_s: float | None = Field(description="Time since a worker last took a stage (s); null: never.")
    stuck: bool = Field(description="Work has waited too long and no worker took a task meanwhile.")


class HealthOut(Record):
    status: Literal["ok", "degraded"] = Field(
        description="`ok`: everything below is well. `degraded`: see `problems` (the answer is a 503 when the "
        "database does not answer, a 200 otherwise)."
    )
    problems: list[str] = Field(description="One sentence per fault; empty when `ok`.")
    database: DatabaseOut
    broker: BrokerOut
    worker: WorkerOut
    queue: QueueOut

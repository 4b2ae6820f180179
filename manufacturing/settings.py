"""One typed settings object for every process (web, worker, CLI), read from ``CSPMS_*`` variables.

Defaults are the embedded profile: a SQLite file and a filesystem broker under ``./var``, so nothing
needs a server. Production sets ``CSPMS_DATABASE_URL`` (PostgreSQL), ``CSPMS_BROKER_URL`` (Redis or
RabbitMQ) and a shared ``CSPMS_ARTIFACT_DIR``; the code is the same. See docs/settings.md.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from geometry.errors import ConfigurationError

EMBEDDED_BROKER_URL = "filesystem://"


class Settings(BaseSettings):
    """Every CSPMS setting. Each field's description is its documentation (rendered by docs/settings.md)."""

    model_config = SettingsConfigDict(env_prefix="CSPMS_", env_file=".env", extra="ignore")

    var_dir: Path = Field(
        Path("var"),
        description="Folder for the embedded profile's files (SQLite database, broker queue, artifacts).",
    )
    database_url: str = Field(
        "",
        description=(
            "SQLAlchemy URL of the database. Empty means the embedded SQLite file `<var_dir>/cspms.sqlite`. "
            "Production: `postgresql+psycopg://user@host:5432/cspms`."
        ),
    )
    artifact_dir: Path | None = Field(
        None,
        description=(
            "Root of the content-addressed artifact store. Empty means `<var_dir>/artifacts`. "
            "With several worker machines it must be a shared path (NFS or similar)."
        ),
    )
    broker_url: str = Field(
        EMBEDDED_BROKER_URL,
        description=(
            "Celery broker. `filesystem://` is the embedded broker (a queue folder under `<var_dir>/broker`, "
            "no server); production uses `redis://host:6379/0` or `amqp://user:pass@host:5672//`."
        ),
    )
    broker_poll_seconds: float = Field(
        0.2, gt=0, description="How often the embedded broker's worker looks for new messages."
    )
    worker_concurrency: int = Field(
        1, ge=1, description="Processes per `cspms worker` (use the machine's core count in production)."
    )
    task_max_retries: int = Field(
        3, ge=0, description="Retries of a stage after an unexpected error, with exponential backoff."
    )
    task_retry_backoff_seconds: float = Field(2.0, ge=0, description="First retry delay; it doubles on every retry.")
    worker_heartbeat_s: float = Field(
        5.0,
        gt=0,
        description=(
            "How often each worker (and `cspms serve`'s supervisor) writes its heartbeat file under "
            "`<artifact_dir>/supervision/heartbeats`, which `/api/health` reads."
        ),
    )
    worker_stale_after_s: float = Field(
        20.0,
        gt=0,
        description="A worker whose last heartbeat is older than this (s) counts as dead in the health check.",
    )
    worker_restart_delay_s: float = Field(
        1.0,
        gt=0,
        description=(
            "First delay (s) before `cspms serve` restarts its embedded worker after it died; it doubles while "
            "the worker keeps dying within a minute, up to 60 s."
        ),
    )
    recovery_interval_s: float = Field(
        60.0,
        gt=0,
        description=(
            "How often the workers' periodic recovery runs (s): resend stalled runs, remove stale temp files; "
            "one machine at a time."
        ),
    )
    pipeline_stall_after_s: float = Field(
        600.0,
        gt=0,
        description=(
            "A run with no stage activity for this long (s) is resent by the periodic recovery; longer than the "
            "slowest stage with its retries."
        ),
    )
    queue_stuck_after_s: float = Field(
        300.0,
        gt=0,
        description=(
            "The health check says `degraded` when work has waited this long (s) and no worker took a task "
            "meanwhile."
        ),
    )
    max_upload_bytes: int = Field(
        200 * 1024 * 1024, gt=0, description="Largest scan or file accepted by the API and the CLI."
    )
    max_scan_elements: int = Field(
        3_000_000,
        gt=0,
        description=(
            "Vertices plus faces an uploaded scan may expand to, every instance placed (a glTF mesh reused by "
            "several nodes counts once per node); counted from the file's header or lines before it is parsed."
        ),
    )
    max_unpacked_bytes: int = Field(
        256 * 1024 * 1024,
        gt=0,
        description="What an uploaded archive (3MF) may unpack to, counted while it unpacks, and at most 100 times "
        "its own size.",
    )
    # The web server's geometry pool (manufacturing/geometry_pool.py); named when it only measured scans.
    scan_measure_workers: int = Field(
        2,
        ge=1,
        description=(
            "Processes of the geometry pool of each web server process: heavy geometry runs there, off the event "
            "loop (measuring scans, fitting lasts, pricing designs and drawing their previews, size runs, revising "
            "lasts after fit feedback)."
        ),
    )
    scan_measure_timeout_s: float = Field(
        120.0,
        gt=0,
        description="One task of the geometry pool is stopped after this long (s): 503 `compute_timeout`.",
    )
    scan_measure_queue: int = Field(
        8,
        ge=0,
        description=(
            "Tasks that may wait for a process of the geometry pool; beyond, 503 `compute_busy` with `Retry-After`."
        ),
    )
    orphan_blob_min_age_s: float = Field(
        24 * 3600.0,
        gt=0,
        description="Stored blobs that no record names are removed by the periodic recovery (and `cspms artifacts "
        "sweep`) once this old (s): younger ones may belong to a record not committed yet.",
    )
    max_json_body_bytes: int = Field(
        32 * 1024 * 1024,
        gt=0,
        description="Largest JSON request body the API reads (413 beyond); QC photos sent as base64 count in it.",
    )
    max_json_depth: int = Field(
        32, ge=2, le=256, description="Deepest nesting of arrays and objects a JSON request body may have (422 beyond)."
    )
    profile: Literal["auto", "production"] = Field(
        "auto",
        description=(
            "`production` demands production's safeguards (a strong `CSPMS_SECRET_KEY`, no generated key files) "
            "whatever the database; `auto` applies them when the database is PostgreSQL."
        ),
    )
    secret_key: SecretStr | None = Field(
        None,
        description=(
            "The key that signs session tokens: at least 43 random characters "
            "(`python -c 'import secrets; print(secrets.token_urlsafe(32))'`). Empty: the embedded profile keeps "
            "generated keys in the owner-only file `<var_dir>/session_keys` (`cspms secret rotate`); production "
            "refuses to start without it."
        ),
    )
    secret_keys_old: SecretStr = Field(
        SecretStr(""),
        description=(
            "Former secret keys, comma-separated, that still verify sessions but sign none (rotation: move the "
            "current key here, set a new one; remove it once its sessions have expired, and they are refused)."
        ),
    )
    public_url: str = Field(
        "",
        description=(
            "The address people reach the site at (links in e-mails; cookie writes must come from its origin). "
            "Empty: `http://<host>:<port>` of `cspms serve`. Production: `https://shop.example`."
        ),
    )
    allowed_origins: str = Field(
        "",
        description=(
            "Further origins (`scheme://host[:port]`, comma-separated) whose pages may write with the session "
            "cookie, beside `public_url`'s. The request's Host header is never trusted for this."
        ),
    )
    verification_link_ttl_s: int = Field(
        48 * 3600, ge=60, description="How long an e-mailed address-verification link works (s); it works once."
    )
    claim_code_ttl_s: int = Field(
        30 * 24 * 3600,
        ge=60,
        description="How long a walk-in customer's claim code works (s), printed when staff record them; once.",
    )
    smtp_host: str = Field(
        "", description="Mail server for verification links. Empty: mails are written to `<var_dir>/outbox/`."
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="Mail server port.")
    smtp_starttls: bool = Field(True, description="Upgrade the mail connection with STARTTLS before signing in.")
    smtp_username: str = Field("", description="Mail server user name (empty: no sign-in).")
    smtp_password: SecretStr = Field(SecretStr(""), description="Mail server password.")
    smtp_from: str = Field("cspms@localhost", description="The sender address of the mails the shop sends.")
    foot_template_path: Path = Field(
        Path("../shared/data/feet/find_template.obj"),
        description="The foot mesh typed measurements deform (the FIND template of ../shared/data; relative to "
        "the working directory, like `var_dir`).",
    )
    session_max_age_s: int = Field(
        12 * 3600, ge=60, description="How long a sign-in lasts (s) before the session token expires."
    )
    session_cookie_secure: bool = Field(
        False, description="Send the session cookie over HTTPS only. Production (behind TLS): true."
    )
    machine_tokens: SecretStr = Field(
        SecretStr(""),
        description=(
            "Cutting machines' bearer tokens for the machine API, `machine:token` pairs, comma-separated; "
            "empty closes the machine API."
        ),
    )
    host: str = Field("127.0.0.1", description="Address `cspms serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `cspms serve` listens on.")
    web_workers: int | None = Field(
        None,
        ge=1,
        le=64,
        description=(
            "Web server processes `cspms serve` runs. Empty means 1 on SQLite (the embedded profile: one writer "
            "at a time anyway) and twice the core count on PostgreSQL."
        ),
    )
    ledger_seal_interval_s: float = Field(
        3600.0,
        gt=0,
        description=(
            "How often the worker seals the ledger (s): each seal covers every entry recorded since the previous "
            "one and is published, signed, outside the database. `cspms ledger seal` seals at once."
        ),
    )
    ledger_publish_dir: Path | None = Field(
        None,
        description=(
            "Folder of the published ledger seals (`roots.jsonl`, append-only, one signed line per seal). Empty "
            "means `<artifact_dir>/ledger`. Keep a copy elsewhere too (`cspms ledger export`)."
        ),
    )
    ledger_signing_key: SecretStr | None = Field(
        None,
        description=(
            "Key (at least 32 characters) that signs the published ledger seals; never stored in the database. "
            "Empty means the owner-only file `<var_dir>/ledger_signing_key`, which the embedded profile creates "
            "on first use; production sets this, the same on every machine that seals or verifies."
        ),
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'cspms.sqlite').resolve()}"

    @property
    def resolved_artifact_dir(self) -> Path:
        return (self.artifact_dir or self.var_dir / "artifacts").resolve()

    @property
    def broker_dir(self) -> Path:
        return (self.var_dir / "broker").resolve()

    @property
    def resolved_web_workers(self) -> int:
        if self.web_workers is not None:
            return self.web_workers
        if self.resolved_database_url.startswith("sqlite"):
            return 1
        return 2 * (os.cpu_count() or 1)

    @property
    def uses_embedded_broker(self) -> bool:
        return self.broker_url.startswith("filesystem://")

    @property
    def is_production(self) -> bool:
        """Production's safeguards apply: said so, or a PostgreSQL database (shared by several machines)."""
        return self.profile == "production" or self.resolved_database_url.startswith("postgresql")

    @property
    def resolved_public_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in {"0.0.0.0", "::", ""} else self.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def check(self) -> None:
        """Reject settings that cannot work, naming the setting."""
        if self.broker_url.split("://", 1)[0] not in {"filesystem", "redis", "rediss", "amqp", "pyamqp"}:
            raise ConfigurationError(
                f"CSPMS_BROKER_URL {self.broker_url!r} is not filesystem://, redis:// or amqp://",
                setting="broker_url",
            )
        if self.resolved_database_url.split(":", 1)[0].split("+", 1)[0] not in {"sqlite", "postgresql"}:
            raise ConfigurationError(
                f"CSPMS_DATABASE_URL {self.database_url!r} is neither SQLite nor PostgreSQL",
                setting="database_url",
            )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once; tests clear the cache after changing the environment)."""
    settings = Settings()
    settings.check()
    return settings


def settings_reference_markdown() -> str:
    """The table of every setting, its variable, default and meaning (docs/settings.md embeds it)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = "" if isinstance(field.default, SecretStr) else field.default
        rows.append(f"| `CSPMS_{name.upper()}` | `{'' if default is None else default}` | {field.description} |")
    return "\n".join(rows) + "\n"

"""One typed settings object for every process (web, worker, CLI), read from ``CSPMS_*`` variables.

Defaults are the embedded profile: a SQLite file and a filesystem broker under ``./var``, so nothing
needs a server. Production sets ``CSPMS_DATABASE_URL`` (PostgreSQL), ``CSPMS_BROKER_URL`` (Redis or
RabbitMQ) and a shared ``CSPMS_ARTIFACT_DIR``; the code is the same. See docs/settings.md.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    max_upload_bytes: int = Field(
        200 * 1024 * 1024, gt=0, description="Largest scan or file accepted by the API and the CLI."
    )
    secret_key: SecretStr = Field(
        SecretStr("dev-only-change-me"),
        description="Key for signing sessions and tokens. Must be set to a long random value in production.",
    )
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
    def uses_embedded_broker(self) -> bool:
        return self.broker_url.startswith("filesystem://")

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
        default = "(development-only value)" if isinstance(field.default, SecretStr) else field.default
        rows.append(f"| `CSPMS_{name.upper()}` | `{'' if default is None else default}` | {field.description} |")
    return "\n".join(rows) + "\n"

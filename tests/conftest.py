"""Shared fixtures: real data from ../shared/data, per-test settings, and the real services.

Service fixtures (PostgreSQL, Redis) fail when the service is unreachable and ``CI=true``; on a developer
machine without the service they skip with the reason.

Databases at the head revision are copies of one migrated once per run (a SQLite file, a PostgreSQL template
database): running every migration again for each test cost ~0.2 s on SQLite and ~1 s on PostgreSQL. The
migrations themselves are tested from an empty database (tests/manufacturing/db/test_migrations.py). PostgreSQL
test databases are dropped on a thread of their own (a drop waits for a checkpoint).
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from manufacturing.db.migrate import upgrade
from manufacturing.db.throwaway import throwaway_postgres
from manufacturing.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
POSTGRES_URL = os.environ.get("CSPMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CSPMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def shared_file(relative: str) -> Path:
    """A file from ../shared/data; a missing file fails the test loudly (never a silent skip)."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.fail(f"shared data file missing: {path} (clone shared/ beside the repo)")
    return path


@pytest.fixture(scope="session")
def find_template_path() -> Path:
    return shared_file("feet/find_template.obj")


@pytest.fixture(scope="session")
def find_template_bytes(find_template_path: Path) -> bytes:
    return find_template_path.read_bytes()


def settings_in(var_dir: Path) -> Settings:
    """Embedded-profile settings isolated in ``var_dir`` (the ``settings`` fixture's, for a wider fixture)."""
    return Settings(var_dir=var_dir, broker_poll_seconds=0.1, task_retry_backoff_seconds=0.1)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded-profile settings isolated in this test's folder."""
    return settings_in(tmp_path / "var")


def service_unavailable(what: str, error: Exception) -> None:
    message = f"{what} is unreachable: {error}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: service tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        service_unavailable(f"PostgreSQL at {POSTGRES_URL}", exc)
    return POSTGRES_URL


class LaterDrops:
    """Drops test databases on a thread of its own: DROP DATABASE waits for a forced checkpoint (0.5-3 s under
    load), which no test needs to wait for. ``close`` drops what is left."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.names: queue.Queue[str | None] = queue.Queue(maxsize=16)  # a test waits rather than fill the disk
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._drop_each, name="drop-test-databases", daemon=True)
        self.thread.start()

    def drop(self, name: str) -> None:
        self.names.put(name)

    def close(self) -> None:
        self.names.put(None)
        self.thread.join()
        assert not self.errors, self.errors

    def _drop_each(self) -> None:
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            while (name := self.names.get()) is not None:
                try:
                    with admin.connect() as connection:
                        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                except Exception as exc:  # reported at the end of the run, not lost
                    self.errors.append(f"{name}: {exc}")
        finally:
            admin.dispose()


@pytest.fixture(scope="session")
def later_drops(postgres_server_url: str) -> Iterator[LaterDrops]:
    drops = LaterDrops(postgres_server_url)
    yield drops
    drops.close()


@contextmanager
def new_postgres_database(server_url: str, drops: LaterDrops, template: str | None = None) -> Iterator[str]:
    """A fresh database on ``server_url`` (a copy of ``template``, or empty); yields its URL. Dropped later, on
    ``drops``' thread, connections still open to it included."""
    name = f"cspms_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")  # CREATE DATABASE refuses a transaction
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    finally:
        admin.dispose()
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        drops.drop(name)


@pytest.fixture
def postgres_url(postgres_server_url: str, later_drops: LaterDrops) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with new_postgres_database(postgres_server_url, later_drops) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head, once per run; copied, never opened by a test."""
    path = tmp_path_factory.mktemp("schema") / "head.sqlite"
    upgrade(f"sqlite:///{path}")
    return path


def sqlite_at_head(template: Path, database_url: str) -> str:
    """Put a copy of the migrated ``template`` at ``database_url`` (a SQLite URL whose file does not exist yet)."""
    path = Path(make_url(database_url).database or "")
    assert database_url.startswith("sqlite") and not path.exists(), database_url
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    return database_url


@pytest.fixture
def migrated_settings(settings: Settings, migrated_sqlite_template: Path) -> Settings:
    """``settings`` whose SQLite database is already at head (as after ``cspms db upgrade``)."""
    sqlite_at_head(migrated_sqlite_template, settings.resolved_database_url)
    return settings


@pytest.fixture(scope="session")
def postgres_template(postgres_server_url: str) -> Iterator[str]:
    """The name of a PostgreSQL database migrated to head, once per run; only ever a template."""
    with throwaway_postgres(postgres_server_url, prefix="cspms_template") as url:
        upgrade(url)  # its engine is disposed: a template must have no open connection
        name = make_url(url).database
        assert name is not None
        yield name


@pytest.fixture
def migrated_postgres_url(postgres_server_url: str, postgres_template: str, later_drops: LaterDrops) -> Iterator[str]:
    """A fresh PostgreSQL database at head for one test (a copy of ``postgres_template``), dropped afterwards."""
    with new_postgres_database(postgres_server_url, later_drops, template=postgres_template) as url:
        yield url


def migrated_database_url(request: pytest.FixtureRequest, sqlite_path: Path) -> str:
    """For a fixture parametrized "sqlite" / "postgres": a database at head of that kind (SQLite at
    ``sqlite_path``)."""
    if request.param == "sqlite":
        template = request.getfixturevalue("migrated_sqlite_template")
        return sqlite_at_head(template, f"sqlite:///{sqlite_path}")
    url: str = request.getfixturevalue("migrated_postgres_url")
    return url


@pytest.fixture
def redis_url() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except Exception as exc:
        service_unavailable(f"Redis at {REDIS_URL}", exc)
    client.flushdb()
    try:
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()

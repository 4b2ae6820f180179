"""Shared fixtures: real data from ../shared/data, per-test settings, and the real services.

Service fixtures (PostgreSQL, Redis) fail when the service is unreachable and ``CI=true``; on a developer
machine without the service they skip with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded-profile settings isolated in this test's folder."""
    return Settings(var_dir=tmp_path / "var", broker_poll_seconds=0.1, task_retry_backoff_seconds=0.1)


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


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with throwaway_postgres(postgres_server_url, prefix="cspms_test") as url:
        yield url


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

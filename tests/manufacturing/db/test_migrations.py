"""Migrations build the schema the models describe, on SQLite and on PostgreSQL, and run both ways."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from manufacturing.db.migrate import (
    current_revision,
    downgrade,
    ensure_schema_current,
    head_revision,
    upgrade,
)
from manufacturing.db.models import Base
from manufacturing.db.session import make_engine

TABLES = {
    "customer",
    "foot_scan",
    "design",
    "customer_order",
    "pair",
    "artifact",
    "pipeline_run",
    "stage_run",
}


def _check_schema(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(url)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_sqlite_schema_matches_the_models(tmp_path: Path) -> None:
    _check_schema(f"sqlite:///{tmp_path / 'cspms.sqlite'}")


@pytest.mark.postgres
def test_postgres_schema_matches_the_models(postgres_url: str) -> None:
    _check_schema(postgres_url)


@pytest.mark.postgres
def test_an_outdated_postgres_schema_is_reported_not_silently_upgraded(postgres_url: str) -> None:
    from geometry.errors import ConfigurationError

    engine = make_engine(postgres_url)
    try:
        with pytest.raises(ConfigurationError, match="cspms db upgrade"):
            ensure_schema_current(engine)
    finally:
        engine.dispose()


def test_an_embedded_sqlite_database_is_brought_up_to_date(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    ensure_schema_current(engine)
    assert current_revision(engine) == head_revision()

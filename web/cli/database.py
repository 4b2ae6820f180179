"""``cspms db upgrade|current``, and the database for commands that read or write records: the configured one,
its schema made current (an embedded SQLite file is upgraded in place; elsewhere a clear error asks for
``cspms db upgrade``)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from manufacturing.settings import get_settings


def session_factory() -> sessionmaker[Session]:
    from manufacturing.db.migrate import ensure_schema_current
    from manufacturing.db.session import make_engine, make_session_factory

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    ensure_schema_current(engine)
    return make_session_factory(engine)


def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Create or migrate the database to the latest schema (SQLite or PostgreSQL, from settings)."""
    from manufacturing.db.migrate import upgrade

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url, revision)
    typer.echo(f"database at revision {revision}: {_safe_url(settings.resolved_database_url)}")


def db_current() -> None:
    """Print the database's current schema revision."""
    from manufacturing.db.migrate import current_revision, head_revision
    from manufacturing.db.session import make_engine

    engine = make_engine(get_settings().resolved_database_url)
    typer.echo(f"current: {current_revision(engine)}  head: {head_revision()}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)

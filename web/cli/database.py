"""The database for commands that read or write records: the configured one, its schema made current
(an embedded SQLite file is upgraded in place; elsewhere a clear error asks for ``cspms db upgrade``)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker


def session_factory() -> sessionmaker[Session]:
    from manufacturing.db.migrate import ensure_schema_current
    from manufacturing.db.session import make_engine, make_session_factory
    from manufacturing.settings import get_settings

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    ensure_schema_current(engine)
    return make_session_factory(engine)

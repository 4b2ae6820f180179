"""Engines, sessions and the commit boundary.

Services never commit: the request or the task that called them commits once, through
``session_scope``. Work that must only happen if the data landed (enqueueing a pipeline) is
registered with ``run_after_commit`` and is dropped on rollback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

_AFTER_COMMIT = "cspms_after_commit"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for SQLite (embedded) or PostgreSQL (production)."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets the worker and the web app share the file.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    return factory


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit at the end, roll back on any error, then run after-commit hooks."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def run_after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once this session's transaction commits; forget it on rollback."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


@event.listens_for(Session, "after_commit")
def _run_after_commit_hooks(session: Session) -> None:
    actions = session.info.pop(_AFTER_COMMIT, [])
    for action in actions:
        action()


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit_hooks(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_AFTER_COMMIT, None)

"""The process's database engine, session factory and artifact store, built once from settings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from manufacturing.artifacts import ArtifactStore
from manufacturing.db.session import make_engine, make_session_factory
from manufacturing.settings import Settings, get_settings


@dataclass(frozen=True)
class Resources:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: ArtifactStore


def build_resources(settings: Settings, *, pooled: bool = True) -> Resources:
    """``pooled=False``: every session opens its own connection and closes it, for a thread of a process that
    forks later (a worker's main process), so no child inherits an open connection."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url, **({} if pooled else {"poolclass": NullPool}))
    return Resources(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        store=ArtifactStore(settings.resolved_artifact_dir),
    )


@lru_cache(maxsize=1)
def process_resources() -> Resources:
    """Built lazily, so each forked worker process opens its own connections."""
    return build_resources(get_settings())

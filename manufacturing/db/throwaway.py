"""A throwaway PostgreSQL database: made for one run (a test, a benchmark, a soak) on a server, dropped after it,
so runs never see each other's rows and leave nothing behind."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def throwaway_postgres(server_url: str, prefix: str = "cspms_run") -> Iterator[str]:
    """A fresh, empty database on ``server_url`` (named ``prefix`` and a random suffix); yields its URL. It is
    dropped afterwards, connections still open to it included."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")  # CREATE / DROP DATABASE refuse a transaction
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()

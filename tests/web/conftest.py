import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from manufacturing.accounts.roles import Role
from manufacturing.accounts.service import Principal, add_account
from manufacturing.accounts.tokens import issue_token
from manufacturing.db.session import session_scope
from manufacturing.settings import Settings
from tests.conftest import settings_in, sqlite_at_head
from web.api.app import create_app

PASSWORD = "correct horse battery"  # every test account's


def make_account(app: FastAPI, email: str, role: Role) -> Principal:
    """A real account in the app's database (hashed password ``PASSWORD``)."""
    with session_scope(app.state.resources.sessions) as session:
        return add_account(session, email, PASSWORD, role)


def bearer(app: FastAPI, principal: Principal) -> dict[str, str]:
    """Headers that sign a request in as ``principal`` (the token the login route would return)."""
    return {"Authorization": f"Bearer {issue_token(app.state.resources.settings, principal)}"}


def signed_in(app: FastAPI, email: str, role: Role) -> dict[str, str]:
    return bearer(app, make_account(app, email, role))


@contextmanager
def serving(settings: Settings, headers: dict[str, str] | None = None) -> Iterator[TestClient]:
    """A client of the app on ``settings`` (a database at head), signed in with ``headers`` or, by default, as a
    new administrator."""
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        test_client.headers.update(headers or signed_in(app, "admin@example.com", Role.ADMIN))
        yield test_client
    app.state.resources.engine.dispose()


@pytest.fixture
def client(migrated_settings: Settings) -> Iterator[TestClient]:
    """A client signed in as an administrator (every route open); role rules are tested with ``signed_in``."""
    with serving(migrated_settings) as test_client:
        yield test_client


@pytest.fixture
def anonymous(client: TestClient) -> Iterator[TestClient]:
    """A client of the same app that has not signed in."""
    with TestClient(client.app, raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass(frozen=True)
class SavedWorkshop:
    """A var folder (database, artifact store, queue, session keys) as a module's fixture left it, after work
    that takes long to redo (orders through the pipeline), and its administrator's headers."""

    var_dir: Path
    headers: dict[str, str]


@contextmanager
def new_workshop(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_template: Path) -> Iterator[TestClient]:
    """An administrator's client on a new var folder (a database at head), for a module-scoped fixture to fill;
    ``saved`` keeps it once the client is closed."""
    settings = settings_in(tmp_path_factory.mktemp("workshop") / "var")
    sqlite_at_head(migrated_sqlite_template, settings.resolved_database_url)
    with serving(settings) as test_client:
        yield test_client


def saved(client: TestClient) -> SavedWorkshop:
    """The workshop behind a closed ``new_workshop`` client."""
    settings: Settings = client.app.state.resources.settings  # type: ignore[attr-defined]
    return SavedWorkshop(settings.var_dir, {"Authorization": client.headers["Authorization"]})


@contextmanager
def reopened(workshop: SavedWorkshop, settings: Settings) -> Iterator[TestClient]:
    """A copy of ``workshop`` in ``settings``' own var folder, served: each test changes its copy only."""
    shutil.copytree(workshop.var_dir, settings.var_dir)
    with serving(settings, workshop.headers) as test_client:
        yield test_client

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from manufacturing.accounts.roles import Role
from manufacturing.accounts.service import Principal, add_account
from manufacturing.accounts.tokens import issue_token
from manufacturing.db.migrate import upgrade
from manufacturing.db.session import session_scope
from manufacturing.settings import Settings
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


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A client signed in as an administrator (every route open); role rules are tested with ``signed_in``."""
    upgrade(settings.resolved_database_url)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        test_client.headers.update(signed_in(app, "admin@example.com", Role.ADMIN))
        yield test_client
    app.state.resources.engine.dispose()


@pytest.fixture
def anonymous(client: TestClient) -> Iterator[TestClient]:
    """A client of the same app that has not signed in."""
    with TestClient(client.app, raise_server_exceptions=False) as test_client:
        yield test_client

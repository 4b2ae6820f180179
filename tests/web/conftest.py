from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from manufacturing.db.migrate import upgrade
from manufacturing.settings import Settings
from web.api.app import create_app


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    upgrade(settings.resolved_database_url)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.resources.engine.dispose()

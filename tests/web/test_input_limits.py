"""Input the API refuses before it can hurt (docs/api.md, "Input limits"): JSON bodies too deep, too large or with
numbers that are not finite; cursors that are not ours, however long or deep; last parameters, quantities and
measurements past any real value; control characters in a search, the same on SQLite and PostgreSQL. Each is a
typed problem that names what is wrong, never a 500, and nothing is stored or priced."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from manufacturing.accounts.roles import Role
from manufacturing.db.migrate import upgrade
from manufacturing.db.models import Design
from manufacturing.db.session import session_scope
from manufacturing.settings import Settings
from tests.lasts.last_samples import FIND_LIKE
from tests.web.conftest import signed_in
from web.api.app import create_app

LAST = FIND_LIKE.with_values(side="right").to_dict()


def _post_json(client: TestClient, path: str, text: str):
    return client.post(path, content=text.encode(), headers={"Content-Type": "application/json"})


def _designs_stored(client: TestClient) -> int:
    with session_scope(client.app.state.resources.sessions) as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count(Design.id))) or 0)


def test_deep_json_options_are_refused_in_a_body_and_in_an_order_form(client: TestClient) -> None:
    deep = "[" * 5000 + "]" * 5000
    body = _post_json(client, "/api/designs", '{"options": {"style": "derby", "logo": ' + deep + '}, "last": {}}')
    assert body.status_code == 422 and body.json()["code"] == "json_too_deep"
    assert "at most 32 levels" in body.json()["detail"]
    # Within the body's limit, but deeper than a free-form object may be.
    nested = _post_json(client, "/api/designs", json.dumps({"options": {"style": "derby", "logo": [[[[[[[[[1]]]]]]]]]},
                                                           "last": LAST}))  # fmt: skip
    assert nested.status_code == 422 and nested.json()["errors"][0]["location"] == "body.options"
    assert "levels deep" in nested.json()["errors"][0]["message"]
    # The order form's options are JSON text: parsed by the domain, within its own limits.
    options = '{"style": "derby", "logo": ' + deep + "}"
    order = client.post("/api/orders", files={"scan": ("foot.stl", b"solid x", "application/octet-stream")},
                        data={"options": options, "email": "walker@example.com"})  # fmt: skip
    assert order.status_code == 422 and order.json()["code"] == "invalid_options"
    assert order.json()["detail"] == "options is nested 5001 levels deep; at most 8 levels are read"
    assert _designs_stored(client) == 0


def test_a_json_body_over_the_size_limit_is_a_413_before_it_is_read(settings: Settings) -> None:
    small = settings.model_copy(update={"max_json_body_bytes": 2000})
    upgrade(small.resolved_database_url)
    app = create_app(small)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers.update(signed_in(app, "admin@example.com", Role.ADMIN))
        big = client.post("/api/designs", json={"options": {"style": "derby"}, "last": LAST, "pad": "x" * 5000})
        assert big.status_code == 413 and big.json()["code"] == "input_too_large"
        assert big.json()["details"]["limit_bytes"] == 2000
    app.state.resources.engine.dispose()


@pytest.mark.parametrize("levels", [3000, 40_000])
def test_a_deep_or_long_cursor_is_an_invalid_cursor(client: TestClient, levels: int) -> None:
    cursor = base64.urlsafe_b64encode(b"[" * levels).decode().rstrip("=")
    response = client.get("/api/pairs", params={"cursor": cursor})
    assert response.status_code == 422 and response.json()["code"] == "invalid_cursor"
    assert len(response.json()["detail"]) < 200  # the cursor is not echoed back whole


def test_other_bad_cursors_are_invalid_cursors(client: TestClient) -> None:
    for raw in (b'{"after": 1e999}', b'{"after": NaN}', b'{"after": 99999999999999999999}', b'{"after": [1]}',
                b"[1, 2]", b'{"after": -1}', b"\xff\xfe", b"[" * 40):  # fmt: skip
        cursor = base64.urlsafe_b64encode(raw).decode()
        response = client.get("/api/pairs", params={"cursor": cursor})
        assert response.status_code == 422 and response.json()["code"] == "invalid_cursor", raw


@pytest.mark.parametrize("written", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_last_parameters_are_refused_naming_the_field(client: TestClient, written: str) -> None:
    text = json.dumps({"options": {"style": "derby"}, "email": "walker@example.com", "last": {**LAST,
                       "ball_girth_mm": "@"}}).replace('"@"', written)  # fmt: skip
    response = _post_json(client, "/api/designs", text)
    assert response.status_code == 422 and response.json()["code"] == "non_finite_number"
    assert response.json()["details"]["field"] == "last.ball_girth_mm"
    assert _designs_stored(client) == 0


@pytest.mark.parametrize("field", ["ball_girth_mm", "waist_girth_mm", "cone_height_mm", "back_lean_mm",
                                   "bottom_width_ratio"])  # fmt: skip
def test_last_parameters_of_1e308_are_refused_not_priced(client: TestClient, field: str) -> None:
    response = client.post("/api/designs", json={"options": {"style": "derby"}, "email": "walker@example.com",
                                                 "last": {**LAST, field: 1e308}})  # fmt: skip
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "invalid_last_parameter" and problem["details"]["field"] == field
    assert "finite number" in problem["detail"] and problem["details"]["allowed"] in problem["detail"]
    assert _designs_stored(client) == 0


def test_numbers_past_their_range_name_the_field_and_the_range(client: TestClient) -> None:
    lot = client.post("/api/inventory/lots", json={"material_id": "outsole-rubber-dress", "quantity": 1e308,
                                                   "batch": "S-1", "unit": "pair"})  # fmt: skip
    assert lot.status_code == 422 and lot.json()["errors"][0]["location"] == "body.quantity"
    assert lot.json()["errors"][0]["message"] == "must be a finite number more than 0 and less than 1000000000"
    typed = client.post("/api/scans/typed", json={"side": "left", "foot_length_mm": 1e308, "ball_girth_mm": 240,
                                                  "email": "walker@example.com"})  # fmt: skip
    assert typed.status_code == 422 and "body.foot_length_mm: must be a finite number more than 0 and at most " \
        "1000 mm" in typed.json()["detail"]  # fmt: skip


def test_nul_characters_in_a_json_body_are_refused(client: TestClient) -> None:
    response = client.post("/api/inventory/lots", json={"material_id": "outsole-rubber-dress", "quantity": 1,
                                                        "batch": "S-\x00", "unit": "pair"})  # fmt: skip
    assert response.status_code == 422 and response.json()["code"] == "nul_character"


def test_an_unexpected_error_is_a_500_problem_that_goes_no_further(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    # raise_server_exceptions: an error that reached the server (which then drops the connection) would raise here.
    with TestClient(app) as client:
        response = client.get("/boom")
    assert response.status_code == 500 and response.json()["code"] == "internal_error"
    assert "a bug" not in response.text
    app.state.resources.engine.dispose()


# ---------------------------------------------------------------------------------------------- NUL in a search


def _search_app(settings: Settings) -> Iterator[TestClient]:
    upgrade(settings.resolved_database_url)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers.update(signed_in(app, "staff@example.com", Role.STAFF))
        yield client
    app.state.resources.engine.dispose()


def _searches(client: TestClient) -> list[tuple[int, str, str]]:
    answers = []
    for q in ("\x00", "CS26\x00", "\x00%", "a\tb", "\x7f"):
        response = client.get("/api/pairs", params={"q": q})
        answers.append((response.status_code, response.json()["code"], response.json()["detail"]))
    for path in ("/api/pairs/CS26%00/progress", "/api/orders/O%00-1"):
        response = client.get(path)
        answers.append((response.status_code, response.json()["code"], response.json()["detail"]))
    return answers


@pytest.fixture
def sqlite_client(settings: Settings) -> Iterator[TestClient]:
    yield from _search_app(settings)


@pytest.fixture
def postgres_client(settings: Settings, migrated_postgres_url: str) -> Iterator[TestClient]:
    # PostgreSQL is the production profile: it needs a strong session key of its own.
    key = SecretStr(secrets.token_urlsafe(32))
    yield from _search_app(settings.model_copy(update={"database_url": migrated_postgres_url, "secret_key": key}))


def test_a_nul_in_a_search_is_refused_on_sqlite(sqlite_client: TestClient) -> None:
    answers = _searches(sqlite_client)
    assert all(status == 422 and code == "control_character" for status, code, _ in answers), answers
    assert "query parameter q holds a control character (U+0000)" in answers[0][2]


@pytest.mark.postgres
def test_a_nul_in_a_search_is_refused_the_same_on_postgresql(
    sqlite_client: TestClient, postgres_client: TestClient
) -> None:
    assert postgres_client.app.state.resources.engine.dialect.name == "postgresql"  # type: ignore[attr-defined]
    assert _searches(postgres_client) == _searches(sqlite_client)

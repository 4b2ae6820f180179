"""Schemathesis against our OpenAPI document, made hostile: requests generated from every operation's schema
(valid and invalid), with NaN, infinities, 1e308 and NUL characters put in their numbers and strings, bodies and
cursors nested thousands of levels deep, sent over a real HTTP connection (uvicorn, one keep-alive session) signed
in as each role in turn (the machine API with a machine token), must never get a 5xx, and the server must never
drop a connection (it does so when an error escapes the application). Unknown ids, refused bodies and refused
calls are fine; an internal error is not."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.schemas import APIOperation
from schemathesis.transport.serialization import Binary

from manufacturing.accounts.roles import Role
from manufacturing.db.migrate import upgrade
from manufacturing.settings import Settings
from tests.lasts.last_samples import FIND_LIKE
from tests.web.conftest import signed_in
from web.api.app import create_app
from web.api.pagination import encode_cursor

# Calls that would end the fuzzing session itself (logout, disabling accounts) are left out.
SESSION_ENDING = ("/api/auth/logout", "/api/accounts/{email}/disable")
MACHINE_TOKEN = "fuzz-token-1"
EXAMPLES_PER_OPERATION = 6
REQUEST_TIMEOUT_S = 60.0  # a design is priced in about 1.5 s; a request that hangs fails, not the whole suite
SEEDED_EXAMPLES = 40  # operations with realistic seeds: their hostile variants reach the domain
# Numbers as JSON writes them: not finite, past the float range, at its edges, an integer of 401 digits.
HOSTILE_TOKENS = ("NaN", "Infinity", "-Infinity", "1e308", "-1e308", "1e999", "5e-324", "1" + "0" * 400)
# Hypothesis leans to the first of a choice: the hostile ones come first.
DEEP_LEVELS = (5000, 50_000, 1000, 33)
CURSOR_LEVELS = (5000, 1000, 33)  # within the server's request-line limit once in base64
MARK = "\ue000hostile\ue000"  # where the hostile text goes, in the JSON written around it
LAST = FIND_LIKE.with_values(side="right").to_dict()
OPTIONS = {"style": "derby", "pieces": {"vamp": {"material": "full-grain-cowhide-a", "colour": "#5a3a22"}},
           "logo": {"piece": "quarter_lateral", "position": [0.5, 0.5], "width_mm": 30.0}, "pairs": 1}  # fmt: skip
SEED_BODIES: dict[tuple[str, str], list[Any]] = {
    ("POST", "/api/designs"): [{"options": OPTIONS, "email": "walker@example.com", "last": LAST, "size_eu": 42}],
    ("POST", "/api/orders"): [
        {"options": json.dumps(OPTIONS), "email": "walker@example.com", "scan": b"solid none\nendsolid none\n"}
    ],
    ("POST", "/api/scans/typed"): [
        {"side": "left", "foot_length_mm": 262.0, "ball_girth_mm": 246.5, "email": "walker@example.com"}
    ],
    ("POST", "/api/inventory/lots"): [
        {"material_id": "outsole-rubber-dress", "quantity": 10, "batch": "S-1", "unit": "pair", "unit_cost_eur": 12.5}
    ],
}


@dataclass
class Server:
    base_url: str
    role_headers: dict[Role, dict[str, str]]
    escaped: list[logging.LogRecord]  # errors that reached uvicorn: it drops the connection after each


class _Escaped(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings_ = Settings(var_dir=tmp_path_factory.mktemp("fuzz") / "var", machine_tokens=f"cutter-7:{MACHINE_TOKEN}")
    upgrade(settings_.resolved_database_url)
    app = create_app(settings_)
    roles = {role: signed_in(app, f"{role.value}@example.com", role) for role in Role}
    uvicorn_server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    escaped: list[logging.LogRecord] = []
    handler = _Escaped(escaped)
    logging.getLogger("uvicorn.error").addHandler(handler)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uvicorn_server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uvicorn_server.started, "uvicorn did not start"
    port = uvicorn_server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Server(f"http://127.0.0.1:{port}", roles, escaped)
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=30)
        logging.getLogger("uvicorn.error").removeHandler(handler)
        app.state.resources.engine.dispose()


@pytest.mark.slow
def test_no_hostile_request_is_a_server_error_or_drops_the_connection(server: Server) -> None:
    schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi.json")
    results = list(schema.exclude(path=list(SESSION_ENDING)).get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results) >= 40  # every operation's schema reads
    failures = []
    with requests.Session() as session:  # one keep-alive connection: a dropped one fails the next call
        for operation in operations:
            try:
                _fuzz(operation, server, session)
            # Collect every operation's failures (schemathesis groups a case's in a BaseExceptionGroup), then
            # report them together.
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.method.upper()} {operation.path}: {_summary(exc)}")
    assert not failures, "\n\n".join(failures)
    assert not server.escaped, [record.getMessage() for record in server.escaped]


def _summary(exc: BaseException) -> str:
    """The failure's first lines: the check, the status and the problem the server answered, how to reproduce."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return "\n    ".join(line[:300] for line in lines[:12])


def _fuzz(operation: APIOperation, server: Server, session: requests.Session) -> None:
    generated = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    seeds = _seeds(operation)
    # Seeds weigh as much as generated cases together: their hostile variants are the ones that reach the domain.
    seeded = [operation.as_strategy(**seed) for seed in seeds for _ in range(len(generated))]
    cases = st.one_of(*generated, *seeded)
    machine = operation.path.startswith("/api/jobs")
    # Mostly an administrator (every route open, so the requests reach the services), sometimes another role.
    roles = st.sampled_from([Role.ADMIN, Role.ADMIN, Role.STAFF, Role.PATTERN_MAKER, Role.CUSTOMER])

    @given(case=cases, role=roles, data=st.data())
    # No shrinking: a failure is reported as found (shrinking one costs minutes); derandomized, so it is found again.
    @settings(max_examples=SEEDED_EXAMPLES if seeds else EXAMPLES_PER_OPERATION, deadline=None,
              suppress_health_check=list(HealthCheck), derandomize=True, database=None,
              phases=(Phase.explicit, Phase.generate))  # fmt: skip
    def calls(case: schemathesis.Case, role: Role, data: st.DataObject) -> None:
        _make_hostile(case, data)
        headers = {"Authorization": f"Bearer {MACHINE_TOKEN}"} if machine else server.role_headers[role]
        case.call_and_validate(base_url=server.base_url, session=session, headers=headers,
                               checks=[not_a_server_error], timeout=REQUEST_TIMEOUT_S, **_form(case))  # fmt: skip

    calls()


def _form(case: schemathesis.Case) -> dict[str, Any]:
    """A form's parts as the browser sends them, bytes as files: schemathesis sends an optional file (``scan``:
    ``UploadFile | None``) as a plain field, which the route refuses before it reads the rest."""
    if not (case.media_type or "").startswith("multipart/") or not isinstance(case.body, dict):
        return {}
    files: list[tuple[str, tuple[str | None, Any]]] = []
    for name, value in case.body.items():
        if isinstance(value, bytes | Binary):
            files.append((name, (f"{name}.stl", value.data if isinstance(value, Binary) else value)))
        else:
            files.append((name, (None, value if isinstance(value, str) else json.dumps(value))))
    return {"files": files}


def _seeds(operation: APIOperation) -> list[dict[str, Any]]:
    """Realistic requests to start from where generated ones would not get far: a design on a real last, an order's
    options, a search and a cursor of the API's own (their free-form parts have keys no generator guesses)."""
    seeds = [dict(body=body) for body in SEED_BODIES.get((operation.method.upper(), operation.path), ())]
    names = {parameter.name for parameter in operation.query}
    if "cursor" in names:
        seeds.append({"query": {"cursor": encode_cursor(1), **({"q": "CS26"} if "q" in names else {})}})
    return seeds


def _make_hostile(case: schemathesis.Case, data: st.DataObject) -> None:
    """Put one NaN, infinity, 1e308, 1e999 or NUL character in the case's numbers or strings, nest one part of its
    JSON (a body, a form field holding JSON, a cursor) thousands of levels deep; or leave it as generated."""
    how = data.draw(st.sampled_from(["deep", "numbers", "text", "as_generated"]))
    if how == "as_generated":
        return
    types = {parameter.name: parameter.definition.get("schema", {}).get("type") for parameter in case.operation.query}
    query = dict(case.query or {})
    for name, kind in types.items():
        if how == "numbers" and kind in ("number", "integer"):
            query[name] = data.draw(st.sampled_from(HOSTILE_TOKENS)).lower()
        elif how == "text" and kind == "string" and name != "cursor":
            query[name] = f"{query.get(name, 'x')}\x00"
        elif how == "deep" and name == "cursor":  # a cursor that decodes to deep JSON
            query[name] = base64.urlsafe_b64encode(b"[" * data.draw(st.sampled_from(CURSOR_LEVELS))).decode()
    case.query = query
    if isinstance(case.body, NotSet | bytes):
        return
    if case.media_type == "application/json":
        # Written here: the client's own JSON writer refuses NaN and infinities (the server must not rely on that).
        case.body = _hostile_json_text(case.body, how, data).encode()
    elif isinstance(case.body, dict):  # a form: its fields that hold JSON (an order's options)
        body = dict(case.body)
        for name, value in body.items():
            if isinstance(value, str) and value.startswith("{"):
                with contextlib.suppress(ValueError):
                    body[name] = _hostile_json_text(json.loads(value), how, data)
        case.body = body


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every (path, value) in a parsed JSON value, containers and leaves, the root first."""
    yield path, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from _paths(item, (*path, key))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


def _hostile_json_text(value: Any, how: str, data: st.DataObject) -> str:
    """``value`` as JSON text with one hostile change (or none, when it has nothing of the kind to change)."""
    nodes = list(_paths(value))
    if how == "numbers":
        targets = [path for path, item in nodes if isinstance(item, int | float) and not isinstance(item, bool)]
    elif how == "text":
        targets = [path for path, item in nodes if isinstance(item, str)]
    else:
        targets = [path for path, _ in nodes if path] or [()]
    if not targets:
        return json.dumps(value)
    path = data.draw(st.sampled_from(targets))
    if how == "text":
        return json.dumps(_replaced(value, path, _lookup(value, path) + "\x00"))
    if how == "numbers":
        hostile = data.draw(st.sampled_from(HOSTILE_TOKENS))
    else:  # deep: written as text, as deep as the server's parser would never go
        levels = data.draw(st.sampled_from(DEEP_LEVELS))
        hostile = "[" * levels + json.dumps(_lookup(value, path)) + "]" * levels
    return json.dumps(_replaced(value, path, MARK)).replace(json.dumps(MARK), hostile, 1)


def _lookup(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value

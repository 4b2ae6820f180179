"""Schemathesis against our OpenAPI document: requests generated from every operation's schema (valid and
invalid), sent signed in as an administrator (every route open), must never get a 5xx. Unknown ids, bad
bodies and refused calls are fine; an internal error is not."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema

from manufacturing.accounts.roles import Role
from manufacturing.db.migrate import upgrade
from manufacturing.settings import Settings
from tests.web.conftest import signed_in
from web.api.app import create_app

# Calls that would end the fuzzing session itself (logout, disabling accounts) are left out.
SESSION_ENDING = ("/api/auth/logout", "/api/accounts/{email}/disable")


@pytest.fixture
def api(tmp_path_factory: pytest.TempPathFactory) -> tuple[BaseSchema, dict[str, str]]:
    settings_ = Settings(var_dir=tmp_path_factory.mktemp("fuzz") / "var", machine_tokens="cutter-7:fuzz-token-1")
    upgrade(settings_.resolved_database_url)
    app = create_app(settings_)
    return schemathesis.openapi.from_asgi("/openapi.json", app), signed_in(app, "admin@example.com", Role.ADMIN)


@pytest.mark.slow
def test_no_request_our_schema_allows_is_a_server_error(api: tuple[BaseSchema, dict[str, str]]) -> None:
    schema, admin = api
    operations = [result.ok() for result in schema.exclude(path=list(SESSION_ENDING)).get_all_operations()]
    assert len(operations) >= 40
    failures = []
    for operation in operations:
        # The machine API takes machine tokens only; everything else is open to an administrator.
        headers = {"Authorization": "Bearer fuzz-token-1"} if operation.path.startswith("/api/jobs") else admin
        try:
            _fuzz(operation, headers)
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc).splitlines()[:6]}")
    assert not failures, "\n\n".join(failures)


def _fuzz(operation: schemathesis.schemas.APIOperation, headers: dict[str, str]) -> None:
    @given(operation.as_strategy())
    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)  # fmt: skip
    def calls(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    calls()

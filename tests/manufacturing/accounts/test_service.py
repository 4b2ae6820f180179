"""Accounts on a real database (SQLite and PostgreSQL): register, sign in, the rate limit from stored attempts,
sessions ended by logout, password change and disabling."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from geometry.errors import InputError, NotFoundError
from manufacturing.accounts import service
from manufacturing.accounts.errors import (
    AccountExistsError,
    AuthenticationError,
    TooManyLoginAttemptsError,
    WeakPasswordError,
)
from manufacturing.accounts.roles import Role
from manufacturing.db.migrate import upgrade
from manufacturing.db.models import Customer, UserAccount
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.settings import Settings

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sessions(request: pytest.FixtureRequest, settings: Settings) -> Iterator[sessionmaker[Session]]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else settings.resolved_database_url
    upgrade(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def login(sessions: sessionmaker[Session], email: str, password: str, at: datetime, client: str = "10.0.0.1"):
    with session_scope(sessions) as session:
        return service.authenticate(session, email, password, client, now=at)


def test_a_customer_account_is_linked_to_its_customer_and_the_hash_is_argon2id(sessions) -> None:
    with session_scope(sessions) as session:
        principal = service.add_account(session, " Walker@Example.com ", PASSWORD, Role.CUSTOMER, "Walker")
    with session_scope(sessions) as session:
        account = session.get(UserAccount, principal.account_id)
        assert account is not None and account.email == "walker@example.com"
        assert account.password_hash.startswith("$argon2id$") and PASSWORD not in account.password_hash
        assert session.get(Customer, principal.customer_id).email == "walker@example.com"
        staff = service.add_account(session, "floor@example.com", PASSWORD, Role.STAFF)
        assert staff.customer_id is None
        with pytest.raises(AccountExistsError):
            service.add_account(session, "WALKER@example.com", PASSWORD, Role.STAFF)
        with pytest.raises(WeakPasswordError, match="at least 10"):
            service.add_account(session, "short@example.com", "short", Role.STAFF)
        with pytest.raises(InputError, match="not an e-mail"):
            service.add_account(session, "nobody", PASSWORD, Role.STAFF)


def test_login_checks_the_password_and_the_fifth_failure_locks_the_address(sessions) -> None:
    with session_scope(sessions) as session:
        service.add_account(session, "walker@example.com", PASSWORD, Role.CUSTOMER)
    ok = login(sessions, "walker@example.com", PASSWORD, NOW)
    assert ok.error is None and ok.principal is not None and ok.principal.role == Role.CUSTOMER
    for k in range(5):
        wrong = login(sessions, "walker@example.com", "wrong password!", NOW + timedelta(seconds=k + 1))
        assert isinstance(wrong.error, AuthenticationError)
    locked = login(sessions, "walker@example.com", PASSWORD, NOW + timedelta(seconds=10))
    assert isinstance(locked.error, TooManyLoginAttemptsError) and locked.principal is None
    assert locked.error.details["retry_after_s"] == 15 * 60 + 1 - 10  # until the first failure (at +1 s) leaves
    # Another address from another client is not affected; the locked one opens once the window has passed.
    with session_scope(sessions) as session:
        service.add_account(session, "other@example.com", PASSWORD, Role.STAFF)
    assert login(sessions, "other@example.com", PASSWORD, NOW + timedelta(seconds=11), "10.0.0.2").error is None
    assert login(sessions, "walker@example.com", PASSWORD, NOW + timedelta(minutes=16)).error is None


def test_unknown_addresses_and_disabled_accounts_get_the_same_answer_as_a_wrong_password(sessions) -> None:
    with session_scope(sessions) as session:
        service.add_account(session, "gone@example.com", PASSWORD, Role.STAFF)
        service.disable(session, "gone@example.com", now=NOW)
    unknown = login(sessions, "nobody@example.com", PASSWORD, NOW)
    disabled = login(sessions, "gone@example.com", PASSWORD, NOW)
    assert isinstance(unknown.error, AuthenticationError) and isinstance(disabled.error, AuthenticationError)
    assert unknown.error.message == disabled.error.message == "wrong e-mail address or password"


def test_logout_password_change_and_disabling_end_the_sessions(sessions) -> None:
    with session_scope(sessions) as session:
        principal = service.add_account(session, "floor@example.com", PASSWORD, Role.STAFF)
    version = principal.token_version
    with session_scope(sessions) as session:
        assert service.principal_of(session, principal.account_id, version).email == "floor@example.com"
        service.end_sessions(session, principal.account_id)
    with session_scope(sessions) as session, pytest.raises(AuthenticationError, match="session has ended"):
        service.principal_of(session, principal.account_id, version)
    with session_scope(sessions) as session:
        service.set_password(session, "floor@example.com", "a new long password")
    assert login(sessions, "floor@example.com", PASSWORD, NOW).error is not None
    current = login(sessions, "floor@example.com", "a new long password", NOW + timedelta(seconds=1)).principal
    assert current is not None and current.token_version == version + 2
    with session_scope(sessions) as session:
        service.disable(session, "floor@example.com", now=NOW)
    with session_scope(sessions) as session, pytest.raises(AuthenticationError):
        service.principal_of(session, current.account_id, current.token_version)
    with session_scope(sessions) as session, pytest.raises(NotFoundError):
        service.disable(session, "nobody@example.com")

"""Claiming what staff recorded for an address needs proof (SQLite and PostgreSQL): a registration holds nothing,
whether staff record the address before or after it; an e-mailed link or a printed claim code attaches the
record, each once and until it expires; only digests of the secrets are stored."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from manufacturing.accounts import identity, service
from manufacturing.accounts.errors import InvalidProofError, TooManyMailsError
from manufacturing.accounts.roles import Role
from manufacturing.db import repositories
from manufacturing.db.migrate import upgrade
from manufacturing.db.models import IdentityProof, UserAccount
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.settings import Settings

PASSWORD = "correct horse battery"
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
HOUR_S = 3600.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sessions(request: pytest.FixtureRequest, settings: Settings) -> Iterator[sessionmaker[Session]]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else settings.resolved_database_url
    upgrade(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def _walk_in(sessions: sessionmaker[Session], email: str) -> int:
    """A customer record as staff make it (recording a walk-in under the address they give)."""
    with session_scope(sessions) as session:
        return repositories.get_or_create_customer(session, email).id


def _link_token(mail_body: str) -> str:
    return mail_body.split(f"{identity.VERIFY_PAGE}?token=", 1)[1].split(maxsplit=1)[0]


def test_a_registration_holds_no_record_until_the_link_makes_one(sessions) -> None:
    with session_scope(sessions) as session:
        principal = service.register_customer(session, "New@Example.com", PASSWORD)
        assert principal.customer_id is None and principal.proof_needed
        mail = identity.start_verification(session, principal, "https://shop.example", 48 * HOUR_S, now=NOW)
    with session_scope(sessions) as session:
        verified = identity.verify_link(session, _link_token(mail.body), now=NOW)
        assert verified.customer_id is not None and not verified.proof_needed
        assert repositories.get_or_create_customer(session, "new@example.com").id == verified.customer_id


def test_records_staff_make_after_someone_registered_the_address_wait_for_proof(sessions) -> None:
    # The order of events that used to leak: the address is registered first (by anyone), then staff record
    # the walk-in customer under it. The registration must not see the record until the address is proven.
    with session_scope(sessions) as session:
        registrant = service.register_customer(session, "walker@example.com", PASSWORD)
    customer_id = _walk_in(sessions, "walker@example.com")
    with session_scope(sessions) as session:
        seen = service.principal_of(session, registrant.account_id, registrant.token_version)
        assert seen.customer_id is None and seen.proof_needed
        code = identity.issue_claim_code(session, customer_id, HOUR_S, now=NOW)  # nobody holds it: a code
        assert code is not None
    with session_scope(sessions) as session:
        claimed = identity.redeem_claim_code(session, registrant, code, now=NOW)
    assert claimed.customer_id == customer_id
    # Proven now: what staff record for the address from here on is the account's at once.
    assert _walk_in(sessions, "walker@example.com") == customer_id


def test_registering_an_address_staff_recorded_grants_nothing_until_the_link_is_followed(sessions) -> None:
    customer_id = _walk_in(sessions, "walker@example.com")
    with session_scope(sessions) as session:
        principal = service.register_customer(session, "walker@example.com", PASSWORD)
        assert principal.customer_id is None and principal.proof_needed
        mail = identity.start_verification(session, principal, "https://shop.example/", 48 * HOUR_S, now=NOW)
    assert mail.to == "walker@example.com"
    token = _link_token(mail.body)
    assert mail.body.count("https://shop.example/login/account.html?token=") == 1  # the page redeems it
    with session_scope(sessions) as session:
        assert token not in [p.digest for p in session.scalars(select(IdentityProof))]  # stored as a digest
        with pytest.raises(InvalidProofError):
            identity.verify_link(session, token[:-2] + "xx", now=NOW)
        verified = identity.verify_link(session, token, now=NOW + timedelta(hours=1))
    assert verified.customer_id == customer_id and verified.email_verified and not verified.proof_needed
    with session_scope(sessions) as session, pytest.raises(InvalidProofError, match="used"):
        identity.verify_link(session, token, now=NOW + timedelta(hours=2))  # once


def test_a_verification_link_expires(sessions) -> None:
    _walk_in(sessions, "late@example.com")
    with session_scope(sessions) as session:
        principal = service.register_customer(session, "late@example.com", PASSWORD)
        token = _link_token(identity.start_verification(session, principal, "http://x", HOUR_S, now=NOW).body)
    with session_scope(sessions) as session, pytest.raises(InvalidProofError, match="expired"):
        identity.verify_link(session, token, now=NOW + timedelta(seconds=HOUR_S))
    with session_scope(sessions) as session:
        assert session.get(UserAccount, principal.account_id).customer_id is None


def test_verification_mails_are_limited_per_hour(sessions) -> None:
    with session_scope(sessions) as session:
        principal = service.register_customer(session, "flood@example.com", PASSWORD)
        for k in range(identity.MAX_LINKS_PER_HOUR):
            identity.start_verification(session, principal, "http://x", HOUR_S, now=NOW + timedelta(minutes=k))
        with pytest.raises(TooManyMailsError) as limited:
            identity.start_verification(session, principal, "http://x", HOUR_S, now=NOW + timedelta(minutes=10))
        assert limited.value.details["retry_after_s"] == 50 * 60
        identity.start_verification(session, principal, "http://x", HOUR_S, now=NOW + timedelta(minutes=61))


def test_a_claim_code_attaches_the_walk_in_record_once_and_until_it_expires(sessions) -> None:
    customer_id = _walk_in(sessions, "walker@example.com")
    with session_scope(sessions) as session:
        code = identity.issue_claim_code(session, customer_id, 24 * HOUR_S, now=NOW)
        expired = identity.issue_claim_code(session, customer_id, HOUR_S, now=NOW)
        principal = service.register_customer(session, "walker@example.com", PASSWORD)
        stranger = service.register_customer(session, "stranger@example.com", PASSWORD)
        staff = service.add_account(session, "floor@example.com", PASSWORD, Role.STAFF)
    assert code is not None and expired is not None and code != expired
    assert len(code) == 14 and code.count("-") == 2
    with session_scope(sessions) as session:
        assert code.replace("-", "") not in [p.digest for p in session.scalars(select(IdentityProof))]
    for who, secret, at in ((principal, expired, NOW + timedelta(hours=1)),  # expired
                            (stranger, code, NOW),  # the code of another address
                            (staff, code, NOW),  # not a customer
                            (principal, "ABCD-EFGH-JKMN", NOW)):  # fmt: skip
        with session_scope(sessions) as session, pytest.raises(InvalidProofError):
            identity.redeem_claim_code(session, who, secret, now=at)
    with session_scope(sessions) as session:
        claimed = identity.redeem_claim_code(session, principal, f"  {code.lower().replace('-', ' ')} ", now=NOW)
    assert claimed.customer_id == customer_id and not claimed.proof_needed and not claimed.email_verified
    with session_scope(sessions) as session, pytest.raises(InvalidProofError, match="used"):
        identity.redeem_claim_code(session, principal, code, now=NOW)
    with session_scope(sessions) as session:  # the record is an account's now: no more codes for it
        assert identity.issue_claim_code(session, customer_id, HOUR_S, now=NOW) is None

"""Accounts: register a customer, add staff, sign in under the rate limit, end sessions, disable; what a
customer account holds.

Services never commit; each call takes ``now`` (aware UTC; the clock by default). A failed login is stored
even though the caller's transaction then raises: ``authenticate`` returns the outcome and the caller
commits before raising (web/api/auth.py), so the rate limit sees every failure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from geometry.errors import InputError, NotFoundError
from manufacturing.accounts import repository
from manufacturing.accounts.errors import AccountExistsError, AuthenticationError, TooManyLoginAttemptsError
from manufacturing.accounts.passwords import hash_password, needs_rehash, verify_password
from manufacturing.accounts.rate_limit import Attempt, LoginPolicy, retry_after_s
from manufacturing.accounts.roles import Role
from manufacturing.clock import utc_now
from manufacturing.db import repositories
from manufacturing.db.models import LoginAttempt, UserAccount

_KEEP_ATTEMPTS = timedelta(days=1)


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: the account, its role and (for customers) its customer record."""

    account_id: int
    email: str
    role: Role
    customer_id: int | None
    token_version: int
    email_verified: bool = False

    @property
    def proof_needed(self) -> bool:
        """A customer account holding no customer record: registered, its address not proven yet. Whatever is
        recorded under the address waits for the proof (manufacturing/accounts/identity.py), and the account
        keeps nothing until then."""
        return self.role == Role.CUSTOMER and self.customer_id is None


def as_principal(account: UserAccount) -> Principal:
    return Principal(account.id, account.email, Role(account.role), account.customer_id, account.token_version,
                     account.email_verified_at is not None)  # fmt: skip


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise InputError(f"{email[:80]!r} is not an e-mail address", field="email")
    return email


def register_customer(session: Session, email: str, password: str) -> Principal:
    """A customer account by self-registration, which proves nothing about the address: the account holds no
    customer record (``proof_needed``) until the e-mailed link or the shop's claim code proves it
    (identity.py). So records made for the address, by staff before or after the registration, never reach
    someone who merely typed it."""
    email = normalise_email(email)
    if repository.find_account(session, email) is not None:
        raise AccountExistsError(f"an account for {email} already exists", email=email)
    account = UserAccount(email=email, password_hash=hash_password(password), role=Role.CUSTOMER.value)
    repository.add(session, account)
    return as_principal(account)


def add_account(session: Session, email: str, password: str, role: Role | str, name: str = "") -> Principal:
    """A new account made by an administrator, who vouches for the person; a customer's is linked to their
    customer record (made if the address has none yet)."""
    email, role = normalise_email(email), Role(role)
    if repository.find_account(session, email) is not None:
        raise AccountExistsError(f"an account for {email} already exists", email=email)
    customer_id = repositories.get_or_create_customer(session, email, name).id if role == Role.CUSTOMER else None
    account = UserAccount(email=email, password_hash=hash_password(password), role=role.value,
                          customer_id=customer_id)  # fmt: skip
    repository.add(session, account)
    return as_principal(account)


@dataclass(frozen=True)
class LoginOutcome:
    principal: Principal | None  # None: refused; commit (the attempt is stored), then raise ``error``
    error: AuthenticationError | TooManyLoginAttemptsError | None


def authenticate(
    session: Session, email: str, password: str, client: str, now: datetime | None = None,
    policy: LoginPolicy = LoginPolicy(),  # noqa: B008 - frozen
) -> LoginOutcome:  # fmt: skip
    """Check a login under the rate limit. A locked address or client is refused before the password is
    checked (and the refusal is not counted, so waiting is enough to get back in)."""
    now = now or utc_now()
    email = email.strip().lower()[:320]
    client = client[:64]
    since = now - policy.window
    wait_s = retry_after_s(
        [Attempt(a.attempted_at, a.succeeded) for a in repository.attempts_since(session, since, email=email)],
        [Attempt(a.attempted_at, a.succeeded) for a in repository.attempts_since(session, since, client=client)],
        now, policy,
    )  # fmt: skip
    if wait_s > 0:
        retry = max(1, round(wait_s))
        return LoginOutcome(None, TooManyLoginAttemptsError(
            f"too many failed logins; try again in {retry} s", retry_after_s=retry))  # fmt: skip
    account = repository.find_account(session, email)
    ok = verify_password(account.password_hash if account else None, password)
    ok = ok and account is not None and account.disabled_at is None
    repository.prune_attempts(session, now - _KEEP_ATTEMPTS)
    repository.add(session, LoginAttempt(email=email, client=client, succeeded=ok, attempted_at=now))
    if not ok or account is None:
        return LoginOutcome(None, AuthenticationError("wrong e-mail address or password"))
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return LoginOutcome(as_principal(account), None)


def principal_of(session: Session, account_id: int, token_version: int) -> Principal:
    """The account a session token names, if the token is still current (not logged out, not disabled)."""
    account = repository.get_account(session, account_id)
    if account is None or account.disabled_at is not None or account.token_version != token_version:
        raise AuthenticationError("the session has ended; sign in again")
    return as_principal(account)


def end_sessions(session: Session, account_id: int) -> None:
    """Log out everywhere: every token issued so far stops working."""
    account = repository.get_account(session, account_id)
    if account is not None:
        account.token_version += 1


def set_password(session: Session, email: str, password: str) -> None:
    account = _account(session, email)
    account.password_hash = hash_password(password)
    account.token_version += 1


def disable(session: Session, email: str, now: datetime | None = None) -> None:
    _account(session, email).disabled_at = now or utc_now()


def list_accounts(session: Session) -> list[Principal]:
    return [as_principal(a) for a in repository.accounts(session)]


def _account(session: Session, email: str) -> UserAccount:
    account = repository.find_account(session, normalise_email(email))
    if account is None:
        raise NotFoundError(f"no account for {email}", email=email)
    return account


@dataclass(frozen=True)
class HeldScan:
    id: int
    side: str | None  # None until measured
    foot_length_mm: float | None
    created_at: datetime


@dataclass(frozen=True)
class HeldDesign:
    id: int
    revision: int
    style: str
    created_at: datetime


@dataclass(frozen=True)
class HeldOrder:
    number: str
    created_at: datetime


@dataclass(frozen=True)
class HeldRecords:
    """What a customer account holds: the scans, design revisions and orders of its customer record."""

    scans: tuple[HeldScan, ...] = ()
    designs: tuple[HeldDesign, ...] = ()
    orders: tuple[HeldOrder, ...] = ()


def records_held(session: Session, principal: Principal) -> HeldRecords:
    """The account's records, oldest first; nothing while the address waits for proof (``proof_needed``)."""
    if principal.customer_id is None:
        return HeldRecords()
    customer_id = principal.customer_id
    return HeldRecords(
        tuple(HeldScan(s.id, s.side, _length_mm(s.measurements), s.created_at)
              for s in repository.scans_of(session, customer_id)),
        tuple(HeldDesign(d.id, d.revision, d.style, d.created_at) for d in repository.designs_of(session, customer_id)),
        tuple(HeldOrder(o.number, o.created_at) for o in repository.orders_of(session, customer_id)),
    )  # fmt: skip


def _length_mm(measurements: dict[str, Any] | None) -> float | None:
    value = (measurements or {}).get("foot_length_mm")
    return float(value) if value is not None else None

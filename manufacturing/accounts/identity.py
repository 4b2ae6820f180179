"""Proof that a customer account's address is its holder's, before the account holds anything recorded under it.

Staff record a walk-in customer under the address the customer gives. Anyone can register that address, before
or after staff record it, and registering proves nothing: a self-registered account holds no customer record
(service.register_customer) until the address is proven, by
- the verification link e-mailed to the address (``start_verification``, ``verify_link``): whoever reads the
  mail holds the address; or
- the claim code printed for the walk-in customer (``issue_claim_code`` when staff record them,
  ``claim_code_for_address`` for a new slip, ``redeem_claim_code``): whoever holds the slip was in the shop.
Either attaches the address's customer record (made if there is none) to the account. Until then everything
recorded under the address stays on that record, which no account holds. Only SHA-256 digests of the secrets
are stored; each works once, until it expires. Services never commit."""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from geometry.errors import ConflictError, NotFoundError
from manufacturing.accounts import repository
from manufacturing.accounts.errors import InvalidProofError, TooManyMailsError
from manufacturing.accounts.outbox import Mail
from manufacturing.accounts.roles import Role
from manufacturing.accounts.service import Principal, as_principal, normalise_email
from manufacturing.clock import utc_now
from manufacturing.db import repositories
from manufacturing.db.models import Customer, IdentityProof, UserAccount

# Letters and digits that are not confused when read from a slip or said aloud (no 0/O, 1/I/L, U/V pair).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
CODE_CHARS = 12  # 29**12: about 58 bits, beyond guessing through a signed-in, per-request API
MAX_LINKS_PER_HOUR = 3  # verification mails to one account: enough to retry, too few to flood an inbox
VERIFY_PAGE = "/login/account.html"  # the page the e-mailed link opens; it redeems the token (POST /api/auth/verify)


class ProofKind(enum.StrEnum):
    LINK = "link"  # an e-mailed verification link, for one account
    CODE = "code"  # a printed claim code, for one customer record


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_code(code: str) -> str:
    """The code as issued, whatever the case, spaces and dashes it is typed with."""
    return "".join(c for c in code.upper() if c.isalnum())[: 4 * CODE_CHARS]


def _formatted(code: str) -> str:
    return "-".join(code[k : k + 4] for k in range(0, len(code), 4))


def start_verification(
    session: Session, principal: Principal, public_url: str, ttl_s: float, now: datetime | None = None
) -> Mail:
    """A new verification link for the account, and the mail that carries it (to be sent after the commit).
    At most ``MAX_LINKS_PER_HOUR`` an hour."""
    now = now or utc_now()
    recent = repository.proofs_issued_since(session, ProofKind.LINK, principal.account_id, now - timedelta(hours=1))
    if len(recent) >= MAX_LINKS_PER_HOUR:
        oldest = min(p.created_at for p in recent)
        retry = max(1, round((oldest + timedelta(hours=1) - now).total_seconds()))
        raise TooManyMailsError(f"a verification mail went out {len(recent)} times this hour; try again in "
                                f"{retry} s", retry_after_s=retry)  # fmt: skip
    token = secrets.token_urlsafe(32)
    repository.add(session, IdentityProof(kind=ProofKind.LINK.value, digest=_digest(token),
                                          account_id=principal.account_id, created_at=now,
                                          expires_at=now + timedelta(seconds=ttl_s)))  # fmt: skip
    link = f"{public_url.rstrip('/')}{VERIFY_PAGE}?token={token}"
    hours = max(1, round(ttl_s / 3600))
    body = (
        f"Someone (we hope you) made an account for {principal.email} at the shop.\n\n"
        f"Open this link to confirm the address. Until then the account cannot keep scans, designs or orders; "
        f"once confirmed, it also gets whatever the shop recorded under the address:\n\n{link}\n\n"
        f"The link works once, for {hours} hours. If you made no account, ignore this mail: nothing is shared.\n"
    )
    return Mail(principal.email, "Confirm your e-mail address", body)


def verify_link(session: Session, token: str, now: datetime | None = None) -> Principal:
    """Redeem a verification link: the account's address is proven and its customer record attached."""
    now = now or utc_now()
    proof = _usable(session, ProofKind.LINK, token[:128], now, "link")
    account = repository.get_account(session, proof.account_id) if proof.account_id is not None else None
    if account is None or account.disabled_at is not None:
        raise InvalidProofError("this link is unknown, used or expired; ask for a new one")
    proof.used_at = now
    account.email_verified_at = account.email_verified_at or now
    _attach_customer(session, account)
    return as_principal(account)


def issue_claim_code(session: Session, customer_id: int, ttl_s: float, now: datetime | None = None) -> str | None:
    """A claim code for a customer staff recorded, to print for them; None when an account holds the record
    already (its holder sees it)."""
    now = now or utc_now()
    if repository.account_of_customer(session, customer_id) is not None:
        return None
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_CHARS))
    repository.add(session, IdentityProof(kind=ProofKind.CODE.value, digest=_digest(code), customer_id=customer_id,
                                          created_at=now, expires_at=now + timedelta(seconds=ttl_s)))  # fmt: skip
    return _formatted(code)


@dataclass(frozen=True)
class ClaimSlip:
    """What staff print for a walk-in customer: the code, the address it is for, until when it works."""

    email: str
    code: str
    expires_at: datetime


def claim_code_for_address(session: Session, email: str, ttl_s: float, now: datetime | None = None) -> ClaimSlip:
    """A new claim code for the record staff made under ``email`` (a lost slip; the former code keeps working
    until it is used or expires). Refused when the shop holds nothing for the address, or an account holds it
    already (its holder sees it)."""
    now = now or utc_now()
    email = normalise_email(email)
    customer = repository.find_customer(session, email)
    if customer is None:
        raise NotFoundError(f"the shop holds no records for {email}", email=email)
    code = issue_claim_code(session, customer.id, ttl_s, now)
    if code is None:
        raise ConflictError(f"the account of {email} holds its records already: nothing to claim", email=email)
    return ClaimSlip(email, code, now + timedelta(seconds=ttl_s))


def redeem_claim_code(session: Session, principal: Principal, code: str, now: datetime | None = None) -> Principal:
    """Attach the customer record a claim code was printed for to the signed-in customer's account (same
    address only)."""
    now = now or utc_now()
    proof = _usable(session, ProofKind.CODE, normalise_code(code), now, "claim code")
    account = repository.get_account(session, principal.account_id)
    customer = session.get(Customer, proof.customer_id) if proof.customer_id is not None else None
    if (account is None or customer is None or account.role != Role.CUSTOMER.value
            or customer.email != account.email or account.customer_id not in (None, customer.id)
            or repository.account_of_customer(session, customer.id) not in (None, account)):  # fmt: skip
        raise InvalidProofError("this claim code is unknown, used, expired or for another address")
    proof.used_at = now
    account.customer_id = customer.id
    session.flush()
    return as_principal(account)


def _usable(session: Session, kind: ProofKind, secret: str, now: datetime, what: str) -> IdentityProof:
    proof = repository.find_proof(session, kind.value, _digest(secret)) if secret else None
    if proof is None or proof.used_at is not None or proof.expires_at <= now:
        raise InvalidProofError(f"this {what} is unknown, used or expired")
    return proof


def _attach_customer(session: Session, account: UserAccount) -> None:
    # A customer's account takes the record of its (now proven) address, made if there is none.
    if account.role == Role.CUSTOMER.value and account.customer_id is None:
        account.customer_id = repositories.get_or_create_customer(session, account.email).id
    session.flush()

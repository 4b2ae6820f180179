"""Every query of accounts, login attempts and identity proofs, and of what a customer record holds.
Repositories never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from manufacturing.db.models import Customer, Design, FootScan, IdentityProof, LoginAttempt, Order, UserAccount


def find_account(session: Session, email: str) -> UserAccount | None:
    return session.scalars(select(UserAccount).where(UserAccount.email == email)).one_or_none()


def get_account(session: Session, account_id: int) -> UserAccount | None:
    return session.get(UserAccount, account_id)


def accounts(session: Session) -> Sequence[UserAccount]:
    return session.scalars(select(UserAccount).order_by(UserAccount.id)).all()


def add(session: Session, row: UserAccount | LoginAttempt | IdentityProof) -> None:
    session.add(row)
    session.flush()


def attempts_since(session: Session, since: datetime, *, email: str | None = None, client: str | None = None
                   ) -> Sequence[LoginAttempt]:  # fmt: skip
    query = select(LoginAttempt).where(LoginAttempt.attempted_at > since)
    if email is not None:
        query = query.where(LoginAttempt.email == email)
    if client is not None:
        query = query.where(LoginAttempt.client == client)
    return session.scalars(query).all()


def prune_attempts(session: Session, before: datetime) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < before))


def find_customer(session: Session, email: str) -> Customer | None:
    return session.scalars(select(Customer).where(Customer.email == email)).one_or_none()


def account_of_customer(session: Session, customer_id: int) -> UserAccount | None:
    return session.scalars(select(UserAccount).where(UserAccount.customer_id == customer_id)).one_or_none()


def find_proof(session: Session, kind: str, digest: str) -> IdentityProof | None:
    query = select(IdentityProof).where(IdentityProof.kind == kind, IdentityProof.digest == digest)
    return session.scalars(query.with_for_update()).one_or_none()  # one redeemer wins a race


def proofs_issued_since(session: Session, kind: str, account_id: int, since: datetime) -> Sequence[IdentityProof]:
    return session.scalars(
        select(IdentityProof).where(
            IdentityProof.kind == kind, IdentityProof.account_id == account_id, IdentityProof.created_at > since
        )
    ).all()


def scans_of(session: Session, customer_id: int) -> Sequence[FootScan]:
    return session.scalars(select(FootScan).where(FootScan.customer_id == customer_id).order_by(FootScan.id)).all()


def designs_of(session: Session, customer_id: int) -> Sequence[Design]:
    return session.scalars(select(Design).where(Design.customer_id == customer_id).order_by(Design.id)).all()


def orders_of(session: Session, customer_id: int) -> Sequence[Order]:
    return session.scalars(select(Order).where(Order.customer_id == customer_id).order_by(Order.id)).all()

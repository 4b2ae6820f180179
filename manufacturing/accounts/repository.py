"""Every query of accounts and login attempts. Repositories never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from manufacturing.db.models import LoginAttempt, UserAccount


def find_account(session: Session, email: str) -> UserAccount | None:
    return session.scalars(select(UserAccount).where(UserAccount.email == email)).one_or_none()


def get_account(session: Session, account_id: int) -> UserAccount | None:
    return session.get(UserAccount, account_id)


def accounts(session: Session) -> Sequence[UserAccount]:
    return session.scalars(select(UserAccount).order_by(UserAccount.id)).all()


def add(session: Session, row: UserAccount | LoginAttempt) -> None:
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

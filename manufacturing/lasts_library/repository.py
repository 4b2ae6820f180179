"""Every query about base lasts. Repositories never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from manufacturing.db.models import BaseLastRecord


def by_name(session: Session, name: str) -> BaseLastRecord | None:
    return session.scalars(select(BaseLastRecord).where(BaseLastRecord.name == name)).one_or_none()


def all_base_lasts(session: Session) -> Sequence[BaseLastRecord]:
    """Every stored base last, by style (any-style ones first), then name."""
    return session.scalars(
        select(BaseLastRecord).order_by(BaseLastRecord.style.is_not(None), BaseLastRecord.style, BaseLastRecord.name)
    ).all()


def names(session: Session) -> Sequence[str]:
    return session.scalars(select(BaseLastRecord.name).order_by(BaseLastRecord.name)).all()


def add(session: Session, row: BaseLastRecord) -> None:
    session.add(row)
    session.flush()

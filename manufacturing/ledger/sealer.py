"""The periodic seal, one job of the workers' periodic recovery (``manufacturing/pipeline/recovery.py``, every
``CSPMS_LEDGER_SEAL_INTERVAL_S``, one machine at a time): past days, then every entry recorded since the last
seal, its root published, signed, outside the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from manufacturing.db.session import session_scope
from manufacturing.ledger.publish import roots_file
from manufacturing.ledger.service import SealOutcome, seal_committed, seal_days
from manufacturing.settings import Settings


def seal_on_interval(settings: Settings, sessions: sessionmaker[Session], now: datetime | None = None) -> SealOutcome:
    """Seal past days and everything recorded since the last seal, and publish (a missing signing key is a
    ``ConfigurationError`` before anything is sealed)."""
    file = roots_file(settings)
    with session_scope(sessions) as session:
        seal_days(session, now)
    return seal_committed(sessions, file, now)


def summary(outcome: SealOutcome) -> str | None:
    """One line for the recovery log; None when nothing was sealed or published."""
    parts = []
    if outcome.seal is not None:
        parts.append(f"sealed #{outcome.seal.number} ({outcome.seal.leaves} entries, root {outcome.seal.root})")
    if outcome.published:
        parts.append("published " + ", ".join(f"#{n}" for n in outcome.published))
    if outcome.publish_error:
        parts.append(f"NOT published: {outcome.publish_error}")
    return "; ".join(parts) or None

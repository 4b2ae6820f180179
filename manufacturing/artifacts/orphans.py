"""Orphan blobs: stored bytes that no record names, left by a crash between a blob's write and the commit of
the record naming it (uploads are staged until they pass their checks, so a rejected upload leaves none).

Removed by the workers' periodic recovery (``manufacturing/pipeline/recovery.py``) and by
``cspms artifacts sweep``, once older than ``CSPMS_ORPHAN_BLOB_MIN_AGE_S``: a younger blob's record may still be
on its way to the database, and storing the same bytes again marks the blob fresh.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from manufacturing.artifacts.store import ArtifactStore, OrphanSweep
from manufacturing.db.models import Artifact, BaseLastRecord, FootScan
from manufacturing.db.session import session_scope


def named_blobs(session: Session, candidates: set[str]) -> set[str]:
    """Which of ``candidates`` (sha256) a record names: an artifact, a foot scan's upload, or a base last's scan."""
    named: set[str] = set()
    for column in (Artifact.sha256, FootScan.sha256, BaseLastRecord.source_sha256):
        named.update(session.scalars(select(column).where(column.in_(candidates)).distinct()))
    return named


def sweep_orphan_blobs(
    sessions: sessionmaker[Session], store: ArtifactStore, older_than_s: float, dry_run: bool = False
) -> OrphanSweep:
    """Remove the blobs older than ``older_than_s`` that no record names (``dry_run``: only count them)."""

    def referenced(candidates: set[str]) -> set[str]:
        with session_scope(sessions) as session:
            return named_blobs(session, candidates)

    return store.sweep_orphans(referenced, older_than_s=older_than_s, dry_run=dry_run)

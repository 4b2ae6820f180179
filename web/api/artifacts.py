"""Artifacts: metadata and content, looked up by id (never by a path the client supplies)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from manufacturing.db import repositories
from manufacturing.db.session import session_scope
from manufacturing.pipeline.reports import describe_artifact
from web.api.deps import ResourcesDep

router = APIRouter(prefix="/api/artifacts", tags=["artifacts"])


@router.get("/{artifact_id}")
def read_artifact(resources: ResourcesDep, artifact_id: int) -> dict[str, Any]:
    with session_scope(resources.sessions) as session:
        return describe_artifact(repositories.get_artifact(session, artifact_id))


@router.get("/{artifact_id}/content")
def download_artifact(resources: ResourcesDep, artifact_id: int) -> FileResponse:
    with session_scope(resources.sessions) as session:
        artifact = repositories.get_artifact(session, artifact_id)
    path = resources.store.path_for(artifact.sha256)
    return FileResponse(path, media_type=artifact.media_type, filename=artifact.filename)

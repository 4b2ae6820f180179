"""Artifacts: metadata and content, looked up by id (never by a path the client supplies). Staff-side roles
only: customers reach their own files through their scans, designs and orders."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from manufacturing.accounts.roles import Capability
from manufacturing.db import repositories
from manufacturing.db.session import session_scope
from web.api.auth import requires
from web.api.deps import RecordId, ResourcesDep
from web.api.schemas.runs import ArtifactOut

router = APIRouter(
    prefix="/api/artifacts", tags=["artifacts"], dependencies=[Depends(requires(Capability.ALL_DESIGNS))]
)


@router.get("/{artifact_id}")
def read_artifact(resources: ResourcesDep, artifact_id: RecordId) -> ArtifactOut:
    with session_scope(resources.sessions) as session:
        return ArtifactOut.model_validate(repositories.get_artifact(session, artifact_id))


@router.get("/{artifact_id}/content", response_class=FileResponse)
def download_artifact(resources: ResourcesDep, artifact_id: RecordId) -> FileResponse:
    with session_scope(resources.sessions) as session:
        artifact = repositories.get_artifact(session, artifact_id)
    path = resources.store.path_for(artifact.sha256)
    return FileResponse(path, media_type=artifact.media_type, filename=artifact.filename)

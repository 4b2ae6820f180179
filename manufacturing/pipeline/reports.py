"""What a pipeline run did, as plain data (for the CLI manifest and the API), and exporting its files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.artifacts import ArtifactStore
from manufacturing.db import repositories
from manufacturing.db.models import Artifact


def describe_run(session: Session, run_id: int) -> dict[str, Any]:
    run = repositories.get_pipeline_run(session, run_id)
    # Every stage's artifacts in one query (an order view describes several runs per request).
    stored = {a.id: a for a in repositories.artifacts_by_ids(session, [i for s in run.stage_runs
                                                                        for i in s.artifact_ids or []])}  # fmt: skip
    stages = []
    for stage_run in run.stage_runs:
        artifacts = [stored[i] for i in sorted(set(stage_run.artifact_ids or [])) if i in stored]  # by id, as stored
        stages.append(
            {
                "stage": stage_run.stage,
                "version": stage_run.stage_version,
                "state": stage_run.state.value,
                "attempts": stage_run.attempts,
                "duration_ms": stage_run.duration_ms,
                "error": None
                if stage_run.error_code is None
                else {"code": stage_run.error_code, "message": stage_run.error_message},
                "artifacts": [describe_artifact(a) for a in artifacts],
                **({"work_order": _work_order_of(session, run.pair_id)} if stage_run.stage == WORK_ORDER_STAGE else {}),
            }
        )
    return {
        "run_id": run.id,
        "pair_serial": run.pair.serial,
        "order_number": run.pair.order.number,
        "state": run.state.value,
        "planned_stages": list(run.stages),
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "error": None if run.error_code is None else {"code": run.error_code, "message": run.error_message},
        "stages": stages,
    }


WORK_ORDER_STAGE = "work_order.release"


def _work_order_of(session: Session, pair_id: int) -> dict[str, Any] | None:
    """The released work order as it stands: a run succeeds when material is short, the work order waits
    (its state says so, with the shortages)."""
    from manufacturing.tracking.summary import summary_of

    status = summary_of(session, pair_id)  # the pair's maintained progress summary: no replay per read
    if status.work_order_id is None:
        return None
    reasons = "; ".join(s.sentence() for s in status.shortages) or "its components are not reserved"
    note = "kit reserved" if status.material_reserved else f"awaits material: {reasons}"
    return {
        "id": status.work_order_id,
        "state": status.state,
        "material_reserved": status.material_reserved,
        "shortages": [s.to_dict() for s in status.shortages],
        "note": note,
    }


def describe_artifact(artifact: Artifact) -> dict[str, Any]:
    return {
        "id": artifact.id,
        "kind": artifact.kind,
        "filename": artifact.filename,
        "media_type": artifact.media_type,
        "sha256": artifact.sha256,
        "size_bytes": artifact.size_bytes,
        "stage": artifact.stage,
        "stage_version": artifact.stage_version,
    }


def export_run_artifacts(session: Session, store: ArtifactStore, run_id: int, out_dir: Path) -> list[Path]:
    """Copy every artifact the run produced into ``out_dir`` under its filename; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    run = repositories.get_pipeline_run(session, run_id)
    written = []
    for stage_run in run.stage_runs:
        for artifact in repositories.artifacts_by_ids(session, stage_run.artifact_ids or []):
            target = out_dir / artifact.filename
            target.write_bytes(store.read_bytes(artifact.sha256))
            written.append(target)
    return written

"""``cspms artifacts sweep``: orphan blobs removed (or counted, with --dry-run), named ones kept."""

import os
import time
from pathlib import Path

from manufacturing.artifacts import ArtifactStore
from manufacturing.db.migrate import upgrade
from manufacturing.settings import Settings
from tests.web.test_cli import cspms


def test_sweep_removes_old_orphans_and_dry_run_only_counts(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    upgrade(Settings(var_dir=var_dir).resolved_database_url)
    store = ArtifactStore(var_dir / "artifacts")
    orphan = store.put_bytes(b"an upload whose record never committed")
    two_days_ago = time.time() - 2 * 86_400
    os.utime(store.root / orphan.storage_key, (two_days_ago, two_days_ago))

    dry = cspms("artifacts", "sweep", "--dry-run", var_dir=var_dir)
    assert dry.returncode == 0, dry.stderr
    assert "would remove 1 orphan blob(s)" in dry.stdout and store.exists(orphan.sha256)
    kept = cspms("artifacts", "sweep", "--older-than-hours", "72", var_dir=var_dir)
    assert "removed 0 orphan blob(s)" in kept.stdout and store.exists(orphan.sha256)
    swept = cspms("artifacts", "sweep", var_dir=var_dir)
    assert swept.returncode == 0, swept.stderr
    assert "removed 1 orphan blob(s)" in swept.stdout and not store.exists(orphan.sha256)

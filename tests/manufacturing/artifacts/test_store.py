import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geometry.errors import InputError, InputTooLargeError, NotFoundError, StorageError
from manufacturing.artifacts import ArtifactStore, storage_key_for
from tests.conftest import service_unavailable


def test_blobs_are_keyed_by_their_sha256_and_stored_once(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    data = b"vamp outline" * 1000
    first = store.put_bytes(data)
    second = store.put_bytes(data)
    assert first == second
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    assert store.read_bytes(first.sha256) == data
    assert store.verify(first.sha256)
    blobs = [p for p in (tmp_path / "sha256").rglob("*") if p.is_file()]
    assert blobs == [tmp_path / first.storage_key]
    assert not any((tmp_path / "tmp").iterdir())


def test_keys_that_are_not_digests_are_refused(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    for bad in ("../../etc/passwd", "ab" * 31 + "/x", "A" * 64, ""):
        with pytest.raises(InputError):
            store.path_for(bad)
    with pytest.raises(NotFoundError):
        store.path_for("0" * 64)
    assert storage_key_for("ab" * 32).startswith("sha256/ab/ab/")


def test_a_stream_over_the_limit_leaves_nothing(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    with pytest.raises(InputTooLargeError):
        store.put_stream(iter([b"x" * 600, b"x" * 600]), max_bytes=1000)
    assert not (tmp_path / "sha256").exists()
    assert not any((tmp_path / "tmp").iterdir())


def test_a_writer_killed_mid_write_leaves_no_blob_under_any_key(tmp_path: Path) -> None:
    # A real process is killed with SIGKILL half-way through a write.
    script = f"""
import sys, time
from manufacturing.artifacts import ArtifactStore
def chunks():
    yield b"a" * 1_000_000
    print("half", flush=True)
    time.sleep(60)
    yield b"b" * 1_000_000
ArtifactStore({str(tmp_path)!r}).put_stream(chunks())
"""
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "half"
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    assert not (tmp_path / "sha256").exists()
    # The stray temp file is outside every key and is ignored by readers.
    assert len(list((tmp_path / "tmp").iterdir())) == 1


def test_a_full_store_raises_a_storage_error_and_keeps_earlier_blobs(tmp_path: Path) -> None:
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    if os.geteuid() != 0:
        service_unavailable("a 1 MiB tmpfs (needs root)", PermissionError("not root"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], check=True)
    try:
        store = ArtifactStore(mount_point)
        kept = store.put_bytes(b"earlier artifact")
        with pytest.raises(StorageError, match="full"):
            store.put_bytes(os.urandom(3 * 1024 * 1024))
        assert store.read_bytes(kept.sha256) == b"earlier artifact"
        assert [p for p in (mount_point / "sha256").rglob("*") if p.is_file()] == [mount_point / kept.storage_key]
        assert not any((mount_point / "tmp").iterdir())
    finally:
        time.sleep(0.05)
        subprocess.run(["umount", str(mount_point)], check=True)


def test_stale_temp_files_of_killed_writers_are_swept_and_fresh_ones_kept(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "store")
    kept = store.put_bytes(b"a finished blob")
    tmp_dir = tmp_path / "store" / "tmp"
    stale, fresh = tmp_dir / "blob-killed", tmp_dir / "blob-writing"
    stale.write_bytes(b"half a blob")
    fresh.write_bytes(b"being written")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    assert store.sweep_temp_files(older_than_s=600) == 1
    assert not stale.exists() and fresh.exists()
    assert store.read_bytes(kept.sha256) == b"a finished blob"


def test_a_staged_blob_is_readable_but_under_no_key_until_committed(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    with store.writer(max_bytes=100) as writer:
        writer.write(b"heel ")
        writer.write(b"counter")
        staged = writer.finish()
    assert staged.read_bytes() == b"heel counter" and staged.sha256 == hashlib.sha256(b"heel counter").hexdigest()
    assert not store.exists(staged.sha256)
    stored = store.commit(staged)
    assert store.read_bytes(stored.sha256) == b"heel counter"
    assert not any((tmp_path / "tmp").iterdir())


def test_a_discarded_or_refused_blob_leaves_nothing(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    store.discard(store.stage_bytes(b"rejected upload"))
    with store.writer(max_bytes=10) as writer, pytest.raises(InputTooLargeError):
        writer.write(b"x" * 11)
    assert not (tmp_path / "sha256").exists()
    assert not any((tmp_path / "tmp").iterdir())


def test_orphans_older_than_the_age_are_swept_and_named_or_young_blobs_kept(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    named, orphan, young = (store.put_bytes(b) for b in (b"named", b"orphan", b"young orphan"))
    day_ago = time.time() - 86_400
    for blob in (named, orphan):
        os.utime(tmp_path / blob.storage_key, (day_ago, day_ago))
    asked: list[set[str]] = []

    def referenced(candidates: set[str]) -> set[str]:
        asked.append(candidates)
        return candidates & {named.sha256}

    dry = store.sweep_orphans(referenced, older_than_s=3600, dry_run=True)
    assert (dry.removed, dry.removed_bytes, dry.kept) == (1, len(b"orphan"), 1) and store.exists(orphan.sha256)
    swept = store.sweep_orphans(referenced, older_than_s=3600)
    assert (swept.removed, swept.kept) == (1, 1)
    assert asked[-1] == {named.sha256, orphan.sha256}  # the young blob is not even a candidate
    assert store.exists(named.sha256) and store.exists(young.sha256) and not store.exists(orphan.sha256)


def test_storing_an_old_orphan_again_saves_it_from_a_sweep(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    blob = store.put_bytes(b"uploaded twice, a day apart")
    day_ago = time.time() - 86_400
    os.utime(tmp_path / blob.storage_key, (day_ago, day_ago))
    store.put_bytes(b"uploaded twice, a day apart")  # its record is about to be committed
    assert store.sweep_orphans(lambda candidates: set(), older_than_s=3600).removed == 0
    assert store.exists(blob.sha256)

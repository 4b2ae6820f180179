"""Content-addressed artifact store on a (possibly shared) filesystem.

A blob's key is the sha256 of its bytes, laid out as ``sha256/ab/cd/<hex>``. Writes go to a temp file in
the same filesystem, are fsynced, then renamed onto the key: a crash leaves at most a stray temp file,
never a half file under a valid key. Writing the same bytes twice is a no-op.

An upload is written in two steps: staged (hashed, counted, in a temp file that a reader may open) while it
is checked, then committed under its key, or discarded, so a rejected file never becomes a blob. Blobs that
no record names (a crash between the write and the commit of its record) are swept once they are old.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from geometry.errors import InputError, InputTooLargeError, NotFoundError, StorageError

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size_bytes: int
    storage_key: str


def storage_key_for(sha256: str) -> str:
    """The relative key of a blob; rejects anything but 64 lowercase hex digits (no path tricks)."""
    if not _SHA256_HEX.match(sha256):
        raise InputError(f"{sha256!r} is not a sha256 hex digest", sha256=sha256)
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


@dataclass(frozen=True)
class StagedBlob:
    """Bytes written, hashed and fsynced to a temp file (``path``, readable), not yet under their key."""

    path: Path
    sha256: str
    size_bytes: int

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


class BlobWriter:
    """A blob being written chunk by chunk: hashed and counted as it comes, refused past ``max_bytes`` (the
    temp file removed at once). ``finish`` stages it; leaving the ``with`` block on an error removes it."""

    def __init__(self, store: ArtifactStore, max_bytes: int | None = None) -> None:
        self.store, self.max_bytes = store, max_bytes
        try:
            store.tmp_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=store.tmp_dir, prefix="blob-")
        except OSError as exc:
            raise _storage_error(exc, store.root) from exc
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self.size_bytes = 0

    def write(self, chunk: bytes) -> None:
        self.size_bytes += len(chunk)
        if self.max_bytes is not None and self.size_bytes > self.max_bytes:
            self.abort()
            raise InputTooLargeError(f"file is larger than the limit of {self.max_bytes:,} bytes",
                                     limit_bytes=self.max_bytes)  # fmt: skip
        self._digest.update(chunk)
        try:
            self._file.write(chunk)
        except OSError as exc:
            self.abort()
            raise _storage_error(exc, self.store.root) from exc

    def finish(self) -> StagedBlob:
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
        except OSError as exc:
            self.abort()
            raise _storage_error(exc, self.store.root) from exc
        return StagedBlob(self.path, self._digest.hexdigest(), self.size_bytes)

    def abort(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if kind is not None:
            self.abort()


class ArtifactStore:
    """Blobs by sha256 under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put_stream(iter([data]))

    def put_file(self, file: BinaryIO, max_bytes: int | None = None) -> StoredBlob:
        """Store a readable binary stream, refusing it once it passes ``max_bytes``."""
        return self.put_stream(iter(lambda: file.read(_CHUNK_BYTES), b""), max_bytes=max_bytes)

    def put_stream(self, chunks: Iterator[bytes], max_bytes: int | None = None) -> StoredBlob:
        return self.commit(self.stage_stream(chunks, max_bytes))

    def stage_bytes(self, data: bytes) -> StagedBlob:
        return self.stage_stream(iter([data]))

    def stage_stream(self, chunks: Iterator[bytes], max_bytes: int | None = None) -> StagedBlob:
        """Write a blob to a temp file, not under its key yet: ``commit`` or ``discard`` it."""
        with self.writer(max_bytes) as writer:
            for chunk in chunks:
                writer.write(chunk)
            return writer.finish()

    def writer(self, max_bytes: int | None = None) -> BlobWriter:
        return BlobWriter(self, max_bytes)

    def commit(self, staged: StagedBlob) -> StoredBlob:
        """Move a staged blob under its key (a no-op when the same bytes are stored already; they are marked
        fresh, so an orphan sweep running now does not take them from the record about to name them)."""
        key = storage_key_for(staged.sha256)
        final_path = self.root / key
        try:
            if final_path.exists():
                staged.path.unlink(missing_ok=True)
                os.utime(final_path)
            else:
                final_path.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged.path, final_path)
        except OSError as exc:
            staged.path.unlink(missing_ok=True)
            raise _storage_error(exc, self.root) from exc
        return StoredBlob(sha256=staged.sha256, size_bytes=staged.size_bytes, storage_key=key)

    def discard(self, staged: StagedBlob) -> None:
        """Drop a staged blob (a rejected upload): nothing of it stays."""
        staged.path.unlink(missing_ok=True)

    def path_for(self, sha256: str) -> Path:
        """The file of a stored blob; ``NotFoundError`` when absent."""
        path = self.root / storage_key_for(sha256)
        if not path.is_file():
            raise NotFoundError(f"artifact {sha256} is not in the store", sha256=sha256)
        return path

    def read_bytes(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return (self.root / storage_key_for(sha256)).is_file()

    def sweep_temp_files(self, older_than_s: float, now_s: float | None = None) -> int:
        """Delete temp files a killed writer left (none is ever renamed after ``older_than_s``: a write takes
        seconds); returns how many. Safe while others write: younger files are left alone."""
        if not self.tmp_dir.is_dir():
            return 0
        cutoff = (time.time() if now_s is None else now_s) - older_than_s
        swept = 0
        for path in self.tmp_dir.glob("blob-*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    swept += 1
            except FileNotFoundError:  # renamed or swept by another process meanwhile
                continue
        return swept

    def sweep_orphans(
        self, referenced: Callable[[set[str]], set[str]], older_than_s: float, now_s: float | None = None,
        dry_run: bool = False,
    ) -> OrphanSweep:  # fmt: skip
        """Delete blobs older than ``older_than_s`` that no record names (``referenced(candidates)`` says which
        of them are named). Younger blobs are left alone: their record may not be committed yet. A batch of
        candidates at a time, so a large store is never held in memory at once."""
        cutoff = (time.time() if now_s is None else now_s) - older_than_s
        removed = kept = removed_bytes = 0
        for batch in _batches(self._old_blobs(cutoff), 1000):
            named = referenced(set(batch))
            for sha256, path, size in batch.values():
                if sha256 in named:
                    kept += 1
                    continue
                if not dry_run:
                    try:
                        if path.stat().st_mtime >= cutoff:  # committed again meanwhile
                            kept += 1
                            continue
                        path.unlink()
                    except FileNotFoundError:
                        continue
                removed, removed_bytes = removed + 1, removed_bytes + size
        return OrphanSweep(removed=removed, removed_bytes=removed_bytes, kept=kept, dry_run=dry_run)

    def _old_blobs(self, cutoff_s: float) -> Iterator[tuple[str, Path, int]]:
        for path in (self.root / "sha256").glob("*/*/*"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if _SHA256_HEX.match(path.name) and stat.st_mtime < cutoff_s:
                yield path.name, path, stat.st_size

    def verify(self, sha256: str) -> bool:
        """Whether the stored bytes still hash to their key (a check for bit rot or tampering)."""
        digest = hashlib.sha256()
        with self.path_for(sha256).open("rb") as blob:
            for chunk in iter(lambda: blob.read(_CHUNK_BYTES), b""):
                digest.update(chunk)
        return digest.hexdigest() == sha256


@dataclass(frozen=True)
class OrphanSweep:
    """What an orphan sweep removed (or, in a dry run, would remove) and how many old blobs are still named."""

    removed: int
    removed_bytes: int
    kept: int
    dry_run: bool


def _batches(blobs: Iterator[tuple[str, Path, int]], size: int) -> Iterator[dict[str, tuple[str, Path, int]]]:
    batch: dict[str, tuple[str, Path, int]] = {}
    for blob in blobs:
        batch[blob[0]] = blob
        if len(batch) == size:
            yield batch
            batch = {}
    if batch:
        yield batch


def _storage_error(exc: OSError, root: Path) -> StorageError:
    """The typed error for a failed write: a full store (disk or quota) says so, in one line."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageError("the artifact store is full; nothing was written", root=str(root))
    return StorageError(f"could not write to the artifact store: {exc.strerror}", root=str(root))

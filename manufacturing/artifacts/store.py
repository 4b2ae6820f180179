"""Content-addressed artifact store on a (possibly shared) filesystem.

A blob's key is the sha256 of its bytes, laid out as ``sha256/ab/cd/<hex>``. Writes go to a temp file in
the same filesystem, are fsynced, then renamed onto the key: a crash leaves at most a stray temp file,
never a half file under a valid key. Writing the same bytes twice is a no-op.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
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


class ArtifactStore:
    """Blobs by sha256 under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._tmp_dir = self.root / "tmp"

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put_stream(iter([data]))

    def put_file(self, file: BinaryIO, max_bytes: int | None = None) -> StoredBlob:
        """Store a readable binary stream, refusing it once it passes ``max_bytes``."""
        return self.put_stream(iter(lambda: file.read(_CHUNK_BYTES), b""), max_bytes=max_bytes)

    def put_stream(self, chunks: Iterator[bytes], max_bytes: int | None = None) -> StoredBlob:
        try:
            self._tmp_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=self._tmp_dir, prefix="blob-")
        except OSError as exc:
            raise _storage_error(exc, self.root) from exc
        digest = hashlib.sha256()
        size_bytes = 0
        tmp_path = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as tmp:
                for chunk in chunks:
                    size_bytes += len(chunk)
                    if max_bytes is not None and size_bytes > max_bytes:
                        raise InputTooLargeError(
                            f"file is larger than the limit of {max_bytes} bytes", limit_bytes=max_bytes
                        )
                    digest.update(chunk)
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            sha256 = digest.hexdigest()
            key = storage_key_for(sha256)
            final_path = self.root / key
            if final_path.exists():
                tmp_path.unlink()
            else:
                final_path.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp_path, final_path)
            return StoredBlob(sha256=sha256, size_bytes=size_bytes, storage_key=key)
        except OSError as exc:
            tmp_path.unlink(missing_ok=True)
            raise _storage_error(exc, self.root) from exc
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise

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
        if not self._tmp_dir.is_dir():
            return 0
        cutoff = (time.time() if now_s is None else now_s) - older_than_s
        swept = 0
        for path in self._tmp_dir.glob("blob-*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    swept += 1
            except FileNotFoundError:  # renamed or swept by another process meanwhile
                continue
        return swept

    def verify(self, sha256: str) -> bool:
        """Whether the stored bytes still hash to their key (a check for bit rot or tampering)."""
        digest = hashlib.sha256()
        with self.path_for(sha256).open("rb") as blob:
            for chunk in iter(lambda: blob.read(_CHUNK_BYTES), b""):
                digest.update(chunk)
        return digest.hexdigest() == sha256


def _storage_error(exc: OSError, root: Path) -> StorageError:
    """The typed error for a failed write: a full store (disk or quota) says so, in one line."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageError("the artifact store is full; nothing was written", root=str(root))
    return StorageError(f"could not write to the artifact store: {exc.strerror}", root=str(root))

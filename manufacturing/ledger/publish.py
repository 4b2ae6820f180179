"""Where the seals are published, outside the database: an append-only file of signed lines (``roots.jsonl``
under ``CSPMS_LEDGER_PUBLISH_DIR``, by default ``<artifact_dir>/ledger``), and the key that signs them, which
the database never holds (``CSPMS_LEDGER_SIGNING_KEY``, or the owner-only file ``<var_dir>/ledger_signing_key``
created on first use by the embedded profile)."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path

from geometry.errors import ConfigurationError
from manufacturing.ledger.ledger import GENESIS
from manufacturing.ledger.seals import PublishedRoots, Seal, read_published, signed_line
from manufacturing.settings import Settings

log = logging.getLogger(__name__)

ROOTS_FILE_NAME = "roots.jsonl"
KEY_FILE_NAME = "ledger_signing_key"
_MIN_KEY_CHARS = 32


def key_file(settings: Settings) -> Path:
    return (settings.var_dir / KEY_FILE_NAME).resolve()


def signing_key(settings: Settings, create: bool = True) -> bytes | None:
    """The key that signs the published roots: the setting, else the key file. The embedded profile (no
    database URL set) creates the file on first use when ``create``; elsewhere a missing key is an error, so
    machines never sign with keys of their own. None when there is none and ``create`` is false."""
    if settings.ledger_signing_key is not None and settings.ledger_signing_key.get_secret_value():
        value = settings.ledger_signing_key.get_secret_value().strip()
        if len(value) < _MIN_KEY_CHARS:
            raise ConfigurationError(f"CSPMS_LEDGER_SIGNING_KEY is shorter than {_MIN_KEY_CHARS} characters",
                                     setting="ledger_signing_key")  # fmt: skip
        return value.encode()
    path = key_file(settings)
    if not path.exists():
        if not create:
            return None
        if settings.database_url:
            raise ConfigurationError(
                f"no ledger signing key: set CSPMS_LEDGER_SIGNING_KEY (the same on every machine that seals or "
                f"verifies) or place it in {path}", setting="ledger_signing_key",
            )  # fmt: skip
        _create_key_file(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(f"the ledger signing key {path} is readable by others: chmod 600 it",
                                 setting="ledger_signing_key")  # fmt: skip
    value = path.read_text().strip()
    if len(value) < _MIN_KEY_CHARS:
        raise ConfigurationError(f"the ledger signing key {path} is shorter than {_MIN_KEY_CHARS} characters",
                                 setting="ledger_signing_key")  # fmt: skip
    return value.encode()


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race: its key stays
            os.link(tmp, path)  # the key file appears whole or not at all
    finally:
        tmp.unlink(missing_ok=True)


def roots_path(settings: Settings) -> Path:
    folder = settings.ledger_publish_dir or settings.resolved_artifact_dir / "ledger"
    return (folder / ROOTS_FILE_NAME).resolve()


class RootsFile:
    """The published, signed seal lines: read, append (under a file lock, only the seal that follows the last
    line), export."""

    def __init__(self, path: Path, key: bytes | None) -> None:
        self.path = Path(path)
        self.key = key

    def read(self, complete: bool = True) -> PublishedRoots:
        """The published seals, checked (``complete`` False for a copy kept elsewhere)."""
        text = self.path.read_text(encoding="utf-8", errors="replace") if self.path.exists() else ""
        return read_published(text, self.key, complete)

    def last(self) -> tuple[int, str]:
        """(number, hash) of the last intact line; (0, 64 zeros) for none."""
        last = read_published(self.path.read_text(errors="replace"), None).last if self.path.exists() else None
        return (last.number, last.seal_hash) if last is not None else (0, GENESIS)

    def publish(self, seals: Sequence[Seal]) -> list[int]:
        """Append the seals that follow the file's last line, in order; returns their numbers. A seal that does
        not chain onto the file is left out (logged): publishing it would break the published chain."""
        if self.key is None:
            raise ConfigurationError("no ledger signing key to publish with", setting="ledger_signing_key")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        written: list[int] = []
        with open(self.path, "a+", encoding="utf-8") as out:
            fcntl.flock(out, fcntl.LOCK_EX)  # sealers on several machines append one at a time
            try:
                out.seek(0)
                text = out.read()
                last = read_published(text, None).last
                number, seal_hash = (last.number, last.seal_hash) if last is not None else (0, GENESIS)
                if text and not text.endswith("\n"):
                    out.write("\n")  # a cut-off line stays visible as damaged; the next line starts clean
                for seal in sorted(seals, key=lambda s: s.number):
                    if seal.number <= number:
                        continue
                    if seal.number != number + 1 or seal.prev != seal_hash:
                        log.error("ledger seal #%d does not follow published seal #%d: not published", seal.number,
                                  number)  # fmt: skip
                        break
                    out.write(signed_line(seal, self.key) + "\n")
                    number, seal_hash = seal.number, seal.seal_hash
                    written.append(seal.number)
                out.flush()
                os.fsync(out.fileno())
            finally:
                fcntl.flock(out, fcntl.LOCK_UN)
        return written

    def export(self, out: Path) -> PublishedRoots:
        """Copy the published lines to ``out`` (for the shop to keep elsewhere); returns what was copied."""
        published = self.read()
        out.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            shutil.copyfile(self.path, out)
        else:
            out.write_text("")
        return published


def roots_file(settings: Settings, create_key: bool = True) -> RootsFile:
    return RootsFile(roots_path(settings), signing_key(settings, create=create_key))


def published_roots(settings: Settings, copy: Path | None = None) -> PublishedRoots:
    """The published seals to verify against: the live file, or ``copy`` (one kept elsewhere, which may end
    before the ledger does). Checking signatures needs the key: without it, an error, not a verdict."""
    file = RootsFile(copy or roots_path(settings), signing_key(settings, create=False))
    if file.key is None and file.path.exists() and file.path.stat().st_size:
        raise ConfigurationError(
            f"no ledger signing key here ({key_file(settings)} or CSPMS_LEDGER_SIGNING_KEY) to check the "
            f"published seals in {file.path}", setting="ledger_signing_key",
        )  # fmt: skip
    return file.read(complete=copy is None)

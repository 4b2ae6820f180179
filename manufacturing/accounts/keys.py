"""The keys that sign session tokens. The current key signs; former keys, kept while their sessions run out,
only verify. Every key has a key id (``kid``) that each token carries, so a token names the key that checks
it, and once a key is removed its tokens are refused.

Where the keys come from:
- ``CSPMS_SECRET_KEY`` (current) and ``CSPMS_SECRET_KEYS_OLD`` (verify only), when set;
- else, on the embedded profile, the owner-only file ``<var_dir>/session_keys``: the first line is the current
  key, the others verify only. It is made with a random key on first use, and ``cspms secret rotate`` /
  ``cspms secret retire`` edit it;
- production (``Settings.is_production``) has no fallback: without a strong key it does not start.

No key is written in the code: a key anyone can read would let them sign an administrator's session."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from geometry.errors import ConfigurationError
from manufacturing.settings import Settings

KEY_FILE_NAME = "session_keys"
# 32 random bytes in URL-safe base64 (secrets.token_urlsafe(32)) are 43 characters.
MIN_KEY_CHARS = 43
# A long key of few symbols ("changeme" repeated) is not random; a random one of 43 has about 30.
MIN_DISTINCT_CHARS = 12
_KID_CHARS = 8
_CACHE_SIZE = 64


@dataclass(frozen=True)
class SigningKey:
    kid: str
    secret: bytes = field(repr=False)

    @classmethod
    def of(cls, secret: str) -> SigningKey:
        raw = secret.encode()
        # The id is derived from the key, so the key alone is enough to configure; it tells nothing of the key.
        return cls(hmac.new(raw, b"cspms.kid", hashlib.sha256).hexdigest()[:_KID_CHARS], raw)


@dataclass(frozen=True)
class Keyring:
    current: SigningKey
    verify_only: tuple[SigningKey, ...] = ()

    def find(self, kid: str) -> SigningKey | None:
        return next((k for k in (self.current, *self.verify_only) if hmac.compare_digest(k.kid, kid)), None)

    @property
    def kids(self) -> tuple[str, ...]:
        return (self.current.kid, *(k.kid for k in self.verify_only))


def new_key() -> str:
    return secrets.token_urlsafe(32)


def check_strength(key: str, where: str, setting: str = "secret_key") -> None:
    """Refuse a key that is short or made of few symbols, naming where it came from."""
    if len(key) < MIN_KEY_CHARS or len(set(key)) < MIN_DISTINCT_CHARS:
        raise ConfigurationError(
            f"{where} is not a strong key: use at least {MIN_KEY_CHARS} random characters, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`", setting=setting,
        )  # fmt: skip


def key_file(settings: Settings) -> Path:
    return (settings.var_dir / KEY_FILE_NAME).resolve()


_cache: dict[tuple[object, ...], Keyring] = {}


def session_keyring(settings: Settings) -> Keyring:
    """The keys of ``settings``: from the settings, else (embedded profile) the key file, made if missing.
    ConfigurationError, saying what to set, when there is no strong key. Cached until the file changes."""
    current = settings.secret_key.get_secret_value().strip() if settings.secret_key is not None else ""
    old = [k.strip() for k in settings.secret_keys_old.get_secret_value().split(",") if k.strip()]
    if current:
        cache_key: tuple[object, ...] = ("settings", current, *old)
    elif settings.is_production:
        raise ConfigurationError(
            "production needs a session key: set CSPMS_SECRET_KEY to at least 43 random characters (e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`), the same on every web machine",
            setting="secret_key",
        )  # fmt: skip
    else:
        path = key_file(settings)
        if not path.exists():
            _write_key_file(path, [new_key()], exclusive=True)
        info = _checked_stat(path)
        cache_key = ("file", str(path), info.st_ino, info.st_mtime_ns, info.st_size, *old)
    keyring = _cache.get(cache_key)
    if keyring is None:
        keyring = _keyring_of(current, old) if current else _keyring_of_file(key_file(settings), old)
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[cache_key] = keyring
    return keyring


def rotate_key_file(settings: Settings) -> Keyring:
    """A new current key in the key file; the former ones stay, verifying only (embedded profile)."""
    path = _own_key_file(settings)
    keys = read_key_file(path) if path.exists() else []
    _write_key_file(path, [new_key(), *keys])
    return session_keyring(settings)


def retire_old_keys(settings: Settings) -> tuple[str, ...]:
    """Drop every verify-only key from the key file: sessions they signed are refused from now on. Their kids."""
    path = _own_key_file(settings)
    keys = read_key_file(path) if path.exists() else []
    if len(keys) > 1:
        _write_key_file(path, keys[:1])
    return tuple(SigningKey.of(k).kid for k in keys[1:])


def read_key_file(path: Path) -> list[str]:
    _checked_stat(path)
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def _keyring_of(current: str, old: list[str]) -> Keyring:
    check_strength(current, "CSPMS_SECRET_KEY")
    for key in old:
        check_strength(key, "a key of CSPMS_SECRET_KEYS_OLD", "secret_keys_old")
    return Keyring(SigningKey.of(current), tuple(SigningKey.of(k) for k in old))


def _keyring_of_file(path: Path, old: list[str]) -> Keyring:
    keys = read_key_file(path)
    if not keys:
        raise ConfigurationError(f"the session key file {path} is empty: delete it to have a new key made",
                                 setting="secret_key")  # fmt: skip
    for key in keys:
        check_strength(key, f"a key of {path}")
    for key in old:
        check_strength(key, "a key of CSPMS_SECRET_KEYS_OLD", "secret_keys_old")
    return Keyring(SigningKey.of(keys[0]), tuple(SigningKey.of(k) for k in [*keys[1:], *old]))


def _own_key_file(settings: Settings) -> Path:
    if settings.secret_key is not None and settings.secret_key.get_secret_value().strip():
        raise ConfigurationError(
            "the session keys come from CSPMS_SECRET_KEY: to rotate, move it to CSPMS_SECRET_KEYS_OLD and set a "
            "new CSPMS_SECRET_KEY", setting="secret_key",
        )  # fmt: skip
    if settings.is_production:
        raise ConfigurationError("production takes its session keys from CSPMS_SECRET_KEY, not a key file",
                                 setting="secret_key")  # fmt: skip
    return key_file(settings)


def _checked_stat(path: Path) -> os.stat_result:
    info = path.stat()
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(f"the session key file {path} is open to other users: chmod 600 it",
                                 setting="secret_key")  # fmt: skip
    return info


def _write_key_file(path: Path, keys: list[str], exclusive: bool = False) -> None:
    """Write the keys, owner-only, whole or not at all. ``exclusive``: only if no file exists yet (two processes
    starting at once keep the same key: the first one's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write("".join(f"{key}\n" for key in keys))
            out.flush()
            os.fsync(out.fileno())
        if exclusive:
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106's second recommended profile) and the
length policy. Hashes carry their parameters, so raising them later re-hashes on the next login."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from manufacturing.accounts.errors import WeakPasswordError

MIN_PASSWORD_CHARS = 10
# Hashing cost grows with the input: a cap keeps a megabyte "password" from being a denial of service.
MAX_PASSWORD_BYTES = 1024

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a wrong address costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")


def check_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPasswordError(f"a password needs at least {MIN_PASSWORD_CHARS} characters", min=MIN_PASSWORD_CHARS)
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise WeakPasswordError(f"a password may have at most {MAX_PASSWORD_BYTES} bytes", max=MAX_PASSWORD_BYTES)


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; an unknown account (``None``) takes the same time and is False."""
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
